//! A cheap fork check. Handles made before `fork()` must report FORKED in
//! the child, but asking the kernel (`getpid`) on every call costs a
//! syscall per record on the hot paths. Instead a `pthread_atfork` child
//! hook bumps a generation counter, and a handle compares the generation it
//! was made in with the current one: one relaxed atomic load.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

/// Forks this process went through since the hook was installed.
static GENERATION: AtomicU32 = AtomicU32::new(0);

extern "C" fn in_child() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// The current fork generation, installing the hook on first use. Call it
/// when creating a handle, so the hook exists before any fork that matters.
pub fn generation() -> u32 {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // SAFETY: registers a plain function with no preconditions; the
        // hook only touches an atomic, which is async-signal-safe.
        let rc = unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
        assert_eq!(rc, 0, "pthread_atfork failed");
    });
    GENERATION.load(Ordering::Relaxed)
}

/// True in a fork child of the process state that read `born`.
#[inline]
pub fn forked_since(born: u32) -> bool {
    // The hook is installed: `born` came from `generation()`.
    GENERATION.load(Ordering::Relaxed) != born
}
