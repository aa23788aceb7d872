//! A FragmentReader verifies content before handing it out: large
//! fragments (held partly in a temp file) come back exactly, from any
//! offset; a single wrong byte anywhere, even the last, fails the open
//! before any byte is delivered.

use std::io::Write;

use gazette::fragment_reader::FragmentReader;
use gazette::protocol::{CompressionCodec, Fragment, Sha1Sum};
use gazette::Error;
use sha1::{Digest, Sha1};

/// 6 MiB: more than the 4 MiB a reader holds in memory.
fn content() -> Vec<u8> {
    (0..6u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

fn encode(codec: CompressionCodec, data: &[u8]) -> Vec<u8> {
    match codec {
        CompressionCodec::None => data.to_vec(),
        CompressionCodec::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(data).unwrap();
            enc.finish().unwrap()
        }
        CompressionCodec::Snappy => {
            let mut enc = snap::write::FrameEncoder::new(Vec::new());
            enc.write_all(data).unwrap();
            enc.into_inner().unwrap()
        }
        CompressionCodec::Zstandard => zstd::stream::encode_all(data, 1).unwrap(),
        other => unreachable!("{other:?}"),
    }
}

fn fragment(codec: CompressionCodec, content: &[u8], begin: i64) -> Fragment {
    let digest: [u8; 20] = Sha1::digest(content).into();
    Fragment {
        journal: "verify/journal".into(),
        begin,
        end: begin + content.len() as i64,
        compression_codec: codec as i32,
        sum: Some(Sha1Sum::from_digest(digest)),
        ..Default::default()
    }
}

async fn read_all(mut reader: FragmentReader) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    while let Some(chunk) = reader.next_chunk(usize::MAX).await? {
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

const CODECS: [CompressionCodec; 4] = [
    CompressionCodec::None,
    CompressionCodec::Gzip,
    CompressionCodec::Snappy,
    CompressionCodec::Zstandard,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_fragments_come_back_exactly_from_any_offset() {
    let content = content();
    let begin = 1000;
    for codec in CODECS {
        let file = encode(codec, &content);
        for skip in [0usize, 1 << 20, (5 << 20) + 3, content.len()] {
            let reader = FragmentReader::new(
                Box::new(std::io::Cursor::new(file.clone())),
                fragment(codec, &content, begin),
                begin + skip as i64,
            )
            .await
            .unwrap_or_else(|err| panic!("{codec:?} from {skip}: {err}"));
            let got = read_all(reader).await.unwrap();
            assert!(got == content[skip..], "{codec:?} from {skip}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_wrong_byte_fails_the_open_before_any_byte() {
    let content = content();
    for codec in CODECS {
        // The file is right; its content differs from what the sum covers
        // in the last byte only (as if a bit flipped before compression).
        let mut wrong = content.clone();
        *wrong.last_mut().unwrap() ^= 0x40;
        let file = encode(codec, &wrong);
        let err = FragmentReader::new(
            Box::new(std::io::Cursor::new(file)),
            fragment(codec, &content, 0),
            1 << 20,
        )
        .await
        .expect_err("a wrong last byte fails the open");
        let text = err.to_string();
        assert!(
            matches!(err.cause(), Error::Codec(_))
                && text.starts_with("fragment verify/journal 0-6291456: ")
                && text.contains("does not match the fragment's SHA-1 sum"),
            "{codec:?}: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_sum_compressed_content_is_verified_by_its_checksum() {
    let content = content();
    for codec in [CompressionCodec::Gzip, CompressionCodec::Zstandard] {
        let mut file = match codec {
            CompressionCodec::Gzip => encode(codec, &content),
            // zstd writes a content checksum only when asked.
            _ => {
                let mut enc = zstd::stream::Encoder::new(Vec::new(), 1).unwrap();
                enc.include_checksum(true).unwrap();
                enc.write_all(&content).unwrap();
                enc.finish().unwrap()
            }
        };
        // Damage the checksum itself (gzip: CRC32 before the trailing
        // length; zstd: the frame's last 4 bytes), so every content byte
        // still decodes and only the checksum can tell.
        let at = match codec {
            CompressionCodec::Gzip => file.len() - 8,
            _ => file.len() - 4,
        };
        file[at] ^= 0xff;
        let mut unsummed = fragment(codec, &content, 0);
        unsummed.sum = None;
        let err = FragmentReader::new(Box::new(std::io::Cursor::new(file)), unsummed, 0)
            .await
            .expect_err("a bad checksum fails the open");
        assert!(matches!(err.cause(), Error::Codec(_)), "{codec:?}: {err:?}");
    }
}
