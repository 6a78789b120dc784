//! Hand-made rubrics and observations that the unit tests of every rule family grade.

use std::collections::BTreeMap;
use std::path::Path;

use super::super::model::{
    BuildGrade, BuildStatus, CaseGrade, CheckGrade, CheckStatus, ReplayRecipe,
};
use super::case::evaluate_case;
use crate::rubric::Check;
use crate::run::{CapturedOutput, Observation, TaskKind, Termination};

/// Lines 1 to 4 of every test rubric.
pub(super) const EXERCISE: &str =
    "[exercise]\nname = \"t\"\npackage = \"pkg\"\nfiles = [\"src/main.rs\"]\n";

/// The checks of the rubric made of [`EXERCISE`] and `checks`, in the order they run.
pub(super) fn parse_checks(checks: &str) -> Vec<Check> {
    let text = format!("{EXERCISE}{checks}");
    match crate::rubric::parse(Path::new("t.toml"), &text) {
        Ok(rubric) => rubric.checks,
        Err(error) => panic!("the test rubric is invalid: {error}"),
    }
}

/// The only check of a rubric whose `[[check]]` table holds `keys` after its required ones.
pub(super) fn parse_check(keys: &str) -> Check {
    let mut checks = parse_checks(&format!(
        "[[check]]\nid = \"c\"\ntitle = \"C\"\npoints = 40\nrun = \"prog\"\n{keys}"
    ));
    assert_eq!(checks.len(), 1);
    checks.remove(0)
}

pub(super) fn output(text: &str) -> CapturedOutput {
    CapturedOutput {
        text: text.to_owned(),
        total_bytes: text.len() as u64,
        truncated: false,
    }
}

pub(super) fn observation(termination: Termination, stdout: &str, stderr: &str) -> Observation {
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
        waiting: None,
    }
}

pub(super) fn exited(code: i32, stdout: &str) -> Observation {
    observation(Termination::Exited { code }, stdout, "")
}

pub(super) fn signaled(signal: i32, name: &str) -> Observation {
    let termination = Termination::Signaled {
        signal,
        name: name.to_owned(),
        core_dumped: false,
        cpu_limit_s: None,
    };
    observation(termination, "", "")
}

pub(super) fn timed_out() -> Observation {
    observation(
        Termination::TimedOut {
            limit_ms: 5000,
            cpu_ms: Some(4900),
            hung: None,
        },
        "",
        "",
    )
}

pub(super) fn strings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

pub(super) fn replay_recipe(vars: &[(&str, &str)], env: &[(&str, &str)]) -> ReplayRecipe {
    ReplayRecipe {
        seed: 1,
        vars: strings(vars),
        command: vec!["target/release/prog".to_owned()],
        env: strings(env),
        shell: "cargo run --quiet --release --bin prog --".to_owned(),
        ..ReplayRecipe::default()
    }
}

/// Grades `observation` as the only case of `check`, which has no case variables.
pub(super) fn grade(check: &Check, observation: Observation) -> CaseGrade {
    evaluate_case(check, "default", replay_recipe(&[], &[]), observation)
}

/// `(what, expected, actual)` of every failure.
pub(super) fn failures(case: &CaseGrade) -> Vec<(&str, &str, &str)> {
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
pub(super) fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "{actual} is not {expected}"
    );
}

pub(super) fn build(status: BuildStatus, missing_files: &[&str]) -> BuildGrade {
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

pub(in crate::grade) fn graded(
    id: &str,
    status: CheckStatus,
    score: f64,
    max_score: f64,
) -> CheckGrade {
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
        findings: Vec::new(),
        cases: Vec::new(),
    }
}

pub(super) const SUM_CHECK: &str = r#"args = ["{workers}"]
cases = { workers = [1, 3] }
stdout = [{ regex = '^Array sum is: (?<sum>-?\d+)\s*$' }]
compare = [{ capture = "sum", oracle = "array-sum" }]
"#;

/// A thread created at `started` µs, held `delay` µs, ended at `ended` µs.
pub(super) fn thread(tid: i32, started: u64, delay: u64, ended: Option<u64>) -> crate::run::Task {
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
        open_fds: None,
    }
}
