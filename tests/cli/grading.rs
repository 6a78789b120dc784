//! Grading the sum-array fixtures: each outcome earns exactly the points it should, check by check.

use crate::support::{
    Grade, Graded, needs_root_for, needs_root_for_part, processes_under, rows, rows_but,
    sum_array_rubric_with,
};

pub(crate) const ALL_POINTS: [(&str, f64, &str); 13] = [
    ("threads-sum", 27.0, "passed"),
    ("threads-census", 5.0, "passed"),
    ("threads-together", 5.0, "passed"),
    ("threads-timing", 5.0, "passed"),
    ("threads-usage", 5.0, "passed"),
    ("processes-sum", 24.0, "passed"),
    ("processes-census", 5.0, "passed"),
    ("processes-reaped", 5.0, "passed"),
    ("processes-ipc-removed", 6.0, "passed"),
    ("processes-timing", 5.0, "passed"),
    ("processes-usage", 5.0, "passed"),
    ("style-clippy", 2.0, "passed"),
    ("style-format", 1.0, "passed"),
];

#[test]
fn all_pass_earns_full_marks() {
    let graded = Grade::fixture("all_pass").json();
    assert_eq!(graded.scores(), rows(&ALL_POINTS));
    assert_eq!(graded.report["score"], 100.0);
    assert_eq!(graded.report["status"], "graded");
    assert_eq!(graded.report["build"]["status"], "built");
    assert_eq!(graded.code, 0);
    let containment: Vec<&str> = graded.report["checks"][0]["cases"][0]["observed"]["containment"]
        .as_array()
        .expect("the first case says how it was contained")
        .iter()
        .map(|entry| entry.as_str().unwrap())
        .collect();
    assert!(containment.contains(&"rlimits"), "{containment:?}");
    if needs_root_for_part("the uid of the program's own") {
        assert!(
            containment.iter().any(|entry| entry.starts_with("uid ")),
            "{containment:?}"
        );
    }
}

#[test]
fn all_pass_alt_earns_full_marks_with_other_designs() {
    let graded = Grade::fixture("all_pass_alt").json();
    assert_eq!(graded.scores(), rows(&ALL_POINTS));
    assert_eq!(graded.code, 0);
}

#[test]
fn compile_error_scores_zero_and_shows_the_compiler() {
    let graded = Grade::fixture("compile_error").json();
    let skipped: Vec<(&str, f64, &str)> = ALL_POINTS
        .iter()
        .map(|(id, _, _)| (*id, 0.0, "skipped"))
        .collect();
    assert_eq!(graded.scores(), rows(&skipped));
    let build = &graded.report["build"];
    assert_eq!(build["status"], "compile_error");
    let diagnostics = build["diagnostics"].as_str().unwrap();
    assert!(diagnostics.contains("error[E0308]"), "{diagnostics}");
    assert!(
        diagnostics.contains("--> src/bin/sum_array_threads.rs:"),
        "paths must be relative to the package: {diagnostics}"
    );
    assert!(
        graded.check("threads-sum")["reason"]
            .as_str()
            .unwrap()
            .contains("does not compile")
    );
    assert_eq!(graded.code, 1);
}

#[test]
fn remainder_dropped_loses_the_cases_that_do_not_divide() {
    let graded = Grade::fixture("remainder_dropped").json();
    assert_eq!(
        graded.scores(),
        rows_but(
            &ALL_POINTS,
            &[
                ("threads-sum", 18.0, "partial"),
                ("threads-timing", 0.0, "skipped"),
                ("processes-sum", 16.0, "partial"),
                ("processes-ipc-removed", 0.0, "skipped"),
                ("processes-timing", 0.0, "skipped"),
            ]
        )
    );
    assert_eq!(
        graded.failed_cases("threads-sum"),
        ["workers=3", "workers=7"]
    );
    assert_eq!(
        graded.failed_cases("processes-sum"),
        ["workers=3", "workers=7"]
    );
    let failure = &graded.check("threads-sum")["cases"][2]["failures"][0];
    assert_eq!(failure["what"], "compare");
    assert_eq!(graded.code, 1);
}

#[test]
fn constant_output_earns_nothing_for_sums() {
    let graded = Grade::fixture("constant_output").json();
    assert_eq!(
        graded.scores(),
        rows(&[
            ("threads-sum", 0.0, "failed"),
            ("threads-census", 0.0, "failed"),
            ("threads-together", 0.0, "skipped"),
            ("threads-timing", 0.0, "skipped"),
            ("threads-usage", 0.0, "failed"),
            ("processes-sum", 0.0, "failed"),
            ("processes-census", 0.0, "failed"),
            ("processes-reaped", 0.0, "skipped"),
            ("processes-ipc-removed", 0.0, "skipped"),
            ("processes-timing", 0.0, "skipped"),
            ("processes-usage", 0.0, "failed"),
            ("style-clippy", 2.0, "passed"),
            ("style-format", 1.0, "passed"),
        ])
    );
}

#[test]
fn a_fresh_seed_changes_the_expected_sum() {
    let first = Grade::fixture("constant_output").seed(1).json();
    let second = Grade::fixture("constant_output").seed(2).json();
    let expected = |graded: &crate::support::Graded| {
        graded.check("threads-sum")["cases"][0]["failures"][0]["expected"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(first.report["seed"], 1);
    assert_ne!(expected(&first), expected(&second));
    let replayed = Grade::fixture("constant_output").seed(1).json();
    assert_eq!(
        expected(&first),
        expected(&replayed),
        "the same seed must replay the same input"
    );
}

#[test]
fn wrong_format_fails_the_matchers() {
    let graded = Grade::fixture("wrong_format").json();
    // Only the threads program words its lines its own way.
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
    let failure = &graded.check("threads-sum")["cases"][0]["failures"][0];
    assert_eq!(failure["what"], "stdout");
    assert!(
        failure["actual"]
            .as_str()
            .unwrap()
            .contains("Sum of the array:")
    );
}

#[test]
fn crash_is_reported_as_killed_by_sigsegv() {
    let graded = Grade::fixture("crash").json();
    assert_eq!(graded.check("threads-sum")["score"], 0.0);
    for case in graded.check("threads-sum")["cases"].as_array().unwrap() {
        let termination = &case["observed"]["termination"];
        assert_eq!(termination["kind"], "signaled", "{case:#}");
        assert_eq!(termination["signal"], 11);
        assert_eq!(termination["name"], "SIGSEGV");
        assert_eq!(
            case["observed"]["termination_text"],
            "killed by signal SIGSEGV (11)"
        );
    }
    // The processes version survives a crashed child, as in the lab, but its sum is short.
    let processes = graded.check("processes-sum");
    assert_eq!(processes["score"], 0.0);
    assert_eq!(
        processes["cases"][0]["observed"]["termination"]["kind"],
        "exited"
    );
    assert_eq!(processes["cases"][0]["failures"][0]["what"], "compare");
}

#[test]
fn missing_file_is_named_and_only_its_checks_are_lost() {
    let graded = Grade::fixture("missing_file").json();
    let build = &graded.report["build"];
    assert_eq!(build["status"], "built");
    assert_eq!(
        build["missing_files"],
        serde_json::json!(["src/bin/sum_array_processes.rs"])
    );
    assert_eq!(
        graded.scores(),
        rows(&[
            ("threads-sum", 27.0, "passed"),
            ("threads-census", 5.0, "passed"),
            ("threads-together", 5.0, "passed"),
            ("threads-timing", 5.0, "passed"),
            ("threads-usage", 5.0, "passed"),
            ("processes-sum", 0.0, "skipped"),
            ("processes-census", 0.0, "skipped"),
            ("processes-reaped", 0.0, "skipped"),
            ("processes-ipc-removed", 0.0, "skipped"),
            ("processes-timing", 0.0, "skipped"),
            ("processes-usage", 0.0, "skipped"),
            ("style-clippy", 0.0, "skipped"),
            ("style-format", 0.0, "skipped"),
        ])
    );
    let reason = graded.check("processes-sum")["reason"].as_str().unwrap();
    assert!(
        reason.contains("`src/bin/sum_array_processes.rs`"),
        "{reason}"
    );
    assert_eq!(graded.code, 1);
}

#[test]
fn submission_with_no_listed_file_builds_nothing() {
    let empty = tempfile::tempdir().unwrap();
    let graded = Grade::fixture("all_pass").submission(empty.path()).json();
    assert_eq!(graded.report["build"]["status"], "missing_files");
    assert_eq!(graded.report["score"], 0.0);
    assert!(
        graded
            .scores()
            .iter()
            .all(|(_, _, status)| status == "skipped")
    );
}

#[test]
fn infinite_loop_times_out_and_leaves_nothing_behind() {
    // The same rubric with a 1 s limit per case, so that the test does not wait 5 s twelve times.
    let graded = grade_infinite_loop("timeout = \"1s\"");
    assert_eq!(graded.check("threads-sum")["score"], 0.0);
    assert_eq!(graded.check("processes-sum")["score"], 0.0);
    for id in ["threads-sum", "processes-sum"] {
        for case in graded.check(id)["cases"].as_array().unwrap() {
            let termination = &case["observed"]["termination"];
            assert_eq!(termination["kind"], "timed_out", "{case:#}");
            assert_eq!(termination["limit_ms"], 1000);
        }
    }
}

/// Grades the `infinite_loop` fixture with the sum-array rubric with `limits` (see
/// [`sum_array_rubric_with`]), and asserts that it left nothing behind: children that spin were
/// killed with their parent, so no process runs a binary of this grading.
#[track_caller]
fn grade_infinite_loop(limits: &str) -> Graded {
    let dir = tempfile::tempdir().unwrap();
    let rubric = sum_array_rubric_with(dir.path(), limits);
    let temp = tempfile::tempdir().unwrap();
    let graded = Grade::fixture("infinite_loop")
        .rubric(&rubric)
        .temp_dir(temp.path())
        .json();
    assert_eq!(processes_under(temp.path()), Vec::<String>::new());
    graded
}

#[test]
fn cpu_time_limit_of_the_rubric_stops_a_spinning_program() {
    // `[limits] cpu-time` reaches the student's program: every spinning case ends by SIGXCPU
    // before its wall-clock limit, half a minute, in which even a loaded machine gives it a
    // second of CPU time, and the report says which limit it passed.
    let graded = grade_infinite_loop("timeout = \"30s\"\ncpu-time = \"1s\"");
    assert_eq!(graded.check("threads-sum")["score"], 0.0);
    for case in graded.check("threads-sum")["cases"].as_array().unwrap() {
        let termination = &case["observed"]["termination"];
        assert_eq!(termination["kind"], "signaled", "{case:#}");
        assert_eq!(termination["name"], "SIGXCPU", "{case:#}");
        assert_eq!(termination["cpu_limit_s"], 1, "{case:#}");
        assert!(
            case.to_string()
                .contains("used more than its CPU time limit of 1 s"),
            "{case:#}"
        );
    }
}

#[test]
fn a_relative_cache_folder_builds_every_submission_afresh() {
    // With a relative cache path, cargo (run inside the build slot) once built into another
    // folder than the one labgrade copied binaries from, so a submission was graded with an
    // earlier one's binaries.
    let cache = "target/labgrade-relative-cache";
    let dropped = Grade::fixture("remainder_dropped")
        .cache_dir(cache)
        .seed(1)
        .json();
    assert_eq!(dropped.check("threads-sum")["status"], "partial");
    let right = Grade::fixture("all_pass").cache_dir(cache).seed(1).json();
    assert_eq!(right.report["score"], 100.0);
}

#[test]
fn a_cache_folder_that_does_not_exist_yet_is_made() {
    // A clean CI clone or a student's first grade has no cache folder: labgrade once asked
    // the toolchain for its version inside that folder before making it, and graded nothing.
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("not").join("yet");
    let graded = Grade::fixture("all_pass").cache_dir(&cache).seed(1).json();
    assert_eq!(graded.report["score"], 100.0);
    assert!(cache.join("builds").is_dir(), "{}", cache.display());
}

/// A System V segment the processes program never removes loses `processes-ipc-removed` alone,
/// and the report names the segment; one marked for removal at once earns full marks.
#[test]
fn a_shared_memory_segment_left_behind_loses_only_ipc_removed() {
    if !needs_root_for("an IPC namespace of the program's own") {
        return;
    }
    let graded = Grade::fixture("processes_leave_shared_memory").json();
    assert_eq!(
        graded.scores(),
        rows_but(&ALL_POINTS, &[("processes-ipc-removed", 0.0, "failed")])
    );
    let failure = &graded.check("processes-ipc-removed")["cases"][0]["failures"][0];
    let actual = failure["actual"].as_str().unwrap();
    assert!(
        regex::Regex::new(
            r"^when the main process ended, the program left System V shared memory segment \d+ \(key 0x0, 24 bytes\), never removed with shmctl\(IPC_RMID\)$"
        )
        .unwrap()
        .is_match(actual),
        "{actual}"
    );
    let removed = Grade::fixture("all_pass_system_v_segment_removed").json();
    assert_eq!(removed.scores(), rows(&ALL_POINTS));
}
