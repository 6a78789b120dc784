//! Tests of `cases` and placeholders.

use super::*;

#[test]
fn cases_over_two_variables_are_every_combination() {
    let rubric = parse_ok(&with_check(
        "args = [\"{a}\", \"{b}\"]\ncases = { b = [\"x\", \"y\"], a = [1, 2] }\n",
    ));
    let check = &rubric.checks[0];
    assert_eq!(
        case_names(check),
        ["a=1,b=x", "a=1,b=y", "a=2,b=x", "a=2,b=y"]
    );
    let vars = BTreeMap::from([
        ("a".to_owned(), "2".to_owned()),
        ("b".to_owned(), "x".to_owned()),
    ]);
    assert_eq!(check.runs.cases[2].vars, vars);
    let args: Vec<String> = check
        .runs
        .args
        .iter()
        .map(|arg| arg.render(&vars))
        .collect();
    assert_eq!(args, ["2", "x"]);

    let rubric = parse_ok(&with_check(
        "cases = { n = [1, 2, 3], mode = [\"a\", \"b\"], one = [0] }\n",
    ));
    assert_eq!(rubric.checks[0].runs.cases.len(), 6);
    assert_eq!(rubric.checks[0].runs.cases[0].name, "mode=a,n=1,one=0");
}

#[test]
fn unknown_placeholder_names_the_case_variables() {
    let text = with_check("args = [\"{nope}\"]\ncases = { workers = [1, 2], mode = [\"x\"] }\n");
    assert_eq!(
        problem(&text),
        found(
            10,
            9,
            "unknown placeholder `{nope}`",
            Some("case variables: `mode`, `workers`")
        )
    );
    assert_eq!(
        problem(&with_check("stdout = [{ contains = \"n={workers}\" }]\n")),
        found(
            10,
            24,
            "unknown placeholder `{workers}`",
            Some("this check has no case variables; define them in `cases`")
        )
    );
    assert_eq!(
        problem(&with_check("env = { N = \"{n}\" }\ncases = { m = [1] }\n")),
        found(
            10,
            13,
            "unknown placeholder `{n}`",
            Some("case variables: `m`")
        )
    );
}
