//! GitHub Actions workflow commands: `::error file=…,line=…::…` annotations that show a
//! compile error or a failed check on the student's file in a pull request, and a Markdown
//! table for the job's step summary ([`write_step_summary`]).
//!
//! Annotation paths must be relative to the repository, so a file's path is the submission's
//! folder (relative to the workspace the CLI names) joined with the file's path in the package:
//! the build's diagnostics and a check's `source` are relative to the submission already.
//!
//! Much of an annotation is the student's (compiler output of their code, values their program
//! printed, file names), so every property and message is made inert ([`inert_line`],
//! [`inert`]) before GitHub's own escaping: a control character is shown, never sent to the
//! log, and a line break inside a message is `%0A`, so nothing a student writes can start a
//! workflow command of its own.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use super::{Reporter, inert, inert_line, points};
use crate::grade::{BuildStatus, CheckGrade, CheckStatus, Grade, GradeStatus};

/// Writes the grade as GitHub Actions workflow commands.
#[derive(Debug, Clone, Default)]
pub struct Github {
    /// The repository's folder (`$GITHUB_WORKSPACE`, else the current folder): an absolute
    /// submission path inside it is written relative to it.
    pub workspace: Option<PathBuf>,
}

impl Reporter for Github {
    fn report(&self, grade: &Grade, out: &mut dyn Write) -> io::Result<()> {
        for annotation in self.annotations(grade) {
            writeln!(out, "{annotation}")?;
        }
        Ok(())
    }
}

/// One workflow command: `::error file=…,line=…,col=…,title=…::message`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Annotation {
    level: &'static str,
    file: Option<String>,
    line: Option<u32>,
    col: Option<u32>,
    title: String,
    message: String,
}

impl std::fmt::Display for Annotation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut properties = Vec::new();
        if let Some(file) = &self.file {
            properties.push(format!("file={}", escape_property(&inert_line(file))));
        }
        if let Some(line) = self.line {
            properties.push(format!("line={line}"));
        }
        if let Some(col) = self.col {
            properties.push(format!("col={col}"));
        }
        properties.push(format!(
            "title={}",
            escape_property(&inert_line(&self.title))
        ));
        write!(
            f,
            "::{} {}::{}",
            self.level,
            properties.join(","),
            escape_data(&inert(&self.message))
        )
    }
}

/// GitHub's escaping of a command's message: `%`, CR and LF.
#[must_use]
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a command's property value: as [`escape_data`], plus `:` and `,`.
#[must_use]
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

impl Github {
    /// The path of `file` (relative to the submission) as the repository knows it.
    fn path(&self, grade: &Grade, file: &str) -> String {
        let submission = Path::new(&grade.submission);
        let mut joined = submission.join(file);
        if joined.is_absolute()
            && let Some(relative) = self
                .workspace
                .as_deref()
                .and_then(|workspace| joined.strip_prefix(workspace).ok())
        {
            joined = relative.to_owned();
        }
        let parts: Vec<String> = joined
            .components()
            .filter(|part| *part != Component::CurDir)
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect();
        if joined.is_absolute() {
            joined.display().to_string()
        } else {
            parts.join("/")
        }
    }

    fn annotations(&self, grade: &Grade) -> Vec<Annotation> {
        let mut annotations = Vec::new();
        let build = &grade.build;
        match build.status {
            BuildStatus::Built => {}
            BuildStatus::CompileError => {
                let located = diagnostics(&build.diagnostics);
                if located.is_empty() {
                    annotations.push(plain("error", "build", "the submission does not compile"));
                }
                for diagnostic in located {
                    annotations.push(Annotation {
                        level: diagnostic.level,
                        file: Some(self.path(grade, &diagnostic.file)),
                        line: Some(diagnostic.line),
                        col: Some(diagnostic.col),
                        title: diagnostic.title,
                        message: diagnostic.text,
                    });
                }
            }
            BuildStatus::MissingFiles | BuildStatus::TimedOut | BuildStatus::Unreadable => {
                annotations.push(plain("error", "build", &build.diagnostics));
            }
        }
        for check in &grade.checks {
            if check.findings.is_empty() {
                if let Some(annotation) = self.check_annotation(grade, check) {
                    annotations.push(annotation);
                    annotations.extend(self.wait_annotations(grade, check));
                }
            } else {
                annotations.extend(self.finding_annotations(grade, check));
            }
        }
        let mut score = format!(
            "{}: {} / {} points",
            grade.exercise,
            points(grade.score),
            points(grade.max_score)
        );
        if let Some(hidden) = &grade.hidden {
            let _ = write!(score, "; {}", super::hidden_sentence(hidden));
        }
        if grade.status == GradeStatus::Incomplete {
            score += "; incomplete: labgrade could not grade every check";
        }
        annotations.push(plain("notice", "labgrade score", &score));
        annotations
    }

    fn check_annotation(&self, grade: &Grade, check: &CheckGrade) -> Option<Annotation> {
        let title = format!(
            "{} {}/{}: {}",
            check.id,
            points(check.score),
            points(check.max_score),
            check.title
        );
        let (level, message) = match check.status {
            CheckStatus::Passed => return None,
            CheckStatus::Skipped => (
                "warning",
                check.reason.clone().unwrap_or_else(|| "not run".to_owned()),
            ),
            CheckStatus::Error => (
                "warning",
                format!(
                    "labgrade could not grade this check (not the submission's fault): {}",
                    check.reason.as_deref().unwrap_or("")
                ),
            ),
            CheckStatus::Failed | CheckStatus::Partial => ("error", failed_cases(check)),
        };
        // A skipped check says nothing about the program's source.
        let file = (level == "error")
            .then(|| check.source.as_deref().map(|file| self.path(grade, file)))
            .flatten();
        Some(Annotation {
            level,
            line: file.as_ref().map(|_| 1),
            file,
            col: None,
            title,
            message,
        })
    }
}

impl Github {
    /// For a failed check whose program ran out of time, an annotation on each line of the
    /// program's own where a thread waited (its innermost frame of the program's own source),
    /// each line once, at most [`WAIT_ANNOTATIONS`].
    fn wait_annotations(&self, grade: &Grade, check: &CheckGrade) -> Vec<Annotation> {
        let mut annotations: Vec<Annotation> = Vec::new();
        let mut seen = Vec::new();
        let failed = check.cases.iter().filter(|case| !case.passed);
        let tasks = failed
            .filter_map(|case| case.observed.waiting.as_ref())
            .flat_map(|waiting| &waiting.tasks);
        for task in tasks {
            let Some(stack) = &task.stack else {
                continue;
            };
            let Some((file, line)) = stack.innermost_own() else {
                continue;
            };
            if seen.contains(&(file, line)) || seen.len() == WAIT_ANNOTATIONS {
                continue;
            }
            seen.push((file, line));
            annotations.push(Annotation {
                level: "error",
                file: Some(self.path(grade, file)),
                line: Some(line),
                col: None,
                title: format!("{}: the program waits here", check.id),
                message: format!(
                    "when labgrade ended the run, {}\nwhere it waits: {}",
                    task.describe(),
                    stack.describe()
                ),
            });
        }
        annotations
    }

    /// A style check's findings, each on the student's line it names.
    fn finding_annotations(&self, grade: &Grade, check: &CheckGrade) -> Vec<Annotation> {
        check
            .findings
            .iter()
            .map(|finding| Annotation {
                level: "error",
                file: Some(self.path(grade, &finding.file)),
                line: u32::try_from(finding.line).ok(),
                col: u32::try_from(finding.column).ok(),
                title: match &finding.lint {
                    Some(lint) => format!(
                        "{} {}/{}: clippy::{lint}",
                        check.id,
                        points(check.score),
                        points(check.max_score)
                    ),
                    None => format!(
                        "{} {}/{}: {}",
                        check.id,
                        points(check.score),
                        points(check.max_score),
                        check.title
                    ),
                },
                message: finding.message.clone(),
            })
            .collect()
    }
}

/// The most lines a check's annotations point at where its program waited.
const WAIT_ANNOTATIONS: usize = 5;

fn plain(level: &'static str, title: &str, message: &str) -> Annotation {
    Annotation {
        level,
        file: None,
        line: None,
        col: None,
        title: title.to_owned(),
        message: message.to_owned(),
    }
}

/// Every failed case of a check with its first failure and how to replay it.
fn failed_cases(check: &CheckGrade) -> String {
    // A ratio runs nothing: its reason says what was compared.
    if check.cases.is_empty() {
        return check.reason.clone().unwrap_or_default();
    }
    let failed: Vec<_> = check.cases.iter().filter(|case| !case.passed).collect();
    let mut text = format!("{} of {} cases failed", failed.len(), check.cases.len());
    for case in failed {
        let _ = write!(text, "\ncase {}: ", case.name);
        if let Some(runs) = super::runs_words(case) {
            let _ = write!(text, "({runs}) ");
        }
        match case
            .failures
            .iter()
            .find(|failure| failure.what != crate::grade::FailureKind::Runs)
        {
            Some(failure) => {
                let _ = write!(
                    text,
                    "expected {}, but {}",
                    failure.expected, failure.actual
                );
            }
            None => {
                let _ = write!(text, "the program {}", case.observed.termination_text);
            }
        }
        // Where a timed-out program waited, and what else the supervisor saw.
        for note in &case.observed.notes {
            let _ = write!(text, "\n  note: {note}");
        }
        let _ = write!(text, "\n  replay: {}", case.replay.shell);
    }
    text
}

/// A compiler message with a location.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Diagnostic {
    level: &'static str,
    title: String,
    file: String,
    line: u32,
    col: u32,
    text: String,
}

/// The errors and warnings of rustc's output that point at a file (`--> src/x.rs:12:5`).
fn diagnostics(output: &str) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut block: Vec<&str> = Vec::new();
    let flush = |block: &mut Vec<&str>, found: &mut Vec<Diagnostic>| {
        if let Some(diagnostic) = located(block) {
            found.push(diagnostic);
        }
        block.clear();
    };
    for line in output.lines() {
        let starts = line.starts_with("error") || line.starts_with("warning");
        if starts || line.starts_with("For more information") {
            flush(&mut block, &mut found);
        }
        if starts || !block.is_empty() {
            block.push(line);
        }
    }
    flush(&mut block, &mut found);
    found
}

/// A diagnostic from its lines: the header, then `--> file:line:col` somewhere below.
fn located(block: &[&str]) -> Option<Diagnostic> {
    let header = block.first()?;
    let level = if header.starts_with("error") {
        "error"
    } else {
        "warning"
    };
    let location = block
        .iter()
        .find_map(|line| line.trim_start().strip_prefix("--> "))?;
    let mut parts = location.trim().rsplitn(3, ':');
    let col = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    let file = parts.next()?.to_owned();
    Some(Diagnostic {
        level,
        title: (*header).to_owned(),
        file,
        line,
        col,
        text: block.join("\n").trim_end().to_owned(),
    })
}

/// Writes the grade as a Markdown table, for `$GITHUB_STEP_SUMMARY`.
pub fn write_step_summary(grade: &Grade, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "### labgrade: {} · {} / {} points\n",
        cell(&grade.exercise),
        points(grade.score),
        points(grade.max_score)
    )?;
    writeln!(out, "| check | status | score | cases passed |")?;
    writeln!(out, "| --- | --- | --- | --- |")?;
    let build = &grade.build;
    let status = match build.status {
        BuildStatus::Built => "✅ built",
        BuildStatus::MissingFiles => "❌ missing files",
        BuildStatus::CompileError => "❌ compile error",
        BuildStatus::TimedOut => "❌ timed out",
        BuildStatus::Unreadable => "❌ could not be read",
    };
    writeln!(
        out,
        "| build | {status} | {} / {} | |",
        points(build.score),
        points(build.max_score)
    )?;
    for check in &grade.checks {
        let status = match check.status {
            CheckStatus::Passed => "✅ passed",
            CheckStatus::Partial => "🟡 partial",
            CheckStatus::Failed => "❌ failed",
            CheckStatus::Skipped => "⏭️ skipped",
            CheckStatus::Error => "⚠️ error",
        };
        let passed = check.cases.iter().filter(|case| case.passed).count();
        let cases = if check.cases.is_empty() {
            String::new()
        } else {
            format!("{passed} of {}", check.cases.len())
        };
        writeln!(
            out,
            "| `{}` {} | {status} | {} / {} | {cases} |",
            cell(&check.id),
            cell(&check.title),
            points(check.score),
            points(check.max_score)
        )?;
    }
    if let Some(hidden) = &grade.hidden {
        writeln!(out, "\n{}.", super::hidden_sentence(hidden))?;
    }
    writeln!(out)
}

/// Text safe inside a Markdown table cell, its control characters shown.
fn cell(text: &str) -> String {
    inert_line(&text.replace('|', "\\|").replace('\n', " ")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_properties_are_escaped_as_github_documents() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A".to_owned());
    }

    #[test]
    fn student_text_cannot_start_a_command_or_reach_the_log_as_a_control() {
        let annotation = Annotation {
            level: "error",
            file: Some("src/\u{1b}]0;title\u{7}.rs".to_owned()),
            line: Some(1),
            col: None,
            title: "case 1\r::warning::forged".to_owned(),
            message: "stderr was \u{1b}]52;c;cHduZWQ=\u{7}\r::error::pwned\n::error::second"
                .to_owned(),
        };
        let written = annotation.to_string();
        assert!(
            !written.chars().any(char::is_control),
            "a control character reached the log: {written:?}"
        );
        assert_eq!(
            written,
            "::error file=src/\\u{1b}]0;title\\u{7}.rs,line=1,title=case 1\\r%3A%3Awarning%3A%3Aforged::stderr was \\u{1b}]52;c;cHduZWQ=\\u{7}\\r::error::pwned%0A::error::second"
        );
    }

    #[test]
    fn rustc_errors_are_located() {
        let output = "warning: unused variable: `x`\n --> src/lib.rs:3:9\n  |\n\nerror[E0308]: mismatched types\n  --> src/bin/a.rs:39:25\n   |\n39 | x\n\nFor more information about this error, try `rustc --explain E0308`.\nerror: could not compile `a` due to 1 previous error\n";
        let found = diagnostics(output);
        let located: Vec<_> = found
            .iter()
            .map(|found| (found.level, found.file.as_str(), found.line, found.col))
            .collect();
        assert_eq!(
            located,
            [
                ("warning", "src/lib.rs", 3, 9),
                ("error", "src/bin/a.rs", 39, 25)
            ]
        );
        assert_eq!(found[1].title, "error[E0308]: mismatched types");
        assert!(found[1].text.ends_with("39 | x"));
    }
}
