//! Label selector parsing: never panics, and a parsed selector's canonical
//! text parses back to the same selector.
#![no_main]

use gazette_protocol::label::parse_label_selector;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(sel) = parse_label_selector(text) {
        let canonical = sel.to_string();
        let again = parse_label_selector(&canonical)
            .unwrap_or_else(|e| panic!("canonical {canonical:?} of {text:?} fails: {e}"));
        assert_eq!(again, sel, "round trip of {text:?}");
    }
});
