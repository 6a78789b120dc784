//! How a job with [`Job::limits`] is contained: the plan made before the program starts, and
//! the rlimits and uid drop applied in the child before `exec`.

use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::unistd::{Gid, Uid, setgid, setgroups, setuid};

use super::{cgroup, uid};
use crate::run::job::ProcessLimits;
#[cfg(doc)]
use crate::run::job::{Job, Observation};

/// Least `RLIMIT_AS` of a program whose memory a cgroup limits: only runaway reservations hit it.
const ADDRESS_SPACE_BACKSTOP: u64 = 4 << 30;

/// How a job with [`Job::limits`] is contained, decided before the program starts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Containment {
    limits: ProcessLimits,
    /// The user the program runs as, when isolated and the supervisor is root (only root drops
    /// to another uid): uid and gid are the same number.
    pub(super) user: Option<u32>,
    /// `RLIMIT_AS`: the memory limit, or a generous backstop when a cgroup limits the memory
    /// of the whole program (see [`Containment::rely_on`]).
    address_space: u64,
    /// `RLIMIT_NPROC` of an isolated program: the task limit, or a backstop above it when a
    /// cgroup limits the tasks of the whole program.
    task_rlimit: u64,
    /// Without root, whether the supervisor is in a user namespace of its own: the kernel
    /// counts `RLIMIT_NPROC` per user namespace, so there it counts the program's tasks (and
    /// the supervisor's two), not every process of the user.
    own_user_namespace: bool,
}

/// The supervisor's processes in its user namespace, which `RLIMIT_NPROC` counts beside the
/// program's tasks: the one labgrade started and init of the PID namespace.
const SUPERVISOR_TASKS: u64 = 2;

impl Containment {
    /// The containment of a job with `limits`, whose program runs as the uid of `claim` when
    /// there is one (only root claims a uid, and only for an isolated program).
    pub(super) fn plan(
        limits: ProcessLimits,
        claim: Option<&uid::Claim>,
        own_user_namespace: bool,
    ) -> Self {
        let user = claim.map(|claim| claim.uid);
        Self {
            limits,
            user,
            address_space: limits.memory_bytes,
            task_rlimit: limits.tasks,
            own_user_namespace: own_user_namespace && limits.isolate,
        }
    }

    /// What is applied, in words, for [`Observation::containment`].
    pub(super) fn describe(&self) -> Vec<String> {
        let mut applied = vec!["rlimits".to_owned()];
        if !self.limits.isolate {
            applied.push("not isolated: isolate is off".to_owned());
        } else if let Some(uid) = self.user {
            applied.push(format!("uid {uid}"));
            applied.push(format!("task limit {}", self.limits.tasks));
        } else if self.own_user_namespace {
            applied.push("no uid drop: not root".to_owned());
            applied.push(format!(
                "task limit {} (counted in its user namespace)",
                self.limits.tasks
            ));
        } else {
            // Isolated without a uid of its own: only root claims one.
            applied.push("no uid drop: not root".to_owned());
        }
        applied
    }

    /// Hands the memory and task limits to `cgroup` where it enforces them for the whole
    /// program. The rlimits stay as backstops: `RLIMIT_AS` counts reserved address space, not
    /// memory used, per process, and refuses legitimate multi-threaded programs (every thread
    /// reserves a stack and a malloc arena); `RLIMIT_NPROC` at the task limit would refuse a
    /// fork before the cgroup could count it.
    pub(super) fn rely_on(&mut self, cgroup: &cgroup::JobCgroup) {
        if cgroup.limits_memory() {
            self.address_space = self
                .limits
                .memory_bytes
                .saturating_mul(4)
                .max(ADDRESS_SPACE_BACKSTOP);
        }
        if cgroup.limits_tasks() {
            self.task_rlimit = self.limits.tasks.saturating_mul(2);
        }
    }

    /// In the child: takes back the per-process limits whose cgroup it could not join.
    /// Async-signal-safe.
    pub(super) fn fall_back(&mut self, joined: cgroup::Joined) {
        if !joined.memory {
            self.address_space = self.limits.memory_bytes;
        }
        if !joined.pids {
            self.task_rlimit = self.limits.tasks;
        }
    }
}

/// Sets `resource` to `soft` and `hard`, both lowered to the current hard limit when they
/// exceed it (only root may raise a hard limit). Async-signal-safe: two system calls.
fn set_limit(resource: Resource, soft: u64, hard: u64) -> nix::Result<()> {
    let (_, current_hard) = getrlimit(resource)?;
    let hard = hard.min(current_hard);
    setrlimit(resource, soft.min(hard), hard)
}

/// Applies `containment` in the child before `exec`. Async-signal-safe: system calls only.
///
/// The order matters: every rlimit is set while still root (so a hard limit may be raised),
/// and the uid drop comes last (std's `Command::uid` would drop before `pre_exec`, too early).
pub(super) fn contain(containment: &Containment) -> nix::Result<()> {
    let limits = &containment.limits;
    let seconds = limits.cpu_seconds();
    // Hard one second above soft: SIGXCPU comes first, and SIGKILL a second later if the
    // program ignores it.
    set_limit(Resource::RLIMIT_CPU, seconds, seconds.saturating_add(1))?;
    set_limit(
        Resource::RLIMIT_AS,
        containment.address_space,
        containment.address_space,
    )?;
    set_limit(Resource::RLIMIT_FSIZE, limits.file_bytes, limits.file_bytes)?;
    set_limit(
        Resource::RLIMIT_NOFILE,
        limits.open_files,
        limits.open_files,
    )?;
    if let Some(user) = containment.user {
        // RLIMIT_NPROC counts every task of the real uid and root ignores it: it is set only for
        // a program that gets a uid of its own (for the supervisor's own user it would count
        // every process that user runs elsewhere).
        set_limit(
            Resource::RLIMIT_NPROC,
            containment.task_rlimit,
            containment.task_rlimit,
        )?;
        setgroups(&[])?;
        setgid(Gid::from_raw(user))?;
        setuid(Uid::from_raw(user))?;
    } else if containment.own_user_namespace {
        // Counted per user namespace: the program's tasks and the supervisor's, nobody else's.
        let tasks = containment.task_rlimit.saturating_add(SUPERVISOR_TASKS);
        set_limit(Resource::RLIMIT_NPROC, tasks, tasks)?;
    }
    Ok(())
}
