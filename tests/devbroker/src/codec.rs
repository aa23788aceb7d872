//! Fragment file encodings (§4.2): what the broker writes to its store and how
//! it decodes a stored file to serve it.

use std::io::{self, Read, Write};

use gazette_protocol::CompressionCodec;

fn codec_of(codec: i32) -> io::Result<CompressionCodec> {
    match CompressionCodec::try_from(codec) {
        Ok(CompressionCodec::Invalid) | Err(_) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid compression codec ({codec})"),
        )),
        Ok(c) => Ok(c),
    }
}

/// Encodes fragment content for a file in `codec`.
pub(crate) fn compress(codec: i32, content: &[u8]) -> io::Result<Vec<u8>> {
    match codec_of(codec)? {
        CompressionCodec::None => Ok(content.to_vec()),
        CompressionCodec::Gzip | CompressionCodec::GzipOffloadDecompression => {
            let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            w.write_all(content)?;
            w.finish()
        }
        CompressionCodec::Snappy => {
            // The framing (stream) format, as Gazette writes it.
            let mut w = snap::write::FrameEncoder::new(Vec::new());
            w.write_all(content)?;
            w.into_inner().map_err(|e| e.into_error())
        }
        CompressionCodec::Zstandard => zstd::stream::encode_all(content, 0),
        CompressionCodec::Invalid => unreachable!(),
    }
}

/// Decodes a whole fragment file written in `codec`.
pub(crate) fn decompress(codec: i32, file: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    match codec_of(codec)? {
        CompressionCodec::None => out.extend_from_slice(file),
        CompressionCodec::Gzip | CompressionCodec::GzipOffloadDecompression => {
            // Brokers since v0.102 write several gzip members per file.
            flate2::read::MultiGzDecoder::new(file).read_to_end(&mut out)?;
        }
        CompressionCodec::Snappy => {
            snap::read::FrameDecoder::new(file).read_to_end(&mut out)?;
        }
        CompressionCodec::Zstandard => {
            zstd::stream::read::Decoder::new(file)?.read_to_end(&mut out)?;
        }
        CompressionCodec::Invalid => unreachable!(),
    }
    Ok(out)
}
