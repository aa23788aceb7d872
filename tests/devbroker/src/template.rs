//! Evaluation of `path_postfix_template`, the Go text/template a journal may
//! use to place fragments under partition directories. Only the shape Gazette
//! documents and the vectors use is supported: literal text plus actions
//! `{{ .Spool.FirstAppendTime.Format "LAYOUT" }}` with a Go time layout built
//! from `2006 01 02 15 04 05` (UTC). Anything else is rejected at Apply time.

use std::time::{SystemTime, UNIX_EPOCH};

enum Piece {
    Text(String),
    Time(String),
}

fn parse(template: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push(Piece::Text(rest[..open].to_string()));
        let close = rest[open..]
            .find("}}")
            .ok_or_else(|| format!("unclosed action in template {template:?}"))?;
        let action = rest[open + 2..open + close].trim();
        let arg = action
            .strip_prefix(".Spool.FirstAppendTime.Format")
            .map(str::trim)
            .and_then(|a| a.strip_prefix('"'))
            .and_then(|a| a.strip_suffix('"'))
            .filter(|a| !a.contains('"'))
            .ok_or_else(|| format!("unsupported template action {{{{ {action} }}}}"))?;
        out.push(Piece::Time(arg.to_string()));
        rest = &rest[open + close + 2..];
    }
    if rest.contains("}}") {
        return Err(format!("unexpected \"}}}}\" in template {template:?}"));
    }
    out.push(Piece::Text(rest.to_string()));
    Ok(out)
}

/// Checks that the dev broker can evaluate `template`.
pub(crate) fn check(template: &str) -> Result<(), String> {
    parse(template).map(|_| ())
}

/// Days since 1970-01-01 to a (year, month, day) civil date.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn format_time(layout: &str, t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let values = [
        ("2006", format!("{y:04}")),
        ("01", format!("{mo:02}")),
        ("02", format!("{d:02}")),
        ("15", format!("{:02}", sod / 3600)),
        ("04", format!("{:02}", sod / 60 % 60)),
        ("05", format!("{:02}", sod % 60)),
    ];
    // Scan left to right so a substituted value is never matched again.
    let mut out = String::new();
    let mut rest = layout;
    'scan: while !rest.is_empty() {
        for (token, value) in &values {
            if let Some(r) = rest.strip_prefix(token) {
                out.push_str(value);
                rest = r;
                continue 'scan;
            }
        }
        let c = rest.chars().next().unwrap();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The path postfix for a spool whose first append happened at `first`.
pub(crate) fn evaluate(template: &str, first: SystemTime) -> Result<String, String> {
    Ok(parse(template)?
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => t,
            Piece::Time(layout) => format_time(&layout, first),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_the_vector_template() {
        let t = "utc_date={{ .Spool.FirstAppendTime.Format \"2006-01-02\" }}/utc_hour={{ .Spool.FirstAppendTime.Format \"15\" }}";
        // 2026-11-25T17:11:49Z
        let when = UNIX_EPOCH + Duration::from_secs(1_795_626_709);
        assert_eq!(
            evaluate(t, when).unwrap(),
            "utc_date=2026-11-25/utc_hour=17"
        );
        assert!(check("{{ .Spool.Journal }}").is_err());
        assert!(check("a={{ .Spool.FirstAppendTime.Format \"2006\" ").is_err());
    }
}
