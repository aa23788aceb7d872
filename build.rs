//! Link arguments of the C shared library. ELF: a soname carrying the
//! ABI version, `-z nodelete` (unloading a Rust library whose thread-local
//! destructors are registered can crash at thread exit), and a version
//! script exporting only `gazette_*`. macOS: the matching install name.

fn main() {
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
