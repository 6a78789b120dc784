//! What a grading is doing, told to an [`Observer`] as it goes: the CLI shows it on stderr, so
//! that a first build, which compiles the exercise's dependencies, is not a minute of silence.

/// A step of grading one submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage<'a> {
    /// Copying the rubric's files of the submission into a fresh copy of the exercise.
    Assembling,
    /// Downloading the exercise's dependencies, which only a first grading really does.
    Fetching,
    /// Compiling the submission; `first` when this build folder has never built the exercise,
    /// so the dependencies compile too.
    Building {
        /// Whether the dependencies compile too.
        first: bool,
    },
    /// Taking what an earlier build of the same files gave, instead of compiling.
    Reusing,
    /// Running a case of a check.
    Running {
        /// The check's id.
        check: &'a str,
        /// Which check, from 1, of how many.
        check_number: usize,
        /// Checks of the rubric.
        checks: usize,
        /// The case's name, such as `workers=3`.
        case: &'a str,
        /// Which case of the check, from 1.
        case_number: usize,
        /// Cases of the check.
        cases: usize,
    },
}

/// Receives the stages of every grading of a [`crate::grader::Grader`]; shared by a batch's
/// grading threads, hence `Send + Sync`.
pub trait Observer: Send + Sync + std::fmt::Debug {
    /// Grading of a submission reached `stage`.
    fn stage(&self, stage: &Stage<'_>);
}

/// An observer that ignores every stage: a batch and the tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unobserved;

impl Observer for Unobserved {
    fn stage(&self, _stage: &Stage<'_>) {}
}
