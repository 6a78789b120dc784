//! Whether something outside the program killed it: the rule that keeps a kill by the machine
//! (an operator, a CI runner, the OOM killer, another grader) from being graded as the
//! student's crash.
//!
//! labgrade knows every signal it sends and why (the deadline, leftovers, its limits), and
//! with [`super::senders`] every signal the program sent. A process that died of a signal is
//! the program's own doing when the kernel raises that signal for the program's own actions (a
//! fault, a broken pipe, a timer, a resource limit), or when the program sent that signal
//! itself; a SIGKILL is labgrade's when the program's memory cgroup killed it or it passed its
//! hard CPU limit. Anything else came from outside.

use nix::libc;

use super::super::job::{Interference, Observation, TaskKind, Termination};
use super::senders::Sent;

/// What the supervisor knows of a run's end, for [`interference`].
pub(super) struct Facts<'a> {
    /// The signals the program sent; `None` when they could not be observed, and then nothing
    /// is blamed on the outside.
    pub(super) sent: Option<&'a Sent>,
    pub(super) main_pid: i32,
    /// What the supervisor saw of the run (but its interference).
    pub(super) observation: &'a Observation,
    /// The hard CPU limit, in microseconds.
    pub(super) cpu_limit_us: Option<u64>,
    /// OOM kills on the whole machine during the run (`/proc/vmstat`), if known.
    pub(super) machine_oom_kills: Option<u64>,
}

/// The first process of the program (the main one first) that something outside killed.
pub(super) fn interference(facts: &Facts<'_>) -> Option<Interference> {
    let sent = facts.sent?;
    let observation = facts.observation;
    let job_oom_kills = observation
        .resources
        .as_ref()
        .and_then(|usage| usage.oom_kills)
        .unwrap_or(0);
    let main = std::iter::once((facts.main_pid, &observation.termination));
    let others = observation
        .census
        .iter()
        .flat_map(|census| &census.tasks)
        .filter(|task| task.kind == TaskKind::Process && task.tid != facts.main_pid)
        .filter_map(|task| Some((task.tid, task.termination.as_ref()?)));
    main.chain(others).find_map(|(pid, termination)| {
        let Termination::Signaled { signal, name, .. } = termination else {
            return None;
        };
        let signal = *signal;
        if raised_for_the_program(signal) || sent.may_have_sent(signal) {
            return None;
        }
        let machine_oom = facts
            .machine_oom_kills
            .is_some_and(|kills| kills > job_oom_kills);
        let our_limits = job_oom_kills > 0
            || facts
                .cpu_limit_us
                .is_some_and(|limit| observation.cpu_us >= limit);
        if signal == libc::SIGKILL && !machine_oom && our_limits {
            return None;
        }
        Some(Interference::Killed {
            pid,
            main: pid == facts.main_pid,
            signal,
            name: name.clone(),
            machine_oom,
        })
    })
}

/// Signals the kernel raises for what the program itself did: faults, a write to a closed
/// pipe, its own timers and I/O notifications, children ending, its resource limits.
fn raised_for_the_program(signal: i32) -> bool {
    matches!(
        signal,
        libc::SIGSEGV
            | libc::SIGBUS
            | libc::SIGFPE
            | libc::SIGILL
            | libc::SIGTRAP
            | libc::SIGSYS
            | libc::SIGPIPE
            | libc::SIGXCPU
            | libc::SIGXFSZ
            | libc::SIGALRM
            | libc::SIGVTALRM
            | libc::SIGPROF
            | libc::SIGIO
            | libc::SIGURG
            | libc::SIGCHLD
            | libc::SIGWINCH
    )
}

/// OOM kills on the whole machine since boot (`oom_kill` in `/proc/vmstat`).
pub(super) fn machine_oom_kills() -> Option<u64> {
    let kills = *::procfs::vmstat().ok()?.get("oom_kill")?;
    u64::try_from(kills).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::job::{CapturedOutput, Census, CgroupUsage, Task};

    fn signaled(signal: i32, name: &str) -> Termination {
        Termination::Signaled {
            signal,
            name: name.to_owned(),
            core_dumped: false,
            cpu_limit_s: None,
        }
    }

    fn observed(termination: Termination) -> Observation {
        Observation {
            termination,
            wall_ms: 5,
            stdout: CapturedOutput::default(),
            stderr: CapturedOutput::default(),
            leftover_processes: 0,
            cpu_us: 1_000,
            census: None,
            containment: Vec::new(),
            resources: None,
            load_credit_ms: 0,
            interference: None,
            waiting: None,
        }
    }

    fn facts<'a>(sent: &'a Sent, observation: &'a Observation) -> Facts<'a> {
        Facts {
            sent: Some(sent),
            main_pid: 10,
            observation,
            cpu_limit_us: Some(2_000_000),
            machine_oom_kills: Some(0),
        }
    }

    #[test]
    fn the_machine_counts_oom_kills() {
        // `oom_kill` is in `/proc/vmstat` since Linux 4.13.
        assert!(machine_oom_kills().is_some());
    }

    #[test]
    fn a_sigkill_nobody_inside_sent_is_from_outside() {
        let sent = Sent::default();
        let killed = observed(signaled(libc::SIGKILL, "SIGKILL"));
        assert_eq!(
            interference(&facts(&sent, &killed)),
            Some(Interference::Killed {
                pid: 10,
                main: true,
                signal: libc::SIGKILL,
                name: "SIGKILL".to_owned(),
                machine_oom: false,
            })
        );
        // Sent by the program itself, to itself or to its group.
        let own = Sent::of(&[libc::SIGKILL]);
        assert_eq!(interference(&facts(&own, &killed)), None);
        // Not observed: nothing is blamed on the outside.
        let mut unknown = facts(&sent, &killed);
        unknown.sent = None;
        assert_eq!(interference(&unknown), None);
    }

    #[test]
    fn the_programs_own_signals_and_our_limits_are_not_interference() {
        let sent = Sent::default();
        let segv = observed(signaled(libc::SIGSEGV, "SIGSEGV"));
        assert_eq!(interference(&facts(&sent, &segv)), None);
        let mut memory = observed(signaled(libc::SIGKILL, "SIGKILL"));
        memory.resources = Some(CgroupUsage {
            oom_kills: Some(1),
            ..CgroupUsage::default()
        });
        let mut own_oom = facts(&sent, &memory);
        own_oom.machine_oom_kills = Some(1);
        assert_eq!(interference(&own_oom), None, "its own memory limit");
        let mut cpu = observed(signaled(libc::SIGKILL, "SIGKILL"));
        cpu.cpu_us = 3_000_000;
        assert_eq!(
            interference(&facts(&sent, &cpu)),
            None,
            "its hard CPU limit"
        );
        let killed = observed(signaled(libc::SIGKILL, "SIGKILL"));
        let mut oom = facts(&sent, &killed);
        oom.machine_oom_kills = Some(2);
        assert!(matches!(
            interference(&oom),
            Some(Interference::Killed {
                machine_oom: true,
                ..
            })
        ));
    }

    #[test]
    fn a_child_killed_from_outside_is_found_in_the_census() {
        let sent = Sent::default();
        let task = |tid, kind, termination| Task {
            tid,
            kind,
            process: tid,
            parent: Some(10),
            started_us: 0,
            ended_us: Some(5),
            cpu_us: 0,
            waiting_us: 0,
            voluntary_switches: 0,
            involuntary_switches: 0,
            termination,
            reaping: None,
            delay_us: 0,
            stack: None,
            stack_top: None,
            open_fds: None,
        };
        let mut seen = observed(Termination::Exited { code: 1 });
        seen.census = Some(Census {
            tasks: vec![
                task(
                    11,
                    TaskKind::Thread,
                    Some(signaled(libc::SIGTERM, "SIGTERM")),
                ),
                task(
                    12,
                    TaskKind::Process,
                    Some(signaled(libc::SIGTERM, "SIGTERM")),
                ),
            ],
            ..Census::default()
        });
        assert!(matches!(
            interference(&facts(&sent, &seen)),
            Some(Interference::Killed {
                pid: 12,
                main: false,
                ..
            })
        ));
    }
}
