//! Reference solution: sums an array with N threads, one of which may corrupt the others' data.
//!
//! The threads share one array (`Arc<Vec<AtomicI64>>`: atomics, so that writing it from one
//! thread while others read it is allowed without `unsafe`). With corruption on, worker 0
//! negates every element outside its own part, and a `Barrier` shared by all the workers keeps
//! every worker from summing before worker 0 has finished. Because the threads share the array,
//! every other worker then sums negated elements: the program prints
//! (sum of part 0) - (sum of every other part).

use std::ops::Range;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Barrier};
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
    for element in array[..part.start].iter().chain(&array[part.end..]) {
        // Nobody else writes the array, and nobody reads it until the barrier is passed.
        element.store(-element.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

/// What worker `index` does: (worker 0 only) corrupt the array, wait for every worker at the
/// barrier if there is one, then sum its own part.
fn run_worker(
    index: usize,
    array: &[AtomicI64],
    part: Range<usize>,
    corruption: Option<&Barrier>,
) -> i64 {
    labgrade_support::fault_point(index);
    if let Some(barrier) = corruption {
        if index == 0 {
            corrupt_array_outside(array, &part);
        }
        // Nobody passes until every worker has arrived, worker 0 after corrupting. The barrier
        // also makes worker 0's writes visible to every worker that passes it.
        barrier.wait();
    }
    array_part_sum(&array[part])
}

/// Sums `array` with `workers` threads and returns the total, or `None` if a thread panicked.
fn sum_with_threads(array: &Arc<Vec<AtomicI64>>, workers: usize, corrupt: bool) -> Option<i64> {
    let barrier = corrupt.then(|| Arc::new(Barrier::new(workers)));
    let handles: Vec<_> = split_ranges(array.len(), workers)
        .into_iter()
        .enumerate()
        .map(|(index, range)| {
            let array = Arc::clone(array);
            let barrier = barrier.clone();
            thread::spawn(move || run_worker(index, &array, range, barrier.as_deref()))
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
