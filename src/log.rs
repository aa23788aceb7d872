//! Log lines for C callers: a process-wide callback, or stderr through the
//! `GAZETTE_LOG` environment variable.
//!
//! The library logs through `tracing` and installs no subscriber for Rust
//! users. For C callers a small subscriber is made the *thread-local* default
//! of each FFI runtime worker thread (`on_thread_start`), rather than the
//! process-global default: the global one can be set only once per process,
//! and another Rust library (or the host's own Rust code) may want it. Every
//! FFI operation runs on those worker threads (callers only wait on a
//! channel), so nothing is lost by the scoping.

use std::ffi::{c_char, c_void, CString};
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
use std::sync::Mutex;

use once_cell::sync::Lazy;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};

use super::error::FfiError;
use super::status::gazette_status;

/// Severity of a log line; a callback's `max_level` lets through this level
/// and every lower (more severe) one.
///
/// cbindgen:prefix-with-name=false
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum gazette_log_level {
    /// Failures the library could not recover from by itself.
    GAZETTE_LOG_ERROR = 1,
    /// Failures that will be retried (read and append retries).
    GAZETTE_LOG_WARN = 2,
    /// Notable events (fragments opened directly from the store).
    GAZETTE_LOG_INFO = 3,
    /// Details (route changes and invalidations).
    GAZETTE_LOG_DEBUG = 4,
    /// Everything.
    GAZETTE_LOG_TRACE = 5,
}

/// A log callback: `cb(userdata, level, target, message)`. `target` names
/// the library module (e.g. `gazette::retry_reader`) and `message`
/// is the line (text, then `key=value` fields); both are NUL-terminated and
/// valid only during the call. See `gazette_set_log_callback`.
pub type gazette_log_callback = Option<
    extern "C" fn(
        userdata: *mut c_void,
        level: gazette_log_level,
        target: *const c_char,
        message: *const c_char,
    ),
>;

/// A non-NULL log callback.
type LogFn = extern "C" fn(*mut c_void, gazette_log_level, *const c_char, *const c_char);

/// The installed callback and its user data (as an address, to be `Send`).
static CALLBACK: Mutex<Option<(LogFn, usize)>> = Mutex::new(None);
/// The current maximum level (0: off): the callback's, else `GAZETTE_LOG`'s.
static MAX_LEVEL: Lazy<AtomicU8> = Lazy::new(|| AtomicU8::new(env_level()));

/// The level named by `GAZETTE_LOG` (0 if unset or unknown).
fn env_level() -> u8 {
    match std::env::var("GAZETTE_LOG").as_deref().map(str::trim) {
        Ok("error") => 1,
        Ok("warn") => 2,
        Ok("info") => 3,
        Ok("debug") => 4,
        Ok("trace") => 5,
        _ => 0,
    }
}

fn level_number(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

fn level_of(n: u8) -> gazette_log_level {
    match n {
        1 => gazette_log_level::GAZETTE_LOG_ERROR,
        2 => gazette_log_level::GAZETTE_LOG_WARN,
        3 => gazette_log_level::GAZETTE_LOG_INFO,
        4 => gazette_log_level::GAZETTE_LOG_DEBUG,
        _ => gazette_log_level::GAZETTE_LOG_TRACE,
    }
}

/// The C-facing subscriber, shared by every FFI worker thread.
static DISPATCH: Lazy<Dispatch> = Lazy::new(|| Dispatch::new(FfiSubscriber));

/// Makes the C-facing subscriber the default of the calling thread for the
/// rest of its life; called on every FFI runtime thread as it starts.
pub fn enter_worker() {
    // Forgetting the guard keeps the default until the thread ends, when
    // the thread-local state (and its Dispatch clone) is dropped.
    std::mem::forget(tracing::dispatcher::set_default(&DISPATCH));
    // Once per process, with ours now this thread's default: interests
    // computed earlier on threads without it must not stay "never".
    static REBUILT: std::sync::Once = std::sync::Once::new();
    REBUILT.call_once(tracing::callsite::rebuild_interest_cache);
}

/// Sends the library's own events (targets `gazette...`) to the callback or
/// stderr; dependencies' events (h2, hyper, tonic) are left out.
struct FfiSubscriber;

impl Subscriber for FfiSubscriber {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // Never cached: the level may change at any time.
        Interest::sometimes()
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        use tracing::level_filters::LevelFilter;
        Some(match MAX_LEVEL.load(Relaxed) {
            0 => LevelFilter::OFF,
            n => LevelFilter::from_level(match level_of(n) {
                gazette_log_level::GAZETTE_LOG_ERROR => Level::ERROR,
                gazette_log_level::GAZETTE_LOG_WARN => Level::WARN,
                gazette_log_level::GAZETTE_LOG_INFO => Level::INFO,
                gazette_log_level::GAZETTE_LOG_DEBUG => Level::DEBUG,
                gazette_log_level::GAZETTE_LOG_TRACE => Level::TRACE,
            }),
        })
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        // Events and `enabled!` hints (not events by kind); no spans.
        !meta.is_span()
            && meta.target().starts_with("gazette")
            && level_number(meta.level()) <= MAX_LEVEL.load(Relaxed)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1) // Unreached: `enabled` admits no span.
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        let mut line = Line::default();
        event.record(&mut line);
        let mut text = line.message;
        text.push_str(&line.fields);
        let level = level_number(meta.level());
        // Copied out so the callback runs without the lock held (it may
        // replace itself).
        let callback = *CALLBACK.lock().unwrap_or_else(|e| e.into_inner());
        match callback {
            Some((cb, userdata)) => {
                let target = c_string(meta.target());
                let message = c_string(&text);
                cb(
                    userdata as *mut c_void,
                    level_of(level),
                    target.as_ptr(),
                    message.as_ptr(),
                );
            }
            None => {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "gazette {} {}: {}",
                    meta.level(),
                    meta.target(),
                    text
                );
            }
        }
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// A C string of `s`, with any NUL replaced.
fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "\\0")).unwrap_or_default()
}

/// An event's message and its other fields as ` key=value`.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

/// Installs `cb` as the process-wide log callback with `max_level` (a
/// `gazette_log_level`), replacing any previous one; NULL `cb` removes it
/// (`max_level` is then ignored). Callable at any time, from any thread.
///
/// The callback runs on the library's own threads (any of them, possibly
/// several at once), so it must be thread-safe; it must return promptly and
/// must not call the library's waiting functions (reads, appends, closes,
/// `*_wait`). A call already running on another thread may still finish
/// after this function returns, so keep `userdata` valid until then.
///
/// Without a callback, setting the environment variable `GAZETTE_LOG` to
/// `error`, `warn`, `info`, `debug` or `trace` logs to stderr instead (read
/// when the first client starts and whenever the callback is removed).
///
/// Errors: INVALID_ARGUMENT (`max_level` out of range with a non-NULL `cb`).
#[no_mangle]
pub extern "C" fn gazette_set_log_callback(
    cb: gazette_log_callback,
    userdata: *mut c_void,
    max_level: i32,
    err: *mut *mut super::error::gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        let level = match cb {
            None => env_level(),
            Some(_) if (1..=5).contains(&max_level) => max_level as u8,
            Some(_) => {
                return Err(FfiError::invalid(format!(
                    "max_level must be a gazette_log_level, 1..5 (got {max_level})"
                )))
            }
        };
        *CALLBACK.lock().unwrap_or_else(|e| e.into_inner()) = cb.map(|cb| (cb, userdata as usize));
        MAX_LEVEL.store(level, Relaxed);
        // `tracing` caches each callsite's interest and the highest level
        // any subscriber wants. When ours is its only registered subscriber,
        // it asks the *calling* thread's default, which on a C thread is
        // none: rebuild with ours as this thread's default.
        tracing::dispatcher::with_default(&DISPATCH, tracing::callsite::rebuild_interest_cache);
        Ok(gazette_status::Ok)
    })
}
