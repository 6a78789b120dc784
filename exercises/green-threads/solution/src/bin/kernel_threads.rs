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
                let mut state = id as u64 + 1;
                for done in 0..steps {
                    state = green_threads::step(id, state);
                    println!("{}", green_threads::progress_line(id, done));
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
