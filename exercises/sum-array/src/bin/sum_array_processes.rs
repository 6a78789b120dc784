//! Sums a large array with N processes: the processes half of the sum-array exercise.
//!
//! Run it with `cargo run --release --bin sum_array_processes -- <number of processes>`.
//! Your job is to fill in the `TODO`s: fork one child per part of the array, let every child sum
//! its part and hand the partial sum back to the parent, and add the partial sums in the parent.
//! The rest (arguments, input, timing and output) is done for you; keep the two lines it prints
//! exactly as they are.

use std::process::ExitCode;

use labgrade_support::{ArraySpec, Stopwatch, workers_from_args};

/// Adds up the elements of one part of the array. Every child process calls this on its part.
fn array_part_sum(part: &[i64]) -> i64 {
    // TODO: return the sum of the elements of `part` (remove the two lines below).
    let _ = part;
    0
}

/// Sums `array` with `workers` child processes and returns the total.
fn sum_with_processes(array: &[i64], workers: usize) -> i64 {
    // A child has its own copy of the parent's memory: a partial sum it stores in an ordinary
    // variable stays in the child. The lab solves this with a `results` array in memory that the
    // parent and its children share.
    //
    // TODO 1: create that array: an anonymous shared mapping big enough for one `i64` per
    //         worker, with `nix::sys::mman::mmap_anonymous` (`ProtFlags::PROT_READ |
    //         ProtFlags::PROT_WRITE`, `MapFlags::MAP_SHARED`). Fresh anonymous memory is
    //         filled with zeros. Release it with `nix::sys::mman::munmap` when you are done.
    //
    // TODO 2: split the indices into `workers` contiguous parts with
    //         `labgrade_support::split_ranges(array.len(), workers)`, which never loses the
    //         elements left over when `workers` does not divide the length.
    //
    // TODO 3: for every part, call `nix::unistd::fork`. In the child: compute
    //         `array_part_sum(&array[range])`, store it in the child's slot of the shared
    //         array, and leave at once with `nix::libc::_exit(0)` (the child must not go on
    //         running the parent's loop). In the parent: remember the child's `Pid`.
    //
    // TODO 4: wait for every child with `nix::sys::wait::waitpid` and look at the status it
    //         returns: if a child did not exit with code 0 (for example it was killed by a
    //         signal), say so on stderr, naming the exit code or the signal.
    //
    // TODO 5: add up the slots of the shared array and return the total.
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
    let array = spec.generate();

    let stopwatch = Stopwatch::start();
    let sum = sum_with_processes(&array, workers);

    println!("Array sum is: {sum}");
    println!("{}", stopwatch.time_spent_line());
    ExitCode::SUCCESS
}
