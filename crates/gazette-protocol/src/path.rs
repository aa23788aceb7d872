//! Slash-separated path helpers with the exact semantics of Go's `path`
//! package, which Gazette uses for journal names and fragment paths.

/// Returns the shortest path equivalent to `p` by purely lexical processing,
/// like Go's `path.Clean`: collapse repeated slashes, drop `.` elements,
/// resolve `..` against the preceding element (or drop it at a rooted
/// path's start), remove a trailing slash, and turn an empty result into `.`.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for elem in p.split('/') {
        match elem {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(last) if *last != "..") {
                    parts.pop();
                } else if !rooted {
                    // A relative path keeps leading `..` elements.
                    parts.push("..");
                }
            }
            _ => parts.push(elem),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

/// True if `clean(p) == p`, decided without building the cleaned path: no
/// empty or `.` element (bar `.` itself), no trailing slash, and `..` only
/// as leading elements of a relative path.
pub fn is_clean(p: &str) -> bool {
    if p == "." || p == "/" {
        return true;
    }
    let (rooted, body) = match p.strip_prefix('/') {
        Some(body) => (true, body),
        None => (false, p),
    };
    // One pass over the bytes (a hot path of every append): each element
    // is classified as it ends.
    let mut leading = !rooted;
    let mut start = 0;
    let bytes = body.as_bytes();
    for end in (0..=bytes.len()).filter(|&i| i == bytes.len() || bytes[i] == b'/') {
        match &bytes[start..end] {
            b"" | b"." => return false,
            b".." if leading => {}
            b".." => return false,
            _ => leading = false,
        }
        start = end + 1;
    }
    true
}

/// Joins the non-empty `elems` with `/` and cleans the result, like Go's
/// `path.Join` (which returns `""` when every element is empty).
pub fn join(elems: &[&str]) -> String {
    let nonempty: Vec<&str> = elems.iter().copied().filter(|e| !e.is_empty()).collect();
    if nonempty.is_empty() {
        return String::new();
    }
    clean(&nonempty.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_matches_go() {
        for (input, want) in [
            ("", "."),
            ("abc", "abc"),
            ("abc/def", "abc/def"),
            ("a/b/c/", "a/b/c"),
            ("a//b", "a/b"),
            ("./a", "a"),
            ("a/./b", "a/b"),
            ("a/../b", "b"),
            ("a/..", "."),
            ("../a", "../a"),
            ("../../a/..", "../.."),
            ("/../a", "/a"),
            ("/", "/"),
            ("//", "/"),
            ("/a/b/../c", "/a/c"),
        ] {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
    }

    #[test]
    fn is_clean_agrees_with_clean() {
        // Every string of up to 7 symbols over the characters that matter.
        let alphabet = ['a', '.', '/'];
        let mut count = 0;
        let mut stack = vec![String::new()];
        while let Some(p) = stack.pop() {
            assert_eq!(is_clean(&p), clean(&p) == p, "is_clean({p:?})");
            count += 1;
            if p.len() < 7 {
                for c in alphabet {
                    stack.push(format!("{p}{c}"));
                }
            }
        }
        assert_eq!(count, (3usize.pow(8) - 1) / 2);
    }

    #[test]
    fn join_matches_go() {
        assert_eq!(join(&["a/journal", "", "x.gz"]), "a/journal/x.gz");
        assert_eq!(
            join(&["a/journal", "a=1/b=2", "x.gz"]),
            "a/journal/a=1/b=2/x.gz"
        );
        assert_eq!(join(&["", ""]), "");
        assert_eq!(join(&["a/", "/b"]), "a/b");
    }
}
