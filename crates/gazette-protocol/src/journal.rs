//! Names and tokens: journal-name validation, the `;meta` suffix, and the
//! restricted alphabets Gazette uses for label names/values, process ids and
//! path components (Go's `ValidateToken` / `ValidatePathComponent`).

use super::error::invalid;
use super::{path, ValidationError};

/// Shortest valid journal name, in bytes.
pub const MIN_JOURNAL_NAME_LEN: usize = 4;
/// Longest valid journal name (and `;meta` segment), in bytes.
pub const MAX_JOURNAL_NAME_LEN: usize = 512;
/// Label name length bounds.
pub const MIN_LABEL_LEN: usize = 2;
/// Label name length bounds.
pub const MAX_LABEL_LEN: usize = 64;
/// Longest label value.
pub const MAX_LABEL_VALUE_LEN: usize = 1024;
/// ProcessSpec.ID zone length bounds.
pub const MIN_ZONE_LEN: usize = 1;
/// ProcessSpec.ID zone length bounds.
pub const MAX_ZONE_LEN: usize = 32;
/// ProcessSpec.ID suffix length bounds.
pub const MIN_SUFFIX_LEN: usize = 4;
/// ProcessSpec.ID suffix length bounds.
pub const MAX_SUFFIX_LEN: usize = 128;

/// Symbols allowed in tokens besides Unicode letters and numbers.
pub const TOKEN_SYMBOLS: &str = "-_+/.";
/// Symbols allowed in path components (tokens plus `=` and `%`, as in
/// current Gazette; v0.89 did not allow `%`).
pub const PATH_SYMBOLS: &str = "-_+/.=%";
/// Symbols allowed in label values (current Gazette: as path components, so
/// `=` may appear in values but not in names).
pub const LABEL_VALUE_SYMBOLS: &str = "-_+/.=%";

/// Splits `journal` at its first `;` into the name and the metadata suffix
/// (which keeps its leading `;`; empty if there is none).
pub fn split_meta(journal: &str) -> (&str, &str) {
    match journal.find(';') {
        Some(i) => journal.split_at(i),
        None => (journal, ""),
    }
}

/// `journal` without any `;meta` suffix (`foo/bar;with/meta` -> `foo/bar`).
pub fn strip_meta(journal: &str) -> &str {
    split_meta(journal).0
}

/// Checks that `s` is `min..=max` bytes long (Go counts bytes) and made only
/// of Unicode letters, numbers and `symbols`.
fn validate_alphabet(
    s: &str,
    symbols: &str,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    let len = s.len();
    if len < min || len > max {
        return invalid!("invalid length ({len}; expected {min} <= length <= {max})");
    }
    // ASCII bytes are checked without decoding (the common case, and a hot
    // path of every append); anything else by its char's Unicode class.
    let allowed = |c: char| c.is_alphabetic() || c.is_numeric() || symbols.contains(c);
    let ok = if s.is_ascii() {
        // A bit per ASCII symbol, so each byte is one test.
        let table = symbols
            .bytes()
            .filter(u8::is_ascii)
            .fold(0u128, |t, b| t | 1 << b);
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || table & (1 << b) != 0)
    } else {
        s.chars().all(allowed)
    };
    if ok {
        Ok(())
    } else {
        invalid!("not a valid token ({s})")
    }
}

/// Validates a token (label names and values, zones, suffixes): length in
/// `min..=max` bytes; only letters, numbers and `-_+/.`.
pub fn validate_token(s: &str, min: usize, max: usize) -> Result<(), ValidationError> {
    validate_alphabet(s, TOKEN_SYMBOLS, min, max)
}

/// Validates a path component (journal names, fragment path postfixes):
/// length in `min..=max` bytes; letters, numbers and `-_+/.=%`; already clean
/// (as `path.Clean`); not rooted.
pub fn validate_path_component(s: &str, min: usize, max: usize) -> Result<(), ValidationError> {
    validate_alphabet(s, PATH_SYMBOLS, min, max)?;
    if !s.is_empty() && !path::is_clean(s) {
        return invalid!("must be a clean path ({s})");
    }
    if s.starts_with('/') {
        return invalid!("cannot begin with '/' ({s})");
    }
    Ok(())
}

/// Validates a journal name as used in requests: a path component of 4..=512
/// bytes, optionally followed by a `;meta` segment whose remainder is a path
/// component of 1..=512 bytes.
pub fn validate_journal_name(journal: &str) -> Result<(), ValidationError> {
    let (name, meta) = split_meta(journal);
    validate_path_component(name, MIN_JOURNAL_NAME_LEN, MAX_JOURNAL_NAME_LEN)?;
    if !meta.is_empty() {
        validate_path_component(&meta[1..], 1, MAX_JOURNAL_NAME_LEN)
            .map_err(|e| e.context("metadata path segment"))?;
    }
    Ok(())
}

/// Validates a label name (2..=64 token characters).
pub fn validate_label_name(name: &str) -> Result<(), ValidationError> {
    validate_token(name, MIN_LABEL_LEN, MAX_LABEL_LEN)
}

/// Validates a label value (0..=1024 letters, numbers or `-_+/.=%`).
pub fn validate_label_value(value: &str) -> Result<(), ValidationError> {
    validate_alphabet(value, LABEL_VALUE_SYMBOLS, 0, MAX_LABEL_VALUE_LEN)
}

/// Validates a ProcessSpec.ID zone (1..=32 token characters).
pub fn validate_zone(zone: &str) -> Result<(), ValidationError> {
    validate_token(zone, MIN_ZONE_LEN, MAX_ZONE_LEN)
}

/// Validates a ProcessSpec.ID suffix (4..=128 token characters).
pub fn validate_suffix(suffix: &str) -> Result<(), ValidationError> {
    validate_token(suffix, MIN_SUFFIX_LEN, MAX_SUFFIX_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(r: Result<(), ValidationError>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn meta_suffix() {
        assert_eq!(split_meta("foo/bar;with/meta"), ("foo/bar", ";with/meta"));
        assert_eq!(split_meta("foo/bar"), ("foo/bar", ""));
        assert_eq!(strip_meta("foo/bar;with/meta"), "foo/bar");
        assert_eq!(strip_meta("a;b;c"), "a");
        assert_eq!(strip_meta("foo/bar"), "foo/bar");
    }

    #[test]
    fn journal_names() {
        for ok in [
            "a/journal",
            "abcd",
            "a-b_c+d/e.f=g%h",
            "日本語/ジャーナル",
            "foo/bar;with/meta",
            "foo/bar;m",
            &"x".repeat(512),
        ] {
            validate_journal_name(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        assert_eq!(
            err(validate_journal_name("abc")),
            "invalid length (3; expected 4 <= length <= 512)"
        );
        assert_eq!(
            err(validate_journal_name("")),
            "invalid length (0; expected 4 <= length <= 512)"
        );
        assert_eq!(
            err(validate_journal_name(&"x".repeat(513))),
            "invalid length (513; expected 4 <= length <= 512)"
        );
        assert_eq!(
            err(validate_journal_name("a journal")),
            "not a valid token (a journal)"
        );
        assert_eq!(
            err(validate_journal_name("a/journal#1")),
            "not a valid token (a/journal#1)"
        );
        assert_eq!(
            err(validate_journal_name("/a/journal")),
            "cannot begin with '/' (/a/journal)"
        );
        assert_eq!(
            err(validate_journal_name("a/journal/")),
            "must be a clean path (a/journal/)"
        );
        assert_eq!(
            err(validate_journal_name("a//journal")),
            "must be a clean path (a//journal)"
        );
        assert_eq!(
            err(validate_journal_name("a/../journal")),
            "must be a clean path (a/../journal)"
        );
        assert_eq!(
            err(validate_journal_name("./journal")),
            "must be a clean path (./journal)"
        );
        assert_eq!(
            err(validate_journal_name("foo/bar;")),
            "metadata path segment: invalid length (0; expected 1 <= length <= 512)"
        );
        assert_eq!(
            err(validate_journal_name("foo/bar;a b")),
            "metadata path segment: not a valid token (a b)"
        );
        assert_eq!(
            err(validate_journal_name("foo/bar;x;y")),
            "metadata path segment: not a valid token (x;y)"
        );
    }

    #[test]
    fn tokens() {
        validate_label_name("ab").unwrap();
        validate_label_name("app.gazette.dev/message-type").unwrap();
        validate_label_value("").unwrap();
        validate_label_value("a-b_c+d/e.f").unwrap();
        assert_eq!(
            err(validate_label_name("a")),
            "invalid length (1; expected 2 <= length <= 64)"
        );
        assert_eq!(err(validate_label_name("a=b")), "not a valid token (a=b)");
        // Values, unlike names, may hold '=' and '%'.
        validate_label_value("a=b%20").unwrap();
        assert_eq!(err(validate_label_value("a b")), "not a valid token (a b)");
        assert_eq!(
            err(validate_label_value(&"v".repeat(1025))),
            "invalid length (1025; expected 0 <= length <= 1024)"
        );
        validate_zone("z").unwrap();
        assert_eq!(
            err(validate_zone("")),
            "invalid length (0; expected 1 <= length <= 32)"
        );
        validate_suffix("broker-1").unwrap();
        assert_eq!(
            err(validate_suffix("abc")),
            "invalid length (3; expected 4 <= length <= 128)"
        );
        assert_eq!(err(validate_suffix("abc:d")), "not a valid token (abc:d)");
    }

    #[test]
    fn path_components() {
        validate_path_component("", 0, 512).unwrap();
        validate_path_component("a=1/b=2", 0, 512).unwrap();
        assert_eq!(
            err(validate_path_component("a=1/../b", 0, 512)),
            "must be a clean path (a=1/../b)"
        );
        assert_eq!(
            err(validate_path_component("/a=1", 0, 512)),
            "cannot begin with '/' (/a=1)"
        );
    }
}
