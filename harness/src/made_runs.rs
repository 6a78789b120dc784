//! The runs made in one grading, kept by the check whose runs they are (see
//! [`crate::rubric::Invocation`]), its case and the run's number: a check with an equal
//! invocation is judged on them instead of running its program again. A run is made at most
//! once, by whichever check asks for it first, and planned alike either way (its seed comes
//! from the check whose runs they are, [`crate::rubric::Rubric::runs_of`]: of the checks with
//! that invocation, the one with the most runs).

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::grade::ReplayRecipe;
use crate::run::Observation;

/// A run that counts: what was observed, how to replay it, and what spoiled the run before it
/// from outside, if anything did.
pub(crate) type CountedRun = (Observation, ReplayRecipe, Option<String>);

/// The runs of one grading: `(check id, case index, run)` to the run.
#[derive(Debug, Default)]
pub(crate) struct MadeRuns(RefCell<BTreeMap<(String, usize, u32), CountedRun>>);

impl MadeRuns {
    /// Run `repetition` of case `case` of the runs of check `runs_of`, if it was made.
    pub(crate) fn get(&self, runs_of: &str, case: usize, repetition: u32) -> Option<CountedRun> {
        self.0
            .borrow()
            .get(&(runs_of.to_owned(), case, repetition))
            .cloned()
    }

    /// Keeps a run that was made.
    pub(crate) fn keep(&self, runs_of: &str, case: usize, repetition: u32, run: &CountedRun) {
        self.0
            .borrow_mut()
            .insert((runs_of.to_owned(), case, repetition), run.clone());
    }
}
