//! The matchers of a check's stdout and stderr.

use std::collections::BTreeMap;

use regex::Regex;

use super::oracle::Oracle;
use crate::rubric::template::Template;

/// What a matcher looks for.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// A regex found anywhere, `^` and `$` matching at line ends; named groups become captures.
    Regex(Regex),
    /// A substring.
    Contains(Template),
    /// A whole line, ignoring trailing whitespace.
    Line(Template),
    /// One line holding every term as a whole word, ignoring case; a term lists alternatives.
    LineWith(Vec<Vec<Template>>),
    /// The inner matcher must not hold (`absent = true`).
    Absent(Box<Matcher>),
    /// Lines in sequences (`sequences`): every line of every sequence appears exactly once, each
    /// sequence's lines in its order, the sequences interleaved in any way and other lines
    /// ignored. One sequence is a total order, sequences of one line a multiset, sequences of
    /// two lines a partial order ("start of i before end of i").
    Sequences(Sequences),
    /// Announced sizes (`byte-count` and `counted-lines`): a line matching `count` announces,
    /// for its `source`, a number of `bytes`; the lines matching `counted` of the same `source`
    /// after it, up to its next announcement, must total exactly that many bytes, a newline
    /// counted for each; and no counted line may come before its source's first announcement.
    ByteCount {
        /// Has the named groups `source` and `bytes`.
        count: Regex,
        /// Has the named group `source`.
        counted: Regex,
    },
    /// Exactly these lines and nothing else (`only-lines`): every line matches one of the
    /// regexes, each regex matches exactly one line, in any order; named groups become
    /// captures.
    OnlyLines(Vec<Regex>),
}

/// Where the lines of a [`Matcher::Sequences`] come from.
#[derive(Debug, Clone)]
pub enum Sequences {
    /// Written in the rubric, with placeholders.
    Written(Vec<Vec<Template>>),
    /// Computed from the run's input by an oracle that gives sequences of lines.
    Oracle(Oracle),
}

impl Matcher {
    /// The matcher as written in the rubric, for reports.
    #[must_use]
    pub fn describe(&self, vars: &BTreeMap<String, String>) -> String {
        match self {
            Self::Regex(regex) => format!("a match of regex `{}`", regex.as_str()),
            Self::Contains(text) => format!("the text `{}`", text.render(vars)),
            Self::Line(text) => format!("the line `{}`", text.render(vars)),
            Self::LineWith(terms) => {
                let terms: Vec<String> = terms
                    .iter()
                    .map(|alternatives| {
                        let words: Vec<String> = alternatives
                            .iter()
                            .map(|word| word.render(vars))
                            .filter(|word| !word.is_empty())
                            .map(|word| format!("`{word}`"))
                            .collect();
                        words.join(" or ")
                    })
                    .filter(|term| !term.is_empty())
                    .collect();
                format!("a line with the words {}", terms.join(", "))
            }
            Self::Absent(inner) => format!("not {}", inner.describe(vars)),
            Self::Sequences(Sequences::Written(sequences)) => {
                let lines: usize = sequences.iter().map(Vec::len).sum();
                format!(
                    "the {lines} lines of the rubric's {} sequence(s), each line once and each sequence in order",
                    sequences.len()
                )
            }
            Self::Sequences(Sequences::Oracle(oracle)) => format!(
                "the lines of `{}`, each line once and each sequence in order",
                oracle.name()
            ),
            Self::ByteCount { count, counted } => format!(
                "for each line matching `{}`, the lines matching `{}` of the same source after it totalling that many bytes",
                count.as_str(),
                counted.as_str()
            ),
            Self::OnlyLines(regexes) => {
                let regexes: Vec<String> = regexes
                    .iter()
                    .map(|regex| format!("`{}`", regex.as_str()))
                    .collect();
                format!(
                    "only lines matching {}, each exactly once",
                    regexes.join(", ")
                )
            }
        }
    }
}
