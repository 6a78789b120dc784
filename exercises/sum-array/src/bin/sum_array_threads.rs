//! Sums a large array with N threads: the threads half of the sum-array exercise.
//!
//! Run it with `cargo run --release --bin sum_array_threads -- <number of threads>`.
//! Your job is to fill in the `TODO`s: split the array into one part per thread, sum every part
//! in its own thread and add the partial sums in the main thread. The rest (arguments, input,
//! timing and output) is done for you; keep the two lines it prints exactly as they are.

use std::process::ExitCode;
use std::sync::Arc;

use labgrade_support::{ArraySpec, Stopwatch, workers_from_args};

/// Adds up the elements of one part of the array. Every thread calls this on its own part.
fn array_part_sum(part: &[i64]) -> i64 {
    // TODO: return the sum of the elements of `part` (remove the two lines below).
    let _ = part;
    0
}

/// Sums `array` with `workers` threads and returns the total.
fn sum_with_threads(array: &Arc<Vec<i64>>, workers: usize) -> i64 {
    // TODO 1: split the indices of the array into `workers` contiguous parts.
    //         `labgrade_support::split_ranges(array.len(), workers)` gives you the ranges and
    //         never loses the elements left over when `workers` does not divide the length.
    //
    // TODO 2: for every part, start a thread with `std::thread::spawn` that computes
    //         `array_part_sum(&array[range])` and returns it. The closure must own what it
    //         uses, so give each thread its own handle to the array with `Arc::clone(array)`
    //         and `move` the clone and the range into the closure. Keep every `JoinHandle`.
    //
    // TODO 3: only once every thread has been started, join them one by one
    //         (`JoinHandle::join`) and add up the partial sums they return.
    //
    // The line below only keeps the compiler quiet about unused items until you write the
    // code above: delete it, and return the real total instead of 0.
    let _ = (array, workers, array_part_sum);
    0
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
    let sum = sum_with_threads(&array, workers);

    println!("Array sum is: {sum}");
    println!("{}", stopwatch.time_spent_line());
    ExitCode::SUCCESS
}
