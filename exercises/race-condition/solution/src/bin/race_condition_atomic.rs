//! race_condition_atomic: the race of `race_condition`, fixed with an atomic variable: each
//! update is one indivisible read-modify-write (`fetch_add`), with no lock at all.

use std::process::ExitCode;
use std::sync::atomic::{AtomicI64, Ordering};
use std::thread;

/// How many times each thread updates the variable.
const ITERATIONS: u32 = 10_000_000;

static VAR: AtomicI64 = AtomicI64::new(0);

fn update(name: &str, delta: i64) {
    for _ in 0..ITERATIONS {
        // Relaxed is enough: only the count matters, and `join` orders the final read after
        // every update.
        VAR.fetch_add(delta, Ordering::Relaxed);
    }
    println!("{name} done: var = {}", VAR.load(Ordering::Relaxed));
}

fn main() -> ExitCode {
    let adder = thread::spawn(|| update("adder", 1));
    let subtractor = thread::spawn(|| update("subtractor", -1));
    if adder.join().is_err() || subtractor.join().is_err() {
        eprintln!("a thread panicked");
        return ExitCode::FAILURE;
    }
    println!("var = {}", VAR.load(Ordering::Relaxed));
    ExitCode::SUCCESS
}
