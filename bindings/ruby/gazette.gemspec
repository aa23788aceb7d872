Gem::Specification.new do |s|
  s.name = "gazette"
  s.version = "0.1.0"
  s.summary = "Ruby binding of libgazette, a client for Gazette journals"
  s.description = "Thin ffi binding over libgazette's C ABI (gazette.h): clients, readers, appenders, the AppendService, listing and applying journals."
  s.authors = ["libgazette contributors"]
  s.license = "MIT OR Apache-2.0"
  s.files = Dir["lib/**/*.rb"] + ["README.md"]
  s.require_paths = ["lib"]
  s.required_ruby_version = ">= 2.7"
  s.add_dependency "ffi", ">= 1.12"
  s.add_development_dependency "minitest", ">= 5"
end
