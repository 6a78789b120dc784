//! The cgroup file system's files: reading counters and member lists, writing limits,
//! enabling controllers, and emptying and removing a cgroup folder.

use std::fs;
use std::io::{self, ErrorKind};
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::CgroupError;

/// Pause between two tries.
const RETRY_TICK: Duration = Duration::from_millis(5);

/// The number after `key` on its line of a flat keyed file such as `pids.events` (`max 12`) or
/// `memory.oom_control` (`oom_kill 1`).
pub(super) fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(' ')?;
        (name == key).then(|| value.trim().parse().ok())?
    })
}

/// Pids listed in a `cgroup.procs` file. A member outside the reader's PID namespace may be
/// listed as 0, which is no pid: `kill(0, …)` would signal the reader's own process group.
pub(super) fn parse_pids(text: &str) -> Vec<Pid> {
    text.lines()
        .filter_map(|line| line.trim().parse().ok())
        .filter(|&pid: &i32| pid > 0)
        .map(Pid::from_raw)
        .collect()
}

/// Enables `controllers` in the subtree of the cgroup folder `dir`, those not enabled yet.
pub(super) fn enable_controllers(dir: &Path, controllers: &[&str]) -> Result<(), CgroupError> {
    let available = fs::read_to_string(dir.join("cgroup.controllers"))
        .map_err(|error| CgroupError::io(&dir.join("cgroup.controllers"), error))?;
    let available: Vec<&str> = available.split_whitespace().collect();
    let lacking: Vec<&str> = controllers
        .iter()
        .copied()
        .filter(|controller| !available.contains(controller))
        .collect();
    if !lacking.is_empty() {
        return Err(CgroupError::ControllersMissing {
            lacking: lacking.iter().map(|&name| name.to_owned()).collect(),
            dir: dir.to_path_buf(),
        });
    }
    let enabled = fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap_or_default();
    let enabled: Vec<&str> = enabled.split_whitespace().collect();
    let change: Vec<String> = controllers
        .iter()
        .filter(|controller| !enabled.contains(controller))
        .map(|controller| format!("+{controller}"))
        .collect();
    if change.is_empty() {
        return Ok(());
    }
    write(dir, "cgroup.subtree_control", &change.join(" "))
}

pub(super) fn make_dir(dir: &Path) -> Result<(), CgroupError> {
    match fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(CgroupError::io(dir, error)),
    }
}

pub(super) fn write(dir: &Path, file: &str, value: &str) -> Result<(), CgroupError> {
    let path = dir.join(file);
    fs::write(&path, value).map_err(|error| CgroupError::io(&path, error))
}

/// Kills every member of the cgroup folder `dir`: at once with v2's `cgroup.kill` (which forks
/// cannot outrun), else one by one until none is left or `limit` passes.
pub(super) fn empty(dir: &Path, limit: Duration) {
    if write(dir, "cgroup.kill", "1").is_ok() {
        return;
    }
    let give_up = Instant::now() + limit;
    loop {
        let members = fs::read_to_string(dir.join("cgroup.procs"))
            .map(|text| parse_pids(&text))
            .unwrap_or_default();
        if members.is_empty() || Instant::now() >= give_up {
            return;
        }
        for pid in members {
            let _ = kill(pid, Signal::SIGKILL);
        }
        std::thread::sleep(RETRY_TICK);
    }
}

/// Removes the empty cgroup folder `dir`, retrying while it is busy (members still exiting).
pub(super) fn remove_dir_retrying(dir: &Path, limit: Duration) -> io::Result<()> {
    let give_up = Instant::now() + limit;
    loop {
        match fs::remove_dir(dir) {
            Ok(()) => return Ok(()),
            Err(error) if error.kind() == ErrorKind::NotFound => return Ok(()),
            Err(error)
                if error.raw_os_error() == Some(nix::libc::EBUSY) && Instant::now() < give_up =>
            {
                std::thread::sleep(RETRY_TICK);
            }
            Err(error) => return Err(error),
        }
    }
}
