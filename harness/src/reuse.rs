//! Builds reused by content: what a build of a submission gave (its binaries, or its compile
//! error) is kept under a key made of every byte that reaches the build, so that the same
//! files never compile twice: not for two students who hand in the same files (the untouched
//! skeleton), not across runs of labgrade, not after a rubric change that leaves the build
//! alone (points, cases, checks).
//!
//! The key hashes the assembled workspace (every file cargo sees: the exercise package with
//! the student's files in it, the support crate, the manifest and the lockfile), the build
//! profile and time limit (a build that fit one limit may not fit a shorter one), the toolchain
//! (`cargo -vV` and `rustc -vV`), the build's containment (the user, Landlock's version, what
//! the compiler may read: it decides what `include_str!` gives) and [`RECIPE`], the version of
//! how labgrade builds. A hit is therefore what a build of the very same bytes gave: one
//! submission's binaries are graded for another's only when their inputs are equal byte for
//! byte, when a fresh build would compile the same program. A build that ran out of time, or
//! that something outside disturbed, is not kept: only what the compiler decided.
//!
//! An entry is filled in a temporary folder beside the others and renamed into place, so that
//! another labgrade at the same time sees a whole entry or none. Anything that goes wrong here
//! (a full disk, an entry removed while read) only means a build: the cache never decides a
//! grade. The folder is kept under [`BUDGET`] bytes, the least recently used entries leaving
//! first.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::compile::{BuildOutcome, open_to_programs};
use crate::digest;
use crate::error::{Error, io};
use crate::rubric::Profile;
use crate::style::StyleOutcome;
use crate::test_build::{TESTS_FOLDER, TestBuild, TestBuilds, tests_dir};

/// How labgrade builds (the cargo arguments, the environment, the limits). Raise it whenever
/// that changes, so that no entry of the old recipe is taken for one of the new. 2: line
/// tables and paths relative to the package (`compile.rs`, `line_tables`); 3: the style
/// checks' outcome kept with the build.
pub const RECIPE: u32 = 3;
/// Bytes the entries may take together (release binaries of the exercises are 0.5 to 5 MB: a
/// few hundred submissions of every exercise).
pub const BUDGET: u64 = 4 << 30;
/// The file of an entry that says what the build gave.
const OUTCOME: &str = "outcome.json";
/// The folder of an entry that holds the binaries.
const BINARIES: &str = "bin";

/// What a build gave, as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Kept {
    /// It compiled; the binaries are in the entry's `bin/`, the test executables in its
    /// `tests/`.
    Built {
        /// Wall time of the build that made them.
        wall_ms: u64,
        /// What building each program's tests gave.
        #[serde(default, skip_serializing_if = "TestBuilds::is_empty")]
        tests: TestBuilds,
        /// What clippy and rustfmt found, for a rubric with style checks (whose tools and
        /// lints are part of the key).
        #[serde(default, skip_serializing_if = "is_default")]
        style: StyleOutcome,
    },
    /// The compiler rejected the code.
    CompileError {
        /// Compiler messages, relative to the exercise package.
        diagnostics: String,
        /// Wall time of the build that failed.
        wall_ms: u64,
    },
}

impl Kept {
    /// What a build that compiled gave: its wall time, its tests' builds and its style
    /// checks' findings.
    #[must_use]
    pub fn built(wall_ms: u64, tests: &TestBuilds, style: &StyleOutcome) -> Self {
        Self::Built {
            wall_ms,
            tests: tests.clone(),
            style: style.clone(),
        }
    }

    /// The outcome of a build that this kept one stands for, its binaries in `bin_dir`.
    #[must_use]
    pub fn into_outcome(self, bin_dir: PathBuf) -> BuildOutcome {
        match self {
            Self::Built {
                wall_ms,
                tests,
                style,
            } => BuildOutcome::Built {
                bin_dir,
                wall_ms,
                reused: true,
                tests,
                style,
            },
            Self::CompileError {
                diagnostics,
                wall_ms,
            } => BuildOutcome::CompileError {
                diagnostics,
                wall_ms,
                reused: true,
            },
        }
    }
}

fn is_default(style: &StyleOutcome) -> bool {
    *style == StyleOutcome::default()
}

/// The key of a build: hex SHA-256 of everything that reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(String);

impl Key {
    /// The key of building `workspace` (its `target/` aside) with `profile` within `timeout`,
    /// by the toolchain that `toolchain` describes.
    pub fn of(
        workspace: &Path,
        (profile, timeout): (Profile, Duration),
        toolchain: &str,
    ) -> Result<Self, Error> {
        let mut hasher = Sha256::new();
        hasher.update(format!("labgrade build recipe {RECIPE}\0").as_bytes());
        hasher.update(format!("{profile:?} {} ms\0", timeout.as_millis()).as_bytes());
        hasher.update(toolchain.as_bytes());
        hasher.update(b"\0");
        // The build's own output is not an input.
        digest::tree(&mut hasher, workspace, &["target"])?;
        Ok(Self(digest::hex(&hasher.finalize())))
    }
}

/// The kept builds, in `<cache>/built/<key>/`.
#[derive(Debug, Clone)]
pub struct Reuse {
    dir: PathBuf,
    budget: u64,
}

impl Reuse {
    /// The kept builds of labgrade's cache folder `cache_dir`.
    #[must_use]
    pub fn in_cache(cache_dir: &Path) -> Self {
        Self {
            dir: cache_dir.join("built"),
            budget: BUDGET,
        }
    }

    /// These kept builds, held under `budget` bytes.
    #[must_use]
    pub fn with_budget(mut self, budget: u64) -> Self {
        self.budget = budget;
        self
    }

    /// What the build of `key` gave, if it is kept; its binaries copied into `bin_dir`. `None`
    /// on a miss, and on any failure to read the entry (then the submission is built).
    #[must_use]
    pub fn take(&self, key: &Key, bin_dir: &Path) -> Option<Kept> {
        let entry = self.dir.join(&key.0);
        let text = fs::read_to_string(entry.join(OUTCOME)).ok()?;
        let kept: Kept = serde_json::from_str(&text).ok()?;
        if let Kept::Built { tests, .. } = &kept {
            copy_binaries(&entry.join(BINARIES), bin_dir).ok()?;
            if tests.values().any(|test| *test == TestBuild::Built) {
                copy_binaries(&entry.join(TESTS_FOLDER), &tests_dir(bin_dir)).ok()?;
            }
        }
        // Recently used: the last to leave when the budget is reached.
        if let Ok(file) = File::options().append(true).open(entry.join(OUTCOME)) {
            let _ = file.set_modified(SystemTime::now());
        }
        Some(kept)
    }

    /// Keeps what the build of `key` gave, with the binaries of `bin_dir` when it compiled.
    /// Best effort: a build that cannot be kept is built again next time, nothing more.
    pub fn keep(&self, key: &Key, kept: &Kept, bin_dir: Option<&Path>) {
        if self.try_keep(key, kept, bin_dir).is_ok() {
            self.evict();
        }
    }

    fn try_keep(&self, key: &Key, kept: &Kept, bin_dir: Option<&Path>) -> std::io::Result<()> {
        let entry = self.dir.join(&key.0);
        if entry.exists() {
            return Ok(());
        }
        fs::create_dir_all(&self.dir)?;
        let filling = tempfile::Builder::new()
            .prefix(".filling-")
            .tempdir_in(&self.dir)?;
        if let Some(bin_dir) = bin_dir {
            copy_files(bin_dir, &filling.path().join(BINARIES))?;
            let tests = tests_dir(bin_dir);
            if tests.is_dir() {
                copy_files(&tests, &filling.path().join(TESTS_FOLDER))?;
            }
        }
        fs::write(
            filling.path().join(OUTCOME),
            serde_json::to_vec(kept).map_err(std::io::Error::other)?,
        )?;
        // A second labgrade that kept the same key first wins: both entries are equal.
        match fs::rename(filling.path(), &entry) {
            Ok(()) => {
                // The folder is the entry now: nothing left to delete.
                let _ = filling.keep();
                Ok(())
            }
            Err(_) if entry.exists() => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Removes the least recently used entries until the rest fit the budget.
    fn evict(&self) {
        let Ok(listing) = fs::read_dir(&self.dir) else {
            return;
        };
        let mut entries: Vec<(SystemTime, u64, PathBuf)> = listing
            .filter_map(Result::ok)
            .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
            .filter_map(|entry| {
                let used = fs::metadata(entry.path().join(OUTCOME))
                    .and_then(|meta| meta.modified())
                    .ok()?;
                Some((used, tree_bytes(&entry.path()), entry.path()))
            })
            .collect();
        let mut total: u64 = entries.iter().map(|(_, bytes, _)| bytes).sum();
        entries.sort();
        for (_, bytes, path) in entries {
            if total <= self.budget {
                break;
            }
            if fs::remove_dir_all(&path).is_ok() {
                total = total.saturating_sub(bytes);
            }
        }
    }
}

/// Copies the files of folder `from` into the new folder `to`.
fn copy_files(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir(to)?;
    for file in fs::read_dir(from)? {
        let file = file?;
        fs::copy(file.path(), to.join(file.file_name()))?;
    }
    Ok(())
}

/// Bytes of the files under `path`.
fn tree_bytes(path: &Path) -> u64 {
    let Ok(listing) = fs::read_dir(path) else {
        return fs::symlink_metadata(path).map_or(0, |meta| meta.len());
    };
    listing
        .filter_map(Result::ok)
        .map(|entry| tree_bytes(&entry.path()))
        .sum()
}

/// Copies the kept binaries into `bin_dir`, open to student programs as a fresh build's are.
fn copy_binaries(kept: &Path, bin_dir: &Path) -> Result<(), Error> {
    fs::create_dir_all(bin_dir).map_err(io("create", bin_dir))?;
    open_to_programs(bin_dir)?;
    for file in fs::read_dir(kept).map_err(io("read", kept))? {
        let file = file.map_err(io("read", kept))?;
        let copy = bin_dir.join(file.file_name());
        fs::copy(file.path(), &copy).map_err(io("copy", file.path()))?;
        fs::set_permissions(&copy, fs::Permissions::from_mode(0o711))
            .map_err(io("set the permissions of", &copy))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Kept, Key, Reuse, TestBuilds};
    use crate::rubric::Profile;
    use crate::style::StyleOutcome;
    use std::fs;
    use std::path::Path;
    use std::time::Duration;

    const LIMIT: Duration = Duration::from_secs(60);

    fn workspace(dir: &Path, source: &str) {
        fs::create_dir_all(dir.join("pkg/src/bin")).unwrap();
        fs::write(dir.join("Cargo.toml"), "[workspace]\n").unwrap();
        fs::write(dir.join("pkg/src/bin/a.rs"), source).unwrap();
    }

    #[test]
    fn the_key_changes_with_every_byte_that_reaches_the_build_and_nothing_else() {
        let one = tempfile::tempdir().unwrap();
        let two = tempfile::tempdir().unwrap();
        workspace(one.path(), "fn main() {}");
        workspace(two.path(), "fn main() {}");
        let key =
            |dir: &Path, profile, toolchain| Key::of(dir, (profile, LIMIT), toolchain).unwrap();
        let base = key(one.path(), Profile::Release, "rustc 1.89");
        // Another folder with equal files, and a different `target/`: the same build.
        fs::create_dir_all(two.path().join("target/release")).unwrap();
        fs::write(two.path().join("target/release/a"), "old").unwrap();
        assert_eq!(key(two.path(), Profile::Release, "rustc 1.89"), base);
        // A byte, the profile, the toolchain, a new file, a moved file: another build.
        assert_ne!(key(one.path(), Profile::Dev, "rustc 1.89"), base);
        assert_ne!(key(one.path(), Profile::Release, "rustc 1.90"), base);
        assert_ne!(
            Key::of(one.path(), (Profile::Release, LIMIT / 2), "rustc 1.89").unwrap(),
            base
        );
        workspace(two.path(), "fn main() { }");
        assert_ne!(key(two.path(), Profile::Release, "rustc 1.89"), base);
        workspace(two.path(), "fn main() {}");
        fs::write(two.path().join("pkg/src/bin/b.rs"), "").unwrap();
        assert_ne!(key(two.path(), Profile::Release, "rustc 1.89"), base);
        fs::remove_file(two.path().join("pkg/src/bin/b.rs")).unwrap();
        assert_eq!(key(two.path(), Profile::Release, "rustc 1.89"), base);
        fs::rename(
            two.path().join("pkg/src/bin/a.rs"),
            two.path().join("pkg/src/bin/c.rs"),
        )
        .unwrap();
        assert_ne!(key(two.path(), Profile::Release, "rustc 1.89"), base);
    }

    #[test]
    fn a_kept_build_gives_back_its_binaries_and_a_compile_error_its_messages() {
        let cache = tempfile::tempdir().unwrap();
        let reuse = Reuse::in_cache(cache.path());
        let source = tempfile::tempdir().unwrap();
        workspace(source.path(), "fn main() {}");
        let built = Key::of(source.path(), (Profile::Release, LIMIT), "t").unwrap();
        let failed = Key::of(source.path(), (Profile::Dev, LIMIT), "t").unwrap();
        let bin = tempfile::tempdir().unwrap();
        fs::write(bin.path().join("a"), b"\x7fELF binary").unwrap();

        let into = tempfile::tempdir().unwrap();
        assert_eq!(reuse.take(&built, into.path()), None);
        reuse.keep(
            &built,
            &Kept::Built {
                wall_ms: 700,
                tests: TestBuilds::new(),
                style: StyleOutcome::default(),
            },
            Some(bin.path()),
        );
        let error = Kept::CompileError {
            diagnostics: "error[E0308]".to_owned(),
            wall_ms: 300,
        };
        reuse.keep(&failed, &error, None);

        assert_eq!(
            reuse.take(&built, &into.path().join("bin")),
            Some(Kept::Built {
                wall_ms: 700,
                tests: TestBuilds::new(),
                style: StyleOutcome::default(),
            })
        );
        assert_eq!(
            fs::read(into.path().join("bin/a")).unwrap(),
            b"\x7fELF binary"
        );
        assert_eq!(reuse.take(&failed, &into.path().join("other")), Some(error));
        // No half-filled entry is left behind.
        let names: Vec<String> = fs::read_dir(cache.path().join("built"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().all(|name| !name.starts_with('.')), "{names:?}");
    }

    #[test]
    fn the_least_recently_used_leave_first_when_the_budget_is_reached() {
        let cache = tempfile::tempdir().unwrap();
        // Room for two entries of 1000 bytes (and their outcome files), not three.
        let reuse = Reuse::in_cache(cache.path()).with_budget(2100);
        let bin = tempfile::tempdir().unwrap();
        fs::write(bin.path().join("a"), vec![0u8; 1000]).unwrap();
        let keys: Vec<Key> = ["one", "two", "three"]
            .iter()
            .map(|source| {
                let dir = tempfile::tempdir().unwrap();
                workspace(dir.path(), source);
                Key::of(dir.path(), (Profile::Release, LIMIT), "t").unwrap()
            })
            .collect();
        let kept = Kept::Built {
            wall_ms: 1,
            tests: TestBuilds::new(),
            style: StyleOutcome::default(),
        };
        reuse.keep(&keys[0], &kept, Some(bin.path()));
        std::thread::sleep(std::time::Duration::from_millis(20));
        reuse.keep(&keys[1], &kept, Some(bin.path()));
        std::thread::sleep(std::time::Duration::from_millis(20));
        // The first is used again: the second is now the least recently used.
        let into = tempfile::tempdir().unwrap();
        assert!(reuse.take(&keys[0], into.path()).is_some());
        std::thread::sleep(std::time::Duration::from_millis(20));
        reuse.keep(&keys[2], &kept, Some(bin.path()));
        let into = tempfile::tempdir().unwrap();
        assert!(reuse.take(&keys[0], &into.path().join("0")).is_some());
        assert!(reuse.take(&keys[1], &into.path().join("1")).is_none());
        assert!(reuse.take(&keys[2], &into.path().join("2")).is_some());
    }
}
