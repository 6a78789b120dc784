//! The class's timings for the report's plots: for each check with `parallelism`, every
//! student's time per worker count and the class median.

use std::collections::BTreeMap;

use super::ClassStudent;
use crate::class::Manifest;
use crate::grade::{CheckStatus, Timing};

/// One student's line in a timing plot.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Line {
    pub(super) student: usize,
    pub(super) name: String,
    pub(super) passed: bool,
    pub(super) points: Vec<(f64, f64)>,
}

/// A timing plot: one check with `parallelism`, every student's times and the median.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TimingPlot {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) lines: Vec<Line>,
    pub(super) median: Vec<(f64, f64)>,
}

/// The x of a timing: the worker count, else the case's position.
pub(super) fn worker_x(index: usize, timing: &Timing) -> f64 {
    f64::from(timing.workers.unwrap_or(index as u32 + 1))
}

/// A plot for every check of `manifest` for which some student has timings.
pub(super) fn timing_plots(manifest: &Manifest, students: &[ClassStudent<'_>]) -> Vec<TimingPlot> {
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
pub(super) fn median_line(lines: &[Line]) -> Vec<(f64, f64)> {
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
