//! `labgrade replay`: a failed case taken from a batch's report runs again with the same seed,
//! environment, delays and fault, and ends the same way; a passing case passes again; a
//! replay with another submission disagrees; an unknown check or case is bad input that names
//! what the report holds.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Cli, Grade, Ran, copy_dir, find_check, root};

/// The quick sum-array rubric of the batch tests.
fn quick_rubric() -> PathBuf {
    root().join("tests/fixtures/batch/sum-array.toml")
}

fn fixture(exercise: &str, outcome: &str) -> PathBuf {
    root().join("tests/fixtures").join(exercise).join(outcome)
}

/// `<id>.tar.gz` of fixture `from`, in folder `class`.
fn tar_gz(class: &Path, id: &str, from: &Path) {
    let file = std::fs::File::create(class.join(format!("{id}.tar.gz"))).unwrap();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::fast(),
    ));
    // Entries named `src/...`: a `.` entry is refused like any path that is not plain.
    builder.append_dir_all("src", from.join("src")).unwrap();
    builder.into_inner().unwrap().finish().unwrap();
}

/// Runs `labgrade replay` from folder `cwd` (not the course root: the report's `workdir` must
/// lead to the rubric).
fn replay(cwd: &Path, report: &Path, target: &str, extra: &[&str]) -> Ran {
    Cli::replay(report, target)
        .current_dir(cwd)
        .args(extra)
        .run()
}

fn report(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[track_caller]
fn case<'a>(report: &'a Value, check: &str, name: &str) -> &'a Value {
    find_check(report, check)["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|case| case["name"] == name)
        .unwrap_or_else(|| panic!("no case {check}/{name} in\n{report:#}"))
}

/// The failure lines the replay prints for a case, as the report words them.
fn failure_lines(case: &Value) -> Vec<String> {
    case["failures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|failure| failure["what"] != "runs")
        .flat_map(|failure| {
            [
                format!("expected {}", failure["expected"].as_str().unwrap()),
                format!("but      {}", failure["actual"].as_str().unwrap()),
            ]
        })
        .collect()
}

#[test]
fn failed_and_passed_cases_of_a_batch_replay_with_the_same_verdict() {
    let class = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    copy_dir(
        &fixture("sum-array", "remainder_dropped"),
        &class.path().join("bob"),
    );
    tar_gz(class.path(), "carol", &fixture("sum-array", "all_pass"));
    Cli::batch(class.path(), quick_rubric(), out.path())
        .args(["--seed", "42", "--quiet", "--jobs", "2"])
        .run()
        .code(0);

    // Bob drops the remainder: 400 000 is not divisible by 3, so `workers=3` fails.
    let bob = out.path().join("reports/bob.json");
    let recorded = report(&bob);
    assert_eq!(recorded["entry"]["kind"], "folder", "{recorded:#}");
    let failed = case(&recorded, "threads-sum", "workers=3");
    assert_eq!(failed["passed"], false);
    assert!(failed["replay"]["limits"]["timeout_ms"].as_u64() == Some(1000));
    let elsewhere = tempfile::tempdir().unwrap();
    let output = replay(elsewhere.path(), &bob, "threads-sum/workers=3", &[]).code(0);
    let stdout = output.stdout();
    let termination = failed["observed"]["termination_text"].as_str().unwrap();
    assert!(
        stdout.contains(&format!("recorded fail: {termination}"))
            && stdout.contains(&format!("now      fail: {termination}")),
        "{stdout}"
    );
    for line in failure_lines(failed) {
        assert_eq!(stdout.matches(&line).count(), 2, "`{line}` in\n{stdout}");
    }
    assert!(
        stdout.contains("agrees: both fail; same termination and same failures"),
        "{stdout}"
    );

    // Bob's one-worker case passed, and passes again.
    replay(elsewhere.path(), &bob, "threads-sum/workers=1", &[])
        .code(0)
        .stdout_has("agrees: both pass");

    // Carol's archive is unpacked again by the batch's own code; every case of the check
    // replays.
    let carol = out.path().join("reports/carol.json");
    assert_eq!(report(&carol)["entry"]["kind"], "tar_gz");
    let output = replay(elsewhere.path(), &carol, "processes-sum", &[]).code(0);
    let stdout = output.stdout();
    assert_eq!(stdout.matches("agrees: both pass").count(), 2, "{stdout}");

    // Another submission, in place of bob's, passes where bob failed: the replay disagrees.
    replay(
        elsewhere.path(),
        &bob,
        "threads-sum/workers=3",
        &[
            "--submission",
            fixture("sum-array", "all_pass").to_str().unwrap(),
        ],
    )
    .code(1)
    .stdout_has("DISAGREES: the report says fail, the replay pass");

    // Bad input names what the report holds.
    let output = replay(elsewhere.path(), &bob, "threads-summ/workers=3", &[]).code(2);
    let stderr = output.stderr();
    assert!(
        stderr.contains("no check `threads-summ`")
            && stderr.contains("`threads-sum` (cases workers=1, workers=3)")
            && stderr.contains("`processes-sum`")
            && stderr.contains("`threads-usage`"),
        "{stderr}"
    );
    let output = replay(elsewhere.path(), &bob, "threads-sum/workers=9", &[]).code(2);
    let stderr = output.stderr();
    assert!(
        stderr.contains("`threads-sum/workers=1`, `threads-sum/workers=3`"),
        "{stderr}"
    );
}

/// `forgot_join` prints the array before its thread negated it; the tracer's seeded delays
/// make the runs show it. The replay derives the same five runs, delays included. (The course
/// rubric holds the thread until the main thread waits instead; this copy perturbs.)
#[test]
fn a_perturbed_repeated_case_replays_its_runs() {
    let out = tempfile::tempdir().unwrap();
    let package = root().join("exercises/wait-for-me");
    let rubric = std::fs::read_to_string(root().join("rubrics/wait-for-me.toml"))
        .unwrap()
        .replace(
            "\"../exercises/wait-for-me\"",
            &format!("{:?}", package.display().to_string()),
        )
        .replace("hold-until-waited = \"newest-first\"", "perturb = true")
        .replace("repeat = 2", "repeat = 5");
    assert!(rubric.contains("perturb = true"), "{rubric}");
    let rubric_path = out.path().join("wait-for-me.toml");
    std::fs::write(&rubric_path, rubric).unwrap();
    let graded = Grade::new(fixture("wait-for-me", "forgot_join"), &rubric_path)
        .format("json")
        .seed(7)
        .run()
        .code(1);
    let path = out.path().join("report.json");
    std::fs::write(&path, &graded.output.stdout).unwrap();
    let recorded = report(&path);
    let failed = case(&recorded, "threads-negated", "default");
    assert_eq!(failed["passed"], false, "{failed:#}");
    let replay_of = &failed["replay"];
    assert_eq!(replay_of["traced"], true);
    assert_eq!(replay_of["perturbation"]["max_delay_us"], 20_000);
    assert_eq!(
        replay_of["perturbation"]["seed"], replay_of["seed"],
        "delays come from the run's seed"
    );
    assert!(replay_of["run"].is_u64(), "{replay_of:#}");

    let output = replay(&root(), &path, "threads-negated/default", &[]).code(0);
    let stdout = output.stdout();
    // Repetition stops at the first failed run, which may be the very first (then no
    // "(passed n of m runs)" is shown): the verdicts must agree either way.
    assert!(
        stdout.contains("recorded fail") && stdout.contains("now      fail"),
        "{stdout}"
    );
    assert!(stdout.contains("agrees: both fail"), "{stdout}");
}

#[test]
fn a_ratio_is_not_replayed_but_named_as_one() {
    let out = tempfile::tempdir().unwrap();
    let graded = Grade::new(
        "exercises/green-threads/solution",
        "rubrics/green-threads.toml",
    )
    .format("json")
    .seed(7)
    .run()
    .code(0);
    let path = out.path().join("report.json");
    std::fs::write(&path, &graded.output.stdout).unwrap();
    let output = replay(&root(), &path, "parallelism", &[]).code(2);
    let stderr = output.stderr();
    assert!(
        stderr.contains(
            "`parallelism` is a ratio of other checks' figures and runs nothing of its own"
        ) && stderr.contains("`kernel-all-steps` (cases default)"),
        "{stderr}"
    );
}

#[test]
fn single_files_and_an_archive_handed_to_grade_replay_as_graded() {
    let tmp = tempfile::tempdir().unwrap();
    let dropped = fixture("sum-array", "remainder_dropped");
    // An upload of single files (no folders), and a `.tar.gz`: `grade` lays the first out at
    // the rubric's paths and unpacks the second, and so must a replay of their reports.
    let flat = tmp.path().join("flat");
    std::fs::create_dir(&flat).unwrap();
    for name in ["sum_array_threads.rs", "sum_array_processes.rs"] {
        std::fs::copy(dropped.join("src/bin").join(name), flat.join(name)).unwrap();
    }
    tar_gz(tmp.path(), "archived", &dropped);
    for submission in [flat, tmp.path().join("archived.tar.gz")] {
        let output = Grade::new(&submission, quick_rubric())
            .format("json")
            .seed(7)
            .run()
            .code(1);
        let path = tmp.path().join("report.json");
        std::fs::write(&path, &output.output.stdout).unwrap();
        let graded = report(&path);
        assert_eq!(graded["score"].as_f64(), Some(60.0), "{graded:#}");
        let output = replay(tmp.path(), &path, "threads-sum/workers=3", &[]).code(0);
        let stdout = output.stdout();
        assert!(
            stdout.contains("agrees"),
            "{}: {stdout}",
            submission.display()
        );
    }
}

#[test]
fn checks_with_one_invocation_are_judged_on_the_same_runs_and_replay_them() {
    // Two more checks of the threads program with the same arguments and cases as
    // `threads-sum` (2 runs of each case), each judging something else of them: one in 2 runs,
    // one in 1. Neither makes a run of its own: they are judged on `threads-sum`'s.
    let dir = tempfile::tempdir().unwrap();
    let mut rubric_text = crate::support::quick_rubric_text().replacen(
        "cases = { workers = [1, 3] }\n",
        "cases = { workers = [1, 3] }\nrepeat = 2\n",
        1,
    );
    for (id, repeat) in [("threads-sum-line", 2), ("threads-sum-once", 1)] {
        writeln!(
            rubric_text,
            r#"
[[check]]
id = "{id}"
title = "Threads: the sum line"
points = 10
run = "sum_array_threads"
args = ["{{workers}}"]
cases = {{ workers = [1, 3] }}
repeat = {repeat}
stdout = [{{ contains = "Array sum is" }}]"#
        )
        .unwrap();
    }
    let rubric = dir.path().join("sum-array.toml");
    std::fs::write(&rubric, rubric_text).unwrap();
    let graded = Grade::new(fixture("sum-array", "all_pass"), &rubric)
        .format("json")
        .seed(11)
        .run()
        .code(0);
    let path = dir.path().join("report.json");
    std::fs::write(&path, &graded.output.stdout).unwrap();
    let recorded = report(&path);
    for name in ["workers=1", "workers=3"] {
        let first = case(&recorded, "threads-sum", name);
        let second = case(&recorded, "threads-sum-line", name);
        assert_eq!(second["runs"], 2, "{second:#}");
        // The very same runs: the seed of the run shown, and what was observed of it, to the
        // microsecond of CPU (what each check captured of it is its own).
        assert_eq!(first["replay"], second["replay"], "{name}");
        for observed in ["cpu_us", "wall_ms", "stdout", "resources"] {
            assert_eq!(
                first["observed"][observed], second["observed"][observed],
                "{name}: {observed}"
            );
        }
        // The check of one run is judged on the first of them, seeded as `threads-sum`'s first.
        let once = case(&recorded, "threads-sum-once", name);
        assert_eq!(once["runs"], 1, "{once:#}");
        assert_eq!(
            once["replay"]["seed"].as_u64().unwrap(),
            labgrade::grade::run_seed(11, "threads-sum", name, 0, 2),
            "{once:#}"
        );
    }
    // The usage check runs the program otherwise: runs of its own, seeded by its own id.
    assert_eq!(
        case(&recorded, "threads-usage", "default")["replay"]["seed"]
            .as_u64()
            .unwrap(),
        labgrade::grade::run_seed(11, "threads-usage", "default", 0, 1)
    );

    // Replayed, each check's case gets the seeds grading gave it.
    for target in ["threads-sum-line/workers=3", "threads-sum-once/workers=1"] {
        let output = replay(&root(), &path, target, &[]).code(0);
        let stdout = output.stdout();
        assert!(stdout.contains("agrees: both pass"), "{stdout}");
        assert!(
            !stdout.contains("is not one this rubric derives"),
            "{stdout}"
        );
    }
}
