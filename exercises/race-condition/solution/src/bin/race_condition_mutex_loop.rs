//! race_condition_mutex_loop: the race of `race_condition`, fixed with a mutex held around each
//! thread's whole loop: one lock and one unlock per thread, and the loops never interleave.

use std::process::ExitCode;
use std::sync::Mutex;
use std::thread;

/// How many times each thread updates the variable.
const ITERATIONS: u32 = 10_000_000;

static VAR: Mutex<i64> = Mutex::new(0);

fn update(name: &str, delta: i64) {
    let mut var = VAR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for _ in 0..ITERATIONS {
        *var += delta;
    }
    // Still holding the lock: the first thread to get it sees only its own ten million updates.
    println!("{name} done: var = {}", *var);
    // The guard unlocks here, after the whole loop.
}

fn main() -> ExitCode {
    // Both threads are started before either is joined: one waits for the lock while the other
    // loops, but both are alive at the same time.
    let adder = thread::spawn(|| update("adder", 1));
    let subtractor = thread::spawn(|| update("subtractor", -1));
    if adder.join().is_err() || subtractor.join().is_err() {
        eprintln!("a thread panicked");
        return ExitCode::FAILURE;
    }
    let var = *VAR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    println!("var = {var}");
    ExitCode::SUCCESS
}
