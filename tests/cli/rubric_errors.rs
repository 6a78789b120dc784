//! Malformed rubrics: every problem is reported with file, line and column, and exit code 2.

use crate::support::{Grade, Ran};

/// Grades the course's sum-array skeleton with the malformed rubric `name` of
/// `tests/fixtures/rubrics/`, which labgrade refuses with exit code 2 and nothing on stdout.
#[track_caller]
fn rubric_fails(name: &str) -> Ran {
    Grade::new(
        "exercises/sum-array",
        format!("tests/fixtures/rubrics/{name}.toml"),
    )
    .run()
    .code(2)
    .stdout_is_empty()
}

#[test]
fn unknown_key_is_named_with_its_position() {
    rubric_fails("unknown_key")
        .stderr_has("has 1 problem")
        .stderr_has("unknown field `pointz`")
        .stderr_has("--> tests/fixtures/rubrics/unknown_key.toml:11:1");
}

#[test]
fn missing_points_points_at_the_check() {
    rubric_fails("missing_points")
        .stderr_has("has 1 problem")
        .stderr_has("missing field `points`")
        .stderr_has("--> tests/fixtures/rubrics/missing_points.toml:6:1");
}

#[test]
fn bad_regex_points_at_the_regex() {
    rubric_fails("bad_regex")
        .stderr_has("invalid regex: unclosed group")
        .stderr_has("--> tests/fixtures/rubrics/bad_regex.toml:11:21");
}

#[test]
fn unknown_need_suggests_the_closest_check() {
    rubric_fails("unknown_need")
        .stderr_has("check `timing` needs `sums`, which is not a check of this rubric")
        .stderr_has("--> tests/fixtures/rubrics/unknown_need.toml:17:10")
        .stderr_has("did you mean `sum`?");
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    rubric_fails("many_problems")
        .stderr_has("has 4 problems")
        .stderr_has("many_problems.toml:11:21")
        .stderr_has("many_problems.toml:13:1")
        .stderr_has("many_problems.toml:23:10")
        .stderr_has("many_problems.toml:24:11");
}

/// What a person reads: each problem under its `file:line:column`, the line, and a caret under
/// what is wrong, with help; the four problems of the rubric at once.
#[test]
fn every_problem_is_shown_on_its_line_with_a_caret() {
    let refused = rubric_fails("many_problems");
    insta::assert_snapshot!(refused.stderr(), @r#"
    labgrade: rubric `tests/fixtures/rubrics/many_problems.toml` has 4 problems
    error: invalid regex: unclosed group
      --> tests/fixtures/rubrics/many_problems.toml:11:21
       |
    11 | stdout = [{ regex = "(" }]
       |                     ^^^
       |
       = help: the syntax is that of the `regex` crate; escape literal characters with `\`
    error: missing field `points`
      --> tests/fixtures/rubrics/many_problems.toml:13:1
       |
    13 | [[check]]
       | ^^^^^^^^^
       |
       = help: add the key to this table (see rubrics/README.md)
    error: check `usage` needs `nope`, which is not a check of this rubric
      --> tests/fixtures/rubrics/many_problems.toml:23:10
       |
    23 | needs = ["nope"]
       |          ^^^^^^
       |
       = help: expected one of: build, sum
    error: `soon` is not a duration: expected number at 0
      --> tests/fixtures/rubrics/many_problems.toml:24:11
       |
    24 | timeout = "soon"
       |           ^^^^^^
       |
       = help: write a duration such as `10s`, `500ms` or `2m`
    "#);
}

#[test]
fn toml_syntax_error_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, "[exercise]\nname = \"sum-array\nfiles = []\n").unwrap();
    Grade::new("exercises/sum-array", &path)
        .run()
        .code(2)
        .stderr_has(format!("{}:2:", path.display()));
}

#[test]
fn missing_rubric_file_is_named() {
    Grade::new("exercises/sum-array", "rubrics/nope.toml")
        .run()
        .code(2)
        .stderr_has("cannot read rubric `rubrics/nope.toml`");
}

#[test]
fn bad_visibility_and_details_are_located() {
    rubric_fails("bad_visibility")
        .stderr_has("has 3 problems")
        .stderr_has("unknown visibility `secret`")
        .stderr_has("bad_visibility.toml:11:14")
        .stderr_has("unknown details `terse`")
        .stderr_has("bad_visibility.toml:12:11")
        .stderr_has("check `usage` needs `hidden-sum`, which is hidden")
        .stderr_has("bad_visibility.toml:19:10");
}

#[test]
fn ratio_and_interleaved_matcher_errors_are_all_located() {
    rubric_fails("bad_ratio")
        .stderr_has("has 8 problems")
        .stderr_has("`array-sum` is not an oracle of sequences of lines")
        .stderr_has("bad_ratio.toml:12:19")
        .stderr_has("the line `b` is in the sequences twice")
        .stderr_has("`byte-count` and `counted-lines` go together")
        .stderr_has("`absent = true` cannot negate `sequences`, `byte-count` or `only-lines`")
        .stderr_has("oracle `async-messages` gives sequences of lines, not a value to compare")
        .stderr_has("unknown figure `wall-clock`")
        .stderr_has("bad_ratio.toml:30:7")
        .stderr_has("did you mean `fast`?")
        .stderr_has("`at-least` (3) is above `at-most` (2)");
}

#[test]
fn misspelt_keys_get_the_key_meant_and_the_rest_is_still_checked() {
    rubric_fails("misspelt_keys")
        .stderr_has("has 5 problems")
        .stderr_has("unknown field `titel`")
        .stderr_has("misspelt_keys.toml:10:1")
        .stderr_has("did you mean `title`?")
        .stderr_has("unknown field `pointz`")
        .stderr_has("misspelt_keys.toml:11:1")
        .stderr_has("did you mean `points`?")
        // The check with typos is read as meant, so its other problems are found too...
        .stderr_has("`fast` is not a duration")
        .stderr_has("misspelt_keys.toml:13:11")
        // ...and it is not said to lack the keys its typos stand for.
        .stderr_lacks("missing field `title`")
        .stderr_lacks("missing field `points`")
        // A check without `run` (nor a style tool) is read, and said to lack it.
        .stderr_has("check `census` has no `run`")
        .stderr_has("misspelt_keys.toml:16:6")
        // A key of a table inside a table (a matcher) gets the same help.
        .stderr_has("unknown field `regx`")
        .stderr_has("misspelt_keys.toml:26:35")
        .stderr_has("did you mean `regex`?");
}

#[test]
fn a_check_that_cannot_be_read_is_not_called_unknown_elsewhere() {
    rubric_fails("misspelt_keys")
        .stderr_has("check `census` has no `run`")
        .stderr_lacks("which is not a check of this rubric")
        .stderr_lacks("is not a check of this rubric");
}
