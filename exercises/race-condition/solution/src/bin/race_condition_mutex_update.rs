//! race_condition_mutex_update: the race of `race_condition`, fixed with a mutex around each
//! single update: every `+1` and `-1` locks the mutex, updates the variable and unlocks it.

use std::process::ExitCode;
use std::sync::Mutex;
use std::thread;

/// How many times each thread updates the variable.
const ITERATIONS: u32 = 10_000_000;

static VAR: Mutex<i64> = Mutex::new(0);

fn update(name: &str, delta: i64) {
    for _ in 0..ITERATIONS {
        // The guard unlocks at the end of the statement: the critical section is one update.
        *VAR.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += delta;
    }
    // The other thread's updates were mixed with ours: unless it has finished too, what it
    // added or subtracted so far shows here.
    let var = *VAR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    println!("{name} done: var = {var}");
}

fn main() -> ExitCode {
    // Both threads are started before either is joined, so they run at the same time.
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
