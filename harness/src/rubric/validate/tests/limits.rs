//! Tests of the defaults, `[build]`, `[limits]` and a check's own limits.

use super::*;

#[test]
fn defaults_apply_without_build_and_limits() {
    let rubric = parse_ok(&with_check(""));
    assert_eq!(rubric.exercise.package, Path::new("pkg"));
    assert_eq!(rubric.build.profile, Profile::Release);
    assert_eq!(rubric.build.timeout, DEFAULT_BUILD_TIMEOUT);
    let check = &rubric.checks[0];
    assert_eq!(check.runs.timeout, DEFAULT_CASE_TIMEOUT);
    assert_eq!(check.runs.output_bytes, DEFAULT_OUTPUT_BYTES);
    assert_eq!(check.rules.expect, Expect::Exit(0));
    assert_eq!(case_names(check), ["default"]);
    assert!(check.runs.cases[0].vars.is_empty());
}

#[test]
fn durations_must_parse_and_be_positive() {
    let help = Some("write a duration such as `10s`, `500ms` or `2m`");
    assert_eq!(
        problem(&with_check("timeout = \"10\"\n")),
        found(
            10,
            11,
            "`10` is not a duration: time unit needed, for example 10sec or 10ms",
            help
        )
    );
    let limits = format!(
        "{EXERCISE}[limits]\ntimeout = \"0s\"\n{}",
        with_check("").replace(EXERCISE, "")
    );
    assert_eq!(
        problem(&limits),
        found(6, 11, "a time limit must be more than zero", None)
    );
    let build = format!(
        "{EXERCISE}[build]\ntimeout = \"fast\"\n{}",
        with_check("").replace(EXERCISE, "")
    );
    assert_eq!(
        problem(&build),
        found(
            6,
            11,
            "`fast` is not a duration: expected number at 0",
            help
        )
    );

    let rubric = parse_ok(&format!(
        "{EXERCISE}[limits]\ntimeout = \"2s\"\n{}",
        with_check("timeout = \"500ms\"\n").replace(EXERCISE, "")
    ));
    assert_eq!(rubric.checks[0].runs.timeout, Duration::from_millis(500));
}

#[test]
fn output_bytes_must_be_positive() {
    let message = "`output-bytes` must be a positive number of bytes";
    let text = format!(
        "{EXERCISE}[limits]\noutput-bytes = 0\n{}",
        with_check("output-bytes = -1\n").replace(EXERCISE, "")
    );
    assert_eq!(
        problems(&text),
        [found(6, 16, message, None), found(12, 16, message, None)]
    );

    let rubric = parse_ok(&format!(
        "{EXERCISE}[limits]\noutput-bytes = 100\n{}",
        with_check("").replace(EXERCISE, "")
    ));
    assert_eq!(rubric.checks[0].runs.output_bytes, 100);
}

#[test]
fn run_limits_default_inherit_and_override() {
    let rubric = parse_ok(&with_check(""));
    assert_eq!(
        rubric.checks[0].runs.limits,
        RunLimits {
            cpu_time: DEFAULT_CASE_TIMEOUT * 2,
            memory: 1 << 30,
            tasks: 256,
            file_size: 64 << 20,
            open_files: 256,
            isolate: true,
        }
    );
    let rubric = parse_ok(&format!(
        "{EXERCISE}[limits]\nmemory = 1000\nisolate = false\nopen-files = 64\n{}",
        with_check("timeout = \"3s\"\ntasks = 10\nfile-size = 5\n").replace(EXERCISE, "")
    ));
    assert_eq!(
        rubric.checks[0].runs.limits,
        RunLimits {
            cpu_time: Duration::from_secs(6),
            memory: 1000,
            tasks: 10,
            file_size: 5,
            open_files: 64,
            isolate: false,
        }
    );
    let rubric = parse_ok(&format!(
        "{EXERCISE}[limits]\ncpu-time = \"1s\"\n{}",
        with_check("timeout = \"3s\"\n").replace(EXERCISE, "")
    ));
    assert_eq!(
        rubric.checks[0].runs.limits.cpu_time,
        Duration::from_secs(1)
    );
    let rubric = parse_ok(&with_check("cpu-time = \"1500ms\"\n"));
    assert_eq!(
        rubric.checks[0].runs.limits.cpu_time,
        Duration::from_millis(1500)
    );
}

#[test]
fn run_limits_must_be_positive_and_well_typed() {
    assert_eq!(
        problems(&with_check("memory = 0\ntasks = -1\ncpu-time = \"0s\"\n")),
        vec![
            found(10, 10, "`memory` must be a positive integer", None),
            found(11, 9, "`tasks` must be a positive integer", None),
            found(12, 12, "a time limit must be more than zero", None),
        ]
    );
    let limits = format!(
        "{EXERCISE}[limits]\nopen-files = 0\n{}",
        with_check("").replace(EXERCISE, "")
    );
    assert_eq!(
        problem(&limits),
        found(6, 14, "`open-files` must be a positive integer", None)
    );
    assert!(
        problem(&with_check("isolate = \"yes\"\n"))
            .1
            .contains("bool")
    );
}

#[test]
fn points_must_be_positive() {
    let help = Some("use a whole number above 0");
    assert_eq!(
        problem(&with_check("").replace("points = 10", "points = 0")),
        found(8, 10, "0 is not a valid number of points", help)
    );
    assert_eq!(
        problem(&with_check("").replace("points = 10", "points = -5")),
        found(8, 10, "-5 is not a valid number of points", help)
    );
    // The build may be worth nothing, but not less.
    assert_eq!(
        parse_ok(&format!(
            "{EXERCISE}[build]\npoints = 0\n{}",
            with_check("").replace(EXERCISE, "")
        ))
        .build
        .points,
        0
    );
    assert_eq!(
        problem(&format!(
            "{EXERCISE}[build]\npoints = -1\n{}",
            with_check("").replace(EXERCISE, "")
        )),
        found(
            6,
            10,
            "-1 is not a valid number of points",
            Some("use a whole number of 0 or more")
        )
    );
}
