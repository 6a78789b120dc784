//! The numbers a TA wants once a batch is done: how many, mean, median, how scores spread,
//! and which checks most students failed. Computed from the journal records alone.

use super::{Manifest, Outcome, Record};
use crate::grade::CheckStatus;

/// Bins of the score histogram: tenths of the maximum.
pub const BINS: usize = 10;

/// How many of the most-failed checks are listed.
const MOST_FAILED: usize = 5;

/// A batch's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Students in the batch (or shard).
    pub students: usize,
    /// Students graded in full.
    pub graded: usize,
    /// Students graded in part (a check could not run).
    pub incomplete: usize,
    /// Students whose submission could not be read (0 points, counted in the statistics).
    pub unreadable: usize,
    /// Students labgrade could not grade.
    pub errors: usize,
    /// Points available.
    pub max_score: f64,
    /// Mean score of the students with a score (graded, incomplete or unreadable).
    pub mean: Option<f64>,
    /// Median score of those.
    pub median: Option<f64>,
    /// Students per tenth of the maximum: `[0, 10%)`, …, `[90%, 100%]`.
    pub histogram: [usize; BINS],
    /// Students with full marks.
    pub full_marks: usize,
    /// Checks that students did not pass in full, most often first: `(id, title, students)`.
    pub most_failed: Vec<(String, String, usize)>,
}

/// Summarizes `records` of the batch described by `manifest`.
#[must_use]
pub fn summarize(manifest: &Manifest, records: &[Record]) -> Summary {
    let count = |outcome| {
        records
            .iter()
            .filter(|record| record.outcome == outcome)
            .count()
    };
    let with_score: Vec<&Record> = records
        .iter()
        .filter(|record| record.outcome != Outcome::Error)
        .collect();
    let mut scores: Vec<f64> = with_score.iter().map(|record| record.score).collect();
    // Sorts the scores, so that the mean below adds them in one order whatever the records'.
    let median = crate::stats::median(&mut scores);
    let mean = (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64);
    let mut histogram = [0; BINS];
    for score in &scores {
        let ratio = if manifest.max_score > 0.0 {
            score / manifest.max_score
        } else {
            1.0
        };
        let bin = ((ratio * BINS as f64).floor().max(0.0) as usize).min(BINS - 1);
        histogram[bin] += 1;
    }
    let full_marks = with_score
        .iter()
        .filter(|record| record.outcome == Outcome::Graded && record.score >= record.max_score)
        .count();
    // An unreadable submission ran no check: it says nothing about which checks are hard.
    let mut most_failed: Vec<(String, String, usize)> = manifest
        .checks
        .iter()
        .map(|column| {
            let failed = with_score
                .iter()
                .filter(|record| record.outcome != Outcome::Unreadable)
                .filter(|record| {
                    record
                        .checks
                        .iter()
                        .any(|check| check.id == column.id && check.status != CheckStatus::Passed)
                })
                .count();
            (column.id.clone(), column.title.clone(), failed)
        })
        .filter(|(_, _, failed)| *failed > 0)
        .collect();
    // Stable: checks failed equally often stay in rubric order.
    most_failed.sort_by_key(|(_, _, failed)| std::cmp::Reverse(*failed));
    most_failed.truncate(MOST_FAILED);
    Summary {
        students: records.len(),
        graded: count(Outcome::Graded),
        incomplete: count(Outcome::Incomplete),
        unreadable: count(Outcome::Unreadable),
        errors: count(Outcome::Error),
        max_score: manifest.max_score,
        mean,
        median,
        histogram,
        full_marks,
        most_failed,
    }
}

#[cfg(test)]
mod tests {
    use super::{CheckStatus, summarize};
    use crate::class::{CheckScore, Column, Key, Manifest, Outcome, Record, Shard};

    fn record(student: &str, outcome: Outcome, score: f64, failed: &[&str]) -> Record {
        Record {
            version: 1,
            student: student.to_owned(),
            key: Key::default(),
            outcome,
            score,
            max_score: 100.0,
            checks: ["a", "b"]
                .iter()
                .map(|id| CheckScore {
                    id: (*id).to_owned(),
                    score: 0.0,
                    status: if failed.contains(id) {
                        CheckStatus::Failed
                    } else {
                        CheckStatus::Passed
                    },
                })
                .collect(),
            note: None,
            similarity: None,
        }
    }

    #[test]
    fn mean_median_histogram_and_most_failed() {
        let column = |id: &str| Column {
            id: id.to_owned(),
            title: id.to_uppercase(),
            max_score: 50.0,
        };
        let manifest = Manifest {
            version: 1,
            exercise: "x".to_owned(),
            rubric_key: String::new(),
            max_score: 100.0,
            checks: vec![column("a"), column("b")],
            shard: Shard::WHOLE,
            students: vec![],
            class: crate::class::ClassInfo::default(),
        };
        let records = [
            record("w", Outcome::Graded, 100.0, &[]),
            record("x", Outcome::Graded, 60.0, &["b"]),
            record("y", Outcome::Graded, 0.0, &["a", "b"]),
            record("z", Outcome::Graded, 95.0, &["b"]),
            // Not graded: counted, but not in the statistics.
            record("e", Outcome::Error, 0.0, &["a", "b"]),
            // Unreadable: a 0 in the statistics, but no failed check.
            record("u", Outcome::Unreadable, 0.0, &["a", "b"]),
        ];
        let summary = summarize(&manifest, &records);
        assert_eq!(
            (
                summary.students,
                summary.graded,
                summary.unreadable,
                summary.errors
            ),
            (6, 4, 1, 1)
        );
        assert_eq!(summary.mean, Some(51.0));
        assert_eq!(summary.median, Some(60.0));
        assert_eq!(summary.histogram, [2, 0, 0, 0, 0, 0, 1, 0, 0, 2]);
        assert_eq!(summary.full_marks, 1);
        assert_eq!(
            summary.most_failed,
            [
                ("b".to_owned(), "B".to_owned(), 3),
                ("a".to_owned(), "A".to_owned(), 1)
            ]
        );
    }
}
