//! `labgrade grade` of one submission, built fluently, and its parsed JSON report with the
//! score rows that tests compare.

use std::ffi::OsString;
use std::path::PathBuf;

use serde_json::Value;

use super::{Cli, Ran, find_check, root};

/// `labgrade grade` of one submission, built up fluently.
#[must_use]
pub(crate) struct Grade {
    submission: PathBuf,
    rubric: PathBuf,
    seed: Option<u64>,
    format: Option<&'static str>,
    args: Vec<OsString>,
    cache_dir: Option<PathBuf>,
    temp_dir: Option<PathBuf>,
    /// Variables set in labgrade's environment, or taken out of it (`None`).
    env: Vec<(String, Option<OsString>)>,
}

impl Grade {
    /// Grades `submission` with `rubric`, paths as given (relative ones to the course root, where
    /// labgrade runs): labgrade's messages name them so.
    pub(crate) fn new(submission: impl Into<PathBuf>, rubric: impl Into<PathBuf>) -> Self {
        Self {
            submission: submission.into(),
            rubric: rubric.into(),
            seed: None,
            format: None,
            args: Vec::new(),
            cache_dir: None,
            temp_dir: None,
            env: Vec::new(),
        }
    }

    /// Grades the sum-array fixture named `outcome` with the sum-array rubric.
    pub(crate) fn fixture(outcome: &str) -> Self {
        Self::exercise("sum-array", outcome)
    }

    /// Grades the fixture named `outcome` of `exercise` with that exercise's rubric.
    pub(crate) fn exercise(exercise: &str, outcome: &str) -> Self {
        Self::new(
            root().join("tests/fixtures").join(exercise).join(outcome),
            root().join("rubrics").join(format!("{exercise}.toml")),
        )
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
    pub(crate) fn env(mut self, name: &str, value: impl Into<OsString>) -> Self {
        self.env.push((name.to_owned(), Some(value.into())));
        self
    }

    /// Takes `name` out of labgrade's environment.
    pub(crate) fn env_remove(mut self, name: &str) -> Self {
        self.env.push((name.to_owned(), None));
        self
    }

    pub(crate) fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// `--format <format>` (`json`, `junit`, `github`...) instead of the human report.
    pub(crate) fn format(mut self, format: &'static str) -> Self {
        self.format = Some(format);
        self
    }

    /// One more of labgrade's arguments (`--report`, `--min-score`, `--verbose`...).
    pub(crate) fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// More of labgrade's arguments.
    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Runs with `--format json` and parses the report.
    #[track_caller]
    pub(crate) fn json(self) -> Graded {
        let output = self.format("json").run().output;
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

    /// Runs labgrade to its end, in the human format unless [`Grade::format`] says otherwise.
    #[track_caller]
    pub(crate) fn run(self) -> Ran {
        let mut cli = Cli::new("grade")
            .arg(&self.submission)
            .arg("--rubric")
            .arg(&self.rubric);
        if let Some(format) = self.format {
            cli = cli.args(["--format", format]);
        }
        if let Some(seed) = self.seed {
            cli = cli.args(["--seed", &seed.to_string()]);
        }
        cli = cli.args(&self.args);
        if let Some(cache_dir) = &self.cache_dir {
            cli = cli.env("LABGRADE_CACHE_DIR", cache_dir);
        }
        if let Some(temp_dir) = &self.temp_dir {
            cli = cli.env("TMPDIR", temp_dir);
        }
        for (name, value) in &self.env {
            cli = match value {
                Some(value) => cli.env(name, value),
                None => cli.env_remove(name),
            };
        }
        cli.run()
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
