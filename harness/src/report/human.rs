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
pub struct Human {
    /// List every containment measure a run had (`--verbose`), for a TA; by default one plain
    /// sentence says what they mean for the program.
    pub verbose: bool,
}

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
            if self.verbose {
                writeln!(out, "{DIM}contained: {}{DIM:#}", containment.join(", "))?;
            } else {
                writeln!(out, "{DIM}{}{DIM:#}", sandbox_sentence(containment))?;
            }
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

/// What the containment of a run means for a student's program, in one sentence: only what
/// the measures listed really give (a machine without namespaces or Landlock gets fewer words).
fn sandbox_sentence(containment: &[String]) -> String {
    let has = |prefix: &str| containment.iter().any(|word| word.starts_with(prefix));
    let mut said = Vec::new();
    if has("rlimits") {
        said.push("time and memory limits");
    }
    if has("PID namespace") {
        said.push("only its own processes");
    }
    if has("file-system view of its own") || has("landlock (ABI") {
        said.push("only its own files and the system's");
    }
    if has("network namespace") {
        said.push("no network");
    }
    let how = "`--verbose` lists each measure";
    if said.is_empty() {
        format!("sandbox: your program ran contained ({how})")
    } else {
        format!("sandbox: your program ran with {} ({how})", said.join(", "))
    }
}

fn write_build(grade: &Grade, out: &mut dyn Write) -> io::Result<()> {
    let build = &grade.build;
    let (label, style, text) = match build.status {
        BuildStatus::Built if build.reused => (
            "ok",
            GREEN,
            format!(
                "these files were built before (in {}): reused",
                seconds(build.duration_ms)
            ),
        ),
        BuildStatus::Built => (
            "ok",
            GREEN,
            format!("built in {}", seconds(build.duration_ms)),
        ),
        BuildStatus::MissingFiles => ("missing", RED, "nothing to build".to_owned()),
        BuildStatus::Unreadable => (
            "unread",
            RED,
            "what was handed in could not be read".to_owned(),
        ),
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
    for line in super::finding_lines(check, "        ") {
        writeln!(out, "{line}")?;
    }
    for group in fail_alike(&check.cases) {
        write_failed_cases(&group, out)?;
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

/// The failed cases of a check, grouped by [`failure_shape`] in the order they first fail: a
/// mistake that breaks every worker count is said once, with the cases it broke.
fn fail_alike(cases: &[CaseGrade]) -> Vec<Vec<&CaseGrade>> {
    let mut groups: Vec<(String, Vec<&CaseGrade>)> = Vec::new();
    for case in cases.iter().filter(|case| !case.passed) {
        let shape = failure_shape(case);
        match groups.iter_mut().find(|(known, _)| *known == shape) {
            Some((_, group)) => group.push(case),
            None => groups.push((shape, vec![case])),
        }
    }
    groups.into_iter().map(|(_, group)| group).collect()
}

/// What the report says of a failed case with every number written as `#`: two cases with
/// the same shape broke the same expectations the same way, and differ only in their input
/// (the sum expected, a seed, a worker count, a pid in a message).
fn failure_shape(case: &CaseGrade) -> String {
    let text = format!(
        "{}\n{}\n{}\n{}",
        super::failure_lines(case, "").join("\n"),
        case.observed.leftover_processes > 0,
        case.observed.notes.join("\n"),
        case.observed
            .stderr
            .text
            .lines()
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let mut shape = String::with_capacity(text.len());
    for character in text.chars() {
        if !character.is_ascii_digit() {
            shape.push(character);
        } else if !shape.ends_with('#') {
            shape.push('#');
        }
    }
    shape
}

/// Writes cases that failed alike: the first one in full, and the names of the others.
fn write_failed_cases(group: &[&CaseGrade], out: &mut dyn Write) -> io::Result<()> {
    let Some(case) = group.first() else {
        return Ok(());
    };
    let runs = super::runs_words(case)
        .map(|runs| format!(" {DIM}({runs}){DIM:#}"))
        .unwrap_or_default();
    if group.len() > 1 {
        let names: Vec<String> = group
            .iter()
            .map(|case| format!("{BOLD}{}{BOLD:#}", inert_line(&case.name)))
            .collect();
        writeln!(
            out,
            "        {RED}✗{RED:#} {} cases fail alike: {} {DIM}(case {} is shown){DIM:#}{runs}",
            group.len(),
            names.join(", "),
            inert_line(&case.name)
        )?;
    } else {
        writeln!(
            out,
            "        {RED}✗{RED:#} case {BOLD}{}{BOLD:#}{runs}",
            inert_line(&case.name)
        )?;
    }
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
    if !stderr.is_empty()
        && !case
            .failures
            .iter()
            .any(|failure| failure.what == crate::grade::FailureKind::Stderr)
    {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::fail_alike;
    use crate::grade::CaseGrade;

    /// A failed case whose sum was `actual` instead of `expected`, with `stderr`.
    fn failed(name: &str, expected: u64, actual: &str, stderr: &str) -> CaseGrade {
        serde_json::from_value(json!({
            "name": name, "passed": false, "score": 0.0, "runs": 1, "passed_runs": 0,
            "replay": { "seed": 7, "vars": {}, "command": [], "env": {}, "shell": "x" },
            "observed": {
                "termination": { "kind": "exited", "code": 0 },
                "termination_text": "exited with code 0", "wall_ms": 12, "cpu_us": 0,
                "stdout": { "text": "", "total_bytes": 0, "truncated": false },
                "stderr": { "text": stderr, "total_bytes": 0, "truncated": false },
                "leftover_processes": 0, "containment": [], "captures": {}, "notes": []
            },
            "failures": [{ "what": "compare", "expected": format!("`sum` to be {expected}"),
                           "actual": format!("`sum` was {actual}") }]
        }))
        .unwrap()
    }

    fn names(groups: &[Vec<&CaseGrade>]) -> Vec<Vec<String>> {
        groups
            .iter()
            .map(|group| group.iter().map(|case| case.name.clone()).collect())
            .collect()
    }

    #[test]
    fn cases_differing_only_in_numbers_fail_alike() {
        let cases = [
            failed("workers=3", 100, "99", "worker 3 done"),
            failed("workers=7", 2000, "1998", "worker 17 done"),
            failed("workers=8", 100, "nothing", ""),
            failed("workers=9", 100, "99", "thread 'main' panicked"),
            failed("workers=10", 5, "4", "worker 1 done"),
        ];
        assert_eq!(
            names(&fail_alike(&cases)),
            [
                vec!["workers=3", "workers=7", "workers=10"],
                vec!["workers=8"],
                vec!["workers=9"],
            ]
        );
    }

    #[test]
    fn passed_cases_are_in_no_group() {
        let mut passed = failed("workers=1", 1, "1", "");
        passed.passed = true;
        passed.failures.clear();
        let cases = [passed, failed("workers=2", 1, "0", "")];
        assert_eq!(names(&fail_alike(&cases)), [vec!["workers=2"]]);
    }
}
