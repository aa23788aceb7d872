//! Direct reads of persisted fragment files: [`FragmentReader`],
//! [`open_fragment_url`] and the [`FragmentTransport`] that fetches
//! `file://` and `http://` fragment URLs.
//!
//! The codec decoders of [`super::codecs`] are blocking [`std::io::Read`]
//! adapters, so each open fragment runs them on a tokio blocking thread,
//! which hands decoded `Bytes` chunks to the async side through a small
//! bounded channel. Dropping the [`FragmentReader`] stops the thread (its
//! next send fails) and aborts any HTTP body transfer.
//!
//! Content is verified before it is handed out (see
//! [`super::fragment_verify`]): when the fragment's SHA-1 sum is known, or
//! its codec checks a checksum only at the end (GZIP, ZSTANDARD), the whole
//! fragment is decoded and checked first, held in memory (4 MiB) and then a
//! temp file. Only a fragment with no sum and a codec with nothing to check
//! at the end (NONE, SNAPPY) streams, a few chunks at a time.

use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Empty};
use hyper::header::{ACCEPT_ENCODING, CONTENT_ENCODING};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client as HttpClient};
use hyper_util::rt::TokioExecutor;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use super::codecs::{decompressor, BoxRead};
use super::error::{Error, Result};
use super::fragment_verify::{must_hold, Held, Sha1Check};
use crate::protocol::{CompressionCodec, Fragment};

/// Size of the buffer each decoder read fills; chunks handed out are at most
/// this long.
const CHUNK_SIZE: usize = 64 * 1024;
/// Decoded chunks buffered ahead of the consumer.
const CHANNEL_DEPTH: usize = 4;
/// How long an HTTP fragment fetch may take to connect (as Flow's client).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Maps an error out of a codec decoder: errors of the raw source travel
/// through it as a carried [`Error`] and come back whole; anything else is
/// the decoder's own complaint about the data.
fn decoder_error(err: io::Error) -> Error {
    if err.get_ref().is_some_and(|inner| inner.is::<Error>())
        || err.kind() == io::ErrorKind::UnexpectedEof
    {
        return Error::from(err);
    }
    Error::Codec(err.to_string())
}

/// Tags read errors of a raw fragment source as I/O errors, so that
/// [`decoder_error`] tells them from codec errors.
struct Source(BoxRead);

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .read(buf)
            .map_err(|err| io::Error::from(Error::Io(std::sync::Arc::new(err))))
    }
}

/// Fetches fragment URLs: `http://` over HTTP/1.1, and `file://` from a local
/// directory once one is installed with [`FragmentTransport::with_file_root`]
/// (Go: `InstallFileTransport`).
///
/// Responses are never transparently decompressed: the fragment's codec and
/// the response's `Content-Encoding` decide the decoding, as in Gazette.
/// Cloning is cheap and shares the HTTP connection pool.
#[derive(Clone)]
pub struct FragmentTransport {
    file_root: Option<PathBuf>,
    verify: bool,
    http: HttpClient<HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl Default for FragmentTransport {
    /// `http://` and `https://` (verified by the system trust store), no
    /// `file://` root.
    fn default() -> Self {
        match crate::tls::default_client_config() {
            Ok(tls) => FragmentTransport::with_tls(&tls),
            // No system roots: `https://` fetches fail, naming why.
            Err(_) => FragmentTransport::with_tls(&empty_roots()),
        }
    }
}

/// A configuration trusting nothing, for machines without a trust store.
fn empty_roots() -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default protocol versions")
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth()
}

impl std::fmt::Debug for FragmentTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FragmentTransport")
            .field("file_root", &self.file_root)
            .field("verify", &self.verify)
            .finish_non_exhaustive()
    }
}

impl FragmentTransport {
    /// Returns a transport that also serves `file:///<path>` URLs from
    /// `<root>/<path>`: for brokers whose `file://` fragment store is a
    /// directory this client can read too (a shared NAS, or tests).
    pub fn with_file_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.file_root = Some(root.into());
        self
    }

    /// A transport whose `https://` fetches use `tls` (its roots and
    /// client certificate); HTTP/1.1, as Gazette uses for stores.
    pub fn with_tls(tls: &rustls::ClientConfig) -> Self {
        // The legacy client speaks HTTP/1.1 unless told otherwise, which is
        // what Gazette moved to after HTTP/2 connections to stores misbehaved.
        let connector = crate::tls::fragment_connector(tls, CONNECT_TIMEOUT);
        let http = HttpClient::builder(TokioExecutor::new()).build(connector);
        FragmentTransport {
            file_root: None,
            verify: true,
            http,
        }
    }

    /// A transport for `client`: `https://` URLs are verified with its TLS
    /// settings, `file://` URLs resolve under its `file_root`, if any.
    pub fn for_client(client: &super::client::Client) -> Self {
        let transport = match client.tls_config() {
            Ok(tls) => FragmentTransport::with_tls(&tls),
            Err(_) => FragmentTransport::default(),
        }
        .with_verification(client.config().verify_fragments);
        match &client.config().file_root {
            Some(root) => transport.with_file_root(root),
            None => transport,
        }
    }

    /// Whether fragments opened through this transport are verified before
    /// their bytes are handed out (the default; see [`FragmentReader`]).
    /// `false` streams them unchecked, as Go does.
    pub fn with_verification(mut self, verify: bool) -> Self {
        self.verify = verify;
        self
    }

    /// Whether fragments are verified (see [`Self::with_verification`]).
    pub fn verifies(&self) -> bool {
        self.verify
    }

    /// The directory `file://` URLs resolve under, if one is installed.
    pub fn file_root(&self) -> Option<&Path> {
        self.file_root.as_deref()
    }
}

/// Opens the persisted `fragment` at `url` and returns a reader positioned at
/// journal `offset` (Go: `OpenFragmentURL`).
///
/// GZIP fragments are requested with `Accept-Encoding: gzip` and
/// GZIP_OFFLOAD_DECOMPRESSION ones with `Accept-Encoding: identity`; a
/// response that still carries `Content-Encoding: gzip` is gunzipped here
/// before the fragment's own codec (except for GZIP, whose file is the gzip
/// stream itself). A response other than 200 fails with
/// `!OK fetching (<status>, "<url>")`; for `file://` URLs a missing file is
/// `404 Not Found`.
pub async fn open_fragment_url(
    transport: &FragmentTransport,
    fragment: Fragment,
    offset: i64,
    url: &str,
) -> Result<FragmentReader> {
    let (raw, content_encoding) = if let Some(path) = url.strip_prefix("file://") {
        (open_file(transport, path, url).await?, None)
    } else if url.starts_with("http://") || url.starts_with("https://") {
        open_http(transport, &fragment, url).await?
    } else {
        let scheme = url.split(':').next().unwrap_or_default();
        return Err(Error::InvalidArgument(format!(
            "unsupported protocol scheme {scheme:?} fetching {url:?}"
        )));
    };

    let gzip = CompressionCodec::Gzip as i32;
    let mut codec = fragment.compression_codec;
    let mut gunzip_first = false;
    if content_encoding.as_deref() == Some("gzip") {
        if codec == CompressionCodec::GzipOffloadDecompression as i32 {
            // A store that ignored `identity` (e.g. MinIO): decode here.
            codec = gzip;
        } else if codec != gzip {
            gunzip_first = true;
        }
    }
    let verify = transport.verify;
    FragmentReader::start(
        raw,
        fragment,
        offset,
        gunzip_first,
        codec,
        Some(url),
        verify,
    )
    .await
}

/// `url` without its query string.
fn without_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// Error for a fetch answered with `status` (e.g. `404 Not Found`).
fn not_ok(status: &str, url: &str) -> Error {
    Error::FragmentFetch {
        status: status.to_string(),
        url: url.to_string(),
    }
}

async fn open_file(transport: &FragmentTransport, rest: &str, url: &str) -> Result<BoxRead> {
    let Some(root) = &transport.file_root else {
        return Err(Error::InvalidArgument(format!(
            "unsupported protocol scheme \"file\" fetching {url:?} (no file transport root)"
        )));
    };
    // `file:///a/b` has an empty host; the path is served relative to root.
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    let path = percent_decode(path).ok_or_else(|| not_ok("400 Bad Request", url))?;
    let mut full = root.clone();
    for component in Path::new(&path).components() {
        match component {
            Component::Normal(part) => full.push(part),
            Component::RootDir | Component::CurDir => {}
            // Never step outside the root.
            Component::ParentDir | Component::Prefix(_) => {
                return Err(not_ok("404 Not Found", url))
            }
        }
    }
    match tokio::fs::File::open(&full).await {
        Ok(file) => {
            let file = file.into_std().await;
            if file.metadata()?.is_dir() {
                return Err(not_ok("404 Not Found", url));
            }
            Ok(Box::new(file))
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => Err(not_ok("404 Not Found", url)),
        Err(err) if err.kind() == io::ErrorKind::PermissionDenied => {
            Err(not_ok("403 Forbidden", url))
        }
        Err(_) => Err(not_ok("500 Internal Server Error", url)),
    }
}

/// Decodes `%XX` escapes of a URL path; `None` if an escape is malformed or
/// the result isn't UTF-8.
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

async fn open_http(
    transport: &FragmentTransport,
    fragment: &Fragment,
    url: &str,
) -> Result<(BoxRead, Option<String>)> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|err| Error::InvalidArgument(format!("parsing fragment URL {url:?}: {err}")))?;
    let mut request = hyper::Request::get(uri);
    if fragment.compression_codec == CompressionCodec::GzipOffloadDecompression as i32 {
        // Ask the store to decompress for us.
        request = request.header(ACCEPT_ENCODING, "identity");
    } else if fragment.compression_codec == CompressionCodec::Gzip as i32 {
        request = request.header(ACCEPT_ENCODING, "gzip");
    }
    let request = request
        .body(Empty::new())
        .map_err(|err| Error::Http(format!("fetching {url:?}: {err}")))?;
    let response = transport.http.request(request).await.map_err(|err| {
        // A TLS failure says what to fix; the URL's query (a signed
        // URL's signature) is left out of it.
        match crate::security_errors::classify_tls(&err) {
            Some(Error::Security { kind, message }) => Error::Security {
                kind,
                message: format!("fetching {:?}: {message}", without_query(url)),
            },
            _ => Error::Http(format!("fetching {:?}: {err}", without_query(url))),
        }
    })?;

    if response.status() != hyper::StatusCode::OK {
        let status = response.status();
        let line = format!(
            "{} {}",
            status.as_str(),
            status.canonical_reason().unwrap_or("")
        );
        return Err(not_ok(line.trim_end(), url));
    }
    let content_encoding = response
        .headers()
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());

    // Pump the body on the runtime into a channel the decoder thread reads.
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(CHANNEL_DEPTH);
    let mut body = response.into_body();
    let pump = tokio::spawn(async move {
        loop {
            match body.frame().await {
                None => return,
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        if !data.is_empty() && tx.send(Ok(data)).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Err(err)) => {
                    let err = Error::Http(format!("reading fragment body: {err}"));
                    let _ = tx.send(Err(err.into())).await;
                    return;
                }
            }
        }
    });
    let reader = ChannelReader {
        rx,
        current: Bytes::new(),
        pump: Some(pump.abort_handle()),
    };
    Ok((Box::new(reader), content_encoding))
}

/// Blocking [`Read`] over body chunks pumped by an async task.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
    pump: Option<AbortHandle>,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(err)) => return Err(err),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

impl Drop for ChannelReader {
    fn drop(&mut self) {
        if let Some(pump) = self.pump.take() {
            pump.abort();
        }
    }
}

/// What the decoder thread sends to its [`FragmentReader`].
enum Msg {
    Data(Bytes),
    /// The decoded stream ended: exactly at `Fragment.end`, or with an error.
    End(Result<()>),
}

/// Reads the decoded content of one fragment file from a journal offset up to
/// exactly `Fragment.end` (Go: `FragmentReader`).
///
/// End-of-fragment rules: the reader reports EOF only when the decoded stream
/// ends precisely at `Fragment.end`. A stream ending early fails with
/// [`Error::UnexpectedEof`]; one producing bytes beyond the end is truncated
/// there and then fails with [`Error::DidNotReadExpectedEof`]. A decoder's
/// complaint about the data, or content that doesn't match the fragment's
/// SHA-1 sum, is [`Error::Codec`]. Each comes wrapped in [`Error::Fragment`],
/// which names the fragment (and its URL when opened from one).
///
/// Never a wrong byte: content is handed out only once verified, by the
/// fragment's SHA-1 sum when it has one, otherwise by the codec's own
/// checksums (see the module docs). A fragment that fails verification
/// fails when opened, before any byte; one that is verified but too short
/// (with no sum to check) or too long is handed out up to where it is
/// known good, then fails as above.
///
/// Decoding runs on a blocking thread (see the module docs); chunks arrive as
/// `Bytes` and are handed out without copying by [`FragmentReader::next_chunk`].
pub struct FragmentReader {
    fragment: Fragment,
    /// Names the fragment in errors: `<journal> <begin>-<end> [(<url>)]`.
    label: String,
    offset: i64,
    pending: Bytes,
    rx: mpsc::Receiver<Msg>,
    /// How the decoded stream ended, once the decoder thread said so.
    finished: Option<Result<()>>,
}

impl std::fmt::Debug for FragmentReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FragmentReader")
            .field("fragment", &self.fragment)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl FragmentReader {
    /// Wraps `raw`, the bytes of the fragment's file, decoding it with
    /// `fragment.compression_codec` and discarding content before `offset`
    /// (Go: `NewFragmentReader`). Returns once the discard is done, so errors
    /// found while discarding (a corrupt or short file) are returned here.
    ///
    /// `offset` must lie in `[fragment.begin, fragment.end]`.
    pub async fn new(raw: BoxRead, fragment: Fragment, offset: i64) -> Result<Self> {
        let codec = fragment.compression_codec;
        Self::start(raw, fragment, offset, false, codec, None, true).await
    }

    /// Starts the decoder thread: `raw` is gunzipped first if `gunzip_first`
    /// (an HTTP `Content-Encoding`), then decoded with `codec`. When the
    /// content must be verified (`verify`, and something to check), returns
    /// once it is.
    #[allow(clippy::too_many_arguments)]
    async fn start(
        raw: BoxRead,
        fragment: Fragment,
        offset: i64,
        gunzip_first: bool,
        codec: i32,
        url: Option<&str>,
        verify: bool,
    ) -> Result<Self> {
        if offset < fragment.begin || offset > fragment.end {
            return Err(Error::InvalidArgument(format!(
                "invalid offset ({offset}; expected {} <= offset <= {})",
                fragment.begin, fragment.end
            )));
        }
        let mut label = format!("{} {}-{}", fragment.journal, fragment.begin, fragment.end);
        if let Some(url) = url {
            label = format!("{label} ({url})");
        }
        let raw: BoxRead = Box::new(Source(raw));
        let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
        let (ready_tx, ready_rx) = oneshot::channel::<Result<()>>();
        let (begin, end) = (fragment.begin, fragment.end);
        let sha1 = Sha1Check::for_fragment(&fragment).filter(|_| verify);
        let hold = verify && must_hold(codec, gunzip_first, sha1.as_ref());
        tokio::task::spawn_blocking(move || {
            let mut decoder = Decoder {
                inner: None,
                offset: begin,
                end,
                overran: false,
                short: false,
                sha1,
            };
            // Decoders may read their headers as they are built, so they are
            // built here on the blocking thread.
            let raw = if gunzip_first {
                decompressor(CompressionCodec::Gzip as i32, raw)
            } else {
                Ok(raw)
            };
            let discarded = raw
                .and_then(|raw| decompressor(codec, raw))
                .map_err(decoder_error)
                .and_then(|inner| {
                    decoder.inner = Some(inner);
                    decoder.discard((offset - begin) as u64)
                });
            if !hold {
                let ok = discarded.is_ok();
                if ready_tx.send(discarded).is_err() || !ok {
                    return;
                }
                return decoder.pump(&tx);
            }
            let verified = discarded.and_then(|()| decoder.hold_rest(&|| ready_tx.is_closed()));
            let (held, outcome) = match verified {
                Ok(verified) => verified,
                Err(err) => {
                    let _ = ready_tx.send(Err(err));
                    return;
                }
            };
            if ready_tx.send(Ok(())).is_err() {
                return;
            }
            let sent = held.release(CHUNK_SIZE, |chunk| {
                tx.blocking_send(Msg::Data(chunk)).is_ok()
            });
            let _ = tx.blocking_send(Msg::End(sent.and(outcome)));
        });
        let in_fragment = |err| named(&label, err);
        match ready_rx.await {
            Ok(Ok(())) => Ok(FragmentReader {
                fragment,
                label,
                offset,
                pending: Bytes::new(),
                rx,
                finished: None,
            }),
            Ok(Err(err)) => Err(in_fragment(err)),
            Err(_) => Err(in_fragment(Error::Codec(
                "fragment decoder thread failed".into(),
            ))),
        }
    }

    /// The fragment being read.
    pub fn fragment(&self) -> &Fragment {
        &self.fragment
    }

    /// The journal offset of the next byte this reader hands out.
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// Returns the next decoded chunk, at most `max` bytes long (`max` > 0),
    /// without copying. `Ok(None)` is the clean end at exactly
    /// `Fragment.end`. The end (clean or an error) is returned again by
    /// later calls.
    pub async fn next_chunk(&mut self, max: usize) -> Result<Option<Bytes>> {
        let max = max.max(1);
        while self.pending.is_empty() {
            if let Some(finished) = &self.finished {
                return finished.clone().map(|()| None);
            }
            let end = match self.rx.recv().await {
                Some(Msg::Data(chunk)) => {
                    self.pending = chunk;
                    continue;
                }
                Some(Msg::End(result)) => result,
                None => Err(Error::Codec("fragment decoder thread failed".into())),
            };
            self.finished = Some(end.map_err(|err| named(&self.label, err)));
        }
        let n = max.min(self.pending.len());
        let chunk = self.pending.split_to(n);
        self.offset += n as i64;
        Ok(Some(chunk))
    }

    /// Copies decoded bytes into `buf`; `Ok(0)` for a non-empty `buf` is the
    /// clean end at `Fragment.end`.
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.next_chunk(buf.len()).await? {
            Some(chunk) => {
                buf[..chunk.len()].copy_from_slice(&chunk);
                Ok(chunk.len())
            }
            None => Ok(0),
        }
    }

    /// Reads and drops `n` bytes. Fails with `UnexpectedEof` if the
    /// fragment ends first.
    pub async fn discard(&mut self, mut n: u64) -> Result<()> {
        while n > 0 {
            let max = n.min(usize::MAX as u64) as usize;
            match self.next_chunk(max).await? {
                Some(chunk) => n -= chunk.len() as u64,
                None => return Err(named(&self.label, Error::UnexpectedEof)),
            }
        }
        Ok(())
    }
}

/// Wraps an error about the fragment's content in [`Error::Fragment`],
/// naming it; other errors (a fetch, cancellation) pass unchanged.
fn named(label: &str, err: Error) -> Error {
    match err {
        Error::Codec(_) | Error::UnexpectedEof | Error::DidNotReadExpectedEof | Error::Io(_) => {
            Error::Fragment {
                fragment: label.to_string(),
                error: Box::new(err),
            }
        }
        other => other,
    }
}

/// The blocking half: pulls from the codec decoder, enforcing the
/// end-of-fragment rules, and sends chunks to the async half.
struct Decoder {
    inner: Option<BoxRead>,
    /// Journal offset of the next decoded byte.
    offset: i64,
    end: i64,
    /// Set once content beyond `end` was seen and truncated away.
    overran: bool,
    /// Set when the decoded stream ended cleanly before `end`.
    short: bool,
    /// The fragment's sum, updated with every byte of `[begin, end)` read.
    sha1: Option<Sha1Check>,
}

impl Decoder {
    /// Reads into `buf` (non-empty), applying the rules of [`FragmentReader`].
    /// `Ok(0)` is the clean end.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        if self.overran {
            return Err(Error::DidNotReadExpectedEof);
        }
        let inner = self.inner.as_mut().expect("decoder is set");
        let n = loop {
            match inner.read(buf) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                other => break other.map_err(decoder_error)?,
            }
        };
        if n == 0 {
            return if self.offset == self.end {
                Ok(0)
            } else {
                self.short = true;
                Err(Error::UnexpectedEof)
            };
        }
        self.offset += n as i64;
        let mut keep = n;
        if self.offset > self.end {
            keep = n - (self.offset - self.end) as usize;
            self.offset = self.end;
            self.overran = true;
        }
        if let Some(sha1) = &mut self.sha1 {
            sha1.update(&buf[..keep]);
        }
        if keep == 0 {
            return Err(Error::DidNotReadExpectedEof);
        }
        // Past `end`, hand out the bytes before it; the next read reports
        // the error.
        Ok(keep)
    }

    /// Decodes the rest of the fragment into a [`Held`] and verifies it.
    /// Returns the held content and how reading it must end, or the error
    /// that makes it unusable (nothing of it may be handed out). Gives up
    /// with [`Error::Canceled`] once `abandoned` says no one waits.
    ///
    /// Verified means: with a sum, all of `[begin, end)` decoded and
    /// matching it; without one, the codec reached the end of its stream
    /// with all its checks passed.
    fn hold_rest(&mut self, abandoned: &dyn Fn() -> bool) -> Result<(Held, Result<()>)> {
        let mut held = Held::default();
        let mut buf = BytesMut::new();
        let outcome = loop {
            if abandoned() {
                return Err(Error::Canceled);
            }
            buf.resize(CHUNK_SIZE, 0);
            match self.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    buf.truncate(n);
                    held.push(buf.split().freeze())?;
                }
                Err(err) => break Err(err),
            }
        };
        let complete = self.offset == self.end;
        match self.sha1.take() {
            // A sum vouches only for the whole fragment; whatever follows its
            // end (junk, a codec error) doesn't taint it.
            Some(sha1) if complete => sha1.verify()?,
            Some(_) => return Err(outcome.expect_err("an incomplete read ends in an error")),
            None => match &outcome {
                Ok(()) => {}
                Err(Error::UnexpectedEof) if self.short => {}
                // Let the codec check the rest of its stream.
                Err(Error::DidNotReadExpectedEof) => self.drain_inner()?,
                Err(_) => return Err(outcome.expect_err("matched an error")),
            },
        }
        Ok((held, outcome))
    }

    /// Reads the codec's stream past `end` to its own end, so that its
    /// checksums are checked.
    fn drain_inner(&mut self) -> Result<()> {
        let inner = self.inner.as_mut().expect("decoder is set");
        io::copy(inner, &mut io::sink()).map_err(decoder_error)?;
        Ok(())
    }

    fn discard(&mut self, mut n: u64) -> Result<()> {
        let mut buf = vec![0u8; CHUNK_SIZE.min(n as usize).max(1)];
        while n > 0 {
            let want = buf.len().min(n as usize);
            match self.read(&mut buf[..want])? {
                0 => return Err(Error::UnexpectedEof),
                got => n -= got as u64,
            }
        }
        Ok(())
    }

    fn pump(&mut self, tx: &mpsc::Sender<Msg>) {
        let mut buf = BytesMut::new();
        loop {
            buf.resize(CHUNK_SIZE, 0);
            let result = self.read(&mut buf);
            let msg = match result {
                Ok(0) => Msg::End(Ok(())),
                Ok(n) => {
                    buf.truncate(n);
                    Msg::Data(buf.split().freeze())
                }
                Err(err) => Msg::End(Err(err)),
            };
            let last = matches!(msg, Msg::End(_));
            // A failed send means the reader was dropped: stop decoding.
            if tx.blocking_send(msg).is_err() || last {
                return;
            }
        }
    }
}
