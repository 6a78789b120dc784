//! The content self-check: every exercise has a rubric and the other way round, its README
//! lists what the rubric grades, the reference solution earns full marks and the skeleton does
//! not, every correct fixture earns full marks, and every requirement has a mutant that loses
//! exactly its points.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::manifest::{self, FixtureKind, MANIFEST};
use super::{readme, verdict};
use crate::error::{Error, io};
use crate::grade::Grade;
use crate::grader::Grader;
use crate::rubric::{self, Rubric};

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The exercise folder and its rubric exist together.
    Layout,
    /// The README's `How it is graded` table lists the rubric's requirements and points.
    Readme,
    /// The reference solution must earn full marks.
    Solution,
    /// The skeleton must not.
    Skeleton,
    /// Every requirement has a mutant that breaks it.
    Requirements,
    /// A fixture's manifest could not be read or does not fit the rubric.
    Manifest(String),
    /// A fixture graded against what its manifest says it must earn.
    Fixture(String, FixtureKind),
}

/// What the self-check covers.
#[derive(Debug, Clone, Default)]
pub struct SelfcheckOptions {
    /// Only these exercises; every exercise when empty.
    pub exercises: Vec<String>,
    /// The folder that holds a folder of fixtures per exercise (`<fixtures>/<exercise>/<name>/`
    /// with a `fixture.toml`); none graded when `None`.
    pub fixtures: Option<PathBuf>,
}

/// Runs the self-check over the course at `root` (the folder with `rubrics/` and `exercises/`).
pub fn selfcheck(
    root: &Path,
    grader: &Grader,
    options: &SelfcheckOptions,
) -> Result<Vec<Finding>, Error> {
    let rubrics_dir = root.join("rubrics");
    let exercises_dir = root.join("exercises");
    let mut findings = Vec::new();
    let wanted = |name: &String| options.exercises.is_empty() || options.exercises.contains(name);
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
    for name in options
        .exercises
        .iter()
        .filter(|name| !rubric_names.contains(name))
    {
        findings.push(Finding {
            exercise: name.clone(),
            subject: Subject::Layout,
            ok: false,
            detail: format!("there is no rubric `rubrics/{name}.toml`"),
        });
    }
    for name in exercise_names
        .iter()
        .filter(|name| !rubric_names.contains(name) && wanted(name))
    {
        findings.push(Finding {
            exercise: name.clone(),
            subject: Subject::Layout,
            ok: false,
            detail: format!("`exercises/{name}` has no rubric `rubrics/{name}.toml`"),
        });
    }
    for name in rubric_names.iter().filter(|name| wanted(name)) {
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
        findings.push(readme_finding(name, &relative(&package), &rubric));
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
        if let Some(fixtures) = &options.fixtures {
            fixture_findings(
                name,
                &relative(&fixtures.join(name)),
                &rubric,
                grader,
                &mut findings,
            )?;
        }
    }
    Ok(findings)
}

/// Whether the README of the exercise package `package` lists what `rubric` grades.
fn readme_finding(exercise: &str, package: &Path, rubric: &Rubric) -> Finding {
    let path = package.join("README.md");
    let (ok, detail) = match std::fs::read_to_string(&path) {
        Ok(text) => {
            let problems = readme::disagreements(&text, rubric);
            if problems.is_empty() {
                (
                    true,
                    format!(
                        "`{}` lists every requirement of the rubric with its points",
                        path.display()
                    ),
                )
            } else {
                (
                    false,
                    format!("`{}`: {}", path.display(), problems.join("; ")),
                )
            }
        }
        Err(error) => (false, format!("cannot read `{}`: {error}", path.display())),
    };
    Finding {
        exercise: exercise.to_owned(),
        subject: Subject::Readme,
        ok,
        detail,
    }
}

/// Grades every fixture in `dir` (the fixtures of one exercise) by its manifest, and checks
/// that every requirement of `rubric` has a mutant that breaks it.
fn fixture_findings(
    exercise: &str,
    dir: &Path,
    rubric: &Rubric,
    grader: &Grader,
    findings: &mut Vec<Finding>,
) -> Result<(), Error> {
    let folders = if dir.is_dir() {
        names(dir, |path| {
            path.is_dir()
                .then(|| path.file_name().map(|s| s.to_string_lossy().into_owned()))
                .flatten()
        })?
    } else {
        Vec::new()
    };
    let mut broken: BTreeMap<&str, Vec<String>> = manifest::requirements(rubric)
        .into_iter()
        .map(|id| (id, Vec::new()))
        .collect();
    for name in folders {
        let folder = dir.join(&name);
        let manifest_path = folder.join(MANIFEST);
        if !manifest_path.is_file() {
            findings.push(Finding {
                exercise: exercise.to_owned(),
                subject: Subject::Manifest(name.clone()),
                ok: false,
                detail: format!(
                    "`{}` is missing: say what the fixture is, `kind = \"correct\"`, `\"mutant\"` (with `breaks`) or `\"hostile\"`",
                    manifest_path.display()
                ),
            });
            continue;
        }
        let kind = match manifest::load(&manifest_path, rubric) {
            Ok(kind) => kind,
            Err(problems) => {
                findings.push(Finding {
                    exercise: exercise.to_owned(),
                    subject: Subject::Manifest(name.clone()),
                    ok: false,
                    detail: problems.join("; "),
                });
                continue;
            }
        };
        match &kind {
            // Graded by tests of their own: what they attack is not a requirement.
            FixtureKind::Hostile => continue,
            FixtureKind::Mutant { breaks, .. } => {
                if let Some(mutants) = broken.get_mut(breaks.as_str()) {
                    mutants.push(name.clone());
                }
            }
            FixtureKind::Correct => {}
        }
        let grade = grader.grade(rubric, &folder)?;
        let (ok, detail) = verdict::judge(&kind, &grade);
        findings.push(Finding {
            exercise: exercise.to_owned(),
            subject: Subject::Fixture(name, kind),
            ok,
            detail,
        });
    }
    let uncovered: Vec<String> = broken
        .iter()
        .filter(|(_, mutants)| mutants.is_empty())
        .map(|(id, _)| format!("`{id}`"))
        .collect();
    let counts: Vec<String> = broken
        .iter()
        .map(|(id, mutants)| format!("{id} {}", mutants.len()))
        .collect();
    findings.push(Finding {
        exercise: exercise.to_owned(),
        subject: Subject::Requirements,
        ok: uncovered.is_empty(),
        detail: if uncovered.is_empty() {
            format!("every requirement has a mutant that breaks it (mutants per requirement: {})", counts.join(", "))
        } else {
            format!(
                "no mutant in `{}` breaks {}: add a fixture that breaks only that requirement, with `kind = \"mutant\"` and `breaks` in its `{MANIFEST}`",
                dir.display(),
                uncovered.join(", ")
            )
        },
    });
    Ok(())
}

/// `path` relative to the folder labgrade runs in when it is inside it, for shorter findings
/// that still resolve from there.
fn relative(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_owned())
}

fn summary(grade: &Grade) -> String {
    let failing: Vec<&str> = verdict::short_of_full_marks(grade).into_iter().collect();
    let mut text = format!(
        "{} / {} (seed {})",
        crate::grade::points(grade.score),
        crate::grade::points(grade.max_score),
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
