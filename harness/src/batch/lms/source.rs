//! Which LMS made a class download, recognised from its names when `--from` does not say.

use std::path::Path;

use super::{canvas, github_classroom, gradescope, moodle};
use crate::class::Source;

impl Source {
    /// The layout of `dir`, whose visible entries are `names`: the first LMS whose names it
    /// has, plain folders otherwise.
    #[must_use]
    pub fn recognise(dir: &Path, names: &[String]) -> Self {
        if gradescope::recognises(dir) {
            Self::Gradescope
        } else if moodle::recognises(names) {
            Self::Moodle
        } else if canvas::recognises(dir, names) {
            Self::Canvas
        } else if github_classroom::recognises(dir, names) {
            Self::GithubClassroom
        } else {
            Self::Folders
        }
    }
}
