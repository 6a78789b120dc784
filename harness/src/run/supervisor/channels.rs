//! Which ends of its pipes and socket pairs a process holds when it uses one: the tracer's side
//! of `closed-ends`, at the seccomp stops of a job that records descriptors.
//!
//! The moment that matters is a process's **first use of a channel**: its first read, write,
//! send or receive on one end of a pipe or socket pair. By then it has done whatever it does
//! to close the end it does not use (a child closes it right after the fork); holding it still
//! is what makes a reader wait for ever for an end-of-file, and a writer keep a buffer alive
//! for nobody. So at each task's first call on each pipe or socket (a set of task and inode:
//! later calls on it cost no `/proc` read), the descriptors of the task are read, and kept when
//! it holds another descriptor of the same pipe, or another socket (whether it is the peer is
//! judged by `grade/`, from the pairs recorded here). The pairs themselves are the two sockets
//! a task holds at the return of each `socketpair` that it did not hold at its entry. Descriptors held at a process's end are read by the tracer at its last exit stop.

use std::collections::HashSet;

use ::procfs::process::FDTarget;

use super::procfs;
use crate::run::job::{ChannelUse, FdTarget};

/// What a job that records descriptors learns at its seccomp stops.
#[derive(Debug, Default)]
pub(super) struct Channels {
    pairs: Vec<[u64; 2]>,
    /// Tasks and the pipe or socket inodes they have used already.
    seen: HashSet<(i32, u64)>,
    uses: Vec<ChannelUse>,
}

impl Channels {
    /// At the entry of `call` by `tid` on descriptor `fd`: reads the task's descriptors if this
    /// is its first call on that pipe or socket, and keeps them if it holds another end.
    pub(super) fn on_io(&mut self, tid: i32, call: &'static str, fd: u64) {
        let Some(FDTarget::Pipe(inode) | FDTarget::Socket(inode)) = procfs::fd_target(tid, fd)
        else {
            return;
        };
        if !self.seen.insert((tid, inode)) {
            return;
        }
        let Some(open_fds) = procfs::open_fds(tid, tid) else {
            return;
        };
        let Ok(fd) = i32::try_from(fd) else {
            return;
        };
        let Some(used) = open_fds.iter().find(|open| open.fd == fd) else {
            return;
        };
        let another = open_fds.iter().any(|open| {
            open.fd != fd
                && match (&used.target, &open.target) {
                    (FdTarget::Pipe { inode, .. }, FdTarget::Pipe { inode: other, .. }) => {
                        inode == other
                    }
                    (FdTarget::Socket { .. }, FdTarget::Socket { .. }) => true,
                    _ => false,
                }
        });
        if another {
            let process = procfs::tgid_and_ppid(tid).map_or(tid, |(tgid, _)| tgid);
            self.uses.push(ChannelUse {
                tid,
                process,
                call: call.to_owned(),
                fd,
                open_fds,
            });
        }
    }

    /// The sockets `tid` holds at the entry of a `socketpair`, by inode.
    pub(super) fn before_socketpair(tid: i32) -> Vec<u64> {
        sockets(tid)
    }

    /// At the return of a `socketpair` of `tid` that succeeded, given the sockets it held
    /// before: the two new ones are the pair. The task's memory, where the call wrote their
    /// numbers, cannot be read once the program has changed its uid (it is no longer
    /// dumpable); if some other thread of the process made or closed sockets meanwhile, so
    /// that not exactly two are new, nothing is recorded.
    pub(super) fn on_socketpair(&mut self, tid: i32, before: &[u64]) {
        let new: Vec<u64> = sockets(tid)
            .into_iter()
            .filter(|inode| !before.contains(inode))
            .collect();
        if let [one, other] = new[..] {
            self.pairs.push([one, other]);
        }
    }

    /// The sockets of each pair, and the first uses of a channel with another end held.
    pub(super) fn finish(self) -> (Vec<[u64; 2]>, Vec<ChannelUse>) {
        (self.pairs, self.uses)
    }
}

/// The inodes of the sockets `tid` holds, each once.
fn sockets(tid: i32) -> Vec<u64> {
    let mut inodes: Vec<u64> = procfs::open_fds(tid, tid)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|fd| match fd.target {
            FdTarget::Socket { inode } => Some(inode),
            _ => None,
        })
        .collect();
    inodes.sort_unstable();
    inodes.dedup();
    inodes
}

/// The name of an I/O call by number, for the calls whose first argument is the descriptor
/// used: reads, writes, sends and receives.
#[cfg(target_arch = "x86_64")]
pub(super) fn io_call(number: i64) -> Option<&'static str> {
    use nix::libc;
    Some(match number {
        libc::SYS_read => "read",
        libc::SYS_readv => "readv",
        libc::SYS_recvfrom => "recvfrom",
        libc::SYS_recvmsg => "recvmsg",
        libc::SYS_recvmmsg => "recvmmsg",
        libc::SYS_write => "write",
        libc::SYS_writev => "writev",
        libc::SYS_sendto => "sendto",
        libc::SYS_sendmsg => "sendmsg",
        libc::SYS_sendmmsg => "sendmmsg",
        _ => return None,
    })
}
