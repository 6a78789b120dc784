//! The census of a traced job: every thread and process the program creates, how each ended,
//! and whether its parent waited for it; and the seeded delays of a perturbation.
//!
//! The program asks to be traced in its `pre_exec` (`PTRACE_TRACEME`) and stops with SIGTRAP
//! after its `exec`. [`Tracer::attach`] then sets the options that make the kernel attach every
//! task it creates (`TRACECLONE`, `TRACEFORK`, `TRACEVFORK`), report every task's exit
//! (`TRACEEXIT`), report an `exec` as an event rather than a stray SIGTRAP (`TRACEEXEC`), and
//! kill every tracee if the supervisor dies (`EXITKILL`). No system-call stops are used, so code
//! that computes pays nothing; each task creation and end costs a few ptrace stops and `/proc`
//! reads. The one exception is a job that observes system calls ([`Trace::syscalls`]): a
//! seccomp filter then stops only the calls of interest (`PTRACE_O_TRACESECCOMP`), handed to
//! [`super::syscalls`].
//!
//! The supervisor's wait loop hands this module every stop ([`Tracer::on_stop`]) and every end
//! ([`Tracer::on_end`]) of a tracee:
//!
//! * `PTRACE_EVENT_CLONE`, `FORK` and `VFORK` name a new task. It is a **thread iff its thread
//!   group (`Tgid` in `/proc/<tid>/status`) is its creator's**: a raw `clone` without
//!   `CLONE_THREAD` reports a clone event but makes a process. Its `parent` is the creator's
//!   process.
//! * Every new task starts with a SIGSTOP, which is swallowed. It may arrive before its creator's
//!   event; the task is then kept stopped until the event names it.
//! * `PTRACE_EVENT_EXIT` stops a task on its way out, still whole: its end time and CPU time
//!   (`/proc/<pid>/task/<tid>/schedstat`) are taken there, and under [`Trace::stacks`] a
//!   thread's stack: the mapping of `/proc/<pid>/task/<tid>/maps` holding its stack pointer
//!   (`PTRACE_GETREGS`, x86-64 only), which is still its own stack on its way out; and at its
//!   first stop, its stack pointer before it ran anything, the top of its stack (glibc keeps
//!   the thread's thread-local storage above it, in the same mapping). When it is the
//!   last task of its process, the process's children are judged from `/proc` at that instant,
//!   while they are still its children: still running is [`Reaping::OutlivedParent`], a zombie is
//!   [`Reaping::NotReaped`], gone is [`Reaping::Reaped`]. That works because the tracer receives a
//!   traced process's exit status first, and only then is its real parent told and able to reap it
//!   (measured on Linux 6.18: a parent blocked in `waitpid` gets its child's code). A process
//!   never judged that way (its parent's exit was never reported) is judged at the end: reparented
//!   to the supervisor as a zombie means not reaped, alive when labgrade killed the program means
//!   it outlived its parent.
//! * The exit status the tracer collects for each process is its [`Termination`]; a process
//!   killed by the deadline kill is [`Termination::TimedOut`], and one labgrade killed because
//!   it was left running after the main process ended has none.
//! * Every other signal stop is the program's own signal and is re-injected, so that SIGCHLD,
//!   SIGSEGV, SIGUSR1 or a real-time signal behave as untraced.
//! * A **group-stop** (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU taking effect; told from a
//!   signal-delivery stop by `PTRACE_GETSIGINFO` failing with EINVAL) is kept stopped, so the
//!   process really stops and its parent's `waitpid(WUNTRACED)` sees it. A tracee stopped this
//!   way is not woken by SIGCONT (only `PTRACE_SEIZE` with `PTRACE_LISTEN` would allow that), so
//!   the tracer looks every few milliseconds for a pending SIGCONT or SIGKILL in `/proc` and
//!   resumes it then (a SIGCONT sent before the stop was reported is seen the same way). Limit:
//!   a stopped process resumes up to a few milliseconds late.
//!
//! **Perturbation.** With [`Trace::perturb`], each new task is kept stopped after its first stop
//! for a delay between 0 and [`Perturbation::max_delay_us`], drawn from `SplitMix64` seeded with
//! [`Perturbation::seed`], in the order the tracer learns of the tasks (which, for tasks created
//! at the same moment by different threads, may vary between runs), while everything else runs. The held tasks' resume instants are serviced by the supervisor's poll timeout, never by
//! sleeping. Delaying the start of a thread or child exposes a missing `join` or `wait` (main
//! printing results before the worker ran) far more often than plain repetition does; the same
//! seed gives the same delays ([`perturbation_delays`]), so a failing run can be replayed.
//!
//! **Starting together.** With [`Trace::gather_us`], each new task is held at its first stop,
//! and every creation of a task or first stop moves the start of all held tasks to that
//! instant plus the quiet period: they all start in the same [`Tracer::service`] once no task
//! has been created for that long, each recording how long it was held as its `delay_us`.
//! Threads created in a row then run at the same moment; a thread joined before the next is
//! created ends before that one exists, which `census.overlap` detects from the lifetimes. A
//! quiet period that ends while the creator of a held task is still runnable (it may be waiting
//! for a CPU on a busy machine, between two creations) is extended until the creator blocks,
//! creates again, or the held tasks have waited [`GATHER_CAP_US`].
//!
//! **Holding until waited.** With [`Trace::hold_until_waited`], each new task is held at its
//! first stop until every other task of the program waits: it is blocked in a system call that
//! is not a sleep, is held or stopped by the tracer, or has ended ([`super::waiting`], read
//! every millisecond while a task is held). Then one held task runs, the newest or the oldest
//! as the order says, and the next waits for the rest to wait again. A program that joins,
//! `waitpid`s or blocks at a barrier lets its workers run at once; one that sleeps, spins or
//! prints instead never has its worker run before it goes on, on every run, however long it
//! sleeps; workers run one at a time, in an order that defeats a program relying on which one
//! the scheduler starts first. Each task's `delay_us` is how long it was held.
//!
//! Known limits: a traced program cannot trace its own tasks (they are all traced already, so
//! `PTRACE_TRACEME` and `PTRACE_ATTACH` fail with EPERM); a `clone` with `CLONE_PARENT` is
//! recorded, and judged, as a child of its creator; after an `exec` by a thread other than the
//! leader, the former thread is recorded as ended; a task whose creation event is never reported
//! (its creator was killed in between) is recorded from what `/proc` showed when it was first
//! seen.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::libc;
use nix::sys::ptrace::{self, Event, Options};
use nix::sys::signal::Signal;
use nix::sys::wait::WaitPidFlag;
use nix::unistd::Pid;

use super::procfs::TaskTimes;
use super::status::decode;
use super::syscalls::Observer;
use super::{procfs, waiting};
use crate::run::job::{
    Census, HoldOrder, Perturbation, Reaping, StackRange, Task, TaskKind, Termination, Trace,
};

/// How often held group-stopped tasks are checked for a pending SIGCONT.
const GROUP_STOP_POLL: Duration = Duration::from_millis(5);

/// Under [`Trace::gather_us`], when the quiet period ends while the creator of a held task is
/// still running or waiting for a CPU, the held tasks wait this much longer, then it is looked
/// at again (see [`Tracer::creator_may_create`]).
const GATHER_RECHECK: Duration = Duration::from_millis(10);

/// Longest a held task waits for a creator that keeps running, counted from its creation.
const GATHER_CAP_US: u64 = 1_000_000;
/// How often, while tasks are held by `hold-until-waited`, the others are looked at.
const HOLD_POLL: Duration = Duration::from_millis(1);

/// The delays of a perturbation, in the order the tracer gives them to new tasks: an endless
/// iterator that is the same for the same seed and maximum.
#[derive(Debug, Clone)]
pub struct PerturbationDelays {
    state: u64,
    max_delay_us: u64,
}

impl Iterator for PerturbationDelays {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let raw = labgrade_support::splitmix64(&mut self.state);
        let micros = match self.max_delay_us.checked_add(1) {
            Some(range) => raw % range,
            None => raw,
        };
        Some(Duration::from_micros(micros))
    }
}

/// The delays `perturbation` injects: the first goes to the first task the program creates,
/// and so on.
#[must_use]
pub fn perturbation_delays(perturbation: &Perturbation) -> PerturbationDelays {
    PerturbationDelays {
        state: perturbation.seed,
        max_delay_us: perturbation.max_delay_us,
    }
}

/// Where a task is, as far as the tracer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Created, but its first stop (the SIGSTOP every new tracee starts with) has not come yet.
    Pending,
    Running,
    /// Kept stopped by the perturbation until this instant.
    Held(Instant),
    /// Kept stopped by `hold-until-waited` until every other task waits or has ended.
    HeldUntilWaited,
    /// In a group-stop, kept stopped until a SIGCONT is pending.
    GroupStopped,
    /// Past its exit stop or dead.
    Ended,
}

/// Why labgrade killed a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kill {
    /// It was alive when the deadline passed.
    Deadline,
    /// It was left running after the main process ended.
    Leftover,
}

/// One task and what the tracer knows about it besides its [`Task`].
#[derive(Debug)]
struct Record {
    task: Task,
    state: State,
    /// Raw wait status the tracer collected when it ended.
    status: Option<i32>,
    /// Order in which ends were seen, to tell which of two tasks ended first.
    end_seq: Option<u64>,
    /// It ended, was left a zombie, and came to the supervisor (the subreaper) a second time.
    reparented_zombie: bool,
    /// For a process: whether labgrade killed it while alive.
    killed: Option<Kill>,
}

/// A process of the program.
#[derive(Debug)]
struct Process {
    /// Index of its leader's record.
    leader: usize,
    /// Its tasks not yet ended.
    live: u32,
    /// Indices of the records of the processes it created.
    children: Vec<usize>,
    /// Whether its children's reaping was decided when it ended.
    judged: bool,
    /// When its last task ended, in the order of [`Record::end_seq`].
    end_seq: Option<u64>,
}

/// What was seen of a task before its creator's event named it.
#[derive(Debug, Default)]
struct Early {
    seen: Option<Instant>,
    /// Its first SIGSTOP arrived; it is kept stopped until the event.
    stopped: bool,
    exit_stop: Option<(Instant, TaskTimes)>,
    end: Option<(i32, Instant, TaskTimes)>,
    /// `Tgid` and `PPid` from `/proc`, read when it was first seen.
    ids: Option<(i32, i32)>,
}

/// The tracer of one job's program.
pub(super) struct Tracer {
    start: Instant,
    main: i32,
    records: Vec<Record>,
    by_tid: HashMap<i32, usize>,
    processes: HashMap<i32, Process>,
    early: HashMap<i32, Early>,
    alive: u32,
    peak: u32,
    seq: u64,
    delays: Option<PerturbationDelays>,
    held: BinaryHeap<Reverse<(Instant, i32)>>,
    group_stopped: Vec<i32>,
    /// How the task about to be reaped used the CPU, read from its zombie.
    reaped_cpu: Option<(i32, TaskTimes)>,
    /// The seccomp stops' observer, when the job observes system calls (see [`super::syscalls`]).
    syscalls: Option<Observer>,
    /// [`Trace::gather_us`]: how long no task must be created before the held ones start.
    gather: Option<Duration>,
    /// [`Trace::stacks`]: record each thread's stack mapping at its exit stop.
    stacks: bool,
    /// [`Trace::separate_cores`]: the CPUs the tasks started together are pinned to, in turn.
    cores: Option<super::cores::Spreader>,
    /// [`Trace::hold_until_waited`]: which held task runs first once the others wait.
    hold: Option<HoldOrder>,
    /// Indices of the records held by `hold-until-waited`.
    waiting_room: Vec<usize>,
}

impl Tracer {
    /// Takes over the program, which called `PTRACE_TRACEME` before its `exec` and so stops with
    /// SIGTRAP right after it; sets the tracing options and lets it run. Also returns the raw
    /// wait status of the main process if it ended before that stop.
    pub(super) fn attach(
        main: Pid,
        trace: &Trace,
        start: Instant,
    ) -> Result<(Self, Option<i32>), Errno> {
        let mut tracer = Self {
            start,
            main: main.as_raw(),
            records: Vec::new(),
            by_tid: HashMap::new(),
            processes: HashMap::new(),
            early: HashMap::new(),
            alive: 0,
            peak: 0,
            seq: 0,
            delays: trace.perturb.as_ref().map(perturbation_delays),
            held: BinaryHeap::new(),
            group_stopped: Vec::new(),
            reaped_cpu: None,
            syscalls: trace.syscalls.as_ref().map(Observer::new),
            gather: trace.gather_us.map(Duration::from_micros),
            stacks: trace.stacks,
            cores: (trace.separate_cores && trace.gather_us.is_some())
                .then(super::cores::Spreader::new),
            hold: trace.hold_until_waited,
            waiting_room: Vec::new(),
        };
        let index = tracer.register(main.as_raw(), TaskKind::Main, main.as_raw(), None, start);
        tracer.records[index].state = State::Running;
        loop {
            let status = wait_blocking(main.as_raw())?;
            if !libc::WIFSTOPPED(status) {
                tracer.on_end(main.as_raw(), status);
                return Ok((tracer, Some(status)));
            }
            let signal = libc::WSTOPSIG(status);
            if signal == libc::SIGTRAP {
                break;
            }
            // A signal that came between `PTRACE_TRACEME` and `exec` is the program's.
            resume(main.as_raw(), signal);
        }
        let mut options = Options::PTRACE_O_TRACECLONE
            | Options::PTRACE_O_TRACEFORK
            | Options::PTRACE_O_TRACEVFORK
            | Options::PTRACE_O_TRACEEXIT
            | Options::PTRACE_O_TRACEEXEC
            | Options::PTRACE_O_EXITKILL;
        if tracer.syscalls.is_some() {
            // Set before the program's first instruction: its seccomp filter's stops would
            // otherwise fail the calls with ENOSYS. A call whose result matters is resumed to
            // its syscall-exit stop, which TRACESYSGOOD tells from a SIGTRAP.
            options |= Options::PTRACE_O_TRACESECCOMP | Options::PTRACE_O_TRACESYSGOOD;
        }
        ptrace::setoptions(main, options)?;
        ptrace::cont(main, None)?;
        Ok((tracer, None))
    }

    /// Handles a ptrace stop of `tid` with raw wait status `status`, and resumes the task unless
    /// it must stay stopped.
    pub(super) fn on_stop(&mut self, tid: i32, status: i32) {
        let signal = libc::WSTOPSIG(status);
        let event = status >> 16;
        if signal == libc::SIGTRAP | 0x80 {
            // The syscall-exit stop of a call the observer wanted the result of.
            if let Some(observer) = &mut self.syscalls {
                observer.on_exit(tid);
            }
            resume(tid, 0);
            return;
        }
        if signal == libc::SIGTRAP && event != 0 {
            if self.on_event(tid, event) {
                // A failure means the task died meanwhile; its end is reported by `waitpid`.
                let _ = ptrace::syscall(Pid::from_raw(tid), None);
            } else {
                resume(tid, 0);
            }
            return;
        }
        let Some(&index) = self.by_tid.get(&tid) else {
            if signal == libc::SIGSTOP {
                // A new task whose creator's event is still to come: keep it until then.
                let now = Instant::now();
                let early = self.early_entry(tid);
                early.seen.get_or_insert(now);
                early.stopped = true;
            } else {
                resume(tid, signal);
            }
            return;
        };
        match self.records[index].state {
            State::Pending if signal == libc::SIGSTOP => self.first_stop(index),
            _ if is_group_stop(tid, signal) => {
                self.records[index].state = State::GroupStopped;
                self.group_stopped.push(tid);
            }
            _ => resume(tid, signal),
        }
    }

    /// Called just before the supervisor reaps `tid`, while its zombie is still in `/proc`.
    pub(super) fn before_reap(&mut self, tid: i32) {
        let process = if let Some(&index) = self.by_tid.get(&tid) {
            if self.records[index].state == State::Ended {
                // Its exit stop read its times already; the zombie adds nothing worth a read.
                self.reaped_cpu = None;
                return;
            }
            self.records[index].task.process
        } else {
            let ids = procfs::tgid_and_ppid(tid);
            let now = Instant::now();
            let early = self.early_entry(tid);
            early.seen.get_or_insert(now);
            early.ids = early.ids.or(ids);
            ids.map_or(tid, |(tgid, _)| tgid)
        };
        self.reaped_cpu = Some((tid, procfs::task_times(process, tid)));
    }

    /// Records that `tid` ended with raw wait status `status` (the supervisor reaped it).
    pub(super) fn on_end(&mut self, tid: i32, status: i32) {
        let now = Instant::now();
        let cpu = self
            .reaped_cpu
            .take()
            .filter(|(reaped, _)| *reaped == tid)
            .map_or_else(TaskTimes::default, |(_, cpu)| cpu);
        let Some(&index) = self.by_tid.get(&tid) else {
            self.early_entry(tid).end = Some((status, now, cpu));
            return;
        };
        let record = &mut self.records[index];
        if record.status.is_some() {
            // Its parent ended without reaping it, so the zombie came to the subreaper.
            record.reparented_zombie = true;
            return;
        }
        record.status = Some(status);
        self.end(index, now, cpu);
    }

    /// When the supervisor must next look at held tasks, if any are held.
    pub(super) fn next_wake(&self) -> Option<Instant> {
        let held = self.held.peek().map(|Reverse((at, _))| *at);
        let stopped = (!self.group_stopped.is_empty()).then(|| Instant::now() + GROUP_STOP_POLL);
        let waiting = (!self.waiting_room.is_empty()).then(|| Instant::now() + HOLD_POLL);
        [held, stopped, waiting].into_iter().flatten().min()
    }

    /// Resumes the held tasks whose delay has passed and the stopped ones a SIGCONT woke.
    pub(super) fn service(&mut self, now: Instant) {
        if self.gather.is_some() && self.creator_may_create(now) {
            self.regather(now + GATHER_RECHECK);
        }
        while let Some(&Reverse((at, tid))) = self.held.peek()
            && at <= now
        {
            self.held.pop();
            if let Some(&index) = self.by_tid.get(&tid)
                && self.records[index].state == State::Held(at)
            {
                if self.gather.is_some() {
                    // Its delay is how long it waited for the others.
                    let held_us = self
                        .micros(now)
                        .saturating_sub(self.records[index].task.started_us);
                    self.records[index].task.delay_us = held_us;
                    if let Some(cores) = &mut self.cores {
                        // A failure (the task ended meanwhile) leaves it where it was.
                        cores.pin(tid);
                    }
                }
                self.records[index].state = State::Running;
                resume(tid, 0);
            }
        }
        if !self.waiting_room.is_empty() {
            self.release_if_waited(now);
        }
        let stopped = std::mem::take(&mut self.group_stopped);
        for tid in stopped {
            let Some(&index) = self.by_tid.get(&tid) else {
                continue;
            };
            let record = &mut self.records[index];
            if record.state != State::GroupStopped {
                continue;
            }
            if procfs::continue_pending(record.task.process, tid) {
                record.state = State::Running;
                resume(tid, 0);
            } else {
                self.group_stopped.push(tid);
            }
        }
    }

    /// Notes that the deadline passed and the program is being killed: every process alive now
    /// was timed out.
    pub(super) fn note_deadline_kill(&mut self) {
        for process in self.processes.values() {
            let leader = &mut self.records[process.leader];
            if process.live > 0 && leader.killed.is_none() {
                leader.killed = Some(Kill::Deadline);
            }
        }
    }

    /// Notes that labgrade is killing `pid`, left running after the main process ended.
    pub(super) fn note_leftover_kill(&mut self, pid: Pid) {
        if let Some(process) = self.processes.get(&pid.as_raw()) {
            let leader = &mut self.records[process.leader];
            if process.live > 0 && leader.killed.is_none() {
                leader.killed = Some(Kill::Leftover);
            }
        }
    }

    /// The census, once everything is reaped. `main_termination` is how the main process ended,
    /// as reported in the observation.
    pub(super) fn finish(mut self, main_termination: &Termination, limit_ms: u64) -> Census {
        self.adopt_unnamed();
        self.judge_leftovers();
        let main = self.main;
        let mut tasks: Vec<Task> = self
            .records
            .into_iter()
            .map(|record| {
                let mut task = record.task;
                task.termination = match task.kind {
                    TaskKind::Thread => None,
                    TaskKind::Main => Some(main_termination.clone()),
                    TaskKind::Process => {
                        record
                            .status
                            .and_then(|status| match (decode(status), record.killed) {
                                (
                                    Termination::Signaled {
                                        signal: libc::SIGKILL,
                                        ..
                                    },
                                    Some(kill),
                                ) => (kill == Kill::Deadline).then_some(Termination::TimedOut {
                                    limit_ms,
                                    cpu_ms: None,
                                }),
                                (termination, _) => Some(termination),
                            })
                    }
                };
                task
            })
            .collect();
        tasks.sort_by_key(|task| (task.kind != TaskKind::Main, task.started_us));
        let count = |keep: &dyn Fn(&Task) -> bool| {
            u32::try_from(tasks.iter().filter(|task| keep(task)).count()).unwrap_or(u32::MAX)
        };
        let (syscalls, short_reads) = self
            .syscalls
            .take()
            .map(Observer::finish)
            .map_or((None, 0), |(counts, short)| (Some(counts), short));
        Census {
            syscalls,
            short_reads,
            threads: count(&|task| task.kind == TaskKind::Thread),
            processes: count(&|task| task.kind == TaskKind::Process),
            children: count(&|task| task.kind == TaskKind::Process && task.parent == Some(main)),
            peak_alive: self.peak,
            unreaped: count(&|task| task.reaping == Some(Reaping::NotReaped)),
            outlived_parent: count(&|task| task.reaping == Some(Reaping::OutlivedParent)),
            tasks,
        }
    }

    /// Handles an event stop; returns whether the task must be resumed to its syscall-exit stop
    /// (an observed call whose result matters).
    fn on_event(&mut self, tid: i32, event: i32) -> bool {
        let pid = Pid::from_raw(tid);
        if event == Event::PTRACE_EVENT_CLONE as i32
            || event == Event::PTRACE_EVENT_FORK as i32
            || event == Event::PTRACE_EVENT_VFORK as i32
        {
            let fork = event != Event::PTRACE_EVENT_CLONE as i32;
            if fork && let Some(observer) = &mut self.syscalls {
                // Before the parent goes on: what it holds now is what the child got.
                observer.on_fork(tid);
            }
            if let Ok(new) = ptrace::getevent(pid) {
                self.created(tid, new as i32, fork);
            }
        } else if event == Event::PTRACE_EVENT_EXIT as i32 {
            if let Some(observer) = &mut self.syscalls {
                observer.forget(tid);
            }
            self.exit_stop(tid);
        } else if event == Event::PTRACE_EVENT_SECCOMP as i32 {
            if let Some(observer) = &mut self.syscalls {
                return observer.on_stop(tid);
            }
        } else if event == Event::PTRACE_EVENT_EXEC as i32
            && let Ok(former) = ptrace::getevent(pid)
            && former as i32 != tid
            && let Some(&index) = self.by_tid.get(&(former as i32))
        {
            // A thread other than the leader called `exec`: it took over the leader's tid.
            self.end(index, Instant::now(), TaskTimes::default());
        }
        false
    }

    /// `creator` created `new`; `fork` if the event was a fork or vfork rather than a clone.
    fn created(&mut self, creator: i32, new: i32, fork: bool) {
        let now = Instant::now();
        let Some(&creator_index) = self.by_tid.get(&creator) else {
            return;
        };
        let parent = self.records[creator_index].task.process;
        let early = self.early.remove(&new).unwrap_or_default();
        let tgid = early
            .ids
            .or_else(|| procfs::tgid_and_ppid(new))
            .map(|(tgid, _)| tgid);
        let kind = match tgid {
            Some(tgid) if tgid == parent => TaskKind::Thread,
            Some(_) => TaskKind::Process,
            // Gone before it could be read, which only a kill does: go by the event.
            None if fork => TaskKind::Process,
            None => TaskKind::Thread,
        };
        let process = if kind == TaskKind::Thread {
            parent
        } else {
            new
        };
        let index = self.register(new, kind, process, Some(parent), early.seen.unwrap_or(now));
        if let Some(quiet) = self.gather {
            // A new task: the ones held so far wait for it (and any that follow quickly).
            self.regather(now + quiet);
        }
        if let Some(delays) = &mut self.delays {
            let delay = delays.next().unwrap_or_default();
            self.records[index].task.delay_us = u64::try_from(delay.as_micros()).unwrap_or(0);
        }
        if let Some((at, cpu)) = early.exit_stop {
            self.end(index, at, cpu);
        }
        if let Some((status, at, cpu)) = early.end {
            self.records[index].status = Some(status);
            self.end(index, at, cpu);
        } else if early.stopped {
            self.first_stop(index);
        }
    }

    /// Adds a task to the census; returns its index.
    fn register(
        &mut self,
        tid: i32,
        kind: TaskKind,
        process: i32,
        parent: Option<i32>,
        started: Instant,
    ) -> usize {
        let index = self.records.len();
        self.records.push(Record {
            task: Task {
                tid,
                kind,
                process,
                parent,
                started_us: self.micros(started),
                ended_us: None,
                cpu_us: 0,
                waiting_us: 0,
                voluntary_switches: 0,
                involuntary_switches: 0,
                termination: None,
                reaping: None,
                delay_us: 0,
                stack: None,
                stack_top: None,
            },
            state: State::Pending,
            status: None,
            end_seq: None,
            reparented_zombie: false,
            killed: None,
        });
        // A tid seen before belonged to a task that is gone for good.
        self.by_tid.insert(tid, index);
        if kind == TaskKind::Thread {
            if let Some(process) = self.processes.get_mut(&process) {
                process.live += 1;
            }
        } else {
            self.processes.insert(
                tid,
                Process {
                    leader: index,
                    live: 1,
                    children: Vec::new(),
                    judged: false,
                    end_seq: None,
                },
            );
            if let Some(parent) = parent.and_then(|parent| self.processes.get_mut(&parent)) {
                parent.children.push(index);
            }
        }
        self.alive += 1;
        self.peak = self.peak.max(self.alive);
        index
    }

    /// The first stop of a new task: it runs now, or after its delay.
    fn first_stop(&mut self, index: usize) {
        let record = &mut self.records[index];
        let tid = record.task.tid;
        if self.stacks && record.task.kind == TaskKind::Thread && record.state == State::Pending {
            // Stopped before its first instruction: the top of the stack it was given.
            record.task.stack_top = stack_pointer(tid);
        }
        if record.state != State::Pending {
            // Already on its way out: a kill woke it from its first stop.
        } else if let Some(quiet) = self.gather {
            record.state = State::Held(Instant::now());
            self.regather(Instant::now() + quiet);
        } else if self.hold.is_some() {
            record.state = State::HeldUntilWaited;
            self.waiting_room.push(index);
        } else if record.task.delay_us == 0 {
            record.state = State::Running;
            resume(tid, 0);
        } else {
            let at = Instant::now() + Duration::from_micros(record.task.delay_us);
            record.state = State::Held(at);
            self.held.push(Reverse((at, tid)));
        }
    }

    /// Under [`Trace::gather_us`], at the end of a quiet period: whether the creator of a held task
    /// is running or waiting for a CPU, so that it may be about to create the next task. On a
    /// busy machine a program's main thread can wait for a CPU longer than the quiet period
    /// between two `spawn`s; its threads would then start in two bursts, and the first burst
    /// might end before the second exists, as if they had been joined one by one. A creator
    /// blocked (in `join`, `wait`, a lock) or stopped creates nothing before something it waits
    /// for happens, so the held tasks start; a creator that keeps running without creating
    /// anything (computing, spinning) holds them at most [`GATHER_CAP_US`] after their creation.
    fn creator_may_create(&self, now: Instant) -> bool {
        let held = || {
            self.records
                .iter()
                .filter(|record| matches!(record.state, State::Held(_)))
        };
        // Only when the held tasks are due (the heap also holds stale, earlier instants).
        if !held().any(|record| matches!(record.state, State::Held(at) if at <= now)) {
            return false;
        }
        let Some(oldest) = held().map(|record| record.task.started_us).min() else {
            return false;
        };
        if self.micros(now).saturating_sub(oldest) >= GATHER_CAP_US {
            return false;
        }
        held()
            .filter_map(|record| record.task.parent)
            .filter_map(|creator| self.by_tid.get(&creator).map(|&index| &self.records[index]))
            .any(|creator| {
                creator.state == State::Running
                    && procfs::task_runnable(creator.task.process, creator.task.tid)
            })
    }

    /// Under [`Trace::hold_until_waited`], lets one held task run if every other task of the
    /// program waits in a system call that is not a sleep, is stopped by the tracer, or has
    /// ended. A task created but not yet at its first stop is about to be held: nothing runs
    /// until it is.
    fn release_if_waited(&mut self, now: Instant) {
        let records = &self.records;
        self.waiting_room
            .retain(|&index| records[index].state == State::HeldUntilWaited);
        let all_wait = self.records.iter().all(|record| match record.state {
            State::Pending => false,
            State::Running => waiting::waits(record.task.process, record.task.tid),
            State::Held(_) | State::HeldUntilWaited | State::GroupStopped | State::Ended => true,
        });
        let chosen = match self.hold {
            Some(HoldOrder::NewestFirst) => self.waiting_room.iter().copied().max(),
            Some(HoldOrder::OldestFirst) => self.waiting_room.iter().copied().min(),
            None => None,
        };
        let Some(index) = chosen.filter(|_| all_wait) else {
            return;
        };
        self.waiting_room.retain(|&held| held != index);
        let held_us = self
            .micros(now)
            .saturating_sub(self.records[index].task.started_us);
        let record = &mut self.records[index];
        record.task.delay_us = held_us;
        record.state = State::Running;
        resume(record.task.tid, 0);
    }

    /// Under [`Trace::gather_us`], moves the start of every held task to `at`, so that they all
    /// start in the same [`Tracer::service`]; their earlier heap entries no longer match their
    /// state and are dropped when they come up.
    fn regather(&mut self, at: Instant) {
        for record in &mut self.records {
            if let State::Held(_) = record.state {
                record.state = State::Held(at);
                self.held.push(Reverse((at, record.task.tid)));
            }
        }
    }

    /// `tid` stopped on its way out.
    fn exit_stop(&mut self, tid: i32) {
        let now = Instant::now();
        let Some(&index) = self.by_tid.get(&tid) else {
            let ids = procfs::tgid_and_ppid(tid);
            let cpu = procfs::task_times(ids.map_or(tid, |ids| ids.0), tid);
            let early = self.early_entry(tid);
            early.exit_stop = Some((now, cpu));
            // Kept: once the task is gone, its ids can no longer be read.
            early.ids = early.ids.or(ids);
            return;
        };
        let process = self.records[index].task.process;
        let cpu = procfs::task_times(process, tid);
        if self.stacks && self.records[index].task.kind == TaskKind::Thread {
            // Stopped on its way out, the thread still runs on its own stack.
            self.records[index].task.stack = stack_pointer(tid)
                .and_then(|sp| procfs::mapping_containing(process, tid, sp))
                .map(|(start, end)| StackRange { start, end });
        }
        if self.end(index, now, cpu)
            && let Some(entry) = self.processes.get(&process)
            && !entry.judged
        {
            // The last task of its process, stopped before its children are handed over.
            self.judge_children(process);
        }
    }

    /// Records that a task ended at `at` having used the CPU as `cpu` says. Returns whether it was
    /// the last live task of its process.
    fn end(&mut self, index: usize, at: Instant, cpu: TaskTimes) -> bool {
        let ended_us = self.micros(at);
        let record = &mut self.records[index];
        // A task seen before its creator's event named it is read twice (exit stop, then
        // zombie), and an ended one reaches here again with nothing read: every counter only
        // grows, so the largest reading of each is the latest.
        let task = &mut record.task;
        task.cpu_us = task.cpu_us.max(cpu.cpu_us);
        task.waiting_us = task.waiting_us.max(cpu.waiting_us);
        task.voluntary_switches = task.voluntary_switches.max(cpu.voluntary_switches);
        task.involuntary_switches = task.involuntary_switches.max(cpu.involuntary_switches);
        if record.state == State::Ended {
            return false;
        }
        record.state = State::Ended;
        record.task.ended_us = Some(ended_us);
        self.seq += 1;
        record.end_seq = Some(self.seq);
        self.alive = self.alive.saturating_sub(1);
        let process = record.task.process;
        let Some(entry) = self.processes.get_mut(&process) else {
            return false;
        };
        entry.live = entry.live.saturating_sub(1);
        if entry.live > 0 {
            return false;
        }
        entry.end_seq = Some(self.seq);
        true
    }

    /// Decides whether `process`, whose last task is stopped on its way out, reaped each of its
    /// children, from what `/proc` shows of them now.
    fn judge_children(&mut self, process: i32) {
        let Some(entry) = self.processes.get_mut(&process) else {
            return;
        };
        entry.judged = true;
        for child in entry.children.clone() {
            let record = &self.records[child];
            if record.task.reaping.is_some() {
                continue;
            }
            let dead = record.status.is_some();
            let ended = record.state == State::Ended;
            let verdict = if record.killed.is_some() {
                // Killed by labgrade together with its parent.
                Reaping::OutlivedParent
            } else {
                match procfs::stat(record.task.tid) {
                    // Still there (a dead one's pid could have been reused by another process).
                    Some(entry) if entry.ppid == process || !dead => {
                        if ended || !entry.alive {
                            Reaping::NotReaped
                        } else {
                            Reaping::OutlivedParent
                        }
                    }
                    _ if dead => Reaping::Reaped,
                    _ if ended => Reaping::NotReaped,
                    _ => Reaping::OutlivedParent,
                }
            };
            self.records[child].task.reaping = Some(verdict);
        }
    }

    /// Decides the reaping of the processes whose parent's end was not seen stopped.
    fn judge_leftovers(&mut self) {
        for index in 0..self.records.len() {
            let record = &self.records[index];
            if record.task.kind != TaskKind::Process || record.task.reaping.is_some() {
                continue;
            }
            let parent_end = record
                .task
                .parent
                .and_then(|parent| self.processes.get(&parent))
                .and_then(|parent| parent.end_seq);
            let verdict = if record.reparented_zombie {
                Reaping::NotReaped
            } else if record.killed.is_some() {
                Reaping::OutlivedParent
            } else {
                match (record.end_seq, parent_end) {
                    (Some(ended), Some(parent_ended)) if ended < parent_ended => Reaping::Reaped,
                    // Its parent never ended by itself, and no zombie was left.
                    (Some(_), None) => Reaping::Reaped,
                    _ => Reaping::OutlivedParent,
                }
            };
            self.records[index].task.reaping = Some(verdict);
        }
    }

    /// Adds the tasks whose creation was never reported, from what was seen of them.
    fn adopt_unnamed(&mut self) {
        let mut unnamed: Vec<(i32, Early)> = self.early.drain().collect();
        unnamed.sort_by_key(|(tid, _)| *tid);
        for (tid, early) in unnamed {
            let (kind, process, parent) = match early.ids {
                Some((tgid, _)) if tgid != tid => (TaskKind::Thread, tgid, Some(tgid)),
                Some((_, ppid)) => (TaskKind::Process, tid, Some(ppid)),
                None => (TaskKind::Process, tid, None),
            };
            let seen = early.seen.unwrap_or(self.start);
            let index = self.register(tid, kind, process, parent, seen);
            if let Some((at, cpu)) = early.exit_stop {
                self.end(index, at, cpu);
            }
            if let Some((status, at, cpu)) = early.end {
                self.records[index].status = Some(status);
                self.end(index, at, cpu);
            }
        }
    }

    fn early_entry(&mut self, tid: i32) -> &mut Early {
        self.early.entry(tid).or_default()
    }

    fn micros(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.start).as_micros()).unwrap_or(u64::MAX)
    }
}

/// Whether the stop of `tid` by `signal` is a group-stop rather than the delivery of `signal`.
fn is_group_stop(tid: i32, signal: i32) -> bool {
    matches!(
        signal,
        libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU
    ) && ptrace::getsiginfo(Pid::from_raw(tid)) == Err(Errno::EINVAL)
}

/// The stack pointer of stopped tracee `tid`, where labgrade knows how to read it.
#[cfg(target_arch = "x86_64")]
fn stack_pointer(tid: i32) -> Option<u64> {
    ptrace::getregs(Pid::from_raw(tid))
        .ok()
        .map(|regs| regs.rsp)
}

/// The stack pointer of stopped tracee `tid`, where labgrade knows how to read it.
#[cfg(not(target_arch = "x86_64"))]
fn stack_pointer(_tid: i32) -> Option<u64> {
    None
}

/// Resumes a stopped tracee, delivering `signal` unless it is 0.
fn resume(tid: i32, signal: i32) {
    let pid = Pid::from_raw(tid);
    // A failure means the task died meanwhile (ESRCH); its end is reported by `waitpid`.
    let _ = if signal == 0 {
        ptrace::cont(pid, None)
    } else if let Ok(signal) = Signal::try_from(signal) {
        ptrace::cont(pid, signal)
    } else {
        // nix cannot name real-time signals, which must be delivered all the same.
        // SAFETY: PTRACE_CONT reads and writes no memory: the address is ignored and the data
        // argument only carries the signal number.
        Errno::result(unsafe {
            libc::ptrace(
                libc::PTRACE_CONT,
                tid,
                std::ptr::null_mut::<libc::c_void>(),
                std::ptr::without_provenance_mut::<libc::c_void>(signal as usize),
            )
        })
        .map(drop)
    };
}

/// Waits, blocking, for the next status of `tid`.
fn wait_blocking(tid: i32) -> Result<i32, Errno> {
    loop {
        let mut status = 0;
        // SAFETY: `waitpid` only writes the status through the pointer, which points to a live
        // local `i32`. nix's wrapper is not used because it rejects real-time signal statuses.
        let waited = unsafe { libc::waitpid(tid, &raw mut status, WaitPidFlag::__WALL.bits()) };
        match waited {
            -1 if Errno::last() == Errno::EINTR => {}
            -1 => return Err(Errno::last()),
            _ => return Ok(status),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_seeded_and_bounded() {
        let perturbation = Perturbation {
            seed: 7,
            max_delay_us: 1_000,
        };
        let first: Vec<Duration> = perturbation_delays(&perturbation).take(50).collect();
        let again: Vec<Duration> = perturbation_delays(&perturbation).take(50).collect();
        assert_eq!(first, again);
        assert!(first.iter().all(|delay| *delay <= Duration::from_millis(1)));
        let other: Vec<Duration> = perturbation_delays(&Perturbation {
            seed: 8,
            max_delay_us: 1_000,
        })
        .take(50)
        .collect();
        assert_ne!(first, other);
        let none = Perturbation {
            seed: 7,
            max_delay_us: 0,
        };
        assert!(
            perturbation_delays(&none)
                .take(10)
                .all(|delay| delay.is_zero())
        );
    }
}
