//! The class report's document: the page's head and its sections in order, written out.

use std::io::{self, Write};

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::checks::pass_rate_table;
use super::plot::Size;
use super::plot_svg::{histogram, timing_figure};
use super::similarity::similarity_section;
use super::student::{name_of, student_section, student_table};
use super::text::Text;
use super::timing::timing_plots;
use crate::class::{Manifest, Record, Summary};
use crate::grade::Grade;
use crate::report::points;
use crate::similarity::Similarity;

/// The page's style sheet, inline so that the page fetches nothing.
const STYLE: &str = include_str!("style.css");

/// One student of the class: the journal record, and the grade when there is one (a student
/// labgrade could not grade has none).
#[derive(Debug, Clone, Copy)]
pub struct ClassStudent<'a> {
    /// The student's record.
    pub record: &'a Record,
    /// The student's grade, from `reports/<id>.json`.
    pub grade: Option<&'a Grade>,
}

/// Writes the class report of `students` (sorted by id) for the batch of `manifest`, whose
/// summary is `summary`.
/// The Similar code section lists `similarity`'s pairs, found among `students` in their order.
pub fn write_html(
    manifest: &Manifest,
    summary: &Summary,
    students: &[ClassStudent<'_>],
    similarity: &Similarity,
    out: &mut dyn Write,
) -> io::Result<()> {
    let page = render(manifest, summary, students, similarity);
    out.write_all(page.into_string().as_bytes())
}

fn render(
    manifest: &Manifest,
    summary: &Summary,
    students: &[ClassStudent<'_>],
    similarity: &Similarity,
) -> Markup {
    let records: Vec<&Record> = students.iter().map(|student| student.record).collect();
    let exercise = Text(&manifest.exercise);
    let plots = timing_plots(manifest, students);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // No script, no fetch: the page needs neither, and this makes injected markup
                // inert.
                meta http-equiv="Content-Security-Policy"
                    content="default-src 'none'; style-src 'unsafe-inline'; img-src data:";
                title { (exercise) ": class report" }
                // Style sheets are raw text: escaping would change the CSS, and it is ours.
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { (exercise) ": class report" }
                (overview(summary))
                h2 id="scores" { "Scores" }
                div class="figures" { (histogram(&summary.histogram, summary.max_score)) }
                h2 id="checks" { "Checks" }
                (pass_rate_table(manifest, students))
                @if !plots.is_empty() {
                    h2 id="timing" { "Time against worker count" }
                    p class="muted" {
                        "Information, never graded: timings on a shared machine are noisy. One thin line per student (point at it for the name), the class median per worker count in black, and the ideal speed-up from the median's first point dotted. Dashed: students whose check did not pass (their time may be the wall time of the whole run), left out of the median."
                    }
                    div class="figures" {
                        @for plot in &plots {
                            (timing_figure(plot, None, &Size::LARGE))
                        }
                    }
                }
                (similarity_section(&records, similarity))
                h2 id="students" { "Students" }
                (student_table(manifest, students))
                @for (index, student) in students.iter().enumerate() {
                    (student_section(index, student, name_of(manifest, &student.record.student), &plots))
                }
            }
        }
    }
}

fn overview(summary: &Summary) -> Markup {
    let max = points(summary.max_score);
    html! {
        p class="overview" {
            (crate::report::summary::counts(summary))
            @if let (Some(mean), Some(median)) = (summary.mean, summary.median) {
                ". Mean " (points(mean)) " / " (max) ", median " (points(median)) " / " (max)
            }
            "."
        }
    }
}
