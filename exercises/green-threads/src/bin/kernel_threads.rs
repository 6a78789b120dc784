//! kernel_threads: the same N tasks as green_threads, to be run each on a kernel thread of its
//! own.
//!
//! TODO: this runs every task on the main thread, one after the other. Give each task a thread
//! of its own (`std::thread`). See the README.

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
        // The task's own value.
        let mut value = green_threads::START;
        for done in 0..steps {
            value = green_threads::step(id, value);
            println!("{}", green_threads::progress_line(id, done, value));
        }
    }
    ExitCode::SUCCESS
}
