//! The verdict of one run of a case: every rule family's failures put together, and the runs of
//! a case joined into one.

use std::collections::BTreeMap;

use super::super::model::{CaseGrade, Failure, FailureKind, Observed, ReplayRecipe};
use super::census::census_failures;
use super::compare::compare_failure;
use super::figures::run_figures;
use super::output::match_output;
use super::syscalls::syscall_failures;
use super::termination::termination_failure;
use crate::rubric::Check;
use crate::run::Observation;

/// Grades one run of a case of `check` from what the program did; the case's score is set by
/// [`score_check`](super::score_check), and several runs of a case are joined by [`combine_runs`].
#[must_use]
pub fn evaluate_case(
    check: &Check,
    case_name: &str,
    replay: ReplayRecipe,
    observation: Observation,
) -> CaseGrade {
    // Every rule family reads only what the check judges of a run.
    let rules = &check.rules;
    let mut failures = Vec::new();
    let termination_text = observation.termination_text();
    if let Some(failure) = termination_failure(
        &rules.expect,
        &observation.termination,
        &termination_text,
        &replay.vars,
    ) {
        failures.push(failure);
    }
    let (captures, unmatched_groups) = match_output(rules, &replay, &observation, &mut failures);
    for compare in &rules.compares {
        if let Some(failure) =
            compare_failure(compare, &captures, &unmatched_groups, &replay, &observation)
        {
            failures.push(failure);
        }
    }
    census_failures(rules, &replay.vars, &observation, &mut failures);
    syscall_failures(rules, &replay.env, &observation, &mut failures);
    let figures = run_figures(&rules.figures, &observation, &captures);
    CaseGrade {
        name: case_name.to_owned(),
        passed: failures.is_empty(),
        score: 0.0,
        runs: 1,
        passed_runs: u32::from(failures.is_empty()),
        runs_not_made: None,
        replay,
        observed: Observed {
            notes: observation.notes(),
            waiting: observation.waiting,
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
    shown.runs_not_made = (total < planned).then(|| planned - total);
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
                what: FailureKind::Runs,
                expected: format!("every one of {planned} runs to pass"),
                actual,
            },
        );
    }
    Some(shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::evaluate::fixtures::*;

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
        assert_eq!(case.runs_not_made, Some(47));
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
        assert_eq!(case.runs_not_made, None);
        assert_eq!(
            failures(&case)[0].2,
            "2 of 3 passed; the first failing run is shown"
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
}
