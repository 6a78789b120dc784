//! Whole rubrics: the course's sum-array rubric, and a file with a problem in every section.

use super::*;

#[test]
fn sum_array_rubric_is_valid() {
    let rubric = sum_array_rubric();
    assert_eq!(rubric.exercise.name, "sum-array");
    assert_eq!(rubric.exercise.package, Path::new("exercises/sum-array"));
    assert_eq!(
        rubric.exercise.files,
        [
            Path::new("src/bin/sum_array_threads.rs"),
            Path::new("src/bin/sum_array_processes.rs")
        ]
    );
    assert_eq!(rubric.build.profile, Profile::Release);
    assert_eq!(rubric.build.timeout, Duration::from_secs(300));
    assert_eq!(rubric.build.points, 0);
    assert_eq!(
        rubric.env,
        BTreeMap::from([
            ("LABGRADE_ARRAY_LEN".to_owned(), "4000000".to_owned()),
            ("LABGRADE_ARRAY_MAX".to_owned(), "1000000".to_owned())
        ])
    );
    assert_eq!(
        ids(&rubric),
        [
            "threads-sum",
            "threads-census",
            "threads-together",
            "threads-timing",
            "threads-usage",
            "processes-sum",
            "processes-census",
            "processes-reaped",
            "processes-ipc-removed",
            "processes-timing",
            "processes-usage",
            "style-clippy",
            "style-format"
        ]
    );
    assert!((rubric.max_score() - 100.0).abs() < 1e-9);
    let census = &rubric.checks[1];
    assert!(census.traced());
    assert_eq!(census.rules.census.len(), 2);
    assert_eq!(census.rules.census[0].count, CensusCount::Threads);
    assert_eq!(census.rules.census[0].expected.source(), "{workers}");
    let reaped = &rubric.checks[7];
    assert_eq!(reaped.needs, ["build", "processes-census"]);
    assert_eq!(
        reaped
            .rules
            .census
            .iter()
            .map(|rule| rule.count)
            .collect::<Vec<_>>(),
        [CensusCount::Unreaped, CensusCount::OutlivedParent]
    );

    let sum = &rubric.checks[0];
    assert_eq!(
        case_names(sum),
        [
            "workers=1",
            "workers=2",
            "workers=3",
            "workers=4",
            "workers=7",
            "workers=8"
        ]
    );
    assert_eq!(
        sum.runs.cases[4].vars,
        BTreeMap::from([("workers".to_owned(), "7".to_owned())])
    );
    assert_eq!(sum.points, 27);
    assert_eq!(sum.runs.program, "sum_array_threads");
    assert_eq!(sum.runs.args.len(), 1);
    assert_eq!(sum.runs.args[0].render(&sum.runs.cases[4].vars), "7");
    assert_eq!(sum.scoring, Scoring::PerCase);
    assert_eq!(sum.runs.timeout, Duration::from_secs(5));
    assert_eq!(sum.runs.output_bytes, 65536);
    assert_eq!(sum.needs, ["build"]);
    assert_eq!(sum.rules.expect, Expect::Exit(0));
    // The sum line, and no second one.
    assert_eq!(sum.rules.stdout.len(), 2);
    assert!(matches!(sum.rules.stdout[1], Matcher::Absent(_)));
    assert_eq!(sum.rules.compares.len(), 1);
    assert_eq!(
        sum.rules.compares[0].source,
        Source::Capture("sum".to_owned())
    );
    assert!(matches!(
        sum.rules.compares[0].expected,
        Expected::Oracle(Oracle::ArraySum)
    ));

    let timing = &rubric.checks[3];
    assert_eq!(timing.needs, ["build", "threads-sum"]);
    assert_eq!(
        case_names(timing),
        ["workers=1", "workers=2", "workers=4", "workers=8"]
    );
    assert!(timing.rules.parallelism);
    assert_eq!(timing.rules.parallelism_time.as_deref(), Some("ms"));
}

#[test]
fn sum_array_rubric_refuses_bad_worker_counts() {
    let rubric = sum_array_rubric();
    let usage = &rubric.checks[4];
    assert_eq!(usage.rules.expect, Expect::NonZeroExit);
    assert_eq!(case_names(usage), ["arg=", "arg=many", "arg=0"]);
    assert_eq!(usage.rules.stderr.len(), 1);
    assert_eq!(rubric.checks[5].runs.cases.len(), 6);
    assert_eq!(rubric.checks[8].needs, ["build", "processes-sum"]);
}

#[test]
fn misspelt_sections_and_missing_tables_are_reported() {
    let text = format!(
        "{EXERCISE}[limit]\ntimeout = \"1s\"\n{}",
        with_check("").replace(EXERCISE, "")
    );
    assert_eq!(
        problem(&text),
        found(5, 2, "unknown key `limit`", Some("did you mean `limits`?"))
    );
    assert_eq!(
        problem(EXERCISE),
        found(
            1,
            1,
            "the rubric has no checks",
            Some("add at least one `[[check]]` table")
        )
    );
    assert_eq!(
        problem(&with_check("").replace(EXERCISE, "")),
        found(
            1,
            1,
            "missing `[exercise]` table",
            Some("add `[exercise]` with `name`, `package` and `files` (see rubrics/README.md)")
        )
    );
}

#[test]
fn every_problem_of_a_file_is_reported() {
    let text = r#"[exercise]
name = "t"
package = "pkg"
files = ["../x.rs"]

[limits]
timeout = "soon"

[[check]]
id = "build"
title = "A"
points = 0
run = "prog"
args = ["{n}"]
expect = { exit = 1, signal = "SIGSEGV" }
stdout = [{ contains = "a", line = "b" }, { regex = '(?<sum>\d+)' }]
compare = [{ capture = "summ", oracle = "median" }]

[[check]]
id = "b"
title = "B"
points = 5
run = "prog"
needs = ["a"]
timeout = "10"
"#;
    let found: Vec<((usize, usize), String)> = problems(text)
        .into_iter()
        .map(|(at, message, _)| (at, message))
        .collect();
    let expected = [
        ((4, 10), "`../x.rs` is not a path inside the package"),
        ((7, 11), "`soon` is not a duration: expected number at 0"),
        (
            (10, 6),
            "`build` is reserved for the build; pick another id",
        ),
        ((12, 10), "0 is not a valid number of points"),
        ((14, 9), "unknown placeholder `{n}`"),
        (
            (15, 10),
            "`expect` needs exactly one of `exit` and `signal`",
        ),
        ((16, 11), MATCHER_KINDS),
        (
            (17, 24),
            "capture `summ` is not a named group of any regex of this check",
        ),
        ((17, 41), "unknown oracle `median`"),
        (
            (24, 10),
            "check `b` needs `a`, which is not a check of this rubric",
        ),
        (
            (25, 11),
            "`10` is not a duration: time unit needed, for example 10sec or 10ms",
        ),
    ];
    let expected: Vec<((usize, usize), String)> = expected
        .iter()
        .map(|(at, message)| (*at, (*message).to_owned()))
        .collect();
    assert_eq!(found, expected);

    let rendered = parse(Path::new("t.toml"), text).unwrap_err().to_string();
    assert!(
        rendered.starts_with("rubric `t.toml` has 11 problems"),
        "{rendered}"
    );
    assert!(rendered.contains("t.toml:17:41"), "{rendered}");
}
