//! Running `cargo clippy` and `rustfmt --check` in a build slot, as the build runs: through
//! the runner, under a supervisor, with the build's sandbox, environment and limits.
//!
//! Clippy compiles the student's code as the build does (`cargo check` with clippy as the
//! compiler of the workspace's packages), in the slot's `target/`, so dependencies are checked
//! once per slot and each submission costs one check of the exercise package. The graded lints
//! are forbidden (`-F`) rather than warned about: a student's `#[allow]` of one then stops
//! clippy with an error that names it, instead of hiding findings. Every other clippy lint is
//! allowed, so findings are only those the rubric counts. `rustfmt --check` reads only the
//! student's files, with the package's edition, and writes nothing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::compile::{self, Toolchain};
use crate::error::{Error, io};
use crate::rubric::{Profile, Rubric};
use crate::run::{Job, Observation, Runner, Termination};
use crate::submission::Assembly;

use super::{StyleOutcome, StyleRequest, ToolOutcome, clippy, rustfmt};

/// Bytes of clippy's JSON messages kept: each message carries its rendered text, so a few
/// hundred findings take a megabyte.
const CLIPPY_OUTPUT_BYTES: u64 = 4 << 20;

impl Toolchain {
    /// Runs the tools `request` asks for on the submission synced into slot `workspace`,
    /// which built.
    pub(crate) fn style(
        &self,
        runner: &Runner,
        rubric: &Rubric,
        assembly: &Assembly,
        workspace: &Path,
        request: &StyleRequest,
    ) -> Result<StyleOutcome, Error> {
        let package = assembly
            .package_dir()
            .strip_prefix(assembly.workspace())
            .unwrap_or(Path::new(""))
            .to_string_lossy()
            .into_owned();
        let files: Vec<String> = rubric
            .exercise
            .files
            .iter()
            .map(|file| file.to_string_lossy().into_owned())
            .collect();
        let mut outcome = StyleOutcome::default();
        if !request.lints.is_empty() {
            let observation = self.run_style(
                runner,
                rubric,
                workspace,
                self.clippy_job(rubric, assembly, workspace, request)?,
            )?;
            outcome.clippy = Some(match ended(&observation, "clippy", &[0, 101]) {
                Some(reason) => ToolOutcome::Cut { reason },
                None => clippy::findings(
                    (&observation.stdout.text, &observation.stderr.text),
                    &request.lints,
                    &package,
                    &files,
                ),
            });
        }
        if request.rustfmt {
            let package_dir = workspace.join(&package);
            let job = self.rustfmt_job(workspace, &package_dir, &files)?;
            let observation = self.run_style(runner, rubric, workspace, job)?;
            let found = rustfmt::findings(
                &observation.stdout.text,
                &package_dir.to_string_lossy(),
                &files,
            );
            outcome.rustfmt = Some(match ended(&observation, "rustfmt", &[0, 1]) {
                Some(reason) => ToolOutcome::Cut { reason },
                // Exit 1 with no region said is rustfmt not reading the files at all (rustup's
                // proxy without the component says so with 1 too); the code built, so it is not
                // the student's.
                None if found.is_empty()
                    && observation.termination != (Termination::Exited { code: 0 }) =>
                {
                    ToolOutcome::Unavailable {
                        reason: format!(
                            "rustfmt gave no verdict (is rustfmt installed? `rustup component add rustfmt`):\n{}",
                            observation.stderr.text
                        ),
                    }
                }
                None => ToolOutcome::Checked {
                    findings: found,
                    unknown_lints: Vec::new(),
                },
            });
        }
        Ok(outcome)
    }

    fn clippy_job(
        &self,
        rubric: &Rubric,
        assembly: &Assembly,
        workspace: &Path,
        request: &StyleRequest,
    ) -> Result<Job, Error> {
        let mut args: Vec<String> = [
            "clippy",
            "--offline",
            "--bins",
            "--message-format=json",
            "--color",
            "never",
            "--package",
        ]
        .map(str::to_owned)
        .to_vec();
        args.push(assembly.package_name().to_owned());
        // The build's profile: the code clippy reads has the same `cfg` as the binaries.
        if rubric.build.profile == Profile::Release {
            args.push("--release".to_owned());
        }
        args.extend(["--".to_owned(), "-A".to_owned(), "clippy::all".to_owned()]);
        for lint in &request.lints {
            args.extend(["-F".to_owned(), format!("clippy::{lint}")]);
        }
        let mut job = self.cargo_job(workspace, args, rubric.build.timeout);
        job.output_limit = CLIPPY_OUTPUT_BYTES;
        // Clippy reads the first `clippy.toml` of the folders above the package, which is not
        // the student's (the course's, in development), and may be out of the sandbox: an
        // empty one of its own stops the search.
        let config = workspace.join("target").join("labgrade-clippy");
        fs::create_dir_all(&config).map_err(io("create", &config))?;
        let file = config.join("clippy.toml");
        fs::write(&file, "").map_err(io("write", &file))?;
        job.env
            .insert("CLIPPY_CONF_DIR".to_owned(), config.display().to_string());
        Ok(job)
    }

    /// `rustfmt --check` of the student's `files` in `package_dir`, with a configuration of
    /// the package's edition alone: whatever `rustfmt.toml` lies above the slot is not the
    /// student's.
    fn rustfmt_job(
        &self,
        workspace: &Path,
        package_dir: &Path,
        files: &[String],
    ) -> Result<Job, Error> {
        let manifest = package_dir.join("Cargo.toml");
        let text = fs::read_to_string(&manifest).map_err(io("read", &manifest))?;
        let edition = toml::from_str::<toml::Table>(&text)
            .ok()
            .and_then(|table| {
                table
                    .get("package")?
                    .get("edition")?
                    .as_str()
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "2015".to_owned());
        let config = workspace.join("target").join("labgrade-rustfmt.toml");
        fs::create_dir_all(workspace.join("target")).map_err(io("create", workspace))?;
        fs::write(
            &config,
            format!("edition = \"{edition}\"\nstyle_edition = \"{edition}\"\n"),
        )
        .map_err(io("write", &config))?;
        let rustfmt = Some(self.cargo.with_file_name("rustfmt"))
            .filter(|beside| beside.is_file())
            .unwrap_or_else(|| PathBuf::from("rustfmt"));
        let mut args = vec![
            "--check".to_owned(),
            "--color".to_owned(),
            "never".to_owned(),
            "--config-path".to_owned(),
            config.display().to_string(),
        ];
        args.extend(
            files
                .iter()
                .map(|file| package_dir.join(file).display().to_string()),
        );
        let mut job = self.cargo_job(workspace, args, std::time::Duration::from_secs(60));
        job.program = rustfmt;
        package_dir.clone_into(&mut job.cwd);
        job.env = BTreeMap::new();
        Ok(job)
    }

    /// Runs a tool's `job` contained as the build is; once more if something outside spoiled
    /// it, and spoiled twice the submission cannot be graded.
    fn run_style(
        &self,
        runner: &Runner,
        rubric: &Rubric,
        workspace: &Path,
        job: Job,
    ) -> Result<Observation, Error> {
        let job = self.contained(rubric, workspace, job)?;
        compile::run_unspoiled(runner, &job, || Ok(()))
    }
}

/// Why `tool` gave no findings to read, if it did not exit with one of `codes`.
fn ended(observation: &Observation, tool: &str, codes: &[i32]) -> Option<String> {
    match &observation.termination {
        Termination::Exited { code } if codes.contains(code) => None,
        Termination::TimedOut { .. } => Some(format!("{tool} ran past the build's time limit")),
        termination => Some(format!(
            "{tool} ended without a verdict ({termination:?}):\n{}",
            observation.stderr.text
        )),
    }
}
