//! Exit codes, one per kind of result (README.md and docs/batch.md document them), and what is
//! said on stderr when a command stops before its result.

use std::io::Write;

use labgrade::batch::BatchError;
use labgrade::publish::PublishError;
use labgrade::replay::ReplayError;

/// How labgrade exits, one variant per code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// 0: graded with full marks, or at least `--min-score` percent; the self-check passed; a
    /// replay agreed with its report; a batch graded every student, whatever their scores; the
    /// course was published; doctor said what it found.
    Success,
    /// 1: graded short of full marks (and of `--min-score`); the self-check found a problem; a
    /// replayed case did not pass or fail as recorded.
    Failure,
    /// 2: bad input: an invalid rubric, a missing submission, a wrong argument (clap's own
    /// usage errors exit 2 too).
    BadInput,
    /// 3: labgrade could not grade (toolchain, machine, or labgrade itself), or graded only
    /// part; for a batch, some student could not be graded in full.
    CannotGrade,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        Self::from(match exit {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::BadInput => 2,
            Exit::CannotGrade => 3,
        })
    }
}

/// Why a command stopped before its result, and whether the input given was at fault.
#[derive(Debug)]
pub(crate) struct Stopped {
    /// What went wrong, as the library says it.
    why: String,
    /// [`Exit::BadInput`] or [`Exit::CannotGrade`].
    exit: Exit,
}

impl Stopped {
    /// Stopped by `error`: bad input, or labgrade could not go on.
    fn new(error: &dyn std::fmt::Display, bad_input: bool) -> Self {
        Self {
            why: error.to_string(),
            exit: if bad_input {
                Exit::BadInput
            } else {
                Exit::CannotGrade
            },
        }
    }

    /// Stdout is gone: what was done cannot be said.
    pub(crate) fn stdout(error: &std::io::Error) -> Self {
        Self::new(&format!("cannot write to stdout: {error}"), false)
    }

    /// Says why labgrade stopped, on stderr, and gives the exit code. The message may name a
    /// submission's files, so its control characters are shown, not sent.
    pub(crate) fn say(self) -> Exit {
        let mut stderr = anstream::stderr();
        // Nothing better can be done if stderr itself is gone.
        let _ = writeln!(stderr, "labgrade: {}", labgrade::report::inert(&self.why));
        self.exit
    }
}

/// Each of the library's errors knows whether it is the input's fault.
macro_rules! stopped_by {
    ($($error:ty),*) => {$(
        impl From<$error> for Stopped {
            fn from(error: $error) -> Self {
                Self::new(&error, error.is_bad_input())
            }
        }
    )*};
}

stopped_by!(labgrade::Error, BatchError, ReplayError, PublishError);
