//! `needs`: which checks a check needs, that a visible check needs no hidden one, and the order
//! of the checks, each after what it needs.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use crate::rubric::error::Problem;
use crate::rubric::model::{BUILD_ID, Check};
use crate::rubric::wire::CheckWire;

use super::parse::Validator;
use super::suggest::suggest;

impl Validator {
    /// The checks `wire` needs; a check that could not be read (`dropped`) is not called
    /// unknown, since its own problem says what is wrong.
    pub(super) fn needs(
        &mut self,
        wire: &CheckWire,
        known: &[&str],
        dropped: &[String],
    ) -> Vec<String> {
        let mut needs = Vec::new();
        for need in &wire.needs {
            let name = need.get_ref();
            if name == wire.id.get_ref() {
                self.problem(Some(need.span()), format!("check `{name}` needs itself"));
            } else if known.contains(&name.as_str()) || dropped.contains(name) {
                needs.push(name.clone());
            } else {
                let others: Vec<&str> = known
                    .iter()
                    .copied()
                    .filter(|id| id != wire.id.get_ref())
                    .collect();
                let problem = Problem::new(
                    Some(need.span()),
                    format!(
                        "check `{}` needs `{name}`, which is not a check of this rubric",
                        wire.id.get_ref()
                    ),
                );
                self.problems.push(suggest(problem, name, &others));
            }
        }
        if !needs.iter().any(|need| need == BUILD_ID) {
            needs.insert(0, BUILD_ID.to_owned());
        }
        needs
    }

    /// A check that students run (not `hidden`) must not need a hidden check: their
    /// `labgrade check` does not run hidden checks, so it would always be skipped there.
    pub(super) fn hidden_needs(&mut self, wires: &[CheckWire]) {
        let hidden: BTreeSet<&str> = wires
            .iter()
            .filter(|wire| {
                wire.visibility
                    .as_ref()
                    .is_some_and(|visibility| visibility.get_ref() == "hidden")
            })
            .map(|wire| wire.id.get_ref().as_str())
            .collect();
        for wire in wires {
            if wire
                .visibility
                .as_ref()
                .is_some_and(|visibility| visibility.get_ref() == "hidden")
            {
                continue;
            }
            for need in &wire.needs {
                if hidden.contains(need.get_ref().as_str()) {
                    self.problems.push(
                        Problem::new(
                            Some(need.span()),
                            format!(
                                "check `{}` needs `{}`, which is hidden: a student's self-check does not run hidden checks, so `{}` would always be skipped there",
                                wire.id.get_ref(),
                                need.get_ref(),
                                wire.id.get_ref()
                            ),
                        )
                        .help(format!(
                            "make `{}` hidden too, or `{}` visible",
                            wire.id.get_ref(),
                            need.get_ref()
                        )),
                    );
                }
            }
        }
    }

    /// Orders checks so that each comes after what it needs, keeping the written order otherwise;
    /// a cycle is a problem.
    pub(super) fn order(
        &mut self,
        checks: Vec<Check>,
        spans: &BTreeMap<String, Range<usize>>,
    ) -> Option<Vec<Check>> {
        let mut remaining = checks;
        let mut done: BTreeSet<String> = BTreeSet::from([BUILD_ID.to_owned()]);
        let mut ordered = Vec::with_capacity(remaining.len());
        while !remaining.is_empty() {
            let ready = remaining
                .iter()
                .position(|check| check.needs.iter().all(|need| done.contains(need)));
            let Some(index) = ready else {
                for check in remaining.iter().filter(|check| in_cycle(check, &remaining)) {
                    self.problems.push(
                        Problem::new(
                            spans.get(&check.id).cloned(),
                            format!("check `{}` is part of a cycle of `needs`", check.id),
                        )
                        .help("a check cannot need, directly or not, a check that needs it"),
                    );
                }
                return None;
            };
            let check = remaining.remove(index);
            done.insert(check.id.clone());
            ordered.push(check);
        }
        Some(ordered)
    }
}

/// Whether `check` needs itself through other checks of `remaining`.
fn in_cycle(check: &Check, remaining: &[Check]) -> bool {
    let mut seen = BTreeSet::new();
    let mut pending: Vec<&str> = check.needs.iter().map(String::as_str).collect();
    while let Some(id) = pending.pop() {
        if id == check.id {
            return true;
        }
        if seen.insert(id)
            && let Some(needed) = remaining.iter().find(|other| other.id == id)
        {
            pending.extend(needed.needs.iter().map(String::as_str));
        }
    }
    false
}
