//! Each fragment decoder fed arbitrary file bytes (the first byte picks
//! the codec: NONE, GZIP, SNAPPY, ZSTANDARD). Decoding may fail, never
//! panic; output is capped so a decompression bomb ends the case rather
//! than exhausting memory.
#![no_main]

use std::io::Read;

use gazette::codecs::decompressor;
use gazette_protocol::CompressionCodec;
use libfuzzer_sys::fuzz_target;

const MAX_OUTPUT: u64 = 16 << 20;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, file)) = data.split_first() else {
        return;
    };
    let codec = match kind % 4 {
        0 => CompressionCodec::None,
        1 => CompressionCodec::Gzip,
        2 => CompressionCodec::Snappy,
        _ => CompressionCodec::Zstandard,
    };
    let raw: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(file.to_vec()));
    let Ok(decoder) = decompressor(codec as i32, raw) else {
        return;
    };
    let mut sink = Vec::new();
    let _ = decoder.take(MAX_OUTPUT).read_to_end(&mut sink);
});
