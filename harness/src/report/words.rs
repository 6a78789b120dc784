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
