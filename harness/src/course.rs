//! The course folder: the folder with `rubrics/` and `exercises/`, found from where labgrade
//! runs, and the exercises in it.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// Finds the course folder: `start` or the nearest folder above it that has both `rubrics/` and
/// `exercises/`.
pub fn find_root(start: &Path) -> Result<PathBuf, Error> {
    start
        .ancestors()
        .find(|dir| dir.join("rubrics").is_dir() && dir.join("exercises").is_dir())
        .map(Path::to_path_buf)
        .ok_or_else(|| Error::RootNotFound {
            start: start.to_owned(),
        })
}

/// The rubric of exercise `name` in the course at `root`.
pub fn rubric_path(root: &Path, name: &str) -> Result<PathBuf, Error> {
    let path = root.join("rubrics").join(format!("{name}.toml"));
    if path.is_file() {
        return Ok(path);
    }
    let suggestion = exercise_names(root)
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(name, &candidate), candidate))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate);
    Err(Error::UnknownExercise {
        name: name.to_owned(),
        path,
        suggestion,
    })
}

/// Names of the exercises that have a rubric, sorted.
#[must_use]
pub fn exercise_names(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("rubrics"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .filter_map(|path| Some(path.file_stem()?.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
}
