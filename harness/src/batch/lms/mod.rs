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
mod roster;
mod source;

pub use class::{Class, class};
pub use roster::apply_roster;

// What `batch.json` keeps of a class is `crate::class`'s; the LMS layouts make it.
pub use crate::class::{ClassInfo, Person, Source};
