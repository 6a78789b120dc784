//! The JSON report: the [`Grade`] serialized as it is, versioned by its `version` field.

use std::io::{self, Write};

use super::Reporter;
use crate::grade::Grade;

/// Writes the grade as pretty-printed JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Reporter for Json {
    fn report(&self, grade: &Grade, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, grade)?;
        writeln!(out)
    }
}
