//! Grading proper: a pure function from a check and what its cases did to points.
//!
//! Nothing here runs a program or touches a file, so every rule of the rubric language can be
//! unit-tested with hand-made observations.

use std::collections::BTreeMap;

use super::model::{
    BuildGrade, BuildStatus, CaseGrade, CheckGrade, CheckStatus, Failure, Grade, GradeStatus,
    Observed, Replay,
};
use super::oracle;
use crate::rubric::{Check, Expect, Expected, Matcher, Scoring};
use crate::run::{Observation, Termination};

/// How many characters of output a failure message quotes.
const EXCERPT_CHARS: usize = 400;

/// Grades one case of `check` from what the program did; the case's score is set by
/// [`score_check`].
#[must_use]
pub fn evaluate_case(check: &Check, case_name: &str, replay: Replay, observation: Observation) -> CaseGrade {
    let mut failures = Vec::new();
    if let Some(failure) = termination_failure(&check.expect, &observation.termination) {
        failures.push(failure);
    }
    let mut captures = BTreeMap::new();
    for (stream, matchers, output) in [
        ("stdout", &check.stdout, &observation.stdout),
        ("stderr", &check.stderr, &observation.stderr),
    ] {
        for matcher in matchers {
            if !apply_matcher(matcher, &output.text, &replay.vars, &mut captures) {
                let truncated = if output.truncated {
                    format!(" (only the first {} bytes were kept)", output.text.len())
                } else {
                    String::new()
                };
                failures.push(Failure {
                    what: stream.to_owned(),
                    expected: format!("{stream} to contain {}", matcher.describe()),
                    actual: format!("{stream} was {}{truncated}", excerpt(&output.text)),
                });
            }
        }
    }
    for compare in &check.compares {
        let Some(actual) = captures.get(&compare.capture) else {
            // The regex that defines the capture did not match; that failure is already listed.
            continue;
        };
        let expected = match &compare.expected {
            Expected::Oracle(oracle) => oracle::value(*oracle, &replay.env),
            Expected::Value(template) => Ok(template.render(&replay.vars)),
        };
        match expected {
            Ok(expected) if same_value(actual, &expected) => {}
            Ok(expected) => failures.push(Failure {
                what: "compare".to_owned(),
                expected: format!("`{}` to be {expected}", compare.capture),
                actual: format!("`{}` was {actual}", compare.capture),
            }),
            Err(reason) => failures.push(Failure {
                what: "compare".to_owned(),
                expected: format!("`{}` to be checked", compare.capture),
                actual: format!("the right value could not be computed: {reason}"),
            }),
        }
    }
    CaseGrade {
        name: case_name.to_owned(),
        passed: failures.is_empty(),
        score: 0.0,
        replay,
        observed: Observed {
            termination_text: observation.termination.describe(),
            termination: observation.termination,
            wall_ms: observation.wall_ms,
            stdout: observation.stdout,
            stderr: observation.stderr,
            leftover_processes: observation.leftover_processes,
            captures,
        },
        failures,
    }
}

fn termination_failure(expect: &Expect, termination: &Termination) -> Option<Failure> {
    let holds = match (expect, termination) {
        (Expect::Exit(expected), Termination::Exited { code }) => expected == code,
        (Expect::NonZeroExit, Termination::Exited { code }) => *code != 0,
        (Expect::Signal(expected, _), Termination::Signaled { signal, .. }) => expected == signal,
        _ => false,
    };
    (!holds).then(|| Failure {
        what: "termination".to_owned(),
        expected: format!("the program to {}", expect.describe()),
        actual: match termination {
            Termination::Exited { .. } => format!("it {}", termination.describe()),
            _ => format!("it was {}", termination.describe()),
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
                    captures.entry(name.to_owned()).or_insert_with(|| value.as_str().to_owned());
                }
            }
            true
        }
        Matcher::Contains(template) => text.contains(&template.render(vars)),
        Matcher::Line(template) => {
            let wanted = template.render(vars);
            text.lines().any(|line| line.trim_end() == wanted.trim_end())
        }
    }
}

/// Values compare as integers when both are integers (`007` equals `7`), else as trimmed text.
fn same_value(actual: &str, expected: &str) -> bool {
    match (actual.trim().parse::<i128>(), expected.trim().parse::<i128>()) {
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
        cases,
    }
}

/// A check that did not run, or could not be graded, with the reason.
#[must_use]
pub fn unscored_check(check: &Check, status: CheckStatus, reason: String, cases: Vec<CaseGrade>) -> CheckGrade {
    CheckGrade {
        id: check.id.clone(),
        title: check.title.clone(),
        score: 0.0,
        max_score: f64::from(check.points),
        status,
        reason: Some(reason),
        cases,
    }
}

/// Why `check` cannot run given the checks graded so far, or `None` if everything it needs
/// passed.
#[must_use]
pub fn blocked_by(check: &Check, build: &BuildGrade, graded: &[CheckGrade]) -> Option<String> {
    check.needs.iter().find_map(|need| {
        if need == crate::rubric::BUILD_ID {
            return (build.status != BuildStatus::Built).then(|| match build.status {
                BuildStatus::MissingFiles => format!(
                    "not run: the submission lacks {}",
                    build.missing_files.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
                ),
                BuildStatus::CompileError => "not run: the submission does not compile".to_owned(),
                BuildStatus::TimedOut => "not run: the build ran past its time limit".to_owned(),
                BuildStatus::Built => unreachable!("checked above"),
            });
        }
        let needed = graded.iter().find(|graded| &graded.id == need)?;
        (needed.status != CheckStatus::Passed)
            .then(|| format!("not run: it needs check `{need}` to pass in full"))
    })
}

/// Puts the parts together and totals the score.
#[must_use]
pub fn total(header: GradeHeader, build: BuildGrade, checks: Vec<CheckGrade>) -> Grade {
    let score = build.score + checks.iter().map(|check| check.score).sum::<f64>();
    let max_score = build.max_score + checks.iter().map(|check| check.max_score).sum::<f64>();
    let status = if checks.iter().any(|check| check.status == CheckStatus::Error) {
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
        seed: header.seed,
        status,
        score,
        max_score,
        build,
        checks,
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
