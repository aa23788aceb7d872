//! Inputs the fuzz targets of `fuzz/` (scripts/fuzz) once failed on, kept
//! as plain tests so the normal run guards them.

use gazette_protocol::label::parse_label_selector;

/// label_selector: `xxBxx===` parsed to xxBxx = "=", whose canonical text
/// `xxBxx==` then failed to parse (no fallback from `==` to `=`); and a
/// value `=c` formatted as `ab==c` read back as `c`. Values starting with
/// `=` now format as `name==value`, and `==` gives back an `=` to the value.
#[test]
fn a_value_starting_with_equals_round_trips() {
    for text in ["xxBxx===", "ab==", "ab===c", "ab!==", "ab = =, cd"] {
        let sel = parse_label_selector(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        let canonical = sel.to_string();
        let again = parse_label_selector(&canonical)
            .unwrap_or_else(|e| panic!("canonical {canonical:?} of {text:?}: {e}"));
        assert_eq!(again, sel, "{text:?}");
    }
    let sel = parse_label_selector("ab==").unwrap();
    assert_eq!(sel.include.unwrap().labels[0].value, "=");
}
