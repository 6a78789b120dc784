//! The course as a whole: the content self-check and `labgrade check` of a working copy.

use predicates::prelude::*;

use crate::support::{labgrade, root};

/// The self-check of one exercise passes: its README lists what its rubric grades, its
/// reference solution and correct fixtures earn full marks, its skeleton does not, and every
/// requirement has a mutant that loses exactly its points.
#[track_caller]
fn selfcheck_passes(exercise: &str) {
    let output = labgrade()
        .args(["selfcheck", "--exercise", exercise])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for subject in [
        "README (must list every requirement with its points)",
        "reference solution (must earn full marks): 100 / 100",
        "skeleton (must not earn full marks)",
        "requirements (each must have a mutant): every requirement has a mutant",
    ] {
        assert!(
            stdout.contains(&format!("ok {exercise}: {subject}")),
            "no `ok {exercise}: {subject}` in:\n{stdout}"
        );
    }
    assert!(stdout.contains("self-check passed"), "{stdout}");
}

/// One test per exercise, so that they run side by side and a failure names its exercise.
macro_rules! selfcheck_tests {
    ($($test:ident: $exercise:literal,)*) => {
        $(
            #[test]
            fn $test() {
                selfcheck_passes($exercise);
            }
        )*

        #[test]
        fn every_exercise_has_a_selfcheck_test() {
            assert_eq!(labgrade::course::exercise_names(&root()), [$($exercise),*]);
        }
    };
}

selfcheck_tests! {
    selfcheck_green_threads: "green-threads",
    selfcheck_ipc_async: "ipc-async",
    selfcheck_ipc_datagram: "ipc-datagram",
    selfcheck_ipc_handover: "ipc-handover",
    selfcheck_ipc_stream: "ipc-stream",
    selfcheck_memory_corruption: "memory-corruption",
    selfcheck_race_condition: "race-condition",
    selfcheck_seg_fault: "seg-fault",
    selfcheck_sum_array: "sum-array",
    selfcheck_thread_stacks: "thread-stacks",
    selfcheck_wait_for_me: "wait-for-me",
}

#[test]
fn selfcheck_fails_a_mutant_that_keeps_its_points_and_a_bad_manifest() {
    let fixtures = tempfile::tempdir().unwrap();
    let exercise = fixtures.path().join("seg-fault");
    // The reference solution, passed off as a mutant: it keeps every point.
    let mutant = exercise.join("not_really_broken");
    std::fs::create_dir_all(mutant.join("src/bin")).unwrap();
    for bin in ["seg_fault_threads.rs", "seg_fault_processes.rs"] {
        std::fs::copy(
            root()
                .join("exercises/seg-fault/solution/src/bin")
                .join(bin),
            mutant.join("src/bin").join(bin),
        )
        .unwrap();
    }
    std::fs::write(
        mutant.join("fixture.toml"),
        "kind = \"mutant\"\nbreaks = \"threads-crash\"\n",
    )
    .unwrap();
    let bad = exercise.join("bad_manifest");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("fixture.toml"),
        "kind = \"mutant\"\nbreaks = \"no-such-check\"\n",
    )
    .unwrap();
    labgrade()
        .args(["selfcheck", "--exercise", "seg-fault", "--fixtures"])
        .arg(fixtures.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "FAIL seg-fault: mutant `not_really_broken` (must lose the points of `threads-crash` only): 100 / 100",
        ))
        .stdout(predicate::str::contains("keeps the points of `threads-crash`, which it breaks"))
        .stdout(predicate::str::contains(
            "bad_manifest/fixture.toml:2:10: `no-such-check` is not a check or graded ratio",
        ))
        .stdout(predicate::str::contains("FAIL seg-fault: requirements (each must have a mutant): no mutant"))
        .stdout(predicate::str::contains("self-check failed"));
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
        // Both worker counts that do not divide the array fail alike: said once.
        .stdout(predicate::str::contains(
            "✗ 2 cases fail alike: workers=3, workers=7 (case workers=3 is shown)",
        ))
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
            .stdout(predicate::str::contains("yes  pid namespace"))
            .stdout(predicate::str::contains("yes  network"))
            .stdout(predicate::str::contains("yes  ipc"))
            .stdout(predicate::str::contains("user namespace").not());
    } else {
        let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
        let assert = assert.stdout(predicate::str::contains("no  uid drop"));
        // Without root, a user namespace (where the kernel allows one with its powers) gives
        // the program its namespaces; otherwise Landlock (where the kernel has it) is what
        // refuses TCP.
        if stdout.contains("yes  user namespace") {
            assert
                .stdout(predicate::str::contains("yes  pid namespace"))
                .stdout(predicate::str::contains("yes  network"))
                .stdout(predicate::str::contains("yes  ipc"));
        } else {
            let network_gap = if stdout.contains("yes  landlock") {
                "only TCP is refused without a network namespace"
            } else {
                "student programs can open network connections"
            };
            assert
                .stdout(predicate::str::contains("no  user namespace"))
                .stdout(predicate::str::contains(network_gap))
                .stdout(predicate::str::contains("no IPC namespace here"));
        }
    }
}
