//! End-to-end tests of the `labgrade` binary: one test binary, a module per topic.

mod census;
mod containment;
mod course;
mod grading;
mod rubric_errors;
mod supervisor;
mod support;
mod threads_lab;
