//! Every human-facing format shows student text inert.

use serde_json::json;

use super::{Format, write_step_summary};
use crate::grade::Grade;

/// What a hostile student writes: a clipboard write (OSC 52), a window title (OSC 0), a
/// clear screen (CSI), a carriage return before a workflow command, a right-to-left override.
const HOSTILE: &str =
    "\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}]0;owned\u{7}\u{1b}[2J\r::error::pwned\u{202e}x";
/// [`HOSTILE`] as every human-facing format shows it.
const SHOWN: &str =
    "\\u{1b}]52;c;cHduZWQ=\\u{7}\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\r::error::pwned\\u{202e}x";

/// A grade with [`HOSTILE`] wherever a student's text can be: the submission's path,
/// compiler output, a failed case's value, note and stderr.
fn hostile_grade() -> Grade {
    serde_json::from_value(json!({
        "version": 1, "labgrade_version": "0", "exercise": "sum-array", "rubric": "r.toml",
        "submission": format!("class/{HOSTILE}"), "seed": 3, "status": "graded",
        "score": 0.0, "max_score": 100.0,
        "build": { "status": "compile_error", "score": 0.0, "max_score": 0.0,
                   "duration_ms": 1500, "missing_files": [],
                   "diagnostics": format!("error: {HOSTILE}\n --> src/bin/a.rs:1:1\n  |\n1 | compile_error!(\"{HOSTILE}\");\n") },
        "checks": [{
            "id": "sum", "title": "The sum", "score": 0.0, "max_score": 100.0,
            "status": "failed",
            "cases": [{
                "name": "workers=1", "passed": false, "score": 0.0, "runs": 1,
                "passed_runs": 0,
                "replay": { "seed": 7, "vars": { "workers": "1" }, "command": [], "env": {},
                            "shell": "cargo run -- 1" },
                "observed": {
                    "termination": { "kind": "exited", "code": 0 },
                    "termination_text": "exited with code 0",
                    "wall_ms": 12, "cpu_us": 0,
                    "stdout": { "text": "", "total_bytes": 0, "truncated": false },
                    "stderr": { "text": format!("{HOSTILE}\nsecond {HOSTILE}\r\n"),
                                "total_bytes": 10, "truncated": false },
                    "leftover_processes": 0, "containment": [], "captures": {},
                    "notes": [format!("note {HOSTILE}")]
                },
                "failures": [{ "what": "compare", "expected": "`sum` to be 42",
                               "actual": format!("`sum` was {HOSTILE}") }]
            }]
        }]
    }))
    .unwrap()
}

fn render(format: Format) -> String {
    let mut out = Vec::new();
    format
        .reporter_in(None)
        .report(&hostile_grade(), &mut out)
        .unwrap();
    String::from_utf8(out).unwrap()
}

/// Asserts that `text` holds no control character but line breaks, and shows the hostile
/// text visibly.
#[track_caller]
fn assert_inert(format: &str, text: &str) {
    let raw: Vec<char> = text
        .chars()
        .filter(|character| {
            (character.is_control() && *character != '\n') || *character == '\u{202e}'
        })
        .collect();
    assert!(raw.is_empty(), "{format} sends {raw:?}:\n{text}");
    assert!(
        text.contains(SHOWN),
        "{format} does not show the text:\n{text}"
    );
}

#[test]
fn student_text_is_shown_inert_in_every_human_format() {
    // labgrade's own styles stay; nothing else may reach a terminal as a control.
    let human = render(Format::Human);
    let own_styles = regex::Regex::new("\u{1b}\\[[0-9;]*m").unwrap();
    assert!(own_styles.is_match(&human), "{human}");
    assert_inert("human", &own_styles.replace_all(&human, ""));

    let github = render(Format::Github);
    assert_inert("github", &github.replace("%0A", "\n"));
    for line in github.lines() {
        assert!(
            ["::error ", "::warning ", "::notice "]
                .iter()
                .any(|start| line.starts_with(start)),
            "a line that is not labgrade's annotation: {line:?}"
        );
    }

    assert_inert("junit", &render(Format::Junit));

    let gradescope: serde_json::Value = serde_json::from_str(&render(Format::Gradescope)).unwrap();
    let outputs: Vec<&str> = gradescope["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|test| test["output"].as_str().unwrap())
        .collect();
    assert_inert("gradescope", &outputs.join("\n"));

    let mut summary = Vec::new();
    write_step_summary(&hostile_grade(), &mut summary).unwrap();
    let summary = String::from_utf8(summary).unwrap();
    assert!(
        !summary.chars().any(|c| c.is_control() && c != '\n'),
        "{summary}"
    );
}
