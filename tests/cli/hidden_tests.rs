//! Rubric tests (`test = { file, name }`): test files kept beside a rubric, compiled into the
//! student's program, each test run alone in a process of its own as its own check.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::support::{Cli, Grade, check_ids, root, rows};

/// The tests of the processes program: one passes, one panics, one hangs.
const SUITE: &str = r#"
use super::corrupt_array_outside;

#[test]
fn passes() {
    let mut array = [1, 2, 3];
    corrupt_array_outside(&mut array, &(1..2));
    assert_eq!(array, [-1, 2, -3]);
}

#[test]
fn panics() {
    panic!("this test panics on purpose");
}

#[test]
fn hangs() {
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}
"#;

/// A test of the threads program that calls its function with a plain slice: its signature
/// takes atomics, so the test does not compile.
const WRONG_SIGNATURE: &str = r"
use super::corrupt_array_outside;

#[test]
fn calls_with_a_plain_slice() {
    let mut array = [1_i64, 2];
    corrupt_array_outside(&mut array, &(0..1));
}
";

/// A rubric of memory-corruption in `dir` whose checks are `checks` (TOML text), with the
/// test files `files` (path beside the rubric, text) written beside it.
fn rubric(dir: &Path, checks: &str, files: &[(&str, &str)]) -> PathBuf {
    let package = root().join("exercises/memory-corruption");
    let text = format!(
        "[exercise]\nname = \"memory-corruption\"\npackage = {:?}\nfiles = [\"src/bin/memory_corruption_threads.rs\", \"src/bin/memory_corruption_processes.rs\"]\n\n[build]\nprofile = \"release\"\n\n[limits]\ntimeout = \"3s\"\n\n{checks}",
        package.display().to_string()
    );
    for (file, content) in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let path = dir.join("rubrics/memory-corruption.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// A `[[check]]` running test `name` of `file` in `program`, worth `points`, with `extra` keys.
fn test_check(id: &str, program: &str, (file, name): (&str, &str), extra: &str) -> String {
    format!(
        "[[check]]\nid = \"{id}\"\ntitle = \"{id}\"\npoints = 10\nrun = \"{program}\"\n{extra}test = {{ file = \"{file}\", name = \"{name}\" }}\n\n"
    )
}

fn solution() -> PathBuf {
    root().join("exercises/memory-corruption/solution")
}

#[test]
fn each_test_is_a_check_of_its_own_and_a_panic_or_a_hang_fails_only_its_own() {
    let dir = TempDir::new().unwrap();
    let processes = "memory_corruption_processes";
    let checks = [
        test_check("passes", processes, ("tests/suite.rs", "passes"), ""),
        test_check("panics", processes, ("tests/suite.rs", "panics"), ""),
        test_check(
            "hangs",
            processes,
            ("tests/suite.rs", "hangs"),
            "timeout = \"1s\"\n",
        ),
        test_check(
            "signature",
            "memory_corruption_threads",
            ("tests/threads_signature.rs", "calls_with_a_plain_slice"),
            "",
        ),
    ]
    .concat();
    let rubric = rubric(
        dir.path(),
        &checks,
        &[
            ("rubrics/tests/suite.rs", SUITE),
            ("rubrics/tests/threads_signature.rs", WRONG_SIGNATURE),
        ],
    );
    let graded = Grade::new(solution(), &rubric).json();
    assert_eq!(graded.code, 1);
    let scores: Vec<(String, f64, String)> = graded.scores();
    assert_eq!(
        scores,
        rows(&[
            ("passes", 10.0, "passed"),
            ("panics", 0.0, "failed"),
            ("hangs", 0.0, "failed"),
            ("signature", 0.0, "failed"),
        ])
    );
    let panics = &graded.check("panics")["cases"][0];
    let stderr = panics["observed"]["stderr"]["text"].as_str().unwrap();
    assert!(stderr.contains("this test panics on purpose"), "{panics:#}");
    let command = panics["replay"]["command"].as_array().unwrap();
    assert_eq!(command[..3], ["cargo", "test", "--quiet"], "{panics:#}");
    let hangs = &graded.check("hangs")["cases"][0]["observed"]["termination"];
    assert_eq!(hangs["kind"], "timed_out", "{hangs:#}");
    // The test that does not compile against the student's function is named, with the
    // compiler's error; the build itself, and the other program's tests, are not touched.
    let reason = graded.check("signature")["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "test `calls_with_a_plain_slice` does not compile against your `memory_corruption_threads`"
        ),
        "{reason}"
    );
    assert!(
        reason.contains("error[E0308]: mismatched types"),
        "{reason}"
    );
    assert_eq!(graded.report["build"]["status"], "built");
    // Graded again, nothing is built: the test executables come back with the kept build.
    let again = Grade::new(solution(), &rubric).json();
    assert_eq!(
        again.report["build"]["reused"], true,
        "{:#}",
        again.report["build"]
    );
    assert_eq!(again.scores(), scores);
}

#[test]
fn a_test_the_file_does_not_define_cannot_be_graded() {
    let dir = TempDir::new().unwrap();
    let checks = test_check(
        "misspelt",
        "memory_corruption_processes",
        ("tests/suite.rs", "pases"),
        "",
    );
    let rubric = rubric(dir.path(), &checks, &[("rubrics/tests/suite.rs", SUITE)]);
    let graded = Grade::new(solution(), &rubric).json();
    assert_eq!(graded.code, 3);
    let check = graded.check("misspelt");
    assert_eq!(check["status"], "error");
    let reason = check["reason"].as_str().unwrap();
    assert!(
        reason.contains(
            "`tests/suite.rs` defines no such test (it defines `hangs`, `panics`, `passes`)"
        ),
        "{reason}"
    );
}

#[test]
fn the_self_check_of_a_student_leaves_hidden_tests_out_and_never_needs_their_files() {
    let course = TempDir::new().unwrap();
    std::fs::create_dir_all(course.path().join("exercises")).unwrap();
    let checks = [
        test_check(
            "visible",
            "memory_corruption_processes",
            ("tests/visible.rs", "passes"),
            "",
        ),
        test_check(
            "hidden",
            "memory_corruption_processes",
            ("hidden-tests/suite.rs", "passes"),
            "visibility = \"hidden\"\n",
        ),
    ]
    .concat();
    // As in a published course: the hidden tests are not there.
    rubric(
        course.path(),
        &checks,
        &[("rubrics/tests/visible.rs", SUITE)],
    );
    let output = Cli::check("memory-corruption")
        .args(["--format", "json", "--root"])
        .arg(course.path())
        .run();
    let report: serde_json::Value = serde_json::from_str(&output.stdout())
        .unwrap_or_else(|error| panic!("{error}: {}", output.stderr()));
    let ids = check_ids(&report);
    assert_eq!(ids, ["visible"], "{report:#}");
    assert_eq!(report["hidden"]["checks"], 1);
    assert_eq!(report["hidden"]["points"], 10.0);
    // A TA's grade needs the hidden file, and says which is missing.
    Grade::new(
        solution(),
        course.path().join("rubrics/memory-corruption.toml"),
    )
    .run()
    .code(3)
    .stderr_has("hidden-tests/suite.rs");
}
