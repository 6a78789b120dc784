//! What runs measured, as numbers rather than verdicts: the figures the rubric's ratios compare,
//! and the timings of a `parallelism` check (information, never graded).

use std::collections::BTreeMap;

use super::super::model::{CaseGrade, Timing};
use crate::rubric::Figure;
use crate::run::Observation;

/// The figures of one run that the rubric's ratios compare. A figure that could not be measured
/// (a capture that is not a number, `cores-wanted` of an untraced run) is left out.
pub(super) fn run_figures(
    wanted: &[Figure],
    observation: &Observation,
    captures: &BTreeMap<String, String>,
) -> BTreeMap<String, f64> {
    let wall_ms = observation.wall_ms.max(1) as f64;
    wanted
        .iter()
        .filter_map(|figure| {
            let value = match figure {
                Figure::WallTime => Some(observation.wall_ms as f64),
                Figure::CpuTime => Some(observation.cpu_us as f64 / 1000.0),
                Figure::CoresBusy => Some(observation.cpu_us as f64 / 1000.0 / wall_ms),
                Figure::CoresWanted => observation.census.as_ref().map(|census| {
                    let wanted_us: u64 = census
                        .tasks
                        .iter()
                        .map(|task| task.cpu_us + task.waiting_us)
                        .sum();
                    wanted_us as f64 / 1000.0 / wall_ms
                }),
                Figure::Capture(name) => captures
                    .get(name)
                    .and_then(|text| text.trim().parse::<f64>().ok()),
            };
            value
                .filter(|value| value.is_finite())
                .map(|value| (figure.key().to_owned(), value))
        })
        .collect()
}

/// Each case's time and its speedup over the first case: how well the work was spread.
/// The time is the program's own measure of its work (`time_capture`) when the rubric names one,
/// else the wall time of the whole run with the cores it kept busy. Information only: on a
/// shared machine timings are too noisy to grade.
pub(super) fn timings(cases: &[CaseGrade], time_capture: Option<&str>) -> Vec<Timing> {
    let time_ms = |case: &CaseGrade| -> f64 {
        time_capture
            .and_then(|name| case.observed.captures.get(name))
            .and_then(|text| text.trim().parse::<f64>().ok())
            .unwrap_or(case.observed.wall_ms as f64)
    };
    let Some(first) = cases.first() else {
        return Vec::new();
    };
    let base = time_ms(first).max(0.5);
    cases
        .iter()
        .map(|case| {
            let time = time_ms(case);
            Timing {
                case: case.name.clone(),
                workers: workers(&case.replay.vars),
                time_ms: time,
                speedup: base / time.max(0.5),
                cores_busy: time_capture.is_none().then(|| {
                    case.observed.cpu_us as f64 / 1000.0 / (case.observed.wall_ms.max(1) as f64)
                }),
            }
        })
        .collect()
}

/// The worker count of a case: its `workers` variable, else its only numeric variable, so that
/// plots have an x axis whatever the rubric calls it.
fn workers(vars: &BTreeMap<String, String>) -> Option<u32> {
    if let Some(workers) = vars.get("workers") {
        return workers.trim().parse().ok();
    }
    let mut numeric = vars.values().filter_map(|value| value.trim().parse().ok());
    match (numeric.next(), numeric.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// The readable form of `timings`, for `info`.
pub(super) fn parallelism_line(timings: &[Timing]) -> String {
    let parts: Vec<String> = timings
        .iter()
        .map(|timing| {
            let (case, time, speedup) = (&timing.case, timing.time_ms, timing.speedup);
            match timing.cores_busy {
                None => format!("{case} {time} ms (×{speedup:.1})"),
                Some(busy) => format!("{case} {time} ms, {busy:.1} cores busy (×{speedup:.1})"),
            }
        })
        .collect();
    format!(
        "parallelism (information, not graded): {}",
        parts.join("; ")
    )
}
