//! The keys of a check that need the tracer or several runs: `census`, `expect-child`,
//! `repeat` and the keys that decide when new tasks start.

use std::collections::BTreeSet;
use toml::Spanned;

use crate::rubric::error::Problem;
use crate::rubric::model::{CensusCount, CensusRule, Expect, TaskStart};
use crate::rubric::template::Template;
use crate::rubric::wire::CheckWire;

use super::parse::Validator;

/// What a check asks of the tracer and of repeated runs.
pub(super) struct Observing {
    pub(super) census: Vec<CensusRule>,
    pub(super) expect_child: Option<Expect>,
    pub(super) repeat: u32,
    pub(super) task_start: Option<TaskStart>,
}

impl Validator {
    /// The keys that need the tracer or several runs: `census`, `expect-child`, `repeat`, and
    /// those of [`Self::task_start`].
    pub(super) fn observing(&mut self, wire: &CheckWire, vars: &BTreeSet<String>) -> Observing {
        let mut census = Vec::new();
        if let Some(wanted) = &wire.census {
            let wanted = wanted.get_ref();
            for (count, value) in [
                (CensusCount::Threads, &wanted.threads),
                (CensusCount::Processes, &wanted.processes),
                (CensusCount::Children, &wanted.children),
            ] {
                if let Some(value) = value {
                    let text = Spanned::new(value.span(), value.get_ref().to_string());
                    if let Some(expected) = self.template(&text, vars) {
                        census.push(CensusRule { count, expected });
                    }
                }
            }
            if self.flag(
                wanted.reaped.as_ref(),
                "reaped",
                "to require that every process was waited for",
            ) {
                for count in [CensusCount::Unreaped, CensusCount::OutlivedParent] {
                    census.push(CensusRule {
                        count,
                        expected: Template::literal("0"),
                    });
                }
            }
            self.census_extras(wanted, vars, &mut census);
        }
        let expect_child = wire
            .expect_child
            .as_ref()
            .map(|expect| self.expect(expect, vars));
        let repeat = match &wire.repeat {
            None => 1,
            Some(value) => match u32::try_from(*value.get_ref()) {
                Ok(runs) if (1..=1000).contains(&runs) => runs,
                _ => {
                    self.problems.push(
                        Problem::new(
                            Some(value.span()),
                            format!("`repeat = {}` is not a number of runs", value.get_ref()),
                        )
                        .help("use a whole number from 1 to 1000"),
                    );
                    1
                }
            },
        };
        let task_start = self.task_start(wire);
        Observing {
            census,
            expect_child,
            repeat,
            task_start,
        }
    }

    /// The census keys that are not counts: `stacks`, `printed-stacks`, `overlap`, `sleeps`,
    /// `closed-ends` and `ipc-removed`.
    fn census_extras(
        &mut self,
        wanted: &crate::rubric::wire::CensusWire,
        vars: &BTreeSet<String>,
        census: &mut Vec<CensusRule>,
    ) {
        if let Some(bytes) = &wanted.stacks {
            let text = Spanned::new(bytes.span(), bytes.get_ref().to_string());
            if let Some(expected) = self.template(&text, vars) {
                census.push(CensusRule {
                    count: CensusCount::Stacks,
                    expected,
                });
            }
        }
        let flags = [
            (
                CensusCount::PrintedStacks,
                &wanted.printed_stacks,
                "printed-stacks",
                "to check the stack addresses the program prints",
            ),
            (
                CensusCount::Sleeps,
                &wanted.sleeps,
                "sleeps",
                "to require that the program waits by blocking rather than spinning",
            ),
            (
                CensusCount::ClosedEnds,
                &wanted.closed_ends,
                "closed-ends",
                "to require that each child closes the pipe or socket end it does not use",
            ),
            (
                CensusCount::IpcRemoved,
                &wanted.ipc_removed,
                "ipc-removed",
                "to require that the program removes every IPC object it made",
            ),
            (
                CensusCount::Overlap,
                &wanted.overlap,
                "overlap",
                "to require that the program's threads ran at the same time",
            ),
        ];
        for (count, value, key, purpose) in flags {
            if self.flag(value.as_ref(), key, purpose) {
                census.push(CensusRule {
                    count,
                    expected: Template::literal("true"),
                });
            }
        }
    }
}
