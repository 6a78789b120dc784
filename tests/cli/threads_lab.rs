//! The threads lab beyond plain sums: census fixtures of sum-array, and the wait-for-me,
//! seg-fault and memory-corruption exercises, each fixture losing exactly the points it should.

use crate::grading::ALL_POINTS;
use crate::support::{Grade, full_marks, rows, rows_but};

#[test]
fn threads_ignores_workers_loses_the_thread_census() {
    let graded = Grade::fixture("threads_ignores_workers").seed(5).json();
    assert_eq!(
        graded.scores(),
        rows_but(
            &ALL_POINTS,
            &[
                ("threads-census", 1.67, "partial"),
                // Whether threads run at once is asked only of one thread per worker.
                ("threads-together", 0.0, "skipped"),
            ]
        )
    );
    // One thread is right only when one worker is asked for.
    assert_eq!(
        graded.failed_cases("threads-census"),
        ["workers=3", "workers=8"]
    );
    let case = &graded.check("threads-census")["cases"][1];
    assert_eq!(case["observed"]["census"]["threads"], 1);
    assert_eq!(case["failures"][0]["expected"], "threads created to be 3");
}

#[test]
fn processes_not_reaped_loses_the_reaping_points() {
    let graded = Grade::fixture("processes_not_reaped").seed(5).json();
    assert_eq!(
        graded.scores(),
        rows_but(&ALL_POINTS, &[("processes-reaped", 0.0, "failed")])
    );
    let census = &graded.check("processes-reaped")["cases"][0]["observed"]["census"];
    assert_eq!(census["children"], 3);
    let unwaited =
        census["unreaped"].as_u64().unwrap() + census["outlived_parent"].as_u64().unwrap();
    assert_eq!(unwaited, 3, "{census:#}");
}

#[test]
fn threads_instead_of_processes_loses_the_process_census() {
    let graded = Grade::fixture("threads_instead_of_processes")
        .seed(5)
        .json();
    assert_eq!(
        graded.scores(),
        rows_but(
            &ALL_POINTS,
            &[
                ("processes-census", 0.0, "failed"),
                ("processes-reaped", 0.0, "skipped"),
            ]
        )
    );
}

#[test]
fn part_sums_in_i32_wrap_on_every_worker_count() {
    // Elements up to a million: even an eighth of the array sums beyond `u32::MAX`.
    let graded = Grade::fixture("part_sum_in_i32").seed(5).json();
    assert_eq!(
        graded.scores(),
        rows_but(
            &ALL_POINTS,
            &[
                ("threads-sum", 0.0, "failed"),
                ("threads-timing", 0.0, "skipped"),
            ]
        )
    );
    let case = &graded.check("threads-sum")["cases"][5];
    assert_eq!(case["name"], "workers=8");
    assert_eq!(case["failures"][0]["what"], "compare");
}

#[test]
fn threads_joined_right_after_spawn_never_run_together() {
    let graded = Grade::fixture("joins_right_after_spawn").seed(5).json();
    assert_eq!(
        graded.scores(),
        rows_but(&ALL_POINTS, &[("threads-together", 0.0, "failed")])
    );
    let failure = &graded.check("threads-together")["cases"][0]["failures"][0];
    assert!(
        failure["actual"]
            .as_str()
            .unwrap()
            .contains("one after the other"),
        "{failure:#}"
    );
}

#[test]
fn children_that_do_not_exit_print_the_sum_again_and_lose_it() {
    let graded = Grade::fixture("child_does_not_exit").seed(5).json();
    assert_eq!(
        graded.scores(),
        rows_but(
            &ALL_POINTS,
            &[
                ("processes-sum", 0.0, "failed"),
                ("processes-ipc-removed", 0.0, "skipped"),
                ("processes-timing", 0.0, "skipped"),
            ]
        )
    );
}

#[test]
fn debugging_lines_on_stdout_lose_the_output_points_only() {
    let graded = Grade::fixture("debug_lines_on_stdout").seed(5).json();
    assert_eq!(
        graded.scores(),
        rows_but(&ALL_POINTS, &[("threads-timing", 0.0, "failed")])
    );
}

#[test]
fn wait_for_me_all_pass() {
    full_marks(&Grade::exercise("wait-for-me", "all_pass").json());
}

/// Full marks of wait-for-me but for the checks named.
fn wait_for_me_but(changed: &[(&str, f64, &str)]) -> Vec<(String, f64, String)> {
    rows_but(
        &[
            ("threads-negated", 27.0, "passed"),
            ("threads-census", 10.0, "passed"),
            ("processes-message", 25.0, "passed"),
            ("processes-child-killed", 10.0, "passed"),
            ("processes-child-failed", 10.0, "passed"),
            ("processes-census", 10.0, "passed"),
            ("processes-usage", 5.0, "passed"),
            ("style-clippy", 2.0, "passed"),
            ("style-format", 1.0, "passed"),
        ],
        changed,
    )
}

#[test]
fn wait_for_me_forgot_join_fails_every_held_run() {
    let graded = Grade::exercise("wait-for-me", "forgot_join").seed(5).json();
    assert_eq!(
        graded.scores(),
        wait_for_me_but(&[("threads-negated", 0.0, "failed")])
    );
    // The thread is held until the main thread waits, which it never does: no run passes.
    let case = &graded.check("threads-negated")["cases"][0];
    // Repetition stops at the first failed run: here the very first one.
    assert_eq!(case["runs"], 1);
    assert_eq!(case["passed_runs"], 0);
    assert_eq!(case["failures"][0]["what"], "runs");
    assert_eq!(case["failures"][1]["what"], "compare");
}

#[test]
fn wait_for_me_sleeping_instead_of_joining_is_caught_every_run() {
    // 100 ms is far longer than the negation takes; the thread still never ran.
    let graded = Grade::exercise("wait-for-me", "sleeps_instead_of_joining")
        .seed(5)
        .json();
    assert_eq!(
        graded.scores(),
        wait_for_me_but(&[("threads-negated", 0.0, "failed")])
    );
    assert_eq!(
        graded.check("threads-negated")["cases"][0]["passed_runs"],
        0
    );
}

#[test]
fn wait_for_me_forgot_join_buffered_is_caught_too() {
    // This variant hides the bug on many plain runs outside labgrade; holding the thread until
    // the main thread waits catches it on every run.
    let graded = Grade::exercise("wait-for-me", "forgot_join_buffered")
        .seed(5)
        .json();
    assert_eq!(graded.check("threads-negated")["score"], 0.0);
    assert_eq!(graded.check("threads-census")["status"], "passed");
}

#[test]
fn wait_for_me_child_that_does_not_exit_prints_twice_and_loses_the_message() {
    let graded = Grade::exercise("wait-for-me", "child_does_not_exit")
        .seed(5)
        .json();
    assert_eq!(
        graded.scores(),
        wait_for_me_but(&[("processes-message", 0.0, "failed")])
    );
}

#[test]
fn seg_fault_all_pass_with_other_wording() {
    full_marks(&Grade::exercise("seg-fault", "all_pass").json());
}

#[test]
fn seg_fault_hardcoded_signal_message_earns_nothing_for_reports() {
    let graded = Grade::exercise("seg-fault", "hardcoded_signal_message")
        .seed(5)
        .json();
    assert_eq!(
        graded.scores(),
        rows(&[
            ("processes-signal-reported", 0.0, "failed"),
            ("processes-exit-reported", 0.0, "failed"),
            ("processes-worker-named", 0.0, "skipped"),
            ("processes-sum-of-the-others", 20.0, "passed"),
            ("processes-no-fault", 0.0, "failed"),
            ("threads-crash", 15.0, "passed"),
            ("threads-no-fault", 10.0, "passed"),
            ("style-clippy", 2.0, "passed"),
            ("style-format", 1.0, "passed"),
        ])
    );
}

#[test]
fn seg_fault_workers_numbered_from_one_lose_only_the_worker_index() {
    let graded = Grade::exercise("seg-fault", "worker_numbered_from_one")
        .seed(5)
        .json();
    assert_eq!(
        graded.scores(),
        rows(&[
            ("processes-signal-reported", 17.0, "passed"),
            ("processes-exit-reported", 15.0, "passed"),
            ("processes-worker-named", 0.0, "failed"),
            ("processes-sum-of-the-others", 20.0, "passed"),
            ("processes-no-fault", 10.0, "passed"),
            ("threads-crash", 15.0, "passed"),
            ("threads-no-fault", 10.0, "passed"),
            ("style-clippy", 2.0, "passed"),
            ("style-format", 1.0, "passed"),
        ])
    );
}

#[test]
fn seg_fault_parent_that_stops_waiting_after_a_failure_loses_the_sum_of_the_others() {
    let graded = Grade::exercise("seg-fault", "stops_waiting_after_first_failure")
        .seed(5)
        .json();
    let check = graded.check("processes-sum-of-the-others");
    assert_eq!(check["score"], 0.0, "{check:#}");
    for (id, _, status) in graded.scores() {
        if id != "processes-sum-of-the-others" {
            assert_eq!(status, "passed", "{id}");
        }
    }
}

#[test]
fn seg_fault_exit_code_reported_as_signal_loses_the_exit_reports() {
    let graded = Grade::exercise("seg-fault", "exit_code_reported_as_signal")
        .seed(5)
        .json();
    assert_eq!(
        graded.scores(),
        rows(&[
            ("processes-signal-reported", 17.0, "passed"),
            ("processes-exit-reported", 0.0, "failed"),
            ("processes-worker-named", 0.0, "skipped"),
            ("processes-sum-of-the-others", 20.0, "passed"),
            ("processes-no-fault", 10.0, "passed"),
            ("threads-crash", 15.0, "passed"),
            ("threads-no-fault", 10.0, "passed"),
            ("style-clippy", 2.0, "passed"),
            ("style-format", 1.0, "passed"),
        ])
    );
    let case = &graded.check("processes-exit-reported")["cases"][0];
    let line = case["observed"]["stdout"]["text"].as_str().unwrap();
    assert!(line.contains("killed by signal"), "{line}");
}

#[test]
fn seg_fault_threads_die_by_the_injected_signal() {
    let graded = Grade::exercise("seg-fault", "all_pass").seed(11).json();
    for case in graded.check("threads-crash")["cases"].as_array().unwrap() {
        let termination = &case["observed"]["termination"];
        let injected = case["replay"]["vars"]["fault_signal_number"]
            .as_str()
            .unwrap();
        assert_eq!(termination["kind"], "signaled");
        assert_eq!(termination["signal"].to_string(), injected);
        assert!(
            case["replay"]["env"]["LABGRADE_FAULT"]
                .as_str()
                .unwrap()
                .starts_with("worker=")
        );
    }
}

#[test]
fn memory_corruption_all_pass() {
    full_marks(&Grade::exercise("memory-corruption", "all_pass").json());
}

#[test]
fn memory_corruption_channel_gate_earns_full_marks() {
    full_marks(&Grade::exercise("memory-corruption", "all_pass_channel_gate").json());
}

#[test]
fn memory_corruption_array_in_a_shared_mapping_is_caught() {
    // The children run oldest first, so worker 0 corrupts before any other reads: with the
    // array in a shared mapping, every case prints the corrupted sum.
    let graded = Grade::exercise("memory-corruption", "shared_array_mapping")
        .seed(5)
        .json();
    assert_eq!(
        graded.scores(),
        rows(&[
            ("threads-clean", 10.0, "passed"),
            ("threads-corrupted", 22.0, "passed"),
            ("processes-clean", 10.0, "passed"),
            ("processes-protected", 0.0, "failed"),
            ("processes-corrupts-outside-the-part", 5.0, "passed"),
            ("processes-corrupts-any-value", 5.0, "passed"),
            ("threads-census", 10.0, "passed"),
            ("processes-census", 10.0, "passed"),
            ("processes-fault", 15.0, "passed"),
            ("style-clippy", 2.0, "passed"),
            ("style-format", 1.0, "passed"),
        ])
    );
    assert_eq!(
        graded.failed_cases("processes-protected"),
        ["workers=2", "workers=3", "workers=8"]
    );
}

#[test]
fn memory_corruption_without_a_barrier_fails_every_corrupted_case() {
    let graded = Grade::exercise("memory-corruption", "no_barrier")
        .seed(5)
        .json();
    assert_eq!(graded.check("threads-corrupted")["score"], 0.0);
    assert_eq!(
        graded.failed_cases("threads-corrupted"),
        ["workers=2", "workers=3", "workers=8"]
    );
}
