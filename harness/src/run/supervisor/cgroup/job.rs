//! One job's cgroups: made with their limits before the program starts, joined by the program
//! between `fork` and `exec`, checked, described, emptied, measured and removed.

use std::fs::{self, File};
use std::io::ErrorKind;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::fcntl::{Flock, FlockArg};
use nix::unistd::Pid;

use super::CgroupError;
use super::files::{
    empty, enable_controllers, keyed, make_dir, parse_pids, remove_dir_retrying, write,
};
use super::layout::{Hierarchy, Layout, parse_proc_cgroup};
use crate::run::job::CgroupUsage;
use crate::run::supervisor::protocol::tell_front_end;

/// The folder, in the base folder of each hierarchy, that holds the job cgroups.
pub(super) const PARENT: &str = "labgrade";
/// How long removing a job cgroup is retried: a cgroup whose last members are still exiting
/// cannot be removed yet.
const REMOVE_LIMIT: Duration = Duration::from_secs(1);
/// How long killing member by member (without `cgroup.kill`) goes on.
const KILL_LIMIT: Duration = Duration::from_secs(1);

/// Which cgroup version a job cgroup belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Version {
    V1,
    V2,
}

/// One job cgroup, in one hierarchy.
#[derive(Debug)]
pub(super) struct Group {
    pub(super) dir: PathBuf,
    pub(super) version: Version,
    /// Its task limit is set.
    pub(super) pids: bool,
    /// Its memory limit is set.
    pub(super) memory: bool,
    /// `cgroup.procs`, opened before the program starts so that the program can move itself
    /// in without allocating; `None` once closed.
    pub(super) procs: Option<OwnedFd>,
    /// Its path as `/proc/<pid>/cgroup` shows it, to confirm the program is in.
    pub(super) path: String,
    /// Which line of `/proc/<pid>/cgroup` describes its hierarchy: the v1 controller, or
    /// `None` for v2.
    pub(super) controller: Option<&'static str>,
    /// Whether the program is in it: `false` once its move failed, when the group only waits
    /// to be removed.
    pub(super) joined: bool,
    /// The exclusive lock on its folder that says a live supervisor owns it; dropped after the
    /// folder is removed. `None` only in tests.
    pub(super) owner: Option<Flock<File>>,
}

/// The cgroups of one job.
#[derive(Debug)]
pub(crate) struct JobCgroup {
    pub(super) groups: Vec<Group>,
    pub(super) tasks: u64,
    pub(super) memory_bytes: u64,
    /// What could not be used, in words, for [`Observation::containment`].
    ///
    /// [`Observation::containment`]: crate::run::Observation::containment
    pub(super) missing: Vec<String>,
}

/// The raw `cgroup.procs` descriptors of a job's cgroups, for the child to move itself in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Join {
    fds: [RawFd; 3],
    count: usize,
    /// Which of the descriptors are of the task-limit and the memory-limit cgroups.
    pids: Option<usize>,
    memory: Option<usize>,
}

/// Which limits the child is under after [`Join::enter`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Joined {
    pub(crate) pids: bool,
    pub(crate) memory: bool,
}

impl Join {
    /// Moves the calling process into every job cgroup, and says which limits now hold.
    /// Async-signal-safe, for `pre_exec`: one `write` per cgroup, nothing allocated.
    pub(crate) fn enter(&self) -> Joined {
        let mut ok = [false; 3];
        for (index, &fd) in self.fds[..self.count].iter().enumerate() {
            // SAFETY: the descriptor belongs to a `JobCgroup` the supervisor keeps open until
            // the program has started; the child only borrows it for this write.
            let fd = unsafe { BorrowedFd::borrow_raw(fd) };
            // "0" means the writing process.
            ok[index] = nix::unistd::write(fd, b"0") == Ok(1);
        }
        Joined {
            pids: self.pids.is_some_and(|index| ok[index]),
            memory: self.memory.is_some_and(|index| ok[index]),
        }
    }
}

impl JobCgroup {
    /// Creates the cgroups of the job of supervisor `supervisor`, with a limit of `tasks`
    /// threads and processes and of `memory_bytes` of memory for the whole program. Returns
    /// why there are none when no hierarchy can be used.
    pub(crate) fn create(
        layout: &Layout,
        supervisor: Pid,
        tasks: u64,
        memory_bytes: u64,
    ) -> Result<Self, CgroupError> {
        if layout.hierarchies().next().is_none() {
            return Err(CgroupError::NoneMounted);
        }
        let name = job_name(supervisor);
        let mut cgroup = Self {
            groups: Vec::new(),
            tasks,
            memory_bytes,
            missing: Vec::new(),
        };
        let mut failures = Vec::new();
        // The v1 hierarchies, one group each; a hierarchy that holds both controllers gets one
        // group with both.
        let mut v1: Vec<(&Hierarchy, Vec<&'static str>)> = Vec::new();
        for (hierarchy, controller) in [(&layout.pids_v1, "pids"), (&layout.memory_v1, "memory")] {
            let Some(hierarchy) = hierarchy else { continue };
            match v1
                .iter_mut()
                .find(|(known, _)| known.mount == hierarchy.mount)
            {
                Some((_, controllers)) => controllers.push(controller),
                None => v1.push((hierarchy, vec![controller])),
            }
        }
        for (hierarchy, controllers) in v1 {
            match cgroup.make(&hierarchy.own, &name, Version::V1, &controllers) {
                Ok(mut group) => {
                    group.controller = controllers.first().copied();
                    group.path = cgroup_path(hierarchy, &group.dir);
                    cgroup.groups.push(group);
                }
                Err(error) => failures.push(error),
            }
        }
        if let Some(unified) = &layout.unified {
            // Controllers bound to a v1 hierarchy cannot be enabled in v2.
            let mut wanted = Vec::new();
            if layout.pids_v1.is_none() {
                wanted.push("pids");
            }
            if layout.memory_v1.is_none() {
                wanted.push("memory");
            }
            let mut bases = vec![&unified.own];
            if unified.own != unified.mount {
                bases.push(&unified.mount);
            }
            // With the controllers if possible, else only for the kill switch and the list of
            // members.
            let mut attempts = vec![wanted.clone()];
            if !wanted.is_empty() {
                attempts.push(Vec::new());
            }
            'attempts: for controllers in &attempts {
                for base in &bases {
                    match cgroup.make(base, &name, Version::V2, controllers) {
                        Ok(mut group) => {
                            group.path = cgroup_path(unified, &group.dir);
                            cgroup.groups.push(group);
                            break 'attempts;
                        }
                        Err(error) => failures.push(error),
                    }
                }
            }
        }
        if cgroup.groups.is_empty() {
            return Err(failures
                .into_iter()
                .next()
                .unwrap_or(CgroupError::NoneUsable));
        }
        let first_failure = || failures.first().map(ToString::to_string);
        if !cgroup.limits_tasks() {
            cgroup.missing.push(format!(
                "no task limit cgroup: {}",
                first_failure().unwrap_or_else(|| "no pids controller".to_owned())
            ));
        }
        if !cgroup.limits_memory() {
            cgroup.missing.push(format!(
                "no memory cgroup: {}",
                first_failure().unwrap_or_else(|| "no memory controller".to_owned())
            ));
        }
        Ok(cgroup)
    }

    /// Creates `base/labgrade/<name>` with `controllers` (`pids`, `memory`) limited, and opens
    /// its `cgroup.procs`.
    fn make(
        &self,
        base: &Path,
        name: &str,
        version: Version,
        controllers: &[&str],
    ) -> Result<Group, CgroupError> {
        let parent = base.join(PARENT);
        let dir = parent.join(name);
        // The parent is removed by the last supervisor to leave it, possibly between our
        // making it and making the job cgroup in it: then both are made again. The job cgroup
        // itself must be new: a folder of that name is someone else's, never ours to reuse.
        let mut tries = 3;
        loop {
            if version == Version::V2 && !controllers.is_empty() {
                enable_controllers(base, controllers)?;
                make_dir(&parent)?;
                enable_controllers(&parent, controllers)?;
            } else {
                make_dir(&parent)?;
            }
            match fs::create_dir(&dir) {
                Ok(()) => break,
                Err(error) if error.kind() == ErrorKind::NotFound && tries > 1 => tries -= 1,
                Err(error) => return Err(CgroupError::io(&dir, error)),
            }
        }
        let owner = match own(&dir) {
            Ok(owner) => owner,
            Err(error) => {
                let _ = fs::remove_dir(&dir);
                return Err(error);
            }
        };
        let mut group = Group {
            dir,
            version,
            pids: false,
            memory: false,
            procs: None,
            path: String::new(),
            controller: None,
            joined: true,
            owner: Some(owner),
        };
        let limited = self.limit(&mut group, controllers).and_then(|()| {
            let procs = fs::OpenOptions::new()
                .write(true)
                .open(group.dir.join("cgroup.procs"))
                .map_err(|error| CgroupError::io(&group.dir.join("cgroup.procs"), error))?;
            group.procs = Some(OwnedFd::from(procs));
            Ok(())
        });
        match limited {
            Ok(()) => Ok(group),
            Err(error) => {
                let _ = fs::remove_dir(&group.dir);
                Err(error)
            }
        }
    }

    /// Sets the limits of `controllers` in `group`.
    fn limit(&self, group: &mut Group, controllers: &[&str]) -> Result<(), CgroupError> {
        for &controller in controllers {
            match (controller, group.version) {
                ("pids", _) => {
                    write(&group.dir, "pids.max", &self.tasks.to_string())?;
                    group.pids = true;
                }
                ("memory", Version::V1) => {
                    let bytes = self.memory_bytes.to_string();
                    write(&group.dir, "memory.limit_in_bytes", &bytes)?;
                    // Memory plus swap, so that swapping does not stretch the limit; absent
                    // when the kernel does not account swap.
                    if group.dir.join("memory.memsw.limit_in_bytes").exists() {
                        write(&group.dir, "memory.memsw.limit_in_bytes", &bytes)?;
                    }
                    group.memory = true;
                }
                ("memory", Version::V2) => {
                    write(&group.dir, "memory.max", &self.memory_bytes.to_string())?;
                    if group.dir.join("memory.swap.max").exists() {
                        write(&group.dir, "memory.swap.max", "0")?;
                    }
                    group.memory = true;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The descriptors the child writes to in order to move itself in.
    pub(crate) fn join(&self) -> Join {
        let mut join = Join {
            fds: [-1; 3],
            count: 0,
            pids: None,
            memory: None,
        };
        for group in &self.groups {
            let Some(procs) = &group.procs else { continue };
            if join.count == join.fds.len() {
                break;
            }
            join.fds[join.count] = procs.as_raw_fd();
            if group.pids {
                join.pids = Some(join.count);
            }
            if group.memory {
                join.memory = Some(join.count);
            }
            join.count += 1;
        }
        join
    }

    /// Whether the memory limit is a cgroup's, for the whole program.
    pub(crate) fn limits_memory(&self) -> bool {
        self.groups.iter().any(|group| group.memory)
    }

    /// Whether the task limit is a cgroup's, for the whole program.
    pub(crate) fn limits_tasks(&self) -> bool {
        self.groups.iter().any(|group| group.pids)
    }

    /// Called once the program started as `program`: closes the `cgroup.procs` descriptors and
    /// stops counting on the cgroups the program is not in (its move failed), saying so.
    pub(crate) fn started(&mut self, program: Pid) {
        let text = fs::read_to_string(format!("/proc/{program}/cgroup")).unwrap_or_default();
        let memberships = parse_proc_cgroup(&text);
        let mut outside = Vec::new();
        for group in &mut self.groups {
            group.procs = None;
            group.joined = memberships.iter().any(|(controllers, path)| {
                *path == group.path
                    && match (group.controller, controllers) {
                        (None, None) => true,
                        (Some(controller), Some(list)) => {
                            list.iter().any(|name| name == controller)
                        }
                        _ => false,
                    }
            });
            if !group.joined {
                outside.push(group.dir.display().to_string());
                group.pids = false;
                group.memory = false;
            }
        }
        if !outside.is_empty() {
            self.missing.push(format!(
                "the program could not be moved into the cgroup {}",
                outside.join(", ")
            ));
        }
    }

    /// What is applied, in words, for `Observation::containment`, such as `cgroup (hybrid: v1
    /// pids+memory, v2 kill)`, followed by what could not be used.
    pub(crate) fn describe(&self) -> Vec<String> {
        let parts = |version| {
            let mut parts = Vec::new();
            let joined = self.joined().filter(|group| group.version == version);
            for group in joined {
                if group.pids {
                    parts.push("pids");
                }
                if group.memory {
                    parts.push("memory");
                }
                if version == Version::V2 {
                    parts.push("kill");
                }
            }
            parts.join("+")
        };
        let (v1, v2) = (parts(Version::V1), parts(Version::V2));
        let first = match (v1.is_empty(), v2.is_empty()) {
            (false, false) => format!("cgroup (hybrid: v1 {v1}, v2 {v2})"),
            (true, false) => format!("cgroup (v2: {v2})"),
            (false, true) => format!("cgroup (v1: {v1})"),
            (true, true) => "no cgroups: the program could not be moved into one".to_owned(),
        };
        let mut words = vec![first];
        words.extend(self.missing.iter().cloned());
        words
    }

    fn joined(&self) -> impl Iterator<Item = &Group> {
        self.groups.iter().filter(|group| group.joined)
    }

    /// Live members, by the first cgroup that lists them (each lists them all).
    pub(crate) fn members(&self) -> Vec<Pid> {
        self.joined()
            .find_map(|group| fs::read_to_string(group.dir.join("cgroup.procs")).ok())
            .map(|text| parse_pids(&text))
            .unwrap_or_default()
    }

    /// Kills every member: v2's `cgroup.kill` when there is one (it cannot be outrun by forks),
    /// else member by member until none is left or [`KILL_LIMIT`] passes. Zombies are not
    /// members; reaping is the supervisor's.
    pub(crate) fn kill_all(&self) {
        if let Some(group) = self.joined().next() {
            // Every joined group has the same members; any one will do.
            let v2 = self.joined().find(|group| group.version == Version::V2);
            empty(v2.map_or(&group.dir, |group| &group.dir), KILL_LIMIT);
        }
    }

    /// What the cgroups measured. Read once every member has ended, so the counters are final.
    pub(crate) fn usage(&self) -> CgroupUsage {
        let read = |dir: &Path, file| fs::read_to_string(dir.join(file)).ok();
        let mut usage = CgroupUsage::default();
        for group in self.joined() {
            let dir = &group.dir;
            if group.pids {
                usage.task_limit = Some(self.tasks);
                usage.tasks_peak = read(dir, "pids.peak").and_then(|text| text.trim().parse().ok());
                usage.task_limit_hits =
                    read(dir, "pids.events").and_then(|text| keyed(&text, "max"));
            }
            if group.memory {
                usage.memory_limit_bytes = Some(self.memory_bytes);
                let (peak, oom) = match group.version {
                    Version::V1 => ("memory.max_usage_in_bytes", "memory.oom_control"),
                    Version::V2 => ("memory.peak", "memory.events"),
                };
                usage.memory_peak_bytes = read(dir, peak).and_then(|text| text.trim().parse().ok());
                usage.oom_kills = read(dir, oom).and_then(|text| keyed(&text, "oom_kill"));
            }
        }
        usage
    }

    /// Removes every job cgroup, retrying while members are still exiting; returns what could
    /// not be removed (the next supervisor's [`remove_stale`] removes it).
    ///
    /// [`remove_stale`]: super::remove_stale
    pub(crate) fn remove(&mut self) -> Vec<CgroupError> {
        let mut failed = Vec::new();
        for mut group in self.groups.drain(..) {
            // Held until the folder is gone: unlocked, it would look stale to other supervisors
            // while its last members exit.
            let owner = group.owner.take();
            let removed = remove_dir_retrying(&group.dir, REMOVE_LIMIT);
            drop(owner);
            // The parent too, unless other jobs use it (then it is not empty and stays): a
            // cgroup with a child cannot be removed by whoever owns the base (such as a
            // container manager cleaning up our own cgroup).
            if let Some(parent) = group.dir.parent() {
                let _ = fs::remove_dir(parent);
            }
            if let Err(source) = removed {
                failed.push(CgroupError::Remove {
                    dir: group.dir,
                    source,
                });
            }
        }
        failed
    }
}

impl Drop for JobCgroup {
    /// Dropped unremoved only on a way out nobody can be told of otherwise: the supervisor
    /// failing (or `labgrade doctor`'s trial ending).
    fn drop(&mut self) {
        for error in self.remove() {
            tell_front_end(&error);
        }
    }
}

/// The path of the cgroup folder `dir` as `/proc/<pid>/cgroup` shows it in `hierarchy`.
fn cgroup_path(hierarchy: &Hierarchy, dir: &Path) -> String {
    dir.strip_prefix(&hierarchy.mount)
        .map_or_else(|_| String::new(), |rest| format!("/{}", rest.display()))
}

/// The name of a new job cgroup of supervisor `supervisor`: its pid, for people reading the
/// tree, and a random part, since the same pid is another supervisor in another PID namespace.
pub(super) fn job_name(supervisor: Pid) -> String {
    let random = getrandom::u64().unwrap_or_else(|_| {
        // Without the OS's randomness, the clock still tells two supervisors apart.
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos() as u64)
    });
    format!("{supervisor}-{random:016x}")
}

/// Takes the owner's lock on the job cgroup folder `dir`, just made. Fails if another
/// supervisor's [`remove_stale`] took the still unlocked folder for a dead one's and removed it
/// meanwhile: the lock then holds a folder that is gone, or cannot be taken.
///
/// [`remove_stale`]: super::remove_stale
fn own(dir: &Path) -> Result<Flock<File>, CgroupError> {
    let folder = File::open(dir).map_err(|error| CgroupError::io(dir, error))?;
    let lock = Flock::lock(folder, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| {
        CgroupError::Lock {
            dir: dir.to_path_buf(),
            errno,
        }
    })?;
    let held = lock
        .metadata()
        .map_err(|error| CgroupError::io(dir, error))?;
    let now = fs::metadata(dir).map_err(|error| CgroupError::io(dir, error))?;
    if (held.dev(), held.ino()) != (now.dev(), now.ino()) {
        return Err(CgroupError::RemovedAsMade {
            dir: dir.to_path_buf(),
        });
    }
    Ok(lock)
}
