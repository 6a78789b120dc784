//! A check's `fault`: the worker count and the signals or exit codes to draw from.

use std::collections::BTreeSet;

use labgrade_support::FaultAction;
use toml::Spanned;

use crate::rubric::error::Problem;
use crate::rubric::model::FaultPlan;
use crate::rubric::wire::FaultWire;

use super::parse::Validator;

impl Validator {
    pub(super) fn fault(
        &mut self,
        wire: &Spanned<FaultWire>,
        vars: &BTreeSet<String>,
    ) -> Option<FaultPlan> {
        let fault = wire.get_ref();
        let count = Spanned::new(
            fault.worker_count.span(),
            fault.worker_count.get_ref().to_string(),
        );
        let worker_count = self.template(&count, vars);
        let mut actions = Vec::new();
        for signal in &fault.signals {
            match labgrade_support::signal_number(signal.get_ref()) {
                Some(number) => actions.push(FaultAction::Signal(number)),
                None => self.problems.push(
                    Problem::new(
                        Some(signal.span()),
                        format!("`{}` is not a signal name", signal.get_ref()),
                    )
                    .help("use a name from `kill -l`, such as `SIGSEGV`"),
                ),
            }
        }
        for code in &fault.exit_codes {
            match i32::try_from(*code.get_ref()) {
                Ok(code) if (1..=255).contains(&code) => actions.push(FaultAction::Exit(code)),
                _ => self.problems.push(
                    Problem::new(
                        Some(code.span()),
                        format!("{} is not an exit code a fault can use", code.get_ref()),
                    )
                    .help("use a code from 1 to 255"),
                ),
            }
        }
        if fault.signals.is_empty() && fault.exit_codes.is_empty() {
            self.problems.push(
                Problem::new(Some(wire.span()), "a fault needs `signals` or `exit-codes` to draw from")
                    .help("for example `fault = { worker-count = \"{workers}\", signals = [\"SIGSEGV\", \"SIGABRT\"] }`"),
            );
        }
        Some(FaultPlan {
            worker_count: worker_count?,
            actions,
        })
    }
}
