//! `expect` and `expect-child`: how a process must end.

use std::collections::BTreeSet;

use nix::sys::signal::Signal;
use toml::Spanned;

use crate::rubric::error::Problem;
use crate::rubric::model::Expect;
use crate::rubric::wire::{ExpectWire, ScalarWire};

use super::parse::Validator;

impl Validator {
    pub(super) fn expect(&mut self, wire: &Spanned<ExpectWire>, vars: &BTreeSet<String>) -> Expect {
        match (&wire.get_ref().exit, &wire.get_ref().signal) {
            (Some(exit), None) => match exit.get_ref() {
                ScalarWire::Integer(code) if (0..=255).contains(code) => Expect::Exit(*code as i32),
                ScalarWire::Text(text) if text.contains('{') => self
                    .template(&Spanned::new(exit.span(), text.clone()), vars)
                    .map_or(Expect::Exit(0), Expect::ExitOf),
                ScalarWire::Text(text) if text == "nonzero" => Expect::NonZeroExit,
                ScalarWire::Text(text) if text == "any" => Expect::AnyExit,
                other => {
                    self.problems.push(
                        Problem::new(Some(exit.span()), format!("`{other}` is not an exit code"))
                            .help("use a code from 0 to 255, `\"nonzero\"` or `\"any\"`"),
                    );
                    Expect::Exit(0)
                }
            },
            (None, Some(signal)) if signal.get_ref() == "any" => Expect::AnySignal,
            (None, Some(signal)) if signal.get_ref().contains('{') => self
                .template(signal, vars)
                .map_or(Expect::Exit(0), Expect::SignalOf),
            (None, Some(signal)) => {
                let parsed = labgrade_support::signal_number(signal.get_ref())
                    .and_then(|number| Signal::try_from(number).ok());
                if let Some(parsed) = parsed {
                    Expect::Signal(parsed as i32, parsed.as_str().to_owned())
                } else {
                    self.problems.push(
                        Problem::new(
                            Some(signal.span()),
                            format!("`{}` is not a signal name", signal.get_ref()),
                        )
                        .help("use a name from `kill -l`, such as `SIGSEGV`, or `\"any\"`"),
                    );
                    Expect::Exit(0)
                }
            }
            _ => {
                self.problems.push(
                    Problem::new(Some(wire.span()), "`expect` needs exactly one of `exit` and `signal`")
                        .help("for example `expect = { exit = 0 }` or `expect = { signal = \"SIGSEGV\" }`"),
                );
                Expect::Exit(0)
            }
        }
    }
}
