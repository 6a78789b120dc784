//! SHA-256 of files and folders, for the keys that decide what may be reused: a batch's grades
//! (`batch/fingerprint.rs`) and builds (`reuse.rs`). Every piece hashed is closed (a file by its
//! length, a name by a NUL), so that two different trees never hash alike by running into
//! each other.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, io};

/// Adds the bytes of the file at `path` and their length to `hasher`.
pub(crate) fn file(hasher: &mut Sha256, path: &Path) -> io::Result<()> {
    reader(hasher, File::open(path)?)
}

/// Adds the bytes of `file` and their length to `hasher`.
pub(crate) fn reader(hasher: &mut Sha256, mut file: File) -> io::Result<()> {
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

/// Adds every regular file and symbolic link under `dir` to `hasher`, in name order, each with
/// its path relative to `dir`; folders named in `ignored` are left out at any depth.
pub(crate) fn tree(hasher: &mut Sha256, dir: &Path, ignored: &[&str]) -> Result<(), Error> {
    tree_under(hasher, dir, Path::new(""), ignored)
}

fn tree_under(
    hasher: &mut Sha256,
    dir: &Path,
    relative: &Path,
    ignored: &[&str],
) -> Result<(), Error> {
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)
        .map_err(io("read", dir))?
        .collect::<Result<_, _>>()
        .map_err(io("read", dir))?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        if ignored.iter().any(|ignored| name == *ignored) {
            continue;
        }
        let kind = entry.file_type().map_err(io("read", entry.path()))?;
        let path = relative.join(&name);
        if kind.is_dir() {
            tree_under(hasher, &entry.path(), &path, ignored)?;
        } else if kind.is_file() {
            hasher.update(path.as_os_str().as_encoded_bytes());
            hasher.update(b"\0");
            file(hasher, &entry.path()).map_err(io("read", entry.path()))?;
        } else if kind.is_symlink() {
            let target = fs::read_link(entry.path()).map_err(io("read", entry.path()))?;
            hasher.update(path.as_os_str().as_encoded_bytes());
            hasher.update(b"\0link\0");
            hasher.update(target.as_os_str().as_encoded_bytes());
            hasher.update(b"\0");
        }
    }
    Ok(())
}

/// Lowercase hexadecimal.
#[must_use]
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
            // Writing to a String cannot fail.
            let _ = write!(text, "{byte:02x}");
            text
        })
}
