//! Compiles proto/protocol.proto into prost messages plus tonic client and
//! server stubs. `protox` parses the .proto in pure Rust, so no system `protoc`
//! is needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    c_library_link_args();
    println!("cargo:rerun-if-changed=proto/protocol.proto");
    let fds = protox::compile(["protocol.proto"], ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // Content travels as `Bytes` so reads and appends can avoid copies.
        .bytes(".protocol.ReadResponse.content")
        .bytes(".protocol.AppendRequest.content")
        .bytes(".protocol.ReplicateRequest.content")
        .compile_fds(fds)?;
    Ok(())
}

/// Link arguments of the C shared library. ELF: a soname carrying the
/// ABI version, `-z nodelete` (unloading a Rust library whose thread-local
/// destructors are registered can crash at thread exit), and a version
/// script exporting only `gazette_*`. macOS: the matching install name.
fn c_library_link_args() {
    println!("cargo:rerun-if-changed=gazette.map");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "freebsd" || os == "android" {
        let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libgazette.so.0");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
        println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={dir}/gazette.map");
    } else if os == "macos" {
        // The install name carries the same ABI version as the soname.
        println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libgazette.0.dylib");
    }
}
