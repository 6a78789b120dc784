//! Reference solution: one thread negates the array, the main thread waits for it, then prints.
//!
//! The array is shared with the thread through an `Arc`, as a vector of atomics so that both
//! threads may touch it without `unsafe`. Joining the thread is what makes the output
//! deterministic: `join` returns only once the thread has finished, and everything the thread
//! wrote is visible to the main thread after it.

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
    labgrade_support::fault_point(0);
    for element in array {
        // Only this thread writes the array, so a load followed by a store loses nothing.
        element.store(-element.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

/// Prints the array, one number per line.
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
    let array: Arc<Vec<AtomicI64>> =
        Arc::new(spec.generate().into_iter().map(AtomicI64::new).collect());

    let negator = {
        let array = Arc::clone(&array);
        thread::spawn(move || negate_array(&array))
    };
    // Wait for the thread: only then is every element negated.
    if negator.join().is_err() {
        eprintln!("the thread negating the array panicked");
        return ExitCode::FAILURE;
    }

    if let Err(error) = print_array(&array) {
        eprintln!("could not print the array: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
