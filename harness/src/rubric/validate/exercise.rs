//! The `[exercise]` table: the exercise's name, package and files.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use crate::rubric::error::Problem;
use crate::rubric::model::Exercise;
use crate::rubric::wire::ExerciseWire;

use super::parse::Validator;

impl Validator {
    pub(super) fn exercise(&mut self, rubric_path: &Path, wire: ExerciseWire) -> Option<Exercise> {
        let before = self.problems.len();
        if wire.name.get_ref().trim().is_empty() {
            self.problem(Some(wire.name.span()), "the exercise name is empty");
        }
        let base = rubric_path.parent().unwrap_or(Path::new(""));
        let package = lexically_normal(&base.join(wire.package.get_ref()));
        if wire.files.get_ref().is_empty() {
            self.problems.push(
                Problem::new(Some(wire.files.span()), "`files` is empty")
                    .help("list the files a submission provides, relative to the package"),
            );
        }
        let mut seen = BTreeSet::new();
        let mut files = Vec::new();
        for file in wire.files.get_ref() {
            let relative = PathBuf::from(file.get_ref());
            let inside = !file.get_ref().is_empty()
                && relative
                    .components()
                    .all(|component| matches!(component, Component::Normal(_)));
            if !inside {
                self.problems.push(
                    Problem::new(
                        Some(file.span()),
                        format!("`{}` is not a path inside the package", file.get_ref()),
                    )
                    .help("write a relative path without `..`, such as `src/main.rs`"),
                );
            } else if !seen.insert(relative.clone()) {
                self.problem(
                    Some(file.span()),
                    format!("`{}` is listed twice", file.get_ref()),
                );
            } else {
                files.push(relative);
            }
        }
        (self.problems.len() == before).then(|| Exercise {
            name: wire.name.into_inner(),
            package,
            files,
        })
    }
}

/// `a/b/../c` as `a/c`, without touching the file system, so messages show tidy paths.
fn lexically_normal(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir
                if matches!(normal.components().next_back(), Some(Component::Normal(_))) =>
            {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    normal
}
