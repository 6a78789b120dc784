//! The faults a check injects into one worker of every run.

use crate::rubric::template::Template;

/// Placeholders a check with a `fault` can use, filled in for every run.
pub const FAULT_VARS: [&str; 6] = [
    "fault_workers",
    "fault_worker",
    "fault_signal",
    "fault_signal_short",
    "fault_signal_number",
    "fault_exit_code",
];

/// Which faults a check injects: one worker and one action, drawn from the run's seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultPlan {
    /// How many workers the program has (the faulty one is drawn among them).
    pub worker_count: Template,
    /// The actions to draw from.
    pub actions: Vec<labgrade_support::FaultAction>,
}
