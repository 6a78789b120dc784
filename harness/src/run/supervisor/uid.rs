//! Which unprivileged uid an isolated program runs as: one no other live supervisor on the
//! machine holds, claimed with a lock file per uid.
//!
//! Programs of concurrent jobs must not share a uid: `RLIMIT_NPROC` counts every task of a uid
//! machine-wide, and processes of one uid may signal and trace each other. Several labgrade
//! processes may run at once (a batch with `--jobs`, parallel tests, two TAs on one server),
//! so the claim is machine-wide: an exclusive `flock` on `<LOCK_DIR>/<uid>`, held by the
//! supervisor until it exits (the kernel releases it even when the supervisor is killed).
//! Only root drops to another uid, so the lock folder lives in root's `/run` (a tmpfs: nothing
//! of it outlives a reboot, and nothing of it is in `/tmp`).
//!
//! A uid whose lock is free may still have processes: those of a supervisor that was killed
//! before it could clean up. They are killed on the spot, and the uid is passed over while they
//! linger as zombies, since zombies still count against the task limit.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::procfs;

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
    lock: Option<Flock<File>>,
}

/// What a lock file holds while no process of its uid is left.
const CLEAN: &[u8] = b"clean\n";

impl Claim {
    /// Marks the uid as left without any process, so that the next supervisor to claim it
    /// need not search `/proc`. Call only once every process of the program is reaped.
    pub(super) fn mark_clean(&self) {
        if let Some(lock) = &self.lock {
            let _ = lock.write_all_at(CLEAN, 0);
        }
    }
}

/// Claims a uid for supervisor `supervisor`, starting the search at a place that depends on its
/// pid so that concurrent supervisors rarely contend for the same lock.
pub(super) fn claim(supervisor: Pid) -> Claim {
    let start = supervisor.as_raw().unsigned_abs() % COUNT;
    match claim_in(Path::new(LOCK_DIR), start) {
        Ok(claim) => claim,
        // Without the lock folder, the pid still tells live supervisors apart, unless two pids
        // differ by a multiple of `COUNT`.
        Err(reason) => Claim {
            uid: BASE + start,
            caveat: Some(format!(
                "uid chosen from the supervisor's pid, not locked: {reason}"
            )),
            lock: None,
        },
    }
}

/// Claims the first free uid of the range in `lock_dir`, searching from offset `start`.
fn claim_in(lock_dir: &Path, start: u32) -> Result<Claim, String> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(lock_dir)
        .map_err(|error| format!("cannot create `{}`: {error}", lock_dir.display()))?;
    let mut lingering = 0;
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
        // A supervisor that saw its program's every process gone marked the uid clean; only
        // otherwise (it died, or this uid is new) is `/proc` searched, which costs a read of
        // every process's status on the machine.
        let mut marker = [0_u8; CLEAN.len()];
        let clean = lock
            .read_at(&mut marker, 0)
            .is_ok_and(|read| read == CLEAN.len())
            && marker == CLEAN;
        let left = if clean {
            Vec::new()
        } else {
            procfs::processes_of(uid)
        };
        if left.is_empty() {
            // In use until marked clean again: a supervisor killed now leaves it unclean.
            let _ = lock.set_len(0);
            return Ok(Claim {
                uid,
                caveat: None,
                lock: Some(lock),
            });
        }
        // Left by a supervisor that died: nobody else may hold this uid, so they go.
        for pid in left {
            let _ = kill(pid, Signal::SIGKILL);
        }
        lingering += 1;
    }
    Err(format!(
        "every uid of {BASE} to {} is locked or has processes left ({lingering} of them had)",
        BASE + COUNT - 1
    ))
}

#[cfg(test)]
mod tests {
    use nix::libc;

    use super::*;

    #[test]
    fn a_held_uid_is_passed_over_and_freed_with_its_claim() {
        let dir = tempfile::tempdir().unwrap();
        let first = claim_in(dir.path(), 7).unwrap();
        assert_eq!(first.uid, BASE + 7);
        let second = claim_in(dir.path(), 7).unwrap();
        assert_eq!(second.uid, BASE + 8);
        drop(first);
        let third = claim_in(dir.path(), 7).unwrap();
        assert_eq!(third.uid, BASE + 7);
        // The search wraps around the end of the range.
        let last = claim_in(dir.path(), COUNT - 1).unwrap();
        assert_eq!(last.uid, BASE + COUNT - 1);
        let wrapped = claim_in(dir.path(), COUNT - 1).unwrap();
        assert_eq!(wrapped.uid, BASE);
    }

    #[test]
    fn a_uid_is_marked_clean_only_when_asked_and_unclean_while_held() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join((BASE + 3).to_string());
        let claim = claim_in(dir.path(), 3).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"");
        claim.mark_clean();
        drop(claim);
        assert_eq!(std::fs::read(&path).unwrap(), CLEAN);
        // Claimed again: unclean until its supervisor says otherwise, even if it dies.
        let claim = claim_in(dir.path(), 3).unwrap();
        assert_eq!(claim.uid, BASE + 3);
        assert_eq!(std::fs::read(&path).unwrap(), b"");
    }

    #[test]
    fn processes_left_on_a_free_uid_are_killed_and_the_uid_passed_over() {
        use std::os::unix::process::{CommandExt, ExitStatusExt};
        if !nix::unistd::geteuid().is_root() {
            // Straight to stderr: the skip shows even when the harness captures output.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                b"skipped: needs root to start a process as another uid\n",
            );
            return;
        }
        let uid = BASE + COUNT - 2;
        // A leftover of a supervisor that died: a process of the uid, with no lock held.
        let mut leftover = std::process::Command::new("sleep")
            .arg("30")
            .uid(uid)
            .gid(uid)
            .spawn()
            .unwrap();
        let pid = leftover.id();
        let seen = (0..200).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(5));
            procfs::processes_of(uid).contains(&Pid::from_raw(pid.cast_signed()))
        });
        assert!(seen, "the leftover never showed up as uid {uid}");
        let dir = tempfile::tempdir().unwrap();
        let claim = claim_in(dir.path(), COUNT - 2).unwrap();
        assert_eq!(claim.uid, uid + 1, "the uid with a leftover is passed over");
        let status = leftover.wait().unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));
    }
}
