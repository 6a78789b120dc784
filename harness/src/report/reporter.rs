//! The trait every per-grade format implements.

use std::io::{self, Write};

use crate::grade::Grade;

/// Writes a grade in one format.
pub trait Reporter {
    /// Writes `grade` to `out`.
    fn report(&self, grade: &Grade, out: &mut dyn Write) -> io::Result<()>;
}
