//! Reports: a [`Grade`](crate::grade::Grade) written in the format its reader wants.
//!
//! Each format is one file behind the [`Reporter`] trait. Reporters write to a
//! `&mut dyn Write` and never print, so tests render them into a buffer.

mod canvas_gradebook;
mod doctor;
mod format;
mod github;
mod gradebook;
mod gradebook_export;
mod gradescope;
mod html;
mod human;
mod inert;
mod json;
mod junit;
mod moodle_gradebook;
mod reporter;
mod selfcheck;
mod similarity;
mod summary;
#[cfg(test)]
mod tests;
mod words;

pub use crate::grade::points;
pub use doctor::write_doctor;
pub use format::Format;
pub use github::{Github, escape_data, escape_property, write_step_summary};
pub use gradebook::write_gradebook;
pub use gradebook_export::ClassGradebook;
pub use gradescope::Gradescope;
pub use html::{ClassStudent, write_html};
pub use human::Human;
pub use inert::{inert, inert_line};
pub use json::Json;
pub use junit::{Junit, write_class as write_class_junit};
pub use reporter::Reporter;
pub use selfcheck::write_selfcheck;
pub use similarity::write_similarity;
pub use summary::write_summary;

// The export a batch asked for is data of the class; its writer is here.
pub use crate::class::GradebookExport;
pub(crate) use words::{failure_lines, finding_lines, hidden_sentence, runs_words};
