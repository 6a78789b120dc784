//! A check that runs one test of a test file the rubric keeps beside it (`test`), compiled
//! into the check's program as a module of its own, so that the test calls the student's
//! functions as the program's own code does.

use std::path::{Component, Path, PathBuf};

/// A folder of this name holds test files students must not see: `labgrade publish` leaves it
/// out, and a check that runs one of its tests must be `visibility = "hidden"`.
pub const HIDDEN_TESTS_FOLDER: &str = "hidden-tests";

/// `test = { file, name }`: the one test a check runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RubricTest {
    /// The test file, relative to the rubric's folder.
    pub file: PathBuf,
    /// The test's path inside the file, such as `negates_outside` or `edge::empty_part`.
    pub name: String,
}

impl RubricTest {
    /// The module the test file becomes in the program's crate: `labgrade_` and the file's
    /// stem, so that it cannot take the name of a module of the student's.
    #[must_use]
    pub fn module(&self) -> String {
        module_of(&self.file)
    }

    /// The test's name as the test executable lists it (`--list`) and runs it (`--exact`).
    #[must_use]
    pub fn full_name(&self) -> String {
        format!("{}::{}", self.module(), self.name)
    }

    /// Whether the file lies in a [`HIDDEN_TESTS_FOLDER`].
    #[must_use]
    pub fn is_hidden_file(&self) -> bool {
        self.file
            .components()
            .any(|part| part == Component::Normal(HIDDEN_TESTS_FOLDER.as_ref()))
    }
}

/// The module test file `file` becomes (see [`RubricTest::module`]).
#[must_use]
pub fn module_of(file: &Path) -> String {
    let stem = file.file_stem().unwrap_or_default().to_string_lossy();
    format!("labgrade_{stem}")
}
