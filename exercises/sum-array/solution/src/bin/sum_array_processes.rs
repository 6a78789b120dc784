//! Reference solution: sums a large array with N processes.
//!
//! As in the lab, the parent maps a `results` array that it shares with its children (one `i64`
//! slot per worker), forks one child per part of the array, and waits for each of them with
//! `waitpid`. Each child sums its part, writes the partial sum into its slot and exits at once.
//! The parent reports any child that did not exit cleanly, then adds up the slots: the slot of a
//! child that died before writing stays 0, so the sum comes out too low, as the lab shows.

use std::process::ExitCode;

use labgrade_support::{ArraySpec, SharedResults, Stopwatch, split_ranges, workers_from_args};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

/// Adds up the elements of one part of the array. Every child process calls this on its part.
fn array_part_sum(part: &[i64]) -> i64 {
    part.iter().sum()
}

/// Leaves a child process at once, without running the parent's code that follows `fork`, the
/// destructors it copied from the parent, or the parent's `atexit` handlers and stdio flushing.
fn exit_child(code: i32) -> ! {
    // SAFETY: `_exit` only ends the calling process; it has no preconditions.
    unsafe { nix::libc::_exit(code) }
}

/// Waits for `child` (worker `index`) and says on stderr if it did not exit with code 0.
///
/// Returns whether the child exited with code 0.
fn wait_for_worker(index: usize, child: Pid) -> bool {
    match waitpid(child, None) {
        Ok(WaitStatus::Exited(_, 0)) => true,
        Ok(WaitStatus::Exited(_, code)) => {
            eprintln!(
                "worker {index} (pid {child}) exited with code {code}: its part is missing from the sum"
            );
            false
        }
        Ok(WaitStatus::Signaled(_, signal, core_dumped)) => {
            let core = if core_dumped { ", core dumped" } else { "" };
            eprintln!(
                "worker {index} (pid {child}) was killed by signal {} ({signal}{core}): its part is missing from the sum",
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

/// Sums `array` with `workers` child processes.
///
/// Returns the total of the partial sums and whether every child exited cleanly.
fn sum_with_processes(array: &[i64], workers: usize) -> nix::Result<(i64, bool)> {
    let results = SharedResults::new(workers)?;

    let mut children = Vec::with_capacity(workers);
    let mut fork_error = None;
    for (index, range) in split_ranges(array.len(), workers).into_iter().enumerate() {
        // SAFETY: the process has a single thread when it forks, so the child inherits no lock
        // held by another thread and may run any code; it only sums, writes its slot and exits.
        match unsafe { fork() } {
            Ok(ForkResult::Child) => {
                results.set(index, array_part_sum(&array[range]));
                exit_child(0);
            }
            Ok(ForkResult::Parent { child }) => children.push((index, child)),
            Err(error) => {
                // Do not leave the children already started behind: wait for them first.
                fork_error = Some(error);
                break;
            }
        }
    }

    let mut all_exited_cleanly = true;
    for (index, child) in children {
        all_exited_cleanly &= wait_for_worker(index, child);
    }
    if let Some(error) = fork_error {
        return Err(error);
    }
    Ok((results.total(), all_exited_cleanly))
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
    let (sum, all_exited_cleanly) = match sum_with_processes(&array, workers) {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("could not sum the array with {workers} processes: {error}");
            return ExitCode::FAILURE;
        }
    };

    // As in the lab, the sum is printed even when a child died; the exit code tells it is short.
    println!("Array sum is: {sum}");
    println!("{}", stopwatch.time_spent_line());
    if all_exited_cleanly {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
