//! The report's Checks section: each check's pass rate over the students with a score.

use maud::{Markup, html};

use super::ClassStudent;
use super::plot_svg::pass_rate;
use super::text::Text;
use crate::class::{Manifest, Outcome};
use crate::grade::CheckStatus;
use crate::report::points;

/// How the students with a score did on one check.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Rate {
    passed: usize,
    partial: usize,
    failed: usize,
    skipped: usize,
    error: usize,
}

impl Rate {
    fn scored(self) -> usize {
        self.passed + self.partial + self.failed + self.skipped + self.error
    }
}

/// Pass rate of each check of `manifest`, in rubric order, over the students with a score.
fn pass_rates(manifest: &Manifest, students: &[ClassStudent<'_>]) -> Vec<Rate> {
    manifest
        .checks
        .iter()
        .map(|column| {
            let mut rate = Rate::default();
            for student in students {
                // An unreadable submission ran no check, so it says nothing of one.
                if matches!(student.record.outcome, Outcome::Error | Outcome::Unreadable) {
                    continue;
                }
                let status = student
                    .record
                    .checks
                    .iter()
                    .find(|check| check.id == column.id)
                    .map_or(CheckStatus::Skipped, |check| check.status);
                match status {
                    CheckStatus::Passed => rate.passed += 1,
                    CheckStatus::Partial => rate.partial += 1,
                    CheckStatus::Failed => rate.failed += 1,
                    CheckStatus::Error => rate.error += 1,
                    CheckStatus::Skipped => rate.skipped += 1,
                }
            }
            rate
        })
        .collect()
}

/// The table of every check's pass rate, in rubric order.
pub(super) fn pass_rate_table(manifest: &Manifest, students: &[ClassStudent<'_>]) -> Markup {
    html! {
        table class="pass-rates" {
            thead {
                tr {
                    th { "check" }
                    th class="num" { "points" }
                    th { "passed in full (green), in part (amber)" }
                    th class="num" { "passed" }
                    th class="num" { "partial" }
                    th class="num" { "failed" }
                    th class="num" { "skipped" }
                }
            }
            tbody {
                @for (column, rate) in manifest.checks.iter().zip(pass_rates(manifest, students)) {
                    tr class="check" {
                        td { b { (Text(&column.title)) } " " span class="muted" { (Text(&column.id)) } }
                        td class="num" { (points(column.max_score)) }
                        td { (pass_rate(&column.id, rate.passed, rate.partial, rate.scored())) }
                        td class="num" { (rate.passed) }
                        td class="num" { (rate.partial) }
                        td class="num" { (rate.failed + rate.error) }
                        td class="num" { (rate.skipped) }
                    }
                }
            }
        }
        p class="muted" {
            "Of the students with a score; \"failed\" counts checks labgrade could not run too (the student's status is then incomplete)."
        }
    }
}
