//! Report formats for each reader: `JUnit` (validated against the `JUnit` XSD with `xmllint`),
//! Gradescope (validated against a JSON Schema of its documented `results.json`), GitHub
//! annotations and step summary; and the rubric's `visibility` and `details` in a student's
//! self-check.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{
    Cli, Grade, check_ids, copy_dir, find_tool, machine_independent, root, unique_copy,
};

const QUICK: &str = "tests/fixtures/batch/sum-array.toml";
const VISIBILITY: &str = "tests/fixtures/rubrics/visibility.toml";

/// Runs `labgrade grade <fixture> --rubric <rubric>` with `args`; returns the exit code and
/// stdout.
fn grade(fixture: &str, rubric: &str, args: &[&str], env: &[(&str, &Path)]) -> (i32, String) {
    let mut grade = Grade::new(format!("tests/fixtures/sum-array/{fixture}"), rubric)
        .seed(7)
        .args(args)
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_WORKSPACE");
    for (key, value) in env {
        grade = grade.env(key, value);
    }
    let ran = grade.run();
    (ran.exit_code(), ran.stdout().into_owned())
}

/// `labgrade grade` of the `all_pass` fixture with the quick rubric.
fn grade_all_pass() -> Grade {
    Grade::new("tests/fixtures/sum-array/all_pass", QUICK)
}

#[track_caller]
fn xmllint_validates(report: &Path) {
    let schema = root().join("tests/fixtures/schemas/junit.xsd");
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(report)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "xmllint rejects {}:\n{}\n{}",
        report.display(),
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(report).unwrap_or_default()
    );
}

#[test]
fn junit_reports_validate_against_the_junit_schema() {
    if find_tool(&["xmllint"], "it validates JUnit reports against the XSD").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (fixture, expected_code) in [
        ("all_pass", 0),
        ("compile_error", 1),
        ("remainder_dropped", 1),
    ] {
        let path = dir.path().join(format!("{fixture}.xml"));
        let target = format!("junit={}", path.display());
        let (code, stdout) = grade(
            fixture,
            QUICK,
            &["--format", "junit", "--report", &target],
            &[],
        );
        assert_eq!(code, expected_code, "{fixture}");
        // `--format junit` on stdout and `--report junit=…` in a file say the same.
        assert_eq!(stdout, std::fs::read_to_string(&path).unwrap(), "{fixture}");
        xmllint_validates(&path);
        match fixture {
            "all_pass" => assert!(stdout.contains(r#"failures="0""#), "{stdout}"),
            "compile_error" => {
                assert!(stdout.contains(r#"type="compile_error""#), "{stdout}");
                assert!(stdout.contains("<skipped"), "{stdout}");
            }
            _ => {
                assert!(
                    stdout.contains(
                        r#"<testcase name="threads-sum workers=3" classname="threads-sum""#
                    ),
                    "{stdout}"
                );
                assert!(
                    stdout.contains("<failure message=\"expected `sum` to be"),
                    "{stdout}"
                );
            }
        }
    }
}

#[test]
fn gradescope_results_match_the_documented_format() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/schemas/gradescope.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for fixture in ["compile_error", "remainder_dropped"] {
        let (_, stdout) = grade(fixture, VISIBILITY, &["--format", "gradescope"], &[]);
        let results: Value = serde_json::from_str(&stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&results)
            .map(|error| format!("{error} at {}", error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{fixture}: {errors:#?}\n{results:#}");
        if fixture == "remainder_dropped" {
            let tests = results["tests"].as_array().unwrap();
            let visibility: Vec<(&str, &str)> = tests
                .iter()
                .map(|test| {
                    (
                        test["tags"][0].as_str().unwrap(),
                        test["visibility"].as_str().unwrap(),
                    )
                })
                .collect();
            assert_eq!(
                visibility,
                [
                    ("threads-sum", "visible"),
                    ("processes-sum", "hidden"),
                    ("threads-usage", "after_due_date")
                ]
            );
            // Students read `output`: a `details = "verdict"` check keeps the oracle's answer
            // to itself; a hidden check, which students never see, keeps every detail.
            let threads = tests[0]["output"].as_str().unwrap();
            assert!(threads.contains("✗ case workers=3"), "{threads}");
            assert!(!threads.contains("`sum` to be"), "{threads}");
            let processes = tests[1]["output"].as_str().unwrap();
            assert!(processes.contains("`sum` to be"), "{processes}");
            assert!((results["score"].as_f64().unwrap() - 62.5).abs() < 1e-9);
        }
    }
}

#[test]
fn github_annotations_point_at_the_students_lines() {
    let (code, stdout) = grade("compile_error", QUICK, &["--format", "github"], &[]);
    assert_eq!(code, 1);
    let first = stdout.lines().next().unwrap();
    assert!(
        first.starts_with(
            "::error file=tests/fixtures/sum-array/compile_error/src/bin/sum_array_threads.rs,line=39,col=25,title=error[E0308]%3A mismatched types::error[E0308]: mismatched types%0A  --> src/bin/sum_array_threads.rs:39:25%0A"
        ),
        "{stdout}"
    );
    assert!(!first.contains('\n'));
    assert!(
        stdout.contains(
            "::warning title=threads-sum 0/40%3A Threads%3A the sum is right for every worker count::not run: the submission does not compile\n"
        ),
        "{stdout}"
    );
    assert!(stdout.ends_with("::notice title=labgrade score::sum-array: 0 / 100 points\n"));

    let summary_dir = tempfile::tempdir().unwrap();
    let summary = summary_dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let (code, stdout) = grade(
        "remainder_dropped",
        QUICK,
        &["--format", "github"],
        &[("GITHUB_STEP_SUMMARY", &summary)],
    );
    assert_eq!(code, 1);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[0].starts_with(
            "::error file=tests/fixtures/sum-array/remainder_dropped/src/bin/sum_array_threads.rs,line=1,title=threads-sum 20/40%3A Threads%3A the sum is right for every worker count::1 of 2 cases failed%0Acase workers=3: expected `sum` to be "
        ),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with(
            "::error file=tests/fixtures/sum-array/remainder_dropped/src/bin/sum_array_processes.rs,line=1,title=processes-sum 20/40%3A"
        ),
        "{stdout}"
    );
    assert_eq!(
        lines[2],
        "::notice title=labgrade score::sum-array: 60 / 100 points"
    );
    // The step summary is appended to, as a Markdown table.
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("earlier step\n### labgrade: sum-array · 60 / 100 points\n"));
    assert!(
        text.contains("| check | status | score | cases passed |\n| --- | --- | --- | --- |\n")
    );
    assert!(text.contains("| build | ✅ built | 0 / 0 | |\n"), "{text}");
    assert!(
        text.contains(
            "| `threads-sum` Threads: the sum is right for every worker count | 🟡 partial | 20 / 40 | 1 of 2 |\n"
        ),
        "{text}"
    );
}

#[test]
fn several_reports_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let json = dir.path().join("report.json");
    let gradescope = dir.path().join("results.json");
    grade_all_pass()
        .arg("--report")
        .arg(format!("junit={}", junit.display()))
        .arg("--report")
        .arg(format!("json={}", json.display()))
        .arg("--report")
        .arg(format!("gradescope={}", gradescope.display()))
        .run()
        .code(0)
        .stdout_has("score 100 / 100");
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .starts_with("<?xml")
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["score"], 100.0);
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(&gradescope).unwrap()).unwrap();
    assert_eq!(results["score"], 100.0);

    grade_all_pass()
        .args(["--report", "yaml=x.yaml"])
        .run()
        .code(2)
        .stderr_has("unknown format `yaml`");
}

/// A course folder whose `sum-array` rubric is the visibility rubric, grading the skeleton in
/// `exercises/sum-array` (which sums nothing).
fn course_with_visibility_rubric() -> tempfile::TempDir {
    let course = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(course.path().join("rubrics")).unwrap();
    std::fs::create_dir_all(course.path().join("exercises")).unwrap();
    let package: PathBuf = root().join("exercises/sum-array");
    let rubric = std::fs::read_to_string(root().join(VISIBILITY))
        .unwrap()
        .replace(
            r#"package = "../../../exercises/sum-array""#,
            &format!("package = {:?}", package.display().to_string()),
        );
    std::fs::write(course.path().join("rubrics/sum-array.toml"), rubric).unwrap();
    course
}

#[test]
fn hidden_checks_are_left_out_of_the_self_check_and_verdicts_hide_expected_values() {
    let course = course_with_visibility_rubric();
    let output = Cli::check("sum-array")
        .args(["--format", "json", "--seed", "7", "--root"])
        .arg(course.path())
        .run();
    let report: Value = serde_json::from_str(&output.stdout())
        .unwrap_or_else(|error| panic!("{error}: {}", output.stderr()));
    let ids = check_ids(&report);
    assert_eq!(ids, ["threads-sum", "threads-usage"], "{report:#}");
    assert_eq!(report["hidden"]["checks"], 1);
    assert_eq!(report["hidden"]["points"], 35.0);
    assert_eq!(report["max_score"], 65.0);
    let text = report.to_string();
    assert!(!text.contains("processes-sum"), "{report:#}");
    // The skeleton sums nothing: the case fails, but the right sum is not in the report.
    let threads = &report["checks"][0];
    assert_eq!(threads["details"], "verdict");
    let failure = &threads["cases"][0]["failures"][0];
    assert_eq!(failure["what"], "compare");
    assert!(
        failure["expected"]
            .as_str()
            .unwrap()
            .starts_with("(not shown")
    );
    assert!(!text.contains("`sum` to be"), "{report:#}");

    // The readable self-check says so too.
    Cli::check("sum-array")
        .args(["--seed", "7", "--root"])
        .arg(course.path())
        .run()
        .code(1)
        .stdout_has(
            "note: 1 hidden check worth 35 points is not run here; your TA's grading runs it",
        )
        .stdout_has("expected (not shown")
        .stdout_lacks("processes-sum");

    // A TA's grade runs the hidden check and shows every detail.
    let (_, stdout) = grade("remainder_dropped", VISIBILITY, &["--format", "json"], &[]);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["checks"][1]["id"], "processes-sum");
    assert_eq!(report["checks"][1]["visibility"], "hidden");
    assert!(report.get("hidden").is_none());
    assert!(report.to_string().contains("`sum` to be"));
}

#[test]
fn batch_writes_one_junit_file_for_the_class() {
    if find_tool(&["xmllint"], "it validates JUnit reports against the XSD").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let class = dir.path().join("class");
    std::fs::create_dir_all(&class).unwrap();
    for (student, fixture) in [("alice", "all_pass"), ("bob", "compile_error")] {
        copy_dir(
            &root().join("tests/fixtures/sum-array").join(fixture),
            &class.join(student),
        );
    }
    let junit = dir.path().join("class.xml");
    Cli::batch(&class, QUICK, &dir.path().join("out"))
        .args(["--quiet", "--jobs", "2"])
        .arg("--report")
        .arg(format!("junit={}", junit.display()))
        .run()
        .code(0);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"<testsuite name="alice""#), "{xml}");
    assert!(xml.contains(r#"<testsuite name="bob""#), "{xml}");
    xmllint_validates(&junit);

    Cli::batch(&class, QUICK, &dir.path().join("out"))
        .args(["--report", "gradescope=x.json"])
        .run()
        .code(2)
        .stderr_has("only `junit`");
}

/// The quick rubric, written into `dir` with threads-sum over worker counts 1, 3, 6 and 7: a
/// dropped remainder breaks 3, 6 and 7 alike (the array's length is divisible by 1 only).
fn quick_rubric_with_more_workers(dir: &Path) -> PathBuf {
    let text = crate::support::quick_rubric_text().replacen(
        "cases = { workers = [1, 3] }",
        "cases = { workers = [1, 3, 6, 7] }",
        1,
    );
    assert!(text.contains("[1, 3, 6, 7]"), "{text}");
    let rubric = dir.join("sum-array.toml");
    std::fs::write(&rubric, text).unwrap();
    rubric
}

#[test]
fn a_failure_repeated_over_cases_is_said_once_with_the_cases_listed() {
    let dir = tempfile::tempdir().unwrap();
    let rubric = quick_rubric_with_more_workers(dir.path());
    let (code, stdout) = grade(
        "remainder_dropped_threads",
        rubric.to_str().unwrap(),
        &[],
        &[],
    );
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(
            "✗ 3 cases fail alike: workers=3, workers=6, workers=7 (case workers=3 is shown)"
        ),
        "{stdout}"
    );
    // The first case's expectation and replay line, once; no block for the others.
    assert_eq!(
        stdout.matches("expected `sum` to be").count(),
        1,
        "{stdout}"
    );
    assert_eq!(stdout.matches("replay: LABGRADE").count(), 1, "{stdout}");
    assert!(!stdout.contains("✗ case workers=6"), "{stdout}");
    assert!(stdout.contains("(1 of 4 cases)"), "{stdout}");
}

/// The human report of a failing submission, whole: what each failed case expected, what it
/// got, and how to replay it.
#[test]
fn a_failing_submission_reads_as_a_person_is_shown_it() {
    let graded = Grade::new("tests/fixtures/sum-array/remainder_dropped", QUICK)
        .seed(7)
        .run()
        .code(1);
    machine_independent().bind(|| {
        insta::assert_snapshot!(graded.stdout(), @r"
        sum-array · submission `tests/fixtures/sum-array/remainder_dropped` · seed 7 (replay: --seed 7)
        sandbox: [CONTAINMENT]

             ok build: [BUILD]
        partial threads-sum: Threads: the sum is right for every worker count 20/40 (1 of 2 cases)
                ✗ case workers=3
                    expected `sum` to be 200166654
                    but      `sum` was 200165870
                    replay: LABGRADE_ARRAY_LEN=400000 LABGRADE_SEED=15245304162608291110 cargo run --quiet --release --bin sum_array_threads -- 3
        partial processes-sum: Processes: the sum is right for every worker count 20/40 (1 of 2 cases)
                ✗ case workers=3
                    expected `sum` to be 200020909
                    but      `sum` was 200020274
                    replay: LABGRADE_ARRAY_LEN=400000 LABGRADE_SEED=7996036424501550640 cargo run --quiet --release --bin sum_array_processes -- 3
           pass threads-usage: Threads: a missing worker count is refused with a message 20/20 (1 of 1 cases)

        score 60 / 100
        ");
    });
}

#[test]
fn the_sandbox_speaks_plainly_and_verbose_lists_each_measure() {
    let (code, plain) = grade("all_pass", QUICK, &[], &[]);
    assert_eq!(code, 0, "{plain}");
    assert!(
        plain.contains("sandbox: your program ran with time and memory limits"),
        "{plain}"
    );
    assert!(!plain.contains("contained:"), "{plain}");
    let (code, verbose) = grade("all_pass", QUICK, &["--verbose"], &[]);
    assert_eq!(code, 0, "{verbose}");
    assert!(verbose.contains("contained: rlimits"), "{verbose}");
    assert!(!verbose.contains("sandbox: your program ran"), "{verbose}");
}

#[test]
fn grading_says_on_stderr_what_it_is_doing_unless_quiet() {
    // Files no test built before (a comment of their own), so that this grading compiles.
    let dir = tempfile::tempdir().unwrap();
    unique_copy(
        &root().join("tests/fixtures/sum-array/all_pass"),
        dir.path(),
        "src/bin/sum_array_threads.rs",
    );
    let run = |quiet: bool| {
        let grade = Grade::new(dir.path(), QUICK).format("json");
        if quiet { grade.arg("--quiet") } else { grade }
            .run()
            .code(0)
    };
    let output = run(false);
    let stderr = output.stderr();
    // Not a terminal: a line per step, and one per check rather than per case.
    assert!(stderr.contains("labgrade: building\n"), "{stderr}");
    assert!(
        stderr.contains("labgrade: check 1 of 3, threads-sum\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("labgrade: check 3 of 3, threads-usage\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("case workers="), "{stderr}");
    // stdout is the report alone.
    let report: Value = serde_json::from_slice(&output.output.stdout).unwrap();
    assert_eq!(report["status"], "graded");
    let quiet = run(true);
    assert!(quiet.output.stderr.is_empty(), "{}", quiet.stderr());
    // The same files again: their build is reused, and the step says so.
    let again = run(false);
    let stderr = again.stderr();
    assert!(
        stderr.contains("labgrade: these files were built before: reusing that build\n")
            && !stderr.contains("labgrade: building"),
        "{stderr}"
    );
}

#[test]
fn a_first_build_says_that_it_compiles_the_dependencies() {
    let cache = tempfile::tempdir().unwrap();
    let output = grade_all_pass().cache_dir(cache.path()).run().code(0);
    let stderr = output.stderr();
    assert!(
        stderr.contains(
            "labgrade: building; the first build also compiles the exercise's dependencies"
        ),
        "{stderr}"
    );
}
