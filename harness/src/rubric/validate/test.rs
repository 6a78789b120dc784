//! `test = { file, name }`: a check that runs one test of a test file kept beside the rubric,
//! instead of the program. Such a check is the test and its points: what would shape or judge a
//! program's runs (arguments, cases, matchers, the tracer's keys) has no meaning for it.

use std::path::{Component, PathBuf};

use regex::RegexBuilder;

use crate::rubric::error::Problem;
use crate::rubric::model::{HIDDEN_TESTS_FOLDER, Matcher, RubricTest, Visibility};
use crate::rubric::wire::{CheckWire, TestWire};

use super::parse::Validator;

/// The line libtest ends with when the one test it ran passed: a run that ends with status 0
/// without it ran no test, or left before its end (a `process::exit(0)` in the student's code).
pub(super) const PASSED_LINE: &str = r"^test result: ok\. 1 passed; 0 failed;";

impl Validator {
    /// The check's `test`, if any, with the matcher that proves the test ran to its end; every
    /// key that cannot go with it is a problem.
    pub(super) fn test(
        &mut self,
        wire: &CheckWire,
        visibility: Visibility,
    ) -> Option<(RubricTest, Matcher)> {
        let spanned = wire.test.as_ref()?;
        let TestWire { file, name } = spanned.get_ref();
        let before = self.problems.len();
        let path = PathBuf::from(file.get_ref());
        let inside = path
            .components()
            .all(|part| matches!(part, Component::Normal(_)));
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        if !inside || path.extension().is_none_or(|ext| ext != "rs") || !is_identifier(&stem) {
            self.problems.push(
                Problem::new(
                    Some(file.span()),
                    format!("`{}` is not a test file beside the rubric", file.get_ref()),
                )
                .help("write a relative path without `..` to a `.rs` file whose name is a Rust identifier, such as `hidden-tests/copy.rs`"),
            );
        }
        if name.get_ref().split("::").any(|part| !is_identifier(part)) {
            self.problems.push(
                Problem::new(
                    Some(name.span()),
                    format!("`{}` is not the name of a test", name.get_ref()),
                )
                .help("write the test function's name, with its modules inside the file if any: `reads_in_pieces` or `edge::empty`"),
            );
        }
        for key in conflicting_keys(wire) {
            self.problems.push(
                Problem::new(
                    Some(spanned.span()),
                    format!("`test` cannot go with `{key}`"),
                )
                .help("a `test` check runs one test of the file: it passes when the test passes, within the check's limits"),
            );
        }
        let test = RubricTest {
            file: path,
            name: name.get_ref().clone(),
        };
        if test.is_hidden_file() && visibility != Visibility::Hidden {
            self.problems.push(
                Problem::new(
                    Some(file.span()),
                    format!("a test of a `{HIDDEN_TESTS_FOLDER}` folder runs in a hidden check"),
                )
                .help("add `visibility = \"hidden\"`: students never get this folder (`labgrade publish` leaves it out), so their `labgrade check` could not build it"),
            );
        }
        let passed = RegexBuilder::new(PASSED_LINE)
            .multi_line(true)
            .build()
            .ok()?;
        (self.problems.len() == before).then_some((test, Matcher::Regex(passed)))
    }
}

/// The keys of `wire` that shape or judge a program's runs, which a `test` check has no use for.
fn conflicting_keys(wire: &CheckWire) -> Vec<&'static str> {
    [
        ("args", !wire.args.is_empty()),
        ("env", !wire.env.is_empty()),
        ("cases", wire.cases.is_some()),
        ("expect", wire.expect.is_some()),
        ("stdout", !wire.stdout.is_empty()),
        ("stderr", !wire.stderr.is_empty()),
        ("compare", !wire.compare.is_empty()),
        ("census", wire.census.is_some()),
        ("expect-child", wire.expect_child.is_some()),
        ("perturb", wire.perturb.is_some()),
        ("start-together", wire.start_together.is_some()),
        ("hold-until-waited", wire.hold_until_waited.is_some()),
        ("fault", wire.fault.is_some()),
        ("syscalls", wire.syscalls.is_some()),
        ("short-reads", wire.short_reads.is_some()),
        (
            "parallelism",
            wire.parallelism || wire.parallelism_time.is_some(),
        ),
    ]
    .into_iter()
    .filter_map(|(key, set)| set.then_some(key))
    .collect()
}

/// Whether `text` is a Rust identifier (ASCII): a module or function name.
fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && text != "_"
}
