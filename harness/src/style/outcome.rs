//! What a rubric asks of Rust's tools, and what they found, as kept with the build.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::grade::Finding;
use crate::rubric::{Rubric, StyleRule};

/// What the style checks of a rubric need from the tools: clippy's lints (of every `clippy`
/// check together) and whether `rustfmt` runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StyleRequest {
    /// Every lint a `clippy` check counts; clippy runs only when there is one.
    pub lints: BTreeSet<String>,
    /// Whether a `rustfmt` check needs `rustfmt --check`.
    pub rustfmt: bool,
}

impl StyleRequest {
    /// What the style checks of `rubric` need.
    #[must_use]
    pub fn of(rubric: &Rubric) -> Self {
        let mut request = Self::default();
        for check in &rubric.checks {
            match &check.style {
                Some(StyleRule::Clippy { lints, .. }) => {
                    request.lints.extend(lints.iter().cloned());
                }
                Some(StyleRule::Rustfmt) => request.rustfmt = true,
                None => {}
            }
        }
        request
    }

    /// Whether no tool runs.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lints.is_empty() && !self.rustfmt
    }

    /// The request in words, for the key of a kept build: the same files built for a rubric
    /// that asks other lints must not take these findings.
    #[must_use]
    pub fn describe(&self) -> String {
        let lints: Vec<&str> = self.lints.iter().map(String::as_str).collect();
        format!("clippy [{}] rustfmt {}", lints.join(","), self.rustfmt)
    }
}

/// What the tools found in a submission that built.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StyleOutcome {
    /// `cargo clippy`, if a check asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clippy: Option<ToolOutcome>,
    /// `rustfmt --check`, if a check asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rustfmt: Option<ToolOutcome>,
}

/// What one tool gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ToolOutcome {
    /// It read every file; these are its findings in the student's files.
    Checked {
        /// Findings in the rubric's files, in the tool's order.
        findings: Vec<Finding>,
        /// Lints of the request that clippy does not know (a rubric's mistake).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unknown_lints: Vec<String>,
    },
    /// It could not read the code (the compiler under clippy rejected it): the student's,
    /// since the code is theirs.
    Failed {
        /// What happened, and the tool's messages.
        reason: String,
    },
    /// It ended without a verdict (past the build's time limit, killed by a limit): the
    /// student's too, but another try may fare otherwise, so it is not kept with the build.
    Cut {
        /// What happened, and the tool's messages.
        reason: String,
    },
    /// The tool gave no verdict at all (not installed, cargo failing before it compiled):
    /// labgrade could not grade the check, which says nothing of the submission; not kept.
    Unavailable {
        /// What happened, and the tool's messages.
        reason: String,
    },
}

impl StyleOutcome {
    /// Whether every tool gave its own verdict, so that the outcome may be kept with the build
    /// (as a build is kept only when the compiler decided).
    #[must_use]
    pub fn is_decided(&self) -> bool {
        ![&self.clippy, &self.rustfmt]
            .into_iter()
            .flatten()
            .any(|tool| {
                matches!(
                    tool,
                    ToolOutcome::Cut { .. } | ToolOutcome::Unavailable { .. }
                )
            })
    }
}
