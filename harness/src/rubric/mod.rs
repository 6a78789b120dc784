//! Rubrics: the TOML file that says how an exercise is graded, parsed and then validated.
//!
//! `wire` mirrors the file; [`parse`] validates it into a [`Rubric`], reporting every problem
//! with its file, line and column. Nothing else in labgrade sees the wire types.

mod error;
mod invocation;
mod model;
mod template;
mod unknown;
mod validate;
mod wire;

use std::path::Path;

pub use error::{Problem, RubricError};
pub use invocation::Invocation;
pub use model::StyleRule;
pub use model::{
    Audience, BUILD_ID, Build, Case, CensusCount, CensusRule, Check, CheckRuns, Compare, Details,
    Exercise, Expect, Expected, FAULT_VARS, FaultPlan, Figure, HIDDEN_TESTS_FOLDER, Matcher,
    Oracle, Profile, Ratio, Rubric, RubricTest, Rules, RunLimits, SLEEPS_MAX_BUSY,
    SLEEPS_MIN_LIFE_US, SLEEPS_MIN_SPELL_US, SYSCALL_FAMILIES, Scoring, Sequences, Source, Stream,
    SyscallPattern, SyscallRule, TaskStart, Visibility, module_of,
};
pub use template::Template;
pub use validate::parse;

/// Reads and validates the rubric at `path`.
pub fn load(path: &Path) -> Result<Rubric, RubricError> {
    let text = std::fs::read_to_string(path).map_err(|source| RubricError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &text)
}
