//! Fragment names and paths in a store: `<journal>\n<relative path>`.
//! Parsing never panics, and a parsed fragment's content name parses back
//! to the same span and codec.
#![no_main]

use gazette_protocol::{content_name, parse_fragment_from_relative_path};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (journal, rel) = text.split_once('\n').unwrap_or(("a/journal", text));
    if let Ok(f) = parse_fragment_from_relative_path(journal, rel) {
        let name = content_name(&f);
        let again = parse_fragment_from_relative_path(journal, &name)
            .unwrap_or_else(|e| panic!("content name {name:?} of {rel:?} fails: {e}"));
        assert_eq!(
            (again.begin, again.end, again.compression_codec, again.sum),
            (f.begin, f.end, f.compression_codec, f.sum),
            "round trip of {rel:?}"
        );
    }
});
