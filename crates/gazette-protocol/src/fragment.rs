//! Fragment naming: SHA-1 sums, codec file extensions, and the
//! content-addressed file names and paths under which brokers persist
//! fragments in a store (`<begin>-<end>-<sha1><ext>`, see Gazette's
//! `fragment_extensions.go`).

use super::error::invalid;
use super::{path, CompressionCodec, Fragment, Sha1Sum, ValidationError};
use crate::validate::Validate;

impl Sha1Sum {
    /// Splits a 20-byte digest big-endian into `part1` (bytes 0..8),
    /// `part2` (8..16) and `part3` (16..20), as Gazette does.
    pub fn from_digest(digest: [u8; 20]) -> Self {
        let mut p1 = [0u8; 8];
        let mut p2 = [0u8; 8];
        let mut p3 = [0u8; 4];
        p1.copy_from_slice(&digest[0..8]);
        p2.copy_from_slice(&digest[8..16]);
        p3.copy_from_slice(&digest[16..20]);
        Sha1Sum {
            part1: u64::from_be_bytes(p1),
            part2: u64::from_be_bytes(p2),
            part3: u32::from_be_bytes(p3),
        }
    }

    /// The 20-byte digest (inverse of [`Sha1Sum::from_digest`]).
    pub fn to_digest(&self) -> [u8; 20] {
        let mut out = [0u8; 20];
        out[0..8].copy_from_slice(&self.part1.to_be_bytes());
        out[8..16].copy_from_slice(&self.part2.to_be_bytes());
        out[16..20].copy_from_slice(&self.part3.to_be_bytes());
        out
    }

    /// The digest as 40 lowercase hex digits, as used in fragment file names.
    pub fn to_hex(&self) -> String {
        use std::fmt::Write;
        self.to_digest()
            .iter()
            .fold(String::with_capacity(40), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            })
    }

    /// Parses 40 hex digits (either case). Errors use Go's wording:
    /// `encoding/hex: ...` for bad hex, `invalid SHA1Sum length: <hex>` for a
    /// well-formed digest of the wrong size.
    pub fn from_hex(s: &str) -> Result<Self, ValidationError> {
        let bytes = decode_hex(s)?;
        match <[u8; 20]>::try_from(bytes.as_slice()) {
            Ok(digest) => Ok(Self::from_digest(digest)),
            Err(_) => invalid!("invalid SHA1Sum length: {}", s.to_ascii_lowercase()),
        }
    }

    /// Whether this is the all-zero sum, which Gazette uses for fragments
    /// without content (rather than the SHA-1 of empty input).
    pub fn is_zero(&self) -> bool {
        *self == Sha1Sum::default()
    }
}

/// Decodes hex like Go's `hex.DecodeString`, with its error texts.
fn decode_hex(s: &str) -> Result<Vec<u8>, ValidationError> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bad = |c: char| {
        ValidationError::new(format!(
            "encoding/hex: invalid byte: U+{:04X} '{c}'",
            c as u32
        ))
    };
    // Go reports the first invalid character (scanning bytes, shown as runes
    // here) before an odd length.
    if let Some(c) = s.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(bad(c));
    }
    if s.len() % 2 == 1 {
        return invalid!("encoding/hex: odd length hex string");
    }
    Ok(s.as_bytes()
        .chunks(2)
        .map(|p| (nibble(p[0]).unwrap() << 4) | nibble(p[1]).unwrap())
        .collect())
}

/// The default file extension of `codec` (including the dot), or `None` for
/// `INVALID`. GZIP_OFFLOAD_DECOMPRESSION's default is the empty string.
pub fn codec_extension(codec: CompressionCodec) -> Option<&'static str> {
    match codec {
        CompressionCodec::Invalid => None,
        CompressionCodec::None => Some(".raw"),
        CompressionCodec::Gzip => Some(".gz"),
        CompressionCodec::Zstandard => Some(".zst"),
        CompressionCodec::Snappy => Some(".sz"),
        CompressionCodec::GzipOffloadDecompression => Some(""),
    }
}

/// Maps a file extension (with its dot; matched case-insensitively) to a
/// codec. Besides the defaults it accepts `.gzip`, `.zstandard`, `.snappy`
/// and `.gzod`; an empty extension means GZIP_OFFLOAD_DECOMPRESSION.
pub fn codec_from_extension(ext: &str) -> Result<CompressionCodec, ValidationError> {
    Ok(match ext.to_ascii_lowercase().as_str() {
        ".raw" => CompressionCodec::None,
        ".gz" | ".gzip" => CompressionCodec::Gzip,
        ".zst" | ".zstandard" => CompressionCodec::Zstandard,
        ".sz" | ".snappy" => CompressionCodec::Snappy,
        "" | ".gzod" => CompressionCodec::GzipOffloadDecompression,
        _ => return invalid!("unrecognized compression extension: {ext}"),
    })
}

/// The content-addressed file name of `fragment`:
/// `<begin %016x>-<end %016x>-<sha1 hex><ext>`. An unknown or INVALID codec
/// contributes no extension (Go panics there; a name is more useful).
pub fn content_name(fragment: &Fragment) -> String {
    let sum = fragment.sum.unwrap_or_default();
    let ext = CompressionCodec::try_from(fragment.compression_codec)
        .ok()
        .and_then(codec_extension)
        .unwrap_or("");
    format!(
        "{:016x}-{:016x}-{}{}",
        fragment.begin,
        fragment.end,
        sum.to_hex(),
        ext
    )
}

/// The path of `fragment` relative to its store root:
/// `<journal>/<path_postfix>/<content name>`, path-joined so that an empty
/// postfix disappears.
pub fn content_path(fragment: &Fragment) -> String {
    path::join(&[
        &fragment.journal,
        &fragment.path_postfix,
        &content_name(fragment),
    ])
}

/// Number of content bytes the fragment covers (`end - begin`).
pub fn content_length(fragment: &Fragment) -> i64 {
    fragment.end - fragment.begin
}

/// Parses a fragment from its path relative to `journal`'s directory in a
/// store: an optional postfix directory, then the content name and
/// extension. E.g. `a=1/b=2/00000000499602d2-7fffffffffffffff-<sha1>.gz`.
/// The result is validated; errors carry Go's texts.
pub fn parse_fragment_from_relative_path(
    journal: &str,
    rel_path: &str,
) -> Result<Fragment, ValidationError> {
    let (postfix, base) = match rel_path.rsplit_once('/') {
        Some((dir, base)) => (dir, base),
        None => ("", rel_path),
    };
    // Like Go's path.Ext: from the last dot of the base name, if any.
    let (stem, ext) = match base.rfind('.') {
        Some(i) => (&base[..i], &base[i..]),
        None => (base, ""),
    };
    let fields: Vec<&str> = stem.split('-').collect();
    if fields.len() != 3 {
        return invalid!("wrong Fragment format: {stem}");
    }
    let begin = parse_hex_i64(fields[0]).map_err(|e| e.context("Begin"))?;
    let end = parse_hex_i64(fields[1]).map_err(|e| e.context("End"))?;
    let digest = decode_hex(fields[2]).map_err(|e| e.context("Sum"))?;
    let Ok(digest) = <[u8; 20]>::try_from(digest.as_slice()) else {
        return invalid!("invalid SHA1Sum length: {}", fields[2].to_ascii_lowercase());
    };
    let codec = codec_from_extension(ext)?;

    let fragment = Fragment {
        journal: journal.to_string(),
        begin,
        end,
        sum: Some(Sha1Sum::from_digest(digest)),
        compression_codec: codec as i32,
        path_postfix: postfix.to_string(),
        ..Default::default()
    };
    fragment.validate()?;
    Ok(fragment)
}

/// Parses a signed hex integer like Go's `strconv.ParseInt(s, 16, 64)`.
fn parse_hex_i64(s: &str) -> Result<i64, ValidationError> {
    use std::num::IntErrorKind::*;
    i64::from_str_radix(s, 16).map_err(|e| {
        let why = match e.kind() {
            PosOverflow | NegOverflow => "value out of range",
            _ => "invalid syntax",
        };
        ValidationError::new(format!("strconv.ParseInt: parsing {s:?}: {why}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0102030405060708090a0b0c0d0e0f1011121314";

    fn digest() -> [u8; 20] {
        let mut d = [0u8; 20];
        for (i, b) in d.iter_mut().enumerate() {
            *b = i as u8 + 1;
        }
        d
    }

    fn example() -> Fragment {
        Fragment {
            journal: "a/journal".into(),
            begin: 1234567890,
            end: i64::MAX,
            sum: Some(Sha1Sum::from_digest(digest())),
            compression_codec: CompressionCodec::Gzip as i32,
            ..Default::default()
        }
    }

    #[test]
    fn sha1_sum_splits_big_endian() {
        let sum = Sha1Sum::from_digest(digest());
        assert_eq!(sum.part1, 0x0102030405060708);
        assert_eq!(sum.part2, 0x090a0b0c0d0e0f10);
        assert_eq!(sum.part3, 0x11121314);
        assert_eq!(sum.to_digest(), digest());
        assert_eq!(sum.to_hex(), HEX);
        assert_eq!(Sha1Sum::from_hex(HEX).unwrap(), sum);
        assert_eq!(Sha1Sum::from_hex(&HEX.to_uppercase()).unwrap(), sum);
        assert!(!sum.is_zero());
        assert!(Sha1Sum::default().is_zero());
        assert_eq!(Sha1Sum::default().to_hex(), "0".repeat(40));
    }

    #[test]
    fn sha1_sum_hex_errors() {
        assert_eq!(
            Sha1Sum::from_hex("0102").unwrap_err().to_string(),
            "invalid SHA1Sum length: 0102"
        );
        assert_eq!(
            Sha1Sum::from_hex("010").unwrap_err().to_string(),
            "encoding/hex: odd length hex string"
        );
        assert_eq!(
            Sha1Sum::from_hex("01zz").unwrap_err().to_string(),
            "encoding/hex: invalid byte: U+007A 'z'"
        );
    }

    #[test]
    fn codec_extensions() {
        use CompressionCodec::*;
        for (codec, ext) in [
            (None, ".raw"),
            (Gzip, ".gz"),
            (Zstandard, ".zst"),
            (Snappy, ".sz"),
            (GzipOffloadDecompression, ""),
        ] {
            assert_eq!(codec_extension(codec), Some(ext));
            assert_eq!(codec_from_extension(ext).unwrap(), codec);
        }
        assert_eq!(codec_extension(Invalid), Option::None);
        for (ext, codec) in [
            (".gzip", Gzip),
            (".GZ", Gzip),
            (".zstandard", Zstandard),
            (".ZsT", Zstandard),
            (".snappy", Snappy),
            (".gzod", GzipOffloadDecompression),
            (".GZOD", GzipOffloadDecompression),
            (".RAW", None),
        ] {
            assert_eq!(codec_from_extension(ext).unwrap(), codec, "{ext}");
        }
        assert_eq!(
            codec_from_extension(".bz2").unwrap_err().to_string(),
            "unrecognized compression extension: .bz2"
        );
    }

    #[test]
    fn content_name_and_path() {
        let mut f = example();
        let name = format!("00000000499602d2-7fffffffffffffff-{HEX}.gz");
        assert_eq!(content_name(&f), name);
        assert_eq!(content_path(&f), format!("a/journal/{name}"));
        f.path_postfix = "a=1/b=2".into();
        assert_eq!(content_path(&f), format!("a/journal/a=1/b=2/{name}"));

        f.compression_codec = CompressionCodec::GzipOffloadDecompression as i32;
        assert_eq!(
            content_name(&f),
            format!("00000000499602d2-7fffffffffffffff-{HEX}")
        );
        f.compression_codec = CompressionCodec::Snappy as i32;
        assert!(content_name(&f).ends_with(".sz"));
        assert_eq!(content_length(&f), i64::MAX - 1234567890);
    }

    #[test]
    fn parse_success_cases() {
        let name = format!("00000000499602d2-7fffffffffffffff-{HEX}.gz");
        let f = parse_fragment_from_relative_path("a/journal", &name).unwrap();
        assert_eq!(f, example());

        // A postfix directory is kept as path_postfix.
        let f = parse_fragment_from_relative_path("a/journal", &format!("a=1/b=2/{name}")).unwrap();
        assert_eq!(
            f,
            Fragment {
                path_postfix: "a=1/b=2".into(),
                ..example()
            }
        );
        assert_eq!(content_path(&f), format!("a/journal/a=1/b=2/{name}"));

        // No extension means GZIP_OFFLOAD_DECOMPRESSION.
        let f = parse_fragment_from_relative_path(
            "a/journal",
            &format!("00000000499602d2-7fffffffffffffff-{HEX}"),
        )
        .unwrap();
        assert_eq!(
            f,
            Fragment {
                compression_codec: CompressionCodec::GzipOffloadDecompression as i32,
                ..example()
            }
        );

        // An empty spool: begin == end and an all-zero sum.
        let zero = "0".repeat(40);
        let f = parse_fragment_from_relative_path(
            "a/journal",
            &format!("00000000499602d2-00000000499602d2-{zero}.raw"),
        )
        .unwrap();
        assert_eq!(f.begin, f.end);
        assert!(f.sum.unwrap().is_zero());
        assert_eq!(f.compression_codec, CompressionCodec::None as i32);

        // Round trip through content_path for every codec.
        for codec in [
            CompressionCodec::None,
            CompressionCodec::Gzip,
            CompressionCodec::Zstandard,
            CompressionCodec::Snappy,
            CompressionCodec::GzipOffloadDecompression,
        ] {
            let f = Fragment {
                compression_codec: codec as i32,
                path_postfix: "utc_date=2026-11-25/utc_hour=17".into(),
                ..example()
            };
            let rel = content_path(&f)["a/journal/".len()..].to_string();
            assert_eq!(
                parse_fragment_from_relative_path("a/journal", &rel).unwrap(),
                f
            );
        }
    }

    #[test]
    fn parse_error_cases() {
        let err = |rel: &str| {
            parse_fragment_from_relative_path("a/journal", rel)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(&format!("00000000499602d2-7fffffffffffffff-{HEX}-extra.gz")),
            format!("wrong Fragment format: 00000000499602d2-7fffffffffffffff-{HEX}-extra")
        );
        assert_eq!(
            err(&format!("0000000049960zzz-7fffffffffffffff-{HEX}.gz")),
            "Begin: strconv.ParseInt: parsing \"0000000049960zzz\": invalid syntax"
        );
        assert_eq!(
            err(&format!("00000000499602d2-7fffffffffffffzz-{HEX}.gz")),
            "End: strconv.ParseInt: parsing \"7fffffffffffffzz\": invalid syntax"
        );
        assert_eq!(
            err(&format!("00000000499602d2-ffffffffffffffff-{HEX}.gz")),
            "End: strconv.ParseInt: parsing \"ffffffffffffffff\": value out of range"
        );
        assert_eq!(
            err("00000000499602d2-7fffffffffffffff-0102030405060708090a0b0c0d0e0f10111213zz.gz"),
            "Sum: encoding/hex: invalid byte: U+007A 'z'"
        );
        assert_eq!(
            err("00000000499602d2-7fffffffffffffff-0102030405060708090a0b0c0d0e0f10111213.gz"),
            "invalid SHA1Sum length: 0102030405060708090a0b0c0d0e0f10111213"
        );
        assert_eq!(
            err(&format!("00000000499602d2-7fffffffffffffff-{HEX}.xyz")),
            "unrecognized compression extension: .xyz"
        );
        assert_eq!(
            err(&format!("7fffffffffffffff-00000000499602d2-{HEX}.gz")),
            "expected Begin <= End (have 9223372036854775807, 1234567890)"
        );
        // The postfix must be a clean relative path.
        assert_eq!(
            err(&format!(
                "a/../b/00000000499602d2-7fffffffffffffff-{HEX}.gz"
            )),
            "PathPostfix: must be a clean path (a/../b)"
        );
    }
}
