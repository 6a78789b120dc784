//! Grades: what a submission earned and why, computed without running anything.

mod audience;
mod evaluate;
mod finding;
mod interleaved;
mod model;
mod only_lines;
mod oracle;
mod points;
mod ratio;
mod seed;

pub use audience::{REDACTED, for_students, redact_check, student_rubric};
pub use evaluate::score_style;
pub use evaluate::{
    GradeHeader, blocked_by, build_block_reason, combine_runs, evaluate_case, missing_list,
    score_check, total, unscored_check,
};
pub use finding::{Finding, FindingKind};
pub use model::HiddenChecks;
pub use model::{
    BuildGrade, BuildStatus, CaseGrade, CheckGrade, CheckStatus, Failure, FailureKind,
    GRADE_FORMAT_VERSION, Grade, GradeStatus, Observed, ReplayRecipe, Timing,
};
pub use model::{CaseLimits, Entry, EntryKind, InjectedFault};
pub use points::points;
pub use ratio::score_ratio;
pub use seed::{case_seed, draw_fault, run_seed};
