//! Reference solution: sums an array with N processes and reports every worker that failed.
//!
//! As in sum-array, every child sums one part of the array (`split_ranges`) into its slot of a
//! `results` array shared with the parent, then exits with 0. The parent waits for every child
//! with `waitpid` and decodes the status it gets back: a child killed by a signal, or one that
//! exited with a non-zero code, is reported on standard output, and its part is left out of the
//! sum. The program still prints the sum of the other parts and exits with 0: one crashed
//! worker does not take the others down with it.

use std::process::ExitCode;

use labgrade_support::{ArraySpec, SharedResults, Stopwatch, split_ranges, workers_from_args};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

/// Adds up the elements of one part of the array. Every child process calls this on its part.
fn array_part_sum(part: &[i64]) -> i64 {
    part.iter().sum()
}

/// Leaves a child process at once, without running the parent's code that follows `fork`.
fn exit_child(code: i32) -> ! {
    // SAFETY: `_exit` only ends the calling process; it has no preconditions.
    unsafe { nix::libc::_exit(code) }
}

/// What a child process does: sum its part, store it in its slot, exit with 0.
fn run_worker(index: usize, part: &[i64], results: &SharedResults) -> ! {
    labgrade_support::fault_point(index);
    results.set(index, array_part_sum(part));
    exit_child(0)
}

/// Waits for `child` (worker `index`) and decodes its status.
///
/// Returns whether the child exited with code 0; otherwise prints how it ended.
fn wait_for_worker(index: usize, child: Pid) -> bool {
    match waitpid(child, None) {
        Ok(WaitStatus::Exited(_, 0)) => true,
        Ok(WaitStatus::Exited(_, code)) => {
            println!("worker {index} (pid {child}) exited with code {code}");
            false
        }
        Ok(WaitStatus::Signaled(_, signal, _)) => {
            println!(
                "worker {index} (pid {child}) was killed by signal {} ({signal})",
                signal as i32
            );
            false
        }
        Ok(other) => {
            println!("worker {index} (pid {child}) ended in an unexpected way: {other:?}");
            false
        }
        Err(error) => {
            eprintln!("waitpid for worker {index} (pid {child}) failed: {error}");
            false
        }
    }
}

/// Sums `array` with `workers` child processes, leaving out the part of every child that failed.
fn sum_with_processes(array: &[i64], workers: usize) -> nix::Result<i64> {
    let results = SharedResults::new(workers)?;

    let mut children = Vec::with_capacity(workers);
    let mut fork_error = None;
    for (index, range) in split_ranges(array.len(), workers).into_iter().enumerate() {
        // SAFETY: the process has a single thread when it forks, so the child inherits no lock
        // held by another thread; it only sums, writes its slot and exits.
        match unsafe { fork() } {
            Ok(ForkResult::Child) => run_worker(index, &array[range], &results),
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
    let spec = match ArraySpec::from_env() {
        Ok(spec) => spec,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    // Generating the array is not part of the work we time.
    let array = spec.generate();

    let stopwatch = Stopwatch::start();
    let sum = match sum_with_processes(&array, workers) {
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
