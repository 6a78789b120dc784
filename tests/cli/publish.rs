//! `labgrade publish`: the copy of the course for students' CI holds no reference solution, no
//! fixture and no file equal to either, grades as the course does, and is refused into a folder
//! inside the course or not empty, and for a course whose skeleton equals its solution.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::support::{Cli, Grade, assert_code, copy_dir, root};

/// Every file under `dir`, relative to it, with its content; `.git` and `target/` are skipped.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, found: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                if entry.file_name() != ".git" && entry.file_name() != "target" {
                    walk(base, &path, found);
                }
            } else {
                let content = std::fs::read(&path).unwrap();
                found.insert(path.strip_prefix(base).unwrap().to_owned(), content);
            }
        }
    }
    let mut found = BTreeMap::new();
    walk(dir, dir, &mut found);
    found
}

/// Publishes the course at `course` into a new folder `public` of a temporary folder.
fn publish(course: &Path) -> (TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let published = Cli::new("publish")
        .arg("--course")
        .arg(course)
        .arg("--out")
        .arg(&out)
        .run()
        .code(0);
    (
        dir,
        out,
        String::from_utf8(published.output.stdout).unwrap(),
    )
}

/// The answers of the real course: every file of a `solution/` folder and of a fixture whose
/// manifest says `kind = "correct"`, found here independently of labgrade.
fn answers() -> BTreeMap<PathBuf, Vec<u8>> {
    let course = root();
    files(&course)
        .into_iter()
        .filter(|(path, _)| {
            let in_solution = path.components().any(|part| part.as_os_str() == "solution");
            let in_correct_fixture = path.ancestors().skip(1).any(|dir| {
                std::fs::read_to_string(course.join(dir).join("fixture.toml"))
                    .is_ok_and(|manifest| manifest.contains("kind = \"correct\""))
            });
            (in_solution || in_correct_fixture) && !path.ends_with("fixture.toml")
        })
        .collect()
}

#[test]
fn the_published_course_holds_every_skeleton_and_rubric_and_no_answer() {
    let (_dir, out, stdout) = publish(&root());
    let published = files(&out);
    let answers = answers();
    assert!(
        answers.len() > 40,
        "too few answers found: {:?}",
        answers.keys()
    );
    for (path, content) in &published {
        // The course's `tests/` (fixtures, among them correct programs) stays home; a module
        // folder of the harness's own unit tests (`rubric/validate/tests/`) is no answer.
        assert!(
            !path.starts_with("tests")
                && !path.components().any(|part| {
                    let part = part.as_os_str();
                    part == "solution" || part == "fixture.toml"
                }),
            "published {}",
            path.display()
        );
        if let Some((answer, _)) = answers.iter().find(|(_, answer)| *answer == content) {
            panic!(
                "published {} equals the answer {}",
                path.display(),
                answer.display()
            );
        }
    }
    let course = files(&root());
    let exercises: Vec<String> = course
        .keys()
        .filter(|path| path.starts_with("rubrics") && path.extension().is_some_and(|e| e == "toml"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(exercises.len() >= 11, "{exercises:?}");
    for exercise in &exercises {
        let package = Path::new("exercises").join(exercise);
        let skeleton: Vec<&PathBuf> = course
            .keys()
            .filter(|path| {
                path.starts_with(package.join("src"))
                    || *path == &package.join("Cargo.toml")
                    || *path == &package.join("README.md")
            })
            .collect();
        assert!(skeleton.len() >= 3, "{exercise}: {skeleton:?}");
        let rubric = PathBuf::from(format!("rubrics/{exercise}.toml"));
        for path in skeleton.into_iter().chain([&rubric]) {
            assert_eq!(
                published.get(path),
                course.get(path),
                "{} is not published as it is in the course",
                path.display()
            );
        }
    }
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "harness/Cargo.toml",
        "harness/src/bin/labgrade/main.rs",
        "exercises/support/src/lib.rs",
        "templates/github-actions.yml",
    ] {
        assert_eq!(
            published.get(Path::new(needed)),
            course.get(Path::new(needed)),
            "{needed}"
        );
    }
    // Every workspace member is published, so the workspace is the course's, byte for byte.
    assert!(stdout.contains("exercises/sum-array/solution "), "{stdout}");
    assert!(stdout.contains("reference solution"), "{stdout}");
    assert!(stdout.contains("tests "), "{stdout}");
    assert!(!stdout.contains("workspace member"), "{stdout}");
    // The rubrics' hidden tests stay home; the rubrics that run them are published.
    let hidden = |path: &&PathBuf| {
        path.components()
            .any(|part| part.as_os_str() == "hidden-tests")
    };
    assert!(course.keys().filter(hidden).count() >= 2, "no hidden tests");
    let leaked: Vec<&PathBuf> = published.keys().filter(hidden).collect();
    assert!(leaked.is_empty(), "published hidden tests: {leaked:?}");
    assert!(stdout.contains("hidden tests"), "{stdout}");
}

/// The scores and total of a grade, for comparing one submission's grades.
fn outcome(grade: Grade) -> (Vec<(String, f64, String)>, f64, f64) {
    let graded = grade.seed(42).json();
    let report = &graded.report;
    (
        graded.scores(),
        report["score"].as_f64().unwrap(),
        report["max_score"].as_f64().unwrap(),
    )
}

#[test]
fn the_published_course_grades_skeleton_and_solution_as_the_course_does() {
    let (dir, out, _) = publish(&root());
    // The reference solution comes from the real course: the published one has none.
    let solution = dir.path().join("solution");
    copy_dir(&root().join("exercises/sum-array/solution"), &solution);
    assert!(!out.join("exercises/sum-array/solution").exists());
    let published_rubric = out.join("rubrics/sum-array.toml");
    for (submission, published_package) in [
        (
            root().join("exercises/sum-array"),
            out.join("exercises/sum-array"),
        ),
        (solution.clone(), solution.clone()),
    ] {
        let course = outcome(Grade::exercise("sum-array", "all_pass").submission(&submission));
        let public = outcome(
            Grade::exercise("sum-array", "all_pass")
                .submission(&published_package)
                .rubric(&published_rubric),
        );
        assert_eq!(public, course, "{}", submission.display());
    }
    // The skeleton does not earn full marks and the solution does: the two grades differ.
    let skeleton = outcome(
        Grade::exercise("sum-array", "all_pass")
            .submission(out.join("exercises/sum-array"))
            .rubric(&published_rubric),
    );
    let answer = outcome(
        Grade::exercise("sum-array", "all_pass")
            .submission(&solution)
            .rubric(&published_rubric),
    );
    assert!(skeleton.1 < skeleton.2, "{skeleton:?}");
    assert!((answer.1 - answer.2).abs() < 1e-9, "{answer:?}");
}

/// A course of one exercise `demo` in a temporary folder: its skeleton `src/main.rs`, its
/// solution, and a fixture of `kind`, each with the content given.
fn small_course(skeleton: &str, solution: &str, fixture: (&str, &str)) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let course = dir.path();
    let write = |path: &str, content: &str| {
        let path = course.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    };
    write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"exercises/demo\", \"tests/helper\"]\n",
    );
    write("rubrics/demo.toml", "[exercise]\nname = \"demo\"\n");
    write(
        "exercises/demo/Cargo.toml",
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n",
    );
    write("exercises/demo/src/main.rs", skeleton);
    write("exercises/demo/solution/src/main.rs", solution);
    write(
        "tests/fixtures/demo/other/fixture.toml",
        &format!("kind = \"{}\"\n", fixture.0),
    );
    write("tests/fixtures/demo/other/src/main.rs", fixture.1);
    write(
        "tests/helper/Cargo.toml",
        "[package]\nname = \"helper\"\nversion = \"0.1.0\"\n",
    );
    dir
}

#[test]
fn a_small_course_is_published_without_its_solution_fixtures_and_test_member() {
    let course = small_course(
        "fn main() { todo!() }\n",
        "fn main() {}\n",
        ("mutant", "x\n"),
    );
    let (_dir, out, stdout) = publish(course.path());
    let published: Vec<PathBuf> = files(&out).into_keys().collect();
    assert_eq!(
        published,
        [
            "Cargo.toml",
            "exercises/demo/Cargo.toml",
            "exercises/demo/src/main.rs",
            "rubrics/demo.toml"
        ]
        .map(PathBuf::from)
    );
    let manifest = std::fs::read_to_string(out.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("members = [\"exercises/demo\"]"),
        "{manifest}"
    );
    assert!(stdout.contains("workspace member tests/helper"), "{stdout}");
}

#[track_caller]
fn assert_refused(course: &Path, out: &Path, names: &[&Path]) {
    let mut refused = Cli::new("publish")
        .arg("--course")
        .arg(course)
        .arg("--out")
        .arg(out)
        .run()
        .code(2);
    for name in names {
        refused = refused.stderr_has(name.display().to_string());
    }
}

#[test]
fn publish_refuses_a_folder_inside_the_course_or_not_empty() {
    let course = small_course(
        "fn main() { todo!() }\n",
        "fn main() {}\n",
        ("mutant", "x\n"),
    );
    let inside = course.path().join("exercises/public");
    assert_refused(course.path(), &inside, &[&inside]);
    assert!(!inside.exists());
    // Inside through `..` after a folder that does not exist yet, and through a link.
    let elsewhere = tempfile::tempdir().unwrap();
    assert_eq!(elsewhere.path().parent(), course.path().parent());
    let dotdot = elsewhere
        .path()
        .join("missing/../..")
        .join(course.path().file_name().unwrap())
        .join("public");
    assert_refused(course.path(), &dotdot, &[&dotdot]);
    let link = elsewhere.path().join("link");
    std::os::unix::fs::symlink(course.path().join("exercises"), &link).unwrap();
    let through_link = link.join("public");
    assert_refused(course.path(), &through_link, &[&through_link]);
    assert!(!course.path().join("exercises/public").exists());
    let full = tempfile::tempdir().unwrap();
    std::fs::write(full.path().join("notes.txt"), "mine").unwrap();
    assert_refused(course.path(), full.path(), &[full.path()]);
    assert_eq!(files(full.path()).len(), 1);
}

#[test]
fn a_skeleton_equal_to_its_solution_or_a_correct_fixture_is_refused() {
    let out_dir = tempfile::tempdir().unwrap();
    let same = "fn main() { println!(\"42\") }\n";
    let course = small_course(same, same, ("mutant", "x\n"));
    let out = out_dir.path().join("one");
    assert_refused(
        course.path(),
        &out,
        &[
            Path::new("exercises/demo/src/main.rs"),
            Path::new("exercises/demo/solution/src/main.rs"),
        ],
    );
    assert!(!out.exists(), "nothing is written");
    let course = small_course(same, "fn main() {}\n", ("correct", same));
    let out = out_dir.path().join("two");
    assert_refused(
        course.path(),
        &out,
        &[
            Path::new("exercises/demo/src/main.rs"),
            Path::new("tests/fixtures/demo/other/src/main.rs"),
        ],
    );
    // Equal to a mutant is no answer.
    let course = small_course(same, "fn main() {}\n", ("mutant", same));
    publish(course.path());
}

/// Runs `script` with bash, a `git` on PATH that only logs its arguments, and `env`; returns
/// the logged git commands.
fn git_commands_of(script: &str, env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("git.log");
    let git = dir.path().join("git");
    std::fs::write(
        &git,
        format!("#!/bin/sh\necho \"git $*\" >> '{}'\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&git, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap()
    );
    let output = std::process::Command::new("bash")
        .args(["-euc", script])
        .env("PATH", path)
        .env("RUNNER_TEMP", dir.path())
        .env("GITHUB_OUTPUT", dir.path().join("output"))
        .env("COURSE_REPO", "https://example.com/course/public.git")
        .env("COURSE_REF", "main")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_code(&output, 0);
    std::fs::read_to_string(log).unwrap()
}

fn template(name: &str) -> serde_norway::Value {
    let text = std::fs::read_to_string(root().join("templates").join(name)).unwrap();
    assert!(text.contains("labgrade publish --out"), "{name}");
    assert!(text.contains("Whatever this"), "{name}");
    serde_norway::from_str(&text).unwrap()
}

#[test]
fn the_github_template_clones_a_private_published_course_with_its_token() {
    let workflow = template("github-actions.yml");
    let step = workflow["jobs"]["grade"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|step| step["id"].as_str() == Some("course"))
        .unwrap();
    assert_eq!(
        step["env"]["COURSE_TOKEN"].as_str(),
        Some("${{ secrets.COURSE_TOKEN }}")
    );
    let script = step["run"].as_str().unwrap();
    let public = git_commands_of(script, &[("COURSE_TOKEN", "")]);
    assert!(
        public.contains(
            "clone --quiet --depth 1 --branch main https://example.com/course/public.git "
        ),
        "{public}"
    );
    let private = git_commands_of(script, &[("COURSE_TOKEN", "t0ken")]);
    assert!(
        private.contains(" https://x-access-token:t0ken@example.com/course/public.git "),
        "{private}"
    );
    // The token does not stay in the clone's configuration.
    assert!(
        private.contains("remote set-url origin https://example.com/course/public.git"),
        "{private}"
    );
}

#[test]
fn the_gitlab_template_clones_a_private_published_course_with_a_job_or_deploy_token() {
    let pipeline = template("gitlab-ci.yml");
    let script = pipeline["labgrade"]["before_script"][0].as_str().unwrap();
    let public = git_commands_of(
        script,
        &[("COURSE_PRIVATE", "false"), ("CI_JOB_TOKEN", "job")],
    );
    assert!(
        public.contains(" https://example.com/course/public.git "),
        "{public}"
    );
    let job = git_commands_of(
        script,
        &[("COURSE_PRIVATE", "true"), ("CI_JOB_TOKEN", "job")],
    );
    assert!(
        job.contains(" https://gitlab-ci-token:job@example.com/course/public.git "),
        "{job}"
    );
    let deploy = git_commands_of(
        script,
        &[
            ("COURSE_PRIVATE", "true"),
            ("CI_JOB_TOKEN", "job"),
            ("COURSE_DEPLOY_USER", "reader"),
            ("COURSE_DEPLOY_TOKEN", "d3ploy"),
        ],
    );
    assert!(
        deploy.contains(" https://reader:d3ploy@example.com/course/public.git "),
        "{deploy}"
    );
}
