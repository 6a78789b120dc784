//! Which unprivileged uid an isolated program runs as: one that no other live supervisor on the
//! machine holds, claimed with a lock file per uid and confirmed unused by the kernel itself.
//!
//! Programs of concurrent jobs must not share a uid: `RLIMIT_NPROC` counts every task of a uid
//! machine-wide, and processes of one uid may signal and trace each other. Several labgrade
//! processes may run at once (a batch with `--jobs`, parallel tests, two TAs on one server,
//! a container beside the host), so the claim is machine-wide, in two parts:
//!
//! * an exclusive `flock` on `<LOCK_DIR>/<uid>`, held by the supervisor until it exits (the
//!   kernel releases it even when the supervisor is killed). Only root drops to another uid, so
//!   the lock folder lives in root's `/run` (a tmpfs: nothing of it outlives a reboot);
//! * a question to the kernel, since labgrades in other containers may have another `/run`
//!   and another `/proc`: does the uid have any task at all, in any PID namespace, zombies
//!   included? [`unused`] answers it exactly with the kernel's own count of the uid's tasks
//!   (see there), where a `/proc` search would see only our own PID namespace.
//!
//! A uid with tasks is passed over and **its tasks are left alone**: nothing here tells a live
//! labgrade's program from a dead one's leftover, and only the owner may kill. Leftovers of a
//! supervisor that died sit in its job cgroup, which the next supervisor removes once the dead
//! one's lock on it is free (see `cgroup::remove_stale`), killing them.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use nix::libc;
use nix::sys::resource::{Resource, setrlimit};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Gid, Pid, Uid, fork, setgid, setgroups, setuid};

/// First uid (and gid) of the range isolated programs run as.
pub(super) const BASE: u32 = 61_000;
/// Number of uids in that range: more than enough supervisors at once on one machine.
pub(super) const COUNT: u32 = 4_000;
/// Folder of the lock files, one per uid.
const LOCK_DIR: &str = "/run/labgrade/uids";

/// A uid held by this supervisor for as long as the claim lives.
#[derive(Debug)]
pub(super) struct Claim {
    /// The uid (and gid) the program runs as.
    pub(super) uid: u32,
    /// How the uid was chosen, in words, when it is not held by a lock.
    pub(super) caveat: Option<String>,
    /// The lock; dropping it frees the uid.
    _lock: Option<Flock<File>>,
}

/// Claims a uid for supervisor `supervisor`, starting the search at a place that depends on its
/// pid so that concurrent supervisors rarely contend for the same lock.
pub(super) fn claim(supervisor: Pid) -> Claim {
    let start = supervisor.as_raw().unsigned_abs() % COUNT;
    match claim_in(Path::new(LOCK_DIR), start, unused) {
        Ok(claim) => claim,
        // Without the lock folder, the kernel's count still keeps us off a uid in use.
        Err(reason) => {
            let uid = (0..COUNT)
                .map(|offset| BASE + (start + offset) % COUNT)
                .find(|&uid| unused(uid) == Usage::Unused)
                .unwrap_or(BASE + start);
            Claim {
                uid,
                caveat: Some(format!(
                    "uid chosen as one with no task, not locked: {reason}"
                )),
                _lock: None,
            }
        }
    }
}

/// What the kernel says of a uid's tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Usage {
    Unused,
    /// Some task (running, sleeping or a zombie) has it as its real uid.
    InUse,
}

/// Claims the first uid of the range in `lock_dir`, searching from offset `start`, whose lock is
/// free and that `usage` finds unused.
fn claim_in(lock_dir: &Path, start: u32, usage: impl Fn(u32) -> Usage) -> Result<Claim, String> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(lock_dir)
        .map_err(|error| format!("cannot create `{}`: {error}", lock_dir.display()))?;
    let mut busy = 0;
    for offset in 0..COUNT {
        let uid = BASE + (start + offset) % COUNT;
        let path: PathBuf = lock_dir.join(uid.to_string());
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|error| format!("cannot open `{}`: {error}", path.display()))?;
        let Ok(lock) = Flock::lock(file, FlockArg::LockExclusiveNonblock) else {
            continue;
        };
        if usage(uid) == Usage::Unused {
            return Ok(Claim {
                uid,
                caveat: None,
                _lock: Some(lock),
            });
        }
        // A labgrade that does not share our `/run` (another container) uses it, or a dead
        // supervisor's leftovers do: either way it is not ours.
        busy += 1;
    }
    Err(format!(
        "every uid of {BASE} to {} is locked or has tasks ({busy} of them had tasks)",
        BASE + COUNT - 1
    ))
}

/// Whether `uid` has any task on the machine, asked of the kernel rather than of `/proc`: a
/// child of ours takes the uid with `RLIMIT_NPROC` at 2 and forks. The kernel counts every task
/// of the uid in the user namespace, whatever PID namespace it is in and whether or not it is
/// a zombie, and refuses a fork that would take the count past the limit (`EAGAIN`). Our child
/// is one task and the fork's new one is the second: the fork succeeds exactly when nobody else
/// has the uid. Root's exemption from the limit is gone once the child has dropped to the uid.
///
/// When the question cannot be asked (a fork fails for want of memory, the uid is not mapped
/// in a user namespace), the uid counts as unused: the lock still holds it against every
/// labgrade that shares our `/run`, and the uid drop would fail loudly if it is unusable.
pub(super) fn unused(uid: u32) -> Usage {
    // SAFETY: the child makes only async-signal-safe system calls (`setrlimit`, `setgroups`
    // with an empty list, `setgid`, `setuid`, `fork`, `waitpid`) and leaves with `_exit`, so it
    // is sound even when the caller has other threads (unit tests); the supervisor has none.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            let code = match take_and_fork(uid) {
                Ok(()) => 0,
                Err(Errno::EAGAIN) => 1,
                Err(_) => 2,
            };
            // SAFETY: leaves the child at once, running no destructor or exit handler of the
            // parent's.
            unsafe { libc::_exit(code) }
        }
        Ok(ForkResult::Parent { child }) => loop {
            match waitpid(child, None) {
                Err(Errno::EINTR) => {}
                Ok(WaitStatus::Exited(_, 1)) => return Usage::InUse,
                _ => return Usage::Unused,
            }
        },
        Err(_) => Usage::Unused,
    }
}

/// In [`unused`]'s child: drops to `uid` under a task limit of 2 and forks once.
fn take_and_fork(uid: u32) -> nix::Result<()> {
    setrlimit(Resource::RLIMIT_NPROC, 2, 2)?;
    setgroups(&[])?;
    setgid(Gid::from_raw(uid))?;
    setuid(Uid::from_raw(uid))?;
    // SAFETY: the grandchild only leaves, at once.
    match unsafe { fork() }? {
        // SAFETY: as above, nothing of the parent's runs.
        ForkResult::Child => unsafe { libc::_exit(0) },
        ForkResult::Parent { child } => {
            let _ = waitpid(child, None);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never_used(_: u32) -> Usage {
        Usage::Unused
    }

    #[test]
    fn a_held_uid_is_passed_over_and_freed_with_its_claim() {
        let dir = tempfile::tempdir().unwrap();
        let first = claim_in(dir.path(), 7, never_used).unwrap();
        assert_eq!(first.uid, BASE + 7);
        let second = claim_in(dir.path(), 7, never_used).unwrap();
        assert_eq!(second.uid, BASE + 8);
        drop(first);
        let third = claim_in(dir.path(), 7, never_used).unwrap();
        assert_eq!(third.uid, BASE + 7);
        // The search wraps around the end of the range.
        let last = claim_in(dir.path(), COUNT - 1, never_used).unwrap();
        assert_eq!(last.uid, BASE + COUNT - 1);
        let wrapped = claim_in(dir.path(), COUNT - 1, never_used).unwrap();
        assert_eq!(wrapped.uid, BASE);
    }

    #[test]
    fn a_free_lock_on_a_uid_in_use_is_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let claim = claim_in(dir.path(), 3, |uid| {
            if uid == BASE + 3 {
                Usage::InUse
            } else {
                Usage::Unused
            }
        })
        .unwrap();
        assert_eq!(claim.uid, BASE + 4);
    }

    #[test]
    fn the_kernel_counts_a_uids_task_in_another_pid_namespace_and_it_is_left_alone() {
        if !nix::unistd::geteuid().is_root() {
            // Straight to stderr: the skip shows even when the harness captures output.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                b"skipped: needs root to start a process as another uid\n",
            );
            return;
        }
        // The last uid of the range but one, which a supervisor reaches first only when its
        // pid is 3998 modulo 4000: a task of it in a PID namespace of its own, which no
        // `/proc` search of ours would find by pid.
        let uid = BASE + COUNT - 2;
        let id = uid.to_string();
        let mut busy = std::process::Command::new("unshare")
            .args(["--pid", "--fork", "setpriv", "--reuid", &id, "--regid", &id])
            .args(["--clear-groups", "sleep", "30"])
            .spawn()
            .expect("unshare and setpriv (util-linux) run");
        let seen = (0..400).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(5));
            unused(uid) == Usage::InUse
        });
        let alive = busy.try_wait().unwrap().is_none();
        // The task itself is killed, so that `unshare` reaps it: killed with `unshare`, it would
        // wait as a zombie for whoever adopts it.
        let children = ::procfs::process::Process::new(busy.id().cast_signed())
            .and_then(|unshare| unshare.task_main_thread()?.children())
            .unwrap_or_default();
        for pid in children {
            let _ = nix::sys::signal::kill(
                Pid::from_raw(pid.cast_signed()),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = busy.wait();
        assert!(seen, "the task of uid {uid} was never counted");
        assert!(alive, "asking about the uid must not kill its task");
        // Once it is gone and reaped (by PID 1, which on some machines takes seconds), the uid
        // is unused again.
        let freed = (0..400).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            unused(uid) == Usage::Unused
        });
        assert!(freed, "uid {uid} still counted after its task was reaped");
    }
}
