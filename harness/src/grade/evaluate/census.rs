//! The rules on the program's threads and processes (`census`, `expect-child`): counts, and
//! whether tasks sleep and overlap; stacks are judged in [`super::stacks`].

use std::collections::BTreeMap;

use super::super::model::{Failure, FailureKind};
use super::compare::same_value;
use super::descriptors::{closed_ends_failure, ipc_left_failure};
use super::stacks::{printed_stacks_failure, stacks_failure};
use super::termination::termination_failure;
use crate::rubric::{CensusCount, Rules, SLEEPS_MAX_BUSY, SLEEPS_MIN_LIFE_US, SLEEPS_MIN_SPELL_US};
use crate::run::{Observation, TaskKind, Termination};

pub(super) fn census_failures(
    rules: &Rules,
    vars: &BTreeMap<String, String>,
    observation: &Observation,
    failures: &mut Vec<Failure>,
) {
    if rules.census.is_empty() && rules.expect_child.is_none() {
        return;
    }
    let Some(census) = &observation.census else {
        failures.push(Failure {
            what: FailureKind::Census,
            expected: "a census of the program's threads and processes".to_owned(),
            actual: "the run was not traced".to_owned(),
        });
        return;
    };
    for rule in &rules.census {
        let actual = match rule.count {
            CensusCount::Threads => census.threads,
            CensusCount::Processes => census.processes,
            CensusCount::Children => census.children,
            CensusCount::Unreaped => census.unreaped,
            CensusCount::OutlivedParent => census.outlived_parent,
            // Not counts: each is judged by a rule of its own.
            CensusCount::Overlap => {
                failures.extend(overlap_failure(&census.tasks));
                continue;
            }
            CensusCount::Stacks => {
                failures.extend(stacks_failure(&census.tasks, &rule.expected.render(vars)));
                continue;
            }
            CensusCount::PrintedStacks => {
                failures.extend(printed_stacks_failure(
                    &census.tasks,
                    &observation.stdout.text,
                ));
                continue;
            }
            CensusCount::Sleeps => {
                failures.extend(spinning_failure(&census.tasks));
                continue;
            }
            CensusCount::ClosedEnds => {
                failures.extend(closed_ends_failure(census));
                continue;
            }
            CensusCount::IpcRemoved => {
                failures.extend(ipc_left_failure(census));
                continue;
            }
        };
        let expected = rule.expected.render(vars);
        if !same_value(&actual.to_string(), &expected) {
            failures.push(Failure {
                what: FailureKind::Census,
                expected: format!("{} to be {expected}", rule.count.describe()),
                actual: format!("{} was {actual}", rule.count.describe()),
            });
        }
    }
    if let Some(expect) = &rules.expect_child {
        let children: Vec<&Termination> = census
            .tasks
            .iter()
            .filter(|task| task.kind == TaskKind::Process)
            .filter_map(|task| task.termination.as_ref())
            .collect();
        if !children.iter().any(|termination| {
            termination_failure(expect, termination, &termination.describe(), vars).is_none()
        }) {
            let seen: Vec<String> = children
                .iter()
                .map(|termination| termination.describe())
                .collect();
            failures.push(Failure {
                what: FailureKind::Census,
                expected: format!("a child process to {}", expect.describe(vars)),
                actual: if seen.is_empty() {
                    "the program created no child process".to_owned()
                } else {
                    format!("its children: {}", seen.join("; "))
                },
            });
        }
    }
}

/// Why the program spun instead of sleeping (`sleeps = true`), if it did: the task that wanted a
/// CPU for the largest share of its life, when that share is over [`SLEEPS_MAX_BUSY`].
///
/// A task wants a CPU while it runs on one and while it is runnable but waits for one (the
/// first two fields of its `schedstat`). A task that blocks in `poll`, `read` or `wait` wants
/// none while it waits; one that loops on a non-blocking call wants one all the time. Unlike CPU
/// time over wall time, the share does not fall when the machine is busy: a spinning task
/// that gets a CPU a third of the time waits for one the rest of it. But a sleeper on a machine
/// with far more runnable tasks than cores also waits long for a CPU after each wake-up: a busy
/// task spins only if it also wanted a CPU for more than [`SLEEPS_MIN_SPELL_US`] on average
/// between two times it blocked (a voluntary context switch), which a sleeper never does.
fn spinning_failure(tasks: &[crate::run::Task]) -> Option<Failure> {
    let busiest = tasks
        .iter()
        .filter_map(|task| {
            let life = task
                .ended_us?
                .checked_sub(task.started_us + task.delay_us)?;
            let spell = (task.cpu_us + task.waiting_us) / (task.voluntary_switches + 1);
            (life >= SLEEPS_MIN_LIFE_US && spell > SLEEPS_MIN_SPELL_US)
                .then(|| (task, busy_share(task, life), life))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let (task, share, life) = busiest;
    (share > SLEEPS_MAX_BUSY).then(|| Failure {
        what: FailureKind::Census,
        expected: format!(
            "every thread and process to sleep while it waits: to want a CPU (run or wait for one) at most {:.0}% of its life",
            SLEEPS_MAX_BUSY * 100.0
        ),
        actual: format!(
            "{} {} wanted a CPU {:.0}% of its {} ms: {} ms on a CPU and {} ms waiting for one, with {} voluntary and {} involuntary context switches; it spins instead of blocking",
            task.kind.describe(),
            task.tid,
            share * 100.0,
            life / 1000,
            task.cpu_us / 1000,
            task.waiting_us / 1000,
            task.voluntary_switches,
            task.involuntary_switches,
        ),
    })
}

/// The share of a task's life of `life_us` microseconds during which it wanted a CPU.
fn busy_share(task: &crate::run::Task, life_us: u64) -> f64 {
    (task.cpu_us + task.waiting_us) as f64 / life_us.max(1) as f64
}

/// Why the threads of a census did not all run at one same moment (`overlap = true`), if they
/// did not. A thread runs from its creation plus the time the tracer held it (a perturbation's
/// delay, or the wait of `start-together`), to its exit; the tracer sees a thread's exit before anyone can join it, so threads made one after
/// the other, each joined before the next is created, never overlap, however short they are.
fn overlap_failure(tasks: &[crate::run::Task]) -> Option<Failure> {
    let threads: Vec<(u64, Option<u64>)> = tasks
        .iter()
        .filter(|task| task.kind == TaskKind::Thread)
        .map(|task| (task.started_us + task.delay_us, task.ended_us))
        .collect();
    let expected = "the program's threads (at least 2) all running at one same moment".to_owned();
    if threads.len() < 2 {
        return Some(Failure {
            what: FailureKind::Census,
            expected,
            actual: format!(
                "the program created {} thread{}",
                threads.len(),
                if threads.len() == 1 { "" } else { "s" }
            ),
        });
    }
    let last_start = threads.iter().map(|thread| thread.0).max()?;
    // A thread never seen ending was still running when the program ended.
    let first_end = threads.iter().filter_map(|thread| thread.1).min();
    match first_end {
        Some(first_end) if first_end <= last_start => Some(Failure {
            what: FailureKind::Census,
            expected,
            actual: format!(
                "one thread ended at {first_end} µs, before the last one started at {last_start} µs: \
                 they ran one after the other"
            ),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::evaluate::fixtures::*;

    #[test]
    fn sleeping_tasks_pass_and_the_busiest_spinning_task_is_named() {
        let mut sleeper = thread(2, 0, 0, Some(600_000));
        sleeper.cpu_us = 3_000;
        sleeper.waiting_us = 1_000;
        // Too young to judge, however busy.
        let mut young = thread(3, 0, 0, Some(50_000));
        young.cpu_us = 50_000;
        assert!(spinning_failure(&[sleeper.clone(), young.clone()]).is_none());
        // On a busy machine a spinning task gets a CPU a third of the time and waits for one
        // the rest: it still wants one all its life.
        let mut spinner = thread(4, 10_000, 10_000, Some(620_000));
        spinner.cpu_us = 200_000;
        spinner.waiting_us = 390_000;
        spinner.involuntary_switches = 150;
        let failure = spinning_failure(&[sleeper, spinner.clone(), young]).expect("it spins");
        assert_eq!(
            failure.actual,
            "thread 4 wanted a CPU 98% of its 600 ms: 200 ms on a CPU and 390 ms waiting for one, with 0 voluntary and 150 involuntary context switches; it spins instead of blocking"
        );
        // A sleeper on a machine with many more runnable tasks than cores: hardly any time on a
        // CPU, long waits for one after each of its 25 wake-ups, but it blocks after each.
        let mut crowded = thread(5, 0, 0, Some(672_000));
        crowded.waiting_us = 352_000;
        crowded.voluntary_switches = 25;
        crowded.involuntary_switches = 5;
        assert!(spinning_failure(&[crowded]).is_none());
        // A spinner that blocked a few times still wants a CPU for long spells between them.
        spinner.voluntary_switches = 3;
        assert!(spinning_failure(&[spinner]).is_some());
    }

    #[test]
    fn overlap_needs_every_thread_created_before_the_first_ended() {
        // Created together, whatever the delays and ends.
        assert!(
            overlap_failure(&[
                thread(2, 100, 50_000, Some(53_000)),
                thread(3, 180, 50_000, Some(51_000)),
            ])
            .is_none()
        );
        // Still running at the end of the program counts as not ended.
        assert!(overlap_failure(&[thread(2, 100, 0, None), thread(3, 200, 0, None)]).is_none());
        // Joined before the next was created.
        let failure = overlap_failure(&[
            thread(2, 100, 50_000, Some(53_000)),
            thread(3, 53_400, 50_000, Some(104_000)),
        ])
        .expect("serial threads do not overlap");
        assert_eq!(failure.what, FailureKind::Census);
        assert!(
            failure.actual.contains("one after the other"),
            "{failure:?}"
        );
        // One thread cannot overlap with anything.
        let failure = overlap_failure(&[thread(2, 100, 0, Some(200))]).expect("one thread");
        assert_eq!(failure.actual, "the program created 1 thread");
        assert_eq!(
            overlap_failure(&[]).map(|failure| failure.actual),
            Some("the program created 0 threads".to_owned())
        );
    }
}
