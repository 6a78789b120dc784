//! Builds an assembled submission with cargo, offline, under a time limit, through the runner.
//!
//! Builds of one exercise use the build slots in labgrade's cache folder: each slot is a cargo
//! workspace at a fixed path (`<cache>/builds/<exercise>/ws-<n>`, or under `$LABGRADE_BUILD_DIR`:
//! [`Toolchain::slots_dir`]) whose `target/` survives from
//! build to build, so dependencies (`nix`, the support crate) compile once per slot, not once
//! per submission. A build takes the first free slot of [`Toolchain::build_slots`] (a file lock
//! per slot), so `labgrade batch --jobs N` builds N submissions at once while `grade` uses one
//! slot and builds take turns in it. Before each build the slot
//! gets the new submission's files and cargo forgets the exercise package's previous artifacts
//! (`cargo clean -p`), so one submission can never be graded with another's binaries. The
//! binaries are then copied out of the slot, into the submission's own temporary folder, before
//! the next build may start.
//!
//! Before any of that, the build is looked up by content (`reuse.rs`): files that were built
//! before, by any student, run or rubric, are not compiled again.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use crate::error::{Error, io};
use crate::reuse::{Kept, Key, Reuse};
use crate::rubric::{Profile, Rubric};
use crate::run::{BaseEnv, Job, Observation, ProcessLimits, Runner, Sandbox, Termination};
use crate::stage::{Observer, Stage};
use crate::style::{StyleOutcome, StyleRequest};
use crate::submission::Assembly;
use crate::test_build::{self, TestBuilds};

/// Bytes of compiler output kept for the report.
const DIAGNOSTICS_BYTES: u64 = 256 * 1024;
/// Time allowed to fetch dependencies (a no-op when they are already downloaded).
const FETCH_TIMEOUT: Duration = Duration::from_secs(600);
/// Time allowed for `cargo -vV` and `rustc -vV`.
const VERSION_TIMEOUT: Duration = Duration::from_secs(60);
/// Time allowed for `cargo clean -p`.
const CLEAN_TIMEOUT: Duration = Duration::from_secs(120);
/// Address space of each process of a build: the compiler builds the exercises' dependencies
/// in release mode within 1 GiB; four times that leaves room for larger packages.
const BUILD_MEMORY: u64 = 4 << 30;
/// Largest file a build may write: far above any binary of an exercise.
const BUILD_FILE_SIZE: u64 = 1 << 30;
/// Open files of each process of a build.
const BUILD_OPEN_FILES: u64 = 4096;
/// Tasks of a build; only counted for an isolated job, which a build is not.
const BUILD_TASKS: u64 = 4096;
/// What of cargo's home a build may read: the binaries, the downloaded sources and registry
/// indexes, the configuration and cargo's caches and locks. Not `credentials.toml` nor
/// `credentials`, which hold registry tokens.
const CARGO_HOME_READ: &[&str] = &[
    "bin",
    "registry",
    "git",
    "config.toml",
    "config",
    ".global-cache",
    ".package-cache",
    ".package-cache-mutate",
];
/// Pause between two looks for a free build slot when every slot is busy.
const SLOT_POLL: Duration = Duration::from_millis(100);

/// Where cargo is and where builds keep their shared state.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The cargo binary.
    pub cargo: PathBuf,
    /// labgrade's cache folder: the kept builds (`<cache>/built`, `reuse.rs`).
    pub cache_dir: PathBuf,
    /// Where the build slots live (`<slots>/<exercise>/ws-<n>`): `<cache>/builds` unless
    /// `$LABGRADE_BUILD_DIR` says otherwise, so that the tasks of a cluster may share the kept
    /// builds on the shared file system while each builds in slots on its own node's disk
    /// (slots are taken by index: shared, every task would take turns in the same few).
    pub slots_dir: PathBuf,
    /// How many build slots builds of one exercise may use at once (at least 1). Each slot
    /// compiles the dependencies once, so more slots cost disk and a first build each.
    pub build_slots: usize,
}

/// What a build produced.
#[derive(Debug)]
pub enum BuildOutcome {
    /// The binaries are in this folder.
    Built {
        /// Folder of the binaries.
        bin_dir: PathBuf,
        /// Wall time of the build.
        wall_ms: u64,
        /// Whether the binaries are those of an earlier build of the same files.
        reused: bool,
        /// What building each program's tests gave (`test` checks); empty without them.
        tests: TestBuilds,
        /// What clippy and rustfmt found, for the rubric's style checks.
        style: StyleOutcome,
    },
    /// The compiler rejected the code.
    CompileError {
        /// Compiler messages.
        diagnostics: String,
        /// Wall time of the build.
        wall_ms: u64,
        /// Whether the messages are those of an earlier build of the same files.
        reused: bool,
    },
    /// The build ran past its limit.
    TimedOut {
        /// Compiler messages so far.
        diagnostics: String,
        /// Wall time of the build.
        wall_ms: u64,
    },
}

impl Toolchain {
    /// Builds every binary of the assembled package, offline, in the exercise's build slot.
    pub fn build(
        &self,
        runner: &Runner,
        rubric: &Rubric,
        assembly: &Assembly,
        observer: &dyn Observer,
    ) -> Result<BuildOutcome, Error> {
        // Absolute, because cargo runs in the slot and would read a relative target folder from
        // there, while labgrade copies the binaries from here.
        let exercise_dir = std::path::absolute(self.slots_dir.join(&rubric.exercise.name))
            .map_err(io("resolve", &self.slots_dir))?;
        let bin_dir = assembly.root().join("bin");
        // Made first: the toolchain's identity is asked for inside it, and a fresh machine (a
        // clean CI clone, a student's first grade) has no cache folder yet.
        fs::create_dir_all(&exercise_dir).map_err(io("create", &exercise_dir))?;
        let reuse = Reuse::in_cache(&self.cache_dir);
        let key = self.key(runner, rubric, assembly, &exercise_dir)?;
        if let Some(kept) = key.as_ref().and_then(|key| reuse.take(key, &bin_dir)) {
            observer.stage(&Stage::Reusing);
            return Ok(kept.into_outcome(bin_dir));
        }
        // Held until the binaries are copied out; released when `_lock` is dropped.
        let (_lock, workspace) = take_slot(&exercise_dir, self.build_slots)?;
        sync_workspace(&assembly.workspace(), &workspace)?;

        self.fetch(runner, &workspace, &rubric.exercise.package, observer)?;
        self.clean(runner, rubric, assembly, &workspace)?;

        let built = workspace
            .join("target")
            .join(profile_dir(rubric.build.profile));
        // A slot that never built this profile compiles every dependency first: the one build
        // that takes a minute, which the observer can say.
        observer.stage(&Stage::Building {
            first: !built.join("deps").is_dir(),
        });
        remove_executables(&built)?;
        let mut args: Vec<String> = [
            "build",
            "--offline",
            "--bins",
            "--quiet",
            "--color",
            "never",
        ]
        .map(str::to_owned)
        .to_vec();
        if rubric.build.profile == Profile::Release {
            args.push("--release".to_owned());
        }
        let mut job = self.contained(
            rubric,
            &workspace,
            self.cargo_job(&workspace, args, rubric.build.timeout),
        )?;
        line_tables(&mut job, rubric.build.profile, &workspace, assembly);
        let observation = run_unspoiled(runner, &job, || remove_executables(&built))?;
        let diagnostics = relative_diagnostics(&observation, &workspace, assembly);
        let wall_ms = observation.wall_ms;
        Ok(match observation.termination {
            Termination::Exited { code: 0 } => {
                copy_executables(&built, &bin_dir)?;
                let tests =
                    test_build::build(runner, rubric, assembly, (&workspace, &bin_dir), &job)?;
                // In the slot still held, after the build: clippy finds the dependencies built.
                // Not of a submission lacking files: style is judged of all of them or none.
                let style = if assembly.missing.is_empty() {
                    let request = StyleRequest::of(rubric);
                    self.style(runner, rubric, assembly, &workspace, &request)?
                } else {
                    StyleOutcome::default()
                };
                if let Some(key) = key.as_ref().filter(|_| style.is_decided()) {
                    reuse.keep(key, &Kept::built(wall_ms, &tests, &style), Some(&bin_dir));
                }
                BuildOutcome::Built {
                    bin_dir,
                    wall_ms,
                    reused: false,
                    tests,
                    style,
                }
            }
            Termination::TimedOut { .. } => BuildOutcome::TimedOut {
                diagnostics,
                wall_ms,
            },
            termination => {
                // Only cargo's own verdict is kept: a compiler killed by a signal (a limit)
                // may fare otherwise next time.
                if let (Some(key), Termination::Exited { .. }) = (&key, termination) {
                    let kept = Kept::CompileError {
                        diagnostics: diagnostics.clone(),
                        wall_ms,
                    };
                    reuse.keep(key, &kept, None);
                }
                BuildOutcome::CompileError {
                    diagnostics,
                    wall_ms,
                    reused: false,
                }
            }
        })
    }

    /// `job` run as a build runs in slot `workspace`: the toolchain's environment, a sandbox
    /// of the toolchain and the slot, and the build's limits. Also for clippy and rustfmt,
    /// which read the same student files (`style/run.rs`).
    pub(crate) fn contained(
        &self,
        rubric: &Rubric,
        workspace: &Path,
        mut job: Job,
    ) -> Result<Job, Error> {
        // The compiler expands `option_env!` and `include_str!("/proc/self/environ")` into the
        // program: it sees the toolchain's variables, never labgrade's secrets.
        job.base_env = BaseEnv::Toolchain;
        // The compiler reads the student's files: `include_str!` or `#[path]` could make it read
        // any file labgrade's user can, so the build sees only the toolchain and the slot.
        let tmp = workspace.join("target").join("tmp");
        fs::create_dir_all(&tmp).map_err(io("create", &tmp))?;
        job.env
            .insert("TMPDIR".to_owned(), tmp.display().to_string());
        job.sandbox = Some(self.build_sandbox(rubric, workspace));
        // Student code can make the compiler itself run away (`[0u8; 1 << 40]` in a constant):
        // every process of the build gets generous limits, so that such code is a compile error
        // rather than a machine out of memory or disk.
        job.limits = Some(ProcessLimits {
            cpu_ms: u64::try_from(rubric.build.timeout.as_millis()).unwrap_or(u64::MAX),
            memory_bytes: BUILD_MEMORY,
            tasks: BUILD_TASKS,
            file_bytes: BUILD_FILE_SIZE,
            open_files: BUILD_OPEN_FILES,
            // The compiler runs as labgrade's user: no student code runs during a build (the
            // manifest is the course's, so no build script or procedural macro of theirs),
            // and what the compiler reads is confined by the sandbox.
            isolate: false,
        });
        Ok(job)
    }

    /// Makes cargo forget the exercise package's artifacts in slot `workspace`, so that only
    /// this build's binaries can be copied out.
    fn clean(
        &self,
        runner: &Runner,
        rubric: &Rubric,
        assembly: &Assembly,
        workspace: &Path,
    ) -> Result<(), Error> {
        let mut clean = vec![
            "clean".to_owned(),
            "--offline".to_owned(),
            "--quiet".to_owned(),
        ];
        clean.extend(["--package".to_owned(), assembly.package_name().to_owned()]);
        if rubric.build.profile == Profile::Release {
            clean.push("--release".to_owned());
        }
        let cleaned = runner.run(&self.cargo_job(workspace, clean, CLEAN_TIMEOUT))?;
        if cleaned.termination != (Termination::Exited { code: 0 }) {
            return Err(Error::Package {
                package: rubric.exercise.package.clone(),
                problem: format!(
                    "`cargo clean` failed in the build slot:\n{}",
                    cleaned.stderr.text
                ),
            });
        }
        Ok(())
    }

    /// The key of building `assembly` in a slot of `exercise_dir`; `None` when the toolchain
    /// cannot say what it is, and then nothing is reused.
    fn key(
        &self,
        runner: &Runner,
        rubric: &Rubric,
        assembly: &Assembly,
        exercise_dir: &Path,
    ) -> Result<Option<Key>, Error> {
        let Some(toolchain) = self.identity(runner)? else {
            return Ok(None);
        };
        // What the compiler may read decides what `include_str!` gives, so the build's
        // containment is part of the key: as another user, or without Landlock, the same files
        // may build otherwise. (Of a slot's sandbox, all but the slot itself.)
        let containment = format!(
            "uid {}\nlandlock {:?}\n{:?}",
            nix::unistd::Uid::effective(),
            crate::run::landlock_abi(),
            self.build_sandbox(rubric, exercise_dir)
        );
        // The rubric's test files are built into the test executables, not into the assembly.
        let tests = test_build::identity(rubric)?;
        // The style checks' tools and lints, when there are any: their findings are kept too.
        let request = StyleRequest::of(rubric);
        let style = if request.is_empty() {
            String::new()
        } else {
            format!("\n{}", request.describe())
        };
        Key::of(
            &assembly.workspace(),
            (rubric.build.profile, rubric.build.timeout),
            &format!("{toolchain}\n{containment}\n{tests}{style}"),
        )
        .map(Some)
    }

    /// What the toolchain is (`cargo -vV` and `rustc -vV`, asked once per process), for the
    /// key of a build; `None` when either cannot say, and then nothing is reused.
    fn identity(&self, runner: &Runner) -> Result<Option<String>, Error> {
        static KNOWN: Mutex<BTreeMap<PathBuf, Option<String>>> = Mutex::new(BTreeMap::new());
        if let Some(known) = KNOWN
            .lock()
            .ok()
            .and_then(|known| known.get(&self.cargo).cloned())
        {
            return Ok(known);
        }
        // Cargo runs `$RUSTC`, else the `rustc` beside it (rustup's proxies, a distribution's
        // packages), else the one on the PATH.
        let rustc = std::env::var_os("RUSTC")
            .filter(|rustc| !rustc.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                let beside = self.cargo.with_file_name("rustc");
                beside.is_file().then_some(beside)
            })
            .unwrap_or_else(|| PathBuf::from("rustc"));
        let mut identity = Some(String::new());
        for program in [self.cargo.clone(), rustc] {
            let mut job = self.cargo_job(&self.cache_dir, vec!["-vV".to_owned()], VERSION_TIMEOUT);
            job.program = program;
            let observation = runner.run(&job)?;
            identity = identity.filter(|_| {
                observation.termination == (Termination::Exited { code: 0 })
                    && observation.interference.is_none()
            });
            if let Some(identity) = &mut identity {
                identity.push_str(&observation.stdout.text);
            }
        }
        if let Ok(mut known) = KNOWN.lock() {
            known.insert(self.cargo.clone(), identity.clone());
        }
        Ok(identity)
    }

    /// Downloads the exercise's dependencies if they are missing. The manifest and lockfile are
    /// labgrade's own, so this is the one step allowed to reach the network.
    /// Skipped when this process already fetched for the same slot and lockfile: a batch
    /// builds hundreds of submissions in each slot, and a no-op `cargo fetch` still costs a
    /// tenth of a second.
    fn fetch(
        &self,
        runner: &Runner,
        workspace: &Path,
        package: &Path,
        observer: &dyn Observer,
    ) -> Result<(), Error> {
        static FETCHED: Mutex<BTreeSet<(PathBuf, Vec<u8>)>> = Mutex::new(BTreeSet::new());
        let lockfile = fs::read(workspace.join("Cargo.lock")).unwrap_or_default();
        let key = (workspace.to_owned(), lockfile);
        if FETCHED.lock().is_ok_and(|fetched| fetched.contains(&key)) {
            return Ok(());
        }
        observer.stage(&Stage::Fetching);
        let job = self.cargo_job(
            workspace,
            vec!["fetch".to_owned(), "--quiet".to_owned()],
            FETCH_TIMEOUT,
        );
        let observation = runner.run(&job)?;
        match observation.termination {
            Termination::Exited { code: 0 } => {
                if let Ok(mut fetched) = FETCHED.lock() {
                    fetched.insert(key);
                }
                Ok(())
            }
            _ => Err(Error::Fetch {
                package: package.to_owned(),
                diagnostics: observation.stderr.text,
            }),
        }
    }

    pub(crate) fn cargo_job(&self, workspace: &Path, args: Vec<String>, timeout: Duration) -> Job {
        let mut env = BTreeMap::new();
        let target = workspace.join("target").display().to_string();
        env.insert("CARGO_TARGET_DIR".to_owned(), target.clone());
        env.insert("CARGO_BUILD_BUILD_DIR".to_owned(), target);
        // Settings of the cargo that runs labgrade (in tests, or under `cargo run`) must not leak
        // into the submission's build; cargo reads an empty value of these as "not set".
        for name in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "RUSTC_WRAPPER",
            "RUSTC_WORKSPACE_WRAPPER",
        ] {
            env.insert(name.to_owned(), String::new());
        }
        Job {
            program: self.cargo.clone(),
            args,
            env,
            base_env: BaseEnv::Inherit,
            cwd: workspace.to_owned(),
            timeout_ms: timeout.as_millis() as u64,
            output_limit: DIAGNOSTICS_BYTES,
            trace: None,
            limits: None,
            sandbox: None,
        }
    }
}

/// Takes a build slot of the exercise in `exercise_dir`: the first of `slots` whose lock is
/// free, else waits for one. Returns the held lock and the slot's workspace.
///
/// Another labgrade (a second batch, a `grade` run by hand, a parallel test) may hold any
/// slot, so even a batch with as many slots as jobs may have to wait.
fn take_slot(exercise_dir: &Path, slots: usize) -> Result<(File, PathBuf), Error> {
    let slots = slots.max(1);
    let open = |index: usize| -> Result<(File, PathBuf), Error> {
        let lock_path = exercise_dir.join(format!("lock-{index}"));
        let lock = File::create(&lock_path).map_err(io("create", &lock_path))?;
        Ok((lock, lock_path))
    };
    if slots == 1 {
        // A single slot: wait in the kernel's queue, as fair as flock is.
        let (lock, lock_path) = open(0)?;
        lock.lock().map_err(io("lock", &lock_path))?;
        return Ok((lock, exercise_dir.join("ws-0")));
    }
    loop {
        for index in 0..slots {
            let (lock, lock_path) = open(index)?;
            match lock.try_lock() {
                Ok(()) => return Ok((lock, exercise_dir.join(format!("ws-{index}")))),
                Err(fs::TryLockError::WouldBlock) => {}
                Err(fs::TryLockError::Error(source)) => {
                    return Err(io("lock", &lock_path)(source));
                }
            }
        }
        // Every slot is busy with a build of seconds to minutes: looking again a few times a
        // second costs nothing and takes whichever slot frees first.
        std::thread::sleep(SLOT_POLL);
    }
}

impl Toolchain {
    /// What a build in `workspace` may reach: the toolchain (cargo's and rustup's homes, the
    /// cargo binary's folder) and cargo's configuration folders above the slot, read-only; the
    /// slot itself, read-write. Not the course, not other submissions, not labgrade's files.
    fn build_sandbox(&self, rubric: &Rubric, workspace: &Path) -> Sandbox {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let from_env = |name: &str, default: &str| {
            std::env::var_os(name)
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|home| home.join(default)))
        };
        let cargo_home = from_env("CARGO_HOME", ".cargo");
        // Of cargo's home, what a build reads; never its credentials (`credentials.toml` holds
        // registry tokens).
        let mut read: Vec<PathBuf> = cargo_home
            .iter()
            .flat_map(|home| CARGO_HOME_READ.iter().map(|name| home.join(name)))
            .filter(|path| path.exists())
            .chain(from_env("RUSTUP_HOME", ".rustup"))
            .collect();
        for cargo in [Some(self.cargo.clone()), fs::canonicalize(&self.cargo).ok()]
            .into_iter()
            .flatten()
        {
            read.extend(cargo.parent().map(Path::to_path_buf));
        }
        // Cargo reads `.cargo/config.toml` in every folder above the one it runs in and fails
        // on one it may see but not read.
        read.extend(
            workspace
                .ancestors()
                .map(|folder| folder.join(".cargo"))
                .filter(|config| config.is_dir()),
        );
        Sandbox {
            read,
            write: vec![workspace.to_owned()],
            hide: course_folders(rubric),
            landlock: true,
            proc: false,
            private_tmp: false,
        }
    }
}

/// Makes `slot` hold exactly the files of `assembled`, keeping only the slot's `target/`.
fn sync_workspace(assembled: &Path, slot: &Path) -> Result<(), Error> {
    sync_dir(assembled, slot, true)
}

/// Makes folder `to` hold exactly what `from` holds (at the top, `target/` excepted). A file
/// whose bytes are already there is left untouched, modification time included: cargo decides
/// what to rebuild by those times, and rewriting the course's unchanged files (the support
/// crate) would recompile them for every submission. The exercise package itself is rebuilt
/// anyway (`cargo clean -p`), so a student's file equal to the previous one is no risk.
fn sync_dir(from: &Path, to: &Path, top: bool) -> Result<(), Error> {
    fs::create_dir_all(to).map_err(io("create", to))?;
    for entry in fs::read_dir(to).map_err(io("read", to))? {
        let entry = entry.map_err(io("read", to))?;
        if top && entry.file_name() == "target" {
            continue;
        }
        let path = entry.path();
        let is_dir = entry.file_type().map_err(io("read", &path))?.is_dir();
        let source = from.join(entry.file_name());
        let source_kind = fs::symlink_metadata(&source).ok().map(|meta| meta.is_dir());
        if source_kind == Some(is_dir) {
            continue;
        }
        if is_dir {
            fs::remove_dir_all(&path).map_err(io("remove", &path))?;
        } else {
            fs::remove_file(&path).map_err(io("remove", &path))?;
        }
    }
    for entry in fs::read_dir(from).map_err(io("read", from))? {
        let entry = entry.map_err(io("read", from))?;
        let target = to.join(entry.file_name());
        if entry
            .file_type()
            .map_err(io("read", entry.path()))?
            .is_dir()
        {
            sync_dir(&entry.path(), &target, false)?;
        } else {
            let bytes = fs::read(entry.path()).map_err(io("read", entry.path()))?;
            if fs::read(&target).ok().as_ref() != Some(&bytes) {
                fs::write(&target, &bytes).map_err(io("write", &target))?;
            }
        }
    }
    Ok(())
}

/// Runs `job`, a step of a build (cargo, clippy, rustfmt, the test build). A step killed from
/// outside says nothing of the submission: it runs once more, after `again` clears what the
/// spoiled run left, and spoiled twice the submission cannot be graded (never a compile error
/// or a finding).
pub(crate) fn run_unspoiled(
    runner: &Runner,
    job: &Job,
    mut again: impl FnMut() -> Result<(), Error>,
) -> Result<Observation, Error> {
    let mut observation = runner.run(job)?;
    if let Some(first) = observation.interference.take() {
        again()?;
        observation = runner.run(job)?;
        if let Some(then) = &observation.interference {
            return Err(Error::BuildSpoiled {
                first: first.describe(),
                then: then.describe(),
            });
        }
    }
    Ok(observation)
}

/// Removes the executables a previous build left at the top of the profile folder, so that
/// only binaries of this build can be copied out of the slot.
fn remove_executables(built: &Path) -> Result<(), Error> {
    let Ok(entries) = fs::read_dir(built) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.map_err(io("read", built))?;
        let meta = entry.metadata().map_err(io("read", entry.path()))?;
        if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
            fs::remove_file(entry.path()).map_err(io("remove", entry.path()))?;
        }
    }
    Ok(())
}

/// Copies the executables cargo left at the top of its profile folder.
fn copy_executables(built: &Path, bin_dir: &Path) -> Result<(), Error> {
    fs::create_dir_all(bin_dir).map_err(io("create", bin_dir))?;
    // Student programs may run as an unprivileged uid of their own (see `run::ProcessLimits`): they
    // must be able to reach and execute their binary, but not list or read another student's
    // (execute-only: the kernel needs no read permission to start a binary). This holds by
    // permissions alone, where the kernel has no Landlock.
    open_to_programs(bin_dir)?;
    for entry in fs::read_dir(built).map_err(io("read", built))? {
        let entry = entry.map_err(io("read", built))?;
        let meta = entry.metadata().map_err(io("read", entry.path()))?;
        if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
            let copy = bin_dir.join(entry.file_name());
            fs::copy(entry.path(), &copy).map_err(io("copy", entry.path()))?;
            open_to_programs(&copy)?;
        }
    }
    Ok(())
}

/// Builds with line tables and paths relative to the package, so that the stack of a hung
/// program names the student's lines as `src/main.rs:42` (`run/supervisor/stack/`). Line tables
/// cost nothing at run time (the dev profile has them already). The slot's folder is mapped
/// away, the package's folder too, and the course's crates beside it (the support crate) to
/// `../<name>` as they are beside the package: the binary then reads the same from any slot,
/// and only the package's own files are named by a path neither absolute nor starting with
/// `../`. Part of the build recipe (`reuse::RECIPE`).
fn line_tables(job: &mut Job, profile: Profile, workspace: &Path, assembly: &Assembly) {
    if profile == Profile::Release {
        job.env.insert(
            "CARGO_PROFILE_RELEASE_DEBUG".to_owned(),
            "line-tables-only".to_owned(),
        );
    }
    let package = assembly
        .package_dir()
        .strip_prefix(assembly.workspace())
        .unwrap_or(assembly.package_dir());
    let mut flags = vec![
        format!("--remap-path-prefix={}=", workspace.display()),
        format!("--remap-path-prefix={}=", package.display()),
    ];
    let beside = fs::read_dir(assembly.workspace())
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "target" && Path::new(name) != package);
    flags.extend(beside.map(|name| format!("--remap-path-prefix={name}=../{name}")));
    // One flag per `\x1f`-separated item: paths with spaces stay whole.
    job.env
        .insert("CARGO_ENCODED_RUSTFLAGS".to_owned(), flags.join("\x1f"));
}

/// The folder cargo puts binaries of `profile` in.
#[must_use]
pub fn profile_dir(profile: Profile) -> &'static str {
    match profile {
        Profile::Dev => "debug",
        Profile::Release => "release",
    }
}

/// Compiler output with the build slot removed from paths, so that a student reads
/// `src/bin/sum_array_threads.rs:12:5` as in their own copy.
fn relative_diagnostics(
    observation: &Observation,
    workspace: &Path,
    assembly: &Assembly,
) -> String {
    let package_dir = assembly
        .package_dir()
        .strip_prefix(assembly.workspace())
        .unwrap_or(assembly.package_dir())
        .display()
        .to_string();
    observation
        .stderr
        .text
        .replace(&format!("{}/{package_dir}/", workspace.display()), "")
        .replace(&format!("--> {package_dir}/"), "--> ")
        .replace(&format!("{}/", workspace.display()), "")
}

/// The folders of the course a student program must not see: the course's root (two folders
/// above the exercise package, holding the solutions, the rubrics and, in development, the
/// build cache) and the rubric's folder. Hidden only where Landlock is missing and labgrade
/// runs as root (see [`Sandbox::hide`]), from student programs and from the compiler.
pub(crate) fn course_folders(rubric: &Rubric) -> Vec<PathBuf> {
    let package = &rubric.exercise.package;
    [
        package.parent().and_then(Path::parent),
        rubric.path.parent(),
    ]
    .into_iter()
    .flatten()
    .filter_map(|folder| std::path::absolute(folder).ok())
    .collect()
}

/// Lets every user pass through `dir` (mode 0711): a folder is traversable, a binary
/// executable, and neither is listable or readable by another uid. A student program running as
/// its own uid so reaches its binary and its scratch folder (which the supervisor gives to that
/// uid) by name, but not another student's. For the assembly's root, `bin/`, `runs/` and the
/// binaries.
pub(crate) fn open_to_programs(dir: &Path) -> Result<(), Error> {
    fs::set_permissions(dir, fs::Permissions::from_mode(0o711))
        .map_err(io("set the permissions of", dir))
}
