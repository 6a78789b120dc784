//! Fingerprints that decide whether an earlier grade may be reused: of the submission, of the
//! rubric and its exercise package, and of labgrade itself.
//!
//! A grade is reused only when all three are unchanged. A folder submission is fingerprinted by
//! the files the rubric takes from it (the only ones that reach the grade), an archive by its
//! bytes (no need to unpack it to know it is the same), labgrade by its version and a hash of
//! its own executable (a rebuild with a fix changes it even when the version does not).

use std::path::Path;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use super::entries::{Student, lone_archive, submission_root};
use crate::digest;
use crate::error::{Error, io};
use crate::grade::EntryKind;
use crate::rubric::Rubric;
use crate::submission::{Beneath, open_beneath};

/// Folders of an exercise package that do not change a grade.
const IGNORED: [&str; 2] = ["target", ".git"];

/// Fingerprint of a student's submission.
pub(super) fn submission(student: &Student, rubric: &Rubric) -> Result<String, Error> {
    let mut hasher = Sha256::new();
    match student.kind {
        EntryKind::Folder | EntryKind::GitRepository => {
            hasher.update(b"folder\0");
            let root = submission_root(&student.path, &rubric.exercise.files);
            for file in &rubric.exercise.files {
                hasher.update(file.to_string_lossy().as_bytes());
                let path = root.join(file);
                // Only regular files reached without a link are taken from a submission, so
                // only they count.
                if let Beneath::File(opened) = open_beneath(&root, file) {
                    hasher.update(b"\0file\0");
                    digest::reader(&mut hasher, opened).map_err(io("read", &path))?;
                } else {
                    hasher.update(b"\0none\0");
                }
                // Or by its name alone at the top, where single files are laid out from.
                if let Some(name) = file.file_name()
                    && let Beneath::File(opened) = open_beneath(&root, Path::new(name))
                {
                    hasher.update(b"\0top\0");
                    digest::reader(&mut hasher, opened).map_err(io("read", &root.join(name)))?;
                }
            }
            // A folder holding the student's archive is graded from that archive.
            if let Some(archive) = lone_archive(&root) {
                hasher.update(b"\0archive\0");
                digest::file(&mut hasher, &archive).map_err(io("read", &archive))?;
            }
        }
        EntryKind::Zip | EntryKind::TarGz | EntryKind::Tar | EntryKind::Unsupported => {
            hasher.update(b"archive\0");
            digest::file(&mut hasher, &student.path).map_err(io("read", &student.path))?;
        }
    }
    Ok(digest::hex(&hasher.finalize()))
}

/// Fingerprint of the rubric file and of its exercise package (manifest, skeleton, solution),
/// since either changes what a submission earns.
pub(super) fn rubric(rubric: &Rubric) -> Result<String, Error> {
    let mut hasher = Sha256::new();
    hasher.update(b"rubric\0");
    digest::file(&mut hasher, &rubric.path).map_err(io("read", &rubric.path))?;
    hasher.update(b"package\0");
    digest::tree(&mut hasher, &rubric.exercise.package, &IGNORED)?;
    Ok(digest::hex(&hasher.finalize()))
}

/// Fingerprint of this labgrade: its version and a hash of its executable, computed once.
pub fn harness() -> String {
    static HARNESS: OnceLock<String> = OnceLock::new();
    HARNESS
        .get_or_init(|| {
            let mut hasher = Sha256::new();
            // An executable that cannot be read (deleted while running) changes the
            // fingerprint, so that no grade is wrongly reused.
            let exe = std::env::current_exe()
                .and_then(|exe| digest::file(&mut hasher, &exe))
                .map_or_else(
                    |_| "unknown".to_owned(),
                    |()| digest::hex(&hasher.finalize())[..16].to_owned(),
                );
            format!("{}+{exe}", env!("CARGO_PKG_VERSION"))
        })
        .clone()
}
