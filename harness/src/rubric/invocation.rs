//! What decides the runs of a check, apart from what is judged of them and how many: two
//! checks with equal invocations are judged on the very same runs, made once per grading
//! (`made_runs.rs`), the one with fewer `repeat` on the first of them. A rubric often judges one program's runs for several requirements, each with its
//! own points (the payload, then its timing, then its CPU cost); running the program again for
//! each would only cost time, and on a 2-core machine a run of seconds is most of a grading.

use std::collections::BTreeMap;
use std::time::Duration;

use super::model::{Case, Check, FaultPlan, Rubric, RubricTest, RunLimits, TaskStart};
use super::template::Template;

/// Everything of a check that shapes each of its runs: the program, its arguments and
/// environment, the cases, the limits and what the tracer does (which tells a traced run from
/// an untraced one). Not how many runs (`repeat`), nor its matchers, comparisons, census rules
/// or points.
///
/// So it is the check's [`CheckRuns`](super::CheckRuns) but `repeat`, plus what its
/// [`Rules`](super::Rules) ask of the tracer (`traced`, `observes_syscalls`, `stacks`,
/// `descriptors`, `ipc_objects`): a
/// check's `runs` compared whole would tell apart checks that differ only in `repeat`.
#[derive(Debug, PartialEq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "each flag is one independent option of the tracer"
)]
pub struct Invocation<'a> {
    program: &'a str,
    args: &'a [Template],
    env: &'a BTreeMap<String, Template>,
    cases: &'a [Case],
    timeout: Duration,
    output_bytes: u64,
    limits: RunLimits,
    fault: Option<&'a FaultPlan>,
    traced: bool,
    task_start: Option<TaskStart>,
    observes_syscalls: bool,
    short_reads: bool,
    stacks: bool,
    test: Option<&'a RubricTest>,
    descriptors: bool,
    ipc_objects: bool,
}

impl Check {
    /// What shapes this check's runs.
    #[must_use]
    pub fn invocation(&self) -> Invocation<'_> {
        Invocation {
            program: &self.runs.program,
            args: &self.runs.args,
            env: &self.runs.env,
            cases: &self.runs.cases,
            timeout: self.runs.timeout,
            output_bytes: self.runs.output_bytes,
            limits: self.runs.limits,
            fault: self.runs.fault.as_ref(),
            traced: self.traced(),
            task_start: self.runs.task_start,
            observes_syscalls: self.observes_syscalls(),
            short_reads: self.runs.short_reads,
            stacks: self.rules.wants_stacks(),
            test: self.runs.test.as_ref(),
            descriptors: self.rules.wants_descriptors(),
            ipc_objects: self.rules.wants_ipc_objects(),
        }
    }
}

impl Rubric {
    /// The check whose runs `check` is judged on: of the checks with an equal invocation, the
    /// one with the most runs (`repeat`), the first of the rubric among equals; `check` itself
    /// when it is that one. Its id and `repeat` seed the runs, so that a grading and a replay
    /// plan them alike whichever check asks first, and a check with fewer runs is judged on the
    /// first of them.
    #[must_use]
    pub fn runs_of<'a>(&'a self, check: &'a Check) -> &'a Check {
        let invocation = check.invocation();
        self.checks
            .iter()
            .filter(|other| other.invocation() == invocation)
            .fold(check, |most, other| {
                if other.runs.repeat > most.runs.repeat
                    || (other.runs.repeat == most.runs.repeat
                        && self.position(other) < self.position(most))
                {
                    other
                } else {
                    most
                }
            })
    }

    /// Where `check` stands among the rubric's checks (last when it is not one of them).
    fn position(&self, check: &Check) -> usize {
        self.checks
            .iter()
            .position(|other| other.id == check.id)
            .unwrap_or(usize::MAX)
    }
}
