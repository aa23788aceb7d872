//! Go's `time.Duration.String` rendering, used in validation messages
//! (`invalid RefreshInterval (500ms; expected 1s <= interval <= 24h0m0s)`),
//! and conversion of protobuf durations to nanoseconds.

/// Total nanoseconds of a protobuf `Duration` (`None` is zero, as Go reads
/// an absent non-nullable duration).
pub fn duration_nanos(d: Option<&prost_types::Duration>) -> i128 {
    d.map_or(0, |d| {
        i128::from(d.seconds) * 1_000_000_000 + i128::from(d.nanos)
    })
}

/// Formats `nanos` like Go's `time.Duration.String`: `0s`, `1.5ms`, `90µs`,
/// `1m30s`, `24h0m0s`, `-2s`.
pub fn format_go_duration(nanos: i128) -> String {
    if nanos == 0 {
        return "0s".to_string();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let u = nanos.unsigned_abs();
    // `frac(v, digits)`: v scaled by 10^digits, rendered with trailing zeros
    // (and a bare '.') removed.
    let frac = |v: u128, digits: u32| -> String {
        let scale = 10u128.pow(digits);
        let (whole, part) = (v / scale, v % scale);
        if part == 0 {
            whole.to_string()
        } else {
            let p = format!("{part:0width$}", width = digits as usize);
            format!("{whole}.{}", p.trim_end_matches('0'))
        }
    };
    if u < 1_000_000_000 {
        let body = if u < 1_000 {
            format!("{u}ns")
        } else if u < 1_000_000 {
            format!("{}µs", frac(u, 3))
        } else {
            format!("{}ms", frac(u, 6))
        };
        return format!("{sign}{body}");
    }
    let secs = frac(u % 60_000_000_000, 9);
    let mins = u / 60_000_000_000;
    let body = if mins == 0 {
        format!("{secs}s")
    } else if mins < 60 {
        format!("{mins}m{secs}s")
    } else {
        format!("{}h{}m{secs}s", mins / 60, mins % 60)
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_go() {
        const S: i128 = 1_000_000_000;
        for (n, want) in [
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (500_000_000, "500ms"),
            (S, "1s"),
            (S + 500_000_000, "1.5s"),
            (59 * S, "59s"),
            (60 * S, "1m0s"),
            (90 * S, "1m30s"),
            (3600 * S, "1h0m0s"),
            (24 * 3600 * S, "24h0m0s"),
            (720 * 3600 * S, "720h0m0s"),
            (-2 * S, "-2s"),
        ] {
            assert_eq!(format_go_duration(n), want, "{n}");
        }
        let d = prost_types::Duration {
            seconds: 1,
            nanos: 5,
        };
        assert_eq!(duration_nanos(Some(&d)), 1_000_000_005);
        assert_eq!(duration_nanos(None), 0);
    }
}
