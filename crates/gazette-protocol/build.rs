//! Compiles proto/protocol.proto into prost messages plus tonic client and
//! server stubs. `protox` parses the .proto in pure Rust, so no system `protoc`
//! is needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
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
