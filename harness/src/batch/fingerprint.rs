//! Fingerprints that decide whether an earlier grade may be reused: of the submission, of the
//! rubric and its exercise package, and of labgrade itself.
//!
//! A grade is reused only when all three are unchanged. A folder submission is fingerprinted by
//! the files the rubric takes from it (the only ones that reach the grade), an archive by its
//! bytes (no need to unpack it to know it is the same), labgrade by its version and a hash of
//! its own executable (a rebuild with a fix changes it even when the version does not).

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use super::entries::{Kind, Student, lone_archive, submission_root};
use crate::error::{Error, io};
use crate::rubric::Rubric;
use crate::submission::{Beneath, open_beneath};

/// Folders of an exercise package that do not change a grade.
const IGNORED: [&str; 2] = ["target", ".git"];

/// Fingerprint of a student's submission.
pub(super) fn submission(student: &Student, rubric: &Rubric) -> Result<String, Error> {
    let mut hasher = Sha256::new();
    match student.kind {
        Kind::Folder | Kind::GitRepository => {
            hasher.update(b"folder\0");
            let root = submission_root(&student.path, &rubric.exercise.files);
            for file in &rubric.exercise.files {
                hasher.update(file.to_string_lossy().as_bytes());
                let path = root.join(file);
                // Only regular files reached without a link are taken from a submission, so
                // only they count.
                if let Beneath::File(opened) = open_beneath(&root, file) {
                    hasher.update(b"\0file\0");
                    hash_reader(&mut hasher, opened).map_err(io("read", &path))?;
                } else {
                    hasher.update(b"\0none\0");
                }
            }
            // A folder holding the student's archive is graded from that archive.
            if let Some(archive) = lone_archive(&root) {
                hasher.update(b"\0archive\0");
                hash_file(&mut hasher, &archive).map_err(io("read", &archive))?;
            }
        }
        Kind::Zip | Kind::TarGz | Kind::Tar | Kind::Unsupported => {
            hasher.update(b"archive\0");
            hash_file(&mut hasher, &student.path).map_err(io("read", &student.path))?;
        }
    }
    Ok(hex(&hasher.finalize()))
}

/// Fingerprint of the rubric file and of its exercise package (manifest, skeleton, solution),
/// since either changes what a submission earns.
pub(super) fn rubric(rubric: &Rubric) -> Result<String, Error> {
    let mut hasher = Sha256::new();
    hasher.update(b"rubric\0");
    hash_file(&mut hasher, &rubric.path).map_err(io("read", &rubric.path))?;
    hasher.update(b"package\0");
    hash_tree(&mut hasher, &rubric.exercise.package, Path::new(""))?;
    Ok(hex(&hasher.finalize()))
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
                .and_then(|exe| hash_file(&mut hasher, &exe))
                .map_or_else(
                    |_| "unknown".to_owned(),
                    |()| hex(&hasher.finalize())[..16].to_owned(),
                );
            format!("{}+{exe}", env!("CARGO_PKG_VERSION"))
        })
        .clone()
}

fn hash_file(hasher: &mut Sha256, path: &Path) -> io::Result<()> {
    hash_reader(hasher, File::open(path)?)
}

/// Adds the bytes of `file` and their length to `hasher`.
fn hash_reader(hasher: &mut Sha256, mut file: File) -> io::Result<()> {
    let mut buffer = vec![0_u8; 64 * 1024];
    let mut length: u64 = 0;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        length += read as u64;
        hasher.update(&buffer[..read]);
    }
    // The length closes the file's bytes, so that two files never run into each other.
    hasher.update(length.to_le_bytes());
    Ok(())
}

/// Hashes every regular file under `dir` in name order, with its path relative to the start.
fn hash_tree(hasher: &mut Sha256, dir: &Path, relative: &Path) -> Result<(), Error> {
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)
        .map_err(io("read", dir))?
        .collect::<Result<_, _>>()
        .map_err(io("read", dir))?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        if IGNORED.iter().any(|ignored| name == *ignored) {
            continue;
        }
        let kind = entry.file_type().map_err(io("read", entry.path()))?;
        let path = relative.join(&name);
        if kind.is_dir() {
            hash_tree(hasher, &entry.path(), &path)?;
        } else if kind.is_file() {
            hasher.update(path.to_string_lossy().as_bytes());
            hasher.update(b"\0");
            hash_file(hasher, &entry.path()).map_err(io("read", entry.path()))?;
        }
    }
    Ok(())
}

/// Lowercase hexadecimal.
#[must_use]
pub(super) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
            // Writing to a String cannot fail.
            let _ = write!(text, "{byte:02x}");
            text
        })
}
