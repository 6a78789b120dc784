//! Why a job cgroup could not be made or removed, in words that say what to do about the
//! common cases: they reach the containment list of a report and `labgrade doctor`.

use std::io;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::unistd::geteuid;

/// Why a job cgroup could not be made, or removed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CgroupError {
    /// No cgroup hierarchy labgrade uses is mounted.
    #[error("none mounted")]
    NoneMounted,
    /// Hierarchies are mounted, but no job cgroup could be made in any (and no reason was
    /// recorded).
    #[error("none usable")]
    NoneUsable,
    /// A cgroup file or folder is on a read-only mount.
    #[error("{} is read-only", path.display())]
    ReadOnly { path: PathBuf },
    /// Not root, and the cgroup file or folder is not ours to change.
    #[error("not root, and {} is not delegated to us", path.display())]
    NotDelegated { path: PathBuf },
    /// Any other I/O error on a cgroup file or folder.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The owner's lock on a job cgroup folder just made could not be taken.
    #[error("cannot lock {}: {errno}", dir.display())]
    Lock { dir: PathBuf, errno: Errno },
    /// Another supervisor took the job cgroup folder just made, still unlocked, for a dead
    /// one's and removed it.
    #[error("{} was removed as it was made; try again", dir.display())]
    RemovedAsMade { dir: PathBuf },
    /// Controllers the limits need are not available in a v2 cgroup folder.
    #[error("the v2 controller(s) {} are not available in {}", lacking.join(", "), dir.display())]
    ControllersMissing { lacking: Vec<String>, dir: PathBuf },
    /// A job cgroup folder could not be removed (the next supervisor's `remove_stale` removes
    /// it).
    #[error("cannot remove the cgroup {}: {source}", dir.display())]
    Remove {
        dir: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl CgroupError {
    /// An I/O error on a cgroup file, in words that say what to do about the common cases.
    pub(crate) fn io(path: &Path, error: io::Error) -> Self {
        let path = path.to_path_buf();
        match error.raw_os_error().map(Errno::from_raw) {
            Some(Errno::EROFS) => Self::ReadOnly { path },
            Some(Errno::EACCES | Errno::EPERM) if !geteuid().is_root() => {
                Self::NotDelegated { path }
            }
            _ => Self::Io {
                path,
                source: error,
            },
        }
    }
}
