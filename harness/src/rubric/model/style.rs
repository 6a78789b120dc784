//! A style check: Rust's own tools judge the student's files instead of a run of the program.

/// What a style check asks (`clippy` or `rustfmt`); its check's `points` cap what it costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StyleRule {
    /// `clippy = { lints = [...], points-per-finding = N }`: every finding of these clippy
    /// lints in the student's files costs `points_per_finding`.
    Clippy {
        /// Lint names without the `clippy::` prefix, such as `needless_range_loop`.
        lints: Vec<String>,
        /// Points one finding costs; the check's points when the rubric leaves it out.
        points_per_finding: u32,
    },
    /// `rustfmt = true`: the student's files must be as `rustfmt` writes them; any region it
    /// would change costs the check's points.
    Rustfmt,
}

impl StyleRule {
    /// Points one finding costs, of a check worth `points`.
    #[must_use]
    pub fn points_per_finding(&self, points: u32) -> u32 {
        match self {
            Self::Clippy {
                points_per_finding, ..
            } => *points_per_finding,
            Self::Rustfmt => points,
        }
    }
}
