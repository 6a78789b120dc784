//! Grades: what a submission earned and why, computed without running anything.

mod evaluate;
mod model;
mod oracle;
mod seed;

pub use evaluate::{
    GradeHeader, blocked_by, combine_runs, evaluate_case, score_check, total, unscored_check,
};
pub use model::{
    BuildGrade, BuildStatus, CaseGrade, CheckGrade, CheckStatus, Failure, GRADE_FORMAT_VERSION,
    Grade, GradeStatus, Observed, Replay,
};
pub use seed::{case_seed, draw_fault};
