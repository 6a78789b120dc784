//! The synchronization lab and thread internals: race-condition (three fixes of a lost-update
//! race, each graded on its result over many runs and on its threads really running at the same
//! time), thread-stacks (stacks observed by labgrade itself) and green-threads (user-level
//! against kernel threads), each fixture losing exactly the points it should.

use crate::support::{Grade, full_marks, racing_threads, root, rows, rows_but};

/// Scores of race-condition with every check passed.
const RACE_FULL: [(&str, f64, &str); 9] = [
    ("mutex-update-zero", 22.0, "passed"),
    ("mutex-update-concurrent", 9.0, "passed"),
    ("mutex-loop-zero", 25.0, "passed"),
    ("mutex-loop-concurrent", 8.0, "passed"),
    ("atomic-zero", 25.0, "passed"),
    ("atomic-concurrent", 8.0, "passed"),
    ("style-clippy", 2.0, "passed"),
    ("style-format", 1.0, "passed"),
    ("cost-of-each-fix", 0.0, "passed"),
];

#[test]
fn race_condition_solution_earns_full_marks_and_reports_the_cost_of_each_fix() {
    let _machine = racing_threads();
    let graded = Grade::solution("race-condition").json();
    full_marks(&graded);
    // The two worker threads were created before either ended, with start-together.
    let census = &graded.check("atomic-concurrent")["cases"][0]["observed"]["census"];
    assert_eq!(census["threads"], 2, "{census:#}");
    // The cost of each fix, the medians of the runs of each measured in the same grading run,
    // is one line of information, worth no points.
    let cost = graded.check("cost-of-each-fix");
    assert_eq!(cost["max_score"], 0.0, "{cost:#}");
    let info = cost["info"][0].as_str().unwrap_or_default();
    assert!(
        info.starts_with(
            "median wall time per run (information, not graded): `mutex-update-zero` "
        ) && info.contains(" ms (×")
            && info.contains("`atomic-zero` ")
            && info.ends_with(" ms"),
        "{info}"
    );
    // 4 runs of the atomic program, every one measured.
    let figures = &graded.check("atomic-zero")["cases"][0]["figures"];
    assert_eq!(figures.as_array().map(Vec::len), Some(4), "{figures:#}");
    // With the lock around each whole loop, the first thread to finish saw its ten million
    // updates alone.
    let loop_output =
        graded.check("mutex-loop-concurrent")["cases"][0]["observed"]["stdout"]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    assert!(
        loop_output.contains("adder done: var = 10000000\n")
            || loop_output.contains("subtractor done: var = -10000000\n"),
        "{loop_output}"
    );
}

#[test]
fn race_fixed_by_serialising_loses_the_concurrency_points() {
    let _machine = racing_threads();
    let graded = Grade::exercise("race-condition", "race_fixed_by_serialising")
        .seed(5)
        .json();
    assert_eq!(
        graded.scores(),
        rows_but(&RACE_FULL, &[("atomic-concurrent", 0.0, "failed")])
    );
    // Two failures: the adder saw its ten million updates alone (stdout), and the threads'
    // lifetimes did not overlap (census).
    let failures = &graded.check("atomic-concurrent")["cases"][0]["failures"];
    assert_eq!(failures[0]["what"], "stdout", "{failures:#}");
    assert!(
        failures[0]["actual"]
            .as_str()
            .is_some_and(|actual| actual.contains("adder done: var = 10000000")),
        "{failures:#}"
    );
    assert_eq!(failures[1]["what"], "census", "{failures:#}");
    assert!(
        failures[1]["actual"]
            .as_str()
            .is_some_and(|actual| actual.contains("one after the other")),
        "{failures:#}"
    );
}

#[test]
fn race_unfixed_loses_the_per_update_points() {
    let _machine = racing_threads();
    let graded = Grade::exercise("race-condition", "race_unfixed")
        .seed(5)
        .json();
    assert_eq!(
        graded.scores(),
        rows_but(
            &RACE_FULL,
            &[
                ("mutex-update-zero", 0.0, "failed"),
                ("mutex-update-concurrent", 0.0, "skipped"),
                ("cost-of-each-fix", 0.0, "skipped"),
            ]
        )
    );
}

#[test]
fn a_mutex_held_around_the_whole_loop_is_not_a_lock_per_update() {
    let _machine = racing_threads();
    // It prints 0 on every run, but the first thread to finish saw none of the other's updates.
    let graded = Grade::exercise("race-condition", "mutex_update_locks_whole_loop")
        .seed(5)
        .json();
    assert_eq!(
        graded.scores(),
        rows_but(&RACE_FULL, &[("mutex-update-concurrent", 0.0, "failed")])
    );
    let failure = &graded.check("mutex-update-concurrent")["cases"][0]["failures"][0];
    assert_eq!(failure["what"], "stdout", "{failure:#}");
}

#[test]
fn atomic_load_then_store_is_still_a_race() {
    let _machine = racing_threads();
    let graded = Grade::exercise("race-condition", "atomic_load_then_store")
        .seed(5)
        .json();
    assert_eq!(
        graded.scores(),
        rows_but(
            &RACE_FULL,
            &[
                ("atomic-zero", 0.0, "failed"),
                ("atomic-concurrent", 0.0, "skipped"),
                ("cost-of-each-fix", 0.0, "skipped"),
            ]
        )
    );
    let case = &graded.check("atomic-zero")["cases"][0];
    // The first failed run decides: the case stops there.
    let runs = case["runs"].as_u64().unwrap();
    assert!(runs <= 4);
    assert_eq!(case["passed_runs"].as_u64().unwrap(), runs - 1);
    assert_eq!(
        case["failures"][0]["expected"],
        "every one of 4 runs to pass"
    );
}

#[test]
fn thread_stacks_solution_earns_full_marks_with_observed_stacks() {
    let _machine = racing_threads();
    let graded = Grade::solution("thread-stacks").json();
    full_marks(&graded);
    // labgrade found each thread's stack itself: distinct mappings of at least 256 KiB.
    let tasks = &graded.check("own-stacks")["cases"][1]["observed"]["census"]["tasks"];
    let stacks: Vec<(u64, u64)> = tasks
        .as_array()
        .unwrap()
        .iter()
        .filter(|task| task["kind"] == "thread")
        .map(|task| {
            let stack = &task["stack"];
            (
                stack["start"].as_u64().unwrap(),
                stack["end"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(stacks.len(), 5, "{tasks:#}");
    for (index, (start, end)) in stacks.iter().enumerate() {
        assert!(end - start >= 256 * 1024, "{stacks:x?}");
        assert!(
            stacks[index + 1..]
                .iter()
                .all(|(other_start, other_end)| other_end <= start || end <= other_start),
            "{stacks:x?}"
        );
    }
}

#[test]
fn thread_stacks_skeleton_neither_prints_stacks_nor_overflows() {
    let _machine = racing_threads();
    let graded = Grade::exercise("thread-stacks", "skeleton")
        .submission(root().join("exercises/thread-stacks"))
        .json();
    assert_eq!(
        graded.scores(),
        rows(&[
            ("fits", 20.0, "passed"),
            ("own-stacks", 27.0, "passed"),
            ("printed-stacks", 0.0, "failed"),
            ("overflow", 0.0, "failed"),
            ("style-clippy", 2.0, "passed"),
            ("style-format", 1.0, "passed"),
        ])
    );
    // The default stack (2 MiB) holds 1024 frames of 1 KiB: no overflow.
    let case = &graded.check("overflow")["cases"][0];
    assert_eq!(case["failures"][0]["what"], "termination");
}

#[test]
fn stack_shared_by_all_loses_the_printed_stacks() {
    let _machine = racing_threads();
    let graded = Grade::exercise("thread-stacks", "stack_shared_by_all")
        .seed(5)
        .json();
    assert_eq!(
        graded.scores(),
        rows(&[
            ("fits", 20.0, "passed"),
            ("own-stacks", 27.0, "passed"),
            ("printed-stacks", 0.0, "failed"),
            ("overflow", 30.0, "passed"),
            ("style-clippy", 2.0, "passed"),
            ("style-format", 1.0, "passed"),
        ])
    );
    let failure = &graded.check("printed-stacks")["cases"][0]["failures"][0];
    assert!(
        failure["actual"]
            .as_str()
            .is_some_and(|actual| actual.ends_with("lies in the stack of no thread")),
        "{failure:#}"
    );
}

#[test]
fn green_threads_solution_earns_full_marks_and_kernel_threads_want_several_cores() {
    let _machine = racing_threads();
    let graded = Grade::solution("green-threads").json();
    full_marks(&graded);
    // Cores kept busy by each version, measured in the same run: information only.
    for id in ["green-no-thread", "kernel-threads"] {
        let timing = &graded.check(id)["timings"][0];
        assert!(timing["cores_busy"].as_f64().is_some(), "{timing:#}");
    }
    // Cores wanted, graded: every run of both checks measured it.
    for id in ["green-round-robin", "kernel-all-steps"] {
        let figures = &graded.check(id)["cases"][0]["figures"];
        assert_eq!(figures.as_array().map(Vec::len), Some(3), "{figures:#}");
        assert!(
            figures[0]["cores-wanted"]
                .as_f64()
                .is_some_and(|cores| cores > 0.5),
            "{figures:#}"
        );
    }
}

#[test]
fn green_threads_as_async_tasks_and_scoped_kernel_threads_earn_full_marks() {
    let _machine = racing_threads();
    // Tasks as `async` blocks on a hand-written executor; kernel threads in a `thread::scope`.
    let graded = Grade::exercise("green-threads", "all_pass_async_executor")
        .seed(5)
        .json();
    full_marks(&graded);
}

#[test]
fn lines_printed_in_round_robin_order_after_the_tasks_ran_are_not_a_scheduler() {
    let _machine = racing_threads();
    // Every task ran to its end, then the lines were printed in round-robin order: the order is
    // right, the shared values are those of tasks run one after the other.
    let graded = Grade::exercise("green-threads", "green_formatter_runs_tasks_to_completion")
        .seed(5)
        .json();
    assert_eq!(
        graded.scores(),
        rows(&[
            ("green-round-robin", 0.0, "failed"),
            ("green-no-thread", 0.0, "skipped"),
            ("kernel-all-steps", 20.0, "passed"),
            ("kernel-threads", 20.0, "passed"),
            ("style-clippy", 2.0, "passed"),
            ("style-format", 1.0, "passed"),
            ("parallelism", 0.0, "skipped"),
        ])
    );
}

#[test]
fn kernel_threads_one_at_a_time_lose_the_parallelism() {
    let _machine = racing_threads();
    let graded = Grade::exercise("green-threads", "kernel_threads_one_at_a_time")
        .seed(5)
        .json();
    assert_eq!(
        graded.scores(),
        rows(&[
            ("green-round-robin", 27.0, "passed"),
            ("green-no-thread", 20.0, "passed"),
            ("kernel-all-steps", 20.0, "passed"),
            ("kernel-threads", 20.0, "passed"),
            ("style-clippy", 2.0, "passed"),
            ("style-format", 1.0, "passed"),
            ("parallelism", 0.0, "failed"),
        ])
    );
    let reason = graded.check("parallelism")["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(
        reason.contains("to be at least 1.5, but `kernel-all-steps` over `green-round-robin` was "),
        "{reason}"
    );
}

#[test]
fn green_threads_are_kernel_threads_loses_the_no_thread_points() {
    let _machine = racing_threads();
    let graded = Grade::exercise("green-threads", "green_threads_are_kernel_threads")
        .seed(5)
        .json();
    assert_eq!(
        graded.scores(),
        rows(&[
            ("green-round-robin", 27.0, "passed"),
            ("green-no-thread", 0.0, "failed"),
            ("kernel-all-steps", 20.0, "passed"),
            ("kernel-threads", 20.0, "passed"),
            ("style-clippy", 2.0, "passed"),
            ("style-format", 1.0, "passed"),
            // Its kernel threads take turns: one core wanted, like user-level threads.
            ("parallelism", 10.0, "passed"),
        ])
    );
    let case = &graded.check("green-no-thread")["cases"][0];
    assert_eq!(case["observed"]["census"]["threads"], 4);
}
