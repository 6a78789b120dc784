//! Sums an array with N processes, one of which may crash: the processes half of seg-fault.
//!
//! Run it with `cargo run --release --bin seg_fault_processes -- <number of processes>`.
//! This is the processes program of sum-array, with one addition: every child calls
//! `labgrade_support::fault_point` first, so a child can be made to crash. The parent waits for
//! every child, but it throws away what `waitpid` tells it about how the child ended, so a
//! crashed worker goes unnoticed. Your job is the `TODO` in `sum_with_processes`.

use std::process::ExitCode;

use labgrade_support::{ArraySpec, SharedResults, Stopwatch, split_ranges, workers_from_args};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

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
    // Lets the grader crash this worker on purpose; keep it the first thing the worker does.
    labgrade_support::fault_point(index);
    results.set(index, array_part_sum(part));
    exit_child(0)
}

/// Sums `array` with `workers` child processes.
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

    // TODO: `waitpid` returns the child's status (`nix::sys::wait::WaitStatus`): whether it
    //       exited by itself, and with which code, or was killed by a signal, and which one.
    //       Look at it. For every child that did not exit with code 0, print one line on
    //       standard output, before the sum, naming the worker (its index), and the signal (by
    //       number or name) or the exit code, for example
    //           worker 2 (pid 4242) was killed by signal 11 (SIGSEGV)
    //           worker 2 (pid 4242) exited with code 3
    //       and leave that worker's part out of the sum. Keep waiting for the other children.
    let mut sum = 0;
    for (index, child) in children {
        let _ = waitpid(child, None);
        // The slot of a child that died before writing it still holds 0.
        sum += results.get(index);
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
