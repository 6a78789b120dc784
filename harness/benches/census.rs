//! The cost of the census: `sum_array_threads 8` (the reference solution) run through the
//! supervisor untraced and traced, interleaved, in the same run.
//!
//! `cargo bench -p labgrade --bench census` builds the solution in a temporary copy of the
//! exercise, runs each variant `LABGRADE_BENCH_RUNS` times (30 by default) with
//! `LABGRADE_SEED=1 LABGRADE_ARRAY_LEN=10000000`, alternating which variant goes first, and
//! prints the median wall time of each and their ratio.
#![allow(
    clippy::print_stdout,
    reason = "a benchmark's job is to print its figures"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use labgrade::run::{Job, Observation, Runner, Termination, Trace};

mod common;

use common::{bench_runs, build_solution, median, workspace_root};

fn main() {
    let runs = bench_runs();
    let root = workspace_root();
    let build = tempfile::tempdir().expect("temporary directory");
    let program = build_solution(&root, build.path(), "sum-array", "sum_array_threads");
    let runner = Runner::new(PathBuf::from(env!("CARGO_BIN_EXE_labgrade")));
    let untraced = job(&program, build.path(), None);
    let traced = job(&program, build.path(), Some(Trace::default()));

    // Warm the page cache and the CPU frequency before measuring.
    for job in [&untraced, &traced] {
        run(&runner, job);
    }
    let mut samples: BTreeMap<&str, Vec<Sample>> = BTreeMap::new();
    for index in 0..runs {
        let order = if index.is_multiple_of(2) {
            [("untraced", &untraced), ("traced", &traced)]
        } else {
            [("traced", &traced), ("untraced", &untraced)]
        };
        for (name, job) in order {
            samples.entry(name).or_default().push(run(&runner, job));
        }
    }

    println!("sum_array_threads 8, LABGRADE_ARRAY_LEN=10000000, {runs} runs of each, interleaved");
    println!(
        "{:<9} {:>14} {:>16} {:>18} {:>12}",
        "variant", "median wall ms", "median round ms", "median summing ms", "median cpu ms"
    );
    let mut medians = BTreeMap::new();
    for (name, samples) in &samples {
        let wall = median(samples.iter().map(|sample| sample.wall_ms as f64));
        let round = median(
            samples
                .iter()
                .map(|sample| sample.round_trip.as_secs_f64() * 1e3),
        );
        let summing = median(samples.iter().map(|sample| sample.summing_ms as f64));
        let cpu = median(samples.iter().map(|sample| sample.cpu_us as f64 / 1e3));
        println!("{name:<9} {wall:>14.1} {round:>16.2} {summing:>18.1} {cpu:>12.1}");
        medians.insert(*name, (wall, round));
    }
    let (untraced_wall, untraced_round) = medians["untraced"];
    let (traced_wall, traced_round) = medians["traced"];
    println!(
        "traced / untraced: wall {:.3}, round trip {:.3}",
        traced_wall / untraced_wall,
        traced_round / untraced_round
    );
}

/// One run's figures.
struct Sample {
    wall_ms: u64,
    /// The whole `Runner::run`, supervisor start and reply included.
    round_trip: Duration,
    /// What the program reported as the time of the summing itself.
    summing_ms: u64,
    cpu_us: u64,
}

fn run(runner: &Runner, job: &Job) -> Sample {
    let start = Instant::now();
    let observation: Observation = runner.run(job).expect("the benchmark job runs");
    let round_trip = start.elapsed();
    assert_eq!(
        observation.termination,
        Termination::Exited { code: 0 },
        "{observation:#?}"
    );
    if let Some(census) = &observation.census {
        assert_eq!((census.threads, census.processes), (8, 0), "{census:#?}");
    }
    let summing_ms = observation
        .stdout
        .text
        .lines()
        .find_map(|line| line.strip_prefix("Time spent: ")?.strip_suffix(" ms"))
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("no timing line in {:?}", observation.stdout.text));
    Sample {
        wall_ms: observation.wall_ms,
        round_trip,
        summing_ms,
        cpu_us: observation.cpu_us,
    }
}

fn job(program: &Path, cwd: &Path, trace: Option<Trace>) -> Job {
    common::job(
        program,
        cwd,
        &["8"],
        &[("LABGRADE_SEED", "1"), ("LABGRADE_ARRAY_LEN", "10000000")],
        trace,
    )
}
