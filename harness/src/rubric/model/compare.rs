//! Comparisons of values taken from a run's output with what they must equal.

use super::oracle::Oracle;
use crate::rubric::template::Template;

/// A value taken from the output and what it must equal.
#[derive(Debug, Clone)]
pub struct Compare {
    /// Where the value comes from.
    pub source: Source,
    /// What it must equal.
    pub expected: Expected,
}

/// Where a compared value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A named group of one of the check's regexes.
    Capture(String),
    /// Every integer written on a stream, in order.
    Numbers(Stream),
}

impl Source {
    /// The source in words.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Capture(name) => format!("`{name}`"),
            Self::Numbers(Stream::Stdout) => "the numbers on stdout".to_owned(),
            Self::Numbers(Stream::Stderr) => "the numbers on stderr".to_owned(),
        }
    }
}

/// An output stream of a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Where the expected value of a comparison comes from.
#[derive(Debug, Clone)]
pub enum Expected {
    /// Computed by labgrade from the case's input.
    Oracle(Oracle),
    /// A literal, with placeholders.
    Value(Template),
    /// A signal, given by name or number, compared by number (`SIGSEGV`, `SEGV` and `11` agree).
    Signal(Template),
}
