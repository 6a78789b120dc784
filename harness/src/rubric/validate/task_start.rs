//! The keys that decide when a check's new tasks start: `perturb`, `start-together` (with
//! `separate-cores`) and `hold-until-waited`, one of them per check.

use std::time::Duration;

use crate::rubric::error::Problem;
use crate::rubric::wire::CheckWire;
use crate::run::HoldOrder;

use super::parse::Validator;

pub(super) const DEFAULT_PERTURB_DELAY: Duration = Duration::from_millis(20);
/// How long `start-together` waits for another new task before it starts the held ones: long
/// enough that a program creating its threads in a row creates the next within it even on a
/// loaded machine, short enough to cost little per run.
pub(super) const START_TOGETHER_QUIET: Duration = Duration::from_millis(50);

impl Validator {
    /// `hold-until-waited`: its order, alone among the keys that decide when new tasks start.
    pub(super) fn hold_until_waited(&mut self, wire: &CheckWire) -> Option<HoldOrder> {
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
    pub(super) fn start_together(&mut self, wire: &CheckWire, perturbed: bool) -> Option<Duration> {
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
    pub(super) fn separate_cores(&mut self, wire: &CheckWire, started_together: bool) -> bool {
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
