//! Reports: a [`Grade`] written in the format its reader wants.
//!
//! Each format is one file behind the [`Reporter`] trait. Reporters write to a
//! `&mut dyn Write` and never print, so tests render them into a buffer.

mod doctor;
mod github;
mod gradebook;
mod gradescope;
mod html;
mod human;
mod json;
mod junit;
mod selfcheck;
mod summary;

use std::io::{self, Write};

pub use doctor::write_doctor;
pub use github::{Github, escape_data, escape_property, write_step_summary};
pub use gradebook::write_gradebook;
pub use gradescope::Gradescope;
pub use html::{ClassStudent, write_html};
pub use human::Human;
pub use json::Json;
pub use junit::{Junit, write_class as write_class_junit};
pub use selfcheck::write_selfcheck;
pub use summary::write_summary;

use crate::grade::Grade;

/// Writes a grade in one format.
pub trait Reporter {
    /// Writes `grade` to `out`.
    fn report(&self, grade: &Grade, out: &mut dyn Write) -> io::Result<()>;
}

/// The formats `--format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Coloured text for people.
    Human,
    /// The versioned JSON report (`docs/report-format.md`).
    Json,
    /// `JUnit` XML, for CI test reports.
    Junit,
    /// Gradescope's autograder `results.json`.
    Gradescope,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

impl Format {
    /// Every format, with its name on the command line.
    pub const ALL: [(&'static str, Format); 5] = [
        ("human", Format::Human),
        ("json", Format::Json),
        ("junit", Format::Junit),
        ("gradescope", Format::Gradescope),
        ("github", Format::Github),
    ];

    /// The reporter for this format, for a repository in folder `workspace` (GitHub
    /// annotations name files relative to it).
    #[must_use]
    pub fn reporter_in(self, workspace: Option<std::path::PathBuf>) -> Box<dyn Reporter> {
        match self {
            Self::Human => Box::new(Human),
            Self::Json => Box::new(Json),
            Self::Junit => Box::new(Junit),
            Self::Gradescope => Box::new(Gradescope),
            Self::Github => Box::new(Github { workspace }),
        }
    }

    /// The format named `name`.
    pub fn from_name(name: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, format)| *format)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|(known, _)| *known).collect();
                format!("unknown format `{name}`; use one of {}", names.join(", "))
            })
    }

    /// A `--report` argument, `FORMAT=PATH`, such as `junit=results/junit.xml`.
    pub fn parse_target(text: &str) -> Result<(Self, std::path::PathBuf), String> {
        let (name, path) = text
            .split_once('=')
            .filter(|(_, path)| !path.is_empty())
            .ok_or_else(|| {
                format!("`{text}` is not FORMAT=PATH, such as `junit=results/junit.xml`")
            })?;
        Ok((Self::from_name(name)?, path.into()))
    }
}

/// Points as people write them: `40`, `26.67`.
#[must_use]
pub fn points(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    if (rounded - rounded.round()).abs() < f64::EPSILON {
        format!("{}", rounded.round() as i64)
    } else {
        format!("{rounded:.2}").trim_end_matches('0').to_owned()
    }
}

/// What a self-check left out, in the words every format shares: `1 hidden check worth 35 points
/// is not run here; your TA's grading runs it`.
pub(crate) fn hidden_sentence(hidden: &crate::grade::HiddenChecks) -> String {
    let one = hidden.checks == 1;
    format!(
        "{} hidden check{} worth {} points {} not run here; your TA's grading runs {}",
        hidden.checks,
        if one { "" } else { "s" },
        points(hidden.points),
        if one { "is" } else { "are" },
        if one { "it" } else { "them" },
    )
}

/// The `expected …` / `but …` lines of a case's failures, each after `indent`, in the words
/// every text format shares. The `runs` failure (how many runs passed) is said elsewhere.
pub(crate) fn failure_lines(case: &crate::grade::CaseGrade, indent: &str) -> Vec<String> {
    case.failures
        .iter()
        .filter(|failure| failure.what != "runs")
        .flat_map(|failure| {
            [
                format!("{indent}expected {}", failure.expected),
                format!("{indent}but      {}", failure.actual),
            ]
        })
        .collect()
}
