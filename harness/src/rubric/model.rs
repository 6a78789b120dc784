//! The validated rubric: what the rest of labgrade works with.
//!
//! A [`Rubric`] can only be built by [`super::parse`], which has already checked every
//! precondition the grader relies on: ids are unique, every check a check needs exists and
//! comes first, every regex compiles, every capture that is compared is defined, every
//! `{variable}` names a case variable.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;
use serde::Serialize;

use super::template::Template;

/// Id under which the build appears in reports and in `needs`.
pub const BUILD_ID: &str = "build";

/// A validated rubric.
#[derive(Debug, Clone)]
pub struct Rubric {
    /// The rubric file, as given.
    pub path: PathBuf,
    /// The exercise it grades.
    pub exercise: Exercise,
    /// How submissions are built.
    pub build: Build,
    /// Environment of every run, before the check's own `env`.
    pub env: BTreeMap<String, String>,
    /// Checks in an order where every check comes after the checks it needs.
    pub checks: Vec<Check>,
}

impl Rubric {
    /// The most points a submission can earn.
    #[must_use]
    pub fn max_score(&self) -> f64 {
        f64::from(self.build.points)
            + self
                .checks
                .iter()
                .map(|check| f64::from(check.points))
                .sum::<f64>()
    }
}

/// The exercise a rubric grades.
#[derive(Debug, Clone)]
pub struct Exercise {
    /// Exercise name, such as `sum-array`.
    pub name: String,
    /// The exercise package a submission's files are copied into (absolute, or relative to the
    /// current directory when the rubric path was).
    pub package: PathBuf,
    /// Files a submission provides, relative to the package.
    pub files: Vec<PathBuf>,
}

/// Cargo profile used to build a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// `cargo build`.
    Dev,
    /// `cargo build --release`: timings mean something.
    Release,
}

/// How submissions are built.
#[derive(Debug, Clone)]
pub struct Build {
    /// Cargo profile.
    pub profile: Profile,
    /// Time limit of the build.
    pub timeout: Duration,
    /// Points for a build that succeeds.
    pub points: u32,
}

/// How a check's points are earned from its cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scoring {
    /// Each case earns an equal share of the points.
    PerCase,
    /// The points are earned only if every case passes.
    AllOrNothing,
}

/// One check: a program run over a list of cases, with what each run must show.
#[derive(Debug, Clone)]
pub struct Check {
    /// Unique id, used in reports and `needs`.
    pub id: String,
    /// One-line description for people.
    pub title: String,
    /// Points the check is worth.
    pub points: u32,
    /// Binary of the exercise package to run.
    pub program: String,
    /// Arguments, with `{variable}` placeholders.
    pub args: Vec<Template>,
    /// Environment on top of the rubric's, with placeholders.
    pub env: BTreeMap<String, Template>,
    /// The cases; always at least one.
    pub cases: Vec<Case>,
    /// How points are earned from cases.
    pub scoring: Scoring,
    /// Wall-clock limit of each case.
    pub timeout: Duration,
    /// Bytes of stdout and of stderr kept for checking.
    pub output_bytes: u64,
    /// Ids of checks (or [`BUILD_ID`]) that must pass in full before this one runs.
    pub needs: Vec<String>,
    /// How the program must end.
    pub expect: Expect,
    /// Matchers on stdout; all must hold.
    pub stdout: Vec<Matcher>,
    /// Matchers on stderr; all must hold.
    pub stderr: Vec<Matcher>,
    /// Comparisons of captured values.
    pub compares: Vec<Compare>,
}

/// One case: values for the check's variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Case {
    /// Name shown in reports, such as `workers=3`, or `default` for a check without cases.
    pub name: String,
    /// Variable values, substituted into `{variable}` placeholders.
    pub vars: BTreeMap<String, String>,
}

/// How the main process must end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Exit with exactly this code.
    Exit(i32),
    /// Exit by itself with any code but 0.
    NonZeroExit,
    /// Be killed by this signal (number and name).
    Signal(i32, String),
}

impl Expect {
    /// The expectation in plain words.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Exit(code) => format!("exit with code {code}"),
            Self::NonZeroExit => "exit with a non-zero code".to_owned(),
            Self::Signal(number, name) => format!("be killed by signal {name} ({number})"),
        }
    }
}

/// What a matcher looks for.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// A regex found anywhere, `^` and `$` matching at line ends; named groups become captures.
    Regex(Regex),
    /// A substring.
    Contains(Template),
    /// A whole line, ignoring trailing whitespace.
    Line(Template),
}

impl Matcher {
    /// The matcher as written in the rubric, for reports.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Regex(regex) => format!("a match of regex `{}`", regex.as_str()),
            Self::Contains(text) => format!("the text `{}`", text.source()),
            Self::Line(text) => format!("the line `{}`", text.source()),
        }
    }
}

/// A captured value and what it must equal.
#[derive(Debug, Clone)]
pub struct Compare {
    /// Name of a regex group of this check.
    pub capture: String,
    /// What the value must equal.
    pub expected: Expected,
}

/// Where the expected value of a comparison comes from.
#[derive(Debug, Clone)]
pub enum Expected {
    /// Computed by labgrade from the case's input.
    Oracle(Oracle),
    /// A literal, with placeholders.
    Value(Template),
}

/// A value labgrade computes itself from the input it gave the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oracle {
    /// The sum of the generated array (`array-sum`).
    ArraySum,
}

impl Oracle {
    /// Every oracle, with the name a rubric uses for it.
    pub const ALL: [(&'static str, Oracle); 1] = [("array-sum", Oracle::ArraySum)];

    /// The name a rubric uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, oracle)| *oracle == self)
            .map_or("?", |(name, _)| name)
    }
}
