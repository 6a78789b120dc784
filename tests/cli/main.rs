//! End-to-end tests of the `labgrade` binary: one test binary, a module per topic.

mod batch;
mod census;
mod containment;
mod course;
mod grading;
mod hostile;
mod rubric_errors;
mod sandbox;
mod supervisor;
mod support;
mod survival;
mod threads_lab;
