//! Reference solution: sums an array with N threads, one of which may crash.
//!
//! Every thread sums one contiguous part of the array and returns its partial sum; the main
//! thread joins them all and adds the parts. There is nothing to fix here, and nothing that
//! could be: when a thread is killed by a signal such as `SIGSEGV`, the signal kills the whole
//! process, every thread with it, before anything is printed.

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
