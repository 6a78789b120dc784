//! Reports: a [`Grade`] written in the format its reader wants.
//!
//! Each format is one file behind the [`Reporter`] trait. Reporters write to a
//! `&mut dyn Write` and never print, so tests render them into a buffer.

mod doctor;
mod gradebook;
mod human;
mod json;
mod selfcheck;
mod summary;

use std::io::{self, Write};

pub use doctor::write_doctor;
pub use gradebook::write_gradebook;
pub use human::Human;
pub use json::Json;
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
}

impl Format {
    /// The reporter for this format.
    #[must_use]
    pub fn reporter(self) -> Box<dyn Reporter> {
        match self {
            Self::Human => Box::new(Human),
            Self::Json => Box::new(Json),
        }
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
