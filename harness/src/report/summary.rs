//! The summary of a batch: counts, mean, median, a histogram of scores and the checks most
//! students failed. Plain text, so that it reads the same in a terminal and in `summary.txt`.

use std::io::{self, Write};

use super::{inert_line, points};
use crate::class::{BINS, Summary};

/// Widest histogram bar, in characters.
const BAR_WIDTH: usize = 40;

/// How many students were graded, and how: the summary's first line, and the class report's.
pub(super) fn counts(summary: &Summary) -> String {
    format!(
        "{} students: {} graded, {} unreadable, {} incomplete, {} could not be graded; {} with full marks",
        summary.students,
        summary.graded,
        summary.unreadable,
        summary.incomplete,
        summary.errors,
        summary.full_marks
    )
}

/// Writes `summary`.
pub fn write_summary(summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
    let max = points(summary.max_score);
    writeln!(out, "{}", counts(summary))?;
    if let (Some(mean), Some(median)) = (summary.mean, summary.median) {
        writeln!(
            out,
            "mean {} / {max}, median {} / {max}",
            points(mean),
            points(median)
        )?;
    }
    let tallest = summary.histogram.iter().copied().max().unwrap_or(0);
    if tallest > 0 {
        writeln!(out)?;
        writeln!(out, "scores (percent of {max})")?;
        for (bin, count) in summary.histogram.iter().enumerate().rev() {
            let from = bin * 100 / BINS;
            let to = (bin + 1) * 100 / BINS;
            let close = if bin == BINS - 1 { ']' } else { ')' };
            let width = (count * BAR_WIDTH).div_ceil(tallest);
            writeln!(
                out,
                "  [{from:>3}, {to:>3}{close} {:<BAR_WIDTH$} {count}",
                "#".repeat(width)
            )?;
        }
    }
    if !summary.most_failed.is_empty() {
        writeln!(out)?;
        writeln!(out, "checks most students did not pass in full")?;
        let scored = summary.graded + summary.incomplete;
        for (id, title, failed) in &summary.most_failed {
            writeln!(
                out,
                "  {failed:>4} of {scored}  {}: {}",
                inert_line(id),
                inert_line(title)
            )?;
        }
    }
    Ok(())
}
