//! The `file:///` fragment store: where persisted fragments live under the
//! broker's `--store` root, how they are listed back into the index, and the
//! URLs handed to clients (`file:///<path under the root>`).

use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use gazette_protocol::Fragment;

use crate::{codec, helpers, template};

/// The directory behind a `file:///...` store URL, or None for stores the
/// dev broker cannot reach (s3://, gs://, ...) or without a store root.
pub(crate) fn store_dir(root: Option<&Path>, store: &str) -> Option<PathBuf> {
    let rest = store.strip_prefix("file:///")?;
    let rest = rest.split('?').next().unwrap_or("");
    Some(root?.join(rest))
}

/// The URL of a persisted fragment in `store`: `file:///<sub/><content path>`.
pub(crate) fn fragment_url(f: &Fragment) -> String {
    let store = f.backing_store.split('?').next().unwrap_or("");
    format!("{store}{}", helpers::content_path(f))
}

/// A fragment file found in a store, with its location on disk.
#[derive(Clone)]
pub(crate) struct Listed {
    pub fragment: Fragment,
    pub path: PathBuf,
}

/// Lists every parseable fragment file of `journal` in `store`.
pub(crate) fn list(root: Option<&Path>, store: &str, journal: &str) -> Vec<Listed> {
    let Some(dir) = store_dir(root, store) else {
        return vec![];
    };
    let base = dir.join(journal);
    let mut out = Vec::new();
    let mut stack = vec![base.clone()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(rel) = path.strip_prefix(&base) else {
                continue;
            };
            let Some(rel) = rel.to_str() else { continue };
            // Unparseable files (including our own in-progress temp files) are
            // skipped, as a real broker skips them with a warning.
            let Some(mut f) = helpers::parse_relative_path(journal, rel) else {
                continue;
            };
            f.backing_store = store.to_string();
            f.mod_time = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
                .max(1);
            out.push(Listed { fragment: f, path });
        }
    }
    out
}

/// Writes a rolled fragment to `store`, named and laid out as Gazette does,
/// and returns the fragment as the store now lists it.
pub(crate) fn persist(
    dir: &Path,
    store: &str,
    mut f: Fragment,
    content: &[u8],
    postfix_template: &str,
    first_append: Option<SystemTime>,
) -> io::Result<Fragment> {
    if !postfix_template.is_empty() {
        f.path_postfix = template::evaluate(
            postfix_template,
            first_append.unwrap_or_else(SystemTime::now),
        )
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    }
    let path = dir.join(helpers::content_path(&f));
    let parent = path.parent().expect("content path has a directory");
    std::fs::create_dir_all(parent)?;
    let encoded = codec::compress(f.compression_codec, content)?;
    // Write then rename, so a concurrent listing never sees a partial file.
    let tmp = parent.join(format!(".tmp-{}", std::process::id()));
    let tmp = tmp.with_extension(format!("{}", f.begin));
    std::fs::write(&tmp, &encoded)?;
    std::fs::rename(&tmp, &path)?;
    f.backing_store = store.to_string();
    f.mod_time = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(1);
    Ok(f)
}
