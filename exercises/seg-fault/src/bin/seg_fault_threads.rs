//! Sums an array with N threads, one of which may crash: the threads half of seg-fault.
//!
//! Run it with `cargo run --release --bin seg_fault_threads -- <number of threads>`.
//! This program is complete: it is the threads program of sum-array, with one addition, the
//! call to `labgrade_support::fault_point` at the start of every thread. Run it with a crashing
//! worker (see the README) and compare what it prints with the processes program. There is
//! nothing to fix here; think about why nothing *can* be fixed here.

use std::process::ExitCode;
use std::sync::Arc;
use std::thread;

use labgrade_support::{ArraySpec, Stopwatch, split_ranges, workers_from_args};

/// Adds up the elements of one part of the array. Every thread calls this on its own part.
fn array_part_sum(part: &[i64]) -> i64 {
    part.iter().sum()
}

/// What thread `index` does: sum its part of the array.
fn run_worker(index: usize, part: &[i64]) -> i64 {
    // Lets the grader crash this worker on purpose; keep it the first thing the worker does.
    labgrade_support::fault_point(index);
    array_part_sum(part)
}

/// Sums `array` with `workers` threads and returns the total, or `None` if a thread panicked.
fn sum_with_threads(array: &Arc<Vec<i64>>, workers: usize) -> Option<i64> {
    // Start every thread before joining any, so that they all run at the same time.
    let handles: Vec<_> = split_ranges(array.len(), workers)
        .into_iter()
        .enumerate()
        .map(|(index, range)| {
            let array = Arc::clone(array);
            thread::spawn(move || run_worker(index, &array[range]))
        })
        .collect();

    let mut sum = 0;
    let mut all_finished = true;
    for (index, handle) in handles.into_iter().enumerate() {
        if let Ok(part) = handle.join() {
            sum += part;
        } else {
            eprintln!("thread {index} panicked: its part is missing from the sum");
            all_finished = false;
        }
    }
    all_finished.then_some(sum)
}

fn main() -> ExitCode {
    let workers = match workers_from_args() {
        Ok(workers) => workers,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let spec = match ArraySpec::from_env() {
        Ok(spec) => spec,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    // Generating the array is not part of the work we time.
    let array = Arc::new(spec.generate());

    let stopwatch = Stopwatch::start();
    let Some(sum) = sum_with_threads(&array, workers) else {
        return ExitCode::FAILURE;
    };

    println!("Array sum is: {sum}");
    println!("{}", stopwatch.time_spent_line());
    ExitCode::SUCCESS
}
