//! Tests of the matchers.

use super::*;

#[test]
fn a_matcher_needs_exactly_one_key() {
    let message = MATCHER_KINDS;
    let split = Some("split it into one matcher per key");
    assert_eq!(
        problem(&with_check(
            "stdout = [{ regex = 'a', contains = \"b\" }]\n"
        )),
        found(10, 11, message, split)
    );
    assert_eq!(
        problem(&with_check(
            "stderr = [{ line = \"a\" }, { contains = \"b\", line = \"c\" }]\n"
        )),
        found(10, 27, message, split)
    );
    assert_eq!(
        problem(&with_check("stdout = [{}]\n")),
        found(
            10,
            11,
            message,
            Some("for example `{ regex = '^Array sum is: (?<sum>\\d+)$' }`")
        )
    );
}

#[test]
fn only_lines_gives_captures_and_cannot_be_negated() {
    let rubric = parse_ok(&with_check(
        "stdout = [{ only-lines = ['^sum: (?<sum>\\d+)$', '^done$'] }]\ncompare = [{ capture = \"sum\", equals = 3 }]\n",
    ));
    assert!(
        matches!(&rubric.checks[0].rules.stdout[0], Matcher::OnlyLines(regexes) if regexes.len() == 2)
    );
    let ((line, column), message, _) = problem(&with_check(
        "stdout = [{ only-lines = ['^a$'], absent = true }]\n",
    ));
    assert_eq!((line, column), (10, 11));
    assert_eq!(
        message,
        "`absent = true` cannot negate `sequences`, `byte-count` or `only-lines`"
    );
    let ((_, column), message, _) = problem(&with_check("stdout = [{ only-lines = [] }]\n"));
    assert_eq!(
        (column, message.as_str()),
        (26, "`only-lines` needs at least one regex")
    );
}

#[test]
fn a_bad_regex_is_reported_at_the_regex() {
    let ((line, column), message, _) =
        problem(&with_check("stdout = [{ regex = '(?<sum>\\d+' }]\n"));
    assert_eq!((line, column), (10, 21));
    assert_eq!(message, "invalid regex: unclosed group");
}
