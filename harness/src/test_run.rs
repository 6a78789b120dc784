//! How a `test` check runs its test: libtest's arguments to run one test alone (`--exact`, on
//! one thread, its output not captured so that a test killed at its time limit keeps what it
//! printed), the listing that proves the test exists, and the reason a check gives when its
//! tests did not compile against the student's code.

use crate::grade::CheckStatus;
use crate::rubric::{Check, Profile, Rubric, RubricTest};
use crate::run::{Observation, Termination};
use crate::test_build::{TestBuild, TestBuilds};

/// libtest's arguments that list the tests of an executable, one `<name>: test` line each.
pub(crate) const LIST_ARGS: [&str; 3] = ["--list", "--format", "terse"];

/// libtest's arguments that run `test` alone: a run of the test executable is one test, in a
/// process of its own, so that a panic, a crash or a hang costs this test only.
pub(crate) fn test_args(test: &RubricTest) -> Vec<String> {
    [
        test.full_name().as_str(),
        "--exact",
        "--test-threads=1",
        "--nocapture",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Why `test` cannot run, from the listing of its test executable: it is not among the tests
/// listed. `None` when it is, and when the listing itself failed (the student's code may crash
/// before any test starts: the test's own run then fails for the same reason, graded).
pub(crate) fn unlisted_reason(test: &RubricTest, listing: &Observation) -> Option<String> {
    if listing.termination != (Termination::Exited { code: 0 }) || listing.interference.is_some() {
        return None;
    }
    let listed: Vec<&str> = listing
        .stdout
        .text
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .collect();
    let full = test.full_name();
    (!listed.contains(&full.as_str())).then(|| {
        format!(
            "labgrade could not run test `{}`: `{}` defines no such test (it defines {}); fix `test` in the rubric",
            test.name,
            test.file.display(),
            if listed.is_empty() {
                "none".to_owned()
            } else {
                listed
                    .iter()
                    .map(|name| format!("`{}`", name.split_once("::").map_or(*name, |(_, n)| n)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        )
    })
}

/// Why `check`, a `test` check, fails without running: its program's tests did not compile
/// against the student's code (a graded failure: the function the test calls is missing or
/// has another signature), or their build ran out of time.
pub(crate) fn test_unbuilt(check: &Check, tests: &TestBuilds) -> Option<(CheckStatus, String)> {
    let test = check.runs.test.as_ref()?;
    let program = &check.runs.program;
    let (what, diagnostics) = match tests.get(program)? {
        TestBuild::Built => return None,
        TestBuild::CompileError { diagnostics } => ("does not compile against", diagnostics),
        TestBuild::TimedOut { diagnostics } => (
            "ran past the build's time limit when compiled with",
            diagnostics,
        ),
    };
    Some((
        CheckStatus::Failed,
        format!(
            "test `{}` {what} your `{program}` (the functions it calls must be there, with the signatures the README gives): {}",
            test.name,
            diagnostics.trim_end()
        ),
    ))
}

/// The command that runs `test` by hand, in a copy of the package that has its test file, and
/// that command as a shell line saying so.
pub(crate) fn test_replay(
    rubric: &Rubric,
    check: &Check,
    test: &RubricTest,
) -> (Vec<String>, String) {
    let mut command: Vec<String> = ["cargo", "test", "--quiet"].map(str::to_owned).to_vec();
    if rubric.build.profile == Profile::Release {
        command.push("--release".to_owned());
    }
    command.extend([
        "--bin".to_owned(),
        check.runs.program.clone(),
        "--".to_owned(),
    ]);
    command.extend(test_args(test));
    let shell = format!(
        "{}   # with `{}` added to the program as module `{}`",
        command.join(" "),
        test.file.display(),
        test.module()
    );
    (command, shell)
}
