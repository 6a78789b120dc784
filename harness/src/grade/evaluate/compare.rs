//! The rule on values (`compare`): a capture or the numbers of a stream against a literal, a
//! signal or an oracle.

use std::collections::{BTreeMap, BTreeSet};

use super::super::model::{Failure, FailureKind, ReplayRecipe};
use super::super::oracle;
use super::output::shorten;
use crate::rubric::{Compare, Expected, Source, Stream};
use crate::run::Observation;

pub(super) fn compare_failure(
    compare: &Compare,
    captures: &BTreeMap<String, String>,
    unmatched_groups: &BTreeSet<String>,
    replay: &ReplayRecipe,
    observation: &Observation,
) -> Option<Failure> {
    let what = compare.source.describe();
    let actual = match &compare.source {
        Source::Capture(name) => match captures.get(name) {
            Some(value) => value.clone(),
            // A regex that defines the capture did not match: that failure is already listed.
            None if unmatched_groups.contains(name) => return None,
            None => {
                return Some(Failure {
                    what: FailureKind::Compare,
                    expected: format!("{what} to be captured"),
                    actual: format!("the output matched without a value for {what}"),
                });
            }
        },
        Source::Numbers(stream) => {
            let text = match stream {
                Stream::Stdout => &observation.stdout.text,
                Stream::Stderr => &observation.stderr.text,
            };
            numbers(text).join(" ")
        }
    };
    let expected = match &compare.expected {
        Expected::Oracle(oracle) => oracle::value(*oracle, &replay.env, &replay.vars),
        Expected::Value(template) | Expected::Signal(template) => Ok(template.render(&replay.vars)),
    };
    let expected = match expected {
        Ok(expected) => expected,
        Err(reason) => {
            return Some(Failure {
                what: FailureKind::Compare,
                expected: format!("{what} to be checked"),
                actual: format!("the right value could not be computed: {reason}"),
            });
        }
    };
    let holds = match (&compare.source, &compare.expected) {
        (_, Expected::Signal(_)) => same_signal(&actual, &expected),
        (Source::Numbers(_), _) => numbers(&actual) == numbers(&expected),
        (Source::Capture(_), _) => same_value(&actual, &expected),
    };
    (!holds).then(|| Failure {
        what: FailureKind::Compare,
        expected: format!("{what} to be {}", shorten(&expected, 120)),
        actual: format!(
            "{what} was {}",
            if actual.is_empty() {
                "empty".to_owned()
            } else {
                shorten(&actual, 120)
            }
        ),
    })
}

/// Every integer in `text`, in order, as written (`-3`, `42`).
fn numbers(text: &str) -> Vec<String> {
    static NUMBER: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"-?\d+").expect("the pattern is valid"));
    NUMBER
        .find_iter(text)
        .map(|found| {
            let number = found.as_str();
            // Normalized (`-0` and `007` read as `0` and `7`) when it fits an i128.
            number
                .parse::<i128>()
                .map_or_else(|_| number.to_owned(), |value| value.to_string())
        })
        .collect()
}

/// Whether two signals given by name or number are the same signal.
fn same_signal(actual: &str, expected: &str) -> bool {
    match (
        labgrade_support::signal_number(actual.trim()),
        labgrade_support::signal_number(expected.trim()),
    ) {
        (Some(actual), Some(expected)) => actual == expected,
        _ => false,
    }
}

/// Values compare as integers when both are integers (`007` equals `7`), else as trimmed text.
pub(super) fn same_value(actual: &str, expected: &str) -> bool {
    match (
        actual.trim().parse::<i128>(),
        expected.trim().parse::<i128>(),
    ) {
        (Ok(actual), Ok(expected)) => actual == expected,
        _ => actual.trim() == expected.trim(),
    }
}

#[cfg(test)]
mod tests {
    use labgrade_support::{LEN_VAR, SEED_VAR};

    use crate::grade::evaluate::case::evaluate_case;
    use crate::grade::evaluate::fixtures::*;

    #[test]
    fn captured_sum_is_compared_to_the_oracle() {
        let check = parse_check(SUM_CHECK);
        assert_eq!(check.runs.cases.len(), 2);
        let right = labgrade_support::array_sum(42, 1000);
        let env = [(SEED_VAR, "42"), (LEN_VAR, "1000")];

        let stdout = format!("Array sum is: {right}\nTime spent: 3 ms\n");
        let case = evaluate_case(
            &check,
            "workers=3",
            replay_recipe(&[("workers", "3")], &env),
            exited(0, &stdout),
        );
        assert!(case.passed, "{:?}", case.failures);
        assert_eq!(case.name, "workers=3");
        assert_eq!(
            case.observed.captures,
            strings(&[("sum", &right.to_string())])
        );

        // Off by one element's worth: a dropped remainder.
        let wrong = right - 17;
        let stdout = format!("Array sum is: {wrong}\n");
        let case = evaluate_case(
            &check,
            "workers=3",
            replay_recipe(&[("workers", "3")], &env),
            exited(0, &stdout),
        );
        assert!(!case.passed);
        let expected = format!("`sum` to be {right}");
        let actual = format!("`sum` was {wrong}");
        assert_eq!(
            failures(&case),
            [("compare", expected.as_str(), actual.as_str())]
        );
    }

    #[test]
    fn oracle_follows_the_seed_of_the_case() {
        let check = parse_check(SUM_CHECK);
        let stdout = format!("Array sum is: {}\n", labgrade_support::array_sum(1, 500));
        let seed_1 = replay_recipe(&[("workers", "1")], &[(SEED_VAR, "1"), (LEN_VAR, "500")]);
        let seed_2 = replay_recipe(&[("workers", "1")], &[(SEED_VAR, "2"), (LEN_VAR, "500")]);
        assert!(evaluate_case(&check, "workers=1", seed_1, exited(0, &stdout)).passed);
        // Printing the same number for every seed earns nothing.
        assert!(!evaluate_case(&check, "workers=1", seed_2, exited(0, &stdout)).passed);
    }

    #[test]
    fn oracle_without_its_input_is_a_compare_failure() {
        let check = parse_check(SUM_CHECK);
        let case = evaluate_case(
            &check,
            "workers=1",
            replay_recipe(&[("workers", "1")], &[]),
            exited(0, "Array sum is: 5\n"),
        );
        assert_eq!(
            failures(&case),
            [(
                "compare",
                "`sum` to be checked",
                "the right value could not be computed: `LABGRADE_SEED` is not set for this case"
            )]
        );
    }

    #[test]
    fn capture_is_compared_to_a_literal_with_a_placeholder() {
        let check = parse_check(
            r#"args = ["{workers}"]
cases = { workers = [7] }
stdout = [{ regex = '^workers: (?<n>\S+)$' }]
compare = [{ capture = "n", equals = "{workers}" }]
"#,
        );
        let vars = [("workers", "7")];
        let run = |stdout: &str| {
            evaluate_case(
                &check,
                "workers=7",
                replay_recipe(&vars, &[]),
                exited(0, stdout),
            )
        };
        assert!(run("workers: 7\n").passed);
        // Integers compare as numbers.
        assert!(run("workers: 007\n").passed);
        assert!(run("workers: +7\n").passed);
        let case = run("workers: 8\n");
        assert_eq!(failures(&case), [("compare", "`n` to be 7", "`n` was 8")]);
        // Anything else compares as text.
        assert!(!run("workers: 7.0\n").passed);
        assert!(!run("workers: seven\n").passed);
    }

    #[test]
    fn integer_literal_and_text_literal_compare() {
        let check = parse_check(
            r#"stdout = [{ regex = 'count=(?<count>\d+)' }, { regex = 'state=(?<state>\w+)' }]
compare = [{ capture = "count", equals = 12 }, { capture = "state", equals = "done" }]
"#,
        );
        assert!(grade(&check, exited(0, "count=0012 state=done\n")).passed);
        let case = grade(&check, exited(0, "count=12 state=Done\n"));
        assert_eq!(
            failures(&case),
            [("compare", "`state` to be done", "`state` was Done")]
        );
    }

    #[test]
    fn regex_matching_without_the_compared_group_fails() {
        let check = parse_check(
            r#"stdout = [{ regex = '^(Array sum is: (?<sum>\d+)|overflow)$' }]
compare = [{ capture = "sum", equals = 10 }]
"#,
        );
        assert!(grade(&check, exited(0, "Array sum is: 10\n")).passed);
        let case = grade(&check, exited(0, "overflow\n"));
        assert!(!case.passed, "the compare of `sum` was skipped");
        assert_eq!(
            failures(&case),
            [(
                "compare",
                "`sum` to be captured",
                "the output matched without a value for `sum`"
            )]
        );
    }
}
