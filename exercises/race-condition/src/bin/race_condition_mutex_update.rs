//! race_condition_mutex_update: the race of `race_condition`, fixed with a mutex around each
//! single update (lock, add or subtract 1, unlock).
//!
//! TODO: this is still the unsynchronized original. Make it print `var = 0` on every run,
//! with the two threads still running at the same time. See the README.

use std::cell::UnsafeCell;
use std::process::ExitCode;
use std::thread;

/// How many times each thread updates the variable.
const ITERATIONS: u32 = 10_000_000;

/// An `i64` that any thread may read and write with no synchronization at all, like a global
/// `int` in C. Safe Rust refuses to share such a variable between threads: here we promise by
/// hand (`unsafe impl Sync`) that it is fine, and it is not.
struct Unsynchronized(UnsafeCell<i64>);

// SAFETY: it is not safe; this is the data race the exercise is about.
unsafe impl Sync for Unsynchronized {}

impl Unsynchronized {
    /// `var += delta`, as a separate load and store, which is what a CPU does with `var++`.
    fn add(&self, delta: i64) {
        let var = self.0.get();
        // Volatile, so that the compiler keeps one load and one store per update, as the C
        // program does, instead of folding the whole loop into a single addition.
        // SAFETY: none; two threads do this at once.
        unsafe { var.write_volatile(var.read_volatile() + delta) };
    }

    fn get(&self) -> i64 {
        // SAFETY: none either while the other thread may still be updating.
        unsafe { self.0.get().read_volatile() }
    }
}

static VAR: Unsynchronized = Unsynchronized(UnsafeCell::new(0));

fn increment_var() {
    for _ in 0..ITERATIONS {
        VAR.add(1);
    }
    println!("adder done: var = {}", VAR.get());
}

fn decrement_var() {
    for _ in 0..ITERATIONS {
        VAR.add(-1);
    }
    println!("subtractor done: var = {}", VAR.get());
}

fn main() -> ExitCode {
    let adder = thread::spawn(increment_var);
    let subtractor = thread::spawn(decrement_var);
    if adder.join().is_err() || subtractor.join().is_err() {
        eprintln!("a thread panicked");
        return ExitCode::FAILURE;
    }
    println!("var = {}", VAR.get());
    ExitCode::SUCCESS
}
