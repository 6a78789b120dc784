//! What similarity reads of a batch: the skeleton's files in the exercise package, and each
//! student's rubric files, opened as grading opens them (never through a symbolic link) and
//! read no further than similarity compares.

use std::io::Read;
use std::path::Path;

use crate::rubric::Rubric;
use crate::similarity::{Fingerprints, LARGEST_FILE, Skeleton, fingerprint, skeleton};
use crate::submission::{Beneath, open_beneath};

/// The rubric's files under `root` (`(path, bytes)`, in the rubric's order), those missing or
/// behind a link left out; each read to one byte past [`LARGEST_FILE`] at most.
fn rubric_files(rubric: &Rubric, root: &Path) -> Vec<(String, Vec<u8>)> {
    rubric
        .exercise
        .files
        .iter()
        .filter_map(|file| {
            let Beneath::File(opened) = open_beneath(root, file) else {
                return None;
            };
            let mut bytes = Vec::new();
            opened
                .take(LARGEST_FILE as u64 + 1)
                .read_to_end(&mut bytes)
                .ok()?;
            Some((file.display().to_string(), bytes))
        })
        .collect()
}

/// The skeleton: the rubric's files as the exercise package gives them to students.
pub(super) fn skeleton_of(rubric: &Rubric) -> Skeleton {
    skeleton(&rubric_files(rubric, &rubric.exercise.package))
}

/// The fingerprints of the submission at `root`.
pub(super) fn fingerprints_of(rubric: &Rubric, root: &Path, skeleton: &Skeleton) -> Fingerprints {
    fingerprint(&rubric_files(rubric, root), skeleton)
}
