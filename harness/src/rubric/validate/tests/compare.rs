//! Tests of `compare`.

use super::*;

#[test]
fn a_compare_needs_a_defined_capture() {
    let regex = "stdout = [{ regex = '^sum: (?<sum>\\d+)$' }]\n";
    assert_eq!(
        problem(&with_check(&format!(
            "{regex}compare = [{{ capture = \"summ\", equals = 1 }}]\n"
        ))),
        found(
            11,
            24,
            "capture `summ` is not a named group of any regex of this check",
            Some("did you mean `sum`?")
        )
    );
    assert_eq!(
        problem(&with_check(&format!(
            "{regex}compare = [{{ capture = \"total\", equals = 1 }}]\n"
        ))),
        found(
            11,
            24,
            "capture `total` is not a named group of any regex of this check",
            Some("name a group in a `stdout` or `stderr` regex, such as `(?<sum>\\d+)`")
        )
    );
    // A capture of a stderr regex is as good as one of stdout.
    let rubric = parse_ok(&with_check(
        "stderr = [{ regex = 'code (?<code>\\d+)' }]\ncompare = [{ capture = \"code\", equals = 3 }]\n",
    ));
    assert_eq!(
        rubric.checks[0].rules.compares[0].source,
        Source::Capture("code".to_owned())
    );
}

#[test]
fn a_compare_needs_a_known_oracle_or_a_value() {
    let regex = "stdout = [{ regex = '^sum: (?<sum>\\d+)$' }]\n";
    assert_eq!(
        problem(&with_check(&format!(
            "{regex}compare = [{{ capture = \"sum\", oracle = \"array-summ\" }}]\n"
        ))),
        found(
            11,
            40,
            "unknown oracle `array-summ`",
            Some("did you mean `array-sum`?")
        )
    );
    assert_eq!(
        problem(&with_check(&format!(
            "{regex}compare = [{{ capture = \"sum\", oracle = \"median\" }}]\n"
        ))),
        found(
            11,
            40,
            "unknown oracle `median`",
            Some(
                "oracles: array-sum, negated-array, message, array-sum-without-fault, corrupted-sum, ipc-messages, handover-payload"
            )
        )
    );
    assert_eq!(
        problem(&with_check(&format!(
            "{regex}compare = [{{ capture = \"sum\", oracle = \"array-sum\", equals = 1 }}]\n"
        ))),
        found(
            11,
            12,
            "a comparison needs exactly one of `oracle`, `equals` and `signal`",
            Some("for example `{ capture = \"sum\", oracle = \"array-sum\" }`")
        )
    );
}
