//! Tests of the validator, one file per concept under `tests/`, with the helpers they share:
//! each parses a small rubric and looks at what came out, or at the problems reported.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::build::DEFAULT_BUILD_TIMEOUT;
use super::limits::{DEFAULT_CASE_TIMEOUT, DEFAULT_OUTPUT_BYTES};
use super::matchers::MATCHER_KINDS;
use super::parse;
use super::task_start::START_TOGETHER_QUIET;
use crate::rubric::{
    CensusCount, Check, Expect, Expected, Matcher, Oracle, Profile, Rubric, RubricError, RunLimits,
    Scoring, Source, TaskStart,
};
use crate::run::HoldOrder;

/// Lines 1 to 4 of most test rubrics.
const EXERCISE: &str = "[exercise]\nname = \"t\"\npackage = \"pkg\"\nfiles = [\"src/main.rs\"]\n";

/// Where a problem is, what it says and its help.
type Found = ((usize, usize), String, Option<String>);

fn parse_ok(text: &str) -> Rubric {
    match parse(Path::new("t.toml"), text) {
        Ok(rubric) => rubric,
        Err(error) => panic!("the rubric was refused: {error}"),
    }
}

/// Every problem of `text`, in file order.
fn problems(text: &str) -> Vec<Found> {
    match parse(Path::new("t.toml"), text) {
        Ok(_) => panic!("the rubric was accepted:\n{text}"),
        Err(RubricError::Invalid {
            problems,
            text,
            path,
        }) => {
            assert_eq!(path, Path::new("t.toml"));
            problems
                .iter()
                .map(|problem| {
                    let at = problem
                        .line_column(&text)
                        .expect("every problem has a position");
                    (at, problem.message.clone(), problem.help.clone())
                })
                .collect()
        }
        Err(error) => panic!("unexpected error: {error}"),
    }
}

/// The only problem of `text`.
#[track_caller]
fn problem(text: &str) -> Found {
    let mut found = problems(text);
    assert_eq!(found.len(), 1, "{found:#?}");
    found.remove(0)
}

/// [`EXERCISE`] and one check `a` whose table ends with `keys`, from line 10 on.
fn with_check(keys: &str) -> String {
    format!("{EXERCISE}[[check]]\nid = \"a\"\ntitle = \"A\"\npoints = 10\nrun = \"prog\"\n{keys}")
}

fn found(line: usize, column: usize, message: &str, help: Option<&str>) -> Found {
    ((line, column), message.to_owned(), help.map(str::to_owned))
}

fn ids(rubric: &Rubric) -> Vec<&str> {
    rubric
        .checks
        .iter()
        .map(|check| check.id.as_str())
        .collect()
}

fn case_names(check: &Check) -> Vec<&str> {
    check
        .runs
        .cases
        .iter()
        .map(|case| case.name.as_str())
        .collect()
}

/// The sum-array rubric of the course, which must be valid.
fn sum_array_rubric() -> Rubric {
    let text = include_str!("../../../../rubrics/sum-array.toml");
    match parse(Path::new("rubrics/sum-array.toml"), text) {
        Ok(rubric) => rubric,
        Err(error) => panic!("{error}"),
    }
}

mod cases;
mod check;
mod compare;
mod exercise;
mod expect;
mod limits;
mod matchers;
mod needs;
mod observing;
mod rubric;
mod style;
mod task_start;
mod test;
