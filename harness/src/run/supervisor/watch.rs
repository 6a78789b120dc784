//! Following the program from its start to its [`Observation`]: the deadline, the grace for
//! its pipes, the leftover hunt, and how its end is reported.

use std::collections::BTreeSet;
use std::process::Child;
use std::time::{Duration, Instant};

use nix::libc;
use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::signal::{Signal, killpg};
use nix::sys::signalfd::SignalFd;
use nix::sys::time::TimeValLike;
use nix::unistd::Pid;

use super::poll::Watch;
use super::protocol::{SuperviseError, tell_front_end};
use super::status::decode;
use super::stuck::HangWatch;
use super::tracer::Tracer;
use super::{cgroup, hang, load, outside, senders};
use crate::run::job::{Hung, Job, Observation, Termination};

/// Longest sleep between two looks at the deadline and the children. SIGCHLD and pipe activity
/// wake the loop earlier; the tick only bounds how late a deadline or an unsignalled change is
/// noticed.
const TICK: Duration = Duration::from_millis(20);
/// How long after the main process ended its pipes may stay open before whatever holds them is
/// treated as left behind and killed.
const PIPE_GRACE: Duration = Duration::from_millis(100);

/// Follows the running program, started at `start`, to its end and cleans up after it.
/// `containment` is what was applied to it, in words; `cgroup`, the job cgroups it runs in.
pub(super) fn watch(
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
    let mut timed_out = None;
    let mut group_killed = false;
    let mut waiting = None;
    let mut hang_watch = HangWatch::new(job, start);
    let (status, ended) = loop {
        if let Some(ended) = watch.main_ended {
            break ended;
        }
        let now = Instant::now();
        let mut expired =
            (!group_killed && deadline.passed(now, children_cpu_us)).then_some(TimedOut::AtLimit);
        if !group_killed && expired.is_none() && watch.interrupted.is_none() {
            expired = hung_now(hang_watch.as_mut(), &watch, now, start).map(TimedOut::Hung);
        }
        if !group_killed && (expired.is_some() || watch.interrupted.is_some()) {
            if expired.is_some() {
                // Read before the kill: where each thread waits is what a student needs to
                // find a hang, and it is gone a moment later.
                waiting = hang::waiting(watch.tracer.as_mut());
                if let Some(tracer) = &mut watch.tracer {
                    tracer.note_deadline_kill();
                }
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
    let (leftover_processes, gave_up) = watch.kill_leftovers(main, group_killed, counted);
    if let Some(gave_up) = gave_up {
        tell_front_end(&gave_up);
    }
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
        waiting,
    };
    observation.interference = if timed_out.is_some() {
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

/// Why labgrade killed the program before it ended.
#[derive(Debug, Clone, Copy)]
enum TimedOut {
    /// Its time limit passed.
    AtLimit,
    /// It had hung (`stuck.rs`).
    Hung(Hung),
}

/// Whether the program has hung at `now`, for a job whose `hang_watch` looks for it (`stuck.rs`).
fn hung_now(
    hang_watch: Option<&mut HangWatch>,
    watch: &Watch,
    now: Instant,
    start: Instant,
) -> Option<Hung> {
    // The tracer may still resume a task it holds or looks at: the program is not stuck while
    // labgrade can wake it.
    let pending = watch.tracer.as_ref().and_then(Tracer::next_wake).is_some();
    let quiet = hang_watch?.hung(now, watch.main, pending)?;
    Some(Hung {
        after_ms: load::millis(now.duration_since(start)),
        quiet_ms: load::millis(quiet),
    })
}

/// How the main process ended, as reported: a SIGKILL after the deadline (`timed_out`) is the
/// deadline's [`Termination::TimedOut`], with `cpu_us`, the program's CPU time, and whether it
/// was ended early as hung; a SIGXCPU under [`Job::limits`] names the limit that was passed.
fn reported_termination(
    job: &Job,
    status: i32,
    timed_out: Option<TimedOut>,
    cpu_us: u64,
) -> Termination {
    match decode(status) {
        Termination::Signaled { signal, .. } if signal == libc::SIGKILL && timed_out.is_some() => {
            Termination::TimedOut {
                limit_ms: job.timeout_ms,
                cpu_ms: Some(cpu_us / 1000),
                hung: match timed_out {
                    Some(TimedOut::Hung(hung)) => Some(hung),
                    _ => None,
                },
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
