//! The descriptors a process still held when it used a channel or ended, and what each pointed
//! to, and the IPC objects a program left: what lets a rubric require that a child closes the
//! pipe or socket ends it does not use, and that no IPC object outlives the program.

use serde::{Deserialize, Serialize};

#[cfg(doc)]
use super::{Census, Task, Trace};

/// One descriptor a process still held at its end ([`Task::open_fds`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenFd {
    /// Its number in the process.
    pub fd: i32,
    /// What it pointed to.
    pub target: FdTarget,
}

/// A task's first call on one end of a pipe or socket while its process held another end
/// ([`Census::channel_uses`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelUse {
    /// The task that made the call.
    pub tid: i32,
    /// Its process.
    pub process: i32,
    /// The call: `read`, `write`, `sendmsg`...
    pub call: String,
    /// The descriptor it used.
    pub fd: i32,
    /// Every descriptor the process held at that call, in order of number.
    pub open_fds: Vec<OpenFd>,
}

/// What a descriptor pointed to, from its link in `/proc/<pid>/task/<tid>/fd` and, for a pipe,
/// the read and write bits of that link (set from the descriptor's open mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FdTarget {
    /// One end of a pipe (`pipe:[inode]`).
    Pipe {
        /// The pipe's inode: the two ends of one pipe share it.
        inode: u64,
        /// Which end.
        end: PipeEnd,
    },
    /// A socket (`socket:[inode]`); [`Census::socket_pairs`] says which two make a pair.
    Socket {
        /// The socket's inode.
        inode: u64,
    },
    /// Anything else: a file's path, `anon_inode:[eventfd]`, `/memfd:name (deleted)`...
    Other {
        /// The link as the kernel shows it.
        link: String,
    },
}

/// Which end of a pipe a descriptor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PipeEnd {
    /// Opened for reading: the read end.
    Read,
    /// Opened for writing: the write end.
    Write,
    /// Opened for both (a pipe opened again through `/proc` with `O_RDWR`): both ends at once.
    Both,
}

impl PipeEnd {
    /// Whether a descriptor of this kind reads.
    #[must_use]
    pub fn reads(self) -> bool {
        self != Self::Write
    }

    /// Whether a descriptor of this kind writes.
    #[must_use]
    pub fn writes(self) -> bool {
        self != Self::Read
    }
}

impl OpenFd {
    /// The descriptor in words: `fd 4, the write end of pipe:[4711]`.
    #[must_use]
    pub fn describe(&self) -> String {
        let fd = self.fd;
        match &self.target {
            FdTarget::Pipe { inode, end } => {
                let which = match end {
                    PipeEnd::Read => "the read end",
                    PipeEnd::Write => "the write end",
                    PipeEnd::Both => "both ends",
                };
                format!("fd {fd}, {which} of pipe:[{inode}]")
            }
            FdTarget::Socket { inode } => format!("fd {fd}, socket:[{inode}]"),
            FdTarget::Other { link } => format!("fd {fd}, {link}"),
        }
    }
}

/// An IPC object still there when the program's main process ended ([`Census::ipc_left`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IpcObject {
    /// A System V shared memory segment (`shmget`) not marked for removal (`IPC_RMID`).
    SharedMemory {
        /// Its key (0, `IPC_PRIVATE`, for a segment made without one).
        key: i64,
        /// Its id.
        id: i64,
        /// Its size.
        bytes: u64,
    },
    /// A System V semaphore set (`semget`).
    Semaphores {
        /// Its key.
        key: i64,
        /// Its id.
        id: i64,
    },
    /// A System V message queue (`msgget`).
    MessageQueue {
        /// Its key.
        key: i64,
        /// Its id.
        id: i64,
    },
    /// A POSIX shared memory object (`shm_open`): a file of the program's own `/dev/shm`.
    PosixSharedMemory {
        /// Its name.
        name: String,
    },
}

impl IpcObject {
    /// The object in words: `System V shared memory segment 3 (key 0x4c470001, 16777216 bytes)`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::SharedMemory { key, id, bytes } => format!(
                "System V shared memory segment {id} (key {key:#x}, {bytes} bytes), never removed \
                 with shmctl(IPC_RMID)"
            ),
            Self::Semaphores { key, id } => format!(
                "System V semaphore set {id} (key {key:#x}), never removed with semctl(IPC_RMID)"
            ),
            Self::MessageQueue { key, id } => format!(
                "System V message queue {id} (key {key:#x}), never removed with msgctl(IPC_RMID)"
            ),
            Self::PosixSharedMemory { name } => {
                format!("POSIX shared memory object /dev/shm/{name}, never removed with shm_unlink")
            }
        }
    }
}
