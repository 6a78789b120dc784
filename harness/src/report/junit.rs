//! The `JUnit` XML report, read by CI systems (Jenkins, GitLab, GitHub test reporters): one test
//! case per case of every check, with the failures as messages.
//!
//! A grade is one `<testsuite>` named after its submission; a class ([`write_class`]) is one
//! `<testsuites>` with a suite per student. The build is a test case of its own, a check that
//! did not run is one skipped (or error) test case, and a check labgrade could not grade ends
//! with an error test case.
//!
//! Control characters are not allowed in XML 1.0 (quick-junit drops them silently), and a
//! student controls much of the text (their id, compiler output, values their program printed):
//! every such string is made inert first ([`inert_line`], [`inert`]), so that a TA's CI page
//! shows what was there.

use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::{Reporter, inert, inert_line, points};
use crate::grade::{BuildStatus, CaseGrade, CheckGrade, CheckStatus, Grade};

/// Writes the grade as a `JUnit` XML report.
#[derive(Debug, Clone, Copy, Default)]
pub struct Junit;

impl Reporter for Junit {
    fn report(&self, grade: &Grade, out: &mut dyn Write) -> io::Result<()> {
        let mut report = Report::new(format!("labgrade {}", inert_line(&grade.exercise)));
        report.add_test_suite(suite(grade, &grade.submission));
        serialize(&report, out)
    }
}

/// Writes a class's grades as one `JUnit` XML report: a `<testsuite>` per student, named by the
/// student's id.
pub fn write_class(
    exercise: &str,
    grades: &[(String, Grade)],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut report = Report::new(format!("labgrade {}", inert_line(exercise)));
    report.add_test_suites(grades.iter().map(|(student, grade)| suite(grade, student)));
    serialize(&report, out)
}

fn serialize(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    report.serialize(&mut *out).map_err(io::Error::other)?;
    writeln!(out)
}

/// One grade as a test suite named `name`.
fn suite(grade: &Grade, name: &str) -> TestSuite {
    let mut suite = TestSuite::new(inert_line(name));
    suite.add_properties([
        Property::new("exercise", inert_line(&grade.exercise)),
        Property::new("submission", inert_line(&grade.submission)),
        Property::new("seed", grade.seed.to_string()),
        Property::new(
            "score",
            format!("{} / {}", points(grade.score), points(grade.max_score)),
        ),
    ]);
    if let Some(hidden) = &grade.hidden {
        suite.add_property(Property::new(
            "hidden_checks",
            super::hidden_sentence(hidden),
        ));
    }
    let mut time = Duration::from_millis(grade.build.duration_ms);
    suite.add_test_case(build_case(grade));
    for check in &grade.checks {
        for case in check_cases(check) {
            time += case.time.unwrap_or_default();
            suite.add_test_case(case);
        }
    }
    suite.set_time(time);
    suite
}

fn build_case(grade: &Grade) -> TestCase {
    let build = &grade.build;
    let status = match build.status {
        BuildStatus::Built => TestCaseStatus::success(),
        BuildStatus::MissingFiles
        | BuildStatus::CompileError
        | BuildStatus::TimedOut
        | BuildStatus::Unreadable => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(match build.status {
                    BuildStatus::MissingFiles => "the submission lacks files the rubric lists",
                    BuildStatus::TimedOut => "the build ran past its time limit",
                    BuildStatus::Unreadable => "what was handed in could not be read",
                    _ => "the submission does not compile",
                })
                .set_type(build.status.word())
                .set_description(inert(&build.diagnostics));
            status
        }
    };
    let mut case = TestCase::new("build", status);
    case.set_classname(format!("{}.build", inert_line(&grade.exercise)))
        .set_time(Duration::from_millis(build.duration_ms));
    case
}

/// The test cases of one check: one per case that ran, or one for a check that did not run,
/// plus an error test case when labgrade could not grade it.
fn check_cases(check: &CheckGrade) -> Vec<TestCase> {
    let mut cases: Vec<TestCase> = check
        .cases
        .iter()
        .map(|case| case_test(check, case))
        .collect();
    let reason = inert_line(check.reason.as_deref().unwrap_or(""));
    match check.status {
        CheckStatus::Skipped => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(reason.as_ref());
            cases.push(named(check, check.id.clone(), status));
        }
        CheckStatus::Error => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_message(reason.as_ref())
                .set_type("labgrade_error")
                .set_description(
                    "labgrade could not grade this check; this says nothing about the submission",
                );
            cases.push(named(check, format!("{} (error)", check.id), status));
        }
        // A ratio runs nothing, so it has no case of its own: it is one test case.
        CheckStatus::Passed if check.cases.is_empty() => {
            cases.push(named(check, check.id.clone(), TestCaseStatus::success()));
        }
        // A style check runs nothing either: its findings are its failure.
        CheckStatus::Failed | CheckStatus::Partial if !check.findings.is_empty() => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let findings = super::finding_lines(check, "").join("\n");
            status
                .set_message(format!("{} finding(s)", check.findings.len()))
                .set_type("style")
                .set_description(findings);
            cases.push(named(check, check.id.clone(), status));
        }
        CheckStatus::Failed | CheckStatus::Partial if check.cases.is_empty() => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(reason.as_ref()).set_type("ratio");
            cases.push(named(check, check.id.clone(), status));
        }
        CheckStatus::Passed | CheckStatus::Partial | CheckStatus::Failed => {}
    }
    cases
}

fn named(check: &CheckGrade, name: String, status: TestCaseStatus) -> TestCase {
    let mut case = TestCase::new(name, status);
    case.set_classname(check.id.as_str());
    case
}

fn case_test(check: &CheckGrade, case: &CaseGrade) -> TestCase {
    let status = if case.passed {
        TestCaseStatus::success()
    } else {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        let message = case.failures.first().map_or_else(
            || "the case failed".to_owned(),
            |failure| {
                format!(
                    "expected {}, but {}",
                    inert_line(&failure.expected),
                    inert_line(&failure.actual)
                )
            },
        );
        status
            .set_message(message)
            .set_type(
                case.failures
                    .first()
                    .map_or("failure", |failure| failure.what.as_str()),
            )
            .set_description(failure_text(check, case));
        status
    };
    let mut test = TestCase::new(inert_line(&format!("{} {}", check.id, case.name)), status);
    test.set_classname(check.id.as_str())
        .set_time(Duration::from_millis(case.observed.wall_ms))
        .set_assertions(case.failures.len().max(1));
    test
}

/// Everything a reader needs to understand a failed case, as plain text, made inert.
fn failure_text(check: &CheckGrade, case: &CaseGrade) -> String {
    let mut lines = vec![check.title.clone()];
    match super::runs_words(case) {
        Some(runs) => lines.push(format!("case {} ({runs})", case.name)),
        None => lines.push(format!("case {}", case.name)),
    }
    lines.extend(super::failure_lines(case, "  "));
    lines.push(format!("  the program {}", case.observed.termination_text));
    lines.extend(
        case.observed
            .notes
            .iter()
            .map(|note| format!("  note: {note}")),
    );
    lines.push(format!("  replay: {}", case.replay.shell));
    inert(&lines.join("\n")).into_owned()
}
