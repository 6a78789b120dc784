//! The content self-check: every reference solution earns full marks, every skeleton does not,
//! and every exercise has a rubric and the other way round.

use std::path::{Path, PathBuf};

use crate::error::{Error, io};
use crate::grade::Grade;
use crate::grader::Grader;
use crate::rubric;

/// Folder of an exercise package that holds its reference solution.
pub const SOLUTION_DIR: &str = "solution";
/// Folders of `exercises/` that are shared crates, not exercises.
pub const SHARED_CRATES: [&str; 1] = ["support"];

/// One finding of the self-check.
#[derive(Debug)]
pub struct Finding {
    /// The exercise concerned.
    pub exercise: String,
    /// What was checked.
    pub subject: Subject,
    /// Whether it is as it should be.
    pub ok: bool,
    /// What was found, in words.
    pub detail: String,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The exercise folder and its rubric exist together.
    Layout,
    /// The reference solution must earn full marks.
    Solution,
    /// The skeleton must not.
    Skeleton,
}

/// Runs the self-check over the course at `root` (the folder with `rubrics/` and `exercises/`).
pub fn selfcheck(root: &Path, grader: &Grader) -> Result<Vec<Finding>, Error> {
    let rubrics_dir = root.join("rubrics");
    let exercises_dir = root.join("exercises");
    let mut findings = Vec::new();
    let rubric_names = names(&rubrics_dir, |path| {
        path.extension()
            .is_some_and(|ext| ext == "toml")
            .then(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .flatten()
    })?;
    let exercise_names = names(&exercises_dir, |path| {
        let name = path.file_name()?.to_string_lossy().into_owned();
        (path.is_dir() && !SHARED_CRATES.contains(&name.as_str())).then_some(name)
    })?;
    for name in exercise_names
        .iter()
        .filter(|name| !rubric_names.contains(name))
    {
        findings.push(Finding {
            exercise: name.clone(),
            subject: Subject::Layout,
            ok: false,
            detail: format!("`exercises/{name}` has no rubric `rubrics/{name}.toml`"),
        });
    }
    for name in &rubric_names {
        let rubric_path = rubrics_dir.join(format!("{name}.toml"));
        let rubric = rubric::load(&rubric_path)?;
        if rubric.exercise.name != *name {
            findings.push(Finding {
                exercise: name.clone(),
                subject: Subject::Layout,
                ok: false,
                detail: format!(
                    "`{}` names exercise `{}`; rename one of them",
                    rubric_path.display(),
                    rubric.exercise.name
                ),
            });
        }
        let package = rubric.exercise.package.clone();
        let solution = grader.grade(&rubric, &package.join(SOLUTION_DIR))?;
        findings.push(Finding {
            exercise: name.clone(),
            subject: Subject::Solution,
            ok: solution.is_full_marks(),
            detail: summary(&solution),
        });
        let skeleton = grader.grade(&rubric, &package)?;
        findings.push(Finding {
            exercise: name.clone(),
            subject: Subject::Skeleton,
            ok: !skeleton.is_full_marks(),
            detail: summary(&skeleton),
        });
    }
    Ok(findings)
}

fn summary(grade: &Grade) -> String {
    let failing: Vec<&str> = grade
        .checks
        .iter()
        .filter(|check| check.score < check.max_score)
        .map(|check| check.id.as_str())
        .collect();
    let mut text = format!(
        "{} / {} (seed {})",
        crate::report::points(grade.score),
        crate::report::points(grade.max_score),
        grade.seed
    );
    if !failing.is_empty() {
        text = format!("{text}; short of full marks in {}", failing.join(", "));
    }
    text
}

fn names(dir: &Path, pick: impl Fn(&Path) -> Option<String>) -> Result<Vec<String>, Error> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(io("read", dir))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter_map(|path: PathBuf| pick(&path))
        .collect();
    names.sort();
    Ok(names)
}
