//! Builds an assembled submission with cargo, offline, under a time limit, through the runner.
//!
//! Compiled dependencies are shared between builds through cargo's `build-dir` in labgrade's
//! cache folder, while every build gets its own target folder for the final binaries, so two
//! submissions never overwrite each other's executables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Error;
use crate::rubric::{Profile, Rubric};
use crate::run::{BaseEnv, Job, Observation, Runner, Termination};
use crate::submission::Assembly;

/// Bytes of compiler output kept for the report.
const DIAGNOSTICS_BYTES: u64 = 256 * 1024;
/// Time allowed to fetch dependencies (a no-op when they are already downloaded).
const FETCH_TIMEOUT: Duration = Duration::from_secs(600);

/// Where cargo is and where builds keep their shared state.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The cargo binary.
    pub cargo: PathBuf,
    /// labgrade's cache folder; compiled dependencies go in `<cache>/build`.
    pub cache_dir: PathBuf,
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
    },
    /// The compiler rejected the code.
    CompileError {
        /// Compiler messages.
        diagnostics: String,
        /// Wall time of the build.
        wall_ms: u64,
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
    /// Downloads the exercise's dependencies if they are missing; the manifest and lockfile are
    /// labgrade's own, so this is the one step allowed to reach the network.
    pub fn fetch(&self, runner: &Runner, assembly: &Assembly, package: &Path) -> Result<(), Error> {
        let observation = runner.run(&self.cargo_job(
            assembly,
            vec!["fetch".to_owned(), "--quiet".to_owned()],
            FETCH_TIMEOUT,
        ))?;
        match observation.termination {
            Termination::Exited { code: 0 } => Ok(()),
            _ => Err(Error::Fetch {
                package: package.to_owned(),
                diagnostics: observation.stderr.text,
            }),
        }
    }

    /// Builds every binary of the assembled package, offline.
    pub fn build(&self, runner: &Runner, rubric: &Rubric, assembly: &Assembly) -> Result<BuildOutcome, Error> {
        let mut args: Vec<String> = ["build", "--offline", "--bins", "--quiet", "--color", "never"]
            .map(str::to_owned)
            .to_vec();
        if rubric.build.profile == Profile::Release {
            args.push("--release".to_owned());
        }
        let observation = runner.run(&self.cargo_job(assembly, args, rubric.build.timeout))?;
        let diagnostics = relative_diagnostics(&observation, assembly);
        let wall_ms = observation.wall_ms;
        Ok(match observation.termination {
            Termination::Exited { code: 0 } => BuildOutcome::Built {
                bin_dir: assembly.workspace().join("target").join(profile_dir(rubric.build.profile)),
                wall_ms,
            },
            Termination::TimedOut { .. } => BuildOutcome::TimedOut { diagnostics, wall_ms },
            _ => BuildOutcome::CompileError { diagnostics, wall_ms },
        })
    }

    fn cargo_job(&self, assembly: &Assembly, args: Vec<String>, timeout: Duration) -> Job {
        let workspace = assembly.workspace();
        let mut env = BTreeMap::new();
        env.insert("CARGO_TARGET_DIR".to_owned(), workspace.join("target").display().to_string());
        env.insert(
            "CARGO_BUILD_BUILD_DIR".to_owned(),
            self.cache_dir.join("build").display().to_string(),
        );
        // Settings of the cargo that runs labgrade (in tests, or under `cargo run`) must not leak
        // into the submission's build.
        // Cargo reads an empty value of these as "not set".
        for name in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "RUSTC_WRAPPER", "RUSTC_WORKSPACE_WRAPPER"] {
            env.insert(name.to_owned(), String::new());
        }
        Job {
            program: self.cargo.clone(),
            args,
            env,
            base_env: BaseEnv::Inherit,
            cwd: workspace,
            timeout_ms: timeout.as_millis() as u64,
            output_limit: DIAGNOSTICS_BYTES,
        }
    }
}

/// The folder cargo puts binaries of `profile` in.
#[must_use]
pub fn profile_dir(profile: Profile) -> &'static str {
    match profile {
        Profile::Dev => "debug",
        Profile::Release => "release",
    }
}

/// Compiler output with the temporary folder removed from paths, so that a student reads
/// `src/bin/sum_array_threads.rs:12:5` as in their own copy.
fn relative_diagnostics(observation: &Observation, assembly: &Assembly) -> String {
    let package_prefix = format!(
        "{}/",
        assembly
            .package_dir()
            .strip_prefix(assembly.workspace())
            .unwrap_or(assembly.package_dir())
            .display()
    );
    let workspace_prefix = format!("{}/", assembly.package_dir().display());
    observation
        .stderr
        .text
        .replace(&workspace_prefix, "")
        .replace(&format!("--> {package_prefix}"), "--> ")
        .replace(&format!("{}/", assembly.workspace().display()), "")
}
