//! Holding a directly read fragment's content back until it is verified.
//!
//! GZIP and ZSTANDARD check their content checksums only at the end of a
//! member or frame, and a fragment's SHA-1 sum (`Fragment.sum`, over its
//! uncompressed content) can be checked only once every byte is decoded. So
//! that a damaged file never yields a wrong byte, the decoder thread of a
//! [`crate::fragment_reader::FragmentReader`] decodes the whole fragment
//! first, keeping what the reader will hand out ([`Held`]: memory up to
//! [`HOLD_IN_MEMORY`], then an unlinked temp file), and releases it only once
//! the checks pass.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Write};

use bytes::{Bytes, BytesMut};
use sha1::{Digest, Sha1};

use super::error::{Error, Result};
use crate::protocol::{CompressionCodec, Fragment, Sha1Sum};

/// Decoded bytes a reader keeps in memory while verifying; the rest go to a
/// temp file, so a large fragment costs disk, not memory.
pub const HOLD_IN_MEMORY: usize = 4 << 20;

/// Whether content read with `codec` must be held back until verified:
/// always when the fragment's sum is known, and for codecs whose checksums
/// come at the end (a gunzipped HTTP body counts as GZIP). Without a sum,
/// NONE has nothing to check and SNAPPY checks each chunk before it is
/// decoded, so they stream.
pub fn must_hold(codec: i32, gunzip_first: bool, sum: Option<&Sha1Check>) -> bool {
    sum.is_some()
        || gunzip_first
        || matches!(
            CompressionCodec::try_from(codec),
            Ok(CompressionCodec::Gzip | CompressionCodec::Zstandard)
        )
}

/// The running SHA-1 of a fragment's content, checked against its sum.
pub struct Sha1Check {
    context: Sha1,
    want: Sha1Sum,
}

impl Sha1Check {
    /// A check for `fragment`, or `None` if it carries no sum (the all-zero
    /// sum means "none" in Gazette).
    pub fn for_fragment(fragment: &Fragment) -> Option<Self> {
        let want = fragment.sum.filter(|sum| !sum.is_zero())?;
        Some(Sha1Check {
            context: Sha1::new(),
            want,
        })
    }

    /// Adds the next bytes of the fragment's content.
    pub fn update(&mut self, content: &[u8]) {
        self.context.update(content);
    }

    /// Fails with [`Error::Codec`] naming both sums if the content read
    /// differs from the fragment's.
    pub fn verify(self) -> Result<()> {
        let got = Sha1Sum::from_digest(self.context.finalize().into());
        if got == self.want {
            return Ok(());
        }
        Err(Error::Codec(format!(
            "content does not match the fragment's SHA-1 sum (read {}, expected {})",
            got.to_hex(),
            self.want.to_hex()
        )))
    }
}

/// Decoded chunks waiting for verification: in memory up to
/// [`HOLD_IN_MEMORY`], then appended to an unlinked temp file.
#[derive(Default)]
pub struct Held {
    memory: VecDeque<Bytes>,
    in_memory: usize,
    file: Option<BufWriter<File>>,
    in_file: u64,
}

impl Held {
    /// Keeps `chunk`, after those pushed before it.
    pub fn push(&mut self, chunk: Bytes) -> Result<()> {
        if self.file.is_none() && self.in_memory + chunk.len() <= HOLD_IN_MEMORY {
            self.in_memory += chunk.len();
            self.memory.push_back(chunk);
            return Ok(());
        }
        if self.file.is_none() {
            let file = tempfile::tempfile().map_err(hold_error)?;
            self.file = Some(BufWriter::with_capacity(1 << 20, file));
        }
        let file = self.file.as_mut().expect("file is set");
        file.write_all(&chunk).map_err(hold_error)?;
        self.in_file += chunk.len() as u64;
        Ok(())
    }

    /// Hands every held byte to `send`, in order, in chunks of at most
    /// `chunk_size`; stops early (Ok) when `send` returns false.
    pub fn release(mut self, chunk_size: usize, mut send: impl FnMut(Bytes) -> bool) -> Result<()> {
        while let Some(chunk) = self.memory.pop_front() {
            if !send(chunk) {
                return Ok(());
            }
        }
        let Some(file) = self.file.take() else {
            return Ok(());
        };
        let mut file = file
            .into_inner()
            .map_err(|err| hold_error(err.into_error()))?;
        file.rewind().map_err(hold_error)?;
        let mut left = self.in_file;
        while left > 0 {
            let mut buf = BytesMut::zeroed(chunk_size.min(left as usize));
            file.read_exact(&mut buf).map_err(hold_error)?;
            left -= buf.len() as u64;
            if !send(buf.freeze()) {
                return Ok(());
            }
        }
        Ok(())
    }
}

fn hold_error(err: io::Error) -> Error {
    Error::Io(std::sync::Arc::new(io::Error::new(
        err.kind(),
        format!("holding fragment content for verification in a temp file: {err}"),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragment_with_sum(content: &[u8]) -> Fragment {
        Fragment {
            sum: Some(Sha1Sum::from_digest(Sha1::digest(content).into())),
            ..Default::default()
        }
    }

    #[test]
    fn sha1_check_accepts_the_content_and_names_both_sums_otherwise() {
        let fragment = fragment_with_sum(b"hello, gazette");
        let mut check = Sha1Check::for_fragment(&fragment).unwrap();
        check.update(b"hello, ");
        check.update(b"gazette");
        check.verify().unwrap();

        let mut check = Sha1Check::for_fragment(&fragment).unwrap();
        check.update(b"hello, gazettE");
        let err = check.verify().unwrap_err().to_string();
        let want = fragment.sum.unwrap().to_hex();
        assert!(err.contains(&format!("expected {want}")), "{err}");
        assert!(err.starts_with("content does not match"), "{err}");
    }

    #[test]
    fn a_zero_or_missing_sum_is_no_check() {
        assert!(Sha1Check::for_fragment(&Fragment::default()).is_none());
        let zero = Fragment {
            sum: Some(Sha1Sum::default()),
            ..Default::default()
        };
        assert!(Sha1Check::for_fragment(&zero).is_none());
    }

    #[test]
    fn must_hold_follows_the_codec_and_the_sum() {
        let sum = Sha1Check::for_fragment(&fragment_with_sum(b"x"));
        for codec in [CompressionCodec::Gzip, CompressionCodec::Zstandard] {
            assert!(must_hold(codec as i32, false, None));
        }
        for codec in [CompressionCodec::None, CompressionCodec::Snappy] {
            assert!(!must_hold(codec as i32, false, None));
            assert!(must_hold(codec as i32, false, sum.as_ref()));
            assert!(must_hold(codec as i32, true, None));
        }
    }

    #[test]
    fn held_bytes_come_back_in_order_from_memory_then_the_file() {
        let mut held = Held::default();
        let mut want = Vec::new();
        for i in 0..100u32 {
            // 100 x 64 KiB: 4 MiB in memory, the rest in the file.
            let chunk: Vec<u8> = (0..65536u32).map(|j| (i * 7 + j) as u8).collect();
            want.extend_from_slice(&chunk);
            held.push(Bytes::from(chunk)).unwrap();
        }
        assert!(held.file.is_some());
        let mut got = Vec::new();
        held.release(50_000, |chunk| {
            assert!(chunk.len() <= 65536);
            got.extend_from_slice(&chunk);
            true
        })
        .unwrap();
        assert_eq!(got.len(), want.len());
        assert!(got == want);
    }
}
