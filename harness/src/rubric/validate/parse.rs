//! Parses a rubric: [`parse`], the entry point, and [`Validator`], which gathers every problem
//! while it assembles the [`Rubric`] section by section.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use toml::de::DeTable;

use crate::rubric::error::{Problem, RubricError};
use crate::rubric::model::Rubric;
use crate::rubric::wire::{BuildWire, CheckWire, ExerciseWire, LimitsWire, RatioWire};

use super::limits::CheckLimits;
use super::sections::written_id;

/// Parses and validates the rubric `text`, read from `path`.
///
/// `path` locates the exercise package (relative to the rubric's folder) and names the file in
/// error messages. Every problem is reported, not only the first.
pub fn parse(path: &Path, text: &str) -> Result<Rubric, RubricError> {
    let mut validator = Validator::default();
    let rubric = validator.rubric(path, text);
    match rubric {
        Some(rubric) if validator.problems.is_empty() => Ok(rubric),
        _ => {
            let mut problems = validator.problems;
            problems.sort_by_key(|problem| problem.span.as_ref().map_or(0, |span| span.start));
            Err(RubricError::Invalid {
                path: path.to_owned(),
                text: text.to_owned(),
                problems,
            })
        }
    }
}

/// Validates one rubric, gathering every problem found instead of stopping at the first; each
/// file of this folder adds the methods for its part of the rubric.
#[derive(Default)]
pub(super) struct Validator {
    pub(super) problems: Vec<Problem>,
}

impl Validator {
    pub(super) fn problem(&mut self, span: Option<Range<usize>>, message: impl Into<String>) {
        self.problems.push(Problem::new(span, message));
    }

    fn rubric(&mut self, path: &Path, text: &str) -> Option<Rubric> {
        let (root, syntax_errors) = DeTable::parse_recoverable(text);
        if !syntax_errors.is_empty() {
            for error in syntax_errors {
                self.problem(error.span(), error.message().trim_end().to_owned());
            }
            return None;
        }
        let sections = self.sections(root.into_inner());

        let exercise = if let Some(value) = sections.exercise {
            self.deserialize::<ExerciseWire>(value)
                .and_then(|wire| self.exercise(path, wire))
        } else {
            self.problems
                .push(Problem::new(Some(0..0), "missing `[exercise]` table").help(
                    "add `[exercise]` with `name`, `package` and `files` (see rubrics/README.md)",
                ));
            None
        };
        let build = sections
            .build
            .map_or_else(
                || Some(BuildWire::default()),
                |value| self.deserialize(value),
            )
            .map(|wire| self.build(wire));
        let limits = sections
            .limits
            .map_or_else(
                || Some(LimitsWire::default()),
                |value| self.deserialize(value),
            )
            .map(|wire| self.limits(&wire, &CheckLimits::default()));
        let env = sections.env.map_or_else(
            || Some(BTreeMap::new()),
            |value| self.deserialize::<BTreeMap<String, String>>(value),
        );
        let written_checks = sections.checks.len();
        // The ids of checks that could not be read at all: each has its problem already, and a
        // check or ratio naming one is not told that it names no check.
        let mut dropped: Vec<String> = Vec::new();
        let wires: Vec<CheckWire> = sections
            .checks
            .into_iter()
            .filter_map(|value| {
                let id = written_id(&value);
                let wire = self.deserialize(value);
                if wire.is_none() {
                    dropped.extend(id);
                }
                wire
            })
            .collect();
        let limits = limits.unwrap_or_default();
        let mut check_ids: Vec<String> =
            wires.iter().map(|wire| wire.id.get_ref().clone()).collect();
        let mut checks = self.checks(wires, written_checks, &limits, &dropped);
        check_ids.extend(dropped);
        let ratio_wires: Vec<RatioWire> = sections
            .ratios
            .into_iter()
            .filter_map(|value| self.deserialize(value))
            .collect();
        let ratios = self.ratios(ratio_wires, &check_ids, checks.as_deref_mut());
        Some(Rubric {
            path: path.to_owned(),
            exercise: exercise?,
            build: build?,
            env: env?,
            checks: checks?,
            ratios,
        })
    }
}
