//! The census rules on descriptors and IPC objects: no child process still holds both ends of
//! one pipe, or both sockets of one socket pair, when it uses one of them or when it ends
//! (`closed-ends`); no IPC object is left when the program ends (`ipc-removed`).
//!
//! A process that holds both ends of a channel keeps the one it does not use: a reader that
//! keeps the write end never sees end-of-file, a writer that keeps the read end keeps the
//! pipe's buffer alive for nobody. The other end should have been closed (`drop`, `close`,
//! `O_CLOEXEC` before an `exec`...): how does not matter, only what the process held when it
//! first used the channel (`Census::channel_uses`, see `run/supervisor/channels.rs`) and when
//! it ended (`Task::open_fds`, at its last thread's exit stop). The first is the moment that
//! matters, and catches a child that closes the end it used before it ends but kept the other
//! all along; the second, one that never used the channel. What was not seen (a child killed
//! by labgrade) is not judged: nothing was observed of it.

use std::collections::BTreeMap;

use super::super::model::{Failure, FailureKind};
use crate::run::{Census, FdTarget, IpcObject, OpenFd, PipeEnd, Task, TaskKind};

/// Why the program's children did not close the ends they do not use, if one did not: every
/// child that used one end of a channel while it held the other, or held both when it ended,
/// with those descriptors.
pub(super) fn closed_ends_failure(census: &Census) -> Option<Failure> {
    let kept: Vec<String> = census
        .tasks
        .iter()
        .filter(|task| task.kind == TaskKind::Process)
        .filter_map(|task| kept_ends(task, census))
        .collect();
    (!kept.is_empty()).then(|| Failure {
        what: FailureKind::Census,
        expected: "each child process to close the end of a pipe or socket pair it does not use \
                   (no child uses one end while it holds the other, nor holds both when it ends)"
            .to_owned(),
        actual: kept.join("; "),
    })
}

/// Why the program did not remove every IPC object it made, if it did not (`ipc-removed`): each
/// object still there when its main process ended. Objects that could not be seen (no IPC
/// namespace of the program's own) are not judged: nothing was observed.
pub(super) fn ipc_left_failure(census: &Census) -> Option<Failure> {
    let left = census.ipc_left.as_ref()?;
    (!left.is_empty()).then(|| Failure {
        what: FailureKind::Census,
        expected: "no IPC object left when the program ends: every System V shared memory \
                   segment, semaphore set and message queue, and every POSIX shared memory \
                   object it made, removed"
            .to_owned(),
        actual: format!(
            "when the main process ended, the program left {}",
            left.iter()
                .map(IpcObject::describe)
                .collect::<Vec<_>>()
                .join("; ")
        ),
    })
}

/// What child `task` kept, in words: at its first use of a channel whose other end it held
/// (the moment that matters), else at its end; `None` if it kept nothing that was seen.
fn kept_ends(task: &Task, census: &Census) -> Option<String> {
    let parent = task.parent.map_or_else(String::new, |parent| {
        format!(" (a child of process {parent})")
    });
    let who = format!("process {}{parent}", task.tid);
    let pairs = &census.socket_pairs;
    for used in census
        .channel_uses
        .iter()
        .filter(|used| used.process == task.tid)
    {
        let Some(ends) = channels(&used.open_fds, pairs)
            .into_iter()
            .find(|ends| ends.iter().any(|fd| fd.fd == used.fd))
        else {
            continue;
        };
        let (mine, others): (Vec<&OpenFd>, Vec<&OpenFd>) =
            ends.into_iter().partition(|fd| fd.fd == used.fd);
        return Some(format!(
            "{who} made its first {} on {} while it still held {}",
            used.call,
            in_words(&mine),
            in_words(&others)
        ));
    }
    let held: Vec<String> = channels(task.open_fds.as_ref()?, pairs)
        .iter()
        .map(|ends| in_words(ends))
        .collect();
    (!held.is_empty()).then(|| {
        format!(
            "{who} still held both ends of one channel when it ended: {}",
            held.join("; ")
        )
    })
}

/// Descriptors in words: `fd 3, the read end of pipe:[9] and fd 4, the write end of pipe:[9]`.
fn in_words(fds: &[&OpenFd]) -> String {
    let words: Vec<String> = fds.iter().map(|fd| fd.describe()).collect();
    words.join(" and ")
}

/// The channels of which `fds` hold both ends, each with those descriptors in order of number:
/// a pipe read and written, or both sockets of one pair.
fn channels<'a>(fds: &'a [OpenFd], socket_pairs: &[[u64; 2]]) -> Vec<Vec<&'a OpenFd>> {
    let mut pipes: BTreeMap<u64, Vec<&OpenFd>> = BTreeMap::new();
    for fd in fds {
        if let FdTarget::Pipe { inode, .. } = fd.target {
            pipes.entry(inode).or_default().push(fd);
        }
    }
    let mut channels: Vec<Vec<&OpenFd>> = pipes
        .into_values()
        .filter(|ends| {
            let has = |wanted: fn(PipeEnd) -> bool| {
                ends.iter()
                    .any(|fd| matches!(fd.target, FdTarget::Pipe { end, .. } if wanted(end)))
            };
            has(PipeEnd::reads) && has(PipeEnd::writes)
        })
        .collect();
    for pair in socket_pairs {
        let ends: Vec<&OpenFd> = fds
            .iter()
            .filter(|fd| matches!(fd.target, FdTarget::Socket { inode } if pair.contains(&inode)))
            .collect();
        let both = pair.iter().all(|inode| {
            ends.iter()
                .any(|fd| fd.target == FdTarget::Socket { inode: *inode })
        });
        if both {
            channels.push(ends);
        }
    }
    channels
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::evaluate::fixtures::thread;

    fn child(tid: i32, fds: &[(i32, FdTarget)]) -> Task {
        let mut task = thread(tid, 0, 0, Some(9));
        task.kind = TaskKind::Process;
        task.process = tid;
        task.open_fds = Some(
            fds.iter()
                .map(|(fd, target)| OpenFd {
                    fd: *fd,
                    target: target.clone(),
                })
                .collect(),
        );
        task
    }

    fn pipe(inode: u64, end: PipeEnd) -> FdTarget {
        FdTarget::Pipe { inode, end }
    }

    fn census(tasks: Vec<Task>, socket_pairs: Vec<[u64; 2]>) -> Census {
        Census {
            tasks,
            socket_pairs,
            ..Census::default()
        }
    }

    #[test]
    fn a_child_holding_both_ends_of_a_pipe_is_named_with_its_descriptors() {
        // Its stdout is the write end of the supervisor's pipe: one end only, never judged.
        let stdout = (1, pipe(7, PipeEnd::Write));
        let closed = census(
            vec![child(5, &[stdout.clone(), (3, pipe(9, PipeEnd::Read))])],
            vec![],
        );
        assert!(closed_ends_failure(&closed).is_none());
        let kept = census(
            vec![child(
                5,
                &[
                    stdout,
                    (3, pipe(9, PipeEnd::Read)),
                    (4, pipe(9, PipeEnd::Write)),
                ],
            )],
            vec![],
        );
        let failure = closed_ends_failure(&kept).expect("both ends kept");
        assert_eq!(
            failure.actual,
            "process 5 (a child of process 1) still held both ends of one channel when it \
             ended: fd 3, the read end of pipe:[9] and fd 4, the write end of pipe:[9]"
        );
    }

    #[test]
    fn only_children_and_only_both_sockets_of_one_pair_count() {
        let sockets = [
            (3, FdTarget::Socket { inode: 20 }),
            (4, FdTarget::Socket { inode: 21 }),
        ];
        // Two sockets of different pairs are not one channel.
        let apart = census(vec![child(5, &sockets)], vec![[20, 30], [21, 31]]);
        assert!(closed_ends_failure(&apart).is_none());
        let paired = census(vec![child(5, &sockets)], vec![[21, 20]]);
        let failure = closed_ends_failure(&paired).expect("both sockets kept");
        assert!(
            failure
                .actual
                .ends_with("fd 3, socket:[20] and fd 4, socket:[21]"),
            "{}",
            failure.actual
        );
        // The main process is not a child; a child whose end was not seen is not judged.
        let mut main = child(1, &sockets);
        main.kind = TaskKind::Main;
        let mut unseen = child(5, &[]);
        unseen.open_fds = None;
        assert!(closed_ends_failure(&census(vec![main, unseen], vec![[20, 21]])).is_none());
    }

    #[test]
    fn ipc_objects_left_are_named_and_unseen_ones_not_judged() {
        let mut left = Census::default();
        assert!(ipc_left_failure(&left).is_none());
        left.ipc_left = Some(Vec::new());
        assert!(ipc_left_failure(&left).is_none());
        left.ipc_left = Some(vec![IpcObject::SharedMemory {
            key: 0,
            id: 3,
            bytes: 64,
        }]);
        assert_eq!(
            ipc_left_failure(&left).expect("a segment left").actual,
            "when the main process ended, the program left System V shared memory segment 3 \
             (key 0x0, 64 bytes), never removed with shmctl(IPC_RMID)"
        );
    }
}
