//! The supervisor side of the `__supervise` protocol: runs one [`Job`] in this process and
//! reports what happened as a [`Reply`].
//!
//! The supervisor is a single-threaded process that exists for exactly one job. It is
//! responsible for:
//!
//! * starting the program in its own process group, with a controlled environment, no core
//!   dumps, and `PR_SET_PDEATHSIG` so that the program dies with its supervisor;
//! * enforcing the wall-clock limit against a monotonic deadline, by killing the process group;
//! * capturing stdout and stderr up to [`Job::output_limit`] bytes each, while draining and
//!   discarding the rest so that the program never blocks on a full pipe;
//! * decoding how the main process ended;
//! * on SIGINT, SIGTERM or SIGHUP (an interrupted grading run), killing the whole program before
//!   exiting instead of leaving it running;
//! * finding every process the program left behind (the supervisor is their subreaper, so even
//!   processes that left the group with `setsid` become its children), killing them, counting
//!   them, and reaping everything until it has no children left.
//!
//! It must stay single-threaded: `waitpid(-1)` would steal other threads' children, and
//! `PR_SET_PDEATHSIG` fires when the spawning *thread* ends.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::libc;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::prctl;
use nix::sys::resource::{Resource, setrlimit};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, killpg, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::WaitPidFlag;
use nix::unistd::{Pid, getpid, getppid};

use super::job::{BaseEnv, CapturedOutput, Job, Observation, Reply, Termination};

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
/// Bytes read from a pipe per `read` call.
const READ_CHUNK: usize = 64 * 1024;
/// Reads per pipe per loop turn. A program that writes as fast as it can would otherwise keep
/// the supervisor reading and never looking at the deadline.
const READS_PER_TURN: usize = 16;
/// `PATH` of [`BaseEnv::Clean`].
const CLEAN_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Reads one [`Job`] from `input`, runs it, writes one [`Reply`] to `output`.
///
/// Returns failure, after explaining why on stderr, only when the supervisor itself could not do
/// its work (unreadable job, no subreaper, reply not writable); a program that cannot be started
/// or that misbehaves is reported in the reply.
pub fn supervise(input: &mut dyn Read, output: &mut dyn Write) -> ExitCode {
    match supervise_job(input, output) {
        Ok(()) => ExitCode::SUCCESS,
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
}

fn supervise_job(input: &mut dyn Read, output: &mut dyn Write) -> Result<(), SuperviseError> {
    let mut text = String::new();
    input
        .read_to_string(&mut text)
        .map_err(SuperviseError::ReadJob)?;
    let job: Job = serde_json::from_str(&text).map_err(SuperviseError::ParseJob)?;

    // Orphans of the program become our children instead of PID 1's, which reaps them only
    // seconds later; that is how escaped processes are found and killed.
    prctl::set_child_subreaper(true).map_err(|source| SuperviseError::Setup {
        what: "become a child subreaper",
        source,
    })?;
    // These signals are blocked and read from a signalfd: SIGCHLD so that `poll` wakes up the
    // moment a child ends, the others so that an interrupted run kills the program before the
    // supervisor goes. The mask is set rather than added to, so that blocks inherited from
    // whoever started the supervisor do not linger.
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
    let signals = SignalFd::with_flags(&signals, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .map_err(|source| SuperviseError::Setup {
            what: "create a signalfd",
            source,
        })?;

    let reply = match spawn(&job) {
        Ok(child) => Reply::Observed(watch(&job, child, signals)?),
        Err(message) => Reply::SpawnFailed { message },
    };

    serde_json::to_writer(&mut *output, &reply)
        .map_err(io::Error::from)
        .and_then(|()| writeln!(output))
        .and_then(|()| output.flush())
        .map_err(SuperviseError::WriteReply)
}

/// Starts the program of `job`; on failure returns the reason, naming what could not be used.
fn spawn(job: &Job) -> Result<Child, String> {
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
    if job.base_env == BaseEnv::Clean {
        let home = std::path::absolute(&job.cwd).unwrap_or_else(|_| job.cwd.clone());
        command
            .env_clear()
            .env("PATH", CLEAN_PATH)
            .env("HOME", home);
    }
    command.envs(&job.env);
    let supervisor = getpid();
    // SAFETY: the closure runs in the forked child before `exec`, where only async-signal-safe
    // work is allowed. It only makes the `sigprocmask`, `setrlimit`, `prctl` and `getppid`
    // system calls through nix's thin wrappers, with a signal set on the stack, and builds
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
            prctl::set_pdeathsig(Signal::SIGKILL)?;
            // If the supervisor died between `fork` and `prctl`, the death signal will never
            // come; do not run the program unsupervised.
            if getppid() != supervisor {
                return Err(Errno::ESRCH.into());
            }
            Ok(())
        });
    }
    command.spawn().map_err(|error| {
        if std::fs::metadata(&job.cwd).is_ok_and(|meta| meta.is_dir()) {
            error.to_string()
        } else {
            format!("working directory `{}`: {error}", job.cwd.display())
        }
    })
}

/// Follows the running program to its end and cleans up after it.
fn watch(job: &Job, mut child: Child, signals: SignalFd) -> Result<Observation, SuperviseError> {
    let start = Instant::now();
    let main = Pid::from_raw(child.id().cast_signed());
    let limit = usize::try_from(job.output_limit).unwrap_or(usize::MAX);
    let stdout = child.stdout.take().map(OwnedFd::from);
    let stderr = child.stderr.take().map(OwnedFd::from);
    // `Child` is never waited for: the loop reaps with `waitpid(-1)`, and dropping a `Child`
    // neither kills nor waits.
    drop(child);
    let mut watch = Watch {
        main,
        main_ended: None,
        signals,
        interrupted: None,
        stdout: Capture::new(stdout, limit),
        stderr: Capture::new(stderr, limit),
        buffer: vec![0; READ_CHUNK],
    };

    let deadline = start.checked_add(Duration::from_millis(job.timeout_ms));
    let mut timed_out = false;
    let mut group_killed = false;
    let (status, ended) = loop {
        if let Some(ended) = watch.main_ended {
            break ended;
        }
        let now = Instant::now();
        let expired = deadline.is_some_and(|deadline| now >= deadline);
        if !group_killed && (expired || watch.interrupted.is_some()) {
            // The main process is not reaped yet, so the group id cannot have been reused.
            let _ = killpg(main, Signal::SIGKILL);
            group_killed = true;
            timed_out = expired;
        }
        let wait = match deadline {
            Some(deadline) if !group_killed => (deadline - now).min(TICK),
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
    let leftover_processes = watch.kill_leftovers(main, group_killed);
    if let Some(signal) = watch.interrupted {
        return Err(SuperviseError::Interrupted(signal));
    }

    let termination = match decode(status) {
        Termination::Signaled { signal, .. } if timed_out && signal == libc::SIGKILL => {
            Termination::TimedOut {
                limit_ms: job.timeout_ms,
            }
        }
        // The main process ended by itself just as the deadline passed: report what it did.
        other => other,
    };
    Ok(Observation {
        termination,
        wall_ms: u64::try_from(ended.duration_since(start).as_millis()).unwrap_or(u64::MAX),
        stdout: watch.stdout.finish(),
        stderr: watch.stderr.finish(),
        leftover_processes,
        cpu_us: 0,
        census: None,
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
}

impl Watch {
    fn pipes_open(&self) -> bool {
        self.stdout.is_open() || self.stderr.is_open()
    }

    /// Waits up to `wait` for output or a child's end, then reads what the pipes hold and reaps
    /// what has ended. Returns whether the supervisor has no children left.
    fn turn(&mut self, wait: Duration) -> bool {
        // Interest in each source; the order matches the `PollFd`s below.
        let mut fds = Vec::with_capacity(3);
        fds.push(PollFd::new(self.signals.as_fd(), PollFlags::POLLIN));
        if let Some(pipe) = &self.stdout.pipe {
            fds.push(PollFd::new(pipe.as_fd(), PollFlags::POLLIN));
        }
        if let Some(pipe) = &self.stderr.pipe {
            fds.push(PollFd::new(pipe.as_fd(), PollFlags::POLLIN));
        }
        let timeout = PollTimeout::try_from(wait).unwrap_or(PollTimeout::MAX);
        // EINTR or any other failure only means the turn ends early; every source is read
        // without blocking below regardless of what `poll` said.
        let _ = poll(&mut fds, timeout);
        drop(fds);

        while let Ok(Some(info)) = self.signals.read_signal() {
            let signal = Signal::try_from(info.ssi_signo.cast_signed());
            if let Ok(signal @ (Signal::SIGINT | Signal::SIGTERM | Signal::SIGHUP)) = signal {
                self.interrupted.get_or_insert(signal);
            }
        }
        self.stdout.drain(&mut self.buffer);
        self.stderr.drain(&mut self.buffer);
        self.reap()
    }

    /// Reaps every child that has ended, recording the main process's status. Returns whether
    /// the supervisor has no children left.
    fn reap(&mut self) -> bool {
        loop {
            let mut status = 0;
            // nix's `waitpid` is not used because it fails with EINVAL, after the child has
            // been reaped, when the status holds a signal nix has no name for (real-time
            // signals); the main process's status would be lost.
            // SAFETY: `waitpid` only writes the status through the pointer, which points to a
            // live local `i32`.
            let pid = unsafe {
                libc::waitpid(
                    -1,
                    &raw mut status,
                    (WaitPidFlag::WNOHANG | WaitPidFlag::__WALL).bits(),
                )
            };
            match pid {
                0 => return false,
                -1 if Errno::last() == Errno::EINTR => {}
                -1 => return true,
                pid if pid == self.main.as_raw() => {
                    self.main_ended = Some((status, Instant::now()));
                }
                // A descendant reparented to us: reaping is all it needs.
                _ => {}
            }
        }
    }

    /// Kills every process still alive in the program's tree, reaps until the supervisor has no
    /// children and the pipes reach end of file, and returns how many distinct processes it had
    /// to kill. Members of the program's group are not counted when `group_already_killed`.
    fn kill_leftovers(&mut self, group: Pid, group_already_killed: bool) -> u32 {
        let me = getpid();
        let give_up = Instant::now() + CLEANUP_LIMIT;
        let mut killed = BTreeSet::new();
        loop {
            // Look before killing, so that processes are counted while still alive and not
            // confused with zombies.
            let live = live_descendants(me);
            let mut group_seen = false;
            for process in &live {
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

/// A process found in `/proc`.
pub(super) struct ProcessEntry {
    pub(super) pid: Pid,
    ppid: i32,
    pgrp: i32,
    alive: bool,
}

/// Every live process below `root`, found through the parent links in `/proc`.
pub(super) fn live_descendants(root: Pid) -> Vec<ProcessEntry> {
    let mut children: HashMap<i32, Vec<ProcessEntry>> = HashMap::new();
    for process in scan_proc() {
        children.entry(process.ppid).or_default().push(process);
    }
    let mut live = Vec::new();
    let mut pending = vec![root.as_raw()];
    while let Some(parent) = pending.pop() {
        for process in children.remove(&parent).unwrap_or_default() {
            pending.push(process.pid.as_raw());
            if process.alive {
                live.push(process);
            }
        }
    }
    live
}

/// Every process (not thread) in `/proc`; processes that vanish while being read are skipped.
fn scan_proc() -> Vec<ProcessEntry> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|entry| {
        let entry = entry.ok()?;
        let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
        let stat =
            std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")).ok()?;
        parse_stat(pid, &stat)
    })
    .collect()
}

/// Parses `/proc/<pid>/stat`.
fn parse_stat(pid: i32, stat: &str) -> Option<ProcessEntry> {
    // Field 2, the command name, is in parentheses and may itself contain `)` and spaces, so
    // fields are counted from the last `)`.
    let mut fields = stat[stat.rfind(')')? + 1..].split_ascii_whitespace();
    let state = fields.next()?;
    let parent = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    // Field 20; the three read so far are fields 3 to 5.
    let thread_count: u64 = fields.nth(14)?.parse().ok()?;
    // A zombie leader whose other threads still run is a live process.
    let alive = !matches!(state, "Z" | "X" | "x") || thread_count > 1;
    Some(ProcessEntry {
        pid: Pid::from_raw(pid),
        ppid: parent,
        pgrp,
        alive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_from_the_last_parenthesis() {
        let stat = "42 (a) b (c) S 7 9 9 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 3 0 1 2 3";
        let entry = parse_stat(42, stat).expect("parses");
        assert_eq!((entry.ppid, entry.pgrp, entry.alive), (7, 9, true));
    }

    #[test]
    fn zombie_with_running_threads_is_alive() {
        let zombie = "5 (x) Z 1 5 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 2 3";
        let leader = "5 (x) Z 1 5 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 4 0 1 2 3";
        assert!(!parse_stat(5, zombie).expect("parses").alive);
        assert!(parse_stat(5, leader).expect("parses").alive);
    }

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
