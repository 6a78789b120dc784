//! The course as a whole: the content self-check and `labgrade check` of a working copy.

use predicates::prelude::*;

use crate::support::{labgrade, root};

#[test]
fn selfcheck_reference_full_marks_and_skeleton_not() {
    let mut assert = labgrade().arg("selfcheck").assert().code(0);
    // Every exercise with a rubric, so that a new one cannot go unchecked.
    let exercises = labgrade::course::exercise_names(&root());
    assert!(exercises.len() >= 10, "{exercises:?}");
    for exercise in &exercises {
        assert = assert
            .stdout(predicate::str::contains(format!(
                "ok {exercise}: reference solution (must earn full marks): 100 / 100"
            )))
            .stdout(
                predicate::str::is_match(format!(
                    r"ok {exercise}: skeleton \(must not earn full marks\): \d+(\.\d+)? / 100"
                ))
                .unwrap(),
            );
    }
    assert.stdout(predicate::str::contains("self-check passed"));
}

#[test]
fn check_grades_the_working_copy() {
    labgrade()
        .args(["check", "sum-array", "--root"])
        .arg(root())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("sum-array · submission"))
        .stdout(predicate::str::contains("threads-sum"))
        .stdout(predicate::str::contains("score "));
}

#[test]
fn check_suggests_a_close_exercise_name() {
    labgrade()
        .args(["check", "sum-aray"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no rubric for exercise `sum-aray`",
        ))
        .stderr(predicate::str::contains("did you mean `sum-array`?"));
}

#[test]
fn missing_submission_is_a_clear_error() {
    labgrade()
        .args(["grade", "no/such/dir", "--rubric", "rubrics/sum-array.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "submission `no/such/dir` does not exist",
        ));
}

#[test]
fn human_report_says_what_was_expected_and_how_to_replay() {
    labgrade()
        .args([
            "grade",
            "tests/fixtures/sum-array/remainder_dropped",
            "--rubric",
            "rubrics/sum-array.toml",
            "--seed",
            "7",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("partial threads-sum"))
        .stdout(predicate::str::contains("✗ case workers=3"))
        .stdout(predicate::str::contains("expected `sum` to be "))
        .stdout(predicate::str::contains(
            "cargo run --quiet --release --bin sum_array_threads -- 3",
        ))
        .stdout(predicate::str::contains("seed 7"))
        .stdout(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn doctor_says_what_is_contained_and_what_is_not() {
    let assert = labgrade()
        .arg("doctor")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("always"))
        .stdout(predicate::str::contains("ptrace census"))
        .stdout(predicate::str::contains("landlock"))
        .stdout(predicate::str::contains("cannot guarantee here"));
    // Whether uid drop and network isolation are used depends on who runs the tests; both
    // answers are checked, each where it applies.
    if nix::unistd::Uid::effective().is_root() {
        assert
            .stdout(predicate::str::contains("yes  uid drop"))
            .stdout(predicate::str::contains("yes  network"));
    } else {
        let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
        // Without root, Landlock (where the kernel has it) is what refuses TCP.
        let network_gap = if stdout.contains("yes  landlock") {
            "only TCP is refused without root"
        } else {
            "student programs can open network connections"
        };
        assert
            .stdout(predicate::str::contains("no  uid drop"))
            .stdout(predicate::str::contains(network_gap));
    }
}
