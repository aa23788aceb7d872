//! Labels, label sets and label selectors: Gazette's selector syntax
//! (`ParseLabelSelector`), its canonical rendering, matching a `LabelSet`,
//! and the sorted-set operations that brokers use for journal labels and
//! append registers.
//!
//! A `LabelSet` keeps its labels sorted by (name, value) and unique; all
//! helpers here preserve that order. See [`crate::Validate`] for
//! the checks applied to sets and selectors.

use std::cmp::Ordering;
use std::fmt;

use super::{Label, LabelSelector, LabelSet, ValidationError};
use crate::validate::Validate;

/// Suffix that marks a prefix-match label name in selector syntax.
const PREFIX_SUFFIX: &str = ":prefix";

impl Label {
    /// An exact label `name=value` (`prefix` false).
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Label {
            name: name.into(),
            value: value.into(),
            prefix: false,
        }
    }

    /// A prefix-match selector label: matches values starting with `value`.
    pub fn prefix(name: impl Into<String>, value: impl Into<String>) -> Self {
        Label {
            name: name.into(),
            value: value.into(),
            prefix: true,
        }
    }

    /// Whether this selector label matches a label value of the same name:
    /// an empty selector value matches anything, a prefix label matches
    /// values starting with it, otherwise values must be equal.
    pub fn matches_value(&self, value: &str) -> bool {
        self.value.is_empty()
            || if self.prefix {
                value.starts_with(&self.value)
            } else {
                value == self.value
            }
    }
}

/// Total order of labels within a set: by name, then value, then exact
/// before prefix.
fn label_cmp(a: &Label, b: &Label) -> Ordering {
    (&a.name, &a.value, a.prefix).cmp(&(&b.name, &b.value, b.prefix))
}

impl LabelSet {
    /// A set from `(name, value)` pairs in any order; duplicates collapse.
    pub fn from_pairs<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Self
    where
        N: Into<String>,
        V: Into<String>,
    {
        let mut set = LabelSet::default();
        for (n, v) in pairs {
            set.add_value(n, v);
        }
        set
    }

    /// Starts a [`LabelSetBuilder`].
    pub fn builder() -> LabelSetBuilder {
        LabelSetBuilder::default()
    }

    /// Index of the first label named `name` (or where it would go).
    fn lower_bound(&self, name: &str) -> usize {
        self.labels.partition_point(|l| l.name.as_str() < name)
    }

    /// Index range of the labels named `name`.
    fn range_of(&self, name: &str) -> std::ops::Range<usize> {
        let begin = self.lower_bound(name);
        let end = begin
            + self.labels[begin..]
                .iter()
                .take_while(|l| l.name == name)
                .count();
        begin..end
    }

    /// All values of `name`, in order (empty if absent).
    pub fn values_of(&self, name: &str) -> Vec<&str> {
        self.labels[self.range_of(name)]
            .iter()
            .map(|l| l.value.as_str())
            .collect()
    }

    /// The first value of `name`, or `None` if absent.
    pub fn value_of(&self, name: &str) -> Option<&str> {
        self.labels[self.range_of(name)]
            .first()
            .map(|l| l.value.as_str())
    }

    /// Adds `name=value` at its sorted position, keeping other values of
    /// `name`. No-op if the label is already present.
    pub fn add_value(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.insert(Label::new(name, value));
    }

    /// Inserts `label` at its sorted position unless an equal label exists.
    pub fn insert(&mut self, label: Label) {
        match self.labels.binary_search_by(|l| label_cmp(l, &label)) {
            Ok(_) => {}
            Err(i) => self.labels.insert(i, label),
        }
    }

    /// Sets `name` to the single value `value`, replacing any others.
    pub fn set_value(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let label = Label::new(name, value);
        let range = self.range_of(&label.name);
        self.labels.splice(range, [label]);
    }

    /// Removes every label named `name`.
    pub fn remove(&mut self, name: &str) {
        let range = self.range_of(name);
        self.labels.drain(range);
    }

    /// Groups of consecutive labels sharing a name.
    fn groups(&self) -> impl Iterator<Item = &[Label]> {
        self.labels.chunk_by(|a, b| a.name == b.name)
    }
}

/// Labels of both sets; where both have a name, `lhs`'s values win (the
/// whole group of that name is taken from `lhs`). This is how a broker
/// applies `union_registers`: union(union_registers, registers).
pub fn union_label_sets(lhs: &LabelSet, rhs: &LabelSet) -> LabelSet {
    let mut labels: Vec<Label> = lhs.labels.clone();
    for group in rhs.groups() {
        if lhs.range_of(&group[0].name).is_empty() {
            labels.extend_from_slice(group);
        }
    }
    labels.sort_by(label_cmp);
    LabelSet { labels }
}

/// The name groups of `lhs` whose values are not exactly those of the same
/// name in `rhs` (a group is removed only if `rhs` has the same values for
/// that name). This is how a broker applies `subtract_registers`.
pub fn subtract_label_sets(lhs: &LabelSet, rhs: &LabelSet) -> LabelSet {
    let labels = lhs
        .groups()
        .filter(|group| rhs.labels[rhs.range_of(&group[0].name)] != **group)
        .flatten()
        .cloned()
        .collect();
    LabelSet { labels }
}

/// The name groups present in both sets with exactly the same values.
pub fn intersect_label_sets(lhs: &LabelSet, rhs: &LabelSet) -> LabelSet {
    let labels = lhs
        .groups()
        .filter(|group| rhs.labels[rhs.range_of(&group[0].name)] == **group)
        .flatten()
        .cloned()
        .collect();
    LabelSet { labels }
}

/// Registers after a successful append: `subtract` is removed first, then
/// `union` is merged in with its values winning per name.
pub fn update_registers(registers: &LabelSet, union: &LabelSet, subtract: &LabelSet) -> LabelSet {
    union_label_sets(union, &subtract_label_sets(registers, subtract))
}

/// Meta-labels a List selector may use for a journal: `name` (the journal
/// name) and one `prefix` per `/`-terminated prefix (`a/`, `a/b/` for `a/b/c`).
pub fn journal_meta_labels(journal: &str) -> LabelSet {
    let mut set = LabelSet::default();
    set.add_value("name", journal);
    for (i, _) in journal.match_indices('/') {
        set.add_value("prefix", &journal[..=i]);
    }
    set
}

/// Builds a `LabelSet` from labels added in any order.
///
/// ```
/// use gazette_protocol::LabelSet;
/// let set = LabelSet::builder().add("topic", "a").add("env", "prod").build();
/// assert_eq!(set.values_of("env"), ["prod"]);
/// ```
#[derive(Debug, Default, Clone)]
pub struct LabelSetBuilder {
    set: LabelSet,
}

impl LabelSetBuilder {
    /// Adds `name=value`.
    pub fn add(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set.add_value(name, value);
        self
    }

    /// Adds a prefix-match label (selectors only).
    pub fn add_prefix(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set.insert(Label::prefix(name, value));
        self
    }

    /// The finished set (not validated; see [`LabelSetBuilder::build_valid`]).
    pub fn build(self) -> LabelSet {
        self.set
    }

    /// The finished set, validated.
    pub fn build_valid(self) -> Result<LabelSet, ValidationError> {
        self.set.validate()?;
        Ok(self.set)
    }
}

impl LabelSelector {
    /// A selector from include and exclude sets.
    pub fn new(include: LabelSet, exclude: LabelSet) -> Self {
        LabelSelector {
            include: Some(include),
            exclude: Some(exclude),
        }
    }

    /// Whether `set` is selected: no exclude label matches it, and every
    /// include name is matched by at least one of its values (values of one
    /// name are OR-ed, names are AND-ed).
    pub fn matches(&self, set: &LabelSet) -> bool {
        let include = self.include.as_ref().map_or(&[][..], |s| &s.labels);
        let exclude = self.exclude.as_ref().map_or(&[][..], |s| &s.labels);
        let group_matches = |group: &[Label]| {
            let values = set.values_of(&group[0].name);
            group
                .iter()
                .any(|sel| values.iter().any(|v| sel.matches_value(v)))
        };
        !exclude.chunk_by(|a, b| a.name == b.name).any(group_matches)
            && include.chunk_by(|a, b| a.name == b.name).all(group_matches)
    }
}

/// Canonical text of a selector (Go's `LabelSelector.String`): includes then
/// excludes, each in label order, comma-joined without spaces. A name with
/// one empty value renders as `name` / `!name`, one value as `name=v` /
/// `name!=v`, several as `name in (a,b)` / `name notin (a,b)`; prefix labels
/// carry `:prefix` after the name. `parse_label_selector` reads it back.
pub fn format_selector(selector: &LabelSelector) -> String {
    let mut parts: Vec<String> = Vec::new();
    let empty = LabelSet::default();
    for (set, exclude) in [
        (selector.include.as_ref().unwrap_or(&empty), false),
        (selector.exclude.as_ref().unwrap_or(&empty), true),
    ] {
        for group in set
            .labels
            .chunk_by(|a, b| a.name == b.name && a.prefix == b.prefix)
        {
            let name = if group[0].prefix {
                format!("{}{PREFIX_SUFFIX}", group[0].name)
            } else {
                group[0].name.clone()
            };
            parts.push(match (group, exclude) {
                ([one], false) if one.value.is_empty() => name,
                ([one], true) if one.value.is_empty() => format!("!{name}"),
                // `name==v` when v starts with `=`: `name=` + `=v` would
                // read back as `==` and `v` (Go's String() has that flaw).
                ([one], false) if one.value.starts_with('=') => {
                    format!("{name}=={}", one.value)
                }
                ([one], false) => format!("{name}={}", one.value),
                ([one], true) => format!("{name}!={}", one.value),
                (many, _) => {
                    let values: Vec<&str> = many.iter().map(|l| l.value.as_str()).collect();
                    let op = if exclude { "notin" } else { "in" };
                    format!("{name} {op} ({})", values.join(","))
                }
            });
        }
    }
    parts.join(",")
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_selector(self))
    }
}

impl std::str::FromStr for LabelSelector {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_label_selector(s)
    }
}

/// A cursor over selector text that mimics the anchored regular expressions
/// of Go's parser (single optional spaces, `==` or `=`, `not in`/`notin`).
#[derive(Clone, Copy)]
struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.i..]
    }

    /// Consumes `lit` if it comes next.
    fn lit(&mut self, lit: &str) -> bool {
        if self.rest().starts_with(lit) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    /// ` ?`
    fn opt_space(&mut self) {
        self.lit(" ");
    }

    /// ` ?` then at least `min` characters accepted by `ok`.
    fn token(&mut self, min: usize, ok: impl Fn(char) -> bool) -> Option<&'a str> {
        self.opt_space();
        let rest = self.rest();
        let end = rest.find(|c: char| !ok(c)).unwrap_or(rest.len());
        if rest[..end].chars().count() < min {
            return None;
        }
        self.i += end;
        Some(&rest[..end])
    }

    /// A label name (2+ name characters), optionally with `:prefix`.
    fn name(&mut self) -> Option<(&'a str, bool)> {
        let name = self.token(2, is_name_char)?;
        Some((name, self.lit(PREFIX_SUFFIX)))
    }

    /// A label value (1+ value characters).
    fn value(&mut self) -> Option<&'a str> {
        self.token(1, is_value_char)
    }

    /// ` ?(,|$)`
    fn comma_or_end(&mut self) -> bool {
        self.opt_space();
        self.rest().is_empty() || self.lit(",")
    }

    /// ` ?\(([^)]+)\)`: the text inside parentheses.
    fn parenthetical(&mut self) -> Option<&'a str> {
        self.opt_space();
        if !self.lit("(") {
            return None;
        }
        let rest = self.rest();
        let end = rest.find(')').filter(|&e| e > 0)?;
        self.i += end + 1;
        Some(&rest[..end])
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || super::journal::TOKEN_SYMBOLS.contains(c)
}

fn is_value_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || super::journal::LABEL_VALUE_SYMBOLS.contains(c)
}

/// One parsed selector expression.
enum Expr<'a> {
    Include(Vec<Label>),
    Exclude(Vec<Label>),
    /// `in`/`notin` whose set body failed to parse: (exclude, name, prefix, body).
    Set(bool, &'a str, bool, &'a str),
}

fn label(name: &str, value: &str, prefix: bool) -> Label {
    Label {
        name: name.to_string(),
        value: value.to_string(),
        prefix,
    }
}

/// Tries each expression form in Go's order; returns it and the cursor after it.
fn parse_expr<'a>(start: Cursor<'a>) -> Option<(Expr<'a>, Cursor<'a>)> {
    // name ?=?= value ?(,|$). Like the regular expression's backtracking,
    // `==` falls back to `=` when no value follows it: `a==` is a = "="
    // (the text a selector with that value formats to; found by fuzzing).
    let mut c = start;
    if let Some((n, p)) = c.name() {
        c.opt_space();
        for op in ["==", "="] {
            let mut c = c;
            if c.lit(op) {
                if let Some(v) = c.value() {
                    if c.comma_or_end() {
                        return Some((Expr::Include(vec![label(n, v, p)]), c));
                    }
                }
            }
        }
    }
    // name ?!= value ?(,|$)
    let mut c = start;
    if let Some((n, p)) = c.name() {
        c.opt_space();
        if c.lit("!=") {
            if let Some(v) = c.value() {
                if c.comma_or_end() {
                    return Some((Expr::Exclude(vec![label(n, v, p)]), c));
                }
            }
        }
    }
    // name in (...) / name not ?in (...)
    for exclude in [false, true] {
        let mut c = start;
        if let Some((n, p)) = c.name() {
            let op = if exclude {
                c.lit(" not") && {
                    c.opt_space();
                    c.lit("in")
                }
            } else {
                c.lit(" in")
            };
            if op {
                if let Some(body) = c.parenthetical() {
                    if c.comma_or_end() {
                        return Some((Expr::Set(exclude, n, p, body), c));
                    }
                }
            }
        }
    }
    // name ?(,|$)
    let mut c = start;
    if let Some((n, p)) = c.name() {
        if c.comma_or_end() {
            return Some((Expr::Include(vec![label(n, "", p)]), c));
        }
    }
    // ?!name ?(,|$)
    let mut c = start;
    c.opt_space();
    if c.lit("!") {
        if let Some((n, p)) = c.name() {
            if c.comma_or_end() {
                return Some((Expr::Exclude(vec![label(n, "", p)]), c));
            }
        }
    }
    None
}

/// The members of an `in (...)` set: ` ?value ?(,|$)` repeated.
fn parse_set_body(name: &str, prefix: bool, body: &str) -> Result<Vec<Label>, ValidationError> {
    let mut c = Cursor { s: body, i: 0 };
    let mut out = Vec::new();
    while !c.rest().is_empty() {
        let rest = c.rest();
        match c.value() {
            Some(v) if c.comma_or_end() => out.push(label(name, v, prefix)),
            _ => {
                return Err(ValidationError::new(format!(
                    "could not match {rest:?} to a label selector set expression"
                )))
            }
        }
    }
    Ok(out)
}

/// Parses Gazette's label selector syntax: comma-separated expressions
/// `foo=bar` (or `==`), `foo!=bar`, `foo`, `!foo`, `foo in (a,b)`,
/// `foo notin (a,b)` / `foo not in (a,b)`, where a name may end in `:prefix`
/// for prefix matching. Single optional spaces around tokens and a trailing
/// comma are accepted. The result is sorted and validated.
pub fn parse_label_selector(s: &str) -> Result<LabelSelector, ValidationError> {
    let mut include = Vec::new();
    let mut exclude = Vec::new();
    let mut c = Cursor { s, i: 0 };
    while !c.rest().is_empty() {
        let rest = c.rest();
        let Some((expr, next)) = parse_expr(c) else {
            return Err(ValidationError::new(format!(
                "could not match {rest:?} to a label selector expression"
            )));
        };
        match expr {
            Expr::Include(l) => include.extend(l),
            Expr::Exclude(l) => exclude.extend(l),
            Expr::Set(excl, name, prefix, body) => {
                let parts = parse_set_body(name, prefix, body)
                    .map_err(|e| e.context(format!("parsing {rest:?}")))?;
                if excl {
                    exclude.extend(parts)
                } else {
                    include.extend(parts)
                }
            }
        }
        c = next;
    }
    include.sort_by(label_cmp);
    exclude.sort_by(label_cmp);
    let out = LabelSelector::new(LabelSet { labels: include }, LabelSet { labels: exclude });
    out.validate()?;
    Ok(out)
}

#[cfg(test)]
mod tests;
