//! Points: a check's score from its graded cases, checks that did not run, and the total of a
//! grade.

use super::super::model::{
    BuildGrade, BuildStatus, CaseGrade, CheckGrade, CheckStatus, Grade, GradeStatus,
};
use super::figures::{parallelism_line, timings};
use crate::rubric::{Check, Scoring};

/// Scores `check` from its graded cases.
#[must_use]
pub fn score_check(check: &Check, mut cases: Vec<CaseGrade>) -> CheckGrade {
    let max_score = f64::from(check.points);
    let total = check.runs.cases.len().max(1) as f64;
    let passed = cases.iter().filter(|case| case.passed).count();
    let score = match check.scoring {
        Scoring::PerCase => {
            let share = max_score / total;
            for case in &mut cases {
                case.score = if case.passed { share } else { 0.0 };
            }
            share * passed as f64
        }
        Scoring::AllOrNothing if passed == check.runs.cases.len() => max_score,
        Scoring::AllOrNothing => 0.0,
    };
    let timings = if check.rules.parallelism {
        timings(&cases, check.rules.parallelism_time.as_deref())
    } else {
        Vec::new()
    };
    let status = if passed == check.runs.cases.len() {
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
        info: if timings.is_empty() {
            Vec::new()
        } else {
            vec![parallelism_line(&timings)]
        },
        timings,
        visibility: check.audience.visibility,
        details: check.audience.details,
        source: None,
        findings: Vec::new(),
        cases,
    }
}

/// A check that did not run, or could not be graded, with the reason.
#[must_use]
pub fn unscored_check(
    check: &Check,
    status: CheckStatus,
    reason: String,
    cases: Vec<CaseGrade>,
) -> CheckGrade {
    CheckGrade {
        id: check.id.clone(),
        title: check.title.clone(),
        score: 0.0,
        max_score: f64::from(check.points),
        status,
        reason: Some(reason),
        info: Vec::new(),
        timings: Vec::new(),
        visibility: check.audience.visibility,
        details: check.audience.details,
        source: None,
        findings: Vec::new(),
        cases,
    }
}

/// Why `check` cannot run given the checks graded so far, with the status that gives it, or
/// `None` if everything it needs passed. A check is [`CheckStatus::Skipped`] when what it needs
/// failed, and [`CheckStatus::Error`] when labgrade could not grade what it needs: the
/// student's work is unknown, never worth 0.
#[must_use]
pub fn blocked_by(
    check: &Check,
    build: &BuildGrade,
    graded: &[CheckGrade],
) -> Option<(CheckStatus, String)> {
    check.needs.iter().find_map(|need| {
        if need == crate::rubric::BUILD_ID {
            return build_block_reason(build).map(|reason| (CheckStatus::Skipped, reason));
        }
        let needed = graded.iter().find(|graded| &graded.id == need)?;
        match needed.status {
            CheckStatus::Passed => None,
            CheckStatus::Error => Some((
                CheckStatus::Error,
                format!("not run: it needs check `{need}`, which labgrade could not grade"),
            )),
            _ => Some((
                CheckStatus::Skipped,
                format!("not run: it needs check `{need}` to pass in full"),
            )),
        }
    })
}

/// Why nothing runs after `build`, in the words of a skipped check; `None` if it built.
#[must_use]
pub fn build_block_reason(build: &BuildGrade) -> Option<String> {
    match build.status {
        BuildStatus::Built => None,
        BuildStatus::MissingFiles => Some(format!(
            "not run: the submission lacks {}",
            missing_list(&build.missing_files)
        )),
        BuildStatus::CompileError => Some("not run: the submission does not compile".to_owned()),
        BuildStatus::TimedOut => Some("not run: the build ran past its time limit".to_owned()),
        BuildStatus::Unreadable => Some("not run: the submission could not be read".to_owned()),
    }
}

/// Files as a report lists them: `` `src/a.rs`, `src/b.rs` ``.
#[must_use]
pub fn missing_list(files: &[String]) -> String {
    files
        .iter()
        .map(|file| format!("`{file}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Puts the parts together and totals the score.
#[must_use]
pub fn total(header: GradeHeader, build: BuildGrade, checks: Vec<CheckGrade>) -> Grade {
    let score = build.score + checks.iter().map(|check| check.score).sum::<f64>();
    let max_score = build.max_score + checks.iter().map(|check| check.max_score).sum::<f64>();
    let status = if checks
        .iter()
        .any(|check| check.status == CheckStatus::Error)
    {
        GradeStatus::Incomplete
    } else {
        GradeStatus::Graded
    };
    Grade {
        version: crate::grade::GRADE_FORMAT_VERSION,
        labgrade_version: env!("CARGO_PKG_VERSION").to_owned(),
        exercise: header.exercise,
        rubric: header.rubric,
        submission: header.submission,
        workdir: None,
        entry: None,
        seed: header.seed,
        status,
        score,
        max_score,
        build,
        checks,
        hidden: None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::evaluate::case::evaluate_case;
    use crate::grade::evaluate::fixtures::*;

    /// Grades the 6 cases of a 40-point check, of which the first `passing` pass.
    fn six_cases(scoring: &str, passing: usize) -> (Check, Vec<CaseGrade>) {
        let check = parse_check(&format!(
            "args = [\"{{n}}\"]\ncases = {{ n = [1, 2, 3, 4, 5, 6] }}\n{scoring}stdout = [{{ line = \"ok\" }}]\n"
        ));
        assert_eq!(check.runs.cases.len(), 6);
        let cases = check
            .runs
            .cases
            .iter()
            .enumerate()
            .map(|(index, case)| {
                let stdout = if index < passing { "ok\n" } else { "not ok\n" };
                let vars: Vec<(&str, &str)> = case
                    .vars
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                evaluate_case(
                    &check,
                    &case.name,
                    replay_recipe(&vars, &[]),
                    exited(0, stdout),
                )
            })
            .collect();
        (check, cases)
    }

    #[test]
    fn per_case_scoring_shares_the_points_over_the_cases() {
        let (check, cases) = six_cases("", 4);
        let grade = score_check(&check, cases);
        assert_close(grade.score, 160.0 / 6.0);
        assert!((grade.score - 26.67).abs() < 0.005);
        assert_close(grade.max_score, 40.0);
        assert_eq!(grade.status, CheckStatus::Partial);
        assert_eq!(grade.id, "c");
        assert_eq!(grade.reason, None);
        assert_eq!(grade.cases.len(), 6);
        for (index, case) in grade.cases.iter().enumerate() {
            assert_eq!(case.passed, index < 4);
            assert_close(case.score, if index < 4 { 40.0 / 6.0 } else { 0.0 });
        }
        assert_close(grade.cases.iter().map(|case| case.score).sum(), grade.score);
    }

    #[test]
    fn per_case_status_follows_the_passed_cases() {
        let (check, cases) = six_cases("", 6);
        let grade = score_check(&check, cases);
        assert_eq!(grade.status, CheckStatus::Passed);
        assert_close(grade.score, 40.0);

        let (check, cases) = six_cases("", 1);
        let grade = score_check(&check, cases);
        assert_eq!(grade.status, CheckStatus::Partial);
        assert_close(grade.score, 40.0 / 6.0);

        let (check, cases) = six_cases("", 0);
        let grade = score_check(&check, cases);
        assert_eq!(grade.status, CheckStatus::Failed);
        assert_close(grade.score, 0.0);
    }

    #[test]
    fn all_or_nothing_needs_every_case() {
        let scoring = "scoring = \"all-or-nothing\"\n";
        let (check, cases) = six_cases(scoring, 6);
        assert_eq!(check.scoring, Scoring::AllOrNothing);
        let grade = score_check(&check, cases);
        assert_eq!(grade.status, CheckStatus::Passed);
        assert_close(grade.score, 40.0);

        // `partial` means some points (rubrics/README.md, "Statuses"): 5 of 6 earn none.
        let (check, cases) = six_cases(scoring, 5);
        let grade = score_check(&check, cases);
        assert_close(grade.score, 0.0);
        assert_close(grade.max_score, 40.0);
        assert_eq!(grade.status, CheckStatus::Failed);
        assert!(grade.cases.iter().all(|case| case.score == 0.0));

        let (check, cases) = six_cases(scoring, 0);
        let grade = score_check(&check, cases);
        assert_eq!(grade.status, CheckStatus::Failed);
        assert_close(grade.score, 0.0);
    }

    #[test]
    fn check_without_cases_scores_its_default_case() {
        let check = parse_check("");
        assert_eq!(check.runs.cases.len(), 1);
        let grade_of = |code| score_check(&check, vec![grade(&check, exited(code, ""))]);
        let passed = grade_of(0);
        assert_eq!(passed.status, CheckStatus::Passed);
        assert_close(passed.score, 40.0);
        let failed = grade_of(1);
        assert_eq!(failed.status, CheckStatus::Failed);
        assert_close(failed.score, 0.0);
    }

    #[test]
    fn unscored_check_keeps_its_reason_and_cases() {
        let check = parse_check("");
        let case = grade(&check, exited(0, ""));
        let grade = unscored_check(
            &check,
            CheckStatus::Error,
            "could not run".to_owned(),
            vec![case],
        );
        assert_eq!(grade.status, CheckStatus::Error);
        assert_eq!(grade.reason.as_deref(), Some("could not run"));
        assert_close(grade.score, 0.0);
        assert_close(grade.max_score, 40.0);
        assert_eq!(grade.cases.len(), 1);
    }

    #[test]
    fn a_failed_build_blocks_every_check() {
        let check = parse_check("");
        assert_eq!(check.needs, ["build"]);
        assert_eq!(
            blocked_by(&check, &build(BuildStatus::Built, &[]), &[]),
            None
        );
        assert_eq!(
            reason(blocked_by(
                &check,
                &build(BuildStatus::MissingFiles, &["src/a.rs", "src/b.rs"]),
                &[]
            ))
            .as_deref(),
            Some("not run: the submission lacks `src/a.rs`, `src/b.rs`")
        );
        assert_eq!(
            reason(blocked_by(
                &check,
                &build(BuildStatus::CompileError, &[]),
                &[]
            ))
            .as_deref(),
            Some("not run: the submission does not compile")
        );
        assert_eq!(
            reason(blocked_by(&check, &build(BuildStatus::TimedOut, &[]), &[])).as_deref(),
            Some("not run: the build ran past its time limit")
        );
    }

    #[test]
    fn a_needed_check_must_pass_in_full() {
        let checks = parse_checks(
            r#"[[check]]
id = "sum"
title = "Sum"
points = 40
run = "prog"

[[check]]
id = "timing"
title = "Timing"
points = 5
run = "prog"
needs = ["sum"]
"#,
        );
        let timing = &checks[1];
        assert_eq!(timing.needs, ["build", "sum"]);
        let built = build(BuildStatus::Built, &[]);
        let blocked = |status| blocked_by(timing, &built, &[graded("sum", status, 20.0, 40.0)]);
        assert_eq!(blocked(CheckStatus::Passed), None);
        for status in [
            CheckStatus::Partial,
            CheckStatus::Failed,
            CheckStatus::Skipped,
        ] {
            assert_eq!(
                blocked(status),
                Some((
                    CheckStatus::Skipped,
                    "not run: it needs check `sum` to pass in full".to_owned()
                )),
                "{status:?}"
            );
        }
        // What could not be graded leaves what needs it ungraded too, not failed.
        assert_eq!(
            blocked(CheckStatus::Error),
            Some((
                CheckStatus::Error,
                "not run: it needs check `sum`, which labgrade could not grade".to_owned()
            ))
        );
        // The build is reported before a needed check.
        let failed_build = build(BuildStatus::CompileError, &[]);
        assert_eq!(
            blocked_by(
                timing,
                &failed_build,
                &[graded("sum", CheckStatus::Skipped, 0.0, 40.0)]
            )
            .map(|(_, reason)| reason)
            .as_deref(),
            Some("not run: the submission does not compile")
        );
    }

    fn reason(blocked: Option<(CheckStatus, String)>) -> Option<String> {
        blocked.map(|(_, reason)| reason)
    }

    fn header() -> GradeHeader {
        GradeHeader {
            exercise: "sum-array".to_owned(),
            rubric: "rubrics/sum-array.toml".to_owned(),
            submission: "subs/alice".to_owned(),
            seed: 3,
        }
    }

    #[test]
    fn total_adds_the_build_and_every_check() {
        let checks = vec![
            graded("a", CheckStatus::Partial, 160.0 / 6.0, 40.0),
            graded("b", CheckStatus::Passed, 5.0, 5.0),
            graded("c", CheckStatus::Skipped, 0.0, 5.0),
            graded("d", CheckStatus::Failed, 0.0, 40.0),
        ];
        let grade = total(header(), build(BuildStatus::Built, &[]), checks);
        assert_close(grade.score, 10.0 + 160.0 / 6.0 + 5.0);
        assert_close(grade.max_score, 100.0);
        assert_eq!(grade.status, GradeStatus::Graded);
        assert_eq!(grade.version, crate::grade::GRADE_FORMAT_VERSION);
        assert_eq!(grade.labgrade_version, env!("CARGO_PKG_VERSION"));
        assert_eq!(
            (grade.exercise.as_str(), grade.rubric.as_str()),
            ("sum-array", "rubrics/sum-array.toml")
        );
        assert_eq!((grade.submission.as_str(), grade.seed), ("subs/alice", 3));
        let ids: Vec<&str> = grade.checks.iter().map(|check| check.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
        assert!(!grade.is_full_marks());
    }

    #[test]
    fn a_check_in_error_makes_the_grade_incomplete() {
        let checks = vec![
            graded("a", CheckStatus::Passed, 40.0, 40.0),
            graded("b", CheckStatus::Error, 0.0, 60.0),
        ];
        let grade = total(header(), build(BuildStatus::Built, &[]), checks);
        assert_eq!(grade.status, GradeStatus::Incomplete);
        assert_close(grade.score, 50.0);
        assert_close(grade.max_score, 110.0);
        assert!(!grade.is_full_marks());
    }

    #[test]
    fn full_marks_need_every_point() {
        let checks = vec![graded("a", CheckStatus::Passed, 40.0, 40.0)];
        let grade = total(header(), build(BuildStatus::Built, &[]), checks);
        assert_eq!(grade.status, GradeStatus::Graded);
        assert!(grade.is_full_marks());
        let grade = total(header(), build(BuildStatus::CompileError, &[]), Vec::new());
        assert_close(grade.score, 0.0);
        assert_close(grade.max_score, 10.0);
        assert!(!grade.is_full_marks());
    }
}
