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
    for id in 0..tasks {
        let mut state = id as u64 + 1;
        for done in 0..steps {
            state = green_threads::step(id, state);
            println!("{}", green_threads::progress_line(id, done));
        }
    }
    ExitCode::SUCCESS
}
