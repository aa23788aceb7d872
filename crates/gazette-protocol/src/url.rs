//! A small, lenient URL splitter with the parts of Go's `net/url` behaviour
//! that Gazette's validators rely on (absolute or not, host, path). Broker
//! endpoints, fragment-store URLs and signed fragment URLs are checked with
//! it; it does no percent-decoding and no normalisation.

use super::ValidationError;

/// The pieces of a URL that validation looks at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UrlParts<'a> {
    /// Scheme, lowercased by the caller if needed; empty for a relative URL.
    pub scheme: &'a str,
    /// Host and optional port (userinfo removed); empty if there is no authority.
    pub host: &'a str,
    /// Path, up to `?` or `#`.
    pub path: &'a str,
    /// Query, without the `?`.
    pub query: &'a str,
}

impl UrlParts<'_> {
    /// Whether the URL has a scheme (Go's `URL.IsAbs`).
    pub fn is_abs(&self) -> bool {
        !self.scheme.is_empty()
    }
}

/// Splits `s` into scheme, host, path and query. Errors (Go's texts) for
/// ASCII control characters and a missing scheme before `:`.
pub fn parse_url(s: &str) -> Result<UrlParts<'_>, ValidationError> {
    if s.chars().any(|c| (c as u32) < 0x20 || c == '\x7f') {
        return Err(ValidationError::new(format!(
            "parse {s:?}: net/url: invalid control character in URL"
        )));
    }
    let mut out = UrlParts::default();
    let mut rest = s.split_once('#').map_or(s, |(before, _)| before);

    // A scheme is letters, then letters/digits/`+-.`, then ':'. Anything else
    // before the first ':' means there is no scheme (a relative path).
    if let Some(i) = rest.find(':') {
        let candidate = &rest[..i];
        if i == 0 {
            return Err(ValidationError::new(format!(
                "parse {s:?}: missing protocol scheme"
            )));
        }
        let valid = candidate.starts_with(|c: char| c.is_ascii_alphabetic())
            && candidate
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if valid {
            out.scheme = candidate;
            rest = &rest[i + 1..];
        }
    }
    if let Some((before, query)) = rest.split_once('?') {
        out.query = query;
        rest = before;
    }
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find('/').unwrap_or(after.len());
        let authority = &after[..end];
        out.host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        rest = &after[end..];
    }
    out.path = rest;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_go() {
        let u = parse_url("http://user@host:8080/a/b?x=1#frag").unwrap();
        assert_eq!(
            (u.scheme, u.host, u.path, u.query),
            ("http", "host:8080", "/a/b", "x=1")
        );
        let u = parse_url("file:///").unwrap();
        assert_eq!((u.scheme, u.host, u.path), ("file", "", "/"));
        let u = parse_url("s3://bucket/prefix/?profile=p").unwrap();
        assert_eq!(
            (u.scheme, u.host, u.path, u.query),
            ("s3", "bucket", "/prefix/", "profile=p")
        );
        let u = parse_url("unix://localhost/tmp/sock").unwrap();
        assert_eq!((u.host, u.path), ("localhost", "/tmp/sock"));
        let u = parse_url("relative/path").unwrap();
        assert!(!u.is_abs());
        let u = parse_url("a/b:c").unwrap();
        assert!(!u.is_abs());
        assert!(parse_url(":nope").is_err());
        assert!(parse_url("http://a\nb").is_err());
    }
}
