//! What the end-to-end tests share: running `labgrade` the way users do (fluently: [`Cli`] for
//! any command line, [`Grade`] for `labgrade grade`), root and tool gates, fixtures and rubrics.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

mod cli;
mod grade;
mod machine;
mod snapshot;

pub(crate) use cli::{Cli, Ran};
pub(crate) use grade::{Grade, Graded, full_marks, rows, rows_but};
pub(crate) use machine::{racing_threads, whole_machine};
pub(crate) use snapshot::machine_independent;

/// The workspace root, where `rubrics/`, `exercises/` and `tests/fixtures/` are.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The `labgrade` command with a build cache shared by every test, so dependencies compile once.
pub(crate) fn labgrade() -> Command {
    Command::from_std(labgrade_process())
}

/// [`labgrade`] as a plain [`std::process::Command`], with the same environment, for tests that
/// spawn it and watch or kill it while it runs.
pub(crate) fn labgrade_process() -> std::process::Command {
    labgrade_process_of(Path::new(env!("CARGO_BIN_EXE_labgrade")))
}

/// [`labgrade_process`] with the labgrade executable `exe` (a copy of the tests' one).
pub(crate) fn labgrade_process_of(exe: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(exe);
    command
        .env(
            "LABGRADE_CACHE_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("labgrade-cache"),
        )
        .env("NO_COLOR", "1")
        .current_dir(root());
    command
}

/// Asserts that the command exited with `code`, showing its stdout and stderr if not.
#[track_caller]
pub(crate) fn assert_code(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The check `id` of the JSON report `report`.
#[track_caller]
pub(crate) fn find_check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["id"] == id)
        .unwrap_or_else(|| panic!("no check `{id}` in report:\n{report:#}"))
}

/// The ids of the checks of the JSON report `report`, in its order.
pub(crate) fn check_ids(report: &Value) -> Vec<&str> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|check| check["id"].as_str().unwrap())
        .collect()
}

/// Live processes whose executable lies under `dir` (deleted or not), as `pid: exe`.
pub(crate) fn processes_under(dir: &Path) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let exe = std::fs::read_link(entry.path().join("exe")).ok()?;
            exe.starts_with(dir)
                .then(|| format!("{}: {}", entry.file_name().to_string_lossy(), exe.display()))
        })
        .collect()
}

pub(crate) fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

/// Whether a test that needs root can run; says `skipped: needs root` on stderr when it cannot,
/// and fails instead with `LABGRADE_REQUIRE_ROOT=1` (as in CI, which runs as root: a skip there
/// would pass without checking anything).
pub(crate) fn needs_root() -> bool {
    skip_unless_root("skipped: needs root")
}

/// [`needs_root`], saying why the test needs root.
pub(crate) fn needs_root_for(reason: &str) -> bool {
    skip_unless_root(&format!("skipped: needs root ({reason})"))
}

/// [`needs_root`] for a part of a test (`part`), whose other checks run as any user: the part
/// that needs root is skipped, or, with `LABGRADE_REQUIRE_ROOT=1`, the test fails.
pub(crate) fn needs_root_for_part(part: &str) -> bool {
    skip_unless_root(&format!("skipped the part that needs root: {part}"))
}

fn skip_unless_root(message: &str) -> bool {
    if !is_root() {
        assert!(
            std::env::var("LABGRADE_REQUIRE_ROOT").as_deref() != Ok("1"),
            "{message}, and LABGRADE_REQUIRE_ROOT=1: run the tests as root"
        );
        // Straight to stderr, not `eprintln!`: the skip shows even when the harness captures
        // the test's output.
        let _ = writeln!(std::io::stderr(), "{message}");
    }
    is_root()
}

/// The first of `names` (one tool under its several names) that runs, probed with `--version`.
/// When none does, a test returns early after saying why it needs the tool (`why`), unless
/// `LABGRADE_REQUIRE_TOOLS=1` (as in CI) makes the absence a failure.
#[track_caller]
pub(crate) fn find_tool(names: &[&'static str], why: &str) -> Option<&'static str> {
    let found = names.iter().copied().find(|name| {
        std::process::Command::new(name)
            .arg("--version")
            .output()
            .is_ok()
    });
    if found.is_none() {
        let tool = names[0];
        assert!(
            std::env::var("LABGRADE_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "`{tool}` is missing and LABGRADE_REQUIRE_TOOLS=1; run .ci/setup"
        );
        // Straight to stderr: the skip shows even when the harness captures the output.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: `{tool}` is not installed ({why}); .ci/setup installs it"
        );
    }
    found
}

/// The sum-array rubric with `limits` in place of its programs' time limit (`timeout = "5s"`),
/// written into `dir`; returns its path.
pub(crate) fn sum_array_rubric_with(dir: &Path, limits: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("rubrics/sum-array.toml")).unwrap();
    let package = root().join("exercises/sum-array");
    let text = text.replace("timeout = \"5s\"", limits).replace(
        "\"../exercises/sum-array\"",
        &format!("{:?}", package.display().to_string()),
    );
    assert!(text.contains(limits), "{text}");
    let rubric = dir.join("sum-array.toml");
    std::fs::write(&rubric, text).unwrap();
    rubric
}

/// The text of the batch tests' quick sum-array rubric (`tests/fixtures/batch/sum-array.toml`)
/// with its exercise package as an absolute path, so that a test may change it and write it
/// anywhere.
pub(crate) fn quick_rubric_text() -> String {
    let text = std::fs::read_to_string(root().join("tests/fixtures/batch/sum-array.toml")).unwrap();
    let package = root().join("exercises/sum-array");
    let text = text.replace(
        "\"../../../exercises/sum-array\"",
        &format!("{:?}", package.display().to_string()),
    );
    assert!(!text.contains("../../.."), "{text}");
    text
}

/// Copies the folder `from` to `to`, recursively: a fixture into a class folder or a scratch
/// copy that a test may change.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A class folder of sum-array fixtures: one folder per `(student id, outcome)`, a copy of
/// `tests/fixtures/sum-array/<outcome>`.
pub(crate) fn sum_array_class(students: &[(&str, &str)]) -> tempfile::TempDir {
    let class = tempfile::tempdir().unwrap();
    for (id, outcome) in students {
        copy_dir(
            &root().join("tests/fixtures/sum-array").join(outcome),
            &class.path().join(id),
        );
    }
    class
}

/// A copy of folder `from` in `to` that no other copy equals: Rust file `file` (relative) ends in
/// a comment with a fresh nonce, so that labgrade reuses no other test's build for it.
pub(crate) fn unique_copy(from: &Path, to: &Path, file: &str) {
    use std::io::Write;
    copy_dir(from, to);
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mut source = std::fs::OpenOptions::new()
        .append(true)
        .open(to.join(file))
        .unwrap();
    writeln!(source, "\n// {nonce} {}", to.display()).unwrap();
}
