//! The class report: one self-contained HTML page (`report.html`) for a TA to read a batch.
//!
//! It shows the score histogram, each check's pass rate, time against worker count for checks
//! with `parallelism` (one line per student and the class median), and every student's report
//! one click away. Everything is inline (CSS and SVG, no script, no font, no network), so the
//! file can be mailed or opened from an artifact; a Content-Security-Policy forbids scripts
//! and every fetch, so that even a mistake in escaping could not run a student's markup.
//!
//! Student-controlled text (ids, output, compiler messages, paths) goes through [`escape`]
//! everywhere, attributes included. The page is a pure function of its inputs, written in a
//! fixed order with fixed number formats and no clock, so that equal grades give equal bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{inert, points};
use crate::batch::{BINS, Manifest, Outcome, Record, Summary};
use crate::grade::{BuildStatus, CaseGrade, CheckGrade, CheckStatus, Grade, Timing};

/// Students a timing plot names in a legend; more lines are named by their tooltip alone.
const LEGEND_STUDENTS: usize = 40;

/// Characters of a stream or of compiler output shown in the page; the JSON report has the rest.
const SHOWN_CHARS: usize = 4000;

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
pub fn write_html(
    manifest: &Manifest,
    summary: &Summary,
    students: &[ClassStudent<'_>],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut page = String::new();
    // Writing to a `String` cannot fail.
    let _ = render(&mut page, manifest, summary, students);
    out.write_all(page.as_bytes())
}

/// Text made safe for HTML content and attribute values (quoted with `"` or `'`), its control
/// characters (parse errors in HTML) and the bidirectional ones that would reorder it shown as
/// [`inert`] shows them.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in inert(text).chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A student id as a relative URL path segment (`reports/<id>.json`).
fn url_segment(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

const STYLE: &str = r"
:root { --pass: #2e7d32; --partial: #f9a825; --fail: #c62828; --skip: #9e9e9e; --error: #6a1b9a;
        --ink: #212121; --muted: #616161; --line: #e0e0e0; --accent: #1565c0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1240px; padding: 16px 24px 64px; }
h1 { font-size: 24px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0 0 6px; }
h3 .name { font-weight: normal; }
.muted { color: var(--muted); }
.figures { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
figure { margin: 0; }
figcaption { color: var(--muted); font-size: 12px; max-width: 600px; }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); }
svg .axis { stroke: var(--muted); stroke-width: 1; }
svg .grid { stroke: var(--line); stroke-width: 1; }
rect.bin { fill: var(--accent); }
table { border-collapse: collapse; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; color: #fff; }
.passed, .graded { background: var(--pass); }
.partial, .incomplete { background: var(--partial); color: var(--ink); }
.failed, .compile_error, .missing_files, .timed_out { background: var(--fail); }
.skipped { background: var(--skip); }
.error { background: var(--error); }
.unreadable { background: var(--fail); }
td.cell-passed { background: #e8f5e9; }
td.cell-partial { background: #fff8e1; }
td.cell-failed, td.cell-error { background: #ffebee; }
td.cell-skipped { background: #f5f5f5; color: var(--muted); }
svg.pass-rate rect.passed-part { fill: var(--pass); }
svg.pass-rate rect.partial-part { fill: var(--partial); }
svg.pass-rate rect.rest { fill: #eeeeee; }
polyline.student-timing { fill: none; stroke-width: 1.5; stroke-opacity: 0.55; }
polyline.student-timing.not-passed { stroke-dasharray: 4 3; }
polyline.class-median { fill: none; stroke: var(--ink); stroke-width: 3.5; }
polyline.ideal { fill: none; stroke: var(--muted); stroke-width: 1; stroke-dasharray: 2 3; }
section.student { border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 16px 0; }
section.student:target { border-color: var(--accent); box-shadow: 0 0 0 3px #bbdefb; }
details { margin: 4px 0; }
summary { cursor: pointer; }
ul.cases { list-style: none; padding-left: 18px; margin: 4px 0; }
ul.cases li { margin: 3px 0; }
.ok { color: var(--pass); font-weight: 600; }
.ko { color: var(--fail); font-weight: 600; }
pre { background: #fafafa; border: 1px solid var(--line); padding: 6px 8px; overflow-x: auto;
      white-space: pre-wrap; word-break: break-word; max-height: 320px; margin: 4px 0; }
code { background: #f5f5f5; padding: 0 3px; word-break: break-all; }
.failure { margin: 2px 0 2px 12px; }
.legend { white-space: nowrap; margin-right: 6px; }
";

fn render(
    page: &mut String,
    manifest: &Manifest,
    summary: &Summary,
    students: &[ClassStudent<'_>],
) -> std::fmt::Result {
    let exercise = escape(&manifest.exercise);
    writeln!(page, "<!DOCTYPE html>")?;
    writeln!(page, "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")?;
    writeln!(
        page,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    // No script, no fetch: the page needs neither, and this makes injected markup inert.
    writeln!(
        page,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
    )?;
    writeln!(page, "<title>{exercise}: class report</title>")?;
    writeln!(page, "<style>{STYLE}</style>\n</head>\n<body>")?;
    writeln!(page, "<h1>{exercise}: class report</h1>")?;
    write_overview(page, summary)?;

    writeln!(page, "<h2 id=\"scores\">Scores</h2>")?;
    writeln!(page, "<div class=\"figures\">")?;
    write_histogram(page, summary)?;
    writeln!(page, "</div>")?;

    writeln!(page, "<h2 id=\"checks\">Checks</h2>")?;
    write_pass_rates(page, manifest, students)?;

    let plots = timing_plots(manifest, students);
    if !plots.is_empty() {
        writeln!(page, "<h2 id=\"timing\">Time against worker count</h2>")?;
        writeln!(
            page,
            "<p class=\"muted\">Information, never graded: timings on a shared machine are noisy. One thin line per student (point at it for the name), the class median per worker count in black, and the ideal speed-up from the median's first point dotted. Dashed: students whose check did not pass (their time may be the wall time of the whole run), left out of the median.</p>"
        )?;
        writeln!(page, "<div class=\"figures\">")?;
        for plot in &plots {
            write_timing_figure(page, plot, None, &Size::LARGE)?;
        }
        writeln!(page, "</div>")?;
    }

    writeln!(page, "<h2 id=\"students\">Students</h2>")?;
    write_student_table(page, manifest, students)?;
    for (index, student) in students.iter().enumerate() {
        let name = name_of(manifest, &student.record.student);
        write_student(page, index, student, name, &plots)?;
    }
    writeln!(page, "</body>\n</html>")
}

fn write_overview(page: &mut String, summary: &Summary) -> std::fmt::Result {
    let max = points(summary.max_score);
    write!(
        page,
        "<p class=\"overview\">{}",
        super::summary::counts(summary)
    )?;
    if let (Some(mean), Some(median)) = (summary.mean, summary.median) {
        write!(
            page,
            ". Mean {} / {max}, median {} / {max}",
            points(mean),
            points(median)
        )?;
    }
    writeln!(page, ".</p>")
}

/// The histogram of `summary`: one bar per tenth of the maximum, even when empty.
fn write_histogram(page: &mut String, summary: &Summary) -> std::fmt::Result {
    const WIDTH: f64 = 560.0;
    const HEIGHT: f64 = 260.0;
    const LEFT: f64 = 40.0;
    const BOTTOM: f64 = 36.0;
    const TOP: f64 = 16.0;
    let tallest = summary.histogram.iter().copied().max().unwrap_or(0).max(1);
    let plot_height = HEIGHT - BOTTOM - TOP;
    let slot = (WIDTH - LEFT - 10.0) / BINS as f64;
    writeln!(page, "<figure>")?;
    writeln!(
        page,
        "<svg class=\"histogram\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"score histogram\">"
    )?;
    let base = HEIGHT - BOTTOM;
    for tick in y_ticks(tallest as f64) {
        if tick.fract() != 0.0 {
            continue;
        }
        let y = base - tick / tallest as f64 * plot_height;
        writeln!(
            page,
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{tick}</text>",
            WIDTH - 10.0,
            LEFT - 6.0,
            y + 4.0
        )?;
    }
    for (bin, count) in summary.histogram.iter().enumerate() {
        let from = bin * 100 / BINS;
        let to = (bin + 1) * 100 / BINS;
        let close = if bin == BINS - 1 { ']' } else { ')' };
        let height = *count as f64 / tallest as f64 * plot_height;
        let x = LEFT + slot * bin as f64 + 3.0;
        let y = base - height;
        writeln!(
            page,
            "<rect class=\"bin\" data-count=\"{count}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{height:.1}\"><title>[{from}%, {to}%{close}: {count} student{}</title></rect>",
            slot - 6.0,
            plural(*count)
        )?;
        if *count > 0 {
            writeln!(
                page,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{count}</text>",
                x + (slot - 6.0) / 2.0,
                y - 4.0
            )?;
        }
        writeln!(
            page,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{from}</text>",
            LEFT + slot * bin as f64,
            base + 14.0
        )?;
    }
    writeln!(
        page,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">100</text>",
        WIDTH - 10.0,
        base + 14.0
    )?;
    writeln!(
        page,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{base}\" x2=\"{:.1}\" y2=\"{base}\"/>",
        WIDTH - 10.0
    )?;
    writeln!(
        page,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">score, percent of {}</text>",
        LEFT + (WIDTH - LEFT) / 2.0,
        HEIGHT - 4.0,
        points(summary.max_score)
    )?;
    writeln!(page, "</svg>")?;
    writeln!(
        page,
        "<figcaption>Students per tenth of the maximum score (the last bin holds full marks); students labgrade could not grade are not counted.</figcaption>"
    )?;
    writeln!(page, "</figure>")
}

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

fn write_pass_rates(
    page: &mut String,
    manifest: &Manifest,
    students: &[ClassStudent<'_>],
) -> std::fmt::Result {
    const BAR: f64 = 320.0;
    writeln!(
        page,
        "<table class=\"pass-rates\">\n<thead><tr><th>check</th><th class=\"num\">points</th><th>passed in full (green), in part (amber)</th><th class=\"num\">passed</th><th class=\"num\">partial</th><th class=\"num\">failed</th><th class=\"num\">skipped</th></tr></thead>\n<tbody>"
    )?;
    for (column, rate) in manifest.checks.iter().zip(pass_rates(manifest, students)) {
        let scored = rate.scored();
        let share = |count: usize| {
            if scored == 0 {
                0.0
            } else {
                count as f64 / scored as f64
            }
        };
        let passed_width = share(rate.passed) * BAR;
        let partial_width = share(rate.partial) * BAR;
        let percent = (share(rate.passed) * 100.0).round();
        let id = escape(&column.id);
        writeln!(
            page,
            "<tr class=\"check\"><td><b>{}</b> <span class=\"muted\">{id}</span></td><td class=\"num\">{}</td>",
            escape(&column.title),
            points(column.max_score)
        )?;
        writeln!(
            page,
            "<td><svg class=\"pass-rate\" data-check=\"{id}\" data-passed=\"{}\" data-scored=\"{scored}\" width=\"{}\" height=\"18\" viewBox=\"0 0 {} 18\" role=\"img\" aria-label=\"{percent}% passed\"><rect class=\"rest\" x=\"0\" y=\"2\" width=\"{BAR}\" height=\"14\"/><rect class=\"passed-part\" x=\"0\" y=\"2\" width=\"{passed_width:.1}\" height=\"14\"/><rect class=\"partial-part\" x=\"{passed_width:.1}\" y=\"2\" width=\"{partial_width:.1}\" height=\"14\"/><text x=\"{:.1}\" y=\"13\">{percent}%</text></svg></td>",
            rate.passed,
            BAR + 44.0,
            BAR + 44.0,
            BAR + 6.0
        )?;
        writeln!(
            page,
            "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            rate.passed,
            rate.partial,
            rate.failed + rate.error,
            rate.skipped
        )?;
    }
    writeln!(page, "</tbody>\n</table>")?;
    writeln!(
        page,
        "<p class=\"muted\">Of the students with a score; \"failed\" counts checks labgrade could not run too (the student's status is then incomplete).</p>"
    )
}

/// One student's line in a timing plot.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    student: usize,
    name: String,
    passed: bool,
    points: Vec<(f64, f64)>,
}

/// A timing plot: one check with `parallelism`, every student's times and the median.
#[derive(Debug, Clone, PartialEq)]
struct TimingPlot {
    id: String,
    title: String,
    lines: Vec<Line>,
    median: Vec<(f64, f64)>,
}

/// The x of a timing: the worker count, else the case's position.
fn worker_x(index: usize, timing: &Timing) -> f64 {
    f64::from(timing.workers.unwrap_or(index as u32 + 1))
}

/// A plot for every check of `manifest` for which some student has timings.
fn timing_plots(manifest: &Manifest, students: &[ClassStudent<'_>]) -> Vec<TimingPlot> {
    manifest
        .checks
        .iter()
        .filter_map(|column| {
            let mut lines = Vec::new();
            for (index, student) in students.iter().enumerate() {
                let Some(check) = student
                    .grade
                    .and_then(|grade| grade.checks.iter().find(|check| check.id == column.id))
                else {
                    continue;
                };
                if check.timings.is_empty() {
                    continue;
                }
                lines.push(Line {
                    student: index,
                    name: student.record.student.clone(),
                    passed: check.status == CheckStatus::Passed,
                    points: check
                        .timings
                        .iter()
                        .enumerate()
                        .map(|(at, timing)| (worker_x(at, timing), timing.time_ms))
                        .collect(),
                });
            }
            (!lines.is_empty()).then(|| {
                let median = median_line(&lines);
                TimingPlot {
                    id: column.id.clone(),
                    title: column.title.clone(),
                    lines,
                    median,
                }
            })
        })
        .collect()
}

/// The median time per worker count over the lines whose check passed (all of them if none
/// did), in increasing worker count.
fn median_line(lines: &[Line]) -> Vec<(f64, f64)> {
    let passed: Vec<&Line> = lines.iter().filter(|line| line.passed).collect();
    let chosen: Vec<&Line> = if passed.is_empty() {
        lines.iter().collect()
    } else {
        passed
    };
    // Worker counts are whole numbers, so their bits order them and key them exactly.
    let mut times: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for line in chosen {
        for &(x, time) in &line.points {
            times.entry(x.to_bits()).or_default().push(time);
        }
    }
    let mut median: Vec<(f64, f64)> = times
        .into_iter()
        .filter_map(|(x, mut values)| {
            crate::stats::median(&mut values).map(|value| (f64::from_bits(x), value))
        })
        .collect();
    median.sort_by(|a, b| a.0.total_cmp(&b.0));
    median
}

/// The size and margins of a plot.
struct Size {
    width: f64,
    height: f64,
    left: f64,
    bottom: f64,
    top: f64,
    right: f64,
}

impl Size {
    const LARGE: Self = Self {
        width: 580.0,
        height: 340.0,
        left: 56.0,
        bottom: 40.0,
        top: 28.0,
        right: 16.0,
    };
    const SMALL: Self = Self {
        width: 300.0,
        height: 180.0,
        left: 48.0,
        bottom: 34.0,
        top: 22.0,
        right: 10.0,
    };
}

/// Round tick values from 0 to at least `max`: 1, 2 or 5 times a power of ten apart.
fn y_ticks(max: f64) -> Vec<f64> {
    let max = if max > 0.0 { max } else { 1.0 };
    let rough = max / 4.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|factor| factor * power)
        .find(|step| *step >= rough)
        .unwrap_or(10.0 * power);
    let mut ticks = vec![0.0];
    let mut tick = 0.0;
    while tick < max - 1e-9 {
        tick += step;
        ticks.push((tick * 1e6).round() / 1e6);
    }
    ticks
}

/// Colour of student `index`'s line: spread around the hue circle, the same in every plot.
fn colour(index: usize) -> String {
    let hue = (index * 137) % 360;
    format!("hsl({hue}, 65%, 42%)")
}

/// A number of milliseconds as people read it.
fn ms(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// Where a timing plot draws: its size, worker counts and time ticks, and the scales that map
/// them to the picture.
struct Frame<'a> {
    size: &'a Size,
    xs: Vec<f64>,
    ticks: Vec<f64>,
    log: bool,
    x_range: (f64, f64),
    y_max: f64,
}

impl<'a> Frame<'a> {
    fn new(size: &'a Size, xs: Vec<f64>, top_time: f64) -> Self {
        let ticks = y_ticks(top_time);
        let y_max = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
        // Worker counts double from case to case, so a log scale spaces them evenly.
        let log = xs.first().is_some_and(|first| *first >= 1.0);
        let scale = |x: f64| if log { x.log2() } else { x };
        let x_range = (
            xs.first().copied().map_or(0.0, scale),
            xs.last().copied().map_or(1.0, scale),
        );
        Self {
            size,
            xs,
            ticks,
            log,
            x_range,
            y_max,
        }
    }

    fn width(&self) -> f64 {
        self.size.width - self.size.left - self.size.right
    }

    fn height(&self) -> f64 {
        self.size.height - self.size.top - self.size.bottom
    }

    fn x(&self, x: f64) -> f64 {
        let (lo, hi) = self.x_range;
        let scaled = if self.log { x.log2() } else { x };
        if hi > lo {
            self.size.left + (scaled - lo) / (hi - lo) * self.width()
        } else {
            self.size.left + self.width() / 2.0
        }
    }

    fn y(&self, time: f64) -> f64 {
        self.size.top + self.height() - time / self.y_max * self.height()
    }

    fn polyline(&self, points: &[(f64, f64)]) -> String {
        points
            .iter()
            .map(|(x, time)| format!("{:.1},{:.1}", self.x(*x), self.y(*time)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The grid, the axes with their ticks, and their names.
    fn write_axes(&self, page: &mut String) -> std::fmt::Result {
        let size = self.size;
        let base = size.top + self.height();
        for tick in &self.ticks {
            let y = self.y(*tick);
            writeln!(
                page,
                "<line class=\"grid\" x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                size.left,
                size.width - size.right,
                size.left - 5.0,
                y + 4.0,
                points(*tick)
            )?;
        }
        for x in &self.xs {
            let at = self.x(*x);
            writeln!(
                page,
                "<line class=\"axis\" x1=\"{at:.1}\" y1=\"{base:.1}\" x2=\"{at:.1}\" y2=\"{:.1}\"/><text x=\"{at:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{x}</text>",
                base + 4.0,
                base + 16.0
            )?;
        }
        writeln!(
            page,
            "<line class=\"axis\" x1=\"{:.1}\" y1=\"{base:.1}\" x2=\"{:.1}\" y2=\"{base:.1}\"/><line class=\"axis\" x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{base:.1}\"/>",
            size.left,
            size.width - size.right,
            size.left,
            size.top,
            size.left
        )?;
        let middle = size.top + self.height() / 2.0;
        writeln!(
            page,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">workers</text><text x=\"12\" y=\"{middle:.1}\" transform=\"rotate(-90 12 {middle:.1})\" text-anchor=\"middle\">ms</text>",
            size.left + self.width() / 2.0,
            size.height - 4.0,
        )
    }
}

/// A timing plot; with `only`, just that student's line over the class median (the student's
/// own report), else every student's.
fn write_timing_figure(
    page: &mut String,
    plot: &TimingPlot,
    only: Option<(usize, &str)>,
    size: &Size,
) -> std::fmt::Result {
    let lines: Vec<&Line> = plot
        .lines
        .iter()
        .filter(|line| only.is_none_or(|(student, _)| line.student == student))
        .collect();
    let xs: BTreeSet<u64> = plot
        .lines
        .iter()
        .flat_map(|line| &line.points)
        .map(|(x, _)| x.to_bits())
        .collect();
    let top_time = lines
        .iter()
        .flat_map(|line| &line.points)
        .chain(&plot.median)
        .map(|(_, time)| *time)
        .fold(0.0, f64::max);
    let frame = Frame::new(size, xs.into_iter().map(f64::from_bits).collect(), top_time);
    let polyline = |points: &[(f64, f64)]| frame.polyline(points);
    let xs = &frame.xs;
    let (width, height) = (size.width, size.height);
    let label = match only {
        Some((_, student)) => format!("{}: {}", plot.id, student),
        None => plot.id.clone(),
    };
    writeln!(page, "<figure>")?;
    writeln!(
        page,
        "<svg class=\"timing\" data-check=\"{}\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"time against worker count, {}\">",
        escape(&plot.id),
        escape(&label)
    )?;
    writeln!(
        page,
        "<text x=\"{:.1}\" y=\"14\"><tspan font-weight=\"600\">{}</tspan></text>",
        size.left,
        escape(&plot.title)
    )?;
    frame.write_axes(page)?;
    if let Some(&(first_x, first_time)) = plot.median.first() {
        // What perfect scaling from the median's first point would give.
        let ideal: Vec<(f64, f64)> = xs
            .iter()
            .filter(|x| **x >= first_x && first_x > 0.0)
            .map(|x| (*x, first_time * first_x / x))
            .collect();
        if ideal.len() > 1 {
            writeln!(
                page,
                "<polyline class=\"ideal\" points=\"{}\"><title>ideal speed-up from the median at {first_x} workers</title></polyline>",
                polyline(&ideal)
            )?;
        }
    }
    for line in &lines {
        let times: Vec<String> = line
            .points
            .iter()
            .map(|(x, time)| format!("{x}: {} ms", ms(*time)))
            .collect();
        writeln!(
            page,
            "<polyline class=\"student-timing{}\" data-student=\"{}\" stroke=\"{}\" points=\"{}\"><title>{}{}: {}</title></polyline>",
            if line.passed { "" } else { " not-passed" },
            line.student,
            colour(line.student),
            polyline(&line.points),
            escape(&line.name),
            if line.passed {
                ""
            } else {
                " (check not passed)"
            },
            times.join(", ")
        )?;
    }
    if !plot.median.is_empty() {
        let times: Vec<String> = plot
            .median
            .iter()
            .map(|(x, time)| format!("{x}: {} ms", ms(*time)))
            .collect();
        writeln!(
            page,
            "<polyline class=\"class-median\" points=\"{}\"><title>class median: {}</title></polyline>",
            polyline(&plot.median),
            times.join(", ")
        )?;
    }
    writeln!(page, "</svg>")?;
    if only.is_none() {
        write_legend(page, plot)?;
    }
    writeln!(page, "</figure>")
}

/// The caption of the class's timing plot: how many students, and which colour is whose.
fn write_legend(page: &mut String, plot: &TimingPlot) -> std::fmt::Result {
    write!(
        page,
        "<figcaption>{} student{}; milliseconds against worker count.",
        plot.lines.len(),
        plural(plot.lines.len())
    )?;
    // A legend while it stays readable; beyond, pointing at a line names it.
    if plot.lines.len() <= LEGEND_STUDENTS {
        write!(page, "<br>")?;
        for line in &plot.lines {
            write!(
                page,
                "<span class=\"legend\"><span style=\"color: {}\">■</span> {}</span> ",
                colour(line.student),
                escape(&line.name)
            )?;
        }
    }
    writeln!(page, "</figcaption>")?;
    Ok(())
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// The name the class download or the roster gave student `id`, if any: an LMS names students
/// by numbers, which a TA cannot read.
fn name_of<'a>(manifest: &'a Manifest, id: &str) -> Option<&'a str> {
    manifest.person(id)?.name.as_deref()
}

fn write_student_table(
    page: &mut String,
    manifest: &Manifest,
    students: &[ClassStudent<'_>],
) -> std::fmt::Result {
    let named = manifest
        .class
        .people
        .iter()
        .any(|person| person.name.is_some());
    writeln!(
        page,
        "<table class=\"students\">\n<thead><tr><th>student</th>{}<th class=\"num\">score</th><th>status</th>",
        if named { "<th>name</th>" } else { "" }
    )?;
    for column in &manifest.checks {
        writeln!(
            page,
            "<th class=\"num\" title=\"{}\">{}</th>",
            escape(&column.title),
            escape(&column.id)
        )?;
    }
    writeln!(page, "</tr></thead>\n<tbody>")?;
    for (index, student) in students.iter().enumerate() {
        let record = student.record;
        let outcome = record.outcome.as_str();
        let score = if record.outcome == Outcome::Error {
            "–".to_owned()
        } else {
            format!("{} / {}", points(record.score), points(manifest.max_score))
        };
        let name = if named {
            format!(
                "<td>{}</td>",
                escape(name_of(manifest, &record.student).unwrap_or_default())
            )
        } else {
            String::new()
        };
        writeln!(
            page,
            "<tr class=\"student\"><td><a href=\"#student-{index}\">{}</a></td>{name}<td class=\"num\">{score}</td><td><span class=\"status {outcome}\">{outcome}</span></td>",
            escape(&record.student)
        )?;
        for column in &manifest.checks {
            match record.checks.iter().find(|check| check.id == column.id) {
                Some(check) => writeln!(
                    page,
                    "<td class=\"num cell-{}\" title=\"{}\">{}</td>",
                    check.status.word(),
                    check.status.word(),
                    points(check.score)
                )?,
                None => writeln!(page, "<td></td>")?,
            }
        }
        writeln!(page, "</tr>")?;
    }
    writeln!(page, "</tbody>\n</table>")
}

/// Up to [`SHOWN_CHARS`] characters of `text`, escaped, saying how much was left out.
fn shown(text: &str) -> String {
    let mut kept: String = text.chars().take(SHOWN_CHARS).collect();
    let left = text.len() - kept.len();
    if left > 0 {
        let _ = write!(kept, "\n… {left} more bytes in the JSON report");
    }
    escape(&kept)
}

fn write_student(
    page: &mut String,
    index: usize,
    student: &ClassStudent<'_>,
    name: Option<&str>,
    plots: &[TimingPlot],
) -> std::fmt::Result {
    let record = student.record;
    let id = escape(&record.student);
    let segment = escape(&url_segment(&record.student));
    let outcome = record.outcome.as_str();
    writeln!(page, "<section class=\"student\" id=\"student-{index}\">")?;
    write!(page, "<h3>{id} ")?;
    if let Some(name) = name {
        write!(page, "<span class=\"name\">{}</span> ", escape(name))?;
    }
    if record.outcome != Outcome::Error {
        write!(
            page,
            "{} / {} ",
            points(record.score),
            points(record.max_score)
        )?;
    }
    writeln!(
        page,
        "<span class=\"status {outcome}\">{outcome}</span></h3>"
    )?;
    write!(
        page,
        "<p class=\"muted\"><a href=\"#students\">back to the table</a> · <a href=\"reports/{segment}.json\">JSON report</a> · <a href=\"feedback/{segment}.txt\">feedback</a>"
    )?;
    if let Some(grade) = student.grade {
        write!(
            page,
            " · submission <code>{}</code> · seed {} (replay: <code>--seed {}</code>)",
            escape(&grade.submission),
            grade.seed,
            grade.seed
        )?;
    }
    writeln!(page, "</p>")?;
    if let Some(note) = &record.note {
        writeln!(page, "<p class=\"note\">{}</p>", escape(note))?;
    }
    match student.grade {
        None => writeln!(
            page,
            "<p>No report: labgrade could not grade this submission; the next run of the batch grades it again.</p>"
        )?,
        Some(grade) => {
            write_build(page, grade)?;
            for check in &grade.checks {
                write_check(page, check)?;
            }
            let own: Vec<&TimingPlot> = plots
                .iter()
                .filter(|plot| plot.lines.iter().any(|line| line.student == index))
                .collect();
            if !own.is_empty() {
                writeln!(page, "<div class=\"figures\">")?;
                for plot in own {
                    write_timing_figure(page, plot, Some((index, &record.student)), &Size::SMALL)?;
                }
                writeln!(page, "</div>")?;
            }
        }
    }
    writeln!(page, "</section>")
}

fn write_build(page: &mut String, grade: &Grade) -> std::fmt::Result {
    let build = &grade.build;
    let (class, text) = match build.status {
        BuildStatus::Built => (
            "passed",
            format!("built in {:.1} s", build.duration_ms as f64 / 1000.0),
        ),
        BuildStatus::MissingFiles => ("missing_files", "files missing".to_owned()),
        BuildStatus::CompileError => ("compile_error", "compile error".to_owned()),
        BuildStatus::TimedOut => ("timed_out", "build timed out".to_owned()),
        BuildStatus::Unreadable => ("unreadable", "could not be read".to_owned()),
    };
    write!(
        page,
        "<div class=\"build\"><span class=\"status {class}\">build</span> {text}"
    )?;
    if build.max_score > 0.0 {
        write!(
            page,
            " · {} / {}",
            points(build.score),
            points(build.max_score)
        )?;
    }
    writeln!(page)?;
    if !build.missing_files.is_empty() {
        let files: Vec<String> = build
            .missing_files
            .iter()
            .map(|file| format!("<code>{}</code>", escape(file)))
            .collect();
        writeln!(page, "<div>missing: {}</div>", files.join(", "))?;
    }
    if build.status != BuildStatus::Built && !build.diagnostics.is_empty() {
        writeln!(
            page,
            "<pre class=\"diagnostics\">{}</pre>",
            shown(&build.diagnostics)
        )?;
    }
    writeln!(page, "</div>")
}

fn write_check(page: &mut String, check: &CheckGrade) -> std::fmt::Result {
    let status = check.status.word();
    // Open what needs reading: checks short of full marks.
    let open = if matches!(check.status, CheckStatus::Passed | CheckStatus::Skipped) {
        ""
    } else {
        " open"
    };
    writeln!(
        page,
        "<details class=\"check\"{open}><summary><span class=\"status {status}\">{status}</span> {} <span class=\"muted\">{}</span> · {} / {}</summary>",
        escape(&check.title),
        escape(&check.id),
        points(check.score),
        points(check.max_score)
    )?;
    if let Some(reason) = &check.reason {
        writeln!(page, "<div class=\"reason\">{}</div>", escape(reason))?;
    }
    for info in &check.info {
        writeln!(page, "<div class=\"info muted\">{}</div>", escape(info))?;
    }
    if !check.cases.is_empty() {
        writeln!(page, "<ul class=\"cases\">")?;
        for case in &check.cases {
            write_case(page, case)?;
        }
        writeln!(page, "</ul>")?;
    }
    writeln!(page, "</details>")
}

fn write_case(page: &mut String, case: &CaseGrade) -> std::fmt::Result {
    let (mark, class) = if case.passed {
        ("✓", "ok")
    } else {
        ("✗", "ko")
    };
    write!(
        page,
        "<li class=\"case\"><span class=\"{class}\">{mark}</span> case {}",
        escape(&case.name)
    )?;
    if case.runs > 1 {
        write!(
            page,
            " <span class=\"muted\">({} of {} runs passed)</span>",
            case.passed_runs, case.runs
        )?;
    }
    write!(
        page,
        " <span class=\"muted\">· {} · {} ms</span>",
        escape(&case.observed.termination_text),
        case.observed.wall_ms
    )?;
    writeln!(page)?;
    // The pass rate of repeated runs is said above, beside the case's name.
    for failure in case
        .failures
        .iter()
        .filter(|failure| failure.what != crate::grade::FailureKind::Runs)
    {
        writeln!(
            page,
            "<div class=\"failure\">expected {}<br>but {}</div>",
            escape(&failure.expected),
            escape(&failure.actual)
        )?;
    }
    for note in &case.observed.notes {
        writeln!(
            page,
            "<div class=\"failure muted\">note: {}</div>",
            escape(note)
        )?;
    }
    if !case.passed {
        for (name, stream) in [
            ("stdout", &case.observed.stdout),
            ("stderr", &case.observed.stderr),
        ] {
            if !stream.text.is_empty() {
                writeln!(
                    page,
                    "<details class=\"output\"><summary>{name} ({} bytes{})</summary><pre>{}</pre></details>",
                    stream.total_bytes,
                    if stream.truncated { ", truncated" } else { "" },
                    shown(&stream.text)
                )?;
            }
        }
        writeln!(
            page,
            "<div class=\"replay\">replay: <code>{}</code></div>",
            escape(&case.replay.shell)
        )?;
    }
    writeln!(page, "</li>")
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{ClassStudent, escape, write_html};
    use crate::batch::lms::Person;
    use crate::batch::{
        BINS, CheckScore, Column, Key, Manifest, Outcome, Record, Shard, summarize,
    };
    use crate::grade::Grade;

    const HOSTILE: &str = "<script>alert('pwned')</script><img src=x onerror=alert(1)>";

    fn manifest() -> Manifest {
        Manifest {
            version: 1,
            exercise: "sum-array".to_owned(),
            rubric_key: String::new(),
            max_score: 100.0,
            checks: vec![
                Column {
                    id: "sum".to_owned(),
                    title: "The sum & nothing <else>".to_owned(),
                    max_score: 60.0,
                },
                Column {
                    id: "timing".to_owned(),
                    title: "The time spent".to_owned(),
                    max_score: 40.0,
                },
            ],
            shard: Shard::WHOLE,
            students: vec![],
            class: crate::batch::lms::ClassInfo::default(),
        }
    }

    // Grades are written as their JSON report, the form `report.html` reads them in.
    fn case(name: &str, passed: bool, stdout: &str) -> Value {
        json!({
            "name": name, "passed": passed, "score": 0.0, "runs": 1, "passed_runs": u32::from(passed),
            "replay": { "seed": 7, "vars": { "workers": "1" }, "command": [], "env": {},
                        "shell": format!("cargo run -- {name}") },
            "observed": {
                "termination": { "kind": "exited", "code": 0 },
                "termination_text": "exited with code 0",
                "wall_ms": 12, "cpu_us": 0,
                "stdout": { "text": stdout, "total_bytes": stdout.len(), "truncated": false },
                "stderr": { "text": "", "total_bytes": 0, "truncated": false },
                "leftover_processes": 0, "containment": [], "captures": {}
            },
            "failures": if passed { json!([]) } else { json!([{
                "what": "stdout", "expected": "a line `Array sum is: <n>`",
                "actual": format!("stdout was {stdout:?}")
            }]) }
        })
    }

    /// A student with `sum_score` of 60 for `sum`, and `timing` passed with `times` (ms at 1, 2
    /// and 4 workers) or skipped.
    fn student(id: &str, sum_score: f64, stdout: &str, times: Option<[f64; 3]>) -> (Record, Grade) {
        let sum_status = if sum_score >= 60.0 {
            "passed"
        } else if sum_score > 0.0 {
            "partial"
        } else {
            "failed"
        };
        let timing_score = if times.is_some() { 40.0 } else { 0.0 };
        let timings: Vec<Value> = times
            .map(|times| {
                [1, 2, 4]
                    .iter()
                    .zip(times)
                    .map(|(workers, time)| {
                        json!({ "case": format!("workers={workers}"), "workers": workers,
                                "time_ms": time, "speedup": times[0] / time })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut timing = json!({
            "id": "timing", "title": "The time spent", "score": timing_score, "max_score": 40.0,
            "status": if times.is_some() { "passed" } else { "skipped" },
            "timings": timings, "cases": []
        });
        if times.is_none() {
            timing["reason"] = json!("not run");
        }
        let score = sum_score + timing_score;
        let grade: Grade = serde_json::from_value(json!({
            "version": 1, "labgrade_version": "0", "exercise": "sum-array", "rubric": "r.toml",
            "submission": format!("class/{id}"), "seed": 3, "status": "graded",
            "score": score, "max_score": 100.0,
            "build": { "status": "built", "score": 0.0, "max_score": 0.0, "duration_ms": 1500,
                       "missing_files": [], "diagnostics": "" },
            "checks": [
                { "id": "sum", "title": "The sum & nothing <else>", "score": sum_score,
                  "max_score": 60.0, "status": sum_status,
                  "cases": [case("workers=1", sum_status == "passed", stdout)] },
                timing
            ]
        }))
        .unwrap();
        let record = Record {
            version: 1,
            student: id.to_owned(),
            key: Key {
                submission: String::new(),
                rubric: String::new(),
                harness: String::new(),
            },
            outcome: Outcome::Graded,
            score,
            max_score: 100.0,
            checks: grade
                .checks
                .iter()
                .map(|check| CheckScore {
                    id: check.id.clone(),
                    score: check.score,
                    status: check.status,
                })
                .collect(),
            note: None,
        };
        (record, grade)
    }

    fn render(class: &[(Record, Option<Grade>)]) -> String {
        render_for(&manifest(), class)
    }

    fn render_for(manifest: &Manifest, class: &[(Record, Option<Grade>)]) -> String {
        let records: Vec<Record> = class.iter().map(|(record, _)| record.clone()).collect();
        let summary = summarize(manifest, &records);
        let students: Vec<ClassStudent<'_>> = class
            .iter()
            .map(|(record, grade)| ClassStudent {
                record,
                grade: grade.as_ref(),
            })
            .collect();
        let mut out = Vec::new();
        write_html(manifest, &summary, &students, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn class() -> Vec<(Record, Option<Grade>)> {
        let mut class: Vec<(Record, Option<Grade>)> = vec![
            student("alice", 60.0, "Array sum is: 1\n", Some([40.0, 20.0, 10.0])),
            student("bob", 30.0, "Array sum is: 2\n", Some([40.0, 30.0, 30.0])),
            student(HOSTILE, 0.0, HOSTILE, None),
            student("dave", 60.0, "ok", Some([50.0, 26.0, 14.0])),
        ]
        .into_iter()
        .map(|(record, grade)| (record, Some(grade)))
        .collect();
        let mut error = class[0].0.clone();
        error.student = "erin".to_owned();
        error.outcome = Outcome::Error;
        error.checks.clear();
        error.score = 0.0;
        error.note = Some(format!("labgrade could not grade: {HOSTILE}"));
        class.push((error, None));
        class
    }

    #[test]
    fn student_text_is_escaped_everywhere() {
        let page = render(&class());
        // The page has no script of its own, so any `<script` would be a student's.
        assert!(!page.to_lowercase().contains("<script"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;"));
        assert!(page.contains("The sum &amp; nothing &lt;else&gt;"));
        assert!(page.contains("Content-Security-Policy"));
        // The id, escaped, in the table and its section; and URL-encoded in links.
        assert!(page.contains("reports/%3Cscript%3Ealert%28%27pwned%27%29"));
        assert_eq!(
            escape("a\u{7}b\u{1b}]52;c;eA==\u{7}\u{202e}<\n"),
            "a\\u{7}b\\u{1b}]52;c;eA==\\u{7}\\u{202e}&lt;\n"
        );
    }

    #[test]
    fn names_from_the_class_download_stand_beside_ids_and_are_escaped() {
        let plain = render(&class());
        assert!(!plain.contains("<th>name</th>"), "no names, no column");
        let mut manifest = manifest();
        manifest.class.people = vec![
            Person::named("alice", Some("Alice <b>Liddell</b>")),
            Person::named("bob", None),
        ];
        let page = render_for(&manifest, &class());
        assert!(page.contains("<th>name</th>"));
        assert!(
            page.contains("<td>Alice &lt;b&gt;Liddell&lt;/b&gt;</td>"),
            "{page}"
        );
        assert!(
            page.contains("alice <span class=\"name\">Alice &lt;b&gt;Liddell&lt;/b&gt;</span>")
        );
        // Bob has no name: an empty cell, and no name in his section's heading.
        assert!(
            page.contains("#student-1\">bob</a></td><td></td>"),
            "{page}"
        );
        assert!(!page.contains("<h3>bob <span class=\"name\">"));
    }

    #[test]
    fn histogram_has_one_bar_per_bin_with_its_count() {
        let page = render(&class());
        let counts: Vec<&str> = page
            .match_indices("<rect class=\"bin\" data-count=\"")
            .map(|(at, text)| {
                let rest = &page[at + text.len()..];
                &rest[..rest.find('"').unwrap()]
            })
            .collect();
        assert_eq!(counts.len(), BINS);
        // Scores 100, 70, 0 and 100; erin is not graded.
        assert_eq!(counts, ["1", "0", "0", "0", "0", "0", "0", "1", "0", "2"]);
    }

    #[test]
    fn pass_rates_count_the_students_with_a_score() {
        let page = render(&class());
        assert!(
            page.contains("data-check=\"sum\" data-passed=\"2\" data-scored=\"4\""),
            "{page}"
        );
        assert!(page.contains("data-check=\"timing\" data-passed=\"3\" data-scored=\"4\""));
        assert!(page.contains("aria-label=\"50% passed\""));
        assert!(page.contains("aria-label=\"75% passed\""));
        assert_eq!(page.matches("<tr class=\"student\">").count(), 5);
        assert_eq!(page.matches("<section class=\"student\"").count(), 5);
    }

    #[test]
    fn timing_plot_has_a_line_per_student_and_the_median() {
        let page = render(&class());
        let plot_start = page
            .find("<svg class=\"timing\" data-check=\"timing\"")
            .unwrap();
        let plot = &page[plot_start..plot_start + page[plot_start..].find("</svg>").unwrap()];
        assert_eq!(plot.matches("class=\"student-timing").count(), 3);
        assert_eq!(plot.matches("class=\"class-median\"").count(), 1);
        // Medians of (40, 40, 50), (20, 30, 26) and (10, 30, 14).
        assert!(
            plot.contains("class median: 1: 40.0 ms, 2: 26.0 ms, 4: 14.0 ms"),
            "{plot}"
        );
        // The students with timings have their own small plot; the others none.
        assert_eq!(page.matches("<svg class=\"timing\"").count(), 1 + 3);
    }

    #[test]
    fn repeated_runs_say_their_pass_rate_once() {
        let (record, mut grade) = student("frank", 0.0, "Array sum is: 3\n", None);
        let case = &mut grade.checks[0].cases[0];
        case.runs = 5;
        case.passed_runs = 3;
        case.failures.insert(
            0,
            serde_json::from_value(json!({
                "what": "runs", "expected": "every one of 5 runs to pass",
                "actual": "3 of 5 passed; the first failing run is shown"
            }))
            .unwrap(),
        );
        let page = render(&[(record, Some(grade))]);
        assert_eq!(page.matches("(3 of 5 runs passed)").count(), 1, "{page}");
        assert!(!page.contains("every one of 5 runs to pass"), "{page}");
        // The failure of the shown run is still there.
        assert!(
            page.contains("expected a line `Array sum is: &lt;n&gt;`"),
            "{page}"
        );
    }

    #[test]
    fn equal_grades_give_equal_bytes() {
        assert_eq!(render(&class()), render(&class()));
    }
}
