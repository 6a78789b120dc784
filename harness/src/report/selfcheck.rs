//! Writes the findings of the content self-check. A finding's detail may quote a fixture's
//! output (the hostile ones' too) and names come from folder names, so both are made inert.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::inert_line;
use crate::selfcheck::{Finding, FixtureKind, Subject};

const GREEN: Style = AnsiColor::Green.on_default().bold();
const RED: Style = AnsiColor::Red.on_default().bold();

/// Writes one line per finding, then a verdict.
pub fn write_selfcheck(findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
    for finding in findings {
        let (label, style) = if finding.ok {
            ("ok", GREEN)
        } else {
            ("FAIL", RED)
        };
        let subject = match &finding.subject {
            Subject::Layout => "layout".to_owned(),
            Subject::Readme => "README (must list every requirement with its points)".to_owned(),
            Subject::Solution => "reference solution (must earn full marks)".to_owned(),
            Subject::Skeleton => "skeleton (must not earn full marks)".to_owned(),
            Subject::Requirements => "requirements (each must have a mutant)".to_owned(),
            Subject::Manifest(name) => format!("fixture `{}`", inert_line(name)),
            Subject::Fixture(name, FixtureKind::Mutant { breaks, .. }) => format!(
                "mutant `{}` (must lose the points of `{}` only)",
                inert_line(name),
                inert_line(breaks)
            ),
            Subject::Fixture(name, _) => {
                format!(
                    "correct fixture `{}` (must earn full marks)",
                    inert_line(name)
                )
            }
        };
        writeln!(
            out,
            "{style}{label:>4}{style:#} {}: {subject}: {}",
            inert_line(&finding.exercise),
            inert_line(&finding.detail)
        )?;
    }
    let failed = findings.iter().filter(|finding| !finding.ok).count();
    if failed == 0 {
        writeln!(
            out,
            "{GREEN}self-check passed{GREEN:#}: {} findings",
            findings.len()
        )
    } else {
        writeln!(
            out,
            "{RED}self-check failed{RED:#}: {failed} of {} findings are wrong",
            findings.len()
        )
    }
}
