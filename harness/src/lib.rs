//! labgrade grades operating-systems lab exercises: it builds a student's submission, runs it
//! under worker counts, inputs and faults that it chooses, checks what the program did, and
//! scores the result against a TOML rubric.
#![warn(missing_docs)]

pub mod run;
