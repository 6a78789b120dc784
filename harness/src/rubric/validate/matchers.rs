//! The `stdout` and `stderr` matchers, their regexes and the captures they define.

use std::collections::BTreeSet;

use regex::{Regex, RegexBuilder};
use toml::Spanned;

use crate::rubric::error::Problem;
use crate::rubric::model::{Matcher, Oracle, Sequences};
use crate::rubric::template::Template;
use crate::rubric::wire::{MatcherWire, SequencesWire};

use super::parse::Validator;

/// What every matcher needs, in the words of its problems.
pub(super) const MATCHER_KINDS: &str = "a matcher needs exactly one of `regex`, `contains`, `line`, `line-with`, `only-lines`, `sequences` and `byte-count` (with `counted-lines`)";

impl Validator {
    pub(super) fn matcher(
        &mut self,
        wire: &Spanned<MatcherWire>,
        vars: &BTreeSet<String>,
    ) -> Option<Matcher> {
        let matcher = self.present_matcher(wire, vars)?;
        if !wire.get_ref().absent {
            return Some(matcher);
        }
        if matches!(
            matcher,
            Matcher::Sequences(_) | Matcher::ByteCount { .. } | Matcher::OnlyLines(_)
        ) {
            self.problems.push(
                Problem::new(Some(wire.span()), "`absent = true` cannot negate `sequences`, `byte-count` or `only-lines`")
                    .help("these matchers check the order or the sizes of many lines; write the lines that must not appear as `line` or `regex` matchers"),
            );
            return None;
        }
        Some(Matcher::Absent(Box::new(matcher)))
    }

    /// `sequences` and `byte-count` (with `counted-lines`): the matchers of interleaved output.
    fn order_matcher(
        &mut self,
        wire: &Spanned<MatcherWire>,
        vars: &BTreeSet<String>,
    ) -> Option<Matcher> {
        let matcher = wire.get_ref();
        if let Some(sequences) = &matcher.sequences {
            return match sequences.get_ref() {
                SequencesWire::Oracle(name) => {
                    let found = Oracle::ALL
                        .iter()
                        .find(|(known, oracle)| known == name && oracle.gives_sequences());
                    if let Some((_, oracle)) = found {
                        Some(Matcher::Sequences(Sequences::Oracle(*oracle)))
                    } else {
                        let names: Vec<&str> = Oracle::ALL
                            .iter()
                            .filter(|(_, oracle)| oracle.gives_sequences())
                            .map(|(known, _)| *known)
                            .collect();
                        let problem = Problem::new(
                            Some(sequences.span()),
                            format!("`{name}` is not an oracle of sequences of lines"),
                        )
                        .help(format!("oracles of sequences: {}; or write the lines, `sequences = [[\"start 0\", \"end 0\"], [\"start 1\", \"end 1\"]]`", names.join(", ")));
                        self.problems.push(problem);
                        None
                    }
                }
                SequencesWire::Written(written) => {
                    let mut seen = BTreeSet::new();
                    let mut parsed = Vec::with_capacity(written.len());
                    for sequence in written {
                        let mut lines = Vec::with_capacity(sequence.len());
                        for line in sequence {
                            if !seen.insert(line.trim_end().to_owned()) {
                                self.problems.push(
                                    Problem::new(Some(sequences.span()), format!("the line `{line}` is in the sequences twice"))
                                        .help("every line belongs to one place of one sequence: make the lines distinct"),
                                );
                            }
                            lines.push(
                                self.template(&Spanned::new(sequences.span(), line.clone()), vars)?,
                            );
                        }
                        parsed.push(lines);
                    }
                    if seen.is_empty() {
                        self.problem(Some(sequences.span()), "`sequences` holds no line");
                        return None;
                    }
                    Some(Matcher::Sequences(Sequences::Written(parsed)))
                }
            };
        }
        let (count, counted) = match (&matcher.byte_count, &matcher.counted_lines) {
            (Some(count), Some(counted)) => (count, counted),
            (Some(only), None) | (None, Some(only)) => {
                self.problems.push(
                    Problem::new(Some(only.span()), "`byte-count` and `counted-lines` go together")
                        .help("write both: `{ byte-count = '^(?<source>\\d+): (?<bytes>\\d+) bytes$', counted-lines = '^(?<source>\\d+) says ' }`"),
                );
                return None;
            }
            (None, None) => return None,
        };
        let count = self.regex_with_groups(count, &["source", "bytes"]);
        let counted = self.regex_with_groups(counted, &["source"]);
        Some(Matcher::ByteCount {
            count: count?,
            counted: counted?,
        })
    }

    /// A regex of a matcher that must define the named `groups`.
    fn regex_with_groups(&mut self, text: &Spanned<String>, groups: &[&str]) -> Option<Regex> {
        let compiled = self.regex(text)?;
        let names: BTreeSet<&str> = compiled.capture_names().flatten().collect();
        let missing: Vec<String> = groups
            .iter()
            .filter(|group| !names.contains(**group))
            .map(|group| format!("`(?<{group}>…)`"))
            .collect();
        if missing.is_empty() {
            Some(compiled)
        } else {
            self.problems.push(
                Problem::new(Some(text.span()), format!("this regex needs the named group(s) {}", missing.join(" and ")))
                    .help("`source` tells whose lines they are (a producer's number), `bytes` the size announced"),
            );
            None
        }
    }

    /// Compiles a matcher's regex, `^` and `$` matching at line ends.
    fn regex(&mut self, text: &Spanned<String>) -> Option<Regex> {
        match RegexBuilder::new(text.get_ref()).multi_line(true).build() {
            Ok(compiled) => Some(compiled),
            Err(error) => {
                let detail = error.to_string();
                let last = detail.lines().last().unwrap_or("").trim();
                let last = last.strip_prefix("error: ").unwrap_or(last).to_owned();
                self.problems.push(
                    Problem::new(Some(text.span()), format!("invalid regex: {last}"))
                        .help("the syntax is that of the `regex` crate; escape literal characters with `\\`"),
                );
                None
            }
        }
    }

    fn present_matcher(
        &mut self,
        wire: &Spanned<MatcherWire>,
        vars: &BTreeSet<String>,
    ) -> Option<Matcher> {
        let matcher = wire.get_ref();
        let kinds = [
            matcher.regex.is_some(),
            matcher.contains.is_some(),
            matcher.line.is_some(),
            matcher.line_with.is_some(),
            matcher.sequences.is_some(),
            matcher.byte_count.is_some() || matcher.counted_lines.is_some(),
            matcher.only_lines.is_some(),
        ];
        if kinds.iter().filter(|set| **set).count() > 1 {
            self.problems.push(
                Problem::new(Some(wire.span()), MATCHER_KINDS)
                    .help("split it into one matcher per key"),
            );
            return None;
        }
        // `sequences`, or `byte-count` with `counted-lines`.
        if kinds[4] || kinds[5] {
            return self.order_matcher(wire, vars);
        }
        if let Some(terms) = &matcher.line_with {
            if terms.get_ref().is_empty() {
                self.problem(Some(terms.span()), "`line-with` needs at least one word");
                return None;
            }
            let mut parsed = Vec::new();
            for term in terms.get_ref() {
                let alternatives: Option<Vec<Template>> = term
                    .get_ref()
                    .split('|')
                    .map(|word| {
                        self.template(&Spanned::new(term.span(), word.trim().to_owned()), vars)
                    })
                    .collect();
                parsed.push(alternatives?);
            }
            return Some(Matcher::LineWith(parsed));
        }
        if let Some(lines) = &matcher.only_lines {
            if lines.get_ref().is_empty() {
                self.problem(Some(lines.span()), "`only-lines` needs at least one regex");
                return None;
            }
            let regexes: Vec<Option<Regex>> = lines
                .get_ref()
                .iter()
                .map(|line| self.regex(line))
                .collect();
            return regexes
                .into_iter()
                .collect::<Option<_>>()
                .map(Matcher::OnlyLines);
        }
        match (&matcher.regex, &matcher.contains, &matcher.line) {
            (Some(regex), None, None) => self.regex(regex).map(Matcher::Regex),
            (None, Some(text), None) => self.template(text, vars).map(Matcher::Contains),
            (None, None, Some(text)) => self.template(text, vars).map(Matcher::Line),
            _ => {
                self.problems.push(
                    Problem::new(Some(wire.span()), MATCHER_KINDS)
                        .help("for example `{ regex = '^Array sum is: (?<sum>\\d+)$' }`"),
                );
                None
            }
        }
    }
}

/// The named groups of a check's regexes, on stdout and stderr: its captures.
pub(super) fn regex_captures<'a>(
    stdout: &'a [Matcher],
    stderr: &'a [Matcher],
) -> BTreeSet<&'a str> {
    stdout
        .iter()
        .chain(stderr)
        .flat_map(|matcher| match matcher {
            Matcher::Regex(regex) => vec![regex],
            Matcher::OnlyLines(regexes) => regexes.iter().collect(),
            _ => Vec::new(),
        })
        .flat_map(|regex| regex.capture_names().flatten())
        .collect()
}
