//! The Gradescope autograder report: the `results.json` a Gradescope autograder writes to
//! `/autograder/results/results.json` (see `docs/report-format.md`).
//!
//! Each check is one Gradescope test with its score, its visibility (the rubric's
//! `visibility`, which has Gradescope's meaning) and a readable output. Students read these
//! outputs, so checks with `details = "verdict"` show only their verdict; hidden checks keep
//! every detail, since Gradescope never shows them to students. Outputs are text a person
//! reads, so their student text is made inert ([`inert`]): control characters shown, not sent.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Reporter, inert, points};
use crate::grade::{BuildStatus, CheckGrade, CheckStatus, Grade, GradeStatus, redact_check};
use crate::rubric::Visibility;

/// Writes the grade as Gradescope's `results.json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gradescope;

impl Reporter for Gradescope {
    fn report(&self, grade: &Grade, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &results(grade))?;
        writeln!(out)
    }
}

/// The `results.json` object of `grade`.
fn results(grade: &Grade) -> Value {
    let mut tests = Vec::new();
    let build = &grade.build;
    if build.max_score > 0.0 || build.status != BuildStatus::Built {
        tests.push(json!({
            "name": "build",
            "score": build.score,
            "max_score": build.max_score,
            "status": if build.status == BuildStatus::Built { "passed" } else { "failed" },
            "output": if build.status == BuildStatus::Built {
                "the submission compiles".to_owned()
            } else {
                inert(&build.diagnostics).into_owned()
            },
            "output_format": "text",
            "visibility": "visible",
        }));
    }
    for check in &grade.checks {
        let mut shown = check.clone();
        if check.visibility != Visibility::Hidden {
            redact_check(&mut shown);
        }
        tests.push(json!({
            "name": format!("{}: {}", check.id, check.title),
            "score": check.score,
            "max_score": check.max_score,
            "status": if check.status == CheckStatus::Passed { "passed" } else { "failed" },
            "output": check_output(&shown),
            "output_format": "text",
            "tags": [check.id],
            "visibility": visibility(check.visibility),
        }));
    }
    for (number, test) in tests.iter_mut().enumerate() {
        test["number"] = json!((number + 1).to_string());
    }
    let execution_ms = build.duration_ms
        + grade
            .checks
            .iter()
            .flat_map(|check| &check.cases)
            .map(|case| case.observed.wall_ms)
            .sum::<u64>();
    json!({
        "score": grade.score,
        "execution_time": execution_ms.div_ceil(1000),
        "output": summary(grade),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    })
}

/// Gradescope's name for a visibility: the rubric uses the same words.
fn visibility(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Visible => "visible",
        Visibility::Hidden => "hidden",
        Visibility::AfterDueDate => "after_due_date",
    }
}

/// The text above every test: score, seed, and what is missing.
fn summary(grade: &Grade) -> String {
    let mut text = format!(
        "{}: {} / {} points (labgrade {}, seed {}: `--seed {}` replays this run)",
        grade.exercise,
        points(grade.score),
        points(grade.max_score),
        grade.labgrade_version,
        grade.seed,
        grade.seed
    );
    if let Some(hidden) = &grade.hidden {
        let _ = write!(text, "\n{}.", super::hidden_sentence(hidden));
    }
    if grade.status == GradeStatus::Incomplete {
        text += "\nincomplete: labgrade could not grade every check; this is not the submission's fault.";
    }
    text
}

/// A check's output: why it did not run, or each failed case with what went wrong.
fn check_output(check: &CheckGrade) -> String {
    let mut lines = Vec::new();
    if let Some(reason) = &check.reason {
        lines.push(reason.clone());
    }
    if !check.cases.is_empty() {
        let passed = check.cases.iter().filter(|case| case.passed).count();
        lines.push(format!("{passed} of {} cases passed", check.cases.len()));
    }
    lines.extend(check.info.iter().cloned());
    // Made inert below with the rest.
    lines.extend(check.findings.iter().map(crate::grade::Finding::describe));
    for case in check.cases.iter().filter(|case| !case.passed) {
        match super::runs_words(case) {
            Some(runs) => lines.push(format!("✗ case {} ({runs})", case.name)),
            None => lines.push(format!("✗ case {}", case.name)),
        }
        lines.extend(super::failure_lines(case, "    "));
        lines.push(format!(
            "    the program {}",
            case.observed.termination_text
        ));
        lines.push(format!("    replay: {}", case.replay.shell));
    }
    inert(&lines.join("\n")).into_owned()
}
