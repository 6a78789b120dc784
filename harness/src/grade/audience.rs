//! What a student sees: the rubric's `visibility` and `details` applied to a rubric or a grade.
//!
//! A student's `labgrade check` grades a rubric without its hidden checks ([`student_rubric`])
//! and shows only the verdict of a check whose rubric says `details = "verdict"` or
//! `visibility = "after_due_date"` ([`for_students`]). Reports for students outside
//! `labgrade check` (Gradescope's) apply [`redact_check`] themselves. Pure functions, like the
//! rest of grading.

use super::model::{CheckGrade, FailureKind, Grade, HiddenChecks};
use crate::rubric::{Details, Rubric, Visibility};

/// What a redacted failure says instead of what was expected.
pub const REDACTED: &str = "(not shown: the rubric shows students only the verdict of this check)";

/// The rubric a student's `labgrade check` grades: `rubric` without its hidden checks, and how many
/// hidden checks there are and what they are worth (`None` when there are none).
///
/// Validation guarantees that no remaining check needs a hidden one.
#[must_use]
pub fn student_rubric(rubric: &Rubric) -> (Rubric, Option<HiddenChecks>) {
    let mut visible = rubric.clone();
    let (hidden, kept): (Vec<_>, Vec<_>) = visible
        .checks
        .into_iter()
        .partition(|check| check.audience.visibility == Visibility::Hidden);
    visible.checks = kept;
    // A ratio that compares a hidden check is hidden with it.
    let (hidden_ratios, kept): (Vec<_>, Vec<_>) = visible.ratios.into_iter().partition(|ratio| {
        ratio
            .of
            .iter()
            .chain(std::iter::once(&ratio.over))
            .any(|id| hidden.iter().any(|check| &check.id == id))
    });
    visible.ratios = kept;
    // Points are whole numbers, so the difference is exact.
    let summary = (!hidden.is_empty()).then(|| HiddenChecks {
        checks: (hidden.len() + hidden_ratios.len()) as u32,
        points: rubric.max_score() - visible.max_score(),
    });
    (visible, summary)
}

/// `grade` as a student sees it before the due date: every check whose rubric says
/// `details = "verdict"` or `visibility = "after_due_date"` is redacted ([`redact_check`]).
#[must_use]
pub fn for_students(mut grade: Grade) -> Grade {
    for check in &mut grade.checks {
        if check.visibility == Visibility::AfterDueDate {
            check.details = Details::Verdict;
        }
        redact_check(check);
    }
    grade
}

/// Removes from a check with `details = "verdict"` what its failures expected (the oracle's
/// answer, the regex, the text) and the captured values; keeps that each case failed, how the
/// program ended, and what it printed (its own output). A termination failure stays whole: it
/// is the verdict. Checks with full details are left as they are.
pub fn redact_check(check: &mut CheckGrade) {
    if check.details != Details::Verdict {
        return;
    }
    for case in &mut check.cases {
        for failure in &mut case.failures {
            if failure.what != FailureKind::Termination && failure.what != FailureKind::Runs {
                REDACTED.clone_into(&mut failure.expected);
                failure.actual = format!("the {} check failed", failure.what);
            }
        }
        case.observed.captures.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const RUBRIC: &str = r#"
[exercise]
name = "sum-array"
package = "../exercises/sum-array"
files = ["src/bin/sum_array_threads.rs"]

[[check]]
id = "sum"
title = "Sum"
points = 10
run = "sum_array_threads"

[[check]]
id = "secret"
title = "Secret"
points = 7
run = "sum_array_threads"
visibility = "hidden"

[[check]]
id = "later"
title = "Later"
points = 3
run = "sum_array_threads"
visibility = "after_due_date"
details = "verdict"
"#;

    #[test]
    fn students_do_not_run_hidden_checks_but_learn_their_count_and_points() {
        let rubric = crate::rubric::parse(Path::new("rubrics/sum-array.toml"), RUBRIC).unwrap();
        let (visible, hidden) = student_rubric(&rubric);
        let ids: Vec<&str> = visible.checks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["sum", "later"]);
        assert_eq!(
            hidden,
            Some(HiddenChecks {
                checks: 1,
                points: 7.0
            })
        );
        assert!((visible.max_score() - 13.0).abs() < f64::EPSILON);
    }
}
