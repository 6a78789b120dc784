//! Negates an array in another thread, then prints it: the threads half of wait-for-me.
//!
//! Run it with `cargo run --release --bin wait_for_me_threads`.
//! As given, the program starts a thread that negates every element of the array and, without
//! waiting for it, prints the array right away. Run it several times: which elements come out
//! negative changes from run to run. Your job is the `TODO` in `main`: make the output the same
//! on every run, the whole array negated.

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::thread;

use labgrade_support::ArraySpec;

/// Length of the array when `LABGRADE_ARRAY_LEN` is not set.
const DEFAULT_LEN: usize = 400;

/// Negates every element of `array`. The spawned thread runs this.
fn negate_array(array: &[AtomicI64]) {
    // Lets the grader crash this thread on purpose; keep it the first thing the thread does.
    labgrade_support::fault_point(0);
    for element in array {
        // Only this thread writes the array, so a load followed by a store loses nothing.
        element.store(-element.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

/// Prints the array, one number per line, reading every element at the moment it is printed.
fn print_array(array: &[AtomicI64]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    for element in array {
        writeln!(out, "{}", element.load(Ordering::Relaxed))?;
    }
    out.flush()
}

fn main() -> ExitCode {
    let spec = match ArraySpec::from_env_or(DEFAULT_LEN) {
        Ok(spec) => spec,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    // The array is shared with the thread through an `Arc`. Its elements are atomics so that the
    // two threads may read and write them at the same time without undefined behaviour; the
    // values each thread sees still depend on timing.
    let array: Arc<Vec<AtomicI64>> =
        Arc::new(spec.generate().into_iter().map(AtomicI64::new).collect());

    let negator = {
        let array = Arc::clone(&array);
        thread::spawn(move || negate_array(&array))
    };
    // TODO: wait for the thread to finish before printing the array, instead of throwing its
    //       handle away. Dropping a `JoinHandle` does not stop the thread: it keeps running,
    //       unwatched, while `main` prints. Look at what `JoinHandle` offers, and report a
    //       thread that panicked instead of printing.
    drop(negator);

    if let Err(error) = print_array(&array) {
        eprintln!("could not print the array: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
