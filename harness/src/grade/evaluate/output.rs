//! The rules on what the program wrote (`stdout`, `stderr`): matchers, the captures of their
//! regexes, and how failures quote the output.

use std::collections::{BTreeMap, BTreeSet};

use super::super::model::{Failure, FailureKind, ReplayRecipe};
use super::super::{interleaved, only_lines, oracle};
use crate::rubric::{Matcher, Rules, Sequences};
use crate::run::Observation;

/// How many characters of output a failure message quotes.
const EXCERPT_CHARS: usize = 400;

/// Applies the check's matchers; returns the captures and the named groups of regexes that
/// did not match (whose failure is already listed).
pub(super) fn match_output(
    rules: &Rules,
    replay: &ReplayRecipe,
    observation: &Observation,
    failures: &mut Vec<Failure>,
) -> (BTreeMap<String, String>, BTreeSet<String>) {
    let vars = &replay.vars;
    let mut captures = BTreeMap::new();
    let mut unmatched_groups = BTreeSet::new();
    for (what, matchers, output) in [
        (FailureKind::Stdout, &rules.stdout, &observation.stdout),
        (FailureKind::Stderr, &rules.stderr, &observation.stderr),
    ] {
        let stream = what.as_str();
        for matcher in matchers {
            if let Matcher::OnlyLines(regexes) = matcher {
                match only_lines::only_lines(regexes, &output.text) {
                    Ok(found) => {
                        for (name, value) in found {
                            captures.entry(name).or_insert(value);
                        }
                    }
                    Err(actual) => {
                        unmatched_groups.extend(
                            regexes
                                .iter()
                                .flat_map(|regex| regex.capture_names().flatten())
                                .map(str::to_owned),
                        );
                        failures.push(Failure {
                            what,
                            expected: format!("{stream} to hold {}", matcher.describe(vars)),
                            actual: format!("{actual}{}", truncation(output)),
                        });
                    }
                }
                continue;
            }
            if let Some(outcome) = order_failure(matcher, &output.text, replay) {
                if let Err(actual) = outcome {
                    failures.push(Failure {
                        what,
                        expected: format!("{stream} to hold {}", matcher.describe(vars)),
                        actual: format!("{actual}{}", truncation(output)),
                    });
                }
                continue;
            }
            if apply_matcher(matcher, &output.text, vars, &mut captures) {
                continue;
            }
            if let Matcher::Regex(regex) = matcher {
                unmatched_groups.extend(regex.capture_names().flatten().map(str::to_owned));
            }
            let truncated = truncation(output);
            failures.push(Failure {
                what,
                expected: match matcher {
                    Matcher::Absent(inner) => {
                        format!("{stream} not to contain {}", inner.describe(vars))
                    }
                    _ => format!("{stream} to contain {}", matcher.describe(vars)),
                },
                actual: format!("{stream} was {}{truncated}", excerpt(&output.text)),
            });
        }
    }
    (captures, unmatched_groups)
}

/// How much of a stream was kept, when it was cut: the total tells a flood (gigabytes) from a
/// slightly long answer.
fn truncation(output: &crate::run::CapturedOutput) -> String {
    if output.truncated {
        format!(
            " (it wrote {} bytes; only the first {} were kept)",
            output.total_bytes,
            output.text.len()
        )
    } else {
        String::new()
    }
}

/// For the matchers of interleaved output (`sequences`, `byte-count`): whether `text` holds,
/// or why not; `None` for every other matcher.
fn order_failure(
    matcher: &Matcher,
    text: &str,
    replay: &ReplayRecipe,
) -> Option<Result<(), String>> {
    let outcome = match matcher {
        Matcher::Sequences(Sequences::Written(sequences)) => {
            let rendered: Vec<Vec<String>> = sequences
                .iter()
                .map(|lines| lines.iter().map(|line| line.render(&replay.vars)).collect())
                .collect();
            interleaved::sequences_failure(&rendered, text)
        }
        Matcher::Sequences(Sequences::Oracle(oracle)) => {
            match oracle::sequences(*oracle, &replay.env) {
                Ok(sequences) => interleaved::sequences_failure(&sequences, text),
                Err(reason) => Some(format!("labgrade could not compute the lines: {reason}")),
            }
        }
        Matcher::ByteCount { count, counted } => {
            interleaved::byte_count_failure(count, counted, text)
        }
        _ => return None,
    };
    Some(outcome.map_or(Ok(()), Err))
}

/// `text` cut after `limit` characters, with `…` when it was longer.
pub(in crate::grade) fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        text.to_owned()
    } else {
        let head: String = text.chars().take(limit).collect();
        format!("{head}…")
    }
}

/// Applies `matcher` to `text`; a regex's named groups are added to `captures`.
fn apply_matcher(
    matcher: &Matcher,
    text: &str,
    vars: &BTreeMap<String, String>,
    captures: &mut BTreeMap<String, String>,
) -> bool {
    match matcher {
        Matcher::Regex(regex) => {
            let Some(found) = regex.captures(text) else {
                return false;
            };
            for name in regex.capture_names().flatten() {
                if let Some(value) = found.name(name) {
                    captures
                        .entry(name.to_owned())
                        .or_insert_with(|| value.as_str().to_owned());
                }
            }
            true
        }
        Matcher::Contains(template) => text.contains(&template.render(vars)),
        Matcher::Absent(inner) => !apply_matcher(inner, text, vars, &mut BTreeMap::new()),
        Matcher::LineWith(terms) => text.lines().any(|line| {
            terms.iter().all(|alternatives| {
                let words: Vec<String> = alternatives
                    .iter()
                    .map(|word| word.render(vars))
                    .filter(|word| !word.is_empty())
                    .collect();
                words.is_empty() || words.iter().any(|word| has_word(line, word))
            })
        }),
        Matcher::Line(template) => {
            let wanted = template.render(vars);
            text.lines()
                .any(|line| line.trim_end() == wanted.trim_end())
        }
        // Judged by `order_failure` and `only_lines`, and never negated (the rubric forbids it).
        Matcher::Sequences(_) | Matcher::ByteCount { .. } | Matcher::OnlyLines(_) => false,
    }
}

/// Whether `word` appears in `line` as a whole word, ignoring case.
fn has_word(line: &str, word: &str) -> bool {
    regex::RegexBuilder::new(&format!(r"(^|\W){}($|\W)", regex::escape(word)))
        .case_insensitive(true)
        .build()
        .is_ok_and(|pattern| pattern.is_match(line))
}

fn excerpt(text: &str) -> String {
    if text.is_empty() {
        return "empty".to_owned();
    }
    let mut shown: String = text.chars().take(EXCERPT_CHARS).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

#[cfg(test)]
mod tests {
    use labgrade_support::{LEN_VAR, SEED_VAR};

    use crate::grade::evaluate::case::evaluate_case;
    use crate::grade::evaluate::fixtures::*;
    use crate::run::Termination;

    #[test]
    fn contains_finds_rendered_text_anywhere() {
        let check = parse_check(
            r#"args = ["{workers}"]
cases = { workers = [4] }
stdout = [{ contains = "{workers} workers" }]
"#,
        );
        let vars = [("workers", "4")];
        let run = |stdout: &str| {
            evaluate_case(
                &check,
                "workers=4",
                replay_recipe(&vars, &[]),
                exited(0, stdout),
            )
        };
        assert!(run("started 4 workers, done\n").passed);
        let case = run("started 3 workers\n");
        assert_eq!(
            failures(&case),
            [(
                "stdout",
                "stdout to contain the text `4 workers`",
                "stdout was \"started 3 workers\\n\""
            )]
        );
    }

    #[test]
    fn line_must_be_a_whole_line_up_to_trailing_whitespace() {
        let check = parse_check("stdout = [{ line = \"done\" }]\n");
        assert!(grade(&check, exited(0, "done")).passed);
        assert!(grade(&check, exited(0, "start\ndone\nend\n")).passed);
        assert!(grade(&check, exited(0, "done   \t\n")).passed);
        assert!(grade(&check, exited(0, "start\r\ndone\r\n")).passed);
        // Not a substring of a longer line, and leading whitespace counts.
        for stdout in [
            "all done\n",
            "done!\n",
            "undone\n",
            "  done\n",
            "do\nne\n",
            "",
        ] {
            let case = grade(&check, exited(0, stdout));
            assert!(!case.passed, "{stdout:?} has no line `done`");
            assert_eq!(case.failures.len(), 1);
            assert_eq!(
                case.failures[0].expected,
                "stdout to contain the line `done`"
            );
        }
    }

    #[test]
    fn stderr_matchers_look_at_stderr_only() {
        let check =
            parse_check("expect = { exit = \"nonzero\" }\nstderr = [{ contains = \"usage\" }]\n");
        let case = grade(
            &check,
            observation(Termination::Exited { code: 2 }, "", "usage: prog <n>\n"),
        );
        assert!(case.passed, "{:?}", case.failures);

        let case = grade(
            &check,
            observation(Termination::Exited { code: 2 }, "usage: prog <n>\n", ""),
        );
        assert_eq!(
            failures(&case),
            [(
                "stderr",
                "stderr to contain the text `usage`",
                "stderr was empty"
            )]
        );
    }

    #[test]
    fn regex_that_does_not_match_is_reported_once() {
        let check = parse_check(SUM_CHECK);
        let env = [(SEED_VAR, "42"), (LEN_VAR, "1000")];
        let case = evaluate_case(
            &check,
            "workers=1",
            replay_recipe(&[("workers", "1")], &env),
            exited(0, "Sum of the array: 5\n"),
        );
        assert!(!case.passed);
        // The compare of `sum` is not reported on top of the regex.
        assert_eq!(
            failures(&case),
            [(
                "stdout",
                r"stdout to contain a match of regex `^Array sum is: (?<sum>-?\d+)\s*$`",
                r#"stdout was "Sum of the array: 5\n""#
            )]
        );
        assert!(case.observed.captures.is_empty());
    }

    #[test]
    fn truncated_output_and_long_output_are_said_so() {
        let check = parse_check("stdout = [{ line = \"done\" }]\n");
        let mut run = exited(0, &"x".repeat(1000));
        run.stdout.truncated = true;
        run.stdout.total_bytes = 5000;
        let case = grade(&check, run);
        let expected = format!(
            "stdout was \"{}…\" (it wrote 5000 bytes; only the first 1000 were kept)",
            "x".repeat(400)
        );
        assert_eq!(case.failures[0].actual, expected);
    }
}
