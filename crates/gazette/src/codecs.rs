//! Streaming decompressors for the codecs of Gazette fragment files.
//!
//! Every decoder here is a plain [`std::io::Read`] adapter over the raw file
//! bytes, so a fragment is decoded as it streams in and never held whole in
//! memory. [`crate::fragment_reader`] runs them on a blocking thread.

use std::io::{self, Read};

use crate::protocol::CompressionCodec;

/// A boxed blocking byte source, as consumed and produced by the decoders.
pub type BoxRead = Box<dyn Read + Send>;

/// Wraps `raw`, the bytes of a fragment file written with `codec`, in a
/// reader yielding the fragment's uncompressed journal content.
///
/// * NONE and GZIP_OFFLOAD_DECOMPRESSION pass bytes through unchanged (for the
///   latter the store is asked to decompress; see
///   [`crate::fragment_reader`] for the fallback when it does not).
/// * GZIP decodes every concatenated member: brokers since v0.102 close one
///   gzip member per compression batch.
/// * SNAPPY is the framing (stream) format, not raw snappy blocks.
/// * ZSTANDARD decodes any number of consecutive zstd frames.
///
/// INVALID or an unknown codec value is an error.
pub fn decompressor(codec: i32, raw: BoxRead) -> io::Result<BoxRead> {
    match CompressionCodec::try_from(codec) {
        Ok(CompressionCodec::None) | Ok(CompressionCodec::GzipOffloadDecompression) => Ok(raw),
        Ok(CompressionCodec::Gzip) => Ok(Box::new(flate2::read::MultiGzDecoder::new(raw))),
        Ok(CompressionCodec::Snappy) => Ok(Box::new(snap::read::FrameDecoder::new(raw))),
        // `Decoder::new` adds its own input buffer and, unless told
        // `single_frame`, carries on into the next frame at a frame's end.
        Ok(CompressionCodec::Zstandard) => Ok(Box::new(zstd::stream::read::Decoder::new(raw)?)),
        Ok(CompressionCodec::Invalid) | Err(_) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid CompressionCodec ({codec})"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const TEXT: &[u8] = b"hello, gazette! hello, gazette! hello, gazette!\n";

    fn decode(codec: CompressionCodec, raw: Vec<u8>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        decompressor(codec as i32, Box::new(io::Cursor::new(raw)))?.read_to_end(&mut out)?;
        Ok(out)
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn snappy(data: &[u8]) -> Vec<u8> {
        let mut enc = snap::write::FrameEncoder::new(Vec::new());
        enc.write_all(data).unwrap();
        enc.into_inner().unwrap()
    }

    fn zstd_frame(data: &[u8]) -> Vec<u8> {
        zstd::stream::encode_all(data, 3).unwrap()
    }

    #[test]
    fn pass_through_codecs_return_raw_bytes() {
        assert_eq!(decode(CompressionCodec::None, TEXT.to_vec()).unwrap(), TEXT);
        assert_eq!(
            decode(CompressionCodec::GzipOffloadDecompression, TEXT.to_vec()).unwrap(),
            TEXT
        );
    }

    #[test]
    fn gzip_decodes_every_member() {
        let mut raw = gzip(&TEXT[..10]);
        raw.extend(gzip(&TEXT[10..30]));
        raw.extend(gzip(&TEXT[30..]));
        assert_eq!(decode(CompressionCodec::Gzip, raw).unwrap(), TEXT);
    }

    #[test]
    fn snappy_uses_the_framing_format() {
        assert_eq!(
            decode(CompressionCodec::Snappy, snappy(TEXT)).unwrap(),
            TEXT
        );
        // A raw snappy block (no stream identifier) is not a fragment encoding.
        let block = snap::raw::Encoder::new().compress_vec(TEXT).unwrap();
        let err = decode(CompressionCodec::Snappy, block).unwrap_err();
        assert!(err.to_string().contains("snappy"), "{err}");
    }

    #[test]
    fn zstd_decodes_consecutive_frames() {
        let mut raw = zstd_frame(&TEXT[..20]);
        raw.extend(zstd_frame(&TEXT[20..]));
        assert_eq!(decode(CompressionCodec::Zstandard, raw).unwrap(), TEXT);
    }

    #[test]
    fn gzip_data_under_the_snappy_codec_is_corrupt() {
        let err = decode(CompressionCodec::Snappy, gzip(TEXT)).unwrap_err();
        assert!(err.to_string().contains("snappy: corrupt input"), "{err}");
    }

    #[test]
    fn invalid_codecs_are_rejected() {
        for codec in [0, 99] {
            let err = decompressor(codec, Box::new(io::empty())).err().unwrap();
            assert_eq!(
                err.to_string(),
                format!("invalid CompressionCodec ({codec})")
            );
        }
    }
}
