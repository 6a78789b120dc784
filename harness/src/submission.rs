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

/// How old an abandoned assembly of an older labgrade, whose owner file holds only a pid, must
/// be before [`remove_abandoned`] deletes it: a margin against a recycled pid.
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
    /// Of `missing`, those reached through a symbolic link, and the link: `(file, link)`.
    pub linked: Vec<(String, String)>,
    /// Binaries whose own source file is missing: the checks that run them are not run.
    pub unavailable_programs: Vec<String>,
    /// Whether the package can be built: every missing file is the source of a binary only.
    pub buildable: bool,
    /// Every binary of the package and its source file, relative to the package.
    pub binaries: Vec<(String, PathBuf)>,
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
    let dir = owned_temp_dir()?;
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
    let mut linked = Vec::new();
    let mut unavailable_programs = Vec::new();
    for file in &rubric.exercise.files {
        let target = package_dir.join(file);
        let source = submission.join(file);
        match open_beneath(submission, file) {
            Beneath::File(mut opened) => {
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent).map_err(io("create", parent))?;
                }
                let mut copy = fs::File::create(&target).map_err(io("create", &target))?;
                std::io::copy(&mut opened, &mut copy).map_err(io("copy", &source))?;
                continue;
            }
            Beneath::Link(link) => linked.push((file.to_string_lossy().into_owned(), link)),
            Beneath::Missing => {}
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
        linked,
        unavailable_programs,
        buildable,
        binaries,
    })
}

/// What a submission holds at a file the rubric lists.
pub(crate) enum Beneath {
    /// A regular file, open for reading.
    File(fs::File),
    /// A symbolic link on the way (this component, such as `src`): never followed, or a
    /// submission could hand in another student's files, or the reference solution's.
    Link(String),
    /// Nothing, or something other than a regular file.
    Missing,
}

/// Opens `file` (relative, without `..`) beneath the folder `root` without following a
/// symbolic link at any component: every folder on the way and the file itself are opened with
/// `O_NOFOLLOW`, each relative to the one before, so no link swapped in meanwhile is followed
/// either. `root` itself may be a link (a TA's folder of downloads).
pub(crate) fn open_beneath(root: &Path, file: &Path) -> Beneath {
    use nix::errno::Errno;
    use nix::fcntl::{OFlag, openat};
    use nix::sys::stat::Mode;

    let Ok(mut dir) = fs::File::open(root).map(std::os::fd::OwnedFd::from) else {
        return Beneath::Missing;
    };
    let parts: Vec<&std::ffi::OsStr> = file
        .components()
        .filter_map(|part| match part {
            Component::Normal(name) => Some(name),
            _ => None,
        })
        .collect();
    let mut walked = PathBuf::new();
    for (index, part) in parts.iter().enumerate() {
        walked.push(part);
        let last = index + 1 == parts.len();
        let flags = OFlag::O_RDONLY
            | OFlag::O_NOFOLLOW
            | OFlag::O_CLOEXEC
            | if last {
                OFlag::O_NONBLOCK
            } else {
                OFlag::O_DIRECTORY
            };
        match openat(&dir, *part, flags, Mode::empty()) {
            Ok(opened) => dir = opened,
            // `O_NOFOLLOW` on a link: ELOOP; `O_DIRECTORY` on a link to a folder: ENOTDIR.
            Err(Errno::ELOOP | Errno::ENOTDIR)
                if fs::symlink_metadata(root.join(&walked)).is_ok_and(|meta| meta.is_symlink()) =>
            {
                return Beneath::Link(walked.to_string_lossy().into_owned());
            }
            Err(_) => return Beneath::Missing,
        }
    }
    let opened = fs::File::from(dir);
    match opened.metadata() {
        Ok(meta) if meta.is_file() => Beneath::File(opened),
        _ => Beneath::Missing,
    }
}

/// A new temporary folder that names this process in its `owner` file, deleted when dropped,
/// and by [`remove_abandoned`] of a later labgrade if this one is killed. Assemblies and the
/// unpacked archives of `labgrade batch` live in such folders.
pub(crate) fn owned_temp_dir() -> Result<tempfile::TempDir, Error> {
    let dir = tempfile::Builder::new()
        .prefix(PREFIX)
        .tempdir()
        .map_err(io("create a temporary folder in", std::env::temp_dir()))?;
    // Written first, so that a labgrade killed at any later point leaves a folder that the
    // next labgrade recognizes as abandoned.
    let owner = dir.path().join(OWNER_FILE);
    let me = Owner::current().ok_or_else(|| Error::Io {
        action: "read",
        path: PathBuf::from("/proc/self/stat"),
        source: std::io::Error::other("this process's start time is unknown"),
    })?;
    fs::write(&owner, me.to_string()).map_err(io("write", &owner))?;
    Ok(dir)
}

/// The process that owns a temporary folder: its pid, when it started, and its pid namespace,
/// so that neither a recycled pid nor a labgrade in another container sharing `/tmp` is
/// mistaken for the owner or for its absence.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owner {
    pid: i32,
    /// Field 22 of `/proc/<pid>/stat`: clock ticks after boot.
    start_ticks: u64,
    /// The pid namespace, as `/proc/<pid>/ns/pid` reads, such as `pid:[4026531836]`.
    namespace: String,
}

impl Owner {
    fn current() -> Option<Self> {
        // The pid as `/proc` names us, not `getpid`: where `/proc` was mounted for another PID
        // namespace (a bare `unshare --pid --fork`) the two differ, and the owner is checked
        // through `/proc`.
        let pid = fs::read_link("/proc/self").ok()?.to_str()?.parse().ok()?;
        Some(Self {
            pid,
            start_ticks: start_ticks(pid)?,
            namespace: pid_namespace()?,
        })
    }

    fn parse(text: &str) -> Option<Self> {
        let mut words = text.split_whitespace();
        let owner = Self {
            pid: words.next()?.parse().ok().filter(|pid| *pid > 0)?,
            start_ticks: words.next()?.parse().ok()?,
            namespace: words.next()?.to_owned(),
        };
        words.next().is_none().then_some(owner)
    }

    /// Whether the owner is certainly gone: it is of this pid namespace, and its pid names no
    /// process or one that started at another time. Anything unsure keeps the folder.
    fn is_gone(&self) -> bool {
        if pid_namespace().as_deref() != Some(self.namespace.as_str()) {
            return false;
        }
        match start_ticks(self.pid) {
            Some(ticks) => ticks != self.start_ticks,
            None => !process_exists(self.pid),
        }
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.pid, self.start_ticks, self.namespace)
    }
}

/// When process `pid` started, in clock ticks after boot; `None` if it does not exist.
fn start_ticks(pid: i32) -> Option<u64> {
    use procfs::FromRead;
    procfs::process::Stat::from_file(format!("/proc/{pid}/stat"))
        .ok()
        .map(|stat| stat.starttime)
}

/// This process's pid namespace.
fn pid_namespace() -> Option<String> {
    let link = fs::read_link("/proc/self/ns/pid").ok()?;
    Some(link.to_string_lossy().into_owned())
}

/// Deletes the assemblies in `temp_dir` (the folder assemblies are made in) that a killed
/// labgrade left behind: `labgrade-*` folders whose `owner` file names a process that is gone.
/// Returns how many were deleted.
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

/// Whether assembly folder `dir` has an `owner` file naming a process that is gone (see
/// [`Owner::is_gone`]). An owner file of an older labgrade holds only a pid: it counts as gone
/// once it is at least `min_age` old and no process has that pid.
fn is_abandoned(dir: &Path, min_age: Duration) -> bool {
    let owner = dir.join(OWNER_FILE);
    let Ok(meta) = fs::symlink_metadata(&owner) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    let Ok(text) = fs::read_to_string(&owner) else {
        return false;
    };
    if let Some(owner) = Owner::parse(&text) {
        return owner.is_gone();
    }
    // A time in the future (a clock set back) counts as age zero.
    let age = meta
        .modified()
        .ok()
        .and_then(|written| SystemTime::now().duration_since(written).ok())
        .unwrap_or_default();
    text.trim()
        .parse::<i32>()
        .ok()
        // 0 and negative numbers name process groups, not a process.
        .filter(|pid| *pid > 0)
        .is_some_and(|pid| age >= min_age && !process_exists(pid))
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
pub(crate) fn normalize(path: &Path) -> Option<PathBuf> {
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
    use super::{OWNER_FILE, Owner, normalize, remove_abandoned_older_than};
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    #[test]
    fn only_assemblies_of_dead_owners_are_removed() {
        let temp = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = i32::try_from(child.id()).unwrap();
        child.wait().unwrap();
        let me = Owner::current().unwrap();
        let folder = |name: &str, owner: Option<String>| {
            let dir = temp.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            if let Some(owner) = owner {
                std::fs::write(dir.join(OWNER_FILE), owner).unwrap();
            }
            dir
        };
        let gone = |pid: i32, start_ticks: u64, namespace: &str| {
            Some(
                Owner {
                    pid,
                    start_ticks,
                    namespace: namespace.to_owned(),
                }
                .to_string(),
            )
        };
        let abandoned = folder("labgrade-dead", gone(dead, me.start_ticks, &me.namespace));
        // This very pid, but started at another time: the pid was recycled.
        let recycled = folder(
            "labgrade-recycled",
            gone(me.pid, me.start_ticks + 1, &me.namespace),
        );
        let live = folder("labgrade-live", Some(me.to_string()));
        let elsewhere = folder("labgrade-other-namespace", gone(dead, 1, "pid:[1]"));
        let old_format = folder("labgrade-old", Some(dead.to_string()));
        let unowned = folder("labgrade-unowned", None);
        let other = folder("other-dead", gone(dead, 1, &me.namespace));

        // The old format, too recent: a minute has not passed.
        assert_eq!(
            remove_abandoned_older_than(temp.path(), Duration::from_secs(60)),
            2
        );
        assert!(!abandoned.exists());
        assert!(!recycled.exists());
        assert!(old_format.exists());

        assert_eq!(remove_abandoned_older_than(temp.path(), Duration::ZERO), 1);
        assert!(!old_format.exists());
        assert!(live.exists());
        assert!(elsewhere.exists());
        assert!(unowned.exists());
        assert!(other.exists());
    }

    #[test]
    fn owner_files_round_trip_and_reject_garbage() {
        let me = Owner::current().unwrap();
        assert_eq!(Owner::parse(&me.to_string()), Some(me.clone()));
        assert!(!me.is_gone());
        assert_eq!(Owner::parse("12"), None);
        assert_eq!(Owner::parse("-1 5 pid:[1]"), None);
        assert_eq!(Owner::parse("1 5 pid:[1] extra"), None);
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
