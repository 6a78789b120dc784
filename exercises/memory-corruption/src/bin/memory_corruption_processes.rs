//! Sums an array with N processes, one of which may corrupt the array: the processes half of
//! memory-corruption.
//!
//! Run it with `cargo run --release --bin memory_corruption_processes -- <processes> [corrupt]`.
//! Without a second argument it is the sum-array program. With a second argument (any value),
//! worker 0 turns malicious: before summing, it negates every element of the array outside its
//! own part. Your job is the `TODO` in `corrupt_array_outside`; then compare what this program
//! prints with what the threads program prints.

use std::ops::Range;
use std::process::ExitCode;

use labgrade_support::{ArraySpec, SharedResults, Stopwatch, split_ranges, workers_from_args};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

/// Whether the corruption is on: it is when the program gets a second argument, whatever it is.
fn corruption_from_args() -> bool {
    std::env::args().nth(2).is_some()
}

/// Adds up the elements of one part of the array. Every child process calls this on its part.
fn array_part_sum(part: &[i64]) -> i64 {
    part.iter().sum()
}

/// What the malicious worker does: negate every element of `array` outside its own `part`.
fn corrupt_array_outside(array: &mut [i64], part: &Range<usize>) {
    // TODO: negate every element of `array` whose index is not in `part`, exactly as in the
    //       threads program. Remove the line below.
    let _ = (array, part);
}

/// Leaves a child process at once, without running the parent's code that follows `fork`.
fn exit_child(code: i32) -> ! {
    // SAFETY: `_exit` only ends the calling process; it has no preconditions.
    unsafe { nix::libc::_exit(code) }
}

/// What child `index` does: (worker 0 only) corrupt its copy of the array, then sum its part,
/// store the sum in its slot and exit with 0.
///
/// Think about it: does this program need a barrier, as the threads program does? Why not?
fn run_worker(
    index: usize,
    array: &mut [i64],
    part: Range<usize>,
    corrupt: bool,
    results: &SharedResults,
) -> ! {
    // Lets the grader crash this worker on purpose; keep it the first thing the worker does.
    labgrade_support::fault_point(index);
    if corrupt && index == 0 {
        corrupt_array_outside(array, &part);
    }
    results.set(index, array_part_sum(&array[part]));
    exit_child(0)
}

/// Waits for `child` (worker `index`) and decodes its status.
///
/// Returns whether the child exited with code 0; otherwise says on stderr how it ended.
fn wait_for_worker(index: usize, child: Pid) -> bool {
    match waitpid(child, None) {
        Ok(WaitStatus::Exited(_, 0)) => true,
        Ok(WaitStatus::Exited(_, code)) => {
            eprintln!("worker {index} (pid {child}) exited with code {code}");
            false
        }
        Ok(WaitStatus::Signaled(_, signal, _)) => {
            eprintln!(
                "worker {index} (pid {child}) was killed by signal {} ({signal})",
                signal as i32
            );
            false
        }
        Ok(other) => {
            eprintln!("worker {index} (pid {child}) ended in an unexpected way: {other:?}");
            false
        }
        Err(error) => {
            eprintln!("waitpid for worker {index} (pid {child}) failed: {error}");
            false
        }
    }
}

/// Sums `array` with `workers` child processes, leaving out the part of every child that failed.
fn sum_with_processes(array: &mut [i64], workers: usize, corrupt: bool) -> nix::Result<i64> {
    let results = SharedResults::new(workers)?;

    let mut children = Vec::with_capacity(workers);
    let mut fork_error = None;
    for (index, range) in split_ranges(array.len(), workers).into_iter().enumerate() {
        // SAFETY: the process has a single thread when it forks, so the child inherits no lock
        // held by another thread; it only sums, writes its slot and exits.
        match unsafe { fork() } {
            Ok(ForkResult::Child) => run_worker(index, array, range, corrupt, &results),
            Ok(ForkResult::Parent { child }) => children.push((index, child)),
            Err(error) => {
                // Do not leave the children already started behind: wait for them first.
                fork_error = Some(error);
                break;
            }
        }
    }

    // Wait for every child, even after one has failed.
    let mut sum = 0;
    for (index, child) in children {
        if wait_for_worker(index, child) {
            sum += results.get(index);
        }
    }
    match fork_error {
        Some(error) => Err(error),
        None => Ok(sum),
    }
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
    let mut array = spec.generate();

    let stopwatch = Stopwatch::start();
    let sum = match sum_with_processes(&mut array, workers, corrupt) {
        Ok(sum) => sum,
        Err(error) => {
            eprintln!("could not sum the array with {workers} processes: {error}");
            return ExitCode::FAILURE;
        }
    };

    println!("Array sum is: {sum}");
    println!("{}", stopwatch.time_spent_line());
    ExitCode::SUCCESS
}
