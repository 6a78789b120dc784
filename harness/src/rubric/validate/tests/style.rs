//! Tests of style checks: `clippy` and `rustfmt`.

use super::*;
use crate::rubric::StyleRule;

/// [`EXERCISE`] and one check `s` without `run`, whose table ends with `keys`, from line 9 on.
fn style_check(keys: &str) -> String {
    format!("{EXERCISE}[[check]]\nid = \"s\"\ntitle = \"S\"\npoints = 4\n{keys}")
}

#[test]
fn a_clippy_check_names_its_lints_and_what_a_finding_costs() {
    let rubric = parse_ok(&style_check(
        "clippy = { lints = [\"needless_range_loop\", \"zombie_processes\"], points-per-finding = 1 }\n",
    ));
    let check = &rubric.checks[0];
    assert_eq!(
        check.style,
        Some(StyleRule::Clippy {
            lints: vec![
                "needless_range_loop".to_owned(),
                "zombie_processes".to_owned()
            ],
            points_per_finding: 1,
        })
    );
    assert_eq!(check.runs.program, "");
    assert_eq!(check.runs.cases.len(), 1);
}

#[test]
fn without_points_per_finding_any_finding_costs_the_check_s_points() {
    let rubric = parse_ok(&style_check("rustfmt = true\n"));
    let rule = rubric.checks[0].style.as_ref().unwrap();
    assert_eq!((rule, rule.points_per_finding(4)), (&StyleRule::Rustfmt, 4));
    let rubric = parse_ok(&style_check(
        "clippy = { lints = [\"zombie_processes\"] }\n",
    ));
    assert_eq!(
        rubric.checks[0]
            .style
            .as_ref()
            .map(|rule| rule.points_per_finding(4)),
        Some(4)
    );
    // A check that runs a program has no style rule.
    assert_eq!(parse_ok(&with_check("")).checks[0].style, None);
}

#[test]
fn every_problem_of_a_style_check_is_reported() {
    let all = problems(&style_check(
        "clippy = { lints = [\"clippy::needless_range_loop\", \"ok_lint\", \"ok_lint\"], points-per-finding = 5 }\nrun = \"prog\"\nargs = [\"1\"]\nstdout = [{ regex = \"x\" }]\nrepeat = 3\n",
    ));
    assert_eq!(
        all,
        vec![
            found(
                9,
                21,
                "`clippy::needless_range_loop` is not a clippy lint name",
                Some(
                    "write the lint's name alone, in lowercase with `_`, such as `needless_range_loop`"
                ),
            ),
            found(9, 63, "lint `ok_lint` is listed twice", None),
            found(
                9,
                96,
                "5 is not a valid `points-per-finding`",
                Some("use a whole number from 1 to the check's points (4)"),
            ),
            found(
                10,
                7,
                "`run` does not apply to a style check: `clippy` runs no program",
                Some("remove it, or make the run its own check"),
            ),
            found(
                11,
                9,
                "`args` does not apply to a style check: `clippy` runs no program",
                Some("remove it, or make the run its own check"),
            ),
            found(
                12,
                11,
                "`stdout` does not apply to a style check: `clippy` runs no program",
                Some("remove it, or make the run its own check"),
            ),
            found(
                13,
                10,
                "`repeat` does not apply to a style check: `clippy` runs no program",
                Some("remove it, or make the run its own check"),
            ),
        ]
    );
}

#[test]
fn a_check_needs_a_run_or_one_style_tool() {
    assert_eq!(
        problem(&style_check("")),
        found(
            6,
            6,
            "check `s` has no `run`",
            Some(
                "name a binary of the exercise package, or make it a style check with `clippy` or `rustfmt`"
            ),
        )
    );
    assert_eq!(
        problem(&style_check(
            "clippy = { lints = [\"a\"] }\nrustfmt = true\n"
        )),
        found(
            10,
            11,
            "a check has `clippy` or `rustfmt`, not both",
            Some("make each its own check"),
        )
    );
    assert_eq!(
        problem(&style_check("rustfmt = false\n")),
        found(
            9,
            11,
            "`rustfmt = false` checks nothing",
            Some("remove the check, or write `rustfmt = true`"),
        )
    );
    assert_eq!(
        problem(&style_check("clippy = { lints = [] }\n")).1,
        "`lints` is empty"
    );
}
