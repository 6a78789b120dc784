//! The human report: what a student or TA reads in a terminal.
//!
//! It is always written with ANSI styles; the CLI wraps its stdout in `anstream`, which strips
//! them when the output is not a terminal or `NO_COLOR` is set. Every string that is not
//! labgrade's own (the submission's path, compiler output, the program's stderr, values it
//! printed, notes) goes through [`inert_line`] first, so that only labgrade's styles reach a
//! terminal: a student's escape sequences and carriage returns are shown, never obeyed.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{Reporter, inert_line, points};
use crate::grade::{BuildStatus, CaseGrade, CheckGrade, CheckStatus, Grade, GradeStatus};

/// Lines of compiler output shown before the report says where the rest is.
const DIAGNOSTIC_LINES: usize = 40;

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const GREEN: Style = AnsiColor::Green.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const RED: Style = AnsiColor::Red.on_default().bold();
const BLUE: Style = AnsiColor::Blue.on_default().bold();

/// Writes the grade as coloured text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Human;

impl Reporter for Human {
    fn report(&self, grade: &Grade, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{BOLD}{}{BOLD:#} · submission `{}` · seed {} {DIM}(replay: --seed {}){DIM:#}",
            inert_line(&grade.exercise),
            inert_line(&grade.submission),
            grade.seed,
            grade.seed
        )?;
        // Every run of a grade is contained alike, so the first run that says how stands for
        // all of them; a TA sees once what student code could not do.
        let containment = grade
            .checks
            .iter()
            .flat_map(|check| &check.cases)
            .map(|case| &case.observed.containment)
            .find(|containment| !containment.is_empty());
        if let Some(containment) = containment {
            writeln!(out, "{DIM}contained: {}{DIM:#}", containment.join(", "))?;
        }
        writeln!(out)?;
        write_build(grade, out)?;
        for check in &grade.checks {
            write_check(check, out)?;
        }
        writeln!(out)?;
        let style = if grade.is_full_marks() {
            GREEN
        } else if grade.score > 0.0 {
            YELLOW
        } else {
            RED
        };
        writeln!(
            out,
            "{BOLD}score{BOLD:#} {style}{} / {}{style:#}",
            points(grade.score),
            points(grade.max_score)
        )?;
        if let Some(hidden) = &grade.hidden {
            writeln!(out, "{DIM}note: {}{DIM:#}", super::hidden_sentence(hidden))?;
        }
        if grade.status == GradeStatus::Incomplete {
            writeln!(
                out,
                "{RED}incomplete:{RED:#} labgrade could not grade every check (see `error` above); this is not the submission's fault"
            )?;
        }
        Ok(())
    }
}

fn write_build(grade: &Grade, out: &mut dyn Write) -> io::Result<()> {
    let build = &grade.build;
    let (label, style, text) = match build.status {
        BuildStatus::Built => (
            "ok",
            GREEN,
            format!("built in {}", seconds(build.duration_ms)),
        ),
        BuildStatus::MissingFiles => ("missing", RED, "nothing to build".to_owned()),
        BuildStatus::CompileError => ("error", RED, "does not compile".to_owned()),
        BuildStatus::TimedOut => (
            "timeout",
            RED,
            format!("build stopped after {}", seconds(build.duration_ms)),
        ),
    };
    let score = if build.max_score > 0.0 {
        format!(" {}/{}", points(build.score), points(build.max_score))
    } else {
        String::new()
    };
    writeln!(
        out,
        "{style}{label:>7}{style:#} {BOLD}build{BOLD:#}: {text}{score}"
    )?;
    if build.status == BuildStatus::Built && !build.missing_files.is_empty() {
        writeln!(
            out,
            "        {YELLOW}note:{YELLOW:#} {}",
            inert_line(&build.diagnostics)
        )?;
    }
    if build.status != BuildStatus::Built {
        let lines: Vec<&str> = build.diagnostics.lines().collect();
        for line in lines.iter().take(DIAGNOSTIC_LINES) {
            writeln!(out, "        {}", inert_line(line))?;
        }
        if lines.len() > DIAGNOSTIC_LINES {
            writeln!(
                out,
                "        {DIM}… {} more lines (all of them are in `--format json`){DIM:#}",
                lines.len() - DIAGNOSTIC_LINES
            )?;
        }
    }
    Ok(())
}

fn write_check(check: &CheckGrade, out: &mut dyn Write) -> io::Result<()> {
    let (label, style) = match check.status {
        CheckStatus::Passed => ("pass", GREEN),
        CheckStatus::Partial => ("partial", YELLOW),
        CheckStatus::Failed => ("fail", RED),
        CheckStatus::Skipped => ("skip", DIM),
        CheckStatus::Error => ("error", BLUE),
    };
    // A ratio without bounds runs nothing and earns nothing: it is information.
    let informative =
        check.cases.is_empty() && check.max_score == 0.0 && check.status == CheckStatus::Passed;
    let (label, style) = if informative {
        ("info", DIM)
    } else {
        (label, style)
    };
    let passed = check.cases.iter().filter(|case| case.passed).count();
    let cases = if check.cases.is_empty() {
        String::new()
    } else {
        format!(" {DIM}({passed} of {} cases){DIM:#}", check.cases.len())
    };
    let score = if informative {
        String::new()
    } else {
        format!(" {}/{}", points(check.score), points(check.max_score))
    };
    writeln!(
        out,
        "{style}{label:>7}{style:#} {BOLD}{}{BOLD:#}: {}{score}{cases}",
        inert_line(&check.id),
        inert_line(&check.title),
    )?;
    if let Some(reason) = &check.reason {
        writeln!(out, "        {}", inert_line(reason))?;
    }
    for info in &check.info {
        writeln!(out, "        {DIM}{}{DIM:#}", inert_line(info))?;
    }
    for case in check.cases.iter().filter(|case| !case.passed) {
        write_failed_case(case, out)?;
    }
    // A passing case does not show its details, but what labgrade had to clean up or cut short
    // after it is worth a line: it is how a TA spots an escapee or a program at its limits.
    for case in check.cases.iter().filter(|case| case.passed) {
        let leftovers = case.observed.leftover_processes;
        if leftovers > 0 {
            writeln!(
                out,
                "        note: case {}: {leftovers} process(es) were still running after the program ended; labgrade killed them",
                inert_line(&case.name)
            )?;
        }
        for note in &case.observed.notes {
            writeln!(
                out,
                "        note: case {}: {}",
                inert_line(&case.name),
                inert_line(note)
            )?;
        }
    }
    Ok(())
}

fn write_failed_case(case: &CaseGrade, out: &mut dyn Write) -> io::Result<()> {
    let runs = if case.runs > 1 {
        format!(
            " {DIM}(passed {} of {} runs; the first failing run is shown){DIM:#}",
            case.passed_runs, case.runs
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "        {RED}✗{RED:#} case {BOLD}{}{BOLD:#}{runs}",
        inert_line(&case.name)
    )?;
    for line in super::failure_lines(case, "            ") {
        writeln!(out, "{line}")?;
    }
    if case.observed.leftover_processes > 0 {
        writeln!(
            out,
            "            note: {} process(es) were still running after the program ended; labgrade killed them",
            case.observed.leftover_processes
        )?;
    }
    for note in &case.observed.notes {
        writeln!(out, "            note: {}", inert_line(note))?;
    }
    let stderr = case.observed.stderr.text.trim_end();
    if !stderr.is_empty() && !case.failures.iter().any(|failure| failure.what == "stderr") {
        let first: Vec<_> = stderr.lines().take(5).map(inert_line).collect();
        writeln!(out, "            stderr: {}", first.join(" ⏎ "))?;
    }
    writeln!(
        out,
        "            {DIM}replay: {}{DIM:#}",
        inert_line(&case.replay.shell)
    )?;
    Ok(())
}

fn seconds(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}
