//! `labgrade doctor`'s trial of the cgroups: a job cgroup made and removed as a supervisor
//! would.

use super::job::JobCgroup;
use super::layout::Layout;
use super::stale::remove_stale;

/// What `labgrade doctor` reports: creates and removes a job cgroup for this process in
/// `layout` (the supervisor's [`Layout::detect`]), as a supervisor would, and says what it used
/// (`Ok`) or why none could be used (`Err`).
pub(crate) fn trial(layout: &Layout) -> Result<String, String> {
    remove_stale(layout);
    let cgroup = JobCgroup::create(layout, nix::unistd::getpid(), 256, 1 << 30)
        .map_err(|error| error.to_string())?;
    Ok(cgroup.describe().join("; "))
}
