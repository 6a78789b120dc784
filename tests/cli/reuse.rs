//! Builds reused by content (`harness/src/reuse.rs`): the same files never compile twice, not
//! for two students, not across runs, not after a rubric change that leaves the build alone;
//! and a build is never reused for files that differ by a byte.
//!
//! Each test makes its submissions unique with a comment holding a fresh nonce, so that no
//! other test (which share the build cache) has built them before.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::{self, Cli, Grade, assert_code, copy_dir, root};

/// A copy of sum-array fixture `outcome` in `to` that no other test built.
fn unique_copy(outcome: &str, to: &Path) {
    support::unique_copy(
        &root().join("tests/fixtures/sum-array").join(outcome),
        to,
        "src/bin/sum_array_threads.rs",
    );
}

/// The batch tests' quick rubric, copied into `dir` with `threads-sum` worth `points`.
fn rubric_with(dir: &Path, points: u32) -> PathBuf {
    let text = support::quick_rubric_text();
    assert!(text.contains("points = 40"), "{text}");
    let changed = text.replacen("points = 40", &format!("points = {points}"), 1);
    let rubric = dir.join("sum-array.toml");
    std::fs::write(&rubric, changed).unwrap();
    rubric
}

fn batch(class: &Path, rubric: &Path, out: &Path) -> Output {
    Cli::batch(class, rubric, out)
        // One at a time: the second of two equal submissions finds the first's build.
        .args(["--seed", "1", "--jobs", "1", "--quiet"])
        .run()
        .output
}

/// Student `id`'s JSON report.
fn report(out: &Path, id: &str) -> Value {
    let text = std::fs::read_to_string(out.join("reports").join(format!("{id}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn reused(report: &Value) -> bool {
    report["build"]["reused"].as_bool().unwrap_or(false)
}

#[test]
fn a_regrade_after_a_points_change_compiles_nothing_and_equal_files_compile_once() {
    let class = tempfile::tempdir().unwrap();
    unique_copy("all_pass", &class.path().join("ada"));
    // Bea hands in Ada's very files; Cy a program that does not compile.
    copy_dir(&class.path().join("ada"), &class.path().join("bea"));
    unique_copy("compile_error", &class.path().join("cy"));
    let rubrics = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();

    let first = batch(class.path(), &rubric_with(rubrics.path(), 40), out.path());
    assert_code(&first, 0);
    let (ada, bea, cy) = (
        report(out.path(), "ada"),
        report(out.path(), "bea"),
        report(out.path(), "cy"),
    );
    assert!(!reused(&ada), "ada's files were never built: {ada:#}");
    assert!(reused(&bea), "bea's files equal ada's: {bea:#}");
    assert_eq!(ada["score"], bea["score"]);
    assert_eq!(cy["build"]["status"], "compile_error");
    assert!(!reused(&cy));
    let diagnostics = cy["build"]["diagnostics"].clone();
    assert!(diagnostics.as_str().unwrap().contains("error"), "{cy:#}");

    // The rubric's points change: every student is graded again, and nothing is compiled.
    let second = batch(class.path(), &rubric_with(rubrics.path(), 30), out.path());
    assert_code(&second, 0);
    for id in ["ada", "bea", "cy"] {
        let report = report(out.path(), id);
        assert!(reused(&report), "{id} was compiled again: {report:#}");
    }
    let ada = report(out.path(), "ada");
    assert_eq!(ada["score"], 90.0, "graded with the new points: {ada:#}");
    assert_eq!(
        report(out.path(), "cy")["build"]["diagnostics"],
        diagnostics
    );
}

#[test]
fn a_byte_changed_is_compiled_again_and_graded_for_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let submission = dir.path().join("lab");
    unique_copy("all_pass", &submission);
    let grade = || {
        let output = Grade::new(&submission, "tests/fixtures/batch/sum-array.toml")
            .format("json")
            .arg("--quiet")
            .seed(1)
            .run()
            .output;
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    let first = grade();
    assert!(!reused(&first), "{first:#}");
    assert_eq!(first["score"], 100.0);
    let again = grade();
    assert!(reused(&again), "{again:#}");
    assert_eq!(again["score"], 100.0);

    // The same program, but its threads program prints a wrong sum: a new build, whose
    // binaries are its own (the old ones would still earn the threads points).
    let file = submission.join("src/bin/sum_array_threads.rs");
    let text = std::fs::read_to_string(&file).unwrap();
    let wrong = text.replacen(
        "println!(\"Array sum is: {",
        "println!(\"Array sum is: 1{",
        1,
    );
    assert_ne!(wrong, text, "the threads program prints its sum otherwise");
    std::fs::write(&file, wrong).unwrap();
    let changed = grade();
    assert!(!reused(&changed), "{changed:#}");
    assert_eq!(
        changed["checks"][0]["status"], "failed",
        "graded with the new binaries: {changed:#}"
    );
}

/// As on a cluster: two nodes share the kept builds (`LABGRADE_CACHE_DIR`, on the shared file
/// system) but build in slots on their own disks (`LABGRADE_BUILD_DIR`, the same path on every
/// node: the folders above a slot are part of a build's sandbox, so of its key).
#[test]
fn build_slots_apart_from_the_cache_share_its_kept_builds() {
    let class = tempfile::tempdir().unwrap();
    unique_copy("all_pass", &class.path().join("ada"));
    let rubric = root().join("tests/fixtures/batch/sum-array.toml");
    let slots = tempfile::tempdir().unwrap();
    let node = |out: &Path| {
        Cli::batch(class.path(), &rubric, out)
            .args(["--seed", "1", "--jobs", "1", "--quiet"])
            .env("LABGRADE_BUILD_DIR", slots.path())
            .run()
            .code(0);
        report(out, "ada")
    };
    let slot = slots.path().join("sum-array/ws-0/target");
    let first_out = tempfile::tempdir().unwrap();
    let first = node(first_out.path());
    assert!(!reused(&first), "ada's files were never built: {first:#}");
    assert_eq!(first["score"], 100.0, "{first:#}");
    assert!(slot.is_dir(), "no build slot in {}", slots.path().display());

    // Another node: the same path, empty. The same files are not built again.
    std::fs::remove_dir_all(slots.path().join("sum-array")).unwrap();
    let second_out = tempfile::tempdir().unwrap();
    let second = node(second_out.path());
    assert!(reused(&second), "the kept build is shared: {second:#}");
    assert_eq!(second["score"], first["score"]);
    assert!(!slot.exists(), "{}", slot.display());
}
