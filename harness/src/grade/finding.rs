//! What Rust's own tools found in a student's files (a style check's findings), as the grade
//! and every report carry them.

use serde::{Deserialize, Serialize};

/// One finding of a style check, at a line of one of the student's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What was found.
    pub kind: FindingKind,
    /// The clippy lint, without `clippy::` (such as `needless_range_loop`); absent for
    /// `rustfmt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lint: Option<String>,
    /// The file, relative to the exercise package (such as `src/bin/sum_array_threads.rs`).
    pub file: String,
    /// Line of the finding, from 1.
    pub line: u64,
    /// Column of the finding, from 1.
    pub column: u64,
    /// What the tool said.
    pub message: String,
}

/// What a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A clippy lint the rubric grades fired here; costs the check's `points-per-finding`.
    Lint,
    /// The student's code turns off (`#[allow]`, `#[expect]`) a lint the rubric grades;
    /// costs every point of the check, since it hides the rest.
    Allowed,
    /// `rustfmt` would rewrite the region that starts here.
    Unformatted,
}

impl Finding {
    /// `file:line:column`, as editors and compilers write a place.
    #[must_use]
    pub fn place(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }

    /// The lint and message: `clippy::needless_range_loop: the loop variable …`.
    #[must_use]
    pub fn what(&self) -> String {
        match &self.lint {
            Some(lint) => format!("clippy::{lint}: {}", self.message),
            None => self.message.clone(),
        }
    }

    /// The finding in one line: place, lint and message.
    #[must_use]
    pub fn describe(&self) -> String {
        format!("{}: {}", self.place(), self.what())
    }
}
