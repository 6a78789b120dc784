//! The course as a whole: the content self-check, `labgrade check` of a working copy, and what
//! `labgrade doctor` and `labgrade --help` say.

use crate::support::{Cli, Grade, is_root, racing_threads, root};

/// The self-check of one exercise passes: its README lists what its rubric grades, its
/// reference solution and correct fixtures earn full marks, its skeleton does not, and every
/// requirement has a mutant that loses exactly its points.
#[track_caller]
fn selfcheck_passes(exercise: &str) {
    let ran = Cli::new("selfcheck")
        .args(["--exercise", exercise])
        .run()
        .code(0);
    let stdout = ran.stdout();
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
                // Race-condition's mutants are caught only when their threads overlap.
                let _machine = racing_threads();
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
    Cli::new("selfcheck")
        .args(["--exercise", "seg-fault", "--fixtures"])
        .arg(fixtures.path())
        .run()
        .code(1)
        .stdout_has(
            "FAIL seg-fault: mutant `not_really_broken` (must lose the points of `threads-crash` only): 100 / 100",
        )
        .stdout_has("keeps the points of `threads-crash`, which it breaks")
        .stdout_has(
            "bad_manifest/fixture.toml:2:10: `no-such-check` is not a check or graded ratio",
        )
        .stdout_has("FAIL seg-fault: requirements (each must have a mutant): no mutant")
        .stdout_has("self-check failed");
}

#[test]
fn check_grades_the_working_copy() {
    Cli::check("sum-array")
        .arg("--root")
        .arg(root())
        .run()
        .code(1)
        .stdout_has("sum-array · submission")
        .stdout_has("threads-sum")
        .stdout_has("score ");
}

#[test]
fn check_suggests_a_close_exercise_name() {
    Cli::check("sum-aray")
        .run()
        .code(2)
        .stderr_has("no rubric for exercise `sum-aray`")
        .stderr_has("did you mean `sum-array`?");
}

#[test]
fn missing_submission_is_a_clear_error() {
    Grade::new("no/such/dir", "rubrics/sum-array.toml")
        .run()
        .code(2)
        .stderr_has("submission `no/such/dir` does not exist");
}

#[test]
fn human_report_says_what_was_expected_and_how_to_replay() {
    Grade::new(
        "tests/fixtures/sum-array/remainder_dropped",
        "rubrics/sum-array.toml",
    )
    .seed(7)
    .run()
    .code(1)
    .stdout_has("partial threads-sum")
    // Both worker counts that do not divide the array fail alike: said once.
    .stdout_has("✗ 2 cases fail alike: workers=3, workers=7 (case workers=3 is shown)")
    .stdout_has("expected `sum` to be ")
    .stdout_has("cargo run --quiet --release --bin sum_array_threads -- 3")
    .stdout_has("seed 7")
    .stdout_lacks("\u{1b}[");
}

#[test]
fn doctor_says_what_is_contained_and_what_is_not() {
    let doctor = Cli::doctor()
        .run()
        .code(0)
        .stdout_has("always")
        .stdout_has("ptrace census")
        .stdout_has("landlock")
        .stdout_has("cannot guarantee here");
    // Whether uid drop and network isolation are used depends on who runs the tests; both
    // answers are checked, each where it applies.
    if is_root() {
        doctor
            .stdout_has("yes  uid drop")
            .stdout_has("yes  pid namespace")
            .stdout_has("yes  network")
            .stdout_has("yes  ipc")
            .stdout_lacks("user namespace");
    } else {
        let stdout = doctor.stdout().into_owned();
        let doctor = doctor.stdout_has("no  uid drop");
        // Without root, a user namespace (where the kernel allows one with its powers) gives
        // the program its namespaces; otherwise Landlock (where the kernel has it) is what
        // refuses TCP.
        if stdout.contains("yes  user namespace") {
            doctor
                .stdout_has("yes  pid namespace")
                .stdout_has("yes  network")
                .stdout_has("yes  ipc");
        } else {
            let network_gap = if stdout.contains("yes  landlock") {
                "only TCP is refused without a network namespace"
            } else {
                "student programs can open network connections"
            };
            doctor
                .stdout_has("no  user namespace")
                .stdout_has(network_gap)
                .stdout_has("no IPC namespace here");
        }
    }
}

/// What `labgrade --help` lists: every command, each in a line.
#[test]
fn help_lists_every_command() {
    let help = Cli::new("--help").run().code(0);
    insta::assert_snapshot!(help.stdout(), @r"
    Grades operating-systems lab exercises on threads, processes, synchronization and IPC

    Usage: labgrade <COMMAND>

    Commands:
      grade      Grade a submission against a rubric
      replay     Run one case of a JSON report again, and say whether it passes or fails as the report says
      check      Grade your own working copy of an exercise (`exercises/<EXERCISE>`)
      selfcheck  Prove the course: every README lists what its rubric grades, every reference solution and correct fixture earns full marks, every skeleton does not, and every requirement has a mutant that loses exactly its points
      batch      Grade a whole class: every entry of DIR (a folder, a git working tree, a .zip, .tar.gz or .tgz) is one student's submission, named by the entry
      merge      Join the output folders of the shards of a batch into one gradebook
      publish    Write a copy of the course that students' CI may clone: the harness, the rubrics, each exercise's skeleton, without a reference solution, a fixture or the git history
      doctor     Say what containment this machine offers and what labgrade uses of it
      help       Print this message or the help of the given subcommand(s)

    Options:
      -h, --help     Print help
      -V, --version  Print version
    ");
}
