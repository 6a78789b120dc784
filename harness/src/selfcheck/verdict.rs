//! Whether a fixture's grade is what its manifest says: a correct program earns full marks; a
//! mutant loses the points of the requirement it breaks, and of what depends on it, and no
//! others. A pure function of the grade.

use std::collections::BTreeSet;

use crate::grade::points;
use crate::grade::{Grade, GradeStatus};

use super::manifest::FixtureKind;

/// The checks and ratios of `grade` that did not earn all their points.
pub(super) fn short_of_full_marks(grade: &Grade) -> BTreeSet<&str> {
    grade
        .checks
        .iter()
        .filter(|check| check.score < check.max_score)
        .map(|check| check.id.as_str())
        .collect()
}

/// Whether `grade` is what `kind` requires, and what was seen, in words.
#[must_use]
pub(super) fn judge(kind: &FixtureKind, grade: &Grade) -> (bool, String) {
    let score = format!(
        "{} / {} (seed {})",
        points(grade.score),
        points(grade.max_score),
        grade.seed
    );
    if grade.status != GradeStatus::Graded {
        return (
            false,
            format!("{score}: labgrade could not grade it, so it proves nothing"),
        );
    }
    let short = short_of_full_marks(grade);
    let lost = |ids: &BTreeSet<&str>| -> String {
        grade
            .checks
            .iter()
            .filter(|check| ids.contains(check.id.as_str()))
            .map(|check| {
                format!(
                    "`{}` {}/{}",
                    check.id,
                    points(check.score),
                    points(check.max_score)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match kind {
        FixtureKind::Correct | FixtureKind::Hostile => {
            if short.is_empty() {
                (true, score)
            } else {
                (
                    false,
                    format!("{score}; short of full marks in {}", lost(&short)),
                )
            }
        }
        FixtureKind::Mutant { breaks, also } => {
            let expected: BTreeSet<&str> = std::iter::once(breaks.as_str())
                .chain(also.iter().map(String::as_str))
                .collect();
            if short == expected {
                return (true, format!("{score}; loses {}", lost(&short)));
            }
            let mut problems = Vec::new();
            if !short.contains(breaks.as_str()) {
                problems.push(format!("keeps the points of `{breaks}`, which it breaks"));
            }
            let kept: BTreeSet<&str> = also
                .iter()
                .map(String::as_str)
                .filter(|id| !short.contains(id))
                .collect();
            if !kept.is_empty() {
                problems.push(format!(
                    "keeps the points of {}, which its manifest says depend on `{breaks}`",
                    kept.iter()
                        .map(|id| format!("`{id}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            let extra: BTreeSet<&str> = short.difference(&expected).copied().collect();
            if !extra.is_empty() {
                problems.push(format!(
                    "also loses {}, which it does not break",
                    lost(&extra)
                ));
            }
            (false, format!("{score}; {}", problems.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A grade of the demo rubric with these scores of `sum`, `timing` and `usage`.
    fn grade(sum: f64, timing: f64, usage: f64) -> Grade {
        let check = |id: &str, score: f64, max: f64| {
            serde_json::json!({
                "id": id, "title": id, "score": score, "max_score": max,
                "status": if score < max { "failed" } else { "passed" }, "cases": []
            })
        };
        serde_json::from_value(serde_json::json!({
            "version": 1, "labgrade_version": "0", "exercise": "demo", "rubric": "demo.toml",
            "submission": "x", "seed": 7, "status": "graded", "score": sum + timing + usage,
            "max_score": 20.0,
            "build": { "status": "built", "score": 0.0, "max_score": 0.0, "duration_ms": 1,
                       "missing_files": [], "diagnostics": "" },
            "checks": [check("sum", sum, 10.0), check("timing", timing, 5.0), check("usage", usage, 5.0)],
        }))
        .expect("a grade")
    }

    fn mutant(also: &[&str]) -> FixtureKind {
        FixtureKind::Mutant {
            breaks: "sum".to_owned(),
            also: also.iter().map(|id| (*id).to_owned()).collect(),
        }
    }

    #[test]
    fn a_mutant_must_lose_exactly_its_requirement_and_what_needs_it() {
        let (ok, detail) = judge(&mutant(&["timing"]), &grade(0.0, 0.0, 5.0));
        assert!(ok, "{detail}");
        assert_eq!(detail, "5 / 20 (seed 7); loses `sum` 0/10, `timing` 0/5");
        let (ok, detail) = judge(&mutant(&[]), &grade(0.0, 0.0, 0.0));
        assert!(!ok);
        assert!(
            detail.ends_with("also loses `timing` 0/5, `usage` 0/5, which it does not break"),
            "{detail}"
        );
        let (ok, detail) = judge(&mutant(&["timing"]), &grade(10.0, 5.0, 5.0));
        assert!(!ok);
        assert!(
            detail.contains(
                "keeps the points of `sum`, which it breaks; keeps the points of `timing`"
            ),
            "{detail}"
        );
    }

    #[test]
    fn a_correct_fixture_must_earn_full_marks() {
        assert!(judge(&FixtureKind::Correct, &grade(10.0, 5.0, 5.0)).0);
        let (ok, detail) = judge(&FixtureKind::Correct, &grade(10.0, 5.0, 2.5));
        assert!(!ok);
        assert!(
            detail.ends_with("short of full marks in `usage` 2.5/5"),
            "{detail}"
        );
    }
}
