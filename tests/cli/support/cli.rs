//! Any `labgrade` command line (`batch`, `check`, `replay`, `doctor`...), built fluently, and
//! how it ended, with assertions on its exit code and streams that show both streams when they
//! fail.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

use super::{assert_code, labgrade};

/// A `labgrade` command line, run with [`Cli::run`].
#[must_use]
pub(crate) struct Cli {
    command: Command,
}

impl Cli {
    /// `labgrade <subcommand>`.
    pub(crate) fn new(subcommand: &str) -> Self {
        let mut command = labgrade();
        command.arg(subcommand);
        Self { command }
    }

    /// `labgrade doctor`.
    pub(crate) fn doctor() -> Self {
        Self::new("doctor")
    }

    /// `labgrade check <exercise>`.
    pub(crate) fn check(exercise: &str) -> Self {
        Self::new("check").arg(exercise)
    }

    /// `labgrade replay <report> <target>`.
    pub(crate) fn replay(report: &Path, target: &str) -> Self {
        Self::new("replay").arg(report).arg(target)
    }

    /// `labgrade batch <class> --rubric <rubric> --out <out>`.
    pub(crate) fn batch(class: &Path, rubric: impl AsRef<OsStr>, out: &Path) -> Self {
        Self::new("batch")
            .arg(class)
            .arg("--rubric")
            .arg(rubric)
            .arg("--out")
            .arg(out)
    }

    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    /// Sets `name` in labgrade's environment.
    pub(crate) fn env(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(name, value);
        self
    }

    /// Takes `name` out of labgrade's environment.
    pub(crate) fn env_remove(mut self, name: impl AsRef<OsStr>) -> Self {
        self.command.env_remove(name);
        self
    }

    /// Runs labgrade in `dir` instead of the course root.
    pub(crate) fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Runs the command to its end.
    #[track_caller]
    pub(crate) fn run(mut self) -> Ran {
        Ran {
            output: self.command.output().unwrap(),
        }
    }
}

/// How a `labgrade` run ended. Each assertion returns the run, so that they chain.
pub(crate) struct Ran {
    pub(crate) output: Output,
}

impl Ran {
    /// Asserts that labgrade exited with `code`.
    #[track_caller]
    pub(crate) fn code(self, code: i32) -> Self {
        assert_code(&self.output, code);
        self
    }

    /// The exit code; -1 for a run killed by a signal.
    pub(crate) fn exit_code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    pub(crate) fn stdout(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.output.stdout)
    }

    pub(crate) fn stderr(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.output.stderr)
    }

    #[track_caller]
    pub(crate) fn stdout_has(self, needle: impl AsRef<str>) -> Self {
        self.holds("stdout", &self.stdout(), needle.as_ref(), true);
        self
    }

    #[track_caller]
    pub(crate) fn stdout_lacks(self, needle: impl AsRef<str>) -> Self {
        self.holds("stdout", &self.stdout(), needle.as_ref(), false);
        self
    }

    #[track_caller]
    pub(crate) fn stderr_has(self, needle: impl AsRef<str>) -> Self {
        self.holds("stderr", &self.stderr(), needle.as_ref(), true);
        self
    }

    #[track_caller]
    pub(crate) fn stderr_lacks(self, needle: impl AsRef<str>) -> Self {
        self.holds("stderr", &self.stderr(), needle.as_ref(), false);
        self
    }

    /// Asserts that labgrade printed nothing on stdout.
    #[track_caller]
    pub(crate) fn stdout_is_empty(self) -> Self {
        assert!(
            self.output.stdout.is_empty(),
            "stdout is not empty:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    /// Asserts that `stream` (`text`) holds `needle`, or does not (`wanted` false).
    #[track_caller]
    fn holds(&self, stream: &str, text: &str, needle: &str, wanted: bool) {
        let verb = if wanted { "lacks" } else { "holds" };
        assert!(
            text.contains(needle) == wanted,
            "{stream} {verb} {needle:?}\nstdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
    }
}
