//! End-to-end tests of the `labgrade` binary: one test binary, a module per topic.

mod archives;
mod batch;
mod census;
mod ci;
mod containment;
mod course;
mod gradescope;
mod grading;
mod hostile;
mod html;
mod interference;
mod ipc_lab;
mod lms;
mod publish;
mod reach;
mod replay;
mod reports;
mod reuse;
mod rubric_errors;
mod sandbox;
mod style;
mod supervisor;
mod support;
mod survival;
mod sync_lab;
mod threads_lab;
