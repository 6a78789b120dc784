//! The cost of observing system calls: the reference `ipc_stream` run through the supervisor
//! untraced, traced (census only), observed (the seccomp filter's stops counted) and observed
//! with short reads, interleaved, in the same run.
//!
//! `cargo bench -p labgrade --bench syscalls` builds the solution in a temporary copy of the
//! exercise, runs each variant `LABGRADE_BENCH_RUNS` times (30 by default) with
//! `LABGRADE_SEED=1`, rotating which variant goes first, and prints the median wall time of
//! each, the stops it took, and the ratios the issue asks for: observed over untraced, and
//! observed over traced (what the filter adds to the census).
#![allow(
    clippy::print_stdout,
    reason = "a benchmark's job is to print its figures"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use labgrade::run::{Job, Observation, Runner, SyscallWatch, Termination, Trace};

mod common;

use common::{bench_runs, build_solution, median, workspace_root};

fn main() {
    let runs = bench_runs();
    let root = workspace_root();
    let build = tempfile::tempdir().expect("temporary directory");
    let program = build_solution(&root, build.path(), "ipc-stream", "ipc_stream");
    let runner = Runner::new(PathBuf::from(env!("CARGO_BIN_EXE_labgrade")));
    let observed = |short_reads: Option<u64>| {
        Some(Trace {
            syscalls: Some(SyscallWatch { short_reads }),
            ..Trace::default()
        })
    };
    let variants = [
        ("untraced", job(&program, build.path(), None)),
        (
            "traced",
            job(&program, build.path(), Some(Trace::default())),
        ),
        ("observed", job(&program, build.path(), observed(None))),
        (
            "short-reads",
            job(&program, build.path(), observed(Some(1))),
        ),
    ];

    // Warm the page cache and the CPU frequency before measuring.
    for (_, job) in &variants {
        run(&runner, job);
    }
    let mut samples: BTreeMap<&str, Vec<(u64, u64)>> = BTreeMap::new();
    for index in 0..runs {
        for offset in 0..variants.len() {
            let (name, job) = &variants[(index + offset) % variants.len()];
            samples.entry(name).or_default().push(run(&runner, job));
        }
    }

    println!("ipc_stream (reference), LABGRADE_SEED=1, {runs} runs of each, interleaved");
    println!(
        "{:<12} {:>15} {:>14}",
        "variant", "median round us", "syscall stops"
    );
    let mut medians = BTreeMap::new();
    for (name, _) in &variants {
        let samples = &samples[name];
        let wall = median(samples.iter().map(|sample| sample.0 as f64));
        let stops = samples.first().map_or(0, |sample| sample.1);
        println!("{name:<12} {wall:>15.0} {stops:>14}");
        medians.insert(*name, wall);
    }
    println!(
        "observed / untraced: {:.3}; observed / traced: {:.3}; short-reads / untraced: {:.3}",
        medians["observed"] / medians["untraced"],
        medians["observed"] / medians["traced"],
        medians["short-reads"] / medians["untraced"],
    );
}

/// Runs `job`; returns the time of the whole `Runner::run` in microseconds (supervisor start
/// and reply included, the same for every variant: the program itself takes a few
/// milliseconds, below `Observation::wall_ms`'s resolution) and how many system calls the
/// tracer stopped at.
fn run(runner: &Runner, job: &Job) -> (u64, u64) {
    let start = Instant::now();
    let observation: Observation = runner.run(job).expect("the benchmark job runs");
    let round_trip = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    assert_eq!(
        observation.termination,
        Termination::Exited { code: 0 },
        "{observation:#?}"
    );
    let expected = labgrade_support::ipc_messages(1).len();
    assert_eq!(observation.stdout.text.lines().count(), expected);
    let stops = observation
        .census
        .as_ref()
        .and_then(|census| census.syscalls.as_ref())
        .map_or(0, |counts| counts.values().sum());
    (round_trip, stops)
}

fn job(program: &Path, cwd: &Path, trace: Option<Trace>) -> Job {
    common::job(program, cwd, &[], &[("LABGRADE_SEED", "1")], trace)
}
