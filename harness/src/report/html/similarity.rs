//! The report's Similar code section: the pairs of `similarity.csv`, each with its matching
//! regions side by side (the lines of each student's files where their shared fingerprints
//! are), and the files left out of the comparison.

use std::fmt::Write as _;

use maud::{Markup, html};

use super::text::{Text, plural};
use crate::class::Record;
use crate::report::similarity::{regions, score};
use crate::similarity::{
    Fingerprints, K, LEAST_SCORE, LEAST_SHARED, Region, SPREAD, SPREAD_FROM, Similarity,
    SourceFile, WINDOW,
};

/// Lines of one student's side shown for a pair; the CSV names every region.
const SHOWN_LINES: usize = 300;

/// The section, for `records` in the order they were compared.
pub(super) fn similarity_section(records: &[&Record], similarity: &Similarity) -> Markup {
    let left_out: Vec<(&str, &SourceFile)> = records
        .iter()
        .flat_map(|record| {
            record
                .similarity
                .iter()
                .flat_map(|f| &f.files)
                .filter(|file| !matches!(file, SourceFile::Compared { .. }))
                .map(|file| (record.student.as_str(), file))
        })
        .collect();
    html! {
        h2 id="similarity" { "Similar code" }
        p class="muted" {
            "Evidence to look at, never a verdict: students may have worked together as allowed, or followed the same lecture. "
            "Each file was lexed as Rust, names, literal values, comments and layout ignored; every run of " (K) " tokens hashed, and one hash of every " (WINDOW) " kept (winnowing, as MOSS does). "
            "Code of the skeleton never counts, nor code more than a quarter of the class shares. "
            "A pair's score is the fingerprints both hold over the fewer of the two's; a pair is listed from "
            (score(LEAST_SCORE)) " with " (LEAST_SHARED) " shared fingerprints"
            @if similarity.students >= SPREAD_FROM {
                ", and more than " (SPREAD) " median deviations above the class's median pair ("
                (score(similarity.median)) ", deviation " (score(similarity.deviation)) ")"
            }
            ". " (similarity.students) " students compared."
        }
        @if similarity.pairs.is_empty() {
            p { "No pair of students is unusually alike." }
        }
        @for pair in &similarity.pairs {
            @let (a, b) = (records[pair.a], records[pair.b]);
            details class="pair" {
                summary {
                    strong { (Text(&a.student)) " and " (Text(&b.student)) }
                    ": score " (score(pair.score)) ", " (pair.shared) " shared fingerprint" (plural(pair.shared))
                }
                div class="side-by-side" {
                    (side(a, &pair.regions_a))
                    (side(b, &pair.regions_b))
                }
            }
        }
        @if !left_out.is_empty() {
            p { "Files left out of the comparison:" }
            ul {
                @for (student, file) in &left_out {
                    li {
                        (Text(student)) ": " code { (Text(file.path())) } " "
                        @match file {
                            SourceFile::DoesNotLex { message, .. } => { "does not lex as Rust (" (Text(message)) ")" }
                            SourceFile::TooLarge { .. } => { "is larger than labgrade compares" }
                            SourceFile::Compared { .. } => {}
                        }
                    }
                }
            }
        }
    }
}

/// One student's side of a pair: each region's lines, numbered.
fn side(record: &Record, regions_of: &[Region]) -> Markup {
    let fingerprints = record.similarity.as_ref();
    let mut budget = SHOWN_LINES;
    html! {
        div {
            h4 { (Text(&record.student)) }
            p class="muted" { (Text(&regions(fingerprints, regions_of))) }
            @for region in regions_of {
                @let lines = lines_of(fingerprints, region, &mut budget);
                @if !lines.is_empty() {
                    pre class="region" { (Text(&lines)) }
                }
            }
        }
    }
}

/// The lines of `region`, each with its number, taking from `budget`.
fn lines_of(fingerprints: Option<&Fingerprints>, region: &Region, budget: &mut usize) -> String {
    let Some(SourceFile::Compared { path, text }) =
        fingerprints.and_then(|f| f.files.get(region.file))
    else {
        return String::new();
    };
    let first = region.first.max(1) as usize;
    let count = (region.last as usize + 1)
        .saturating_sub(first)
        .min(*budget);
    *budget -= count;
    let mut shown = format!("{path}\n");
    for (number, line) in text.lines().enumerate().skip(first - 1).take(count) {
        let _ = writeln!(shown, "{:>4} {line}", number + 1);
    }
    shown
}
