//! Settings of an [`AppendService`](super::AppendService).

use tokio::runtime::Handle;

use crate::spill_buffer::{SpillFactory, DEFAULT_BUFFER_SIZE};

/// Default batch size cutoff: a batch holding more than this many bytes
/// takes no further appends (Go's 64 MiB).
pub const DEFAULT_SIZE_CUTOFF: u64 = 64 << 20;

/// Default number of idle spill files an AppendService keeps for reuse.
pub const DEFAULT_MAX_IDLE_BUFFERS: usize = 16;

/// Settings of an [`AppendService`](super::AppendService).
#[derive(Clone)]
pub struct AppendServiceConfig {
    /// A batch whose committed bytes exceed this takes no more appends; the
    /// next append starts a new batch. Default [`DEFAULT_SIZE_CUTOFF`].
    pub size_cutoff: u64,
    /// Bytes of memory in front of each spill file. Default 8 KiB.
    pub buffer_size: usize,
    /// Idle spill files kept for reuse; the rest are closed. Default
    /// [`DEFAULT_MAX_IDLE_BUFFERS`].
    pub max_idle_buffers: usize,
    /// Runtime that runs the service's tasks. `None`: the runtime current
    /// when the service is created.
    pub runtime: Option<Handle>,
    /// Makes the storage behind new spill buffers. `None`: unlinked
    /// temporary files in `spill_dir`.
    pub spill_factory: Option<SpillFactory>,
    /// Directory of the (unlinked) spill files when there is no
    /// `spill_factory`. `None`: the system's temporary directory. When it
    /// can't take a file (missing, not a directory, full), the appends that
    /// need one fail with the I/O error; nothing committed is affected.
    pub spill_dir: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for AppendServiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppendServiceConfig")
            .field("size_cutoff", &self.size_cutoff)
            .field("buffer_size", &self.buffer_size)
            .field("max_idle_buffers", &self.max_idle_buffers)
            .field("runtime", &self.runtime.is_some())
            .field("spill_factory", &self.spill_factory.is_some())
            .field("spill_dir", &self.spill_dir)
            .finish()
    }
}

impl Default for AppendServiceConfig {
    fn default() -> Self {
        AppendServiceConfig {
            size_cutoff: DEFAULT_SIZE_CUTOFF,
            buffer_size: DEFAULT_BUFFER_SIZE,
            max_idle_buffers: DEFAULT_MAX_IDLE_BUFFERS,
            runtime: None,
            spill_factory: None,
            spill_dir: None,
        }
    }
}
