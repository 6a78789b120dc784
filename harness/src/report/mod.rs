//! Reports: a [`Grade`] written in the format its reader wants.
//!
//! Each format is one file behind the [`Reporter`] trait. Reporters write to a
//! `&mut dyn Write` and never print, so tests render them into a buffer.

mod canvas_gradebook;
mod doctor;
mod github;
mod gradebook;
mod gradebook_export;
mod gradescope;
mod html;
mod human;
mod inert;
mod json;
mod junit;
mod moodle_gradebook;
mod selfcheck;
mod summary;

use std::io::{self, Write};

pub use doctor::write_doctor;
pub use github::{Github, escape_data, escape_property, write_step_summary};
pub use gradebook::write_gradebook;
pub use gradebook_export::{ClassGradebook, GradebookExport};
pub use gradescope::Gradescope;
pub use html::{ClassStudent, write_html};
pub use human::Human;
pub use inert::{inert, inert_line};
pub use json::Json;
pub use junit::{Junit, write_class as write_class_junit};
pub use selfcheck::write_selfcheck;
pub use summary::write_summary;

use crate::grade::Grade;

/// Writes a grade in one format.
pub trait Reporter {
    /// Writes `grade` to `out`.
    fn report(&self, grade: &Grade, out: &mut dyn Write) -> io::Result<()>;
}

/// The formats `--format` accepts (their names are clap's, from the variants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Coloured text for people.
    Human,
    /// The versioned JSON report (`docs/report-format.md`).
    Json,
    /// `JUnit` XML, for CI test reports.
    Junit,
    /// Gradescope's autograder `results.json`.
    Gradescope,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

impl Format {
    /// Every format, with its name on the command line.
    pub const ALL: [(&'static str, Format); 5] = [
        ("human", Format::Human),
        ("json", Format::Json),
        ("junit", Format::Junit),
        ("gradescope", Format::Gradescope),
        ("github", Format::Github),
    ];

    /// The reporter for this format, for a repository in folder `workspace` (GitHub
    /// annotations name files relative to it).
    #[must_use]
    pub fn reporter_in(self, workspace: Option<std::path::PathBuf>) -> Box<dyn Reporter> {
        match self {
            Self::Human => Box::new(Human::default()),
            Self::Json => Box::new(Json),
            Self::Junit => Box::new(Junit),
            Self::Gradescope => Box::new(Gradescope),
            Self::Github => Box::new(Github { workspace }),
        }
    }

    /// The format named `name`.
    pub fn from_name(name: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, format)| *format)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|(known, _)| *known).collect();
                format!("unknown format `{name}`; use one of {}", names.join(", "))
            })
    }

    /// A `--report` argument, `FORMAT=PATH`, such as `junit=results/junit.xml`.
    pub fn parse_target(text: &str) -> Result<(Self, std::path::PathBuf), String> {
        let (name, path) = text
            .split_once('=')
            .filter(|(_, path)| !path.is_empty())
            .ok_or_else(|| {
                format!("`{text}` is not FORMAT=PATH, such as `junit=results/junit.xml`")
            })?;
        Ok((Self::from_name(name)?, path.into()))
    }
}

/// Points as people write them: `40`, `26.67`.
#[must_use]
pub fn points(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    if (rounded - rounded.round()).abs() < f64::EPSILON {
        format!("{}", rounded.round() as i64)
    } else {
        format!("{rounded:.2}").trim_end_matches('0').to_owned()
    }
}

/// What a self-check left out, in the words every format shares: `1 hidden check worth 35 points
/// is not run here; your TA's grading runs it`.
pub(crate) fn hidden_sentence(hidden: &crate::grade::HiddenChecks) -> String {
    let one = hidden.checks == 1;
    format!(
        "{} hidden check{} worth {} points {} not run here; your TA's grading runs {}",
        hidden.checks,
        if one { "" } else { "s" },
        points(hidden.points),
        if one { "is" } else { "are" },
        if one { "it" } else { "them" },
    )
}

/// The `expected …` / `but …` lines of a case's failures, each after `indent`, in the words
/// every text format shares, each one line with its student text inert. The `runs` failure
/// (how many runs passed) is said elsewhere.
pub(crate) fn failure_lines(case: &crate::grade::CaseGrade, indent: &str) -> Vec<String> {
    case.failures
        .iter()
        .filter(|failure| failure.what != crate::grade::FailureKind::Runs)
        .flat_map(|failure| {
            [
                format!("{indent}expected {}", inert_line(&failure.expected)),
                format!("{indent}but      {}", inert_line(&failure.actual)),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
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

        let gradescope: serde_json::Value =
            serde_json::from_str(&render(Format::Gradescope)).unwrap();
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
}
