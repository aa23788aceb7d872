//! Unit tests of selector parsing, rendering, matching and set operations.

use super::*;

fn set(pairs: &[(&str, &str)]) -> LabelSet {
    LabelSet::from_pairs(pairs.iter().copied())
}

fn sel(include: LabelSet, exclude: LabelSet) -> LabelSelector {
    LabelSelector::new(include, exclude)
}

#[test]
fn parses_every_form() {
    let cases: Vec<(&str, LabelSelector)> = vec![
        ("foo=bar", sel(set(&[("foo", "bar")]), set(&[]))),
        ("foo = bar", sel(set(&[("foo", "bar")]), set(&[]))),
        ("foo==bar", sel(set(&[("foo", "bar")]), set(&[]))),
        ("foo == bar,", sel(set(&[("foo", "bar")]), set(&[]))),
        ("foo != bar", sel(set(&[]), set(&[("foo", "bar")]))),
        ("foo!=bar", sel(set(&[]), set(&[("foo", "bar")]))),
        ("foo", sel(set(&[("foo", "")]), set(&[]))),
        ("!foo", sel(set(&[]), set(&[("foo", "")]))),
        (" !foo ,", sel(set(&[]), set(&[("foo", "")]))),
        (
            "foo in (a, b)",
            sel(set(&[("foo", "a"), ("foo", "b")]), set(&[])),
        ),
        (
            "foo in ( b,a )",
            sel(set(&[("foo", "a"), ("foo", "b")]), set(&[])),
        ),
        (
            "foo in (a,b,)",
            sel(set(&[("foo", "a"), ("foo", "b")]), set(&[])),
        ),
        (
            "foo notin (a,b)",
            sel(set(&[]), set(&[("foo", "a"), ("foo", "b")])),
        ),
        (
            "foo not in (a,b)",
            sel(set(&[]), set(&[("foo", "a"), ("foo", "b")])),
        ),
        ("foo notin(a)", sel(set(&[]), set(&[("foo", "a")]))),
        (
            "prefix=a/b/, name=a/b/c=d%20",
            sel(set(&[("name", "a/b/c=d%20"), ("prefix", "a/b/")]), set(&[])),
        ),
        (
            "env in (production, qa), tier not in (frontend,backend), partition",
            sel(
                set(&[("env", "production"), ("env", "qa"), ("partition", "")]),
                set(&[("tier", "backend"), ("tier", "frontend")]),
            ),
        ),
        (
            "name:prefix=foo/",
            sel(
                LabelSet::builder().add_prefix("name", "foo/").build(),
                set(&[]),
            ),
        ),
        (
            "name:prefix != foo/",
            sel(
                set(&[]),
                LabelSet::builder().add_prefix("name", "foo/").build(),
            ),
        ),
        ("", sel(set(&[]), set(&[]))),
    ];
    for (text, want) in cases {
        let got = parse_label_selector(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(got, want, "{text:?}");
        // Canonical text round-trips.
        assert_eq!(
            parse_label_selector(&got.to_string()).unwrap(),
            got,
            "{text:?}"
        );
    }
}

#[test]
fn canonical_format_matches_go_example() {
    let s = parse_label_selector("foo==bar, baz !=bing ,apple:prefix in (fruit, banana)").unwrap();
    assert_eq!(
        format_selector(&s),
        "apple:prefix in (banana,fruit),foo=bar,baz!=bing"
    );
    assert_eq!(
        s.to_string(),
        "apple:prefix in (banana,fruit),foo=bar,baz!=bing"
    );
    assert_eq!(
        s.include.as_ref().unwrap().labels[0],
        Label::prefix("apple", "banana")
    );

    let s = parse_label_selector("aa, !bb, cc in (x,y), dd notin (x,y), ee=1, ff!=2").unwrap();
    assert_eq!(
        s.to_string(),
        "aa,cc in (x,y),ee=1,!bb,dd notin (x,y),ff!=2"
    );
    assert_eq!(format_selector(&LabelSelector::default()), "");
    assert_eq!(
        format_selector(&sel(set(&[]), set(&[("xx", "")]))),
        "!xx",
        "no leading comma without includes"
    );
}

#[test]
fn parse_errors_use_go_text() {
    let err = |s: &str| parse_label_selector(s).unwrap_err().to_string();
    assert_eq!(
        err("foo, foo in (bar)"),
        "Include: Label has empty & non-empty values (index 1; label foo value bar)"
    );
    // Names have at least two characters.
    assert_eq!(
        err("f"),
        r#"could not match "f" to a label selector expression"#
    );
    assert_eq!(
        err("f=1"),
        r#"could not match "f=1" to a label selector expression"#
    );
    assert_eq!(
        err("foo=bar, (oops"),
        r#"could not match " (oops" to a label selector expression"#
    );
    // `foo==` is foo = "=" (the expression's `==?` gives back its second
    // `=` to the value, as a backtracking match does), so that
    // Parse(String(x)) == x for values starting with `=`.
    assert_eq!(parse_label_selector("foo==").unwrap().to_string(), "foo===");
    assert_eq!(
        err("foo  =bar"),
        r#"could not match "foo  =bar" to a label selector expression"#
    );
    assert_eq!(
        err("foo in (a, b c)"),
        r#"parsing "foo in (a, b c)": could not match " b c" to a label selector set expression"#
    );
    assert_eq!(
        err("xx=y, foo in (a,(b)"),
        r#"parsing " foo in (a,(b)": could not match "(b" to a label selector set expression"#
    );
    assert_eq!(
        err("foo=bar, foo=bar"),
        "Include: Labels not in unique, sorted order (index 1; label foo value bar <= bar)"
    );
}

#[test]
fn matching() {
    let labels = set(&[
        ("env", "prod"),
        ("name", "a/b/c"),
        ("tag", "blue"),
        ("tag", "red"),
    ]);
    let m = |s: &str| parse_label_selector(s).unwrap().matches(&labels);

    assert!(m(""));
    assert!(m("env=prod"));
    assert!(!m("env=qa"));
    assert!(m("env"));
    assert!(!m("missing"));
    assert!(m("!missing"));
    assert!(!m("!env"));
    assert!(m("env!=qa"));
    assert!(!m("env!=prod"));
    // OR within a name, AND across names.
    assert!(m("env in (qa, prod)"));
    assert!(m("env in (qa, prod), tag=red"));
    assert!(!m("env in (qa, prod), tag=green"));
    assert!(m("tag in (green, blue)"));
    assert!(!m("tag notin (green, blue)"));
    assert!(m("tag notin (green, pink)"));
    assert!(m("missing notin (x)"));
    // Prefix labels.
    assert!(m("name:prefix=a/b/"));
    assert!(m("name:prefix=a/"));
    assert!(!m("name:prefix=a/c/"));
    assert!(!m("name:prefix!=a/"));
    assert!(m("name:prefix in (x/, a/b)"));
    assert!(!m("name:prefix=a/b/c/d"));
    // An empty set only matches selectors without includes.
    assert!(parse_label_selector("!foo")
        .unwrap()
        .matches(&LabelSet::default()));
    assert!(!parse_label_selector("foo")
        .unwrap()
        .matches(&LabelSet::default()));
}

#[test]
fn set_helpers() {
    let mut s = LabelSet::default();
    s.add_value("b", "2");
    s.add_value("a", "1");
    s.add_value("b", "1");
    s.add_value("b", "2");
    assert_eq!(s, set(&[("a", "1"), ("b", "1"), ("b", "2")]));
    assert_eq!(
        s.labels
            .iter()
            .map(|l| l.value.as_str())
            .collect::<Vec<_>>(),
        ["1", "1", "2"]
    );
    assert_eq!(s.values_of("b"), ["1", "2"]);
    assert!(s.values_of("c").is_empty());
    assert_eq!(s.value_of("b"), Some("1"));
    assert_eq!(s.value_of("zz"), None);
    s.set_value("b", "9");
    assert_eq!(s, set(&[("a", "1"), ("b", "9")]));
    s.set_value("0", "x");
    assert_eq!(s, set(&[("0", "x"), ("a", "1"), ("b", "9")]));
    s.remove("a");
    assert_eq!(s, set(&[("0", "x"), ("b", "9")]));
    s.remove("nope");
    assert_eq!(s.labels.len(), 2);

    let built = LabelSet::builder()
        .add("zz", "1")
        .add("yy", "2")
        .build_valid()
        .unwrap();
    assert_eq!(built, set(&[("yy", "2"), ("zz", "1")]));
    assert!(LabelSet::builder()
        .add("zz", "")
        .add("zz", "1")
        .build_valid()
        .is_err());
}

#[test]
fn union_subtract_intersect() {
    let a = set(&[("owner", "a"), ("tag", "x"), ("tag", "y")]);
    let b = set(&[("owner", "b"), ("zone", "z")]);
    // Union replaces by name, preferring the left side.
    assert_eq!(
        union_label_sets(&b, &a),
        set(&[("owner", "b"), ("tag", "x"), ("tag", "y"), ("zone", "z")])
    );
    assert_eq!(
        union_label_sets(&a, &b),
        set(&[("owner", "a"), ("tag", "x"), ("tag", "y"), ("zone", "z")])
    );
    // Subtract removes a name only when its values match exactly.
    assert_eq!(subtract_label_sets(&a, &set(&[("tag", "x")])), a);
    assert_eq!(
        subtract_label_sets(&a, &set(&[("tag", "x"), ("tag", "y")])),
        set(&[("owner", "a")])
    );
    assert_eq!(
        subtract_label_sets(&a, &set(&[("owner", "a")])),
        set(&[("tag", "x"), ("tag", "y")])
    );
    assert_eq!(
        intersect_label_sets(&a, &set(&[("owner", "a"), ("tag", "x")])),
        set(&[("owner", "a")])
    );

    // Registers: union {owner=b} over {owner=a} gives {owner=b}.
    assert_eq!(
        update_registers(
            &set(&[("owner", "a")]),
            &set(&[("owner", "b")]),
            &LabelSet::default()
        ),
        set(&[("owner", "b")])
    );
    // Subtract first, then union.
    assert_eq!(
        update_registers(
            &set(&[("lock", "1"), ("owner", "a")]),
            &set(&[("owner", "c")]),
            &set(&[("lock", "1")])
        ),
        set(&[("owner", "c")])
    );
}

#[test]
fn meta_labels() {
    assert_eq!(
        journal_meta_labels("a/b/c"),
        set(&[("name", "a/b/c"), ("prefix", "a/"), ("prefix", "a/b/")])
    );
    assert_eq!(journal_meta_labels("abcd"), set(&[("name", "abcd")]));
}
