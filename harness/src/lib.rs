//! labgrade grades operating-systems lab exercises: it builds a student's submission, runs it
//! under worker counts, inputs and faults that it chooses, checks what the program did, and
//! scores the result against a TOML rubric.
#![warn(missing_docs)]

pub mod batch;
pub mod class;
pub mod compile;
pub mod course;
mod digest;
mod error;
pub mod grade;
pub mod grader;
mod made_runs;
pub mod publish;
pub mod replay;
pub mod report;
pub mod reuse;
pub mod rubric;
pub mod run;
pub mod selfcheck;
pub mod similarity;
pub mod stage;
pub mod stats;
pub mod style;
pub mod submission;
pub mod test_build;
mod test_run;

pub use error::{Error, io};
