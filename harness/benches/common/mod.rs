//! What the benchmarks share: how many runs, building an exercise's reference solution as
//! labgrade builds a submission, the job that runs it, and the median of the samples.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use labgrade::run::{BaseEnv, Job, Trace};

/// The median of `values` (the mean of the two middle ones for an even count).
pub(crate) fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    labgrade::stats::median(&mut values).expect("a benchmark has samples")
}

/// Runs of each variant: `LABGRADE_BENCH_RUNS`, 30 by default.
pub(crate) fn bench_runs() -> usize {
    std::env::var("LABGRADE_BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(30)
}

/// The workspace's root folder.
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the harness is in the workspace")
        .to_owned()
}

/// A job running `program` with `args` and `env` in `cwd`, untrusted limits aside: what is
/// measured is the supervision, not the containment.
pub(crate) fn job(
    program: &Path,
    cwd: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    trace: Option<Trace>,
) -> Job {
    Job {
        program: program.to_owned(),
        args: args.iter().map(|arg| (*arg).to_owned()).collect(),
        env: env
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect(),
        base_env: BaseEnv::Clean,
        cwd: cwd.to_owned(),
        timeout_ms: 60_000,
        output_limit: 64 * 1024,
        trace,
        limits: None,
        sandbox: None,
    }
}

/// Builds binary `bin` of the reference solution of `exercise` in a copy of the exercise under
/// `dir`, as labgrade builds a submission: a workspace of its own with the support crate beside
/// it, offline, in release mode. Returns the binary.
pub(crate) fn build_solution(root: &Path, dir: &Path, exercise: &str, bin: &str) -> PathBuf {
    let exercises = root.join("exercises");
    let workspace = dir.join("ws");
    for package in ["support", exercise] {
        copy_tree(&exercises.join(package), &workspace.join(package));
    }
    let bins = workspace.join(exercise).join("solution/src/bin");
    for entry in fs::read_dir(&bins).expect("the solution's binaries") {
        let source = entry.expect("a solution file").path();
        let name = source.file_name().expect("a file name");
        fs::copy(&source, workspace.join(exercise).join("src/bin").join(name)).expect("copied");
    }
    fs::write(
        workspace.join("Cargo.toml"),
        format!("[workspace]\nresolver = \"3\"\nmembers = [\"{exercise}\"]\n"),
    )
    .expect("workspace manifest");
    fs::copy(root.join("Cargo.lock"), workspace.join("Cargo.lock")).expect("lock file");
    let target = dir.join("target");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--offline", "--release", "--quiet", "--bin", bin])
        .current_dir(&workspace)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("cargo starts");
    assert!(status.success(), "building the solution failed");
    target.join("release").join(bin)
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("folder created");
    for entry in fs::read_dir(from).expect("readable folder") {
        let entry = entry.expect("folder entry");
        let path = entry.path();
        if entry.file_name() == "target" {
            continue;
        }
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&path, &to.join(entry.file_name()));
        } else {
            fs::copy(&path, to.join(entry.file_name())).expect("file copied");
        }
    }
}
