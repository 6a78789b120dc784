//! The Gradescope autograder of `templates/gradescope/`: the zip made with the documented
//! command, unpacked into `<tmp>/autograder/source`, `run_autograder` run on submissions in
//! `<tmp>/autograder/submission` as Gradescope lays them out, and `results.json` checked
//! against Gradescope's documented schema. Nothing is installed or rebuilt: `LABGRADE` points
//! the scripts at the tests' labgrade, and cargo is on the PATH.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{assert_code, find_tool, root};

/// `<tmp>/autograder` laid out as Gradescope lays it out, from the autograder zip that the
/// README's command makes: `source/` (the zip's contents) and `run_autograder` copied beside
/// it. The quick rubric of the batch tests stands in for `rubrics/sum-array.toml`, so that a
/// grading takes seconds.
struct Autograder {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    /// labgrade's cache: the tests' shared one, or one of this autograder's.
    cache: PathBuf,
}

impl Autograder {
    fn new() -> Option<Self> {
        find_tool(&["zip"], "to make the autograder zip")?;
        find_tool(&["unzip"], "to unpack the autograder zip")?;
        let tmp = tempfile::tempdir().unwrap();
        let zip = tmp.path().join("autograder.zip");
        // The README's command, run from the course's root.
        fs::write(tmp.path().join("exercise"), "sum-array\n").unwrap();
        run(Command::new("zip")
            .args(["-q", "-r"])
            .arg(&zip)
            .args([
                "Cargo.toml",
                "Cargo.lock",
                "harness",
                "exercises",
                "rubrics",
            ])
            .args(["-x", "*/target/*"])
            .current_dir(root()));
        run(Command::new("zip")
            .args(["-q", "-j"])
            .arg(&zip)
            .args([
                "templates/gradescope/setup.sh",
                "templates/gradescope/run_autograder",
            ])
            .arg(tmp.path().join("exercise"))
            .current_dir(root()));
        let autograder = tmp.path().join("autograder");
        let source = autograder.join("source");
        fs::create_dir_all(&source).unwrap();
        run(Command::new("unzip")
            .arg("-q")
            .arg(&zip)
            .arg("-d")
            .arg(&source));
        // Gradescope finds both scripts at the root of the zip, and runs `run_autograder` as
        // a program: it must keep its executable bit through the zip.
        for script in ["setup.sh", "run_autograder", "exercise"] {
            assert!(
                source.join(script).is_file(),
                "no `{script}` at the zip's root"
            );
        }
        let mode = fs::metadata(source.join("run_autograder")).unwrap();
        assert!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o111 != 0,
            "run_autograder is not executable in the zip"
        );
        fs::copy(
            source.join("run_autograder"),
            autograder.join("run_autograder"),
        )
        .unwrap();
        let quick = fs::read_to_string(root().join("tests/fixtures/batch/sum-array.toml"))
            .unwrap()
            .replace("../../../exercises/sum-array", "../exercises/sum-array");
        fs::write(source.join("rubrics/sum-array.toml"), quick).unwrap();
        fs::create_dir(autograder.join("submission")).unwrap();
        Some(Self {
            _tmp: tmp,
            root: autograder,
            cache: Path::new(env!("CARGO_TARGET_TMPDIR")).join("labgrade-cache"),
        })
    }

    /// With a cache of its own: setup.sh empties the cache's kept builds, which other tests
    /// share.
    fn with_own_cache(mut self) -> Self {
        self.cache = self.root.join("labgrade-cache");
        self
    }

    fn submission(&self) -> PathBuf {
        self.root.join("submission")
    }

    /// A script of the autograder run as Gradescope runs it (in the autograder folder), with
    /// the tests' labgrade and build cache.
    fn script(&self, script: &Path) -> Output {
        Command::new("bash")
            .arg(script)
            .env("AUTOGRADER_ROOT", &self.root)
            .env("LABGRADE", env!("CARGO_BIN_EXE_labgrade"))
            .env("LABGRADE_CACHE_DIR", &self.cache)
            .env("NO_COLOR", "1")
            .env_remove("EXERCISE")
            .env_remove("RUBRIC")
            .current_dir(&self.root)
            .output()
            .unwrap()
    }

    /// `run_autograder` on the submission as it is now; its `results.json`, checked against
    /// Gradescope's schema.
    fn grade(&self) -> Value {
        let output = self.script(&self.root.join("run_autograder"));
        assert_code(&output, 0);
        let path = self.root.join("results/results.json");
        let text = fs::read_to_string(&path).unwrap_or_else(|error| {
            panic!(
                "no results.json ({error}); stderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        let results: Value = serde_json::from_str(&text).unwrap();
        let schema: Value = serde_json::from_str(
            &fs::read_to_string(root().join("tests/fixtures/schemas/gradescope.json")).unwrap(),
        )
        .unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&results)
            .map(|error| format!("{error} at {}", error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{results:#}");
        results
    }
}

#[track_caller]
fn run(command: &mut Command) {
    let output = command.output().unwrap();
    assert_code(&output, 0);
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn solution() -> PathBuf {
    root().join("exercises/sum-array/solution")
}

fn score(results: &Value) -> f64 {
    results["score"].as_f64().unwrap()
}

/// Every test of `results`: its points out of its maximum, and what a student reads.
fn tests(results: &Value) -> Vec<(f64, f64, String)> {
    results["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|test| {
            for key in ["name", "output", "visibility"] {
                assert!(test[key].is_string(), "no `{key}` in {test:#}");
            }
            (
                test["score"].as_f64().unwrap(),
                test["max_score"].as_f64().unwrap(),
                test["output"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Full marks: the score is the sum of every test's maximum, each earned in full.
#[track_caller]
fn assert_full_marks(results: &Value) {
    let tests = tests(results);
    assert!(!tests.is_empty(), "{results:#}");
    let max: f64 = tests.iter().map(|(_, max, _)| max).sum();
    assert!((score(results) - 100.0).abs() < 1e-9, "{results:#}");
    assert!((max - 100.0).abs() < 1e-9, "{results:#}");
    assert!(
        tests
            .iter()
            .all(|(score, max, _)| (score - max).abs() < 1e-9),
        "{results:#}"
    );
}

#[test]
fn reference_solution_earns_full_marks_and_a_wrong_one_does_not() {
    let Some(autograder) = Autograder::new() else {
        return;
    };
    copy_tree(&solution(), &autograder.submission());
    assert_full_marks(&autograder.grade());

    // A wrong program in its place: remainder_dropped loses both 3-worker cases, 60 of 100.
    fs::remove_dir_all(autograder.submission()).unwrap();
    copy_tree(
        &root().join("tests/fixtures/sum-array/remainder_dropped"),
        &autograder.submission(),
    );
    let results = autograder.grade();
    assert!((score(&results) - 60.0).abs() < 1e-9, "{results:#}");
    let tests = tests(&results);
    let failed: Vec<&String> = tests
        .iter()
        .filter(|(score, max, _)| score < max)
        .map(|(_, _, output)| output)
        .collect();
    assert!(
        failed
            .iter()
            .any(|output| output.contains("✗ case workers=3")),
        "{results:#}"
    );
}

#[test]
fn an_archive_of_a_folder_is_unpacked_and_graded() {
    let Some(autograder) = Autograder::new() else {
        return;
    };
    // `zip -r lab1.zip lab1` of the student's folder: the only file of the submission.
    let work = tempfile::tempdir().unwrap();
    copy_tree(&solution(), &work.path().join("lab1"));
    run(Command::new("zip")
        .args(["-q", "-r"])
        .arg(autograder.submission().join("lab1.zip"))
        .arg("lab1")
        .current_dir(work.path()));
    assert_full_marks(&autograder.grade());

    // `tar cf lab1.tar lab1`: no compression, a name run_autograder does not pick out itself.
    let Some(autograder) = Autograder::new() else {
        return;
    };
    run(Command::new("tar")
        .arg("cf")
        .arg(autograder.submission().join("lab1.tar"))
        .arg("lab1")
        .current_dir(work.path()));
    assert_full_marks(&autograder.grade());
}

#[test]
fn files_uploaded_one_by_one_go_where_the_rubric_lists_them() {
    let Some(autograder) = Autograder::new() else {
        return;
    };
    // An upload of single files: side by side, with no folders.
    for name in ["sum_array_threads.rs", "sum_array_processes.rs"] {
        fs::copy(
            solution().join("src/bin").join(name),
            autograder.submission().join(name),
        )
        .unwrap();
    }
    assert_full_marks(&autograder.grade());
}

#[test]
fn a_repository_of_exercises_is_graded_from_the_exercises_folder() {
    let Some(autograder) = Autograder::new() else {
        return;
    };
    // A students' repository as the CI templates grade it: one folder per exercise.
    copy_tree(&solution(), &autograder.submission().join("sum-array"));
    copy_tree(
        &root().join("exercises/wait-for-me/src"),
        &autograder.submission().join("wait-for-me/src"),
    );
    assert_full_marks(&autograder.grade());
}

#[test]
fn an_unreadable_archive_gets_a_score_of_zero_and_the_reason() {
    let Some(autograder) = Autograder::new() else {
        return;
    };
    fs::write(
        autograder.submission().join("lab1.zip"),
        b"not a zip at all",
    )
    .unwrap();
    let results = autograder.grade();
    assert!(score(&results).abs() < 1e-9, "{results:#}");
    let output = results["output"].as_str().unwrap();
    assert!(
        output.starts_with("Your submission could not be graded: ")
            && output.contains("`lab1.zip` was not unpacked"),
        "{output}"
    );
}

#[test]
fn a_missing_rubric_is_the_staffs_problem_said_in_results() {
    let Some(autograder) = Autograder::new() else {
        return;
    };
    fs::write(autograder.root.join("source/exercise"), "sum-arrya\n").unwrap();
    copy_tree(&solution(), &autograder.submission());
    let results = autograder.grade();
    assert!(score(&results).abs() < 1e-9, "{results:#}");
    let output = results["output"].as_str().unwrap();
    assert!(
        output.contains("exercise `sum-arrya`") && output.contains("tell the course staff"),
        "{output}"
    );
}

#[test]
fn setup_skips_what_is_installed_and_grades_the_reference_solution() {
    let Some(autograder) = Autograder::new().map(Autograder::with_own_cache) else {
        return;
    };
    let output = autograder.script(&autograder.root.join("source/setup.sh"));
    assert_code(&output, 0);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Rust is installed already"), "{stdout}");
    assert!(
        stdout.contains("the reference solution earns full marks"),
        "{stdout}"
    );
    // Students' code runs in the image setup.sh builds: no answer stays in it, and grading
    // still works without one.
    let exercises = autograder.root.join("source/exercises");
    for package in fs::read_dir(&exercises).unwrap() {
        let solution = package.unwrap().path().join("solution");
        assert!(!solution.exists(), "{} is left", solution.display());
    }
    // Nor in labgrade's cache: neither its kept builds, nor the solution's files or binaries in
    // the build slot (they would be the very bytes of the reference solution's).
    assert!(!autograder.cache.join("built").exists());
    let answers: Vec<Vec<u8>> = fs::read_dir(solution().join("src/bin"))
        .unwrap()
        .map(|file| fs::read(file.unwrap().path()).unwrap())
        .collect();
    let mut binaries = Vec::new();
    for name in ["sum_array_threads", "sum_array_processes"] {
        let slot = autograder
            .cache
            .join("builds/sum-array/ws-0/target/release")
            .join(name);
        assert!(slot.is_file(), "{} is not built", slot.display());
        binaries.push(fs::read(slot).unwrap());
    }
    for file in files_under(&autograder.cache.join("builds")) {
        let bytes = fs::read(&file).unwrap();
        assert!(!answers.contains(&bytes), "{} is an answer", file.display());
    }
    copy_tree(&solution(), &autograder.submission());
    assert_full_marks(&autograder.grade());
    // The binaries left in the slot were the skeleton's: grading the solution makes others.
    for (name, skeleton) in ["sum_array_threads", "sum_array_processes"]
        .iter()
        .zip(&binaries)
    {
        let slot = autograder
            .cache
            .join("builds/sum-array/ws-0/target/release")
            .join(name);
        assert_ne!(
            &fs::read(slot).unwrap(),
            skeleton,
            "{name} was the solution's"
        );
    }
}

/// Every file under `dir`, at any depth.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            files.extend(files_under(&entry.path()));
        } else if entry.file_type().unwrap().is_file() {
            files.push(entry.path());
        }
    }
    files
}
