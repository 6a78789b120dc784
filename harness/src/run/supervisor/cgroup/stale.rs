//! Removing the job cgroups of supervisors that died without cleaning up.

use std::fs::{self, File};
use std::time::Duration;

use nix::fcntl::{Flock, FlockArg};
use nix::sys::signal::kill;
use nix::unistd::Pid;

use super::files::{empty, remove_dir_retrying};
use super::job::PARENT;
use super::layout::Layout;

/// How long a stale job cgroup (of a dead supervisor) is retried: its members are not our
/// children, so whoever reaps them (PID 1) may take seconds; the next supervisor tries again.
const STALE_REMOVE_LIMIT: Duration = Duration::from_millis(100);

/// Removes the job cgroups of supervisors that are gone (killed with SIGKILL, they could not
/// clean up), killing their members first. A job cgroup is stale when the lock its supervisor
/// held on its folder can be taken: the kernel drops that lock when the supervisor dies, in
/// whatever PID namespace either of us runs, so a live job is never touched.
pub(crate) fn remove_stale(layout: &Layout) {
    for hierarchy in layout.hierarchies() {
        let mut bases = vec![&hierarchy.own];
        if hierarchy.own != hierarchy.mount {
            bases.push(&hierarchy.mount);
        }
        for base in bases {
            let Ok(entries) = fs::read_dir(base.join(PARENT)) else {
                continue;
            };
            for entry in entries.flatten() {
                let dir = entry.path();
                if !entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                    continue;
                }
                // An older labgrade names its job cgroups by its pid alone and holds no lock:
                // its live jobs are kept by its own rule (a process with that pid exists).
                if let Some(pid) = entry
                    .file_name()
                    .to_str()
                    .and_then(|name| name.parse().ok())
                    && kill(Pid::from_raw(pid), None) != Err(nix::errno::Errno::ESRCH)
                {
                    continue;
                }
                let Ok(folder) = File::open(&dir) else {
                    continue;
                };
                // Held: its supervisor lives. Kept while we empty and remove it, so that a
                // third supervisor does not judge it at the same time.
                let Ok(_stale) = Flock::lock(folder, FlockArg::LockExclusiveNonblock) else {
                    continue;
                };
                empty(&dir, STALE_REMOVE_LIMIT);
                let _ = remove_dir_retrying(&dir, STALE_REMOVE_LIMIT);
            }
            // Removed when empty, as by the last job to leave it.
            let _ = fs::remove_dir(base.join(PARENT));
        }
    }
}
