//! Class downloads as the LMSs make them: Moodle, Canvas, Gradescope and GitHub Classroom.
//!
//! Each layout names its students by the LMS's own identifier and keeps a display name; see
//! "Class downloads" in `docs/batch.md`.

mod canvas;
mod class;
mod download;
mod github_classroom;
mod gradescope;
mod moodle;
mod person;
mod roster;
mod source;

pub use class::{Class, ClassInfo, class};
pub use person::Person;
pub use roster::apply_roster;
pub use source::Source;
