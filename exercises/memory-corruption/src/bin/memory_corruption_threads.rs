//! Sums an array with N threads, one of which may corrupt the array: the threads half of
//! memory-corruption.
//!
//! Run it with `cargo run --release --bin memory_corruption_threads -- <threads> [corrupt]`.
//! Without a second argument it is the sum-array program. With a second argument (any value),
//! worker 0 turns malicious: before summing, it negates every element of the array outside its
//! own part. Your job is the `TODO`s: write the corruption, and make sure that no worker starts
//! summing before worker 0 has finished corrupting.

use std::ops::Range;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::thread;

use labgrade_support::{ArraySpec, Stopwatch, split_ranges, workers_from_args};

/// Whether the corruption is on: it is when the program gets a second argument, whatever it is.
fn corruption_from_args() -> bool {
    std::env::args().nth(2).is_some()
}

/// Adds up the elements of one part of the array.
fn array_part_sum(part: &[AtomicI64]) -> i64 {
    part.iter()
        .map(|element| element.load(Ordering::Relaxed))
        .sum()
}

/// What the malicious worker does: negate every element of `array` outside its own `part`.
fn corrupt_array_outside(array: &[AtomicI64], part: &Range<usize>) {
    // TODO 1: negate every element of `array` whose index is not in `part` (elements are
    //         atomics: read one with `load`, write it with `store`; `Ordering::Relaxed` is
    //         enough, see TODO 2). Remove the line below.
    let _ = (array, part);
}

/// What worker `index` does: (worker 0 only, with corruption on) corrupt the array, then sum
/// its own part.
fn run_worker(index: usize, array: &[AtomicI64], part: Range<usize>, corrupt: bool) -> i64 {
    // Lets the grader crash this worker on purpose; keep it the first thing the worker does.
    labgrade_support::fault_point(index);
    if corrupt && index == 0 {
        corrupt_array_outside(array, &part);
    }
    // TODO 2: with corruption on, no worker may start summing before worker 0 has finished
    //         corrupting; as it is, the other workers may sum their parts before, during or
    //         after the corruption. Make every worker wait at a `std::sync::Barrier` shared by
    //         all of them (create it in `sum_with_threads`, give each thread an `Arc` of it):
    //         worker 0 arrives after corrupting, the others as soon as they start.
    array_part_sum(&array[part])
}

/// Sums `array` with `workers` threads and returns the total, or `None` if a thread panicked.
fn sum_with_threads(array: &Arc<Vec<AtomicI64>>, workers: usize, corrupt: bool) -> Option<i64> {
    let handles: Vec<_> = split_ranges(array.len(), workers)
        .into_iter()
        .enumerate()
        .map(|(index, range)| {
            let array = Arc::clone(array);
            thread::spawn(move || run_worker(index, &array, range, corrupt))
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
    let corrupt = corruption_from_args();
    let spec = match ArraySpec::from_env() {
        Ok(spec) => spec,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    // Generating the array is not part of the work we time.
    let array: Arc<Vec<AtomicI64>> =
        Arc::new(spec.generate().into_iter().map(AtomicI64::new).collect());

    let stopwatch = Stopwatch::start();
    let Some(sum) = sum_with_threads(&array, workers, corrupt) else {
        return ExitCode::FAILURE;
    };

    println!("Array sum is: {sum}");
    println!("{}", stopwatch.time_spent_line());
    ExitCode::SUCCESS
}
