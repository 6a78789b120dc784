//! The supervisor side of the `__supervise` protocol: runs one [`Job`] in this process and
//! reports what happened as a [`Reply`].
//!
//! The supervisor is a single-threaded process that exists for exactly one job. It is
//! responsible for:
//!
//! * starting the program in its own process group, with a controlled environment, no core
//!   dumps, and `PR_SET_PDEATHSIG` so that the program dies with its supervisor;
//! * enforcing the wall-clock limit against a monotonic deadline, by killing the process group;
//! * for a job with [`Job::limits`], containing the program: rlimits, and when the supervisor is
//!   root a network namespace and an unprivileged uid of its own (see [`contain`]);
//! * capturing stdout and stderr up to [`Job::output_limit`] bytes each, while draining and
//!   discarding the rest so that the program never blocks on a full pipe;
//! * decoding how the main process ended;
//! * on SIGINT, SIGTERM or SIGHUP (an interrupted grading run), killing the whole program before
//!   exiting instead of leaving it running;
//! * finding every process the program left behind (the supervisor is their subreaper, so even
//!   processes that left the group with `setsid` become its children), killing them, counting
//!   them, and reaping everything until it has no children left;
//! * measuring the CPU time of the whole program (`getrusage(RUSAGE_CHILDREN)` once everything
//!   is reaped: a process reaped by its own parent rolls up into that parent);
//! * for a traced job ([`Job::trace`]), tracing every thread and process of the program with
//!   ptrace to take its census, and delaying new tasks when asked to perturb: see [`tracer`];
//!   with [`crate::run::Trace::syscalls`], also stopping at the system calls of interest to the
//!   IPC exercises, and shortening reads of pipes: see [`syscalls`].
//!
//! It must stay single-threaded: `waitpid(-1)` would steal other threads' children,
//! `PR_SET_PDEATHSIG` fires when the spawning *thread* ends, and ptrace requests must come from
//! the tracing thread. Everything happens in one poll loop: the signalfd (SIGCHLD, which ptrace
//! stops raise too), the output pipes, the deadline and the instants at which held tasks resume
//! set its timeout, and each turn reaps or handles every pending wait status.

#[cfg(target_arch = "x86_64")]
mod bpf;
mod cgroup;
mod cores;
mod load;
mod namespaces;
mod outside;
mod procfs;
mod sandbox;
mod senders;
mod syscalls;
mod tracer;
mod uid;
mod view;
mod waiting;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::libc;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sched::{CloneFlags, unshare};
use nix::sys::prctl;
use nix::sys::ptrace;
use nix::sys::resource::{Resource, UsageWho, getrlimit, getrusage, setrlimit};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, killpg, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::socket;
use nix::sys::time::TimeValLike;
use nix::sys::wait::WaitPidFlag;
use nix::unistd::{Gid, Pid, Uid, chown, geteuid, getpid, setgid, setgroups, setuid};

pub(super) use cgroup::trial as cgroup_trial;
pub(super) use namespaces::user_namespace_works;
pub(super) use procfs::live_descendants;
pub use tracer::{PerturbationDelays, perturbation_delays};

use super::job::{
    BaseEnv, CapturedOutput, Job, Limits, Observation, Reply, TOOLCHAIN_ENV, Termination,
};
use sandbox::Prepared;
use tracer::Tracer;

/// Longest sleep between two looks at the deadline and the children. SIGCHLD and pipe activity
/// wake the loop earlier; the tick only bounds how late a deadline or an unsignalled change is
/// noticed.
const TICK: Duration = Duration::from_millis(20);
/// How long after the main process ended its pipes may stay open before whatever holds them is
/// treated as left behind and killed.
const PIPE_GRACE: Duration = Duration::from_millis(100);
/// Pause between rounds of killing leftovers, to let the kills take effect.
const CLEANUP_TICK: Duration = Duration::from_millis(5);
/// After this long, cleanup gives up on processes that do not die (for example, stuck in
/// uninterruptible sleep) and on pipes held outside the program's process tree, so that the
/// supervisor still answers.
const CLEANUP_LIMIT: Duration = Duration::from_secs(5);
/// Wait statuses handled per loop turn. A program that creates and ends tasks as fast as it can
/// would otherwise keep a traced job's supervisor handling ptrace stops and never looking at the
/// deadline; the next turn then polls without waiting.
const EVENTS_PER_TURN: usize = 256;
/// Bytes read from a pipe per `read` call.
const READ_CHUNK: usize = 64 * 1024;
/// Reads per pipe per loop turn. A program that writes as fast as it can would otherwise keep
/// the supervisor reading and never looking at the deadline.
const READS_PER_TURN: usize = 16;
/// Least `RLIMIT_AS` of a program whose memory a cgroup limits: only runaway reservations hit it.
const ADDRESS_SPACE_BACKSTOP: u64 = 4 << 30;
/// `PATH` of [`BaseEnv::Clean`].
const CLEAN_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Reads one [`Job`] from `input`, runs it, writes one [`Reply`] to `output`.
///
/// Returns failure, after explaining why on stderr, only when the supervisor itself could not do
/// its work (unreadable job, no subreaper, reply not writable); a program that cannot be started
/// or that misbehaves is reported in the reply.
pub fn supervise(input: &mut dyn Read, output: &mut dyn Write) -> ExitCode {
    match supervise_job(input, output) {
        Ok(None) => ExitCode::SUCCESS,
        // The process labgrade started, which relayed for the supervisor in its namespaces.
        Ok(Some(relayed)) => relayed,
        Err(error) => {
            // The front end quotes the supervisor's stderr in its error; if even stderr is gone,
            // the exit status alone has to tell the story.
            let _ = writeln!(io::stderr(), "labgrade supervisor: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Why the supervisor could not do its work.
#[derive(Debug, thiserror::Error)]
enum SuperviseError {
    #[error("cannot read the job from stdin: {0}")]
    ReadJob(#[source] io::Error),
    #[error("the job on stdin is not valid: {0}")]
    ParseJob(#[source] serde_json::Error),
    #[error("cannot {what}: {source}")]
    Setup {
        what: &'static str,
        #[source]
        source: Errno,
    },
    #[error("cannot write the reply to stdout: {0}")]
    WriteReply(#[source] io::Error),
    #[error("interrupted by {}; the program was killed", .0.as_str())]
    Interrupted(Signal),
    #[error(
        "`/proc` shows another PID namespace than labgrade's own (labgrade is pid {ours} here, \
         `/proc/self` says {theirs}): its processes would be confused with others'. Mount a \
         `/proc` of this namespace (`unshare --pid --fork --mount-proc`), or run labgrade as \
         root, which mounts one for itself"
    )]
    ForeignProc { ours: i32, theirs: String },
}

/// Runs the job read from `input`; returns the exit code to pass on in the original process of
/// a supervisor that forked into its namespaces (see [`namespaces::enter`]), `None` in the
/// process that supervised.
fn supervise_job(
    input: &mut dyn Read,
    output: &mut dyn Write,
) -> Result<Option<ExitCode>, SuperviseError> {
    let job = read_job(input)?;
    let root = geteuid().is_root();
    // A sandboxed or isolated program gets namespaces of its own, where they can be had.
    let isolated = job.sandbox.is_some() || job.limits.is_some_and(|limits| limits.isolate);
    // Stale job cgroups go first: their leftovers may hold a uid we would otherwise pass over.
    // Before the PID namespace: an older labgrade's are judged by a pid of the machine's.
    let layout = job
        .limits
        .filter(|limits| limits.isolate)
        .map(|_| cgroup::Layout::detect());
    if let Some(layout) = &layout {
        cgroup::remove_stale(layout);
    }
    let (entered, signals) = match settle(root, isolated)? {
        Settled::Supervise(entered, signals) => (entered, signals),
        Settled::Relayed(code) => return Ok(Some(code)),
    };

    // Cgroups of the job's own for an isolated program; removed (after every process of the
    // program is reaped) before the reply is written, or on drop if the supervisor fails.
    let mut cgroup = job.limits.zip(layout).map(|(limits, layout)| {
        cgroup::JobCgroup::create(
            &layout,
            entered.machine_pid,
            limits.tasks,
            limits.memory_bytes,
        )
    });
    // Held until the supervisor exits, after every process of the program is gone.
    let uid_claim = job
        .limits
        .filter(|limits| limits.isolate && root)
        .map(|_| uid::claim(entered.machine_pid));
    let mut containment = job.limits.map(|limits| {
        Containment::plan(
            limits,
            uid_claim.as_ref(),
            entered.power == namespaces::Power::UserNamespace,
        )
    });
    if let (Some(containment), Some(Ok(cgroup))) = (&mut containment, &cgroup) {
        containment.rely_on(cgroup);
    }
    let power = entered.power;
    let mut sandbox = job
        .sandbox
        .as_ref()
        .map(|sandbox| Prepared::new(sandbox, &job.cwd, power.makes_namespaces()));
    let view_report = sandbox.as_mut().and_then(Prepared::report);
    let network_namespace = power.makes_namespaces() && isolated;
    let mut applied = containment
        .as_ref()
        .map(Containment::describe)
        .unwrap_or_default();
    applied.extend(entered.words(network_namespace));
    if job.limits.is_some() {
        applied.push("session keyring of its own".to_owned());
    }
    applied.extend(uid_claim.as_ref().and_then(|claim| claim.caveat.clone()));
    applied.extend(sandbox.as_ref().map(Prepared::describe).unwrap_or_default());
    // Taken before the program starts: a supervisor descheduled right after `spawn` must not
    // start the clock after the program.
    let start = Instant::now();
    let join = cgroup
        .as_ref()
        .and_then(|cgroup| Some(cgroup.as_ref().ok()?.join()));
    let reply = match spawn(&job, containment.as_ref(), sandbox, network_namespace, join) {
        Ok((child, listener)) => {
            let program = Pid::from_raw(child.id().cast_signed());
            applied.extend(view_report.as_ref().map(sandbox::said_of_view));
            if job.limits.is_some() {
                applied.push(if listener.is_some() {
                    "signals sent observed".to_owned()
                } else {
                    "signals sent not observed: no seccomp listener".to_owned()
                });
            }
            match &mut cgroup {
                Some(Ok(cgroup)) => {
                    cgroup.started(program);
                    applied.extend(cgroup.describe());
                    let tasks = job.limits.map_or(0, |limits| limits.tasks);
                    let task_limit = format!("task limit {tasks}");
                    if cgroup.limits_tasks() && !applied.contains(&task_limit) {
                        applied.push(task_limit);
                    }
                }
                Some(Err(reason)) => applied.push(format!("no cgroups: {reason}")),
                None => {}
            }
            let cgroup = cgroup.as_ref().and_then(|cgroup| cgroup.as_ref().ok());
            Reply::Observed(watch(
                &job, child, listener, signals, start, applied, cgroup,
            )?)
        }
        Err(message) => Reply::SpawnFailed { message },
    };
    // Every process of the program is reaped by now: the cgroups are empty.
    if let Some(Ok(cgroup)) = &mut cgroup {
        cgroup.remove();
    }

    serde_json::to_writer(&mut *output, &reply)
        .map_err(io::Error::from)
        .and_then(|()| writeln!(output))
        .and_then(|()| output.flush())
        .map_err(SuperviseError::WriteReply)?;
    Ok(None)
}

/// The job, as the front end wrote it to our stdin.
fn read_job(input: &mut dyn Read) -> Result<Job, SuperviseError> {
    let mut text = String::new();
    input
        .read_to_string(&mut text)
        .map_err(SuperviseError::ReadJob)?;
    serde_json::from_str(&text).map_err(SuperviseError::ParseJob)
}

/// Which process [`settle`] returns in.
enum Settled {
    /// The one that supervises, in its namespaces, with its signalfd.
    Supervise(namespaces::Entered, SignalFd),
    /// The original process, whose supervisor in the namespaces ended with this code.
    Relayed(ExitCode),
}

/// Settles the supervisor before it starts the program: signals blocked, namespaces of its own
/// for an `isolated` program (see [`namespaces::enter`]), a `/proc` of its PID namespace, the
/// subreaper flag and the signalfd.
fn settle(root: bool, isolated: bool) -> Result<Settled, SuperviseError> {
    let mask = block_signals()?;
    let entered = if isolated {
        match namespaces::enter(root, &mask)
            .map_err(|(what, source)| SuperviseError::Setup { what, source })?
        {
            namespaces::Forked::Supervise(entered) => entered,
            namespaces::Forked::Relayed(code) => return Ok(Settled::Relayed(code)),
        }
    } else {
        namespaces::Entered::outside()
    };
    own_proc()?;
    // Orphans of the program become our children instead of PID 1's, which reaps them only
    // seconds later; that is how escaped processes are found and killed. (Init of a PID
    // namespace of its own is their reaper anyway.)
    prctl::set_child_subreaper(true).map_err(|source| SuperviseError::Setup {
        what: "become a child subreaper",
        source,
    })?;
    Ok(Settled::Supervise(entered, signal_fd(&mask)?))
}

/// Blocks the signals the supervisor reads from its signalfd (see [`signal_fd`]): SIGCHLD so
/// that `poll` wakes up the moment a child ends, the others so that an interrupted run kills
/// the program before the supervisor goes. The mask is set rather than added to, so that blocks
/// inherited from whoever started the supervisor do not linger. Blocked before the supervisor
/// forks into its namespaces, so that none is lost in between.
fn block_signals() -> Result<SigSet, SuperviseError> {
    let mut signals = SigSet::empty();
    for signal in [
        Signal::SIGCHLD,
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
    ] {
        signals.add(signal);
    }
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(&signals), None).map_err(|source| {
        SuperviseError::Setup {
            what: "set the signal mask",
            source,
        }
    })?;
    Ok(signals)
}

/// The signalfd from which the supervisor reads the signals of `mask`, blocked already.
fn signal_fd(mask: &SigSet) -> Result<SignalFd, SuperviseError> {
    SignalFd::with_flags(mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC).map_err(|source| {
        SuperviseError::Setup {
            what: "create a signalfd",
            source,
        }
    })
}

/// Makes sure `/proc` is that of our own PID namespace. Everything that reads it (the leftover
/// hunt, the census, the cgroup layout) names processes by pid, and a `/proc` mounted for
/// another namespace (as after a bare `unshare --pid --fork`, or after the supervisor made its
/// own: see [`namespaces`]) would have it kill and count strangers. Root, or a supervisor in a
/// user namespace of its own, mounts a fresh one in a private mount namespace of the
/// supervisor's own; anyone else is told how to get one.
fn own_proc() -> Result<(), SuperviseError> {
    let me = getpid().as_raw();
    let seen = || {
        std::fs::read_link("/proc/self")
            .map(|link| link.display().to_string())
            .unwrap_or_default()
    };
    if seen() == me.to_string() {
        return Ok(());
    }
    // Without the power to mount (EPERM), the refusal below says what to do.
    let mounted = unshare(CloneFlags::CLONE_NEWNS).and_then(|()| {
        nix::mount::mount(
            None::<&str>,
            "/",
            None::<&str>,
            nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_PRIVATE,
            None::<&str>,
        )?;
        nix::mount::mount(
            Some("proc"),
            "/proc",
            Some("proc"),
            nix::mount::MsFlags::MS_NOSUID
                | nix::mount::MsFlags::MS_NODEV
                | nix::mount::MsFlags::MS_NOEXEC,
            None::<&str>,
        )
    });
    match mounted {
        Ok(()) if seen() == me.to_string() => return Ok(()),
        Ok(()) | Err(Errno::EPERM) => {}
        Err(source) => {
            return Err(SuperviseError::Setup {
                what: "mount a /proc of our PID namespace",
                source,
            });
        }
    }
    Err(SuperviseError::ForeignProc {
        ours: me,
        theirs: seen(),
    })
}

/// How a job with [`Job::limits`] is contained, decided before the program starts.
#[derive(Debug, Clone, Copy)]
struct Containment {
    limits: Limits,
    /// The user the program runs as, when isolated and the supervisor is root (only root drops
    /// to another uid): uid and gid are the same number.
    user: Option<u32>,
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
    fn plan(limits: Limits, claim: Option<&uid::Claim>, own_user_namespace: bool) -> Self {
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
    fn describe(&self) -> Vec<String> {
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
    fn rely_on(&mut self, cgroup: &cgroup::JobCgroup) {
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
    fn fall_back(&mut self, joined: cgroup::Joined) {
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
fn contain(containment: &Containment) -> nix::Result<()> {
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

/// Starts the program of `job`; on failure returns the reason, naming what could not be used.
///
/// With `network_namespace` (only as root) the program gets a network namespace of its own;
/// `sandbox` is enforced last, after the uid drop. With `join`, the program moves itself into
/// its job cgroups first. A student program (with [`Job::limits`]) reports every signal it
/// sends to the returned listener, where the machine allows (see [`senders`]).
fn spawn(
    job: &Job,
    containment: Option<&Containment>,
    mut sandbox: Option<Prepared>,
    network_namespace: bool,
    join: Option<cgroup::Join>,
) -> Result<(Child, Option<senders::Listener>), String> {
    let mut command = Command::new(&job.program);
    command
        .args(&job.args)
        .current_dir(&job.cwd)
        // Its own group, so that the deadline kill reaches every process that stayed in it,
        // and a fork bomb cannot outrun it.
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match job.base_env {
        BaseEnv::Clean => {
            let home = std::path::absolute(&job.cwd).unwrap_or_else(|_| job.cwd.clone());
            command
                .env_clear()
                .env("PATH", CLEAN_PATH)
                .env("HOME", home);
        }
        BaseEnv::Toolchain => {
            command.env_clear();
            for name in TOOLCHAIN_ENV {
                if let Some(value) = std::env::var_os(name) {
                    command.env(name, value);
                }
            }
        }
        BaseEnv::Inherit => {}
    }
    command.envs(&job.env);
    if let Some(user) = containment.and_then(|containment| containment.user) {
        give_cwd(&job.cwd, user)?;
    }
    let mut containment = containment.copied();
    let supervisor = getpid();
    let traced = job.trace.is_some();
    // Built before the fork: the child only installs it.
    let filter = job
        .trace
        .as_ref()
        .and_then(|trace| trace.syscalls.as_ref())
        .and_then(|_| syscalls::Filter::new());
    // The listener comes back over a socket pair: ours to receive, the child's to send.
    let senders = job.limits.and_then(|_| {
        let filter = senders::Filter::new()?;
        let (ours, theirs) = socket::socketpair(
            socket::AddressFamily::Unix,
            socket::SockType::SeqPacket,
            None,
            socket::SockFlag::SOCK_CLOEXEC,
        )
        .ok()?;
        Some((filter, ours, theirs))
    });
    let (senders_filter, senders_socket) = match senders {
        Some((filter, ours, theirs)) => (Some((filter, theirs.as_raw_fd())), Some((ours, theirs))),
        None => (None, None),
    };
    // SAFETY: the closure runs in the forked child before `exec`, where only async-signal-safe
    // work is allowed. It only makes the `sigprocmask`, `getrlimit`, `setrlimit`, `unshare`,
    // `setgroups`, `setgid`, `setuid`, `keyctl`, `prctl`, `getppid`, `ptrace` and `seccomp` (a filter
    // built before the fork, see `syscalls::Filter::install`) system calls through
    // nix's thin wrappers, with a signal set on the stack and a copied `Containment`, makes
    // the two Landlock calls through the ruleset built before the fork (moved into the
    // closure, enforced once: see `Prepared::enforce`), writes to the `cgroup.procs`
    // descriptors the supervisor opened before the fork (see `cgroup::Join::enter`), and builds
    // `io::Error`s from raw errno values; nothing allocates, locks or touches state shared with
    // the parent.
    unsafe {
        command.pre_exec(move || {
            // std does not reset the signal mask, and the supervisor blocks signals for its own
            // use: a program must start with nothing blocked, as from a shell.
            sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)?;
            // core_pattern is plain `core`: a crashing program would drop core files into the
            // submission.
            setrlimit(Resource::RLIMIT_CORE, 0, 0)?;
            if network_namespace {
                // A new network namespace holds only `lo`, down: no connection goes anywhere.
                // A new IPC namespace keeps System V shared memory, semaphores and message
                // queues to the program, and takes them with it when it ends: a segment it
                // leaves is neither seen by later programs nor kept outside every limit.
                // Made while still root: unsharing them needs `CAP_SYS_ADMIN`.
                unshare(CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWIPC)?;
            }
            // As root: a mount namespace of the program's own, with `/tmp`, `/run` and the
            // like private (and, without Landlock, the course, the cache and other submissions
            // covered); root is still needed here.
            if let Some(sandbox) = &mut sandbox {
                sandbox.hide()?;
            }
            if let Some(containment) = &mut containment {
                // Before the uid drop: only root may move a process into a cgroup it owns. A
                // cgroup that cannot be joined leaves its limit to the rlimit.
                if let Some(join) = &join {
                    containment.fall_back(join.enter());
                }
                contain(containment)?;
                // After the uid drop, so that the keyring is the program's: an empty session
                // keyring of its own, never labgrade's (which may hold a CI runner's keys). A
                // kernel without keyrings has nothing to hide.
                join_new_session_keyring();
            }
            // After the uid drop: Landlock sets no-new-privileges, and nothing after this point
            // opens a file.
            if let Some(sandbox) = &mut sandbox {
                sandbox.enforce()?;
            }
            // After the uid drop, which clears it. If the supervisor already died, the program
            // must not run unsupervised.
            super::die_with_parent(supervisor, Signal::SIGKILL)?;
            // Before the tracer's filter, whose stops need the tracer; a machine without
            // seccomp listeners still runs the program, whose signals then go unobserved.
            if let Some((filter, socket)) = &senders_filter {
                let _ = filter.install(*socket);
            }
            // Last, so that a child failing an earlier step is never a tracee, and so that the
            // window in which a signal would stop it before `exec` (and leave `spawn` waiting)
            // is as short as can be. It only marks the child: its first stop is the SIGTRAP
            // after `exec`, which the supervisor waits for.
            if traced {
                ptrace::traceme()?;
            }
            // After `traceme`, right before `exec`: the filter's stops need the tracer, and no
            // call it stops is made from here to `exec`.
            if let Some(filter) = &filter {
                filter.install()?;
            }
            Ok(())
        });
    }
    let child = command.spawn().map_err(|error| {
        if std::fs::metadata(&job.cwd).is_ok_and(|meta| meta.is_dir()) {
            error.to_string()
        } else {
            format!("working directory `{}`: {error}", job.cwd.display())
        }
    })?;
    // The child sent the listener before its `exec`, which `spawn` waited for.
    let listener = senders_socket.and_then(|(ours, theirs)| {
        drop(theirs);
        senders::Listener::receive(&ours)
    });
    Ok((child, listener))
}

/// Replaces the calling process's session keyring by a new, empty, anonymous one
/// (`keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)`). One system call: safe between `fork` and
/// `exec`. Its failure leaves the program without the keyring it would have hidden (no
/// keyrings in this kernel) or with an inherited one, which its uid of its own cannot read.
fn join_new_session_keyring() {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    // SAFETY: `keyctl` with a null name reads no memory of ours; its result is ignored.
    let _ = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
}

/// Makes the working directory `cwd` writable by the isolated program's `user` by giving it
/// to that user. A shared folder with the sticky bit (such as `/tmp`) is writable by everyone
/// already and is left alone: it must never change owner.
fn give_cwd(cwd: &std::path::Path, user: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(cwd)
        .map_err(|error| format!("working directory `{}`: {error}", cwd.display()))?;
    if meta.permissions().mode() & 0o1000 != 0 {
        return Ok(());
    }
    chown(cwd, Some(Uid::from_raw(user)), Some(Gid::from_raw(user))).map_err(|error| {
        format!(
            "cannot give the working directory `{}` to uid {user}: {error}",
            cwd.display()
        )
    })
}

/// Follows the running program, started at `start`, to its end and cleans up after it.
/// `containment` is what was applied to it, in words; `cgroup`, the job cgroups it runs in.
fn watch(
    job: &Job,
    child: Child,
    senders: Option<senders::Listener>,
    signals: SignalFd,
    start: Instant,
    containment: Vec<String>,
    cgroup: Option<&cgroup::JobCgroup>,
) -> Result<Observation, SuperviseError> {
    let main = Pid::from_raw(child.id().cast_signed());
    let machine_oom_before = outside::machine_oom_kills();
    let mut watch = Watch::start(job, child, senders, signals, start)?;

    let mut deadline = load::Deadline::new(start, Duration::from_millis(job.timeout_ms));
    let mut timed_out = false;
    let mut group_killed = false;
    let (status, ended) = loop {
        if let Some(ended) = watch.main_ended {
            break ended;
        }
        let now = Instant::now();
        let expired = !group_killed && deadline.passed(now, children_cpu_us);
        if !group_killed && (expired || watch.interrupted.is_some()) {
            if expired && let Some(tracer) = &mut watch.tracer {
                tracer.note_deadline_kill();
            }
            // The main process is not reaped yet, so the group id cannot have been reused.
            // Traced tasks held in a ptrace stop die too: SIGKILL wakes them.
            let _ = killpg(main, Signal::SIGKILL);
            group_killed = true;
            timed_out = expired;
        }
        let wait = match deadline.at() {
            Some(deadline) if !group_killed => deadline.saturating_duration_since(now).min(TICK),
            _ => TICK,
        };
        watch.turn(wait);
    };

    // A process that kept the pipes open (even one that escaped the group) gets a short chance
    // to close them; after that it is a leftover and is killed, so it cannot hold us up.
    let grace_end = Instant::now() + PIPE_GRACE;
    while watch.pipes_open() && watch.interrupted.is_none() {
        let now = Instant::now();
        if now >= grace_end {
            break;
        }
        watch.turn((grace_end - now).min(TICK));
    }

    // After a timeout the deadline kill already took the whole group down with the main
    // process; only processes that had left the group survived it and count as left behind.
    // The job cgroup lists every live process of the program, escaped or not: they are
    // counted, then killed at once (forks cannot outrun `cgroup.kill`). The walk then counts
    // and kills whatever else it finds, each pid counted once, and reaps everything.
    let mut counted = BTreeSet::new();
    if let Some(cgroup) = cgroup {
        counted = watch.cgroup_leftovers(cgroup, main, group_killed);
        cgroup.kill_all();
    }
    let leftover_processes = watch.kill_leftovers(main, group_killed, counted);
    if let Some(signal) = watch.interrupted {
        return Err(SuperviseError::Interrupted(signal));
    }

    // Everything is reaped by now, so this is the CPU time of the whole program; a timeout
    // reports it too, to tell a busy program from a blocked one.
    let cpu_us = children_cpu_us();
    let termination = reported_termination(job, status, timed_out, cpu_us);
    let census = watch
        .tracer
        .take()
        .map(|tracer| tracer.finish(&termination, job.timeout_ms));
    let mut observation = Observation {
        termination,
        wall_ms: load::millis(ended.duration_since(start)),
        stdout: watch.stdout.finish(),
        stderr: watch.stderr.finish(),
        leftover_processes,
        cpu_us,
        census,
        containment,
        // Read once every process is reaped, so the counters are final.
        resources: cgroup.map(cgroup::JobCgroup::usage),
        load_credit_ms: load::millis(deadline.granted()),
        interference: None,
    };
    observation.interference = if timed_out {
        deadline.overloaded()
    } else {
        outside::interference(&outside::Facts {
            sent: watch.senders.as_ref().map(senders::Listener::sent),
            main_pid: main.as_raw(),
            observation: &observation,
            cpu_limit_us: job.limits.map(|limits| {
                limits
                    .cpu_seconds()
                    .saturating_add(1)
                    .saturating_mul(1_000_000)
            }),
            machine_oom_kills: machine_oom_before
                .zip(outside::machine_oom_kills())
                .map(|(before, after)| after.saturating_sub(before)),
        })
    };
    Ok(observation)
}

/// How the main process ended, as reported: a SIGKILL after the deadline is the deadline's
/// [`Termination::TimedOut`], with `cpu_us`, the program's CPU time, and a SIGXCPU under
/// [`Job::limits`] names the limit that was passed.
fn reported_termination(job: &Job, status: i32, timed_out: bool, cpu_us: u64) -> Termination {
    match decode(status) {
        Termination::Signaled { signal, .. } if timed_out && signal == libc::SIGKILL => {
            Termination::TimedOut {
                limit_ms: job.timeout_ms,
                cpu_ms: Some(cpu_us / 1000),
            }
        }
        Termination::Signaled {
            signal: libc::SIGXCPU,
            name,
            core_dumped,
            cpu_limit_s: None,
        } if job.limits.is_some() => Termination::Signaled {
            signal: libc::SIGXCPU,
            name,
            core_dumped,
            cpu_limit_s: job.limits.map(|limits| limits.cpu_seconds()),
        },
        // The main process ended by itself just as the deadline passed: report what it did.
        other => other,
    }
}

/// CPU time, user plus system, of every process this supervisor and its children waited for:
/// the whole program once everything is reaped, since a process's own waited-for children roll
/// up into it.
fn children_cpu_us() -> u64 {
    getrusage(UsageWho::RUSAGE_CHILDREN).map_or(0, |usage| {
        let micros = usage.user_time().num_microseconds() + usage.system_time().num_microseconds();
        u64::try_from(micros).unwrap_or(0)
    })
}

/// What the supervisor holds while the program runs.
struct Watch {
    main: Pid,
    /// Raw wait status of the main process and when it was reaped.
    main_ended: Option<(i32, Instant)>,
    /// Delivers SIGCHLD and the interrupting signals.
    signals: SignalFd,
    /// The first interrupting signal received.
    interrupted: Option<Signal>,
    stdout: Capture,
    stderr: Capture,
    buffer: Vec<u8>,
    /// The census of a traced job.
    tracer: Option<Tracer>,
    /// Where the program reports the signals it sends.
    senders: Option<senders::Listener>,
    /// The last reap stopped at [`EVENTS_PER_TURN`] with statuses still pending.
    backlog: bool,
}

/// What one wait for a child found.
enum Waited {
    /// Nothing has happened.
    Nothing,
    /// The supervisor has no children (and no tracees) left.
    Childless,
    /// A pid and its raw wait status.
    Status(i32, i32),
}

impl Watch {
    /// Starts watching `child`, the program of `job` started at `start`: takes its pipes and,
    /// for a traced job, attaches the tracer (killing the program if that fails).
    fn start(
        job: &Job,
        mut child: Child,
        senders: Option<senders::Listener>,
        signals: SignalFd,
        start: Instant,
    ) -> Result<Self, SuperviseError> {
        let main = Pid::from_raw(child.id().cast_signed());
        let output_limit = usize::try_from(job.output_limit).unwrap_or(usize::MAX);
        let stdout = child.stdout.take().map(OwnedFd::from);
        let stderr = child.stderr.take().map(OwnedFd::from);
        // `Child` is never waited for: the loop reaps with `waitpid(-1)`, and dropping a
        // `Child` neither kills nor waits.
        drop(child);
        let mut watch = Self {
            main,
            main_ended: None,
            signals,
            interrupted: None,
            stdout: Capture::new(stdout, output_limit),
            stderr: Capture::new(stderr, output_limit),
            buffer: vec![0; READ_CHUNK],
            tracer: None,
            senders,
            backlog: false,
        };
        if let Some(trace) = &job.trace {
            match Tracer::attach(main, trace, start) {
                Ok((tracer, ended)) => {
                    watch.tracer = Some(tracer);
                    watch.main_ended = ended.map(|status| (status, Instant::now()));
                }
                Err(source) => {
                    // The program is stopped before its first instruction; it must not stay.
                    let _ = kill(main, Signal::SIGKILL);
                    watch.kill_leftovers(main, true, BTreeSet::new());
                    return Err(SuperviseError::Setup {
                        what: "trace the program",
                        source,
                    });
                }
            }
        }
        Ok(watch)
    }

    fn pipes_open(&self) -> bool {
        self.stdout.is_open() || self.stderr.is_open()
    }

    /// Waits up to `wait` for output or a child's end, then reads what the pipes hold and reaps
    /// what has ended. Returns whether the supervisor has no children left.
    fn turn(&mut self, wait: Duration) -> bool {
        let mut wait = if self.backlog { Duration::ZERO } else { wait };
        if let Some(wake) = self.tracer.as_ref().and_then(Tracer::next_wake) {
            wait = wait.min(wake.saturating_duration_since(Instant::now()));
        }
        // Interest in each source; the order matches the `PollFd`s below.
        let mut fds = Vec::with_capacity(3);
        fds.push(PollFd::new(self.signals.as_fd(), PollFlags::POLLIN));
        if let Some(pipe) = &self.stdout.pipe {
            fds.push(PollFd::new(pipe.as_fd(), PollFlags::POLLIN));
        }
        if let Some(pipe) = &self.stderr.pipe {
            fds.push(PollFd::new(pipe.as_fd(), PollFlags::POLLIN));
        }
        if let Some(listener) = self.senders.as_ref().and_then(senders::Listener::poll_fd) {
            fds.push(PollFd::new(listener, PollFlags::POLLIN));
        }
        // Rounded up, so that a held task's instant has passed when `poll` returns.
        let timeout =
            PollTimeout::try_from(wait.as_micros().div_ceil(1_000)).unwrap_or(PollTimeout::MAX);
        // EINTR or any other failure only means the turn ends early; every source is read
        // without blocking below regardless of what `poll` said.
        let _ = poll(&mut fds, timeout);
        drop(fds);
        // First: a program waits in its `kill` until the call is answered.
        if let Some(listener) = &mut self.senders {
            listener.service();
        }

        while let Ok(Some(info)) = self.signals.read_signal() {
            let signal = Signal::try_from(info.ssi_signo.cast_signed());
            if let Ok(signal @ (Signal::SIGINT | Signal::SIGTERM | Signal::SIGHUP)) = signal {
                self.interrupted.get_or_insert(signal);
            }
        }
        self.stdout.drain(&mut self.buffer);
        self.stderr.drain(&mut self.buffer);
        let childless = self.reap();
        if let Some(tracer) = &mut self.tracer {
            tracer.service(Instant::now());
        }
        childless
    }

    /// Reaps every child that has ended, recording the main process's status, and hands the
    /// ptrace stops of a traced job to its tracer. Returns whether the supervisor has no
    /// children left.
    fn reap(&mut self) -> bool {
        self.backlog = false;
        for _ in 0..EVENTS_PER_TURN {
            let (pid, status) = match self.wait_one() {
                Waited::Nothing => return false,
                Waited::Childless => return true,
                Waited::Status(pid, status) => (pid, status),
            };
            if libc::WIFSTOPPED(status) {
                // Only tracees report stops: no WUNTRACED.
                if let Some(tracer) = &mut self.tracer {
                    tracer.on_stop(pid, status);
                }
                continue;
            }
            if let Some(tracer) = &mut self.tracer {
                tracer.on_end(pid, status);
            }
            if pid == self.main.as_raw() {
                self.main_ended = Some((status, Instant::now()));
            }
            // Anything else is a descendant reparented to us, or a tracee: reaping is all it
            // needs.
        }
        self.backlog = true;
        false
    }

    /// Collects one wait status, without blocking.
    fn wait_one(&mut self) -> Waited {
        let target = match &mut self.tracer {
            None => -1,
            // A traced job looks before it reaps, so that the tracer can read a task's CPU
            // time in `/proc` while its zombie is still there.
            Some(tracer) => match peek() {
                Peek::Nothing => return Waited::Nothing,
                Peek::Childless => return Waited::Childless,
                Peek::Stopped(pid) => pid,
                Peek::Ended(pid) => {
                    tracer.before_reap(pid);
                    pid
                }
            },
        };
        loop {
            let mut status = 0;
            // nix's `waitpid` is not used because it fails with EINVAL, after the child has
            // been reaped, when the status holds a signal nix has no name for (real-time
            // signals); the main process's status would be lost.
            // SAFETY: `waitpid` only writes the status through the pointer, which points to a
            // live local `i32`.
            let pid = unsafe {
                libc::waitpid(
                    target,
                    &raw mut status,
                    (WaitPidFlag::WNOHANG | WaitPidFlag::__WALL).bits(),
                )
            };
            return match pid {
                0 => Waited::Nothing,
                -1 if Errno::last() == Errno::EINTR => continue,
                // Waiting for one pid that `peek` just saw cannot fail for want of children.
                -1 if target != -1 => Waited::Nothing,
                -1 => Waited::Childless,
                pid => Waited::Status(pid, status),
            };
        }
    }

    /// Live processes of the program in `cgroup`, noted for the census as leftovers that
    /// labgrade killed, and returned unless they are members of the program's group and
    /// `group_already_killed` (as in [`Watch::kill_leftovers`]).
    fn cgroup_leftovers(
        &mut self,
        cgroup: &cgroup::JobCgroup,
        group: Pid,
        group_already_killed: bool,
    ) -> BTreeSet<Pid> {
        let mut found = BTreeSet::new();
        for pid in cgroup.members() {
            let Some(process) = procfs::stat(pid.as_raw()).filter(|process| process.alive) else {
                continue;
            };
            if let Some(tracer) = &mut self.tracer {
                tracer.note_leftover_kill(pid);
            }
            if !(group_already_killed && process.pgrp == group.as_raw()) {
                found.insert(pid);
            }
        }
        found
    }

    /// Kills every process still alive in the program's tree, reaps until the supervisor has no
    /// children and the pipes reach end of file, and returns how many distinct processes it had
    /// to kill, `counted` (already found and killed elsewhere) included. Members of the
    /// program's group are not counted when `group_already_killed`.
    fn kill_leftovers(
        &mut self,
        group: Pid,
        group_already_killed: bool,
        counted: BTreeSet<Pid>,
    ) -> u32 {
        let me = getpid();
        let give_up = Instant::now() + CLEANUP_LIMIT;
        let mut killed = counted;
        loop {
            // Look before killing, so that processes are counted while still alive and not
            // confused with zombies.
            let live = live_descendants(me);
            let mut group_seen = false;
            for process in &live {
                if let Some(tracer) = &mut self.tracer {
                    tracer.note_leftover_kill(process.pid);
                }
                let _ = kill(process.pid, Signal::SIGKILL);
                if process.pgrp == group.as_raw() {
                    group_seen = true;
                    if group_already_killed {
                        continue;
                    }
                }
                killed.insert(process.pid);
            }
            // The group kill is fork-safe: members forked since the walk die too. It is sent
            // only while a live member was just seen, because once the group is empty its id
            // (the reaped main process's pid) may belong to someone else.
            if group_seen {
                let _ = killpg(group, Signal::SIGKILL);
            }
            let childless = self.reap();
            if childless && !self.pipes_open() {
                break;
            }
            if Instant::now() >= give_up {
                let _ = writeln!(
                    io::stderr(),
                    "labgrade supervisor: gave up after {CLEANUP_LIMIT:?}: {}",
                    if childless {
                        "the program's output pipes are held open outside its process tree"
                    } else {
                        "some of the program's processes do not die"
                    }
                );
                break;
            }
            self.turn(CLEANUP_TICK);
        }
        u32::try_from(killed.len()).unwrap_or(u32::MAX)
    }
}

/// What a look at the next wait status found, leaving it to be collected.
enum Peek {
    Nothing,
    Childless,
    /// A tracee in a ptrace stop.
    Stopped(i32),
    /// A child or tracee that ended, still a zombie.
    Ended(i32),
}

/// Looks at the next wait status without collecting it (`waitid` with `WNOWAIT`).
fn peek() -> Peek {
    loop {
        // SAFETY: `siginfo_t` is a plain C structure for which all zero bytes are a valid value
        // (and the value `waitid` leaves when nothing is waitable with WNOHANG).
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let flags = WaitPidFlag::WEXITED
            | WaitPidFlag::WNOHANG
            | WaitPidFlag::WNOWAIT
            | WaitPidFlag::__WALL;
        // SAFETY: `waitid` only writes through the pointer, which points to a live local
        // `siginfo_t`. nix's wrapper is not used because it fails on real-time signals.
        let result = unsafe { libc::waitid(libc::P_ALL, 0, &raw mut info, flags.bits()) };
        if result == -1 {
            match Errno::last() {
                Errno::EINTR => continue,
                Errno::ECHILD => return Peek::Childless,
                _ => return Peek::Nothing,
            }
        }
        // SAFETY: `waitid` filled in a SIGCHLD `siginfo_t` (or left it zeroed), for which
        // `si_pid` is the field to read.
        let pid = unsafe { info.si_pid() };
        return match info.si_code {
            _ if pid == 0 => Peek::Nothing,
            libc::CLD_EXITED | libc::CLD_KILLED | libc::CLD_DUMPED => Peek::Ended(pid),
            _ => Peek::Stopped(pid),
        };
    }
}

/// One output stream of the program: the pipe while it is open, and what was kept of it.
struct Capture {
    pipe: Option<File>,
    kept: Vec<u8>,
    limit: usize,
    total: u64,
}

impl Capture {
    fn new(pipe: Option<OwnedFd>, limit: usize) -> Self {
        let pipe = pipe.and_then(|fd| {
            // Non-blocking, so that reading stops when the pipe is empty instead of waiting
            // for the program; a pipe that cannot be switched is not read at all rather than
            // risk blocking the supervisor past the deadline.
            let flags = OFlag::from_bits_retain(fcntl(&fd, FcntlArg::F_GETFL).ok()?);
            fcntl(&fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK)).ok()?;
            Some(File::from(fd))
        });
        Self {
            pipe,
            kept: Vec::new(),
            limit,
            total: 0,
        }
    }

    fn is_open(&self) -> bool {
        self.pipe.is_some()
    }

    /// Reads what the pipe holds now, a bounded amount per call; closes it at end of file.
    fn drain(&mut self, buffer: &mut [u8]) {
        for _ in 0..READS_PER_TURN {
            let Some(pipe) = &mut self.pipe else {
                return;
            };
            match pipe.read(buffer) {
                Ok(0) => {
                    self.pipe = None;
                    return;
                }
                Ok(read) => {
                    let chunk = &buffer[..read];
                    self.total += read as u64;
                    let room = self.limit.saturating_sub(self.kept.len());
                    self.kept.extend_from_slice(&chunk[..read.min(room)]);
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                // A pipe that cannot be read will never deliver end of file either.
                Err(_) => {
                    self.pipe = None;
                    return;
                }
            }
        }
    }

    fn finish(self) -> CapturedOutput {
        let truncated = self.total > self.kept.len() as u64;
        let mut kept = self.kept.as_slice();
        if truncated {
            // The cut may split a character; drop the partial character rather than show a
            // replacement character the program never wrote.
            if let Err(error) = std::str::from_utf8(kept)
                && error.error_len().is_none()
            {
                kept = &kept[..error.valid_up_to()];
            }
        }
        CapturedOutput {
            text: String::from_utf8_lossy(kept).into_owned(),
            total_bytes: self.total,
            truncated,
        }
    }
}

/// Decodes a raw wait status of a process that ended.
fn decode(status: i32) -> Termination {
    if libc::WIFSIGNALED(status) {
        let signal = libc::WTERMSIG(status);
        Termination::Signaled {
            signal,
            name: signal_name(signal),
            core_dumped: libc::WCOREDUMP(status),
            cpu_limit_s: None,
        }
    } else {
        // Without WUNTRACED or WCONTINUED, `waitpid` reports only exits and deaths by signal.
        Termination::Exited {
            code: libc::WEXITSTATUS(status),
        }
    }
}

/// The conventional name of a signal, such as `SIGSEGV` or `SIGRTMIN+3`.
fn signal_name(signal: i32) -> String {
    if let Ok(known) = Signal::try_from(signal) {
        return known.as_str().to_owned();
    }
    let (min, max) = (libc::SIGRTMIN(), libc::SIGRTMAX());
    if (min..=max).contains(&signal) {
        format!("SIGRTMIN+{}", signal - min)
    } else {
        format!("signal {signal}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_drops_a_split_character() {
        let capture = Capture {
            pipe: None,
            kept: "aé".as_bytes()[..2].to_vec(),
            limit: 2,
            total: 3,
        };
        let output = capture.finish();
        assert_eq!(output.text, "a");
        assert!(output.truncated);
    }

    #[test]
    fn real_time_signals_have_names() {
        assert_eq!(signal_name(libc::SIGSEGV), "SIGSEGV");
        assert_eq!(signal_name(libc::SIGRTMIN() + 2), "SIGRTMIN+2");
    }
}
