//! Checks of Read frames beyond message validation: how a frame must follow
//! the ones before it. A broker streams `metadata, content*, metadata,
//! content*, ...`, each content frame continuing exactly where the last
//! ended and lying inside the fragment its metadata frame named (Gazette's
//! `serveRead` reads a section of that fragment). A frame breaking that
//! would make the Reader hand out bytes at the wrong offsets, so it ends the
//! read with [`Error::Protocol`] before any of its bytes are returned.
//!
//! Each check is a few comparisons per frame: nothing looks at the bytes.

use super::error::{Error, Result};
use crate::protocol::{Fragment, ReadResponse};

/// Checks an OK content frame against the Reader's state: `fragment` is the
/// fragment of the metadata frame before it (`None` if none came yet in this
/// RPC) and `expected` the journal offset just past what was received.
pub(crate) fn content_frame(
    frame: &ReadResponse,
    fragment: Option<&Fragment>,
    expected: i64,
) -> Result<()> {
    let Some(fragment) = fragment else {
        return Err(Error::Protocol(format!(
            "broker sent a content frame (offset {}) before any metadata frame naming its fragment",
            frame.offset
        )));
    };
    if frame.offset != expected {
        // Overlaps (offset < expected) are refused earlier, with Go's text.
        return Err(Error::Protocol(format!(
            "broker sent a content frame at offset {} where {expected} was expected \
             (a gap of {} bytes)",
            frame.offset,
            frame.offset - expected
        )));
    }
    let end = frame.offset.saturating_add(frame.content.len() as i64);
    if frame.offset < fragment.begin || end > fragment.end {
        return Err(Error::Protocol(format!(
            "broker sent content [{}, {end}) outside its fragment [{}, {})",
            frame.offset, fragment.begin, fragment.end
        )));
    }
    Ok(())
}

/// Checks that a fragment URL, when its file has Gazette's content name
/// (`<begin>-<end>-<sum>.<ext>`, as every store writes), names the span of
/// the frame's fragment: a URL of another fragment would be read as if it
/// held this one's bytes. URLs without such a name pass unchecked.
pub(crate) fn fragment_url(url: &str, fragment: &Fragment) -> Result<()> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let name = path.rsplit('/').next().unwrap_or(path);
    let Ok(named) = crate::protocol::parse_fragment_from_relative_path(&fragment.journal, name)
    else {
        return Ok(());
    };
    if (named.begin, named.end) != (fragment.begin, fragment.end) {
        return Err(Error::Protocol(format!(
            "broker sent fragment URL {url} of span [{}, {}) for fragment [{}, {})",
            named.begin, named.end, fragment.begin, fragment.end
        )));
    }
    Ok(())
}
