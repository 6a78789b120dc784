//! Malformed rubrics: every problem is reported with file, line and column, and exit code 2.

use predicates::prelude::*;
use predicates::str::contains;

use crate::support::labgrade;

#[track_caller]
fn rubric_fails(name: &str) -> assert_cmd::assert::Assert {
    labgrade()
        .args(["grade", "exercises/sum-array", "--rubric"])
        .arg(format!("tests/fixtures/rubrics/{name}.toml"))
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
}

#[test]
fn unknown_key_is_named_with_its_position() {
    rubric_fails("unknown_key")
        .stderr(contains("has 1 problem"))
        .stderr(contains("unknown field `pointz`"))
        .stderr(contains("--> tests/fixtures/rubrics/unknown_key.toml:11:1"));
}

#[test]
fn missing_points_points_at_the_check() {
    rubric_fails("missing_points")
        .stderr(contains("has 1 problem"))
        .stderr(contains("missing field `points`"))
        .stderr(contains(
            "--> tests/fixtures/rubrics/missing_points.toml:6:1",
        ));
}

#[test]
fn bad_regex_points_at_the_regex() {
    rubric_fails("bad_regex")
        .stderr(contains("invalid regex: unclosed group"))
        .stderr(contains("--> tests/fixtures/rubrics/bad_regex.toml:11:21"));
}

#[test]
fn unknown_need_suggests_the_closest_check() {
    rubric_fails("unknown_need")
        .stderr(contains(
            "check `timing` needs `sums`, which is not a check of this rubric",
        ))
        .stderr(contains(
            "--> tests/fixtures/rubrics/unknown_need.toml:17:10",
        ))
        .stderr(contains("did you mean `sum`?"));
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    rubric_fails("many_problems")
        .stderr(contains("has 4 problems"))
        .stderr(contains("many_problems.toml:11:21"))
        .stderr(contains("many_problems.toml:13:1"))
        .stderr(contains("many_problems.toml:23:10"))
        .stderr(contains("many_problems.toml:24:11"));
}

#[test]
fn toml_syntax_error_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, "[exercise]\nname = \"sum-array\nfiles = []\n").unwrap();
    labgrade()
        .args(["grade", "exercises/sum-array", "--rubric"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains(format!("{}:2:", path.display())));
}

#[test]
fn missing_rubric_file_is_named() {
    labgrade()
        .args([
            "grade",
            "exercises/sum-array",
            "--rubric",
            "rubrics/nope.toml",
        ])
        .assert()
        .code(2)
        .stderr(contains("cannot read rubric `rubrics/nope.toml`"));
}

#[test]
fn bad_visibility_and_details_are_located() {
    rubric_fails("bad_visibility")
        .stderr(contains("has 3 problems"))
        .stderr(contains("unknown visibility `secret`"))
        .stderr(contains("bad_visibility.toml:11:14"))
        .stderr(contains("unknown details `terse`"))
        .stderr(contains("bad_visibility.toml:12:11"))
        .stderr(contains(
            "check `usage` needs `hidden-sum`, which is hidden",
        ))
        .stderr(contains("bad_visibility.toml:19:10"));
}

#[test]
fn ratio_and_interleaved_matcher_errors_are_all_located() {
    rubric_fails("bad_ratio")
        .stderr(contains("has 8 problems"))
        .stderr(contains(
            "`array-sum` is not an oracle of sequences of lines",
        ))
        .stderr(contains("bad_ratio.toml:12:19"))
        .stderr(contains("the line `b` is in the sequences twice"))
        .stderr(contains("`byte-count` and `counted-lines` go together"))
        .stderr(contains(
            "`absent = true` cannot negate `sequences`, `byte-count` or `only-lines`",
        ))
        .stderr(contains(
            "oracle `async-messages` gives sequences of lines, not a value to compare",
        ))
        .stderr(contains("unknown figure `wall-clock`"))
        .stderr(contains("bad_ratio.toml:30:7"))
        .stderr(contains("did you mean `fast`?"))
        .stderr(contains("`at-least` (3) is above `at-most` (2)"));
}

#[test]
fn misspelt_keys_get_the_key_meant_and_the_rest_is_still_checked() {
    rubric_fails("misspelt_keys")
        .stderr(contains("has 5 problems"))
        .stderr(contains("unknown field `titel`"))
        .stderr(contains("misspelt_keys.toml:10:1"))
        .stderr(contains("did you mean `title`?"))
        .stderr(contains("unknown field `pointz`"))
        .stderr(contains("misspelt_keys.toml:11:1"))
        .stderr(contains("did you mean `points`?"))
        // The check with typos is read as meant, so its other problems are found too...
        .stderr(contains("`fast` is not a duration"))
        .stderr(contains("misspelt_keys.toml:13:11"))
        // ...and it is not said to lack the keys its typos stand for.
        .stderr(contains("missing field `title`").not())
        .stderr(contains("missing field `points`").not())
        .stderr(contains("missing field `run`"))
        .stderr(contains("misspelt_keys.toml:15:1"))
        // A key of a table inside a table (a matcher) gets the same help.
        .stderr(contains("unknown field `regx`"))
        .stderr(contains("misspelt_keys.toml:26:35"))
        .stderr(contains("did you mean `regex`?"));
}

#[test]
fn a_check_that_cannot_be_read_is_not_called_unknown_elsewhere() {
    rubric_fails("misspelt_keys")
        .stderr(contains("missing field `run`"))
        .stderr(contains("which is not a check of this rubric").not())
        .stderr(contains("is not a check of this rubric").not());
}
