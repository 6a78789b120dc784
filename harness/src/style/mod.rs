//! Rust's own checks of a submission: `cargo clippy` and `rustfmt --check`, run in the build
//! slot under the build's containment, their findings kept with the build.

mod clippy;
mod outcome;
mod run;
mod rustfmt;

pub use outcome::{StyleOutcome, StyleRequest, ToolOutcome};
