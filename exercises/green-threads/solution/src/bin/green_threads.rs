//! green_threads: N tasks, each doing the same CPU-bound steps, run as user-level threads: a
//! round-robin scheduler in this process runs one step of each task in turn, on the main thread
//! only. The kernel sees one thread; the scheduling is ours.

use std::collections::VecDeque;
use std::process::ExitCode;

/// A user-level thread: all it needs to resume where it stopped.
struct Task {
    id: usize,
    /// Steps done so far.
    done: u32,
}

fn main() -> ExitCode {
    let (tasks, steps) = match green_threads::tasks_and_steps() {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    // The run queue: the scheduler takes the task at the front, runs one step of it (the task
    // "yields" after each step), and puts it back at the end unless it has finished.
    let mut ready: VecDeque<Task> = (0..tasks).map(|id| Task { id, done: 0 }).collect();
    // The value all tasks share: each step reads it and replaces it, so every line shows what
    // the steps that really ran before it made of it.
    let mut value = green_threads::START;
    while let Some(mut task) = ready.pop_front() {
        if task.done == steps {
            continue;
        }
        value = green_threads::step(task.id, value);
        println!(
            "{}",
            green_threads::progress_line(task.id, task.done, value)
        );
        task.done += 1;
        ready.push_back(task);
    }
    ExitCode::SUCCESS
}
