//! The content self-check (rustlings' `dev check`): the course proves its own rubrics, with its
//! reference solutions, skeletons, READMEs and fixtures.

mod check;
#[cfg(test)]
mod demo;
mod manifest;
mod readme;
mod verdict;

pub use check::{Finding, SHARED_CRATES, SOLUTION_DIR, SelfcheckOptions, Subject, selfcheck};
pub use manifest::{FixtureKind, MANIFEST};
