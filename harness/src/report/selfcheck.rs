//! Writes the findings of the content self-check.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::selfcheck::{Finding, Subject};

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
        let subject = match finding.subject {
            Subject::Layout => "layout",
            Subject::Solution => "reference solution (must earn full marks)",
            Subject::Skeleton => "skeleton (must not earn full marks)",
        };
        writeln!(
            out,
            "{style}{label:>4}{style:#} {}: {subject}: {}",
            finding.exercise, finding.detail
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
