//! The validated rubric: what the rest of labgrade works with.
//!
//! A [`Rubric`] can only be built by [`super::parse`], which has already checked every
//! precondition the grader relies on: ids are unique, every check a check needs exists and
//! comes first, every regex compiles, every capture that is compared is defined, every
//! `{variable}` names a case variable.

mod census;
mod check;
mod compare;
mod expect;
mod fault;
mod matchers;
mod oracle;
mod ratio;
mod rubric;
mod style;
mod syscalls;
mod test;

pub use census::{
    CensusCount, CensusRule, SLEEPS_MAX_BUSY, SLEEPS_MIN_LIFE_US, SLEEPS_MIN_SPELL_US,
};
pub use check::{
    Audience, Case, Check, CheckRuns, Details, Rules, RunLimits, Scoring, TaskStart, Visibility,
};
pub use compare::{Compare, Expected, Source, Stream};
pub use expect::Expect;
pub use fault::{FAULT_VARS, FaultPlan};
pub use matchers::{Matcher, Sequences};
pub use oracle::Oracle;
pub use ratio::{Figure, Ratio};
pub use rubric::{BUILD_ID, Build, Exercise, Profile, Rubric};
pub use style::StyleRule;
pub use syscalls::{SYSCALL_FAMILIES, SyscallPattern, SyscallRule};
pub use test::{HIDDEN_TESTS_FOLDER, RubricTest, module_of};
