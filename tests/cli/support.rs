//! A fluent helper over `assert_cmd` for running `labgrade` the way users do, and the other
//! helpers the end-to-end tests share.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

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

/// `labgrade grade` of one submission, built up fluently.
#[must_use]
pub(crate) struct Grade {
    submission: PathBuf,
    rubric: PathBuf,
    seed: Option<u64>,
    cache_dir: Option<PathBuf>,
    temp_dir: Option<PathBuf>,
    env: Vec<(String, std::ffi::OsString)>,
}

impl Grade {
    /// Grades the sum-array fixture named `outcome` with the sum-array rubric.
    pub(crate) fn fixture(outcome: &str) -> Self {
        Self::exercise("sum-array", outcome)
    }

    /// Grades the fixture named `outcome` of `exercise` with that exercise's rubric.
    pub(crate) fn exercise(exercise: &str, outcome: &str) -> Self {
        Self {
            submission: root().join("tests/fixtures").join(exercise).join(outcome),
            rubric: root().join("rubrics").join(format!("{exercise}.toml")),
            seed: None,
            cache_dir: None,
            temp_dir: None,
            env: Vec::new(),
        }
    }

    /// Grades the reference solution of `exercise` with that exercise's rubric: an exercise's
    /// passing fixture is its solution, not a copy of it.
    pub(crate) fn solution(exercise: &str) -> Self {
        Self::exercise(exercise, "all_pass")
            .submission(root().join("exercises").join(exercise).join("solution"))
    }

    pub(crate) fn submission(mut self, submission: impl Into<PathBuf>) -> Self {
        self.submission = submission.into();
        self
    }

    pub(crate) fn rubric(mut self, rubric: impl Into<PathBuf>) -> Self {
        self.rubric = rubric.into();
        self
    }

    /// Uses this cache folder instead of the tests' shared one.
    pub(crate) fn cache_dir(mut self, cache_dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(cache_dir.into());
        self
    }

    /// Uses this folder as labgrade's temporary folder (`TMPDIR`), where it puts the
    /// submission's binaries: [`processes_under`] it are the programs of this grading alone.
    pub(crate) fn temp_dir(mut self, temp_dir: impl Into<PathBuf>) -> Self {
        self.temp_dir = Some(temp_dir.into());
        self
    }

    /// Sets `name` in labgrade's environment.
    pub(crate) fn env(mut self, name: &str, value: impl Into<std::ffi::OsString>) -> Self {
        self.env.push((name.to_owned(), value.into()));
        self
    }

    pub(crate) fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Runs with `--format json` and parses the report.
    #[track_caller]
    pub(crate) fn json(self) -> Graded {
        let mut command = labgrade();
        command
            .arg("grade")
            .arg(&self.submission)
            .arg("--rubric")
            .arg(&self.rubric)
            .args(["--format", "json"]);
        if let Some(seed) = self.seed {
            command.args(["--seed", &seed.to_string()]);
        }
        if let Some(cache_dir) = &self.cache_dir {
            command.env("LABGRADE_CACHE_DIR", cache_dir);
        }
        if let Some(temp_dir) = &self.temp_dir {
            command.env("TMPDIR", temp_dir);
        }
        command.envs(self.env.iter().map(|(name, value)| (name, value)));
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|error| {
            panic!(
                "labgrade did not print a JSON report ({error})\nstdout:\n{stdout}\nstderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        Graded {
            code: output.status.code().unwrap_or(-1),
            report,
        }
    }
}

/// A parsed JSON report and the exit code.
pub(crate) struct Graded {
    pub(crate) code: i32,
    pub(crate) report: Value,
}

impl Drop for Graded {
    /// A test that fails while it holds a grade shows why each failed case failed (a program
    /// killed by SIGKILL, a case past its limit...), not only the scores it compared.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let cases = self.report["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|check| {
                let cases = check["cases"].as_array().into_iter().flatten();
                cases
                    .filter(|case| case["passed"] == false)
                    .map(move |case| {
                        format!(
                            "{}/{}: {} {}\n",
                            check["id"].as_str().unwrap_or("?"),
                            case["name"].as_str().unwrap_or("?"),
                            case["observed"]["termination_text"],
                            case["failures"]
                        )
                    })
            });
        let why: String = std::iter::once(format!("build: {}\n", self.report["build"]["status"]))
            .chain(cases)
            .collect();
        // Printed, not written to stderr directly: the test harness shows it with the failure.
        #[expect(
            clippy::print_stderr,
            reason = "shown only with a failing test's output"
        )]
        {
            eprintln!("failed cases of the grade:\n{why}");
        }
    }
}

impl Graded {
    #[track_caller]
    pub(crate) fn check(&self, id: &str) -> &Value {
        find_check(&self.report, id)
    }

    /// Score and status of each check, in report order: the per-check outcome tests assert.
    pub(crate) fn scores(&self) -> Vec<(String, f64, String)> {
        self.report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|check| {
                (
                    check["id"].as_str().unwrap().to_owned(),
                    (check["score"].as_f64().unwrap() * 100.0).round() / 100.0,
                    check["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// Names of the failed cases of a check.
    pub(crate) fn failed_cases(&self, id: &str) -> Vec<String> {
        self.check(id)["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|case| case["passed"] == false)
            .map(|case| case["name"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// Expected `(check, score, status)` rows, for comparison with [`Graded::scores`].
pub(crate) fn rows(rows: &[(&str, f64, &str)]) -> Vec<(String, f64, String)> {
    rows.iter()
        .map(|(id, score, status)| ((*id).to_owned(), *score, (*status).to_owned()))
        .collect()
}

/// The rows of `full` (every check passed) with the checks of `changes` replaced: the scores of
/// a fixture that loses exactly those points.
pub(crate) fn rows_but(
    full: &[(&str, f64, &str)],
    changes: &[(&str, f64, &str)],
) -> Vec<(String, f64, String)> {
    let expected: Vec<(&str, f64, &str)> = full
        .iter()
        .map(|row| {
            *changes
                .iter()
                .find(|change| change.0 == row.0)
                .unwrap_or(row)
        })
        .collect();
    rows(&expected)
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

/// Asserts that every check passed in full and that labgrade said so with exit code 0.
#[track_caller]
pub(crate) fn full_marks(graded: &Graded) {
    let failing: Vec<_> = graded
        .scores()
        .into_iter()
        .filter(|(_, _, status)| status != "passed")
        .collect();
    assert!(failing.is_empty(), "{failing:?}");
    assert_eq!(graded.code, 0);
}
