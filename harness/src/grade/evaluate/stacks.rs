//! The census rules on threads' stacks (`stacks`, `printed-stacks`): each thread on a stack of its
//! own, and the addresses the program printed in them.

use super::super::model::{Failure, FailureKind};
use crate::run::TaskKind;

/// The stacks the tracer found for the program's threads, in order of creation; `None` for a
/// thread whose stack could not be read.
fn thread_stacks(tasks: &[crate::run::Task]) -> Vec<Option<crate::run::StackRange>> {
    tasks
        .iter()
        .filter(|task| task.kind == TaskKind::Thread)
        .map(|task| task.stack)
        .collect()
}

/// Where each thread's local variables can lie, in order of creation: its stack mapping below
/// the stack pointer it started with (above it, glibc keeps the thread's thread-local storage
/// and control block); the whole mapping where that pointer is unknown or outside it.
fn local_stacks(tasks: &[crate::run::Task]) -> Vec<Option<crate::run::StackRange>> {
    tasks
        .iter()
        .filter(|task| task.kind == TaskKind::Thread)
        .map(|task| {
            let mut stack = task.stack?;
            if let Some(top) = task
                .stack_top
                .filter(|top| stack.start < *top && *top <= stack.end)
            {
                stack.end = top;
            }
            Some(stack)
        })
        .collect()
}

/// Why the threads did not each run on a stack of their own of at least `bytes` bytes, if they
/// did not (`stacks`). The stack of a thread is the mapping that held its stack pointer as it
/// ended: the harness's own observation, whatever the program printed.
pub(super) fn stacks_failure(tasks: &[crate::run::Task], bytes: &str) -> Option<Failure> {
    let failure = |expected: String, actual: String| Failure {
        what: FailureKind::Census,
        expected,
        actual,
    };
    let Ok(bytes) = bytes.trim().parse::<u64>() else {
        return Some(failure(
            "a number of bytes for `stacks`".to_owned(),
            format!("`{bytes}`"),
        ));
    };
    let expected = format!("every thread on a stack of its own of at least {bytes} bytes");
    let stacks = thread_stacks(tasks);
    if stacks.is_empty() {
        return Some(failure(
            expected,
            "the program created no thread".to_owned(),
        ));
    }
    let mut seen: Vec<crate::run::StackRange> = Vec::new();
    for (index, stack) in stacks.iter().enumerate() {
        let number = index + 1;
        let Some(stack) = stack else {
            return Some(failure(
                expected,
                format!("the stack of thread {number} could not be found"),
            ));
        };
        if stack.len() < bytes {
            return Some(failure(
                expected,
                format!("thread {number} ran on a stack of {} bytes", stack.len()),
            ));
        }
        if let Some(other) = seen.iter().position(|earlier| earlier.overlaps(stack)) {
            return Some(failure(
                expected,
                format!(
                    "threads {} and {number} ran on the same stack ({:#x}-{:#x})",
                    other + 1,
                    stack.start,
                    stack.end
                ),
            ));
        }
        seen.push(*stack);
    }
    None
}

/// Why the addresses the program printed (every `0x…` on stdout) are not one in the stack of
/// each thread, if they are not (`printed-stacks`).
pub(super) fn printed_stacks_failure(tasks: &[crate::run::Task], stdout: &str) -> Option<Failure> {
    let expected = "one printed address (0x…) in the stack of each thread".to_owned();
    let failure = |actual: String| {
        Some(Failure {
            what: FailureKind::Census,
            expected: expected.clone(),
            actual,
        })
    };
    let stacks = local_stacks(tasks);
    let addresses: Vec<u64> = stdout
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter_map(|word| {
            let digits = word
                .strip_prefix("0x")
                .or_else(|| word.strip_prefix("0X"))?;
            u64::from_str_radix(digits, 16).ok()
        })
        .collect();
    let mut owners = vec![false; stacks.len()];
    for address in &addresses {
        let owner = stacks
            .iter()
            .position(|stack| stack.is_some_and(|stack| stack.contains(*address)));
        match owner {
            None => return failure(format!("{address:#x} lies in the stack of no thread")),
            Some(index) if owners[index] => {
                return failure(format!(
                    "{address:#x} and another printed address both lie in the stack of thread {}",
                    index + 1
                ));
            }
            Some(index) => owners[index] = true,
        }
    }
    match owners.iter().position(|owned| !owned) {
        Some(index) => failure(format!(
            "no printed address lies in the stack of thread {} ({} addresses for {} threads)",
            index + 1,
            addresses.len(),
            stacks.len()
        )),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::evaluate::fixtures::*;

    fn with_stack(mut task: crate::run::Task, start: u64, end: u64) -> crate::run::Task {
        task.stack = Some(crate::run::StackRange { start, end });
        task
    }

    #[test]
    fn stacks_must_be_large_enough_and_apart() {
        let apart = [
            with_stack(thread(2, 0, 0, Some(9)), 0x10_0000, 0x14_0000),
            with_stack(thread(3, 1, 0, Some(9)), 0x20_0000, 0x24_0000),
        ];
        assert!(stacks_failure(&apart, "262144").is_none());
        let small = stacks_failure(&apart, "262145").expect("too small");
        assert_eq!(small.actual, "thread 1 ran on a stack of 262144 bytes");
        let shared = [
            with_stack(thread(2, 0, 0, Some(9)), 0x10_0000, 0x14_0000),
            with_stack(thread(3, 1, 0, Some(9)), 0x13_0000, 0x17_0000),
        ];
        let failure = stacks_failure(&shared, "4096").expect("overlapping stacks");
        assert!(
            failure
                .actual
                .starts_with("threads 1 and 2 ran on the same stack")
        );
        let unknown = stacks_failure(&[thread(2, 0, 0, Some(9))], "4096").expect("no stack");
        assert_eq!(unknown.actual, "the stack of thread 1 could not be found");
        assert!(stacks_failure(&apart, "{size}").is_some());
    }

    #[test]
    fn printed_stacks_must_be_one_in_each_thread_stack() {
        let tasks = [
            with_stack(thread(2, 0, 0, Some(9)), 0x10_0000, 0x14_0000),
            with_stack(thread(3, 1, 0, Some(9)), 0x20_0000, 0x24_0000),
        ];
        let good = "thread 0: stack at 0x13fff0\nthread 1: [0x23ff00]\n";
        assert!(printed_stacks_failure(&tasks, good).is_none());
        let same = "thread 0: 0x13fff0\nthread 1: 0x13ff00\n";
        let failure = printed_stacks_failure(&tasks, same).expect("same stack twice");
        assert!(
            failure.actual.contains("both lie in the stack of thread 1"),
            "{failure:?}"
        );
        let outside = printed_stacks_failure(&tasks, "0x7ffe00000000").expect("outside");
        assert_eq!(
            failure_text(&outside),
            "0x7ffe00000000 lies in the stack of no thread"
        );
        let missing = printed_stacks_failure(&tasks, "0x13fff0").expect("one missing");
        assert_eq!(
            failure_text(&missing),
            "no printed address lies in the stack of thread 2 (1 addresses for 2 threads)"
        );
    }

    #[test]
    fn thread_local_storage_above_the_stack_top_is_not_the_stack() {
        let mut first = with_stack(thread(2, 0, 0, Some(9)), 0x10_0000, 0x14_0000);
        first.stack_top = Some(0x13_f000);
        let mut second = with_stack(thread(3, 1, 0, Some(9)), 0x20_0000, 0x24_0000);
        second.stack_top = Some(0x23_f000);
        let tasks = [first, second];
        let locals = "thread 0: 0x13e000\nthread 1: 0x23e000\n";
        assert!(printed_stacks_failure(&tasks, locals).is_none());
        // A thread-local variable lives above the stack pointer the thread started with.
        let thread_local = "thread 0: 0x13f800\nthread 1: 0x23e000\n";
        let failure = printed_stacks_failure(&tasks, thread_local).expect("not a local");
        assert_eq!(
            failure_text(&failure),
            "0x13f800 lies in the stack of no thread"
        );
    }

    fn failure_text(failure: &Failure) -> &str {
        &failure.actual
    }
}
