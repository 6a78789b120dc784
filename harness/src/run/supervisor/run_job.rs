//! One job from its request to its reply: stale cgroups removed, the supervisor settled, the
//! containment planned, the program started and watched, its cgroups removed.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use nix::unistd::{Pid, geteuid};

use super::containment::Containment;
use super::protocol::{SuperviseError, read_job, tell_front_end, write_reply};
use super::sandbox::{self, Prepared};
use super::settle::{Settled, settle};
use super::spawn::spawn;
use super::watch::watch;
use super::{cgroup, namespaces, uid};
use crate::run::job::Reply;

/// Runs the job read from `input`; returns the exit code to pass on in the original process of
/// a supervisor that forked into its namespaces (see [`namespaces::enter`]), `None` in the
/// process that supervised.
pub(super) fn supervise_job(
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
        for error in cgroup.remove() {
            tell_front_end(&error);
        }
    }

    write_reply(output, &reply)?;
    Ok(None)
}
