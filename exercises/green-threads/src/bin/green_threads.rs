//! green_threads: N tasks, each doing the same CPU-bound steps, to be run as user-level threads
//! by a round-robin scheduler of your own, on the main thread only.
//!
//! TODO: this runs each task to its end before the next one starts. Write the scheduler: one
//! step of each task in turn. See the README.

use std::process::ExitCode;

fn main() -> ExitCode {
    let (tasks, steps) = match green_threads::tasks_and_steps() {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    // The value all tasks share: each step reads it and replaces it.
    let mut value = green_threads::START;
    for id in 0..tasks {
        for done in 0..steps {
            value = green_threads::step(id, value);
            println!("{}", green_threads::progress_line(id, done, value));
        }
    }
    ExitCode::SUCCESS
}
