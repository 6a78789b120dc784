//! `compare`: a captured value or the numbers of a stream, and the oracle, value or signal it
//! must equal.

use std::collections::BTreeSet;

use toml::Spanned;

use crate::rubric::error::Problem;
use crate::rubric::model::{Compare, Expected, Oracle, Source, Stream};
use crate::rubric::wire::CompareWire;

use super::parse::Validator;
use super::suggest::suggest;

impl Validator {
    pub(super) fn compare(
        &mut self,
        wire: &Spanned<CompareWire>,
        captures: &BTreeSet<&str>,
        vars: &BTreeSet<String>,
    ) -> Option<Compare> {
        let compare = wire.get_ref();
        let source = match (&compare.capture, &compare.numbers) {
            (Some(capture), None) => {
                let name = capture.get_ref();
                if !captures.contains(name.as_str()) {
                    let problem = Problem::new(
                        Some(capture.span()),
                        format!("capture `{name}` is not a named group of any regex of this check"),
                    )
                    .help("name a group in a `stdout` or `stderr` regex, such as `(?<sum>\\d+)`");
                    let names: Vec<&str> = captures.iter().copied().collect();
                    self.problems.push(suggest(problem, name, &names));
                }
                Some(Source::Capture(name.clone()))
            }
            (None, Some(stream)) => match stream.get_ref().as_str() {
                "stdout" => Some(Source::Numbers(Stream::Stdout)),
                "stderr" => Some(Source::Numbers(Stream::Stderr)),
                other => {
                    self.problems.push(
                        Problem::new(Some(stream.span()), format!("unknown stream `{other}`"))
                            .help("use `stdout` or `stderr`"),
                    );
                    None
                }
            },
            _ => {
                self.problems.push(
                    Problem::new(
                        Some(wire.span()),
                        "a comparison needs exactly one of `capture` and `numbers`",
                    )
                    .help("for example `{ capture = \"sum\", oracle = \"array-sum\" }`"),
                );
                None
            }
        };
        let expected = match (&compare.oracle, &compare.equals, &compare.signal) {
            (Some(oracle), None, None) => {
                let found = Oracle::ALL
                    .iter()
                    .find(|(name, _)| name == oracle.get_ref());
                if let Some((name, oracle)) = found {
                    if oracle.gives_sequences() {
                        self.problems.push(
                            Problem::new(compare.oracle.as_ref().map(Spanned::span), format!("oracle `{name}` gives sequences of lines, not a value to compare"))
                                .help(format!("use it in a matcher: `stdout = [{{ sequences = \"{name}\" }}]`")),
                        );
                        return None;
                    }
                    Some(Expected::Oracle(*oracle))
                } else {
                    let names: Vec<&str> = Oracle::ALL
                        .iter()
                        .filter(|(_, oracle)| !oracle.gives_sequences())
                        .map(|(name, _)| *name)
                        .collect();
                    let problem = Problem::new(
                        Some(oracle.span()),
                        format!("unknown oracle `{}`", oracle.get_ref()),
                    )
                    .help(format!("oracles: {}", names.join(", ")));
                    self.problems
                        .push(suggest(problem, oracle.get_ref(), &names));
                    None
                }
            }
            (None, Some(equals), None) => {
                let text = Spanned::new(equals.span(), equals.get_ref().to_string());
                self.template(&text, vars).map(Expected::Value)
            }
            (None, None, Some(signal)) => self.template(signal, vars).map(Expected::Signal),
            _ => {
                self.problems.push(
                    Problem::new(
                        Some(wire.span()),
                        "a comparison needs exactly one of `oracle`, `equals` and `signal`",
                    )
                    .help("for example `{ capture = \"sum\", oracle = \"array-sum\" }`"),
                );
                None
            }
        };
        Some(Compare {
            source: source?,
            expected: expected?,
        })
    }
}
