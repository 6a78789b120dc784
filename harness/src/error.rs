//! Errors: the cases where labgrade could not grade, as opposed to a submission that is wrong.
//!
//! A compile error, a crash or a timeout of student code is never an [`Error`]: it is part of
//! the [`crate::grade::Grade`]. An `Error` means the grade could not be computed at all.

use std::path::PathBuf;

use crate::rubric::RubricError;
use crate::run::RunError;

/// Why labgrade could not grade.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The rubric is unreadable or invalid.
    #[error(transparent)]
    Rubric(#[from] RubricError),
    /// The submission directory does not exist.
    #[error("submission `{}` does not exist; pass the directory that holds the student's files", path.display())]
    SubmissionNotFound {
        /// The path given.
        path: PathBuf,
    },
    /// The submission is not a directory.
    #[error("submission `{}` is not a directory; pass the directory that holds the student's files", path.display())]
    SubmissionNotDirectory {
        /// The path given.
        path: PathBuf,
    },
    /// The submission handed in is a file labgrade cannot read as one (an archive that is
    /// damaged, protected, over the limits, or of an unknown kind).
    #[error("{problem}")]
    Unreadable {
        /// What is wrong, and what to hand in instead.
        problem: String,
    },
    /// No rubric for an exercise name.
    #[error("no rubric for exercise `{name}`: `{}` does not exist{}", path.display(), suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownExercise {
        /// The exercise name given.
        name: String,
        /// Where its rubric should be.
        path: PathBuf,
        /// The closest exercise that exists.
        suggestion: Option<String>,
    },
    /// The course root (the folder with `rubrics/` and `exercises/`) could not be found.
    #[error("cannot find the course folder (with `rubrics/` and `exercises/`) above `{}`; run from inside it or pass `--root`", start.display())]
    RootNotFound {
        /// Where the search started.
        start: PathBuf,
    },
    /// A file operation on labgrade's own files failed.
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io {
        /// What labgrade was doing.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The exercise package cannot be assembled as the rubric describes it.
    #[error("exercise package `{}`: {problem}", package.display())]
    Package {
        /// The package directory.
        package: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The dependencies of the exercise could not be fetched.
    #[error("cannot fetch the dependencies of exercise package `{}`; run `cargo fetch` once with network access, then grade again:\n{diagnostics}", package.display())]
    Fetch {
        /// The package directory.
        package: PathBuf,
        /// What cargo said.
        diagnostics: String,
    },
    /// A check runs a binary the exercise package does not build.
    #[error("check `{check}` runs `{program}`, but exercise package `{}` builds no such binary; fix `run` in the rubric", package.display())]
    UnknownProgram {
        /// The check.
        check: String,
        /// The binary it names.
        program: String,
        /// The package.
        package: PathBuf,
    },
    /// A program labgrade needs could not be run.
    #[error(transparent)]
    Run(#[from] RunError),
    /// Something outside the build spoiled it twice (a kill that neither cargo nor labgrade
    /// sent, an overloaded machine): nothing is known of the submission.
    #[error(
        "the build of the submission was spoiled from outside twice ({first}; then: {then}); grade it again on a quieter machine"
    )]
    BuildSpoiled {
        /// What spoiled the first build.
        first: String,
        /// What spoiled the second.
        then: String,
    },
}

impl Error {
    /// Whether the error is in what the user gave (a rubric, a path), as opposed to the machine
    /// or labgrade itself.
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::Rubric(_)
                | Self::SubmissionNotFound { .. }
                | Self::SubmissionNotDirectory { .. }
                | Self::Unreadable { .. }
                | Self::UnknownExercise { .. }
                | Self::RootNotFound { .. }
                | Self::Package { .. }
                | Self::UnknownProgram { .. }
        )
    }
}

/// Shorthand for an [`Error::Io`] maker, for `map_err`.
pub fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}
