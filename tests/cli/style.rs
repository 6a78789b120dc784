//! Style checks: clippy's and rustfmt's findings, with their lint and the student's
//! `file:line`, in the JSON, human and GitHub reports; clippy contained as the build is.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Grade, root};

/// A rubric of wait-for-me's files with the shipped rubric's two style checks and nothing that
/// runs the programs, in `dir`: a grade is a build, clippy and rustfmt.
fn style_rubric(dir: &Path) -> PathBuf {
    let rubric = dir.join("style.toml");
    let package = root().join("exercises/wait-for-me");
    std::fs::write(
        &rubric,
        format!(
            r#"[exercise]
name = "wait-for-me"
package = "{}"
files = ["src/bin/wait_for_me_threads.rs", "src/bin/wait_for_me_processes.rs"]

[build]
profile = "release"

[[check]]
id = "style-clippy"
title = "Clippy"
points = 2
clippy = {{ lints = ["zombie_processes", "unused_io_amount"], points-per-finding = 1 }}

[[check]]
id = "style-format"
title = "Formatted"
points = 1
rustfmt = true
"#,
            package.display()
        ),
    )
    .unwrap();
    rubric
}

fn fixture(outcome: &str) -> PathBuf {
    root().join("tests/fixtures/wait-for-me").join(outcome)
}

/// The 1-based line of `file` that contains `needle`.
fn line_of(file: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(file).unwrap();
    1 + text
        .lines()
        .position(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("{needle} is not in {}", file.display()))
}

/// A copy of the solution in `dir`, its processes program given `extra` at its end.
fn solution_with(dir: &Path, extra: &str) -> PathBuf {
    let submission = dir.join("submission");
    let bin = submission.join("src/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let solution = root().join("exercises/wait-for-me/solution/src/bin");
    for name in ["wait_for_me_threads.rs", "wait_for_me_processes.rs"] {
        std::fs::copy(solution.join(name), bin.join(name)).unwrap();
    }
    let processes = bin.join("wait_for_me_processes.rs");
    let mut text = std::fs::read_to_string(&processes).unwrap();
    text.push_str(extra);
    std::fs::write(&processes, text).unwrap();
    submission
}

#[test]
fn a_clippy_finding_names_its_lint_and_the_students_line_in_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let rubric = style_rubric(dir.path());
    let submission = fixture("clippy_finding");
    let file = "src/bin/wait_for_me_processes.rs";
    let line = line_of(&submission.join(file), "file.write(");

    let graded = Grade::new(&submission, &rubric).json();
    let check = graded.check("style-clippy");
    assert_eq!(
        (check["status"].as_str(), check["score"].as_f64()),
        (Some("partial"), Some(1.0))
    );
    let findings = check["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["kind"], "lint");
    assert_eq!(findings[0]["lint"], "unused_io_amount");
    assert_eq!(findings[0]["file"], file);
    assert_eq!(findings[0]["line"], line);
    assert_eq!(findings[0]["column"], 5);
    // Formatted as rustfmt writes it: nothing found, full points.
    let format = graded.check("style-format");
    assert_eq!(
        (format["status"].as_str(), format["findings"].as_array()),
        (Some("passed"), None)
    );

    // The second grade takes the kept build and its findings: the same place.
    Grade::new(&submission, &rubric).run().stdout_has(format!(
        "{file}:{line}:5: clippy::unused_io_amount: written amount is not handled"
    ));
    // An annotation on the student's line, named as the repository knows it.
    Grade::new(&submission, &rubric).format("github").run().stdout_has(format!(
        "::error file=tests/fixtures/wait-for-me/clippy_finding/{file},line={line},col=5,title=style-clippy 1/2%3A clippy%3A%3Aunused_io_amount::written amount is not handled"
    ));
}

#[test]
fn an_unformatted_region_is_found_at_its_first_changed_line() {
    let dir = tempfile::tempdir().unwrap();
    let submission = fixture("unformatted");
    let file = "src/bin/wait_for_me_threads.rs";
    let line = line_of(
        &submission.join(file),
        "for element in array { element.store",
    );
    let graded = Grade::new(&submission, style_rubric(dir.path())).json();
    let check = graded.check("style-format");
    assert_eq!(
        (check["status"].as_str(), check["score"].as_f64()),
        (Some("failed"), Some(0.0))
    );
    let places: Vec<(Value, Value, Value)> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            (
                finding["kind"].clone(),
                finding["file"].clone(),
                finding["line"].clone(),
            )
        })
        .collect();
    assert_eq!(places, [("unformatted".into(), file.into(), line.into())]);
    assert_eq!(graded.check("style-clippy")["status"], "passed");
}

#[test]
fn allowing_a_graded_lint_is_itself_a_finding_that_costs_every_point() {
    let dir = tempfile::tempdir().unwrap();
    let submission = solution_with(
        dir.path(),
        "\n#[allow(clippy::unused_io_amount)]\nfn _hidden(out: &mut dyn std::io::Write) {\n    let _ = out.write(b\"x\").unwrap();\n}\n",
    );
    let line = line_of(
        &submission.join("src/bin/wait_for_me_processes.rs"),
        "#[allow(clippy::unused_io_amount)]",
    );
    let graded = Grade::new(&submission, style_rubric(dir.path())).json();
    let check = graded.check("style-clippy");
    assert_eq!(
        (check["status"].as_str(), check["score"].as_f64()),
        (Some("failed"), Some(0.0))
    );
    let finding = &check["findings"][0];
    assert_eq!(
        (
            finding["kind"].as_str(),
            finding["lint"].as_str(),
            finding["line"].as_u64()
        ),
        (Some("allowed"), Some("unused_io_amount"), Some(line as u64))
    );
}

#[test]
fn clippy_never_sees_labgrades_environment() {
    // Code only clippy compiles (`cfg(clippy)`) asks for a secret of labgrade's environment at
    // compile time: the build succeeds without it, and clippy runs with the toolchain's
    // variables only, so it cannot compile it.
    let secret = format!("ci-token-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let submission = solution_with(
        dir.path(),
        "\n#[cfg(clippy)]\npub const SECRET: &str = env!(\"LABGRADE_TEST_SECRET\");\n",
    );
    let graded = Grade::new(&submission, style_rubric(dir.path()))
        .env("LABGRADE_TEST_SECRET", &secret)
        .json();
    assert_eq!(graded.report["build"]["status"], "built");
    let check = graded.check("style-clippy");
    assert_eq!(check["status"], "failed");
    let reason = check["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("clippy could not compile the code"),
        "{reason}"
    );
    assert!(reason.contains("LABGRADE_TEST_SECRET"), "{reason}");
    assert!(!graded.report.to_string().contains(&secret));
}

#[test]
fn clippy_cannot_read_proc() {
    if !crate::hostile::has_landlock() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let submission = solution_with(
        dir.path(),
        "\n#[cfg(clippy)]\npub const ENVIRON: &str = include_str!(\"/proc/1/environ\");\n",
    );
    let graded = Grade::new(&submission, style_rubric(dir.path())).json();
    assert_eq!(graded.report["build"]["status"], "built");
    let check = graded.check("style-clippy");
    assert_eq!(check["status"], "failed");
    let reason = check["reason"].as_str().unwrap();
    assert!(reason.contains("/proc/1/environ"), "{reason}");
    assert!(reason.contains("Permission denied"), "{reason}");
}
