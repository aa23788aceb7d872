# frozen_string_literal: true

require_relative "helper"
require "base64"
require "openssl"

# TLS, mutual TLS, keyed authorization and token providers against dev
# brokers of their own in those modes (skipped against GAZETTE_TEST_BROKER).
class TestSecurity < Minitest::Test
  # A throwaway cluster key (not a secret: it guards only test brokers).
  AUTH_KEY = "cnVieS1iaW5kaW5nLXRlc3Qta2V5"
  ALL_CAPS = Gazette::CAP_LIST | Gazette::CAP_APPLY | Gazette::CAP_READ | Gazette::CAP_APPEND

  def self.bin
    ENV["GAZETTE_DEVBROKER"] || File.join(ROOT, "target/debug/gazette-devbroker")
  end

  # A CA, server and client certificates (and the failure cases'), once.
  def self.certs
    @certs ||= begin
      dir = Dir.mktmpdir("gazette-ruby-tls")
      at_exit { FileUtils.rm_rf(dir) }
      system(bin, "--tls-generate", dir, out: File::NULL) || raise("#{bin} --tls-generate failed")
      dir
    end
  end

  # One dev broker per mode for the whole class, stopped at exit.
  def self.broker(mutual:, auth:)
    @brokers ||= {}
    @brokers[[mutual, auth]] ||= begin
      store = Dir.mktmpdir("gazette-ruby-secure")
      args = [bin, "--store", store, "--assign-delay-ms", "0",
              "--tls-cert", File.join(certs, "server.pem"), "--tls-key", File.join(certs, "server-key.pem")]
      args += ["--tls-client-ca", File.join(certs, "ca.pem")] if mutual
      args += ["--auth-keys", AUTH_KEY] if auth
      io = IO.popen(args, "r+")
      ready = JSON.parse(io.gets || raise("dev broker did not start"))
      at_exit do
        io.close_write
        io.read
        io.close
        FileUtils.rm_rf(store)
      end
      ready.fetch("endpoints").first
    end
  end

  def setup
    skip "needs the dev broker's TLS / --auth-keys modes (GAZETTE_TEST_BROKER is set)" if ENV["GAZETTE_TEST_BROKER"]
    @clients = []
  end

  def teardown
    @clients&.each(&:close)
  end

  def pem(name)
    File.read(File.join(self.class.certs, name))
  end

  def new_client(mutual: false, auth: false, **opts, &block)
    ep = self.class.broker(mutual: mutual, auth: auth)
    c = Gazette::Client.new(endpoints: [ep], **opts, &block)
    @clients << c
    c
  end

  def mtls
    { tls_ca_pem: pem("ca.pem"), tls_client_cert: pem("client.pem"), tls_client_key: pem("client-key.pem") }
  end

  @@seq = 0
  def round_trip(c)
    @@seq += 1
    name = "ruby-secure/#{Process.pid}-#{@@seq}"
    c.apply([{ upsert: name, stores: ["file:///"], fragment_length: 1 << 20 }])
    c.await_assignment(name, timeout: 30)
    b, e = c.append(name, "over TLS\n")
    assert_equal "over TLS\n", c.read(name, offset: b, end_offset: e)
    name
  end

  def assert_fails(klass, hint, c)
    err = assert_raises(klass) { c.list }
    assert_includes err.message, hint
    err
  end

  # An HS256 JWT of cap, an everything selector, iat, exp and jti.
  def sign(key, caps, exp, jti = 1)
    b64 = ->(s) { Base64.urlsafe_encode64(s, padding: false) }
    input = "#{b64.call('{"alg":"HS256","typ":"JWT"}')}.#{b64.call(JSON.generate(cap: caps, sel: {}, iat: Time.now.to_i, exp: exp.to_i, jti: jti))}"
    "#{input}.#{b64.call(OpenSSL::HMAC.digest("SHA256", Base64.strict_decode64(key), input))}"
  end

  def test_tls_round_trip_and_failures
    round_trip(new_client(tls_ca_file: File.join(self.class.certs, "ca.pem")))
    round_trip(new_client(tls_ca_pem: pem("ca.pem"), tls_server_name: "localhost"))
    assert_fails(Gazette::TLSUntrustedCertificate, "tls_ca_file:", new_client)
    err = assert_fails(Gazette::TLSUntrustedCertificate, "tls_ca_file:", new_client(tls_ca_pem: pem("other-ca.pem")))
    assert_kind_of Gazette::TLSError, err
    assert_equal 600, err.status
    assert_fails(Gazette::TLSWrongHost, "tls_server_name:",
                 new_client(tls_ca_pem: pem("ca.pem"), tls_server_name: "not-the-broker.example"))
  end

  def test_mutual_tls_and_keyed_auth
    round_trip(new_client(mutual: true, auth: true, auth_keys: AUTH_KEY, **mtls))
    round_trip(new_client(mutual: true, auth: true, auth_keys: AUTH_KEY, auth_token_lifetime: 600, **mtls))

    no_cert = { tls_ca_pem: pem("ca.pem"), auth_keys: AUTH_KEY }
    assert_fails(Gazette::TLSClientCertificateRequired, "tls_client_cert:", new_client(mutual: true, auth: true, **no_cert))
    rogue = new_client(mutual: true, auth: true, tls_client_cert: pem("rogue-client.pem"),
                       tls_client_key: pem("rogue-client-key.pem"), **no_cert)
    # Under TLS 1.3 the refusal races the first request; the library names
    # it however the race goes.
    assert_fails(Gazette::TLSClientCertificateRejected, "tls_client_cert:", rogue)

    assert_fails(Gazette::AuthTokenMissing, "auth_keys:", new_client(mutual: true, auth: true, **mtls))
    assert_fails(Gazette::AuthTokenInvalid, "auth_keys:", new_client(mutual: true, auth: true, auth_keys: "b3RoZXIta2V5", **mtls))
    assert_fails(Gazette::AuthTokenInvalid, "auth_keys:", new_client(mutual: true, auth: true, token: "not-a-jwt", **mtls))
    expired = sign(AUTH_KEY, ALL_CAPS, Time.now - 3600)
    err = assert_fails(Gazette::AuthTokenExpired, "longer life", new_client(mutual: true, auth: true, token: expired, **mtls))
    assert err.retryable?

    # Bad settings are refused when the client is made, without showing the key.
    assert_raises(Gazette::UsageError) { new_client(mutual: true, auth: true, auth_keys: "not base64!", **mtls) }
    err = assert_raises(Gazette::UsageError) { new_client(mutual: true, auth: true, **mtls, tls_client_key: "not a key") }
    refute_includes err.message, "not a key"
  end

  def test_token_provider_rotates_tokens
    asked = Queue.new
    tokens = Queue.new
    n = 0
    lock = Mutex.new
    c = new_client(mutual: true, auth: true, auth_token_lifetime: 420, **mtls) do |capability, selector, lifetime|
      jti = lock.synchronize { n += 1 }
      token = sign(AUTH_KEY, capability, Time.now + lifetime, jti)
      asked << [capability, selector, lifetime]
      tokens << token
      [token, 0.001] # usable for 1 ms: every later RPC asks for a new token
    end
    journal = round_trip(c)
    before = tokens.size
    3.times { c.list }
    all = Array.new(tokens.size) { tokens.pop }
    assert_operator all.size - before, :>=, 3, "3 listings did not each ask for a token"
    assert_equal all.size, all.uniq.size, "a token was handed out twice"
    reqs = Array.new(asked.size) { asked.pop }
    reqs.each { |(_, _, lifetime)| assert_in_delta 420.0, lifetime, 0.001 }
    assert(reqs.any? { |(cap, sel, _)| cap & Gazette::CAP_APPEND != 0 && sel == "name=#{journal}" },
           "no APPEND token scoped to #{journal}: #{reqs.inspect}")
  end

  def test_token_provider_failures
    c = new_client(mutual: true, auth: true, token_provider: ->(*) { raise "the authorization service is down" }, **mtls)
    err = assert_fails(Gazette::AuthTokenProviderError, "returned 1", c)
    assert_kind_of Gazette::AuthError, err
    refute_includes err.message, "authorization service is down"
    assert_fails(Gazette::AuthTokenProviderError, "returned 3", new_client(mutual: true, auth: true, **mtls) { nil })
    read_only = sign(AUTH_KEY, Gazette::CAP_READ, Time.now + 60)
    assert_fails(Gazette::AuthCapabilityMissing, "capability", new_client(mutual: true, auth: true, **mtls) { read_only })
    assert_raises(ArgumentError) { Gazette::Client.new(endpoints: ["https://127.0.0.1:1"], token_provider: 42) }
  end

  # A collected client's provider is forgotten after its native client is freed.
  def test_provider_is_held_for_the_clients_life
    c = new_client(mutual: true, auth: true, **mtls) { |cap, _, life| sign(AUTH_KEY, cap, Time.now + life) }
    GC.start
    c.list # the block is still reachable through the registry, not the caller
    count = Gazette::TokenProviders.instance_variable_get(:@providers).size
    c.close
    @clients.delete(c)
    assert_equal count - 1, Gazette::TokenProviders.instance_variable_get(:@providers).size
  end

  # A provider call still under way when its client is closed and freed (its
  # id forgotten) finishes without harm, and the pending call fails.
  def test_provider_call_outlived_by_its_client
    entered = Queue.new
    release = Queue.new
    c = Gazette::Client.new(endpoints: [self.class.broker(mutual: true, auth: true)], **mtls) do |cap, _, life|
      entered << true
      release.pop
      sign(AUTH_KEY, cap, Time.now + life)
    end
    lister = Thread.new do
      c.list
      nil
    rescue Gazette::Error => e
      e
    end
    entered.pop
    c.close(timeout: 0)
    release << true
    assert_kind_of Gazette::Error, lister.value
  end
end
