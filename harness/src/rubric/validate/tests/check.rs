//! Tests of assembling a check: ids and `parallelism-time`.

use super::*;

#[test]
fn check_ids_are_unique_valid_and_not_build() {
    let two = format!(
        "{}\n{}",
        with_check(""),
        with_check("").replace(EXERCISE, "")
    );
    assert_eq!(
        problem(&two),
        found(12, 6, "check id `a` is used twice", None)
    );
    assert_eq!(
        problem(&with_check("").replace("id = \"a\"", "id = \"build\"")),
        found(
            6,
            6,
            "`build` is reserved for the build; pick another id",
            None
        )
    );
    assert_eq!(
        problem(&with_check("").replace("id = \"a\"", "id = \"Sum Check\"")),
        found(
            6,
            6,
            "`Sum Check` is not a valid check id",
            Some("use lowercase letters, digits, `-` and `_`")
        )
    );
}

#[test]
fn parallelism_time_names_a_capture_of_the_check() {
    let rubric = parse_ok(&with_check(
        "stdout = [{ regex = '(?<ms>\\d+) ms' }]\nparallelism-time = \"ms\"\n",
    ));
    assert!(rubric.checks[0].rules.parallelism);
    assert_eq!(
        rubric.checks[0].rules.parallelism_time.as_deref(),
        Some("ms")
    );
    let (position, message, _) = problem(&with_check("parallelism-time = \"ms\"\n"));
    assert_eq!(position, (10, 20));
    assert_eq!(
        message,
        "capture `ms` is not a named group of any regex of this check"
    );
}
