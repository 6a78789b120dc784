//! Who has the machine: the Slurm test, which grades a class on a one-node cluster (several
//! gradings and Slurm's daemons at once), takes it whole; tests whose verdicts need two threads
//! to run at the same moment (a lost update shows only then) share it with each other.
//!
//! A race-condition mutant is caught by a run in which its threads overlap on two CPUs; with
//! both cores taken by a cluster grading a class beside it, all four runs of a check can go by
//! without one such moment, and the mutant keeps points it should lose (seen once in CI). The
//! grader says how often it catches each mutant on a loaded machine (docs/detection.md); this
//! suite asserts exact scores, so it keeps the two apart.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

static MACHINE: RwLock<()> = RwLock::new(());

/// Held by a test that loads every core for a long while.
pub(crate) fn whole_machine() -> RwLockWriteGuard<'static, ()> {
    MACHINE.write().unwrap_or_else(PoisonError::into_inner)
}

/// Held by a test whose verdicts need threads to run at the same moment.
pub(crate) fn racing_threads() -> RwLockReadGuard<'static, ()> {
    MACHINE.read().unwrap_or_else(PoisonError::into_inner)
}
