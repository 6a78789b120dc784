//! The validated rubric as a whole: its exercise, its build and its checks and ratios.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::check::Check;
use super::ratio::Ratio;

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
    /// Comparisons between checks, graded once every check has run.
    pub ratios: Vec<Ratio>,
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
            + self
                .ratios
                .iter()
                .map(|ratio| f64::from(ratio.points))
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
