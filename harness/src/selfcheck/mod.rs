//! The content self-check (rustlings' `dev check`): the course proves its own rubrics, with its
//! reference solutions, skeletons, READMEs and fixtures.

#[cfg(test)]
mod demo;
mod manifest;
mod prove;
mod readme;
mod verdict;

pub use manifest::{FixtureKind, MANIFEST};
pub use prove::{Finding, SHARED_CRATES, SOLUTION_DIR, SelfcheckOptions, Subject, selfcheck};
