//! What both programs of the green-threads exercise share: the CPU-bound work of one step of a
//! task, and the command line. Provided; not graded.

/// Iterations of the computation in one step: a few milliseconds of CPU.
pub const STEP_ITERATIONS: u32 = 4_000_000;

/// The value every chain of steps starts from: the value the green threads' tasks share, and
/// each kernel thread's own.
pub const START: u64 = 1;

/// One step of task `task`: pure computation, no system call, starting from `value` and
/// returning the next value. The result depends on every iteration, and on the task, so no
/// compiler can skip the work, and the value after a chain of steps tells which tasks stepped
/// in which order.
#[must_use]
pub fn step(task: usize, value: u64) -> u64 {
    let mut x = value ^ (task as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for _ in 0..STEP_ITERATIONS {
        // One round of xorshift64: cheap, and every round depends on the previous one.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    std::hint::black_box(x)
}

/// The progress line a task prints after each step: the task, the step (from 0) and the value
/// that step returned.
#[must_use]
pub fn progress_line(task: usize, step: u32, value: u64) -> String {
    format!("task {task} step {step} value {value}")
}

/// `<tasks> <steps>` from the command line.
pub fn tasks_and_steps() -> Result<(usize, u32), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [tasks, steps] = args.as_slice() else {
        return Err("usage: <tasks> <steps>".to_owned());
    };
    let tasks = tasks
        .parse()
        .map_err(|_| format!("`{tasks}` is not a number of tasks"))?;
    let steps = steps
        .parse()
        .map_err(|_| format!("`{steps}` is not a number of steps"))?;
    Ok((tasks, steps))
}
