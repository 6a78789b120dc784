//! A fluent helper over `assert_cmd` for running `labgrade` the way users do.

use std::path::{Path, PathBuf};

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
    let mut command = Command::new(env!("CARGO_BIN_EXE_labgrade"));
    command
        .env(
            "LABGRADE_CACHE_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("labgrade-cache"),
        )
        .env("NO_COLOR", "1")
        .current_dir(root());
    command
}

/// `labgrade grade` of one submission, built up fluently.
#[must_use]
pub(crate) struct Grade {
    submission: PathBuf,
    rubric: PathBuf,
    seed: Option<u64>,
    cache_dir: Option<PathBuf>,
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

impl Graded {
    #[track_caller]
    pub(crate) fn check(&self, id: &str) -> &Value {
        self.report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|check| check["id"] == id)
            .unwrap_or_else(|| panic!("no check `{id}` in report:\n{:#}", self.report))
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
