//! The report's figures drawn as inline SVG: the geometry of `plot.rs` written as markup.
//!
//! SVG elements are always closed (`<line …></line>`): inside `<svg>` the HTML parser does not
//! know `line` or `rect` as empty elements, and would nest what follows an unclosed one.

use std::fmt::Write as _;

use maud::{Markup, Render, html};

use super::plot::{Histogram, PassBar, Size, TimingFigure, colour, ms};
use super::text::{Text, plural};
use super::timing::TimingPlot;
use crate::class::BINS;
use crate::report::points;

/// Students a timing plot names in a legend; more lines are named by their tooltip alone.
const LEGEND_STUDENTS: usize = 40;

/// A coordinate as the page writes it: one decimal.
#[derive(Debug, Clone, Copy)]
struct Px(f64);

impl Render for Px {
    fn render_to(&self, buffer: &mut String) {
        let _ = write!(buffer, "{:.1}", self.0);
    }
}

/// The `points` of a polyline through `placed` points.
fn polyline(placed: &[(f64, f64)]) -> String {
    placed
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The histogram of the class's scores (out of `max_score`), with its caption.
pub(super) fn histogram(counts: &[usize; BINS], max_score: f64) -> Markup {
    let plot = Histogram::new(counts);
    let (width, height, left, right, base) =
        (plot.width, plot.height, plot.left, plot.right, plot.base);
    html! {
        figure {
            svg class="histogram" width=(width) height=(height)
                viewBox={ "0 0 " (width) " " (height) } role="img" aria-label="score histogram" {
                @for tick in &plot.grid {
                    line class="grid" x1=(left) y1=(Px(tick.at)) x2=(Px(right)) y2=(Px(tick.at)) {}
                    text x=(Px(left - 6.0)) y=(Px(tick.at + 4.0)) text-anchor="end" { (tick.value) }
                }
                @for bar in &plot.bars {
                    rect class="bin" data-count=(bar.count) x=(Px(bar.x)) y=(Px(bar.y))
                        width=(Px(bar.width)) height=(Px(bar.height)) {
                        title {
                            "[" (bar.from) "%, " (bar.to) "%" (if bar.last { ']' } else { ')' })
                            ": " (bar.count) " student" (plural(bar.count))
                        }
                    }
                    @if bar.count > 0 {
                        text x=(Px(bar.x + bar.width / 2.0)) y=(Px(bar.y - 4.0)) text-anchor="middle" {
                            (bar.count)
                        }
                    }
                    text x=(Px(bar.slot)) y=(Px(base + 14.0)) text-anchor="middle" { (bar.from) }
                }
                text x=(Px(right)) y=(Px(base + 14.0)) text-anchor="middle" { "100" }
                line class="axis" x1=(left) y1=(base) x2=(Px(right)) y2=(base) {}
                text x=(Px(left + (width - left) / 2.0)) y=(Px(height - 4.0)) text-anchor="middle" {
                    "score, percent of " (points(max_score))
                }
            }
            figcaption {
                "Students per tenth of the maximum score (the last bin holds full marks); students labgrade could not grade are not counted."
            }
        }
    }
}

/// Check `id`'s pass-rate bar: `passed` and `partial` of `scored` students.
pub(super) fn pass_rate(id: &str, passed: usize, partial: usize, scored: usize) -> Markup {
    const LENGTH: f64 = PassBar::LENGTH;
    let bar = PassBar::new(passed, partial, scored);
    let percent = bar.percent;
    html! {
        svg class="pass-rate" data-check=(Text(id)) data-passed=(passed) data-scored=(scored)
            width=(LENGTH + 44.0) height="18" viewBox={ "0 0 " (LENGTH + 44.0) " 18" } role="img"
            aria-label={ (percent) "% passed" } {
            rect class="rest" x="0" y="2" width=(LENGTH) height="14" {}
            rect class="passed-part" x="0" y="2" width=(Px(bar.passed_width)) height="14" {}
            rect class="partial-part" x=(Px(bar.passed_width)) y="2"
                width=(Px(bar.partial_width)) height="14" {}
            text x=(Px(LENGTH + 6.0)) y="13" { (percent) "%" }
        }
    }
}

/// A timing plot at `size`; with `only`, just that student's line over the class median (the
/// student's own report: their index and id), else every student's, with a legend.
pub(super) fn timing_figure(plot: &TimingPlot, only: Option<(usize, &str)>, size: &Size) -> Markup {
    let figure = TimingFigure::new(plot, only.map(|(student, _)| student), size);
    let frame = &figure.frame;
    let (width, height) = (size.width, size.height);
    let label = match only {
        Some((_, student)) => format!("{}: {}", plot.id, student),
        None => plot.id.clone(),
    };
    let times = |points: &[(f64, f64)]| {
        points
            .iter()
            .map(|(x, time)| format!("{x}: {} ms", ms(*time)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let base = frame.base();
    let middle = size.top + frame.height() / 2.0;
    html! {
        figure {
            svg class="timing" data-check=(Text(&plot.id)) width=(width) height=(height)
                viewBox={ "0 0 " (width) " " (height) } role="img"
                aria-label={ "time against worker count, " (Text(&label)) } {
                text x=(Px(size.left)) y="14" { tspan font-weight="600" { (Text(&plot.title)) } }
                // The grid, the axes with their ticks, and their names.
                @for tick in frame.y_axis() {
                    line class="grid" x1=(Px(size.left)) y1=(Px(tick.at))
                        x2=(Px(size.width - size.right)) y2=(Px(tick.at)) {}
                    text x=(Px(size.left - 5.0)) y=(Px(tick.at + 4.0)) text-anchor="end" {
                        (points(tick.value))
                    }
                }
                @for tick in frame.x_axis() {
                    line class="axis" x1=(Px(tick.at)) y1=(Px(base)) x2=(Px(tick.at))
                        y2=(Px(base + 4.0)) {}
                    text x=(Px(tick.at)) y=(Px(base + 16.0)) text-anchor="middle" { (tick.value) }
                }
                line class="axis" x1=(Px(size.left)) y1=(Px(base)) x2=(Px(size.width - size.right))
                    y2=(Px(base)) {}
                line class="axis" x1=(Px(size.left)) y1=(Px(size.top)) x2=(Px(size.left))
                    y2=(Px(base)) {}
                text x=(Px(size.left + frame.width() / 2.0)) y=(Px(size.height - 4.0))
                    text-anchor="middle" { "workers" }
                text x="12" y=(Px(middle)) transform={ "rotate(-90 12 " (Px(middle)) ")" }
                    text-anchor="middle" { "ms" }
                @if let Some((first_x, ideal)) = &figure.ideal {
                    polyline class="ideal" points=(polyline(&frame.place(ideal))) {
                        title { "ideal speed-up from the median at " (first_x) " workers" }
                    }
                }
                @for line in &figure.lines {
                    polyline.student-timing.not-passed[!line.passed] data-student=(line.student)
                        stroke=(colour(line.student)) points=(polyline(&frame.place(&line.points))) {
                        title {
                            (Text(&line.name))
                            @if !line.passed { " (check not passed)" }
                            ": " (times(&line.points))
                        }
                    }
                }
                @if !plot.median.is_empty() {
                    polyline class="class-median" points=(polyline(&frame.place(&plot.median))) {
                        title { "class median: " (times(&plot.median)) }
                    }
                }
            }
            @if only.is_none() {
                (legend(plot))
            }
        }
    }
}

/// The caption of the class's timing plot: how many students, and which colour is whose.
fn legend(plot: &TimingPlot) -> Markup {
    html! {
        figcaption {
            (plot.lines.len()) " student" (plural(plot.lines.len()))
            "; milliseconds against worker count."
            // A legend while it stays readable; beyond, pointing at a line names it.
            @if plot.lines.len() <= LEGEND_STUDENTS {
                br;
                @for line in &plot.lines {
                    span class="legend" {
                        span style={ "color: " (colour(line.student)) } { "■" }
                        " " (Text(&line.name))
                    }
                    " "
                }
            }
        }
    }
}
