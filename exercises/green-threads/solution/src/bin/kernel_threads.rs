//! kernel_threads: the same N tasks as green_threads, each on a kernel thread of its own: the
//! kernel schedules them, and on several cores runs them in parallel.

use std::process::ExitCode;
use std::thread;

fn main() -> ExitCode {
    let (tasks, steps) = match green_threads::tasks_and_steps() {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let handles: Vec<_> = (0..tasks)
        .map(|id| {
            thread::spawn(move || {
                // Each thread's own value: sharing one would make the threads wait for
                // each other.
                let mut value = green_threads::START;
                for done in 0..steps {
                    value = green_threads::step(id, value);
                    println!("{}", green_threads::progress_line(id, done, value));
                }
            })
        })
        .collect();
    for handle in handles {
        if handle.join().is_err() {
            eprintln!("a thread panicked");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
