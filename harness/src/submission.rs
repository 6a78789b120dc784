//! Assembles a submission for building: a fresh copy of the exercise package, in a temporary
//! folder, with only the files the rubric lists taken from the submission.
//!
//! A submission therefore cannot change the manifest, the dependencies or the support crate,
//! and the reference solution is never copied next to student code.
//!
//! An assembly is deleted when dropped, but not when labgrade is killed (SIGKILL, a machine
//! running out of memory): each assembly therefore names its creating process in an `owner`
//! file, and [`remove_abandoned`] deletes those whose owner is gone.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, io};
use crate::rubric::Rubric;

/// Folders of an exercise package that are never copied: build output, version control, and the
/// reference solution.
const SKIPPED: [&str; 3] = ["target", ".git", "solution"];

/// How the temporary folder of every assembly is named: this prefix and random characters.
const PREFIX: &str = "labgrade-";

/// The file in an assembly's root holding the pid of the process that created it.
const OWNER_FILE: &str = "owner";

/// How old an abandoned assembly must be before [`remove_abandoned`] deletes it: a margin
/// against a pid that `/proc` does not show yet or a clock that moved.
const ABANDONED_AFTER: Duration = Duration::from_secs(60);

/// An assembled submission, deleted when dropped.
#[derive(Debug)]
pub struct Assembly {
    dir: tempfile::TempDir,
    package_dir: PathBuf,
    package_name: String,
    /// Files the rubric lists that the submission lacks (or provides as something other than a
    /// regular file).
    pub missing: Vec<String>,
    /// Binaries whose own source file is missing: the checks that run them are not run.
    pub unavailable_programs: Vec<String>,
    /// Whether the package can be built: every missing file is the source of a binary only.
    pub buildable: bool,
}

impl Assembly {
    /// Root of the temporary cargo workspace.
    #[must_use]
    pub fn workspace(&self) -> PathBuf {
        self.dir.path().join("ws")
    }

    /// The assembled package.
    #[must_use]
    pub fn package_dir(&self) -> &Path {
        &self.package_dir
    }

    /// The cargo name of the exercise package.
    #[must_use]
    pub fn package_name(&self) -> &str {
        &self.package_name
    }

    /// Root of the temporary folder, where scratch folders for runs go too.
    #[must_use]
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// Copies the exercise package of `rubric` and its path dependencies into a new temporary
/// folder, then swaps in the files of `submission`.
pub fn assemble(rubric: &Rubric, submission: &Path) -> Result<Assembly, Error> {
    let package = &rubric.exercise.package;
    let dir = tempfile::Builder::new()
        .prefix(PREFIX)
        .tempdir()
        .map_err(io("create a temporary folder in", std::env::temp_dir()))?;
    // Written first, so that a labgrade killed at any later point leaves an assembly that the
    // next labgrade recognizes as abandoned.
    let owner = dir.path().join(OWNER_FILE);
    fs::write(&owner, std::process::id().to_string()).map_err(io("write", &owner))?;
    let workspace = dir.path().join("ws");
    let package_name = package
        .canonicalize()
        .ok()
        .and_then(|path| path.file_name().map(ToOwned::to_owned))
        .ok_or_else(|| Error::Package {
            package: package.clone(),
            problem: "the folder does not exist; check `package` in the rubric".to_owned(),
        })?;
    let package_dir = workspace.join(&package_name);
    copy_tree(package, &package_dir)?;
    copy_path_dependencies(package, &workspace)?;
    let members = format!(
        "# Written by labgrade: a workspace of its own, so no parent manifest applies.\n[workspace]\nresolver = \"3\"\nmembers = [\"{}\"]\n",
        package_name.to_string_lossy()
    );
    fs::write(workspace.join("Cargo.toml"), members)
        .map_err(io("write", workspace.join("Cargo.toml")))?;
    if let Some(lock) = find_lockfile(package) {
        fs::copy(&lock, workspace.join("Cargo.lock")).map_err(io("copy", lock))?;
    }

    let binaries = binary_sources(&package_dir)?;
    let mut missing = Vec::new();
    let mut unavailable_programs = Vec::new();
    for file in &rubric.exercise.files {
        let target = package_dir.join(file);
        let source = submission.join(file);
        let is_regular_file =
            fs::symlink_metadata(&source).is_ok_and(|meta| meta.file_type().is_file());
        if is_regular_file {
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(io("create", parent))?;
            }
            fs::copy(&source, &target).map_err(io("copy", &source))?;
            continue;
        }
        missing.push(file.to_string_lossy().into_owned());
        let programs: Vec<String> = binaries
            .iter()
            .filter(|(_, path)| path == file)
            .map(|(name, _)| name.clone())
            .collect();
        if programs.is_empty() {
            // A missing file that is not a binary's own source may be used by every binary: the
            // template's version must not stand in for it, so nothing is built.
            if target.exists() {
                fs::remove_file(&target).map_err(io("remove", &target))?;
            }
        } else {
            // The template's version only keeps the package compiling; the checks that run
            // these programs are not run, so it earns nothing.
            unavailable_programs.extend(programs);
        }
    }
    let package_name = cargo_package_name(&package_dir)?;
    // Nothing of the student's to build when every file is missing.
    let buildable = missing.len() < rubric.exercise.files.len()
        && missing.len() == unavailable_programs_sources(&binaries, &missing);
    Ok(Assembly {
        dir,
        package_dir,
        package_name,
        missing,
        unavailable_programs,
        buildable,
    })
}

/// Deletes the assemblies in `temp_dir` (the folder assemblies are made in) that a killed
/// labgrade left behind: `labgrade-*` folders whose `owner` file names a process that no longer
/// exists, written more than a minute ago. Returns how many were deleted.
///
/// Folders without an `owner` file (the build cache, another program's, an older labgrade's)
/// and those of live processes are never touched. A folder that cannot be read or deleted is
/// left as it is: cleaning up is a courtesy, never a reason not to grade.
#[must_use]
pub fn remove_abandoned(temp_dir: &Path) -> usize {
    remove_abandoned_older_than(temp_dir, ABANDONED_AFTER)
}

fn remove_abandoned_older_than(temp_dir: &Path, min_age: Duration) -> usize {
    let Ok(entries) = fs::read_dir(temp_dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(PREFIX))
        // Never follows a symbolic link: only real folders are candidates.
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .filter(|entry| is_abandoned(&entry.path(), min_age))
        .filter(|entry| fs::remove_dir_all(entry.path()).is_ok())
        .count()
}

/// Whether assembly folder `dir` has an `owner` file at least `min_age` old naming a process
/// that does not exist.
fn is_abandoned(dir: &Path, min_age: Duration) -> bool {
    let owner = dir.join(OWNER_FILE);
    let Ok(meta) = fs::symlink_metadata(&owner) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    // A time in the future (a clock set back) counts as age zero.
    let age = meta
        .modified()
        .ok()
        .and_then(|written| SystemTime::now().duration_since(written).ok())
        .unwrap_or_default();
    if age < min_age {
        return false;
    }
    let Some(pid) = fs::read_to_string(&owner)
        .ok()
        .and_then(|text| text.trim().parse::<i32>().ok())
        // 0 and negative numbers name process groups, not a process.
        .filter(|pid| *pid > 0)
    else {
        return false;
    };
    !process_exists(pid)
}

/// Whether process `pid` exists. Signal 0 checks without sending anything; `EPERM` means it
/// exists but belongs to another user. A recycled pid keeps an abandoned folder, never the
/// other way round.
fn process_exists(pid: i32) -> bool {
    let pid = nix::unistd::Pid::from_raw(pid);
    nix::sys::signal::kill(pid, None) != Err(nix::errno::Errno::ESRCH)
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), Error> {
    fs::create_dir_all(to).map_err(io("create", to))?;
    for entry in fs::read_dir(from).map_err(io("read", from))? {
        let entry = entry.map_err(io("read", from))?;
        let name = entry.file_name();
        if SKIPPED.iter().any(|skipped| name == *skipped) {
            continue;
        }
        let file_type = entry.file_type().map_err(io("read", entry.path()))?;
        let target = to.join(&name);
        if file_type.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if file_type.is_file() {
            fs::copy(entry.path(), &target).map_err(io("copy", entry.path()))?;
        }
    }
    Ok(())
}

/// Copies every `path` dependency of the package (and theirs) to the same place relative to it.
fn copy_path_dependencies(package: &Path, workspace: &Path) -> Result<(), Error> {
    let package_name = package.canonicalize().map_err(io("read", package))?;
    let package_name = package_name.file_name().unwrap_or_default();
    let mut pending = vec![(package.to_path_buf(), PathBuf::from(package_name))];
    let mut done = BTreeSet::new();
    while let Some((source, relative)) = pending.pop() {
        for dependency in path_dependencies(&source)? {
            let target = normalize(&relative.join(&dependency)).ok_or_else(|| Error::Package {
                package: source.clone(),
                problem: format!(
                    "path dependency `{}` lies outside the exercises folder; keep shared crates beside the exercises",
                    dependency.display()
                ),
            })?;
            if done.insert(target.clone()) {
                let dependency_dir = source.join(&dependency);
                copy_tree(&dependency_dir, &workspace.join(&target))?;
                pending.push((dependency_dir, target));
            }
        }
    }
    Ok(())
}

fn unavailable_programs_sources(binaries: &[(String, PathBuf)], missing: &[String]) -> usize {
    missing
        .iter()
        .filter(|file| binaries.iter().any(|(_, path)| path == Path::new(file)))
        .count()
}

/// Every binary of the package with its source file: `[[bin]]` entries, then cargo's
/// automatic `src/main.rs` and `src/bin/<name>.rs`.
fn binary_sources(package: &Path) -> Result<Vec<(String, PathBuf)>, Error> {
    let table = manifest(package)?;
    let mut binaries: Vec<(String, PathBuf)> = table
        .get("bin")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|bin| {
            let name = bin.get("name")?.as_str()?.to_owned();
            let path = bin.get("path").and_then(toml::Value::as_str).map_or_else(
                || PathBuf::from(format!("src/bin/{name}.rs")),
                PathBuf::from,
            );
            Some((name, path))
        })
        .collect();
    if package.join("src/main.rs").is_file()
        && let Ok(name) = cargo_package_name(package)
    {
        binaries.push((name, PathBuf::from("src/main.rs")));
    }
    if let Ok(entries) = fs::read_dir(package.join("src/bin")) {
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "rs") {
                let name = path
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                if !binaries.iter().any(|(known, _)| *known == name) {
                    binaries.push((name.clone(), PathBuf::from(format!("src/bin/{name}.rs"))));
                }
            }
        }
    }
    Ok(binaries)
}

fn manifest(package: &Path) -> Result<toml::Table, Error> {
    let manifest = package.join("Cargo.toml");
    let text = fs::read_to_string(&manifest).map_err(io("read", &manifest))?;
    toml::from_str(&text).map_err(|error| Error::Package {
        package: package.to_owned(),
        problem: format!("`Cargo.toml` is not valid TOML: {}", error.message()),
    })
}

fn cargo_package_name(package: &Path) -> Result<String, Error> {
    manifest(package)?
        .get("package")
        .and_then(|section| section.get("name"))
        .and_then(toml::Value::as_str)
        .map(ToOwned::to_owned)
        .ok_or_else(|| Error::Package {
            package: package.to_owned(),
            problem: "`Cargo.toml` has no `[package]` name".to_owned(),
        })
}

fn path_dependencies(package: &Path) -> Result<Vec<PathBuf>, Error> {
    let table = manifest(package)?;
    let mut paths = Vec::new();
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        let Some(dependencies) = table.get(section).and_then(toml::Value::as_table) else {
            continue;
        };
        for dependency in dependencies.values() {
            if let Some(path) = dependency.get("path").and_then(toml::Value::as_str) {
                paths.push(PathBuf::from(path));
            }
        }
    }
    Ok(paths)
}

/// Resolves `.` and `..` in a relative path; `None` if it climbs above its start.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().collect())
}

fn find_lockfile(package: &Path) -> Option<PathBuf> {
    let start = package.canonicalize().ok()?;
    start
        .ancestors()
        .map(|dir| dir.join("Cargo.lock"))
        .find(|lock| lock.is_file())
}

#[cfg(test)]
mod tests {
    use super::{OWNER_FILE, normalize, remove_abandoned_older_than};
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    #[test]
    fn only_assemblies_of_dead_owners_are_removed() {
        let temp = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let folder = |name: &str, owner: Option<u32>| {
            let dir = temp.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            if let Some(pid) = owner {
                std::fs::write(dir.join(OWNER_FILE), pid.to_string()).unwrap();
            }
            dir
        };
        let abandoned = folder("labgrade-dead", Some(dead));
        let live = folder("labgrade-live", Some(std::process::id()));
        let unowned = folder("labgrade-unowned", None);
        let other = folder("other-dead", Some(dead));

        // Too recent: a minute has not passed.
        assert_eq!(
            remove_abandoned_older_than(temp.path(), Duration::from_secs(60)),
            0
        );
        assert!(abandoned.exists());

        assert_eq!(remove_abandoned_older_than(temp.path(), Duration::ZERO), 1);
        assert!(!abandoned.exists());
        assert!(live.exists());
        assert!(unowned.exists());
        assert!(other.exists());
    }

    #[test]
    fn normalize_stays_inside() {
        assert_eq!(
            normalize(Path::new("sum-array/../support")),
            Some(PathBuf::from("support"))
        );
        assert_eq!(normalize(Path::new("sum-array/../../x")), None);
    }
}
