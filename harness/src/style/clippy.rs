//! Reading `cargo clippy --message-format=json`: the findings of the graded lints in the
//! student's files.

use std::collections::BTreeSet;

use cargo_metadata::Message;
use cargo_metadata::diagnostic::{Diagnostic, DiagnosticLevel, DiagnosticSpan};

use crate::grade::{Finding, FindingKind};

use super::ToolOutcome;

/// What clippy said, from its JSON messages (`stdout`): the findings of `lints` in `files`
/// (paths relative to the package, whose folder relative to the workspace is `package`).
/// Findings are errors (the lints are forbidden, so that no attribute of the student's turns
/// them off); an error of any other kind means clippy could not compile the code.
pub(super) fn findings(
    (stdout, stderr): (&str, &str),
    lints: &BTreeSet<String>,
    package: &str,
    files: &[String],
) -> ToolOutcome {
    let mut findings = Vec::new();
    let mut unknown_lints = Vec::new();
    let mut errors = Vec::new();
    let mut finished = false;
    for message in Message::parse_stream(stdout.as_bytes()).flatten() {
        let message = match message {
            Message::CompilerMessage(message) => message,
            Message::BuildFinished(_) => {
                finished = true;
                continue;
            }
            _ => continue,
        };
        let diagnostic = message.message;
        let code = diagnostic.code.as_ref().map(|code| code.code.as_str());
        match code {
            Some("E0602") => {
                // "unknown lint: `clippy::name`", of a lint on the command line.
                unknown_lints.extend(
                    lints
                        .iter()
                        .filter(|lint| diagnostic.message.contains(&format!("`clippy::{lint}`")))
                        .cloned(),
                );
            }
            Some("E0453") => {
                // "allow(clippy::name) incompatible with previous forbid".
                let lint = lints
                    .iter()
                    .find(|lint| diagnostic.message.contains(&format!("clippy::{lint}")));
                if let (Some(lint), Some(span)) = (lint, student_span(&diagnostic, package, files))
                {
                    findings.push(finding(
                        FindingKind::Allowed,
                        lint,
                        span,
                        format!(
                            "turns off `clippy::{lint}`, a lint the rubric grades (clippy stopped here)"
                        ),
                    ));
                } else if lint.is_none() {
                    errors.push(rendered(&diagnostic));
                }
            }
            Some(code) if code.starts_with("clippy::") => {
                let lint = &code["clippy::".len()..];
                if lints.contains(lint)
                    && let Some(span) = student_span(&diagnostic, package, files)
                {
                    findings.push(finding(
                        FindingKind::Lint,
                        lint,
                        span,
                        diagnostic.message.clone(),
                    ));
                }
            }
            _ if matches!(
                diagnostic.level,
                DiagnosticLevel::Error | DiagnosticLevel::Ice
            ) =>
            {
                errors.push(rendered(&diagnostic));
            }
            _ => {}
        }
    }
    if !finished {
        // Cargo ends every build it started with this message: without it, clippy never ran
        // (a toolchain without clippy says `no such command: clippy`).
        return ToolOutcome::Unavailable {
            reason: format!(
                "cargo clippy gave no verdict (is clippy installed? `rustup component add clippy`):\n{stderr}"
            ),
        };
    }
    if errors.is_empty() {
        ToolOutcome::Checked {
            findings,
            unknown_lints,
        }
    } else {
        ToolOutcome::Failed {
            reason: format!("clippy could not compile the code:\n{}", errors.join("\n")),
        }
    }
}

fn rendered(diagnostic: &Diagnostic) -> String {
    diagnostic
        .rendered
        .clone()
        .unwrap_or_else(|| diagnostic.message.clone())
}

fn finding(
    kind: FindingKind,
    lint: &str,
    (file, span): (String, &DiagnosticSpan),
    message: String,
) -> Finding {
    Finding {
        kind,
        lint: Some(lint.to_owned()),
        file,
        line: span.line_start as u64,
        column: span.column_start as u64,
        message,
    }
}

/// The primary span of `diagnostic` in one of the student's `files`, following a macro's
/// expansion back to where the student's code called it; with its file relative to the
/// package. `None` for a finding in support code or a file the student does not hand in.
fn student_span<'a>(
    diagnostic: &'a Diagnostic,
    package: &str,
    files: &[String],
) -> Option<(String, &'a DiagnosticSpan)> {
    let mut span = diagnostic.spans.iter().find(|span| span.is_primary)?;
    loop {
        let file = span.file_name.as_str();
        let relative = if package.is_empty() {
            Some(file)
        } else {
            file.strip_prefix(package)
                .and_then(|rest| rest.strip_prefix('/'))
        };
        if let Some(relative) = relative.filter(|relative| files.iter().any(|f| f == relative)) {
            return Some((relative.to_owned(), span));
        }
        span = &span.expansion.as_ref()?.span;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::findings;
    use crate::style::ToolOutcome;

    #[test]
    fn without_cargo_s_last_message_clippy_gave_no_verdict() {
        let lints = BTreeSet::from(["unused_io_amount".to_owned()]);
        let files = ["src/main.rs".to_owned()];
        let outcome = findings(("", "error: no such command: `clippy`"), &lints, "", &files);
        assert!(
            matches!(&outcome, ToolOutcome::Unavailable { reason } if reason.contains("no such command")),
            "{outcome:?}"
        );
        let finished = "{\"reason\":\"build-finished\",\"success\":true}\n";
        assert_eq!(
            findings((finished, ""), &lints, "", &files),
            ToolOutcome::Checked {
                findings: Vec::new(),
                unknown_lints: Vec::new()
            }
        );
    }
}
