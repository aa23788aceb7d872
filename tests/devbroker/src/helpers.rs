//! The one place where the broker calls pure helpers of `gazette::protocol`
//! (fragment names, SHA-1 sums, label selectors, registers, validation).
//!
//! Every function here should be a thin forward to the shared helper. Where the
//! helper has not landed yet on the `protocol` branch, the body is a marked
//! interim stand-in (`INTERIM:`) kept as small as possible, to be replaced by
//! the forward when the helper is merged.

use gazette::protocol::{CompressionCodec, Fragment, Label, LabelSelector, LabelSet, Sha1Sum};

/// Splits a 20-byte SHA-1 digest into Gazette's big-endian `SHA1Sum` parts.
pub fn sum_from_digest(d: &[u8]) -> Sha1Sum {
    // INTERIM: until `gazette::protocol::fragment` exposes the conversion.
    Sha1Sum {
        part1: u64::from_be_bytes(d[0..8].try_into().unwrap()),
        part2: u64::from_be_bytes(d[8..16].try_into().unwrap()),
        part3: u32::from_be_bytes(d[16..20].try_into().unwrap()),
    }
}

/// Lower-case hex of a `SHA1Sum` (40 digits).
pub fn sum_hex(s: &Sha1Sum) -> String {
    // INTERIM: until `gazette::protocol::fragment` exposes the conversion.
    format!("{:016x}{:016x}{:08x}", s.part1, s.part2, s.part3)
}

/// The file-name suffix Gazette uses for a codec.
pub fn codec_suffix(codec: i32) -> &'static str {
    // INTERIM: until `gazette::protocol::fragment` exposes codec suffixes.
    match CompressionCodec::try_from(codec).unwrap_or(CompressionCodec::Invalid) {
        CompressionCodec::None => ".raw",
        CompressionCodec::Gzip => ".gz",
        CompressionCodec::Zstandard => ".zst",
        CompressionCodec::Snappy => ".sz",
        _ => "",
    }
}

/// `<begin>-<end>-<sha1><suffix>`: the content name of a fragment file.
pub fn content_name(f: &Fragment) -> String {
    // INTERIM: until `gazette::protocol::fragment::content_name` lands.
    let sum = f.sum.unwrap_or_default();
    format!(
        "{:016x}-{:016x}-{}{}",
        f.begin,
        f.end,
        sum_hex(&sum),
        codec_suffix(f.compression_codec)
    )
}

/// `<journal>/<path_postfix>/<content name>` (an empty postfix disappears).
pub fn content_path(f: &Fragment) -> String {
    // INTERIM: until `gazette::protocol::fragment::content_path` lands.
    if f.path_postfix.is_empty() {
        format!("{}/{}", f.journal, content_name(f))
    } else {
        format!("{}/{}/{}", f.journal, f.path_postfix, content_name(f))
    }
}

/// Parses a store path relative to `<store>/<journal>/` back into a fragment.
pub fn parse_relative_path(journal: &str, rel: &str) -> Option<Fragment> {
    // INTERIM: until `gazette::protocol::fragment` parses relative paths.
    let (postfix, base) = match rel.rfind('/') {
        Some(i) => (&rel[..i], &rel[i + 1..]),
        None => ("", rel),
    };
    let (stem, ext) = match base.find('.') {
        Some(i) => (&base[..i], base[i..].to_ascii_lowercase()),
        None => (base, String::new()),
    };
    let codec = match ext.as_str() {
        ".raw" => CompressionCodec::None,
        ".gz" | ".gzip" => CompressionCodec::Gzip,
        ".zst" | ".zstandard" => CompressionCodec::Zstandard,
        ".sz" | ".snappy" => CompressionCodec::Snappy,
        "" | ".gzod" => CompressionCodec::GzipOffloadDecompression,
        _ => return None,
    };
    let parts: Vec<&str> = stem.split('-').collect();
    if parts.len() != 3 || parts[2].len() != 40 {
        return None;
    }
    let begin = i64::from_str_radix(parts[0], 16).ok()?;
    let end = i64::from_str_radix(parts[1], 16).ok()?;
    let mut digest = [0u8; 20];
    for (i, b) in digest.iter_mut().enumerate() {
        *b = u8::from_str_radix(parts[2].get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    if begin > end {
        return None;
    }
    Some(Fragment {
        journal: journal.to_string(),
        begin,
        end,
        sum: Some(sum_from_digest(&digest)),
        compression_codec: codec as i32,
        backing_store: String::new(),
        mod_time: 0,
        path_postfix: postfix.to_string(),
    })
}

/// Does `labels` satisfy `sel`? (Gazette's LabelSelector.Matches.)
pub fn selector_matches(sel: &LabelSelector, labels: &LabelSet) -> bool {
    // INTERIM: until `gazette::protocol::label` provides matching.
    let hit = |l: &Label| {
        labels.labels.iter().any(|have| {
            have.name == l.name
                && (l.value.is_empty()
                    || if l.prefix {
                        have.value.starts_with(&l.value)
                    } else {
                        have.value == l.value
                    })
        })
    };
    let exclude = sel.exclude.clone().unwrap_or_default();
    if exclude.labels.iter().any(hit) {
        return false;
    }
    let include = sel.include.clone().unwrap_or_default();
    let mut names: Vec<&str> = include.labels.iter().map(|l| l.name.as_str()).collect();
    names.dedup();
    names
        .iter()
        .all(|name| include.labels.iter().filter(|l| l.name == *name).any(hit))
}

/// Registers after a commit: subtract first, then union (union wins by name).
pub fn update_registers(regs: &LabelSet, subtract: &LabelSet, union: &LabelSet) -> LabelSet {
    // INTERIM: until `gazette::protocol::label` provides union/subtract.
    let mut out: Vec<Label> = regs
        .labels
        .iter()
        .filter(|l| {
            !subtract
                .labels
                .iter()
                .any(|s| s.name == l.name && (s.value.is_empty() || s.value == l.value))
        })
        .filter(|l| !union.labels.iter().any(|u| u.name == l.name))
        .cloned()
        .collect();
    out.extend(union.labels.iter().cloned());
    out.sort_by(|a, b| (&a.name, &a.value).cmp(&(&b.name, &b.value)));
    out.dedup();
    LabelSet { labels: out }
}

/// Validates an Apply request the way a broker does; `Err` is the message of
/// the gRPC `Unknown` error (e.g. `Changes[0].Upsert.Fragment: invalid Length (..)`).
pub fn validate_apply(req: &gazette::protocol::ApplyRequest) -> Result<(), String> {
    // INTERIM: a few of the spec limits, until `gazette::protocol::validate` lands.
    for (i, c) in req.changes.iter().enumerate() {
        match (&c.upsert, c.delete.is_empty()) {
            (Some(spec), true) => {
                if c.expect_mod_revision < -1 {
                    return Err(format!(
                        "Changes[{i}]: invalid ExpectModRevision ({}; expected >= 0 or -1)",
                        c.expect_mod_revision
                    ));
                }
                validate_spec(spec).map_err(|e| format!("Changes[{i}].Upsert{e}"))?;
            }
            (None, false) => {
                if c.expect_mod_revision <= 0 && c.expect_mod_revision != -1 {
                    return Err(format!(
                        "Changes[{i}]: invalid ExpectModRevision ({}; expected > 0 or -1)",
                        c.expect_mod_revision
                    ));
                }
            }
            _ => return Err(format!("Changes[{i}]: expected one of Upsert or Delete")),
        }
    }
    Ok(())
}

fn validate_spec(spec: &gazette::protocol::JournalSpec) -> Result<(), String> {
    let n = &spec.name;
    if n.len() < 4 || n.len() > 512 || n.starts_with('/') || n.contains("//") || n.ends_with('/') {
        return Err(format!(".Name: invalid journal name ({n})"));
    }
    if !(1..=5).contains(&spec.replication) {
        return Err(format!(
            ": invalid Replication ({}; expected 1 <= Replication <= 5)",
            spec.replication
        ));
    }
    let frag = spec.fragment.clone().unwrap_or_default();
    if !(1024..=1 << 34).contains(&frag.length) {
        return Err(format!(
            ".Fragment: invalid Length ({}; expected 1024 <= length <= 17179869184)",
            frag.length
        ));
    }
    if CompressionCodec::try_from(frag.compression_codec).unwrap_or(CompressionCodec::Invalid)
        == CompressionCodec::Invalid
    {
        return Err(".Fragment: invalid CompressionCodec".to_string());
    }
    let secs = |d: &Option<prost_types::Duration>| d.as_ref().map(|d| d.seconds).unwrap_or(0);
    if !(1..=86400).contains(&secs(&frag.refresh_interval)) {
        return Err(format!(
            ".Fragment: invalid RefreshInterval ({}s; expected 1s <= interval <= 24h0m0s)",
            secs(&frag.refresh_interval)
        ));
    }
    let flush = secs(&frag.flush_interval);
    if flush != 0 && flush < 60 {
        return Err(format!(
            ".Fragment: invalid FlushInterval ({flush}s; expected >= 1m0s)"
        ));
    }
    if ![0, 1, 2, 4].contains(&spec.flags) {
        return Err(format!(".Flags: invalid Flags ({})", spec.flags));
    }
    Ok(())
}
