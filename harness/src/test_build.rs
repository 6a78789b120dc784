//! Builds the test files of a rubric's `test` checks into one test executable per program, in
//! the build slot, right after the programs themselves and under the same containment.
//!
//! An exercise's programs are binary crates, whose functions no other crate can call. So each
//! test file is compiled *into* its program, as a module under `#[cfg(test)]` appended to the
//! student's source file in the slot (`use super::*;` in the test file reaches the student's
//! functions, private ones included), and `cargo test --no-run --bin <program>` builds the
//! program's test executable; its path comes from cargo's JSON messages. The normal build never
//! sees the test files: they are written into the slot only for this step and removed after it,
//! and the assembly (what the reuse key hashes, what student programs could reach) never holds
//! them.
//!
//! A test file that does not compile against the student's code (the function it calls has
//! another signature, or is missing) fails the tests of that program only, as a graded failure
//! of each of their checks with the compiler's messages; the programs and the other programs'
//! tests are graded as usual.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::compile::{self, open_to_programs};
use crate::digest;
use crate::error::{Error, io};
use crate::rubric::Rubric;
use crate::run::{Job, Observation, Runner, Termination};
use crate::submission::Assembly;

/// The folder, beside the binaries' `bin/` (in an assembly and in a kept build), that holds the
/// test executables, one per program, named as the program.
pub const TESTS_FOLDER: &str = "tests";
/// The folder of the package, in the build slot, that the test files are copied into.
const SLOT_FOLDER: &str = "labgrade-tests";

/// What building one program's tests gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TestBuild {
    /// The test executable is in the tests folder, named as the program.
    Built,
    /// The test files do not compile against the student's code.
    CompileError {
        /// The compiler's errors, with paths relative to the package.
        diagnostics: String,
    },
    /// The build of the tests ran past the build's time limit.
    TimedOut {
        /// What the compiler said so far.
        diagnostics: String,
    },
}

/// What building each program's tests gave, by program.
pub type TestBuilds = BTreeMap<String, TestBuild>;

/// The tests folder that goes with the binaries' folder `bin_dir`.
#[must_use]
pub fn tests_dir(bin_dir: &Path) -> PathBuf {
    bin_dir.with_file_name(TESTS_FOLDER)
}

/// The test files of `rubric`'s checks, by program: each file's module and its path.
fn suites(rubric: &Rubric) -> BTreeMap<&str, BTreeMap<String, PathBuf>> {
    let base = rubric.path.parent().unwrap_or(Path::new(""));
    let mut suites: BTreeMap<&str, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for check in &rubric.checks {
        if let Some(test) = &check.runs.test {
            suites
                .entry(check.runs.program.as_str())
                .or_default()
                .insert(test.module(), base.join(&test.file));
        }
    }
    suites
}

/// What of the test files reaches a build, for its reuse key: each program's modules and
/// their bytes (empty when the rubric has no `test` check). A file that cannot be read is an
/// error of the course.
pub(crate) fn identity(rubric: &Rubric) -> Result<String, Error> {
    let mut hasher = Sha256::new();
    let suites = suites(rubric);
    if suites.is_empty() {
        return Ok(String::new());
    }
    for (program, files) in suites {
        for (module, file) in files {
            let bytes = fs::read(&file).map_err(io("read the test file", &file))?;
            hasher.update(format!("{program}\0{module}\0{}\0", bytes.len()).as_bytes());
            hasher.update(&bytes);
        }
    }
    Ok(format!("tests {}", digest::hex(&hasher.finalize())))
}

/// Builds the tests of every program of `rubric` that has some, in slot `workspace`, with
/// `job` (the contained build job of the programs, whose arguments are replaced), and copies
/// each test executable into the tests folder beside `bin_dir`.
pub(crate) fn build(
    runner: &Runner,
    rubric: &Rubric,
    assembly: &Assembly,
    (workspace, bin_dir): (&Path, &Path),
    job: &Job,
) -> Result<TestBuilds, Error> {
    let mut builds = TestBuilds::new();
    let suites = suites(rubric);
    if suites.is_empty() {
        return Ok(builds);
    }
    let package = workspace.join(
        assembly
            .package_dir()
            .strip_prefix(assembly.workspace())
            .unwrap_or(assembly.package_dir()),
    );
    let tests = tests_dir(bin_dir);
    fs::create_dir_all(&tests).map_err(io("create", &tests))?;
    open_to_programs(&tests)?;
    for (program, files) in suites {
        // A program whose source the submission lacks is not run, nor are its tests.
        let Some((_, source)) = assembly.binaries.iter().find(|(name, _)| name == program) else {
            continue;
        };
        if assembly
            .unavailable_programs
            .iter()
            .any(|name| name == program)
        {
            continue;
        }
        let source = package.join(source);
        let original = fs::read(&source).map_err(io("read", &source))?;
        let built = build_program(runner, (program, &files), (&package, &source), job);
        // The slot holds the student's file as handed in again, and no test file, whatever
        // the build gave: the next build syncs it anyway, this keeps it tidy meanwhile.
        fs::write(&source, &original).map_err(io("write", &source))?;
        let slot_folder = package.join(SLOT_FOLDER);
        if slot_folder.exists() {
            fs::remove_dir_all(&slot_folder).map_err(io("remove", &slot_folder))?;
        }
        let (observation, executable) = built?;
        builds.insert(
            program.to_owned(),
            outcome(&observation, executable, &tests.join(program), workspace)?,
        );
    }
    Ok(builds)
}

/// Writes `files` into the slot, appends their modules to `source` and runs cargo: what it
/// observed, and the test executable if cargo named one.
fn build_program(
    runner: &Runner,
    (program, files): (&str, &BTreeMap<String, PathBuf>),
    (package, source): (&Path, &Path),
    job: &Job,
) -> Result<(Observation, Option<PathBuf>), Error> {
    let folder = package.join(SLOT_FOLDER);
    fs::create_dir_all(&folder).map_err(io("create", &folder))?;
    // `#[path]` is relative to the source file's folder; relative, the test file's name in a
    // panic message says nothing of the slot: `memory-corruption/src/bin/../../labgrade-tests/…`.
    let up = source.strip_prefix(package).map_or(0, |relative| {
        relative.components().count().saturating_sub(1)
    });
    let mut modules = vec![String::from("\n")];
    for (module, file) in files {
        let copy = folder.join(format!("{module}.rs"));
        fs::copy(file, &copy).map_err(io("copy", file))?;
        // After whatever the student wrote, on lines of its own: the student's line numbers
        // stay as they are.
        let up = "../".repeat(up);
        modules.push(format!(
            "#[cfg(test)]\n#[path = \"{up}{SLOT_FOLDER}/{module}.rs\"]\nmod {module};\n"
        ));
    }
    let mut text = fs::read(source).map_err(io("read", source))?;
    text.extend_from_slice(modules.concat().as_bytes());
    fs::write(source, text).map_err(io("write", source))?;

    let mut job = job.clone();
    let release = job.args.iter().any(|arg| arg == "--release");
    job.args = [
        "test",
        "--no-run",
        "--offline",
        "--quiet",
        "--bin",
        program,
        "--message-format",
        "json",
        "--color",
        "never",
    ]
    .map(str::to_owned)
    .to_vec();
    if release {
        job.args.push("--release".to_owned());
    }
    let observation = compile::run_unspoiled(runner, &job, || Ok(()))?;
    let executable = test_executable(&observation.stdout.text, program);
    Ok((observation, executable))
}

/// The test executable of `program` that cargo's JSON messages name, if any.
fn test_executable(messages: &str, program: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["profile"]["test"] == true)
        .filter(|message| message["target"]["name"] == program)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
}

/// An error of the compiler on one line: its message and where it points, such as
/// ``error[E0432]: unresolved import `super::f` (labgrade-tests/labgrade_t.rs:8:5)``.
fn headline(message: &serde_json::Value) -> Option<String> {
    let text = message["message"].as_str()?;
    let code = message["code"]["code"]
        .as_str()
        .map(|code| format!("[{code}]"))
        .unwrap_or_default();
    let spans = message["spans"].as_array();
    let at = spans
        .and_then(|spans| spans.iter().find(|span| span["is_primary"] == true))
        .map(|span| {
            format!(
                " ({}:{}:{})",
                span["file_name"].as_str().unwrap_or_default(),
                span["line_start"],
                span["column_start"]
            )
        })
        .unwrap_or_default();
    Some(format!("error{code}: {text}{at}"))
}

/// The compiler's errors in cargo's JSON messages, one line each, with the slot removed from
/// paths; cargo's own stderr when there is none (a manifest problem).
fn compiler_errors(observation: &Observation, workspace: &Path) -> String {
    let rendered: Vec<String> = observation
        .stdout
        .text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-message")
        .filter(|message| message["message"]["level"] == "error")
        .filter_map(|message| headline(&message["message"]))
        .collect();
    let text = if rendered.is_empty() {
        observation.stderr.text.trim_end().to_owned()
    } else {
        rendered.join("; ")
    };
    text.replace(&format!("{}/", workspace.display()), "")
}

/// What one program's test build gave; a built executable is copied to `copy`.
fn outcome(
    observation: &Observation,
    executable: Option<PathBuf>,
    copy: &Path,
    workspace: &Path,
) -> Result<TestBuild, Error> {
    let diagnostics = compiler_errors(observation, workspace);
    Ok(match (&observation.termination, executable) {
        (Termination::Exited { code: 0 }, Some(executable)) => {
            fs::copy(&executable, copy).map_err(io("copy", &executable))?;
            open_to_programs(copy)?;
            TestBuild::Built
        }
        (Termination::TimedOut { .. }, _) => TestBuild::TimedOut { diagnostics },
        _ => TestBuild::CompileError { diagnostics },
    })
}

#[cfg(test)]
mod tests {
    use super::test_executable;
    use std::path::PathBuf;

    #[test]
    fn the_test_executable_is_the_test_artifact_of_the_program() {
        let messages = [
            r#"{"reason":"compiler-artifact","target":{"name":"nix"},"profile":{"test":false},"executable":null}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"copy"},"profile":{"test":false},"executable":"/s/target/release/copy"}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"other"},"profile":{"test":true},"executable":"/s/target/release/deps/other-1"}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"copy"},"profile":{"test":true},"executable":"/s/target/release/deps/copy-2"}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        assert_eq!(
            test_executable(&messages, "copy"),
            Some(PathBuf::from("/s/target/release/deps/copy-2"))
        );
        assert_eq!(test_executable(&messages, "missing"), None);
    }
}
