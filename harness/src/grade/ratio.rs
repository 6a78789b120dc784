//! Ratios between checks (`[[ratio]]`): one figure of some checks' runs over the same figure of
//! another check's, all measured in the same grading, scored against bounds or reported as
//! information.
//!
//! Why medians of the same grading: a shared machine slows every run of a grading alike, so
//! the ratio of two medians measured minutes apart on the same machine holds where either
//! figure alone would not; the median ignores the one run that a burst of load slowed.

use super::model::{CheckGrade, CheckStatus};
use crate::rubric::{Figure, Ratio, Visibility};

/// Grades `ratio` from the checks graded so far (`graded`). A named check that did not pass in
/// full leaves the ratio skipped: the figures of a wrong program compare nothing.
#[must_use]
pub fn score_ratio(ratio: &Ratio, graded: &[CheckGrade]) -> CheckGrade {
    let mut grade = CheckGrade {
        id: ratio.id.clone(),
        title: ratio.title.clone(),
        score: 0.0,
        max_score: f64::from(ratio.points),
        status: CheckStatus::Skipped,
        reason: None,
        info: Vec::new(),
        timings: Vec::new(),
        visibility: Visibility::Visible,
        details: crate::rubric::Details::Full,
        source: None,
        findings: Vec::new(),
        cases: Vec::new(),
    };
    let mut medians = Vec::with_capacity(ratio.of.len() + 1);
    for id in ratio.of.iter().chain(std::iter::once(&ratio.over)) {
        let Some(check) = graded.iter().find(|check| &check.id == id) else {
            grade.reason = Some(format!("not compared: check `{id}` did not run"));
            return grade;
        };
        if check.status != CheckStatus::Passed {
            grade.reason = Some(format!(
                "not compared: it needs check `{id}` to pass in full"
            ));
            return grade;
        }
        let Some(value) = median(check, &ratio.figure) else {
            grade.status = CheckStatus::Error;
            grade.reason = Some(format!(
                "labgrade could not measure {} in the runs of check `{id}`",
                figure_name(&ratio.figure)
            ));
            return grade;
        };
        medians.push((id.as_str(), value));
        // A ratio shows as much as the least visible check it compares.
        grade.visibility = grade.visibility.max(check.visibility);
    }
    let Some(&(over, denominator)) = medians.last() else {
        return grade;
    };
    let compared = &medians[..medians.len() - 1];
    let unit = ratio.figure.unit();
    let mut parts: Vec<String> = compared
        .iter()
        .map(|(id, value)| {
            format!(
                "`{id}` {}{unit} ({})",
                number(*value),
                times(*value, denominator)
            )
        })
        .collect();
    parts.push(format!("`{over}` {}{unit}", number(denominator)));
    let bounds = bounds_text(ratio);
    let informative = bounds.is_empty();
    grade.info.push(format!(
        "median {} per run{}: {}{}",
        figure_name(&ratio.figure),
        if informative {
            " (information, not graded)"
        } else {
            ""
        },
        parts.join(", "),
        if informative {
            String::new()
        } else {
            format!("; each over `{over}` must be {bounds}")
        }
    ));
    let outside: Vec<String> = compared
        .iter()
        .filter_map(|(id, value)| {
            let quotient = if denominator > 0.0 {
                value / denominator
            } else {
                f64::INFINITY
            };
            let within = ratio.at_most.is_none_or(|most| quotient <= most)
                && ratio.at_least.is_none_or(|least| quotient >= least);
            (!within).then(|| format!("`{id}` over `{over}` was {}", ratio_text(quotient)))
        })
        .collect();
    if outside.is_empty() {
        grade.status = CheckStatus::Passed;
        grade.score = grade.max_score;
    } else {
        grade.status = CheckStatus::Failed;
        grade.reason = Some(format!(
            "expected {} over `{over}` to be {bounds}, but {}",
            figure_name(&ratio.figure),
            outside.join("; ")
        ));
    }
    grade
}

/// The median of `figure` over every run of every case of `check`; `None` if no run measured it.
fn median(check: &CheckGrade, figure: &Figure) -> Option<f64> {
    let mut values: Vec<f64> = check
        .cases
        .iter()
        .flat_map(|case| case.figures.iter())
        .filter_map(|figures| figures.get(figure.key()).copied())
        .collect();
    crate::stats::median(&mut values)
}

/// The figure in words, for reports.
fn figure_name(figure: &Figure) -> String {
    match figure {
        Figure::WallTime => "wall time".to_owned(),
        Figure::CpuTime => "CPU time".to_owned(),
        Figure::CoresBusy => "cores kept busy (CPU time over wall time)".to_owned(),
        Figure::CoresWanted => {
            "cores wanted (time running or waiting for a CPU, over wall time)".to_owned()
        }
        Figure::Capture(name) => format!("`{name}`"),
    }
}

/// The bounds in words: `at most 0.5`, `between 2 and 8`; empty for information.
fn bounds_text(ratio: &Ratio) -> String {
    match (ratio.at_least, ratio.at_most) {
        (Some(least), Some(most)) => format!("between {} and {}", number(least), number(most)),
        (Some(least), None) => format!("at least {}", number(least)),
        (None, Some(most)) => format!("at most {}", number(most)),
        (None, None) => String::new(),
    }
}

/// `value` over `base` as a factor: `×0.25`.
fn times(value: f64, base: f64) -> String {
    if base > 0.0 {
        format!("×{}", number(value / base))
    } else {
        "×∞".to_owned()
    }
}

fn ratio_text(quotient: f64) -> String {
    if quotient.is_finite() {
        number(quotient)
    } else {
        "infinite (the other figure was 0)".to_owned()
    }
}

/// A measure with three significant digits at most: `0.00412`, `1.5`, `412`.
fn number(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let digits = (2 - value.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{value:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::grade::evaluate::fixtures::graded;
    use crate::grade::{CaseGrade, Observed, ReplayRecipe};
    use crate::run::{CapturedOutput, Termination};

    fn check(id: &str, status: CheckStatus, figure: &str, values: &[f64]) -> CheckGrade {
        let case = CaseGrade {
            name: "default".to_owned(),
            passed: status == CheckStatus::Passed,
            score: 0.0,
            runs: values.len() as u32,
            passed_runs: 0,
            runs_not_made: None,
            replay: ReplayRecipe::default(),
            observed: Observed {
                termination: Termination::Exited { code: 0 },
                termination_text: String::new(),
                wall_ms: 0,
                cpu_us: 0,
                stdout: CapturedOutput::default(),
                stderr: CapturedOutput::default(),
                leftover_processes: 0,
                census: None,
                containment: Vec::new(),
                resources: None,
                notes: Vec::new(),
                waiting: None,
                captures: BTreeMap::new(),
            },
            failures: Vec::new(),
            figures: values
                .iter()
                .map(|value| BTreeMap::from([(figure.to_owned(), *value)]))
                .collect(),
        };
        CheckGrade {
            title: String::new(),
            cases: vec![case],
            ..graded(id, status, 0.0, 1.0)
        }
    }

    fn ratio(at_most: Option<f64>, at_least: Option<f64>, points: u32) -> Ratio {
        Ratio {
            id: "speed".to_owned(),
            title: "speed".to_owned(),
            points,
            figure: Figure::Capture("us".to_owned()),
            of: vec!["fast".to_owned()],
            over: "slow".to_owned(),
            at_most,
            at_least,
        }
    }

    #[test]
    fn medians_within_bounds_earn_the_points() {
        let graded = [
            // One run slowed by a burst of load does not move the median.
            check("fast", CheckStatus::Passed, "us", &[10.0, 900.0, 12.0]),
            check("slow", CheckStatus::Passed, "us", &[100.0, 110.0, 90.0]),
        ];
        let grade = score_ratio(&ratio(Some(0.5), None, 10), &graded);
        assert_eq!(grade.status, CheckStatus::Passed, "{grade:?}");
        assert!((grade.score - 10.0).abs() < f64::EPSILON);
        assert_eq!(
            grade.info,
            [
                "median `us` per run: `fast` 12 (×0.12), `slow` 100; each over `slow` must be at most 0.5"
            ]
        );
    }

    #[test]
    fn a_ratio_outside_its_bounds_fails_and_says_by_how_much() {
        let graded = [
            check("fast", CheckStatus::Passed, "us", &[95.0]),
            check("slow", CheckStatus::Passed, "us", &[100.0]),
        ];
        let grade = score_ratio(&ratio(Some(0.5), None, 10), &graded);
        assert_eq!(grade.status, CheckStatus::Failed);
        assert!(grade.score.abs() < f64::EPSILON);
        assert_eq!(
            grade.reason.as_deref(),
            Some("expected `us` over `slow` to be at most 0.5, but `fast` over `slow` was 0.95")
        );
        let grade = score_ratio(&ratio(None, Some(2.0), 10), &graded);
        assert_eq!(grade.status, CheckStatus::Failed);
        let grade = score_ratio(&ratio(Some(1.5), Some(0.9), 10), &graded);
        assert_eq!(grade.status, CheckStatus::Passed);
    }

    #[test]
    fn a_ratio_of_a_failed_check_is_skipped_and_information_earns_nothing() {
        let graded = [
            check("fast", CheckStatus::Failed, "us", &[10.0]),
            check("slow", CheckStatus::Passed, "us", &[100.0]),
        ];
        let grade = score_ratio(&ratio(Some(0.5), None, 10), &graded);
        assert_eq!(grade.status, CheckStatus::Skipped);
        assert_eq!(
            grade.reason.as_deref(),
            Some("not compared: it needs check `fast` to pass in full")
        );
        let graded = [
            check("fast", CheckStatus::Passed, "us", &[10.0, 30.0]),
            check("slow", CheckStatus::Passed, "us", &[100.0]),
        ];
        let grade = score_ratio(&ratio(None, None, 0), &graded);
        assert_eq!(grade.status, CheckStatus::Passed);
        assert!(grade.max_score.abs() < f64::EPSILON);
        assert_eq!(
            grade.info,
            ["median `us` per run (information, not graded): `fast` 20 (×0.2), `slow` 100"]
        );
    }

    #[test]
    fn a_figure_never_measured_is_labgrades_error() {
        let graded = [
            check("fast", CheckStatus::Passed, "other", &[10.0]),
            check("slow", CheckStatus::Passed, "us", &[100.0]),
        ];
        let grade = score_ratio(&ratio(Some(0.5), None, 10), &graded);
        assert_eq!(grade.status, CheckStatus::Error);
    }

    #[test]
    fn numbers_keep_three_significant_digits() {
        assert_eq!(number(0.004_123), "0.00412");
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(412.4), "412");
        assert_eq!(number(3.0), "3");
    }
}
