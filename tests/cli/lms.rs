//! Class downloads as Moodle, Canvas, Gradescope and GitHub Classroom make them, graded by
//! `labgrade batch` under each LMS's own student ids, and the gradebooks Canvas and Moodle
//! import, checked against the columns their documentation lists (see docs/batch.md).
//!
//! Each download is built at test time with the LMS's names, nesting and metadata, from the
//! sum-array reference solution, a fixture that drops the remainder (60 points) and a program
//! that prints a wrong sum (0 points). The rubric is the batch tests' quick one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{Cli, assert_code, root};

/// What the reference solution, the remainder-dropping fixture and the wrong program earn.
const FULL: &str = "100";
const REMAINDER_DROPPED: &str = "60";
const WRONG: &str = "0";

/// A program that prints a wrong sum, as both of the rubric's programs.
const WRONG_PROGRAM: &str = "fn main() { println!(\"Array sum is: 1\"); }\n";

/// The quick rubric of the batch tests.
fn rubric() -> PathBuf {
    root().join("tests/fixtures/batch/sum-array.toml")
}

/// A submission's files, `(path in the submission, bytes)`: `reference`, `remainder_dropped`
/// or `wrong`.
fn submission(kind: &str) -> Vec<(String, Vec<u8>)> {
    let bin = match kind {
        "reference" => root().join("exercises/sum-array/solution/src/bin"),
        "remainder_dropped" => root().join("tests/fixtures/sum-array/remainder_dropped/src/bin"),
        "wrong" => {
            return ["sum_array_threads.rs", "sum_array_processes.rs"]
                .iter()
                .map(|name| (format!("src/bin/{name}"), WRONG_PROGRAM.as_bytes().to_vec()))
                .collect();
        }
        other => panic!("no submission `{other}`"),
    };
    ["sum_array_threads.rs", "sum_array_processes.rs"]
        .iter()
        .map(|name| {
            (
                format!("src/bin/{name}"),
                std::fs::read(bin.join(name)).unwrap(),
            )
        })
        .collect()
}

/// Writes `kind`'s files into folder `dir`.
fn write_submission(dir: &Path, kind: &str) {
    for (name, bytes) in submission(kind) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

/// A zip of `entries`, folders implied by the names, as an LMS's zip library writes them.
fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        writer
            .start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// What `tar czf lab1.tar.gz .` makes in a folder holding `kind`'s files: entries `./`,
/// `./src/`, `./src/bin/…`.
fn tar_dot_of(kind: &str) -> Vec<u8> {
    let folder = tempfile::tempdir().unwrap();
    write_submission(folder.path(), kind);
    let out = tempfile::tempdir().unwrap();
    let tarball = out.path().join("lab1.tar.gz");
    let status = std::process::Command::new("tar")
        .arg("czf")
        .arg(&tarball)
        .arg(".")
        .current_dir(folder.path())
        .status()
        .unwrap();
    assert!(status.success(), "tar failed");
    std::fs::read(tarball).unwrap()
}

/// `entries` with every name under `prefix`.
fn under(prefix: &str, entries: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    entries
        .into_iter()
        .map(|(name, bytes)| (format!("{prefix}{name}"), bytes))
        .collect()
}

/// `labgrade batch <class> --rubric <quick> --out <out> --seed 1 --jobs 2` with `args`.
fn batch(class: &Path, out: &Path, args: &[&str]) -> Output {
    Cli::batch(class, rubric(), out)
        .args(["--seed", "1", "--jobs", "2", "--quiet"])
        .args(args)
        .run()
        .output
}

/// The rows of CSV file `path`, header included.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .into_records()
        .map(|row| row.unwrap().iter().map(ToOwned::to_owned).collect())
        .collect()
}

/// `(student, score, status)` of every row of the plain gradebook.
fn scores(out: &Path) -> Vec<(String, String, String)> {
    csv_rows(&out.join("gradebook.csv"))
        .into_iter()
        .skip(1)
        .map(|row| (row[0].clone(), row[1].clone(), row[3].clone()))
        .collect()
}

fn graded(rows: &[(&str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(id, score)| ((*id).to_owned(), (*score).to_owned(), "graded".to_owned()))
        .collect()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|cell| (*cell).to_owned()).collect()
}

#[test]
fn moodle_download_all_zip_grades_participants_and_exports_the_worksheet() {
    // "Download all submissions" with "Download submissions in folders": a folder per
    // participant and plugin, the online text beside the files.
    // Grace handed in `zip -r lab1.zip lab1`, Linus `tar czf lab1.tar.gz .`: Moodle keeps each
    // upload as it came, in the participant's folder.
    let mut entries = vec![
        (
            "Grace Hopper_123456_assignsubmission_file_/lab1.zip".to_owned(),
            zip_of(&under("lab1/", submission("reference"))),
        ),
        (
            "Linus Torvalds_555_assignsubmission_file_/lab1.tar.gz".to_owned(),
            tar_dot_of("reference"),
        ),
    ];
    entries.push((
        "Grace Hopper_123456_assignsubmission_onlinetext_/onlinetext.html".to_owned(),
        b"<p>see the files</p>".to_vec(),
    ));
    entries.extend(under(
        "Ada Lovelace_98_assignsubmission_file_/",
        submission("remainder_dropped"),
    ));
    entries.extend(under(
        "Alan_Turing_7_assignsubmission_file_/",
        submission("wrong"),
    ));
    let download = tempfile::tempdir().unwrap();
    let zip = download.path().join("CS101-Lab 1-12345.zip");
    std::fs::write(&zip, zip_of(&entries)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = batch(&zip, out.path(), &["--gradebook", "moodle"]);
    assert_code(&output, 0);

    assert_eq!(
        scores(out.path()),
        graded(&[
            ("123456", FULL),
            ("555", FULL),
            ("7", WRONG),
            ("98", REMAINDER_DROPPED)
        ])
    );
    let worksheet = csv_rows(&out.path().join("gradebook-moodle.csv"));
    assert_eq!(
        worksheet,
        [
            row(&[
                "Identifier",
                "Full name",
                "Email address",
                "ID number",
                "Grade",
                "Maximum Grade",
                "Last modified (grade)"
            ]),
            row(&[
                "Participant 123456",
                "Grace Hopper",
                "",
                "",
                FULL,
                "100",
                ""
            ]),
            row(&["Participant 555", "Linus Torvalds", "", "", FULL, "100", ""]),
            row(&["Participant 7", "Alan_Turing", "", "", WRONG, "100", ""]),
            row(&[
                "Participant 98",
                "Ada Lovelace",
                "",
                "",
                REMAINDER_DROPPED,
                "100",
                ""
            ]),
        ]
    );
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(summary.contains("gradebook-moodle.csv"), "{summary}");
    // The class report names each participant beside Moodle's number.
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(
        html.contains("123456</a></td><td>Grace Hopper</td>"),
        "no name in report.html"
    );
}

#[test]
fn moodle_flat_download_takes_each_participants_archive() {
    // "Download submissions in folders" off: one flat file per file handed in.
    let class = tempfile::tempdir().unwrap();
    std::fs::write(
        class
            .path()
            .join("Grace Hopper_123456_assignsubmission_file_lab1.zip"),
        zip_of(&under("lab1/", submission("reference"))),
    )
    .unwrap();
    std::fs::write(
        class
            .path()
            .join("Alan Turing_7_assignsubmission_file_lab1.zip"),
        zip_of(&submission("wrong")),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = batch(class.path(), out.path(), &["--from", "moodle"]);
    assert_code(&output, 0);
    assert_eq!(
        scores(out.path()),
        graded(&[("123456", FULL), ("7", WRONG)])
    );
    assert!(!out.path().join("gradebook-moodle.csv").exists());
}

#[test]
fn canvas_submissions_grade_by_user_id_and_export_canvas_gradebook_with_roster() {
    // Canvas's "Download submissions": a zip of flat
    // `<login>[_LATE]_<user id>_<submission id>_<file name>`.
    let entries = vec![
        (
            "lovelaceada_654321_9876543_lab1.zip".to_owned(),
            zip_of(&under("lab1/", submission("reference"))),
        ),
        (
            "hoppergrace_LATE_111_222_lab1-1.zip".to_owned(),
            zip_of(&submission("remainder_dropped")),
        ),
        (
            "turingalan_5_333_submission.zip".to_owned(),
            zip_of(&submission("wrong")),
        ),
    ];
    let download = tempfile::tempdir().unwrap();
    let zip = download.path().join("submissions.zip");
    std::fs::write(&zip, zip_of(&entries)).unwrap();
    let roster = download.path().join("roster.csv");
    std::fs::write(
        &roster,
        "id,name,sis_user_id,sis_login_id,section\n\
         654321,\"Lovelace, Ada\",S-1,ada,L01\n\
         111,\"Hopper, Grace\",S-2,grace,L02\n",
    )
    .unwrap();
    let canvas = [
        "--gradebook",
        "canvas",
        "--assignment",
        "Lab 1 (12345)",
        "--roster",
        roster.to_str().unwrap(),
    ];
    let out = tempfile::tempdir().unwrap();
    let output = batch(&zip, out.path(), &canvas);
    assert_code(&output, 0);

    assert_eq!(
        scores(out.path()),
        graded(&[("111", REMAINDER_DROPPED), ("5", WRONG), ("654321", FULL)])
    );
    assert_eq!(
        csv_rows(&out.path().join("gradebook-canvas.csv")),
        [
            row(&[
                "Student",
                "ID",
                "SIS User ID",
                "SIS Login ID",
                "Section",
                "Lab 1 (12345)"
            ]),
            row(&["    Points Possible", "", "", "", "", "100"]),
            row(&[
                "Hopper, Grace",
                "111",
                "S-2",
                "grace",
                "L02",
                REMAINDER_DROPPED
            ]),
            row(&["turingalan", "5", "", "", "", WRONG]),
            row(&["Lovelace, Ada", "654321", "S-1", "ada", "L01", FULL]),
        ]
    );

    // Shards merged write the very export the single run wrote, names and SIS ids included.
    let shards: Vec<tempfile::TempDir> = (1..=2).map(|_| tempfile::tempdir().unwrap()).collect();
    for (index, shard) in shards.iter().enumerate() {
        let part = format!("{}/2", index + 1);
        let mut args = canvas.to_vec();
        args.extend(["--shard", &part]);
        let output = batch(&zip, shard.path(), &args);
        assert_code(&output, 0);
    }
    let merged = tempfile::tempdir().unwrap();
    Cli::new("merge")
        .args(shards.iter().map(tempfile::TempDir::path))
        .arg("--out")
        .arg(merged.path())
        .run()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(merged.path().join("gradebook-canvas.csv")).unwrap(),
        std::fs::read_to_string(out.path().join("gradebook-canvas.csv")).unwrap()
    );
}

/// Gradescope's metadata for Ada's two submissions (the older one wrong) and Grace's one,
/// made without a sid: she is named by e-mail.
const GRADESCOPE_METADATA: &str = "\
submission_2001:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1815'
    :email: ada@example.edu
  :created_at: 2026-02-01 09:00:00.000000000 -08:00
  :score: 0.0
submission_2002:
  :submitters:
  - :name: Grace Hopper
    :email: grace@example.edu
  :created_at: 2026-02-01 12:00:00.000000000 -08:00
  :score: 60.0
submission_2003:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1815'
    :email: ada@example.edu
  :created_at: 2026-02-02 08:30:00.000000000 +01:00
  :score: 100.0
";

#[test]
fn gradescope_export_grades_each_students_latest_submission() {
    let download = tempfile::tempdir().unwrap();
    let mut entries = vec![(
        "submission_metadata.yml".to_owned(),
        GRADESCOPE_METADATA.as_bytes().to_vec(),
    )];
    entries.extend(under("submission_2001/", submission("wrong")));
    entries.extend(under("submission_2002/", submission("remainder_dropped")));
    entries.extend(under("submission_2003/", submission("reference")));
    // The export's zip wraps everything in the assignment's folder.
    let zip = download.path().join("submissions.zip");
    std::fs::write(&zip, zip_of(&under("assignment_4242_export/", entries))).unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = batch(&zip, out.path(), &["--gradebook", "moodle"]);
    assert_code(&output, 0);
    assert_eq!(
        scores(out.path()),
        graded(&[("1815", FULL), ("grace@example.edu", REMAINDER_DROPPED)])
    );
    // Not a Moodle download: the identifier is the student id, the e-mail kept.
    let worksheet = csv_rows(&out.path().join("gradebook-moodle.csv"));
    assert_eq!(
        worksheet[1..],
        [
            row(&[
                "1815",
                "Ada Lovelace",
                "ada@example.edu",
                "",
                FULL,
                "100",
                ""
            ]),
            row(&[
                "grace@example.edu",
                "Grace Hopper",
                "grace@example.edu",
                "",
                REMAINDER_DROPPED,
                "100",
                ""
            ]),
        ]
    );
}

#[test]
fn github_classroom_clone_grades_each_login() {
    // `gh classroom clone student-repos` makes `<assignment>-submissions/<assignment>-<login>/`.
    let parent = tempfile::tempdir().unwrap();
    let class = parent.path().join("lab-1-submissions");
    for (login, kind) in [("ada-lovelace", "reference"), ("gracehopper", "wrong")] {
        let repo = class.join(format!("lab-1-{login}"));
        write_submission(&repo, kind);
        std::fs::create_dir_all(repo.join(".git/objects")).unwrap();
        std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let output = batch(&class, out.path(), &[]);
    assert_code(&output, 0);
    assert_eq!(
        scores(out.path()),
        graded(&[("ada-lovelace", FULL), ("gracehopper", WRONG)])
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("batch.json")).unwrap()).unwrap();
    assert_eq!(manifest["class"]["source"], "github-classroom");
}

#[test]
fn bad_lms_input_names_the_file_and_exits_2() {
    let class = tempfile::tempdir().unwrap();
    // A Moodle download (most names are Moodle's) with a file a TA left in it.
    std::fs::create_dir(class.path().join("Grace Hopper_1_assignsubmission_file_")).unwrap();
    std::fs::create_dir(class.path().join("Ada Lovelace_2_assignsubmission_file_")).unwrap();
    std::fs::write(class.path().join("notes.txt"), "x").unwrap();
    let out = tempfile::tempdir().unwrap();

    let output = batch(class.path(), out.path(), &["--gradebook", "canvas"]);
    assert_code(&output, 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("--assignment"));

    let output = batch(class.path(), out.path(), &[]);
    assert_code(&output, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("notes.txt") && stderr.contains("--from folders"),
        "{stderr}"
    );

    std::fs::remove_file(class.path().join("notes.txt")).unwrap();
    let roster = out.path().join("roster.csv");
    std::fs::write(&roster, "id,name\n1,Grace\n,nobody\n").unwrap();
    let output = batch(
        class.path(),
        out.path(),
        &["--roster", roster.to_str().unwrap()],
    );
    assert_code(&output, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("roster.csv:3"), "{stderr}");

    let output = batch(class.path(), out.path(), &["--from", "blackboard"]);
    assert_code(&output, 2);
}
