//! Per-job cgroups: finds how cgroups are mounted here, gives an isolated program a cgroup of
//! its own in each hierarchy that helps (task limit, memory limit, kill switch), moves the
//! program in before it starts, and at the end kills what is left in it, reads its statistics
//! and removes it; also removes the job cgroups of supervisors that died without cleaning up.
//!
//! Machines differ, so nothing is assumed:
//!
//! * pure cgroup v2 (a systemd host): `pids` and `memory` must be enabled in the subtree of the
//!   folder the job cgroup goes into. Our own cgroup usually holds processes, and v2 refuses to
//!   enable controllers below a cgroup with processes (except the root), so the job cgroup goes
//!   below our own cgroup when that works (a delegated subtree) and below the root otherwise.
//! * hybrid (v1 controllers, with a v2 tree beside them that has none of them): v1 `pids` and
//!   `memory` for the limits, the v2 tree for `cgroup.kill`;
//! * v1 only: v1 `pids` and `memory`, and killing member by member;
//! * none usable (not mounted, read-only, not root without delegation): the supervisor falls
//!   back on rlimits and its `/proc` walk, and says so in [`Observation::containment`].
//!
//! The job cgroup is `labgrade/<supervisor pid>-<random>` below the base folder of each
//! hierarchy used; v1 job cgroups go below our own cgroup, so that limits set on it (such as the
//! memory limit of a container) still apply to the program. Parsing is in pure functions, tested
//! on the layouts of real machines.
//!
//! **Ownership never rests on a pid.** Supervisors in other PID namespaces (a container sharing
//! the cgroup mount, `unshare --pid`, a CI job container) share these folders, and a pid means
//! nothing across namespaces: the same number is a live supervisor in one and nobody in the
//! other. So a job cgroup's name is made unique by a random part (never reused, never "found
//! existing"), and its supervisor holds an exclusive `flock` on the cgroup's folder for as long
//! as it lives. The lock is the kernel's, on the one inode every namespace sees, and the kernel
//! drops it when the supervisor dies however it dies: a job cgroup whose lock can be taken is
//! stale, one whose lock is held belongs to a live labgrade, wherever it runs.
//!
//! [`Observation::containment`]: super::super::job::Observation::containment

use std::fs::{self, File};
use std::io::{self, ErrorKind};
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::fcntl::{Flock, FlockArg};
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, geteuid};

use super::super::job::CgroupUsage;

/// The folder, in the base folder of each hierarchy, that holds the job cgroups.
const PARENT: &str = "labgrade";
/// How long removing a job cgroup is retried: a cgroup whose last members are still exiting
/// cannot be removed yet.
const REMOVE_LIMIT: Duration = Duration::from_secs(1);
/// How long a stale job cgroup (of a dead supervisor) is retried: its members are not our
/// children, so whoever reaps them (PID 1) may take seconds; the next supervisor tries again.
const STALE_REMOVE_LIMIT: Duration = Duration::from_millis(100);
/// How long killing member by member (without `cgroup.kill`) goes on.
const KILL_LIMIT: Duration = Duration::from_secs(1);
/// Pause between two tries.
const RETRY_TICK: Duration = Duration::from_millis(5);

/// One mounted cgroup hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hierarchy {
    /// Where it is mounted, such as `/sys/fs/cgroup/pids`.
    pub(crate) mount: PathBuf,
    /// Our own cgroup in it, as a folder: `mount` joined with our cgroup's path (relative to
    /// the mount's root); `mount` itself when our cgroup is not below the mount's root.
    pub(crate) own: PathBuf,
}

/// The hierarchies that matter to labgrade, as mounted for this process.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Layout {
    /// The cgroup v2 tree, if mounted.
    pub(crate) unified: Option<Hierarchy>,
    /// The v1 hierarchy with the `pids` controller, if mounted.
    pub(crate) pids_v1: Option<Hierarchy>,
    /// The v1 hierarchy with the `memory` controller, if mounted.
    pub(crate) memory_v1: Option<Hierarchy>,
}

impl Layout {
    /// The layout of this process, from `/proc/self/mountinfo` and `/proc/self/cgroup`.
    pub(crate) fn detect() -> Self {
        let read = |path| fs::read_to_string(path).unwrap_or_default();
        parse_layout(&read("/proc/self/mountinfo"), &read("/proc/self/cgroup"))
    }

    fn hierarchies(&self) -> impl Iterator<Item = &Hierarchy> {
        [&self.unified, &self.pids_v1, &self.memory_v1]
            .into_iter()
            .flatten()
    }
}

/// Parses the layout from the text of `/proc/self/mountinfo` and of `/proc/self/cgroup`.
pub(crate) fn parse_layout(mountinfo: &str, proc_cgroup: &str) -> Layout {
    let memberships = parse_proc_cgroup(proc_cgroup);
    let own_path = |v2: bool, controller: &str| {
        memberships
            .iter()
            .find(|(controllers, _)| {
                if v2 {
                    controllers.is_none()
                } else {
                    controllers
                        .as_ref()
                        .is_some_and(|list| list.iter().any(|name| name == controller))
                }
            })
            .map(|(_, path)| path.clone())
    };
    let mut layout = Layout::default();
    for mount in mountinfo.lines().filter_map(parse_mount) {
        let own = |path: Option<String>| {
            path.and_then(|path| below(&mount.root, &path))
                .map_or_else(|| mount.point.clone(), |rest| mount.point.join(rest))
        };
        match mount.fstype {
            // The same hierarchy mounted twice (a bind mount): the first is as good.
            "cgroup2" if layout.unified.is_none() => {
                layout.unified = Some(Hierarchy {
                    mount: mount.point.clone(),
                    own: own(own_path(true, "")),
                });
            }
            "cgroup" => {
                // One v1 hierarchy may hold both controllers (`memory,pids`).
                for (controller, slot) in [
                    ("pids", &mut layout.pids_v1),
                    ("memory", &mut layout.memory_v1),
                ] {
                    if slot.is_none() && mount.options.split(',').any(|option| option == controller)
                    {
                        *slot = Some(Hierarchy {
                            mount: mount.point.clone(),
                            own: own(own_path(false, controller)),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    layout
}

/// `path` relative to `root`, if it is `root` or below it.
fn below(root: &str, path: &str) -> Option<PathBuf> {
    let rest = Path::new(path).strip_prefix(root).ok()?;
    // `..` appears when our cgroup is outside a cgroup namespace's root.
    (!rest.components().any(|part| part.as_os_str() == "..")).then(|| rest.to_path_buf())
}

/// One line of `/proc/self/mountinfo`, the fields labgrade needs.
struct Mount<'a> {
    /// The folder of the file system that is mounted (for cgroups, a cgroup path).
    root: String,
    point: PathBuf,
    fstype: &'a str,
    /// The super block options, which name a v1 hierarchy's controllers.
    options: &'a str,
}

/// Parses one line of `/proc/self/mountinfo`:
/// `id parent major:minor root point options [optional...] - fstype source super-options`.
fn parse_mount(line: &str) -> Option<Mount<'_>> {
    let (before, after) = line.split_once(" - ")?;
    let mut fields = before.split(' ');
    let root = unescape(fields.nth(3)?);
    let point = PathBuf::from(unescape(fields.next()?));
    let mut after = after.split(' ');
    let fstype = after.next()?;
    let _source = after.next()?;
    let options = after.next().unwrap_or("");
    Some(Mount {
        root,
        point,
        fstype,
        options,
    })
}

/// Undoes mountinfo's octal escapes (`\040` for a space, `\011`, `\012`, `\134`).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && let Some(code) = field
                .get(i + 1..i + 4)
                .and_then(|digits| u8::from_str_radix(digits, 8).ok())
        {
            out.push(code);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses `/proc/<pid>/cgroup`: for each line `id:controllers:path`, the v1 controllers (`None`
/// for the v2 line, `0::path`) and the path.
fn parse_proc_cgroup(text: &str) -> Vec<(Option<Vec<String>>, String)> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, ':');
            let id = fields.next()?;
            let controllers = fields.next()?;
            let path = fields.next()?.to_owned();
            if id == "0" && controllers.is_empty() {
                return Some((None, path));
            }
            let list = controllers.split(',').map(str::to_owned).collect();
            Some((Some(list), path))
        })
        .collect()
}

/// The number after `key` on its line of a flat keyed file such as `pids.events` (`max 12`) or
/// `memory.oom_control` (`oom_kill 1`).
fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(' ')?;
        (name == key).then(|| value.trim().parse().ok())?
    })
}

/// Which cgroup version a job cgroup belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

/// One job cgroup, in one hierarchy.
#[derive(Debug)]
struct Group {
    dir: PathBuf,
    version: Version,
    /// Its task limit is set.
    pids: bool,
    /// Its memory limit is set.
    memory: bool,
    /// `cgroup.procs`, opened before the program starts so that the program can move itself
    /// in without allocating; `None` once closed.
    procs: Option<OwnedFd>,
    /// Its path as `/proc/<pid>/cgroup` shows it, to confirm the program is in.
    path: String,
    /// Which line of `/proc/<pid>/cgroup` describes its hierarchy: the v1 controller, or
    /// `None` for v2.
    controller: Option<&'static str>,
    /// Whether the program is in it: `false` once its move failed, when the group only waits
    /// to be removed.
    joined: bool,
    /// The exclusive lock on its folder that says a live supervisor owns it; dropped after the
    /// folder is removed. `None` only in tests.
    owner: Option<Flock<File>>,
}

/// The cgroups of one job.
#[derive(Debug)]
pub(super) struct JobCgroup {
    groups: Vec<Group>,
    tasks: u64,
    memory_bytes: u64,
    /// What could not be used, in words, for [`Observation::containment`].
    ///
    /// [`Observation::containment`]: super::super::job::Observation::containment
    missing: Vec<String>,
}

/// The raw `cgroup.procs` descriptors of a job's cgroups, for the child to move itself in.
#[derive(Debug, Clone, Copy)]
pub(super) struct Join {
    fds: [RawFd; 3],
    count: usize,
    /// Which of the descriptors are of the task-limit and the memory-limit cgroups.
    pids: Option<usize>,
    memory: Option<usize>,
}

/// Which limits the child is under after [`Join::enter`].
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Joined {
    pub(super) pids: bool,
    pub(super) memory: bool,
}

impl Join {
    /// Moves the calling process into every job cgroup, and says which limits now hold.
    /// Async-signal-safe, for `pre_exec`: one `write` per cgroup, nothing allocated.
    pub(super) fn enter(&self) -> Joined {
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
    pub(super) fn create(
        layout: &Layout,
        supervisor: Pid,
        tasks: u64,
        memory_bytes: u64,
    ) -> Result<Self, String> {
        if layout.hierarchies().next().is_none() {
            return Err("none mounted".to_owned());
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
        let first_failure = || failures.first().cloned();
        if cgroup.groups.is_empty() {
            return Err(first_failure().unwrap_or_else(|| "none usable".to_owned()));
        }
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
    ) -> Result<Group, String> {
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
                Err(error) => return Err(describe_error(&dir, &error)),
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
                .map_err(|error| describe_error(&group.dir.join("cgroup.procs"), &error))?;
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
    fn limit(&self, group: &mut Group, controllers: &[&str]) -> Result<(), String> {
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
    pub(super) fn join(&self) -> Join {
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
    pub(super) fn limits_memory(&self) -> bool {
        self.groups.iter().any(|group| group.memory)
    }

    /// Whether the task limit is a cgroup's, for the whole program.
    pub(super) fn limits_tasks(&self) -> bool {
        self.groups.iter().any(|group| group.pids)
    }

    /// Called once the program started as `program`: closes the `cgroup.procs` descriptors and
    /// stops counting on the cgroups the program is not in (its move failed), saying so.
    pub(super) fn started(&mut self, program: Pid) {
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
    pub(super) fn describe(&self) -> Vec<String> {
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
    pub(super) fn members(&self) -> Vec<Pid> {
        self.joined()
            .find_map(|group| fs::read_to_string(group.dir.join("cgroup.procs")).ok())
            .map(|text| parse_pids(&text))
            .unwrap_or_default()
    }

    /// Kills every member: v2's `cgroup.kill` when there is one (it cannot be outrun by forks),
    /// else member by member until none is left or [`KILL_LIMIT`] passes. Zombies are not
    /// members; reaping is the supervisor's.
    pub(super) fn kill_all(&self) {
        if let Some(group) = self.joined().next() {
            // Every joined group has the same members; any one will do.
            let v2 = self.joined().find(|group| group.version == Version::V2);
            empty(v2.map_or(&group.dir, |group| &group.dir), KILL_LIMIT);
        }
    }

    /// What the cgroups measured. Read once every member has ended, so the counters are final.
    pub(super) fn usage(&self) -> CgroupUsage {
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

    /// Removes every job cgroup, retrying while members are still exiting; says on stderr what
    /// could not be removed (the next supervisor's [`remove_stale`] removes it).
    pub(super) fn remove(&mut self) {
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
            if let Err(error) = removed {
                use std::io::Write as _;
                let _ = writeln!(
                    io::stderr(),
                    "labgrade supervisor: cannot remove the cgroup {}: {error}",
                    group.dir.display()
                );
            }
        }
    }
}

impl Drop for JobCgroup {
    fn drop(&mut self) {
        self.remove();
    }
}

/// The path of the cgroup folder `dir` as `/proc/<pid>/cgroup` shows it in `hierarchy`.
fn cgroup_path(hierarchy: &Hierarchy, dir: &Path) -> String {
    dir.strip_prefix(&hierarchy.mount)
        .map_or_else(|_| String::new(), |rest| format!("/{}", rest.display()))
}

/// Pids listed in a `cgroup.procs` file. A member outside the reader's PID namespace may be
/// listed as 0, which is no pid: `kill(0, …)` would signal the reader's own process group.
fn parse_pids(text: &str) -> Vec<Pid> {
    text.lines()
        .filter_map(|line| line.trim().parse().ok())
        .filter(|&pid: &i32| pid > 0)
        .map(Pid::from_raw)
        .collect()
}

/// Enables `controllers` in the subtree of the cgroup folder `dir`, those not enabled yet.
fn enable_controllers(dir: &Path, controllers: &[&str]) -> Result<(), String> {
    let available = fs::read_to_string(dir.join("cgroup.controllers"))
        .map_err(|error| describe_error(&dir.join("cgroup.controllers"), &error))?;
    let available: Vec<&str> = available.split_whitespace().collect();
    let lacking: Vec<&str> = controllers
        .iter()
        .copied()
        .filter(|controller| !available.contains(controller))
        .collect();
    if !lacking.is_empty() {
        return Err(format!(
            "the v2 controller(s) {} are not available in {}",
            lacking.join(", "),
            dir.display()
        ));
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

fn make_dir(dir: &Path) -> Result<(), String> {
    match fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(describe_error(dir, &error)),
    }
}

fn write(dir: &Path, file: &str, value: &str) -> Result<(), String> {
    let path = dir.join(file);
    fs::write(&path, value).map_err(|error| describe_error(&path, &error))
}

/// An I/O error on a cgroup file, in words that say what to do about the common cases.
fn describe_error(path: &Path, error: &io::Error) -> String {
    match error.raw_os_error().map(nix::errno::Errno::from_raw) {
        Some(nix::errno::Errno::EROFS) => format!("{} is read-only", path.display()),
        Some(nix::errno::Errno::EACCES | nix::errno::Errno::EPERM) if !geteuid().is_root() => {
            format!("not root, and {} is not delegated to us", path.display())
        }
        _ => format!("{}: {error}", path.display()),
    }
}

/// Kills every member of the cgroup folder `dir`: at once with v2's `cgroup.kill` (which forks
/// cannot outrun), else one by one until none is left or `limit` passes.
fn empty(dir: &Path, limit: Duration) {
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
fn remove_dir_retrying(dir: &Path, limit: Duration) -> io::Result<()> {
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

/// The name of a new job cgroup of supervisor `supervisor`: its pid, for people reading the
/// tree, and a random part, since the same pid is another supervisor in another PID namespace.
fn job_name(supervisor: Pid) -> String {
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
fn own(dir: &Path) -> Result<Flock<File>, String> {
    let folder = File::open(dir).map_err(|error| describe_error(dir, &error))?;
    let lock = Flock::lock(folder, FlockArg::LockExclusiveNonblock)
        .map_err(|(_, errno)| format!("cannot lock {}: {errno}", dir.display()))?;
    let held = lock
        .metadata()
        .map_err(|error| describe_error(dir, &error))?;
    let now = fs::metadata(dir).map_err(|error| describe_error(dir, &error))?;
    if (held.dev(), held.ino()) != (now.dev(), now.ino()) {
        return Err(format!(
            "{} was removed as it was made; try again",
            dir.display()
        ));
    }
    Ok(lock)
}

/// Removes the job cgroups of supervisors that are gone (killed with SIGKILL, they could not
/// clean up), killing their members first. A job cgroup is stale when the lock its supervisor
/// held on its folder can be taken: the kernel drops that lock when the supervisor dies, in
/// whatever PID namespace either of us runs, so a live job is never touched.
pub(super) fn remove_stale(layout: &Layout) {
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

/// What `labgrade doctor` reports: creates and removes a job cgroup for this process, as a
/// supervisor would, and says what it used (`Ok`) or why none could be used (`Err`).
pub(crate) fn trial() -> Result<String, String> {
    let layout = Layout::detect();
    remove_stale(&layout);
    let cgroup = JobCgroup::create(&layout, nix::unistd::getpid(), 256, 1 << 30)?;
    Ok(cgroup.describe().join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/proc/self/mountinfo` of the Firecracker VM labgrade is developed on (hybrid).
    const HYBRID_MOUNTINFO: &str = "\
23 1 253:0 / / rw,relatime - ext4 /dev/vda rw
24 23 0:22 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";
    const HYBRID_CGROUP: &str = "\
9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/4c34798d2ca7f240ef5965b512e7f531
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
";
    /// A systemd host with pure cgroup v2, seen from a login session.
    const SYSTEMD_MOUNTINFO: &str = "\
22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
25 22 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
26 25 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:3 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
";
    const SYSTEMD_CGROUP: &str = "0::/user.slice/user-1000.slice/session-2.scope\n";

    #[test]
    fn the_hybrid_layout_of_the_development_machine() {
        let layout = parse_layout(HYBRID_MOUNTINFO, HYBRID_CGROUP);
        assert_eq!(
            layout,
            Layout {
                unified: Some(Hierarchy {
                    mount: "/sys/fs/cgroup/unified".into(),
                    own: "/sys/fs/cgroup/unified".into(),
                }),
                pids_v1: Some(Hierarchy {
                    mount: "/sys/fs/cgroup/pids".into(),
                    own: "/sys/fs/cgroup/pids".into(),
                }),
                memory_v1: Some(Hierarchy {
                    mount: "/sys/fs/cgroup/memory".into(),
                    own: "/sys/fs/cgroup/memory/process_api/4c34798d2ca7f240ef5965b512e7f531"
                        .into(),
                }),
            }
        );
    }

    #[test]
    fn a_pure_v2_systemd_layout() {
        let layout = parse_layout(SYSTEMD_MOUNTINFO, SYSTEMD_CGROUP);
        assert_eq!(
            layout,
            Layout {
                unified: Some(Hierarchy {
                    mount: "/sys/fs/cgroup".into(),
                    own: "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope".into(),
                }),
                pids_v1: None,
                memory_v1: None,
            }
        );
    }

    #[test]
    fn v1_only_with_joined_controllers_and_no_cgroups_at_all() {
        let mountinfo = "\
30 25 0:26 / /sys/fs/cgroup/memory,pids rw - cgroup cgroup rw,memory,pids
31 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
";
        let layout = parse_layout(mountinfo, "3:memory,pids:/ci/job 7\n2:cpu,cpuacct:/\n");
        let both = Hierarchy {
            mount: "/sys/fs/cgroup/memory,pids".into(),
            own: "/sys/fs/cgroup/memory,pids/ci/job 7".into(),
        };
        assert_eq!(layout.unified, None);
        // One hierarchy holds both controllers: it is both the pids and the memory hierarchy
        // (and gets one job cgroup with both limits).
        assert_eq!(layout.pids_v1.as_ref(), Some(&both));
        assert_eq!(layout.memory_v1.as_ref(), Some(&both));
        assert_eq!(
            parse_layout("24 23 0:22 / /proc rw - proc proc rw\n", "0::/\n"),
            Layout::default()
        );
    }

    #[test]
    fn a_container_sees_its_own_cgroup_as_the_mount_root() {
        // Docker without a cgroup namespace: the mount's root is the container's cgroup.
        let mountinfo = "\
700 690 0:30 /docker/0123abcd /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw
";
        let layout = parse_layout(mountinfo, "0::/docker/0123abcd\n");
        let unified = layout.unified.unwrap();
        assert_eq!(unified.own, PathBuf::from("/sys/fs/cgroup"));
        // Outside the namespace's root: fall back on the mount point.
        let layout = parse_layout(mountinfo, "0::/../../init.scope\n");
        assert_eq!(layout.unified.unwrap().own, PathBuf::from("/sys/fs/cgroup"));
    }

    #[test]
    fn mount_points_with_spaces_are_unescaped() {
        assert_eq!(unescape(r"/mnt/my\040cgroups"), "/mnt/my cgroups");
        assert_eq!(unescape(r"/plain"), "/plain");
        assert_eq!(unescape(r"/trailing\04"), r"/trailing\04");
    }

    #[test]
    fn keyed_files_give_their_counters() {
        let oom_control = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
        assert_eq!(keyed(oom_control, "oom_kill"), Some(2));
        assert_eq!(keyed(oom_control, "oom_kill_disable"), Some(0));
        let events = "low 0\nhigh 0\nmax 14\noom 1\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(keyed(events, "oom_kill"), Some(1));
        assert_eq!(keyed("max 10250\n", "max"), Some(10250));
        assert_eq!(keyed("max 10250\n", "oom_kill"), None);
        assert_eq!(keyed("", "max"), None);
    }

    #[test]
    fn proc_cgroup_lines_and_pid_lists_parse() {
        let parsed = parse_proc_cgroup(HYBRID_CGROUP);
        assert_eq!(parsed.len(), 10);
        assert_eq!(parsed[9], (None, "/".to_owned()));
        assert_eq!(
            parsed[5],
            (
                Some(vec!["memory".to_owned()]),
                "/process_api/4c34798d2ca7f240ef5965b512e7f531".to_owned()
            )
        );
        assert_eq!(
            parse_pids("12\n345\n"),
            vec![Pid::from_raw(12), Pid::from_raw(345)]
        );
        // A member outside our PID namespace: no pid to signal.
        assert_eq!(parse_pids("0\n7\n"), vec![Pid::from_raw(7)]);
    }

    fn group(version: Version, pids: bool, memory: bool) -> Group {
        Group {
            dir: PathBuf::new(),
            version,
            pids,
            memory,
            procs: None,
            path: String::new(),
            controller: None,
            joined: true,
            owner: None,
        }
    }

    fn described(groups: Vec<Group>, missing: &[&str]) -> Vec<String> {
        let mut cgroup = JobCgroup {
            groups,
            tasks: 1,
            memory_bytes: 1,
            missing: missing.iter().map(|&text| text.to_owned()).collect(),
        };
        let words = cgroup.describe();
        // Nothing to remove: the folders are not real.
        cgroup.groups.clear();
        words
    }

    #[test]
    fn containment_words_name_the_layout_and_what_is_missing() {
        assert_eq!(
            described(
                vec![
                    group(Version::V1, true, false),
                    group(Version::V1, false, true),
                    group(Version::V2, false, false),
                ],
                &[]
            ),
            ["cgroup (hybrid: v1 pids+memory, v2 kill)"]
        );
        assert_eq!(
            described(vec![group(Version::V2, true, true)], &[]),
            ["cgroup (v2: pids+memory+kill)"]
        );
        assert_eq!(
            described(
                vec![group(Version::V2, false, false)],
                &["no task limit cgroup: x", "no memory cgroup: x"]
            ),
            [
                "cgroup (v2: kill)",
                "no task limit cgroup: x",
                "no memory cgroup: x"
            ]
        );
        assert_eq!(
            described(vec![group(Version::V1, true, true)], &[]),
            ["cgroup (v1: pids+memory)"]
        );
    }

    #[test]
    fn a_locked_job_cgroup_is_kept_and_an_unlocked_one_removed() {
        if !geteuid().is_root() {
            let _ = io::Write::write_all(
                &mut io::stderr(),
                b"skipped: needs root to create cgroups\n",
            );
            return;
        }
        let layout = Layout::detect();
        let Ok(live) = JobCgroup::create(&layout, nix::unistd::getpid(), 16, 1 << 26) else {
            let _ = io::Write::write_all(&mut io::stderr(), b"skipped: no usable cgroups\n");
            return;
        };
        let dirs: Vec<PathBuf> = live.groups.iter().map(|group| group.dir.clone()).collect();
        // One left by a supervisor that died: made, never locked (or its lock dropped).
        let parent = dirs[0].parent().expect("below labgrade/").to_owned();
        let dead = parent.join(job_name(Pid::from_raw(1)));
        fs::create_dir(&dead).expect("a cgroup can be made beside ours");
        remove_stale(&layout);
        assert!(!dead.exists(), "the unlocked job cgroup is stale");
        for dir in &dirs {
            assert!(
                dir.exists(),
                "a live job's cgroup {} was removed",
                dir.display()
            );
        }
        // Same pid, other namespace: the random part keeps the names apart.
        assert_ne!(job_name(Pid::from_raw(5)), job_name(Pid::from_raw(5)));
        drop(live);
        for dir in &dirs {
            assert!(!dir.exists(), "{} outlived its job", dir.display());
        }
    }
}
