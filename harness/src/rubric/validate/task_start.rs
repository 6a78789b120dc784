//! The keys that decide when a check's new tasks start: `perturb`, `start-together` (with
//! `separate-cores`) and `hold-until-waited`, one of them per check.

use std::time::Duration;

use crate::rubric::error::Problem;
use crate::rubric::model::TaskStart;
use crate::rubric::wire::CheckWire;
use crate::run::HoldOrder;

use super::parse::Validator;

/// Longest delay `perturb` injects when `perturb-max-delay` does not say.
const DEFAULT_PERTURB_DELAY: Duration = Duration::from_millis(20);
/// How long `start-together` waits for another new task before it starts the held ones: long
/// enough that a program creating its threads in a row creates the next within it even on a
/// loaded machine, short enough to cost little per run.
pub(super) const START_TOGETHER_QUIET: Duration = Duration::from_millis(50);

impl Validator {
    /// When the check's new tasks start: `perturb` (with `perturb-max-delay`),
    /// `start-together` (with `separate-cores`) or `hold-until-waited`, each refused when
    /// another of them is set too.
    pub(super) fn task_start(&mut self, wire: &CheckWire) -> Option<TaskStart> {
        let perturb = match (&wire.perturb, &wire.perturb_max_delay) {
            (Some(on), delay) if *on.get_ref() => {
                Some(self.duration(delay.as_ref(), DEFAULT_PERTURB_DELAY))
            }
            (_, Some(delay)) => {
                self.problems.push(
                    Problem::new(
                        Some(delay.span()),
                        "`perturb-max-delay` without `perturb = true`",
                    )
                    .help("add `perturb = true` to the check, or remove this key"),
                );
                None
            }
            _ => None,
        };
        let start_together = self.start_together(wire, perturb.is_some());
        let separate_cores = self.separate_cores(wire, start_together.is_some());
        let hold_until_waited = self.hold_until_waited(wire);
        // The three exclude each other: at most one of them is `Some`.
        perturb
            .map(TaskStart::Perturb)
            .or(start_together.map(|quiet| TaskStart::StartTogether {
                quiet,
                separate_cores,
            }))
            .or(hold_until_waited.map(TaskStart::HoldUntilWaited))
    }

    /// `hold-until-waited`: its order, alone among the keys that decide when new tasks start.
    fn hold_until_waited(&mut self, wire: &CheckWire) -> Option<HoldOrder> {
        let value = wire.hold_until_waited.as_ref()?;
        let order = match value.get_ref().as_str() {
            "newest-first" => HoldOrder::NewestFirst,
            "oldest-first" => HoldOrder::OldestFirst,
            other => {
                self.problems.push(
                    Problem::new(
                        Some(value.span()),
                        format!("`hold-until-waited = \"{other}\"` is not an order"),
                    )
                    .help("write `\"newest-first\"` or `\"oldest-first\"`: which held task runs first"),
                );
                return None;
            }
        };
        let other = [
            (
                "perturb",
                wire.perturb.as_ref().is_some_and(|on| *on.get_ref()),
            ),
            (
                "start-together",
                wire.start_together.as_ref().is_some_and(|on| *on.get_ref()),
            ),
        ]
        .into_iter()
        .find(|(_, on)| *on);
        if let Some((key, _)) = other {
            self.problems.push(
                Problem::new(
                    Some(value.span()),
                    format!("`hold-until-waited` and `{key}` both decide when new tasks start"),
                )
                .help("use one of them per check"),
            );
            return None;
        }
        Some(order)
    }

    /// `start-together`, and the `overlap` of the census that needs it.
    fn start_together(&mut self, wire: &CheckWire, perturbed: bool) -> Option<Duration> {
        let wanted = self.flag(
            wire.start_together.as_ref(),
            "start-together",
            "to start new threads together",
        );
        let start_together = match &wire.start_together {
            Some(_) if !wanted => None,
            Some(on) if perturbed => {
                self.problems.push(
                    Problem::new(
                        Some(on.span()),
                        "`start-together` and `perturb` both decide when new tasks start",
                    )
                    .help("use one of them per check"),
                );
                None
            }
            Some(_) => Some(START_TOGETHER_QUIET),
            None => None,
        };
        let overlap = wire
            .census
            .as_ref()
            .and_then(|census| census.get_ref().overlap.as_ref())
            .filter(|overlap| *overlap.get_ref());
        if let Some(overlap) = overlap
            && wire.start_together.is_none()
        {
            self.problems.push(
                Problem::new(Some(overlap.span()), "`overlap = true` needs `start-together = true`")
                    .help("without it, a correct program whose first thread ends before the next is created fails by chance: add `start-together = true` to the check"),
            );
        }
        start_together
    }

    /// `separate-cores`, which only makes sense for tasks started together.
    fn separate_cores(&mut self, wire: &CheckWire, started_together: bool) -> bool {
        let wanted = self.flag(
            wire.separate_cores.as_ref(),
            "separate-cores",
            "to start the tasks started together on CPUs of their own",
        );
        match &wire.separate_cores {
            Some(on) if wanted && !started_together => {
                self.problems.push(
                    Problem::new(
                        Some(on.span()),
                        "`separate-cores = true` needs `start-together = true`",
                    )
                    .help("it spreads the tasks that `start-together` starts at once: add `start-together = true` to the check"),
                );
                false
            }
            _ => wanted,
        }
    }
}
