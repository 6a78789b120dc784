//! Grading proper: a pure function from a check and what its cases did to points.
//!
//! Nothing here runs a program or touches a file, so every rule of the rubric language can be
//! unit-tested with hand-made observations.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{
    BuildGrade, BuildStatus, CaseGrade, CheckGrade, CheckStatus, Failure, Grade, GradeStatus,
    Observed, Replay, Timing,
};
use super::{interleaved, only_lines, oracle};
use crate::rubric::{
    CensusCount, Check, Compare, Expect, Expected, Figure, Matcher, SLEEPS_MAX_BUSY,
    SLEEPS_MIN_LIFE_US, SLEEPS_MIN_SPELL_US, Scoring, Sequences, Source, Stream, SyscallRule,
};
use crate::run::{Observation, TaskKind, Termination};

/// How many characters of output a failure message quotes.
const EXCERPT_CHARS: usize = 400;

/// Grades one run of a case of `check` from what the program did; the case's score is set by
/// [`score_check`], and several runs of a case are joined by [`combine_runs`].
#[must_use]
pub fn evaluate_case(
    check: &Check,
    case_name: &str,
    replay: Replay,
    observation: Observation,
) -> CaseGrade {
    let mut failures = Vec::new();
    let termination_text = observation.termination_text();
    if let Some(failure) = termination_failure(
        &check.expect,
        &observation.termination,
        &termination_text,
        &replay.vars,
    ) {
        failures.push(failure);
    }
    let (captures, unmatched_groups) = match_output(check, &replay, &observation, &mut failures);
    for compare in &check.compares {
        if let Some(failure) =
            compare_failure(compare, &captures, &unmatched_groups, &replay, &observation)
        {
            failures.push(failure);
        }
    }
    census_failures(check, &replay.vars, &observation, &mut failures);
    syscall_failures(check, &replay.env, &observation, &mut failures);
    let figures = run_figures(&check.figures, &observation, &captures);
    CaseGrade {
        name: case_name.to_owned(),
        passed: failures.is_empty(),
        score: 0.0,
        runs: 1,
        passed_runs: u32::from(failures.is_empty()),
        replay,
        observed: Observed {
            notes: observation.notes(),
            resources: observation.resources.clone(),
            termination_text,
            termination: observation.termination,
            wall_ms: observation.wall_ms,
            cpu_us: observation.cpu_us,
            stdout: observation.stdout,
            stderr: observation.stderr,
            leftover_processes: observation.leftover_processes,
            census: observation.census,
            containment: observation.containment,
            captures,
        },
        failures,
        figures: if figures.is_empty() {
            Vec::new()
        } else {
            vec![figures]
        },
    }
}

/// The figures of one run that the rubric's ratios compare. A figure that could not be measured
/// (a capture that is not a number, `cores-wanted` of an untraced run) is left out.
fn run_figures(
    wanted: &[Figure],
    observation: &Observation,
    captures: &BTreeMap<String, String>,
) -> BTreeMap<String, f64> {
    let wall_ms = observation.wall_ms.max(1) as f64;
    wanted
        .iter()
        .filter_map(|figure| {
            let value = match figure {
                Figure::WallTime => Some(observation.wall_ms as f64),
                Figure::CpuTime => Some(observation.cpu_us as f64 / 1000.0),
                Figure::CoresBusy => Some(observation.cpu_us as f64 / 1000.0 / wall_ms),
                Figure::CoresWanted => observation.census.as_ref().map(|census| {
                    let wanted_us: u64 = census
                        .tasks
                        .iter()
                        .map(|task| task.cpu_us + task.waiting_us)
                        .sum();
                    wanted_us as f64 / 1000.0 / wall_ms
                }),
                Figure::Capture(name) => captures
                    .get(name)
                    .and_then(|text| text.trim().parse::<f64>().ok()),
            };
            value
                .filter(|value| value.is_finite())
                .map(|value| (figure.key().to_owned(), value))
        })
        .collect()
}

/// Joins the runs of one case: it passes only if every run passed, and it shows the first
/// failing run (or the last run, when all passed) with the pass rate.
#[must_use]
pub fn combine_runs(runs: Vec<CaseGrade>, planned: u32) -> Option<CaseGrade> {
    let total = runs.len() as u32;
    let passed = runs.iter().filter(|run| run.passed).count() as u32;
    let figures: Vec<BTreeMap<String, f64>> = runs
        .iter()
        .flat_map(|run| run.figures.iter().cloned())
        .collect();
    let first_failing = runs.iter().position(|run| !run.passed);
    let mut shown = match first_failing {
        Some(index) => runs.into_iter().nth(index)?,
        None => runs.into_iter().last()?,
    };
    shown.runs = total;
    shown.passed_runs = passed;
    shown.figures = figures;
    if planned > 1 && passed < total {
        let actual = if total < planned {
            format!(
                "run {total} failed, after {passed} that passed; the other {} were not run, since one failed run decides",
                planned - total
            )
        } else {
            format!("{passed} of {total} passed; the first failing run is shown")
        };
        shown.failures.insert(
            0,
            Failure {
                what: "runs".to_owned(),
                expected: format!("every one of {planned} runs to pass"),
                actual,
            },
        );
    }
    Some(shown)
}

/// Applies the check's matchers; returns the captures and the named groups of regexes that
/// did not match (whose failure is already listed).
fn match_output(
    check: &Check,
    replay: &Replay,
    observation: &Observation,
    failures: &mut Vec<Failure>,
) -> (BTreeMap<String, String>, BTreeSet<String>) {
    let vars = &replay.vars;
    let mut captures = BTreeMap::new();
    let mut unmatched_groups = BTreeSet::new();
    for (stream, matchers, output) in [
        ("stdout", &check.stdout, &observation.stdout),
        ("stderr", &check.stderr, &observation.stderr),
    ] {
        for matcher in matchers {
            if let Matcher::OnlyLines(regexes) = matcher {
                match only_lines::only_lines(regexes, &output.text) {
                    Ok(found) => {
                        for (name, value) in found {
                            captures.entry(name).or_insert(value);
                        }
                    }
                    Err(actual) => {
                        unmatched_groups.extend(
                            regexes
                                .iter()
                                .flat_map(|regex| regex.capture_names().flatten())
                                .map(str::to_owned),
                        );
                        failures.push(Failure {
                            what: stream.to_owned(),
                            expected: format!("{stream} to hold {}", matcher.describe(vars)),
                            actual: format!("{actual}{}", truncation(output)),
                        });
                    }
                }
                continue;
            }
            if let Some(outcome) = order_failure(matcher, &output.text, replay) {
                if let Err(actual) = outcome {
                    failures.push(Failure {
                        what: stream.to_owned(),
                        expected: format!("{stream} to hold {}", matcher.describe(vars)),
                        actual: format!("{actual}{}", truncation(output)),
                    });
                }
                continue;
            }
            if apply_matcher(matcher, &output.text, vars, &mut captures) {
                continue;
            }
            if let Matcher::Regex(regex) = matcher {
                unmatched_groups.extend(regex.capture_names().flatten().map(str::to_owned));
            }
            let truncated = truncation(output);
            failures.push(Failure {
                what: stream.to_owned(),
                expected: match matcher {
                    Matcher::Absent(inner) => {
                        format!("{stream} not to contain {}", inner.describe(vars))
                    }
                    _ => format!("{stream} to contain {}", matcher.describe(vars)),
                },
                actual: format!("{stream} was {}{truncated}", excerpt(&output.text)),
            });
        }
    }
    (captures, unmatched_groups)
}

/// How much of a stream was kept, when it was cut: the total tells a flood (gigabytes) from a
/// slightly long answer.
fn truncation(output: &crate::run::CapturedOutput) -> String {
    if output.truncated {
        format!(
            " (it wrote {} bytes; only the first {} were kept)",
            output.total_bytes,
            output.text.len()
        )
    } else {
        String::new()
    }
}

/// For the matchers of interleaved output (`sequences`, `byte-count`): whether `text` holds,
/// or why not; `None` for every other matcher.
fn order_failure(matcher: &Matcher, text: &str, replay: &Replay) -> Option<Result<(), String>> {
    let outcome = match matcher {
        Matcher::Sequences(Sequences::Written(sequences)) => {
            let rendered: Vec<Vec<String>> = sequences
                .iter()
                .map(|lines| lines.iter().map(|line| line.render(&replay.vars)).collect())
                .collect();
            interleaved::sequences_failure(&rendered, text)
        }
        Matcher::Sequences(Sequences::Oracle(oracle)) => {
            match oracle::sequences(*oracle, &replay.env) {
                Ok(sequences) => interleaved::sequences_failure(&sequences, text),
                Err(reason) => Some(format!("labgrade could not compute the lines: {reason}")),
            }
        }
        Matcher::ByteCount { count, counted } => {
            interleaved::byte_count_failure(count, counted, text)
        }
        _ => return None,
    };
    Some(outcome.map_or(Ok(()), Err))
}

fn compare_failure(
    compare: &Compare,
    captures: &BTreeMap<String, String>,
    unmatched_groups: &BTreeSet<String>,
    replay: &Replay,
    observation: &Observation,
) -> Option<Failure> {
    let what = compare.source.describe();
    let actual = match &compare.source {
        Source::Capture(name) => match captures.get(name) {
            Some(value) => value.clone(),
            // A regex that defines the capture did not match: that failure is already listed.
            None if unmatched_groups.contains(name) => return None,
            None => {
                return Some(Failure {
                    what: "compare".to_owned(),
                    expected: format!("{what} to be captured"),
                    actual: format!("the output matched without a value for {what}"),
                });
            }
        },
        Source::Numbers(stream) => {
            let text = match stream {
                Stream::Stdout => &observation.stdout.text,
                Stream::Stderr => &observation.stderr.text,
            };
            numbers(text).join(" ")
        }
    };
    let expected = match &compare.expected {
        Expected::Oracle(oracle) => oracle::value(*oracle, &replay.env, &replay.vars),
        Expected::Value(template) | Expected::Signal(template) => Ok(template.render(&replay.vars)),
    };
    let expected = match expected {
        Ok(expected) => expected,
        Err(reason) => {
            return Some(Failure {
                what: "compare".to_owned(),
                expected: format!("{what} to be checked"),
                actual: format!("the right value could not be computed: {reason}"),
            });
        }
    };
    let holds = match (&compare.source, &compare.expected) {
        (_, Expected::Signal(_)) => same_signal(&actual, &expected),
        (Source::Numbers(_), _) => numbers(&actual) == numbers(&expected),
        (Source::Capture(_), _) => same_value(&actual, &expected),
    };
    (!holds).then(|| Failure {
        what: "compare".to_owned(),
        expected: format!("{what} to be {}", shorten(&expected, 120)),
        actual: format!(
            "{what} was {}",
            if actual.is_empty() {
                "empty".to_owned()
            } else {
                shorten(&actual, 120)
            }
        ),
    })
}

/// Every integer in `text`, in order, as written (`-3`, `42`).
fn numbers(text: &str) -> Vec<String> {
    static NUMBER: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"-?\d+").expect("the pattern is valid"));
    NUMBER
        .find_iter(text)
        .map(|found| {
            let number = found.as_str();
            // Normalized (`-0` and `007` read as `0` and `7`) when it fits an i128.
            number
                .parse::<i128>()
                .map_or_else(|_| number.to_owned(), |value| value.to_string())
        })
        .collect()
}

/// Whether two signals given by name or number are the same signal.
fn same_signal(actual: &str, expected: &str) -> bool {
    match (
        labgrade_support::signal_number(actual.trim()),
        labgrade_support::signal_number(expected.trim()),
    ) {
        (Some(actual), Some(expected)) => actual == expected,
        _ => false,
    }
}

fn census_failures(
    check: &Check,
    vars: &BTreeMap<String, String>,
    observation: &Observation,
    failures: &mut Vec<Failure>,
) {
    if check.census.is_empty() && check.expect_child.is_none() {
        return;
    }
    let Some(census) = &observation.census else {
        failures.push(Failure {
            what: "census".to_owned(),
            expected: "a census of the program's threads and processes".to_owned(),
            actual: "the run was not traced".to_owned(),
        });
        return;
    };
    for rule in &check.census {
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
        };
        let expected = rule.expected.render(vars);
        if !same_value(&actual.to_string(), &expected) {
            failures.push(Failure {
                what: "census".to_owned(),
                expected: format!("{} to be {expected}", rule.count.describe()),
                actual: format!("{} was {actual}", rule.count.describe()),
            });
        }
    }
    if let Some(expect) = &check.expect_child {
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
                what: "census".to_owned(),
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
        what: "census".to_owned(),
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
            what: "census".to_owned(),
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
            what: "census".to_owned(),
            expected,
            actual: format!(
                "one thread ended at {first_end} µs, before the last one started at {last_start} µs: \
                 they ran one after the other"
            ),
        }),
        _ => None,
    }
}

/// The system calls a check requires or forbids, against what the tracer counted.
fn syscall_failures(
    check: &Check,
    env: &BTreeMap<String, String>,
    observation: &Observation,
    failures: &mut Vec<Failure>,
) {
    if check.syscalls.is_empty() {
        return;
    }
    let Some(counts) = observation
        .census
        .as_ref()
        .and_then(|census| census.syscalls.as_ref())
    else {
        failures.push(Failure {
            what: "system calls".to_owned(),
            expected: "the program's system calls to be observed".to_owned(),
            actual: "they were not observed (labgrade observes them on x86-64 Linux only)"
                .to_owned(),
        });
        return;
    };
    let seen = |rule: &SyscallRule| -> Vec<String> {
        counts
            .iter()
            .filter(|(name, count)| **count > 0 && rule.matches(name))
            .map(|(name, count)| format!("{name} ×{count}"))
            .collect()
    };
    let observed = || {
        let all: Vec<String> = counts
            .iter()
            .filter(|(name, _)| name.as_str() != "read")
            .map(|(name, count)| format!("{name} ×{count}"))
            .collect();
        if all.is_empty() {
            "it made none of the IPC calls labgrade observes".to_owned()
        } else {
            format!("it made {}", all.join(", "))
        }
    };
    for rule in &check.syscalls {
        let made = seen(rule);
        if rule.per_message {
            if let Some(failure) = per_message_failure(rule, env, counts) {
                failures.push(failure);
            }
        } else if rule.required && made.is_empty() {
            failures.push(Failure {
                what: "system calls".to_owned(),
                expected: format!("a call to {rule}"),
                actual: observed(),
            });
        } else if !rule.required && !made.is_empty() {
            failures.push(Failure {
                what: "system calls".to_owned(),
                expected: format!("no call to {rule}"),
                actual: format!("it made {}", made.join(", ")),
            });
        }
    }
}

/// Why the calls a `per-message` rule matches are not one per message of the run (or one
/// more, which ends the series), if they are not.
fn per_message_failure(
    rule: &SyscallRule,
    env: &BTreeMap<String, String>,
    counts: &BTreeMap<String, u64>,
) -> Option<Failure> {
    let messages = match oracle::ipc_message_count(env) {
        Ok(messages) => messages as u64,
        Err(reason) => {
            return Some(Failure {
                what: "system calls".to_owned(),
                expected: format!("one call to {rule} per message"),
                actual: format!("the messages could not be counted: {reason}"),
            });
        }
    };
    let made: u64 = counts
        .iter()
        .filter(|(name, _)| rule.matches(name))
        .map(|(_, count)| count)
        .sum();
    (made != messages && made != messages + 1).then(|| Failure {
        what: "system calls".to_owned(),
        expected: format!(
            "one call to {rule} per message: {messages} for the {messages} messages, or {} with one that ends the series",
            messages + 1
        ),
        actual: format!("it made {made}"),
    })
}

/// The stacks the tracer found for the program's threads, in order of creation; `None` for a
/// thread whose stack could not be read.
fn thread_stacks(tasks: &[crate::run::Task]) -> Vec<Option<crate::run::StackRange>> {
    tasks
        .iter()
        .filter(|task| task.kind == TaskKind::Thread)
        .map(|task| task.stack)
        .collect()
}

/// Where each thread's local variables can lie, in order of creation: its stack mapping below
/// the stack pointer it started with (above it, glibc keeps the thread's thread-local storage
/// and control block); the whole mapping where that pointer is unknown or outside it.
fn local_stacks(tasks: &[crate::run::Task]) -> Vec<Option<crate::run::StackRange>> {
    tasks
        .iter()
        .filter(|task| task.kind == TaskKind::Thread)
        .map(|task| {
            let mut stack = task.stack?;
            if let Some(top) = task
                .stack_top
                .filter(|top| stack.start < *top && *top <= stack.end)
            {
                stack.end = top;
            }
            Some(stack)
        })
        .collect()
}

/// Why the threads did not each run on a stack of their own of at least `bytes` bytes, if they
/// did not (`stacks`). The stack of a thread is the mapping that held its stack pointer as it
/// ended: the harness's own observation, whatever the program printed.
fn stacks_failure(tasks: &[crate::run::Task], bytes: &str) -> Option<Failure> {
    let failure = |expected: String, actual: String| Failure {
        what: "census".to_owned(),
        expected,
        actual,
    };
    let Ok(bytes) = bytes.trim().parse::<u64>() else {
        return Some(failure(
            "a number of bytes for `stacks`".to_owned(),
            format!("`{bytes}`"),
        ));
    };
    let expected = format!("every thread on a stack of its own of at least {bytes} bytes");
    let stacks = thread_stacks(tasks);
    if stacks.is_empty() {
        return Some(failure(
            expected,
            "the program created no thread".to_owned(),
        ));
    }
    let mut seen: Vec<crate::run::StackRange> = Vec::new();
    for (index, stack) in stacks.iter().enumerate() {
        let number = index + 1;
        let Some(stack) = stack else {
            return Some(failure(
                expected,
                format!("the stack of thread {number} could not be found"),
            ));
        };
        if stack.len() < bytes {
            return Some(failure(
                expected,
                format!("thread {number} ran on a stack of {} bytes", stack.len()),
            ));
        }
        if let Some(other) = seen.iter().position(|earlier| earlier.overlaps(stack)) {
            return Some(failure(
                expected,
                format!(
                    "threads {} and {number} ran on the same stack ({:#x}-{:#x})",
                    other + 1,
                    stack.start,
                    stack.end
                ),
            ));
        }
        seen.push(*stack);
    }
    None
}

/// Why the addresses the program printed (every `0x…` on stdout) are not one in the stack of
/// each thread, if they are not (`printed-stacks`).
fn printed_stacks_failure(tasks: &[crate::run::Task], stdout: &str) -> Option<Failure> {
    let expected = "one printed address (0x…) in the stack of each thread".to_owned();
    let failure = |actual: String| {
        Some(Failure {
            what: "census".to_owned(),
            expected: expected.clone(),
            actual,
        })
    };
    let stacks = local_stacks(tasks);
    let addresses: Vec<u64> = stdout
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter_map(|word| {
            let digits = word
                .strip_prefix("0x")
                .or_else(|| word.strip_prefix("0X"))?;
            u64::from_str_radix(digits, 16).ok()
        })
        .collect();
    let mut owners = vec![false; stacks.len()];
    for address in &addresses {
        let owner = stacks
            .iter()
            .position(|stack| stack.is_some_and(|stack| stack.contains(*address)));
        match owner {
            None => return failure(format!("{address:#x} lies in the stack of no thread")),
            Some(index) if owners[index] => {
                return failure(format!(
                    "{address:#x} and another printed address both lie in the stack of thread {}",
                    index + 1
                ));
            }
            Some(index) => owners[index] = true,
        }
    }
    match owners.iter().position(|owned| !owned) {
        Some(index) => failure(format!(
            "no printed address lies in the stack of thread {} ({} addresses for {} threads)",
            index + 1,
            addresses.len(),
            stacks.len()
        )),
        None => None,
    }
}

/// `text` cut after `limit` characters, with `…` when it was longer.
pub(super) fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        text.to_owned()
    } else {
        let head: String = text.chars().take(limit).collect();
        format!("{head}…")
    }
}

/// Whether `termination` breaks `expect`; `text` is the termination in words, as reported.
fn termination_failure(
    expect: &Expect,
    termination: &Termination,
    text: &str,
    vars: &BTreeMap<String, String>,
) -> Option<Failure> {
    let holds = match (expect, termination) {
        (Expect::Exit(expected), Termination::Exited { code }) => expected == code,
        (Expect::ExitOf(expected), Termination::Exited { code }) => {
            expected.render(vars).trim().parse() == Ok(*code)
        }
        (Expect::NonZeroExit, Termination::Exited { code }) => *code != 0,
        (Expect::Signal(expected, _), Termination::Signaled { signal, .. }) => expected == signal,
        (Expect::AnyExit, Termination::Exited { .. })
        | (Expect::AnySignal, Termination::Signaled { .. }) => true,
        (Expect::SignalOf(expected), Termination::Signaled { signal, .. }) => {
            labgrade_support::signal_number(expected.render(vars).trim()) == Some(*signal)
        }
        _ => false,
    };
    (!holds).then(|| Failure {
        what: "termination".to_owned(),
        expected: format!("the program to {}", expect.describe(vars)),
        actual: match termination {
            Termination::Exited { .. } => format!("it {text}"),
            _ => format!("it was {text}"),
        },
    })
}

/// Applies `matcher` to `text`; a regex's named groups are added to `captures`.
fn apply_matcher(
    matcher: &Matcher,
    text: &str,
    vars: &BTreeMap<String, String>,
    captures: &mut BTreeMap<String, String>,
) -> bool {
    match matcher {
        Matcher::Regex(regex) => {
            let Some(found) = regex.captures(text) else {
                return false;
            };
            for name in regex.capture_names().flatten() {
                if let Some(value) = found.name(name) {
                    captures
                        .entry(name.to_owned())
                        .or_insert_with(|| value.as_str().to_owned());
                }
            }
            true
        }
        Matcher::Contains(template) => text.contains(&template.render(vars)),
        Matcher::Absent(inner) => !apply_matcher(inner, text, vars, &mut BTreeMap::new()),
        Matcher::LineWith(terms) => text.lines().any(|line| {
            terms.iter().all(|alternatives| {
                let words: Vec<String> = alternatives
                    .iter()
                    .map(|word| word.render(vars))
                    .filter(|word| !word.is_empty())
                    .collect();
                words.is_empty() || words.iter().any(|word| has_word(line, word))
            })
        }),
        Matcher::Line(template) => {
            let wanted = template.render(vars);
            text.lines()
                .any(|line| line.trim_end() == wanted.trim_end())
        }
        // Judged by `order_failure` and `only_lines`, and never negated (the rubric forbids it).
        Matcher::Sequences(_) | Matcher::ByteCount { .. } | Matcher::OnlyLines(_) => false,
    }
}

/// Whether `word` appears in `line` as a whole word, ignoring case.
fn has_word(line: &str, word: &str) -> bool {
    regex::RegexBuilder::new(&format!(r"(^|\W){}($|\W)", regex::escape(word)))
        .case_insensitive(true)
        .build()
        .is_ok_and(|pattern| pattern.is_match(line))
}

/// Values compare as integers when both are integers (`007` equals `7`), else as trimmed text.
fn same_value(actual: &str, expected: &str) -> bool {
    match (
        actual.trim().parse::<i128>(),
        expected.trim().parse::<i128>(),
    ) {
        (Ok(actual), Ok(expected)) => actual == expected,
        _ => actual.trim() == expected.trim(),
    }
}

fn excerpt(text: &str) -> String {
    if text.is_empty() {
        return "empty".to_owned();
    }
    let mut shown: String = text.chars().take(EXCERPT_CHARS).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

/// Scores `check` from its graded cases.
#[must_use]
pub fn score_check(check: &Check, mut cases: Vec<CaseGrade>) -> CheckGrade {
    let max_score = f64::from(check.points);
    let total = check.cases.len().max(1) as f64;
    let passed = cases.iter().filter(|case| case.passed).count();
    let score = match check.scoring {
        Scoring::PerCase => {
            let share = max_score / total;
            for case in &mut cases {
                case.score = if case.passed { share } else { 0.0 };
            }
            share * passed as f64
        }
        Scoring::AllOrNothing if passed == check.cases.len() => max_score,
        Scoring::AllOrNothing => 0.0,
    };
    let timings = if check.parallelism {
        timings(&cases, check.parallelism_time.as_deref())
    } else {
        Vec::new()
    };
    let status = if passed == check.cases.len() {
        CheckStatus::Passed
    } else if score > 0.0 {
        CheckStatus::Partial
    } else {
        CheckStatus::Failed
    };
    CheckGrade {
        id: check.id.clone(),
        title: check.title.clone(),
        score,
        max_score,
        status,
        reason: None,
        info: if timings.is_empty() {
            Vec::new()
        } else {
            vec![parallelism_line(&timings)]
        },
        timings,
        visibility: check.visibility,
        details: check.details,
        source: None,
        cases,
    }
}

/// Each case's time and its speedup over the first case: how well the work was spread.
/// The time is the program's own measure of its work (`time_capture`) when the rubric names one,
/// else the wall time of the whole run with the cores it kept busy. Information only: on a
/// shared machine timings are too noisy to grade.
fn timings(cases: &[CaseGrade], time_capture: Option<&str>) -> Vec<Timing> {
    let time_ms = |case: &CaseGrade| -> f64 {
        time_capture
            .and_then(|name| case.observed.captures.get(name))
            .and_then(|text| text.trim().parse::<f64>().ok())
            .unwrap_or(case.observed.wall_ms as f64)
    };
    let Some(first) = cases.first() else {
        return Vec::new();
    };
    let base = time_ms(first).max(0.5);
    cases
        .iter()
        .map(|case| {
            let time = time_ms(case);
            Timing {
                case: case.name.clone(),
                workers: workers(&case.replay.vars),
                time_ms: time,
                speedup: base / time.max(0.5),
                cores_busy: time_capture.is_none().then(|| {
                    case.observed.cpu_us as f64 / 1000.0 / (case.observed.wall_ms.max(1) as f64)
                }),
            }
        })
        .collect()
}

/// The worker count of a case: its `workers` variable, else its only numeric variable, so that
/// plots have an x axis whatever the rubric calls it.
fn workers(vars: &BTreeMap<String, String>) -> Option<u32> {
    if let Some(workers) = vars.get("workers") {
        return workers.trim().parse().ok();
    }
    let mut numeric = vars.values().filter_map(|value| value.trim().parse().ok());
    match (numeric.next(), numeric.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// The readable form of `timings`, for `info`.
fn parallelism_line(timings: &[Timing]) -> String {
    let parts: Vec<String> = timings
        .iter()
        .map(|timing| {
            let (case, time, speedup) = (&timing.case, timing.time_ms, timing.speedup);
            match timing.cores_busy {
                None => format!("{case} {time} ms (×{speedup:.1})"),
                Some(busy) => format!("{case} {time} ms, {busy:.1} cores busy (×{speedup:.1})"),
            }
        })
        .collect();
    format!(
        "parallelism (information, not graded): {}",
        parts.join("; ")
    )
}

/// A check that did not run, or could not be graded, with the reason.
#[must_use]
pub fn unscored_check(
    check: &Check,
    status: CheckStatus,
    reason: String,
    cases: Vec<CaseGrade>,
) -> CheckGrade {
    CheckGrade {
        id: check.id.clone(),
        title: check.title.clone(),
        score: 0.0,
        max_score: f64::from(check.points),
        status,
        reason: Some(reason),
        info: Vec::new(),
        timings: Vec::new(),
        visibility: check.visibility,
        details: check.details,
        source: None,
        cases,
    }
}

/// Why `check` cannot run given the checks graded so far, with the status that gives it, or
/// `None` if everything it needs passed. A check is [`CheckStatus::Skipped`] when what it needs
/// failed, and [`CheckStatus::Error`] when labgrade could not grade what it needs: the
/// student's work is unknown, never worth 0.
#[must_use]
pub fn blocked_by(
    check: &Check,
    build: &BuildGrade,
    graded: &[CheckGrade],
) -> Option<(CheckStatus, String)> {
    check.needs.iter().find_map(|need| {
        if need == crate::rubric::BUILD_ID {
            return build_block_reason(build).map(|reason| (CheckStatus::Skipped, reason));
        }
        let needed = graded.iter().find(|graded| &graded.id == need)?;
        match needed.status {
            CheckStatus::Passed => None,
            CheckStatus::Error => Some((
                CheckStatus::Error,
                format!("not run: it needs check `{need}`, which labgrade could not grade"),
            )),
            _ => Some((
                CheckStatus::Skipped,
                format!("not run: it needs check `{need}` to pass in full"),
            )),
        }
    })
}

/// Why nothing runs after `build`, in the words of a skipped check; `None` if it built.
#[must_use]
pub fn build_block_reason(build: &BuildGrade) -> Option<String> {
    match build.status {
        BuildStatus::Built => None,
        BuildStatus::MissingFiles => Some(format!(
            "not run: the submission lacks {}",
            missing_list(&build.missing_files)
        )),
        BuildStatus::CompileError => Some("not run: the submission does not compile".to_owned()),
        BuildStatus::TimedOut => Some("not run: the build ran past its time limit".to_owned()),
        BuildStatus::Unreadable => Some("not run: the submission could not be read".to_owned()),
    }
}

/// Files as a report lists them: `` `src/a.rs`, `src/b.rs` ``.
#[must_use]
pub fn missing_list(files: &[String]) -> String {
    files
        .iter()
        .map(|file| format!("`{file}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Puts the parts together and totals the score.
#[must_use]
pub fn total(header: GradeHeader, build: BuildGrade, checks: Vec<CheckGrade>) -> Grade {
    let score = build.score + checks.iter().map(|check| check.score).sum::<f64>();
    let max_score = build.max_score + checks.iter().map(|check| check.max_score).sum::<f64>();
    let status = if checks
        .iter()
        .any(|check| check.status == CheckStatus::Error)
    {
        GradeStatus::Incomplete
    } else {
        GradeStatus::Graded
    };
    Grade {
        version: super::model::GRADE_FORMAT_VERSION,
        labgrade_version: env!("CARGO_PKG_VERSION").to_owned(),
        exercise: header.exercise,
        rubric: header.rubric,
        submission: header.submission,
        workdir: None,
        entry: None,
        seed: header.seed,
        status,
        score,
        max_score,
        build,
        checks,
        hidden: None,
    }
}

/// What identifies a grade: exercise, rubric, submission and seed.
#[derive(Debug, Clone)]
pub struct GradeHeader {
    /// Exercise name.
    pub exercise: String,
    /// Rubric path.
    pub rubric: String,
    /// Submission path.
    pub submission: String,
    /// Seed of the grading run.
    pub seed: u64,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use labgrade_support::{LEN_VAR, SEED_VAR};

    use super::*;
    use crate::run::CapturedOutput;

    /// Lines 1 to 4 of every test rubric.
    const EXERCISE: &str =
        "[exercise]\nname = \"t\"\npackage = \"pkg\"\nfiles = [\"src/main.rs\"]\n";

    /// The checks of the rubric made of [`EXERCISE`] and `checks`, in the order they run.
    fn parse_checks(checks: &str) -> Vec<Check> {
        let text = format!("{EXERCISE}{checks}");
        match crate::rubric::parse(Path::new("t.toml"), &text) {
            Ok(rubric) => rubric.checks,
            Err(error) => panic!("the test rubric is invalid: {error}"),
        }
    }

    /// The only check of a rubric whose `[[check]]` table holds `keys` after its required ones.
    fn parse_check(keys: &str) -> Check {
        let mut checks = parse_checks(&format!(
            "[[check]]\nid = \"c\"\ntitle = \"C\"\npoints = 40\nrun = \"prog\"\n{keys}"
        ));
        assert_eq!(checks.len(), 1);
        checks.remove(0)
    }

    fn output(text: &str) -> CapturedOutput {
        CapturedOutput {
            text: text.to_owned(),
            total_bytes: text.len() as u64,
            truncated: false,
        }
    }

    fn observation(termination: Termination, stdout: &str, stderr: &str) -> Observation {
        Observation {
            termination,
            wall_ms: 12,
            stdout: output(stdout),
            stderr: output(stderr),
            leftover_processes: 0,
            cpu_us: 0,
            census: None,
            containment: Vec::new(),
            resources: None,
            load_credit_ms: 0,
            interference: None,
        }
    }

    fn exited(code: i32, stdout: &str) -> Observation {
        observation(Termination::Exited { code }, stdout, "")
    }

    fn signaled(signal: i32, name: &str) -> Observation {
        let termination = Termination::Signaled {
            signal,
            name: name.to_owned(),
            core_dumped: false,
            cpu_limit_s: None,
        };
        observation(termination, "", "")
    }

    fn timed_out() -> Observation {
        observation(
            Termination::TimedOut {
                limit_ms: 5000,
                cpu_ms: Some(4900),
            },
            "",
            "",
        )
    }

    fn strings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    fn replay(vars: &[(&str, &str)], env: &[(&str, &str)]) -> Replay {
        Replay {
            seed: 1,
            vars: strings(vars),
            command: vec!["target/release/prog".to_owned()],
            env: strings(env),
            shell: "cargo run --quiet --release --bin prog --".to_owned(),
            ..Replay::default()
        }
    }

    /// Grades `observation` as the only case of `check`, which has no case variables.
    fn grade(check: &Check, observation: Observation) -> CaseGrade {
        evaluate_case(check, "default", replay(&[], &[]), observation)
    }

    /// `(what, expected, actual)` of every failure.
    fn failures(case: &CaseGrade) -> Vec<(&str, &str, &str)> {
        case.failures
            .iter()
            .map(|failure| {
                (
                    failure.what.as_str(),
                    failure.expected.as_str(),
                    failure.actual.as_str(),
                )
            })
            .collect()
    }

    #[track_caller]
    fn assert_close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "{actual} is not {expected}"
        );
    }

    fn build(status: BuildStatus, missing_files: &[&str]) -> BuildGrade {
        BuildGrade {
            status,
            score: if status == BuildStatus::Built {
                10.0
            } else {
                0.0
            },
            max_score: 10.0,
            duration_ms: 1000,
            reused: false,
            missing_files: missing_files
                .iter()
                .map(|file| (*file).to_owned())
                .collect(),
            diagnostics: String::new(),
        }
    }

    fn graded(id: &str, status: CheckStatus, score: f64, max_score: f64) -> CheckGrade {
        CheckGrade {
            id: id.to_owned(),
            title: id.to_owned(),
            score,
            max_score,
            status,
            reason: None,
            info: Vec::new(),
            timings: Vec::new(),
            visibility: crate::rubric::Visibility::Visible,
            details: crate::rubric::Details::Full,
            source: None,
            cases: Vec::new(),
        }
    }

    #[test]
    fn syscalls_are_required_and_forbidden_by_pattern() {
        let check = parse_check(
            "syscalls = { require = [\"socketpair(SOCK_SEQPACKET|SOCK_DGRAM)\"], forbid = [\"pipe\"] }\n",
        );
        assert!(check.traced() && check.observes_syscalls());
        let with_calls = |calls: &[(&str, u64)]| {
            let mut observation = exited(0, "");
            observation.census = Some(crate::run::Census {
                syscalls: Some(
                    calls
                        .iter()
                        .map(|(name, count)| ((*name).to_owned(), *count))
                        .collect(),
                ),
                ..crate::run::Census::default()
            });
            observation
        };
        assert!(
            grade(
                &check,
                with_calls(&[("socketpair(SOCK_DGRAM)", 1), ("read", 9)])
            )
            .passed
        );
        assert!(grade(&check, with_calls(&[("socketpair(SOCK_SEQPACKET)", 1)])).passed);
        let case = grade(
            &check,
            with_calls(&[("socketpair(SOCK_STREAM)", 1), ("pipe", 2)]),
        );
        assert_eq!(
            failures(&case),
            [
                (
                    "system calls",
                    "a call to socketpair(SOCK_SEQPACKET|SOCK_DGRAM)",
                    "it made pipe ×2, socketpair(SOCK_STREAM) ×1"
                ),
                ("system calls", "no call to pipe", "it made pipe ×2"),
            ]
        );
        let case = grade(&check, exited(0, ""));
        assert_eq!(failures(&case)[0].0, "system calls");
        assert!(failures(&case)[0].2.contains("not observed"));
    }

    /// `per-message`: as many matching calls as the seed's messages, or one more.
    #[test]
    fn per_message_calls_are_counted_against_the_messages() {
        let check = parse_check("syscalls = { per-message = [\"send(data)\"] }\n");
        let messages = labgrade_support::ipc_messages(5).len() as u64;
        let sends = |count: u64| {
            let mut observation = exited(0, "");
            observation.census = Some(crate::run::Census {
                syscalls: Some(
                    [
                        ("send(data)".to_owned(), count),
                        ("send(empty)".to_owned(), 1),
                    ]
                    .into_iter()
                    .collect(),
                ),
                ..crate::run::Census::default()
            });
            evaluate_case(
                &check,
                "default",
                replay(&[], &[("LABGRADE_SEED", "5")]),
                observation,
            )
        };
        assert!(sends(messages).passed);
        assert!(sends(messages + 1).passed);
        for wrong in [messages - 1, messages + 2, 3 * messages] {
            let case = sends(wrong);
            let actual = format!("it made {wrong}");
            assert_eq!(
                failures(&case),
                [(
                    "system calls",
                    format!(
                        "one call to send(data) per message: {messages} for the {messages} messages, or {} with one that ends the series",
                        messages + 1
                    )
                    .as_str(),
                    actual.as_str()
                )]
            );
        }
    }

    #[test]
    fn exit_code_must_match_exactly() {
        let check = parse_check("expect = { exit = 3 }\n");
        let case = grade(&check, exited(3, ""));
        assert!(case.passed, "{:?}", case.failures);
        assert!(case.failures.is_empty());
        assert_eq!(case.name, "default");
        assert_eq!(case.observed.termination_text, "exited with code 3");

        for code in [0, 1, 4, 255] {
            let case = grade(&check, exited(code, ""));
            assert!(
                !case.passed,
                "exit code {code} passed an `exit = 3` expectation"
            );
            let actual = format!("it exited with code {code}");
            assert_eq!(
                failures(&case),
                [(
                    "termination",
                    "the program to exit with code 3",
                    actual.as_str()
                )]
            );
        }
    }

    #[test]
    fn exit_zero_is_the_default_expectation() {
        let check = parse_check("");
        assert_eq!(check.expect, Expect::Exit(0));
        assert!(grade(&check, exited(0, "")).passed);
        assert!(!grade(&check, exited(1, "")).passed);
    }

    #[test]
    fn nonzero_means_any_exit_code_but_zero() {
        let check = parse_check("expect = { exit = \"nonzero\" }\n");
        for code in [1, 2, 101, 255] {
            assert!(
                grade(&check, exited(code, "")).passed,
                "exit code {code} is non-zero"
            );
        }
        let case = grade(&check, exited(0, ""));
        assert_eq!(
            failures(&case),
            [(
                "termination",
                "the program to exit with a non-zero code",
                "it exited with code 0"
            )]
        );
        // A crash is not an exit "by itself".
        assert!(!grade(&check, signaled(11, "SIGSEGV")).passed);
    }

    #[test]
    fn expected_signal_is_met_only_by_that_signal() {
        let check = parse_check("expect = { signal = \"SIGSEGV\" }\n");
        let case = grade(&check, signaled(11, "SIGSEGV"));
        assert!(case.passed, "{:?}", case.failures);

        let case = grade(&check, signaled(6, "SIGABRT"));
        assert_eq!(
            failures(&case),
            [(
                "termination",
                "the program to be killed by signal SIGSEGV (11)",
                "it was killed by signal SIGABRT (6)"
            )]
        );
        // Exiting with the code a shell would show for a SIGSEGV death is not a SIGSEGV death.
        assert!(!grade(&check, exited(139, "")).passed);
        assert!(!grade(&check, exited(0, "")).passed);
    }

    #[test]
    fn a_crash_fails_an_exit_expectation() {
        let check = parse_check("");
        let case = grade(&check, signaled(11, "SIGSEGV"));
        assert!(!case.passed);
        assert_eq!(
            failures(&case),
            [(
                "termination",
                "the program to exit with code 0",
                "it was killed by signal SIGSEGV (11)"
            )]
        );
    }

    #[test]
    fn timing_out_never_meets_an_expectation() {
        for expect in [
            "expect = { exit = 0 }\n",
            "expect = { exit = \"nonzero\" }\n",
            "expect = { signal = \"SIGKILL\" }\n",
            "expect = { signal = \"SIGTERM\" }\n",
        ] {
            let check = parse_check(expect);
            let case = grade(&check, timed_out());
            assert!(!case.passed, "a timed-out run met `{expect}`");
            assert_eq!(case.failures.len(), 1);
            assert_eq!(case.failures[0].what, "termination");
            assert_eq!(
                case.failures[0].actual,
                "it was still running after the time limit of 5s, so labgrade killed it (it had used 4.90 s of CPU: busy)"
            );
        }
    }

    #[test]
    fn runs_stopped_at_the_first_failure_say_how_many_were_not_made() {
        let check = parse_check("stdout = [{ line = \"ok\" }]\n");
        let runs = vec![
            grade(&check, exited(0, "ok\n")),
            grade(&check, exited(0, "ok\n")),
            grade(&check, exited(0, "no\n")),
        ];
        let case = combine_runs(runs.clone(), 50).unwrap();
        assert!(!case.passed);
        assert_eq!((case.runs, case.passed_runs), (3, 2));
        assert_eq!(
            failures(&case)[0],
            (
                "runs",
                "every one of 50 runs to pass",
                "run 3 failed, after 2 that passed; the other 47 were not run, since one failed run decides"
            )
        );
        // With `--every-run` all of them were made.
        let case = combine_runs(runs, 3).unwrap();
        assert_eq!(
            failures(&case)[0].2,
            "2 of 3 passed; the first failing run is shown"
        );
    }

    const SUM_CHECK: &str = r#"args = ["{workers}"]
cases = { workers = [1, 3] }
stdout = [{ regex = '^Array sum is: (?<sum>-?\d+)\s*$' }]
compare = [{ capture = "sum", oracle = "array-sum" }]
"#;

    #[test]
    fn captured_sum_is_compared_to_the_oracle() {
        let check = parse_check(SUM_CHECK);
        assert_eq!(check.cases.len(), 2);
        let right = labgrade_support::array_sum(42, 1000);
        let env = [(SEED_VAR, "42"), (LEN_VAR, "1000")];

        let stdout = format!("Array sum is: {right}\nTime spent: 3 ms\n");
        let case = evaluate_case(
            &check,
            "workers=3",
            replay(&[("workers", "3")], &env),
            exited(0, &stdout),
        );
        assert!(case.passed, "{:?}", case.failures);
        assert_eq!(case.name, "workers=3");
        assert_eq!(
            case.observed.captures,
            strings(&[("sum", &right.to_string())])
        );

        // Off by one element's worth: a dropped remainder.
        let wrong = right - 17;
        let stdout = format!("Array sum is: {wrong}\n");
        let case = evaluate_case(
            &check,
            "workers=3",
            replay(&[("workers", "3")], &env),
            exited(0, &stdout),
        );
        assert!(!case.passed);
        let expected = format!("`sum` to be {right}");
        let actual = format!("`sum` was {wrong}");
        assert_eq!(
            failures(&case),
            [("compare", expected.as_str(), actual.as_str())]
        );
    }

    #[test]
    fn oracle_follows_the_seed_of_the_case() {
        let check = parse_check(SUM_CHECK);
        let stdout = format!("Array sum is: {}\n", labgrade_support::array_sum(1, 500));
        let seed_1 = replay(&[("workers", "1")], &[(SEED_VAR, "1"), (LEN_VAR, "500")]);
        let seed_2 = replay(&[("workers", "1")], &[(SEED_VAR, "2"), (LEN_VAR, "500")]);
        assert!(evaluate_case(&check, "workers=1", seed_1, exited(0, &stdout)).passed);
        // Printing the same number for every seed earns nothing.
        assert!(!evaluate_case(&check, "workers=1", seed_2, exited(0, &stdout)).passed);
    }

    #[test]
    fn oracle_without_its_input_is_a_compare_failure() {
        let check = parse_check(SUM_CHECK);
        let case = evaluate_case(
            &check,
            "workers=1",
            replay(&[("workers", "1")], &[]),
            exited(0, "Array sum is: 5\n"),
        );
        assert_eq!(
            failures(&case),
            [(
                "compare",
                "`sum` to be checked",
                "the right value could not be computed: `LABGRADE_SEED` is not set for this case"
            )]
        );
    }

    #[test]
    fn capture_is_compared_to_a_literal_with_a_placeholder() {
        let check = parse_check(
            r#"args = ["{workers}"]
cases = { workers = [7] }
stdout = [{ regex = '^workers: (?<n>\S+)$' }]
compare = [{ capture = "n", equals = "{workers}" }]
"#,
        );
        let vars = [("workers", "7")];
        let run = |stdout: &str| {
            evaluate_case(&check, "workers=7", replay(&vars, &[]), exited(0, stdout))
        };
        assert!(run("workers: 7\n").passed);
        // Integers compare as numbers.
        assert!(run("workers: 007\n").passed);
        assert!(run("workers: +7\n").passed);
        let case = run("workers: 8\n");
        assert_eq!(failures(&case), [("compare", "`n` to be 7", "`n` was 8")]);
        // Anything else compares as text.
        assert!(!run("workers: 7.0\n").passed);
        assert!(!run("workers: seven\n").passed);
    }

    #[test]
    fn integer_literal_and_text_literal_compare() {
        let check = parse_check(
            r#"stdout = [{ regex = 'count=(?<count>\d+)' }, { regex = 'state=(?<state>\w+)' }]
compare = [{ capture = "count", equals = 12 }, { capture = "state", equals = "done" }]
"#,
        );
        assert!(grade(&check, exited(0, "count=0012 state=done\n")).passed);
        let case = grade(&check, exited(0, "count=12 state=Done\n"));
        assert_eq!(
            failures(&case),
            [("compare", "`state` to be done", "`state` was Done")]
        );
    }

    #[test]
    fn contains_finds_rendered_text_anywhere() {
        let check = parse_check(
            r#"args = ["{workers}"]
cases = { workers = [4] }
stdout = [{ contains = "{workers} workers" }]
"#,
        );
        let vars = [("workers", "4")];
        let run = |stdout: &str| {
            evaluate_case(&check, "workers=4", replay(&vars, &[]), exited(0, stdout))
        };
        assert!(run("started 4 workers, done\n").passed);
        let case = run("started 3 workers\n");
        assert_eq!(
            failures(&case),
            [(
                "stdout",
                "stdout to contain the text `4 workers`",
                "stdout was \"started 3 workers\\n\""
            )]
        );
    }

    #[test]
    fn line_must_be_a_whole_line_up_to_trailing_whitespace() {
        let check = parse_check("stdout = [{ line = \"done\" }]\n");
        assert!(grade(&check, exited(0, "done")).passed);
        assert!(grade(&check, exited(0, "start\ndone\nend\n")).passed);
        assert!(grade(&check, exited(0, "done   \t\n")).passed);
        assert!(grade(&check, exited(0, "start\r\ndone\r\n")).passed);
        // Not a substring of a longer line, and leading whitespace counts.
        for stdout in [
            "all done\n",
            "done!\n",
            "undone\n",
            "  done\n",
            "do\nne\n",
            "",
        ] {
            let case = grade(&check, exited(0, stdout));
            assert!(!case.passed, "{stdout:?} has no line `done`");
            assert_eq!(case.failures.len(), 1);
            assert_eq!(
                case.failures[0].expected,
                "stdout to contain the line `done`"
            );
        }
    }

    #[test]
    fn stderr_matchers_look_at_stderr_only() {
        let check =
            parse_check("expect = { exit = \"nonzero\" }\nstderr = [{ contains = \"usage\" }]\n");
        let case = grade(
            &check,
            observation(Termination::Exited { code: 2 }, "", "usage: prog <n>\n"),
        );
        assert!(case.passed, "{:?}", case.failures);

        let case = grade(
            &check,
            observation(Termination::Exited { code: 2 }, "usage: prog <n>\n", ""),
        );
        assert_eq!(
            failures(&case),
            [(
                "stderr",
                "stderr to contain the text `usage`",
                "stderr was empty"
            )]
        );
    }

    #[test]
    fn regex_that_does_not_match_is_reported_once() {
        let check = parse_check(SUM_CHECK);
        let env = [(SEED_VAR, "42"), (LEN_VAR, "1000")];
        let case = evaluate_case(
            &check,
            "workers=1",
            replay(&[("workers", "1")], &env),
            exited(0, "Sum of the array: 5\n"),
        );
        assert!(!case.passed);
        // The compare of `sum` is not reported on top of the regex.
        assert_eq!(
            failures(&case),
            [(
                "stdout",
                r"stdout to contain a match of regex `^Array sum is: (?<sum>-?\d+)\s*$`",
                r#"stdout was "Sum of the array: 5\n""#
            )]
        );
        assert!(case.observed.captures.is_empty());
    }

    #[test]
    fn regex_matching_without_the_compared_group_fails() {
        let check = parse_check(
            r#"stdout = [{ regex = '^(Array sum is: (?<sum>\d+)|overflow)$' }]
compare = [{ capture = "sum", equals = 10 }]
"#,
        );
        assert!(grade(&check, exited(0, "Array sum is: 10\n")).passed);
        let case = grade(&check, exited(0, "overflow\n"));
        assert!(!case.passed, "the compare of `sum` was skipped");
        assert_eq!(
            failures(&case),
            [(
                "compare",
                "`sum` to be captured",
                "the output matched without a value for `sum`"
            )]
        );
    }

    #[test]
    fn failures_of_every_kind_are_listed_together() {
        let check =
            parse_check("stdout = [{ line = \"ok\" }]\nstderr = [{ contains = \"warning\" }]\n");
        let case = grade(&check, signaled(11, "SIGSEGV"));
        let what: Vec<&str> = case
            .failures
            .iter()
            .map(|failure| failure.what.as_str())
            .collect();
        assert_eq!(what, ["termination", "stdout", "stderr"]);
    }

    #[test]
    fn any_signal_is_met_by_every_signal_but_not_by_an_exit_or_a_timeout() {
        let check = parse_check("expect = { signal = \"any\" }\n");
        assert!(grade(&check, signaled(6, "SIGABRT")).passed);
        assert!(grade(&check, signaled(11, "SIGSEGV")).passed);
        let exited = grade(&check, exited(0, ""));
        assert!(!exited.passed);
        assert_eq!(
            exited.failures[0].expected,
            "the program to be killed by a signal"
        );
        assert!(!grade(&check, timed_out()).passed);
    }

    #[test]
    fn truncated_output_and_long_output_are_said_so() {
        let check = parse_check("stdout = [{ line = \"done\" }]\n");
        let mut run = exited(0, &"x".repeat(1000));
        run.stdout.truncated = true;
        run.stdout.total_bytes = 5000;
        let case = grade(&check, run);
        let expected = format!(
            "stdout was \"{}…\" (it wrote 5000 bytes; only the first 1000 were kept)",
            "x".repeat(400)
        );
        assert_eq!(case.failures[0].actual, expected);
    }

    /// Grades the 6 cases of a 40-point check, of which the first `passing` pass.
    fn six_cases(scoring: &str, passing: usize) -> (Check, Vec<CaseGrade>) {
        let check = parse_check(&format!(
            "args = [\"{{n}}\"]\ncases = {{ n = [1, 2, 3, 4, 5, 6] }}\n{scoring}stdout = [{{ line = \"ok\" }}]\n"
        ));
        assert_eq!(check.cases.len(), 6);
        let cases = check
            .cases
            .iter()
            .enumerate()
            .map(|(index, case)| {
                let stdout = if index < passing { "ok\n" } else { "not ok\n" };
                let vars: Vec<(&str, &str)> = case
                    .vars
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                evaluate_case(&check, &case.name, replay(&vars, &[]), exited(0, stdout))
            })
            .collect();
        (check, cases)
    }

    #[test]
    fn per_case_scoring_shares_the_points_over_the_cases() {
        let (check, cases) = six_cases("", 4);
        let grade = score_check(&check, cases);
        assert_close(grade.score, 160.0 / 6.0);
        assert!((grade.score - 26.67).abs() < 0.005);
        assert_close(grade.max_score, 40.0);
        assert_eq!(grade.status, CheckStatus::Partial);
        assert_eq!(grade.id, "c");
        assert_eq!(grade.reason, None);
        assert_eq!(grade.cases.len(), 6);
        for (index, case) in grade.cases.iter().enumerate() {
            assert_eq!(case.passed, index < 4);
            assert_close(case.score, if index < 4 { 40.0 / 6.0 } else { 0.0 });
        }
        assert_close(grade.cases.iter().map(|case| case.score).sum(), grade.score);
    }

    #[test]
    fn per_case_status_follows_the_passed_cases() {
        let (check, cases) = six_cases("", 6);
        let grade = score_check(&check, cases);
        assert_eq!(grade.status, CheckStatus::Passed);
        assert_close(grade.score, 40.0);

        let (check, cases) = six_cases("", 1);
        let grade = score_check(&check, cases);
        assert_eq!(grade.status, CheckStatus::Partial);
        assert_close(grade.score, 40.0 / 6.0);

        let (check, cases) = six_cases("", 0);
        let grade = score_check(&check, cases);
        assert_eq!(grade.status, CheckStatus::Failed);
        assert_close(grade.score, 0.0);
    }

    #[test]
    fn all_or_nothing_needs_every_case() {
        let scoring = "scoring = \"all-or-nothing\"\n";
        let (check, cases) = six_cases(scoring, 6);
        assert_eq!(check.scoring, Scoring::AllOrNothing);
        let grade = score_check(&check, cases);
        assert_eq!(grade.status, CheckStatus::Passed);
        assert_close(grade.score, 40.0);

        // `partial` means some points (rubrics/README.md, "Statuses"): 5 of 6 earn none.
        let (check, cases) = six_cases(scoring, 5);
        let grade = score_check(&check, cases);
        assert_close(grade.score, 0.0);
        assert_close(grade.max_score, 40.0);
        assert_eq!(grade.status, CheckStatus::Failed);
        assert!(grade.cases.iter().all(|case| case.score == 0.0));

        let (check, cases) = six_cases(scoring, 0);
        let grade = score_check(&check, cases);
        assert_eq!(grade.status, CheckStatus::Failed);
        assert_close(grade.score, 0.0);
    }

    #[test]
    fn check_without_cases_scores_its_default_case() {
        let check = parse_check("");
        assert_eq!(check.cases.len(), 1);
        let grade_of = |code| score_check(&check, vec![grade(&check, exited(code, ""))]);
        let passed = grade_of(0);
        assert_eq!(passed.status, CheckStatus::Passed);
        assert_close(passed.score, 40.0);
        let failed = grade_of(1);
        assert_eq!(failed.status, CheckStatus::Failed);
        assert_close(failed.score, 0.0);
    }

    #[test]
    fn unscored_check_keeps_its_reason_and_cases() {
        let check = parse_check("");
        let case = grade(&check, exited(0, ""));
        let grade = unscored_check(
            &check,
            CheckStatus::Error,
            "could not run".to_owned(),
            vec![case],
        );
        assert_eq!(grade.status, CheckStatus::Error);
        assert_eq!(grade.reason.as_deref(), Some("could not run"));
        assert_close(grade.score, 0.0);
        assert_close(grade.max_score, 40.0);
        assert_eq!(grade.cases.len(), 1);
    }

    #[test]
    fn a_failed_build_blocks_every_check() {
        let check = parse_check("");
        assert_eq!(check.needs, ["build"]);
        assert_eq!(
            blocked_by(&check, &build(BuildStatus::Built, &[]), &[]),
            None
        );
        assert_eq!(
            reason(blocked_by(
                &check,
                &build(BuildStatus::MissingFiles, &["src/a.rs", "src/b.rs"]),
                &[]
            ))
            .as_deref(),
            Some("not run: the submission lacks `src/a.rs`, `src/b.rs`")
        );
        assert_eq!(
            reason(blocked_by(
                &check,
                &build(BuildStatus::CompileError, &[]),
                &[]
            ))
            .as_deref(),
            Some("not run: the submission does not compile")
        );
        assert_eq!(
            reason(blocked_by(&check, &build(BuildStatus::TimedOut, &[]), &[])).as_deref(),
            Some("not run: the build ran past its time limit")
        );
    }

    #[test]
    fn a_needed_check_must_pass_in_full() {
        let checks = parse_checks(
            r#"[[check]]
id = "sum"
title = "Sum"
points = 40
run = "prog"

[[check]]
id = "timing"
title = "Timing"
points = 5
run = "prog"
needs = ["sum"]
"#,
        );
        let timing = &checks[1];
        assert_eq!(timing.needs, ["build", "sum"]);
        let built = build(BuildStatus::Built, &[]);
        let blocked = |status| blocked_by(timing, &built, &[graded("sum", status, 20.0, 40.0)]);
        assert_eq!(blocked(CheckStatus::Passed), None);
        for status in [
            CheckStatus::Partial,
            CheckStatus::Failed,
            CheckStatus::Skipped,
        ] {
            assert_eq!(
                blocked(status),
                Some((
                    CheckStatus::Skipped,
                    "not run: it needs check `sum` to pass in full".to_owned()
                )),
                "{status:?}"
            );
        }
        // What could not be graded leaves what needs it ungraded too, not failed.
        assert_eq!(
            blocked(CheckStatus::Error),
            Some((
                CheckStatus::Error,
                "not run: it needs check `sum`, which labgrade could not grade".to_owned()
            ))
        );
        // The build is reported before a needed check.
        let failed_build = build(BuildStatus::CompileError, &[]);
        assert_eq!(
            blocked_by(
                timing,
                &failed_build,
                &[graded("sum", CheckStatus::Skipped, 0.0, 40.0)]
            )
            .map(|(_, reason)| reason)
            .as_deref(),
            Some("not run: the submission does not compile")
        );
    }

    fn reason(blocked: Option<(CheckStatus, String)>) -> Option<String> {
        blocked.map(|(_, reason)| reason)
    }

    fn header() -> GradeHeader {
        GradeHeader {
            exercise: "sum-array".to_owned(),
            rubric: "rubrics/sum-array.toml".to_owned(),
            submission: "subs/alice".to_owned(),
            seed: 3,
        }
    }

    #[test]
    fn total_adds_the_build_and_every_check() {
        let checks = vec![
            graded("a", CheckStatus::Partial, 160.0 / 6.0, 40.0),
            graded("b", CheckStatus::Passed, 5.0, 5.0),
            graded("c", CheckStatus::Skipped, 0.0, 5.0),
            graded("d", CheckStatus::Failed, 0.0, 40.0),
        ];
        let grade = total(header(), build(BuildStatus::Built, &[]), checks);
        assert_close(grade.score, 10.0 + 160.0 / 6.0 + 5.0);
        assert_close(grade.max_score, 100.0);
        assert_eq!(grade.status, GradeStatus::Graded);
        assert_eq!(grade.version, super::super::model::GRADE_FORMAT_VERSION);
        assert_eq!(grade.labgrade_version, env!("CARGO_PKG_VERSION"));
        assert_eq!(
            (grade.exercise.as_str(), grade.rubric.as_str()),
            ("sum-array", "rubrics/sum-array.toml")
        );
        assert_eq!((grade.submission.as_str(), grade.seed), ("subs/alice", 3));
        let ids: Vec<&str> = grade.checks.iter().map(|check| check.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
        assert!(!grade.is_full_marks());
    }

    #[test]
    fn a_check_in_error_makes_the_grade_incomplete() {
        let checks = vec![
            graded("a", CheckStatus::Passed, 40.0, 40.0),
            graded("b", CheckStatus::Error, 0.0, 60.0),
        ];
        let grade = total(header(), build(BuildStatus::Built, &[]), checks);
        assert_eq!(grade.status, GradeStatus::Incomplete);
        assert_close(grade.score, 50.0);
        assert_close(grade.max_score, 110.0);
        assert!(!grade.is_full_marks());
    }

    #[test]
    fn full_marks_need_every_point() {
        let checks = vec![graded("a", CheckStatus::Passed, 40.0, 40.0)];
        let grade = total(header(), build(BuildStatus::Built, &[]), checks);
        assert_eq!(grade.status, GradeStatus::Graded);
        assert!(grade.is_full_marks());
        let grade = total(header(), build(BuildStatus::CompileError, &[]), Vec::new());
        assert_close(grade.score, 0.0);
        assert_close(grade.max_score, 10.0);
        assert!(!grade.is_full_marks());
    }

    /// A thread created at `started` µs, held `delay` µs, ended at `ended` µs.
    fn thread(tid: i32, started: u64, delay: u64, ended: Option<u64>) -> crate::run::Task {
        crate::run::Task {
            tid,
            kind: TaskKind::Thread,
            process: 1,
            parent: Some(1),
            started_us: started,
            ended_us: ended,
            cpu_us: 0,
            waiting_us: 0,
            voluntary_switches: 0,
            involuntary_switches: 0,
            termination: None,
            reaping: None,
            delay_us: delay,
            stack: None,
            stack_top: None,
        }
    }

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
    fn any_exit_takes_every_code_but_no_signal_or_timeout() {
        let vars = BTreeMap::new();
        for code in [0, 1, 42] {
            let exited = Termination::Exited { code };
            assert!(termination_failure(&Expect::AnyExit, &exited, "exited", &vars).is_none());
        }
        let killed = Termination::Signaled {
            signal: 11,
            name: "SIGSEGV".to_owned(),
            core_dumped: false,
            cpu_limit_s: None,
        };
        let failure = termination_failure(&Expect::AnyExit, &killed, "killed by SIGSEGV", &vars)
            .expect("a signal is not an exit");
        assert_eq!(
            failure.expected,
            "the program to exit by itself, with any code"
        );
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
        assert_eq!(failure.what, "census");
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

    fn with_stack(mut task: crate::run::Task, start: u64, end: u64) -> crate::run::Task {
        task.stack = Some(crate::run::StackRange { start, end });
        task
    }

    #[test]
    fn stacks_must_be_large_enough_and_apart() {
        let apart = [
            with_stack(thread(2, 0, 0, Some(9)), 0x10_0000, 0x14_0000),
            with_stack(thread(3, 1, 0, Some(9)), 0x20_0000, 0x24_0000),
        ];
        assert!(stacks_failure(&apart, "262144").is_none());
        let small = stacks_failure(&apart, "262145").expect("too small");
        assert_eq!(small.actual, "thread 1 ran on a stack of 262144 bytes");
        let shared = [
            with_stack(thread(2, 0, 0, Some(9)), 0x10_0000, 0x14_0000),
            with_stack(thread(3, 1, 0, Some(9)), 0x13_0000, 0x17_0000),
        ];
        let failure = stacks_failure(&shared, "4096").expect("overlapping stacks");
        assert!(
            failure
                .actual
                .starts_with("threads 1 and 2 ran on the same stack")
        );
        let unknown = stacks_failure(&[thread(2, 0, 0, Some(9))], "4096").expect("no stack");
        assert_eq!(unknown.actual, "the stack of thread 1 could not be found");
        assert!(stacks_failure(&apart, "{size}").is_some());
    }

    #[test]
    fn printed_stacks_must_be_one_in_each_thread_stack() {
        let tasks = [
            with_stack(thread(2, 0, 0, Some(9)), 0x10_0000, 0x14_0000),
            with_stack(thread(3, 1, 0, Some(9)), 0x20_0000, 0x24_0000),
        ];
        let good = "thread 0: stack at 0x13fff0\nthread 1: [0x23ff00]\n";
        assert!(printed_stacks_failure(&tasks, good).is_none());
        let same = "thread 0: 0x13fff0\nthread 1: 0x13ff00\n";
        let failure = printed_stacks_failure(&tasks, same).expect("same stack twice");
        assert!(
            failure.actual.contains("both lie in the stack of thread 1"),
            "{failure:?}"
        );
        let outside = printed_stacks_failure(&tasks, "0x7ffe00000000").expect("outside");
        assert_eq!(
            failure_text(&outside),
            "0x7ffe00000000 lies in the stack of no thread"
        );
        let missing = printed_stacks_failure(&tasks, "0x13fff0").expect("one missing");
        assert_eq!(
            failure_text(&missing),
            "no printed address lies in the stack of thread 2 (1 addresses for 2 threads)"
        );
    }

    #[test]
    fn thread_local_storage_above_the_stack_top_is_not_the_stack() {
        let mut first = with_stack(thread(2, 0, 0, Some(9)), 0x10_0000, 0x14_0000);
        first.stack_top = Some(0x13_f000);
        let mut second = with_stack(thread(3, 1, 0, Some(9)), 0x20_0000, 0x24_0000);
        second.stack_top = Some(0x23_f000);
        let tasks = [first, second];
        let locals = "thread 0: 0x13e000\nthread 1: 0x23e000\n";
        assert!(printed_stacks_failure(&tasks, locals).is_none());
        // A thread-local variable lives above the stack pointer the thread started with.
        let thread_local = "thread 0: 0x13f800\nthread 1: 0x23e000\n";
        let failure = printed_stacks_failure(&tasks, thread_local).expect("not a local");
        assert_eq!(
            failure_text(&failure),
            "0x13f800 lies in the stack of no thread"
        );
    }

    fn failure_text(failure: &Failure) -> &str {
        &failure.actual
    }
}
