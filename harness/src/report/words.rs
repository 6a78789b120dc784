//! The words every format shares: points as people write them, the sentence for hidden checks,
//! the lines of a case's failures, the lines of a style check's findings.

use super::inert_line;
use crate::grade::points;

/// What a student's `labgrade check` left out, in the words every format shares: `1 hidden
/// check worth 35 points is not run here; your TA's grading runs it`.
pub(crate) fn hidden_sentence(hidden: &crate::grade::HiddenChecks) -> String {
    let one = hidden.checks == 1;
    format!(
        "{} hidden check{} worth {} points {} not run here; your TA's grading runs {}",
        hidden.checks,
        if one { "" } else { "s" },
        points(hidden.points),
        if one { "is" } else { "are" },
        if one { "it" } else { "them" },
    )
}

/// How the runs of a failed repeated case went, in the words every text format shares: how many
/// passed, and how many were not made since one failed run decides; `None` for a case planned
/// to run once.
pub(crate) fn runs_words(case: &crate::grade::CaseGrade) -> Option<String> {
    match case.runs_not_made {
        Some(not_made) => Some(format!(
            "run {} of {} failed; the other {not_made} were not run, since one failed run decides",
            case.runs,
            case.runs + not_made
        )),
        None => (case.runs > 1).then(|| {
            format!(
                "passed {} of {} runs; the first failing run is shown",
                case.passed_runs, case.runs
            )
        }),
    }
}

/// The `expected …` / `but …` lines of a case's failures, each after `indent`, in the words
/// every text format shares, each one line with its student text inert. The `runs` failure
/// (how many runs passed) is said elsewhere.
pub(crate) fn failure_lines(case: &crate::grade::CaseGrade, indent: &str) -> Vec<String> {
    case.failures
        .iter()
        .filter(|failure| failure.what != crate::grade::FailureKind::Runs)
        .flat_map(|failure| {
            [
                format!("{indent}expected {}", inert_line(&failure.expected)),
                format!("{indent}but      {}", inert_line(&failure.actual)),
            ]
        })
        .collect()
}

/// A style check's findings, one line each after `indent`, with their student text inert, such
/// as `src/main.rs:12:14: clippy::unused_io_amount: written amount is not handled`.
pub(crate) fn finding_lines(check: &crate::grade::CheckGrade, indent: &str) -> Vec<String> {
    check
        .findings
        .iter()
        .map(|finding| format!("{indent}{}", inert_line(&finding.describe())))
        .collect()
}
