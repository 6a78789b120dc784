//! Grading proper: a pure function from a check and what its cases did to points.
//!
//! Nothing here runs a program or touches a file, so every rule of the rubric language can be
//! unit-tested with hand-made observations. [`case`] puts the verdict of a run together from one
//! module per rule family; [`scoring`] turns the graded cases into points.

mod case;
mod census;
mod compare;
mod descriptors;
mod figures;
#[cfg(test)]
pub(super) mod fixtures;
mod output;
mod scoring;
mod stacks;
mod style;
mod syscalls;
mod termination;

pub use case::{combine_runs, evaluate_case};
pub(super) use output::shorten;
pub use scoring::{
    GradeHeader, blocked_by, build_block_reason, missing_list, score_check, total, unscored_check,
};
pub use style::score_style;
