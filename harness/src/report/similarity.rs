//! `similarity.csv`: the pairs of students whose code is unusually alike, most alike first
//! (`crate::similarity` says how they are found and chosen).
//!
//! Columns: `student_a`, `student_b` (sorted within the pair), `score` (shared fingerprints
//! over the fewer of the two's, two decimals), `shared` (fingerprints both hold), `lines_a`,
//! `lines_b` (where they are: `file:first-last`, separated by spaces). Student ids and paths are
//! cells a spreadsheet must not run, written as the gradebook writes them. A class with no such
//! pair gets the header alone.

use std::io::{self, Write};

use super::gradebook::{plain_cell, text_cell, write_row};
use crate::class::Record;
use crate::similarity::{Fingerprints, Region, Similarity};

/// Writes the listed pairs of `similarity`, found among `records` (in the order compared).
pub fn write_similarity(
    records: &[Record],
    similarity: &Similarity,
    out: &mut dyn Write,
) -> io::Result<()> {
    let header: Vec<String> = [
        "student_a",
        "student_b",
        "score",
        "shared",
        "lines_a",
        "lines_b",
    ]
    .iter()
    .map(|name| plain_cell(name))
    .collect();
    write_row(out, &header)?;
    for pair in &similarity.pairs {
        let (a, b) = (&records[pair.a], &records[pair.b]);
        write_row(
            out,
            &[
                text_cell(&a.student),
                text_cell(&b.student),
                plain_cell(&score(pair.score)),
                plain_cell(&pair.shared.to_string()),
                text_cell(&regions(a.similarity.as_ref(), &pair.regions_a)),
                text_cell(&regions(b.similarity.as_ref(), &pair.regions_b)),
            ],
        )?;
    }
    out.flush()
}

/// A score as the CSV and the class report write it.
#[must_use]
pub(super) fn score(score: f64) -> String {
    format!("{score:.2}")
}

/// Regions as `file:first-last` (or `file:line`), separated by spaces.
pub(super) fn regions(fingerprints: Option<&Fingerprints>, regions: &[Region]) -> String {
    regions
        .iter()
        .map(|region| {
            let path = fingerprints
                .and_then(|f| f.files.get(region.file))
                .map_or("?", |file| file.path());
            if region.first == region.last {
                format!("{path}:{}", region.first)
            } else {
                format!("{path}:{}-{}", region.first, region.last)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
