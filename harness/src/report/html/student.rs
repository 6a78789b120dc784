//! The report's Students section: the table of every student's score and checks, and each
//! student's report (build, checks, cases, output, replay) one click away.

use maud::{Markup, html};

use super::ClassStudent;
use super::plot::Size;
use super::plot_svg::timing_figure;
use super::text::{Text, shown, url_segment};
use super::timing::TimingPlot;
use crate::class::{Manifest, Outcome};
use crate::grade::{BuildStatus, CaseGrade, CheckGrade, CheckStatus, Grade};
use crate::report::points;

/// The name the class download or the roster gave student `id`, if any: an LMS names students
/// by numbers, which a TA cannot read.
pub(super) fn name_of<'a>(manifest: &'a Manifest, id: &str) -> Option<&'a str> {
    manifest.person(id)?.name.as_deref()
}

/// The table of students: score, status and each check's points, linking to their reports.
pub(super) fn student_table(manifest: &Manifest, students: &[ClassStudent<'_>]) -> Markup {
    let named = manifest
        .class
        .people
        .iter()
        .any(|person| person.name.is_some());
    html! {
        table class="students" {
            thead {
                tr {
                    th { "student" }
                    @if named { th { "name" } }
                    th class="num" { "score" }
                    th { "status" }
                    @for column in &manifest.checks {
                        th class="num" title=(Text(&column.title)) { (Text(&column.id)) }
                    }
                }
            }
            tbody {
                @for (index, student) in students.iter().enumerate() {
                    @let record = student.record;
                    @let outcome = record.outcome.as_str();
                    tr class="student" {
                        td { a href={ "#student-" (index) } { (Text(&record.student)) } }
                        @if named {
                            td { (Text(name_of(manifest, &record.student).unwrap_or_default())) }
                        }
                        td class="num" {
                            @if record.outcome == Outcome::Error {
                                "–"
                            } @else {
                                (points(record.score)) " / " (points(manifest.max_score))
                            }
                        }
                        td { span class={ "status " (outcome) } { (outcome) } }
                        @for column in &manifest.checks {
                            @match record.checks.iter().find(|check| check.id == column.id) {
                                Some(check) => {
                                    td class={ "num cell-" (check.status.word()) }
                                        title=(check.status.word()) { (points(check.score)) }
                                }
                                None => td {},
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Student `index`'s report, headed with their `name` if the class download gave one, with
/// their own line of each timing plot in `plots`.
pub(super) fn student_section(
    index: usize,
    student: &ClassStudent<'_>,
    name: Option<&str>,
    plots: &[TimingPlot],
) -> Markup {
    let record = student.record;
    let segment = url_segment(&record.student);
    let outcome = record.outcome.as_str();
    html! {
        section class="student" id={ "student-" (index) } {
            h3 {
                (Text(&record.student)) " "
                @if let Some(name) = name {
                    span class="name" { (Text(name)) } " "
                }
                @if record.outcome != Outcome::Error {
                    (points(record.score)) " / " (points(record.max_score)) " "
                }
                span class={ "status " (outcome) } { (outcome) }
            }
            p class="muted" {
                a href="#students" { "back to the table" }
                " · " a href={ "reports/" (segment) ".json" } { "JSON report" }
                " · " a href={ "feedback/" (segment) ".txt" } { "feedback" }
                @if let Some(grade) = student.grade {
                    " · submission " code { (Text(&grade.submission)) }
                    " · seed " (grade.seed) " (replay: " code { "--seed " (grade.seed) } ")"
                }
            }
            @if let Some(note) = &record.note {
                p class="note" { (Text(note)) }
            }
            @match student.grade {
                None => p {
                    "No report: labgrade could not grade this submission; the next run of the batch grades it again."
                },
                Some(grade) => {
                    (build(grade))
                    @for check in &grade.checks {
                        (check_details(check))
                    }
                    @let own: Vec<&TimingPlot> = plots
                        .iter()
                        .filter(|plot| plot.lines.iter().any(|line| line.student == index))
                        .collect();
                    @if !own.is_empty() {
                        div class="figures" {
                            @for plot in own {
                                (timing_figure(plot, Some((index, &record.student)), &Size::SMALL))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn build(grade: &Grade) -> Markup {
    let build = &grade.build;
    let (class, text) = match build.status {
        BuildStatus::Built => (
            "passed",
            format!("built in {:.1} s", build.duration_ms as f64 / 1000.0),
        ),
        BuildStatus::MissingFiles => ("missing_files", "files missing".to_owned()),
        BuildStatus::CompileError => ("compile_error", "compile error".to_owned()),
        BuildStatus::TimedOut => ("timed_out", "build timed out".to_owned()),
        BuildStatus::Unreadable => ("unreadable", "could not be read".to_owned()),
    };
    html! {
        div class="build" {
            span class={ "status " (class) } { "build" } " " (text)
            @if build.max_score > 0.0 {
                " · " (points(build.score)) " / " (points(build.max_score))
            }
            @if !build.missing_files.is_empty() {
                div {
                    "missing: "
                    @for (at, file) in build.missing_files.iter().enumerate() {
                        @if at > 0 { ", " }
                        code { (Text(file)) }
                    }
                }
            }
            @if build.status != BuildStatus::Built && !build.diagnostics.is_empty() {
                pre class="diagnostics" { (Text(&shown(&build.diagnostics))) }
            }
        }
    }
}

fn check_details(check: &CheckGrade) -> Markup {
    let status = check.status.word();
    // Open what needs reading: checks short of full marks.
    let open = !matches!(check.status, CheckStatus::Passed | CheckStatus::Skipped);
    html! {
        details class="check" open[open] {
            summary {
                span class={ "status " (status) } { (status) } " " (Text(&check.title)) " "
                span class="muted" { (Text(&check.id)) }
                " · " (points(check.score)) " / " (points(check.max_score))
            }
            @if let Some(reason) = &check.reason {
                div class="reason" { (Text(reason)) }
            }
            @for info in &check.info {
                div class="info muted" { (Text(info)) }
            }
            @if !check.findings.is_empty() {
                ul class="findings" {
                    @for finding in &check.findings {
                        li { code { (Text(&finding.place())) } " " (Text(&finding.what())) }
                    }
                }
            }
            @if !check.cases.is_empty() {
                ul class="cases" {
                    @for case in &check.cases {
                        (case_item(case))
                    }
                }
            }
        }
    }
}

fn case_item(case: &CaseGrade) -> Markup {
    let (mark, class) = if case.passed {
        ("✓", "ok")
    } else {
        ("✗", "ko")
    };
    html! {
        li class="case" {
            span class=(class) { (mark) } " case " (Text(&case.name))
            @if let Some(not_made) = case.runs_not_made {
                " " span class="muted" {
                    "(run " (case.runs) " of " (case.runs + not_made) " failed; the other "
                    (not_made) " were not run, since one failed run decides)"
                }
            } @else if case.runs > 1 {
                " " span class="muted" { "(" (case.passed_runs) " of " (case.runs) " runs passed)" }
            }
            " " span class="muted" {
                "· " (Text(&case.observed.termination_text)) " · " (case.observed.wall_ms) " ms"
            }
            // The pass rate of repeated runs is said above, beside the case's name.
            @for failure in case
                .failures
                .iter()
                .filter(|failure| failure.what != crate::grade::FailureKind::Runs)
            {
                div class="failure" {
                    "expected " (Text(&failure.expected)) br; "but " (Text(&failure.actual))
                }
            }
            @for note in &case.observed.notes {
                div class="failure muted" { "note: " (Text(note)) }
            }
            @if !case.passed {
                @for (name, stream) in [
                    ("stdout", &case.observed.stdout),
                    ("stderr", &case.observed.stderr),
                ] {
                    @if !stream.text.is_empty() {
                        details class="output" {
                            summary {
                                (name) " (" (stream.total_bytes) " bytes"
                                @if stream.truncated { ", truncated" }
                                ")"
                            }
                            pre { (Text(&shown(&stream.text))) }
                        }
                    }
                }
                div class="replay" { "replay: " code { (Text(&case.replay.shell)) } }
            }
        }
    }
}
