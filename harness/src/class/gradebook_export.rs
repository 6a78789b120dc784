//! The gradebook export chosen with `--gradebook`, kept in `batch.json` so that `merge` writes
//! the export a single run writes (its writer is `report::gradebook_export`).

use serde::{Deserialize, Serialize};

/// The gradebook export chosen with `--gradebook`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "format", rename_all = "snake_case")]
pub enum GradebookExport {
    /// `gradebook.csv` alone.
    #[default]
    Plain,
    /// Canvas's gradebook import, with the assignment's column named `assignment`.
    Canvas {
        /// The assignment's column, as Canvas's export names it (`Lab 1 (12345)`).
        assignment: String,
    },
    /// Moodle's grading worksheet and grade import.
    Moodle,
}

impl GradebookExport {
    /// The names `--gradebook` accepts.
    pub const NAMES: [&'static str; 3] = ["plain", "canvas", "moodle"];

    /// The export named `name`; `assignment` is Canvas's column (`--assignment`).
    pub fn from_name(name: &str, assignment: Option<&str>) -> Result<Self, String> {
        match (name, assignment) {
            ("plain", _) => Ok(Self::Plain),
            ("canvas", Some(assignment)) if !assignment.trim().is_empty() => Ok(Self::Canvas {
                assignment: assignment.to_owned(),
            }),
            ("canvas", _) => Err(
                "`--gradebook canvas` needs `--assignment \"<column>\"`: the assignment's column as Canvas's gradebook export names it, such as \"Lab 1 (12345)\"".to_owned(),
            ),
            ("moodle", _) => Ok(Self::Moodle),
            _ => Err(format!(
                "unknown gradebook `{name}`; use one of {}",
                Self::NAMES.join(", ")
            )),
        }
    }

    /// The file it is written to in the output folder, if any besides `gradebook.csv`.
    #[must_use]
    pub fn file_name(&self) -> Option<&'static str> {
        match self {
            Self::Plain => None,
            Self::Canvas { .. } => Some("gradebook-canvas.csv"),
            Self::Moodle => Some("gradebook-moodle.csv"),
        }
    }
}
