//! Archives as students make them, built at test time with the real tools (`tar`, `zip`, and
//! Python's `zipfile` for what macOS Finder and Windows write), each holding the sum-array
//! reference solution: every one grades full marks under its id. What labgrade cannot read (a
//! damaged, password-protected or oversized archive, a format it does not unpack, a lone source
//! file) is `unreadable`, told apart from a submission that was read and lacks files, with a
//! reason that is true.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{assert_code, copy_dir, root};

/// The reference solution: `src/bin/sum_array_{threads,processes}.rs`.
fn solution() -> PathBuf {
    root().join("exercises/sum-array/solution")
}

/// Runs `program` with `args` in `dir`, and asserts it succeeded.
fn run(dir: &Path, program: &str, args: &[&str]) {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        // macOS's `tar` honours it; GNU tar ignores it. Without it, a Mac adds `._` files.
        .env("COPYFILE_DISABLE", "1")
        .output()
        .unwrap_or_else(|error| panic!("{program}: {error}"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs a Python script with `args`, in `dir`.
fn python(dir: &Path, script: &str, args: &[&str]) {
    let mut all = vec!["-c", script];
    all.extend_from_slice(args);
    run(dir, "python3", &all);
}

/// A folder `<work>/<name>` holding a copy of the reference solution.
fn lab_folder(work: &Path, name: &str) -> PathBuf {
    let folder = work.join(name);
    copy_dir(&solution(), &folder);
    folder
}

/// Writes a zip of the reference solution with Python's `zipfile`, each file named by `name_of`
/// (a Python expression of `path`, the file's path with `/`) and followed by `per_file`, then
/// `after` (Python statements on `archive`): the quirks of Finder and Windows.
fn python_zip(work: &Path, zip: &Path, name_of: &str, per_file: &str, after: &str) {
    let script = format!(
        r#"
import os, sys, zipfile
source, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
    for folder, _, files in os.walk(source):
        for file in sorted(files):
            full = os.path.join(folder, file)
            path = os.path.relpath(full, source).replace(os.sep, "/")
            archive.write(full, {name_of})
            {per_file}
    {after}
"#
    );
    python(
        work,
        &script,
        &[solution().to_str().unwrap(), zip.to_str().unwrap()],
    );
}

/// `<folder>/src/bin/sum_array_threads.rs` of the reference solution, and nothing else.
fn threads_only(folder: &Path) {
    let bin = folder.join("src/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(
        solution().join("src/bin/sum_array_threads.rs"),
        bin.join("sum_array_threads.rs"),
    )
    .unwrap();
}

/// The gradebook's rows as `(student, score, status)`.
fn gradebook(out: &Path) -> Vec<(String, String, String)> {
    crate::batch::gradebook(out)
        .into_iter()
        .map(|row| (row[0].clone(), row[1].clone(), row[3].clone()))
        .collect()
}

/// The batch tests' `labgrade batch`: the quick rubric, seed 1, 2 jobs.
fn batch(class: &Path, out: &Path) -> Output {
    crate::batch::batch(class, out, &[])
}

/// Student `id`'s row of the gradebook.
fn row(out: &Path, id: &str) -> (String, String, String) {
    gradebook(out)
        .into_iter()
        .find(|(student, _, _)| student == id)
        .unwrap_or_else(|| panic!("no row of `{id}`"))
}

fn feedback(out: &Path, id: &str) -> String {
    std::fs::read_to_string(out.join("feedback").join(format!("{id}.txt"))).unwrap()
}

/// The Moodle student of the class below.
const MOODLE: &str = "Grace Hopper_123456_assignsubmission_file";

/// A class of every kind of archive a student makes, and of what labgrade cannot read.
fn class(dir: &Path) {
    let work = tempfile::tempdir().unwrap();
    let work = work.path();

    // `tar czf x.tar.gz .` inside the folder: entries `./`, `./src/...`.
    let dot = lab_folder(work, "dot");
    run(
        &dot,
        "tar",
        &["czf", dir.join("tar_dot.tar.gz").to_str().unwrap(), "."],
    );
    // `tar cf`: no compression.
    let plain = lab_folder(work, "plain");
    run(
        &plain,
        "tar",
        &["cf", dir.join("tar_plain.tar").to_str().unwrap(), "src"],
    );
    // `tar cf` under a `.tar.gz` name: a tar, whatever the name says.
    run(
        &plain,
        "tar",
        &["cf", dir.join("tar_misnamed.tar.gz").to_str().unwrap(), "."],
    );
    // A Linux desktop's archiver (file-roller) archives the folder: `lab1/src/...`.
    lab_folder(work, "lab1");
    run(
        work,
        "tar",
        &["czf", dir.join("file_roller.tgz").to_str().unwrap(), "lab1"],
    );
    // `zip -r lab.zip folder`.
    run(
        work,
        "zip",
        &["-qr", dir.join("zip_folder.zip").to_str().unwrap(), "lab1"],
    );
    // macOS Finder's "Compress": `lab1/...`, then `__MACOSX/lab1/._...` AppleDouble files and a
    // `.DS_Store`.
    python_zip(
        work,
        &dir.join("finder.zip"),
        r#""lab1/" + path"#,
        r#"archive.writestr("__MACOSX/lab1/" + os.path.dirname(path) + "/._" + os.path.basename(path), b"\x00\x05\x16\x07")"#,
        r#"archive.writestr("lab1/.DS_Store", b"Bud1")"#,
    );
    // Windows: an old tool's backslashes, in file and folder names alike.
    python_zip(
        work,
        &dir.join("windows.zip"),
        r#""lab1\\" + path.replace("/", "\\")"#,
        "pass",
        r#"for folder in ["lab1\\", "lab1\\src\\", "lab1\\src\\bin\\"]:
        info = zipfile.ZipInfo(folder)
        info.create_system = 0
        info.external_attr = 0x10
        archive.writestr(info, b"")"#,
    );
    // Moodle's "Download all submissions": the student's zip in a folder of their own.
    let moodle = dir.join(MOODLE);
    std::fs::create_dir(&moodle).unwrap();
    run(
        work,
        "zip",
        &["-qr", moodle.join("lab1.zip").to_str().unwrap(), "lab1"],
    );

    // A folder that lacks a file: read, and graded with what it lacks (the threads checks pass).
    threads_only(&dir.join("missing"));
    // What labgrade cannot read.
    run(
        work,
        "zip",
        &[
            "-qr",
            "-P",
            "secret",
            dir.join("password.zip").to_str().unwrap(),
            "lab1",
        ],
    );
    let whole = std::fs::read(dir.join("zip_folder.zip")).unwrap();
    std::fs::write(dir.join("truncated.zip"), &whole[..whole.len() / 2]).unwrap();
    run(
        work,
        "tar",
        &["cJf", dir.join("xz.tar.xz").to_str().unwrap(), "lab1"],
    );
    // RAR's signature, then nothing: no `rar` to make a real one.
    std::fs::write(dir.join("rar.rar"), b"Rar!\x1a\x07\x01\x00rest").unwrap();
    threads_only(&work.join("lone"));
    std::fs::rename(
        work.join("lone/src/bin/sum_array_threads.rs"),
        dir.join("lone.rs"),
    )
    .unwrap();
    // More entries than the limit (20 000), each empty: a bomb by count.
    python(
        work,
        "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    for i in range(20001): z.writestr(f'f{i}', b'')",
        &[dir.join("bomb.zip").to_str().unwrap()],
    );
    flat(dir);
}

/// Single files, no folders: uploaded side by side (a folder of them), or `zip -j`.
fn flat(dir: &Path) {
    let flat = dir.join("flat_folder");
    std::fs::create_dir(&flat).unwrap();
    for name in ["sum_array_threads.rs", "sum_array_processes.rs"] {
        std::fs::copy(solution().join("src/bin").join(name), flat.join(name)).unwrap();
    }
    run(
        &solution().join("src/bin"),
        "zip",
        &[
            "-qj",
            dir.join("zip_flat.zip").to_str().unwrap(),
            "sum_array_threads.rs",
            "sum_array_processes.rs",
        ],
    );
}

#[test]
fn every_archive_a_student_makes_grades_and_the_unreadable_are_told_apart() {
    let class_dir = tempfile::tempdir().unwrap();
    class(class_dir.path());
    let out = tempfile::tempdir().unwrap();
    let output = batch(class_dir.path(), out.path());
    // Unreadable submissions are the students' failures, not labgrade's: exit 0.
    assert_code(&output, 0);

    let full = |id: &str| (id.to_owned(), "100".to_owned(), "graded".to_owned());
    let unreadable = |id: &str| (id.to_owned(), "0".to_owned(), "unreadable".to_owned());
    assert_eq!(
        gradebook(out.path()),
        [
            full(MOODLE),
            unreadable("bomb"),
            full("file_roller"),
            full("finder"),
            full("flat_folder"),
            unreadable("lone"),
            ("missing".to_owned(), "60".to_owned(), "graded".to_owned()),
            unreadable("password"),
            unreadable("rar"),
            full("tar_dot"),
            full("tar_misnamed"),
            full("tar_plain"),
            unreadable("truncated"),
            full("windows"),
            unreadable("xz"),
            full("zip_flat"),
            full("zip_folder"),
        ]
    );

    // Each refusal says what is true of the file, and what to do.
    for (id, says) in [
        ("password", "entry `lab1/src/bin/"),
        ("password", "is protected by a password"),
        ("password", "Hand in an archive without a password"),
        ("truncated", "is not a readable zip archive"),
        (
            "xz",
            "`xz.tar.xz` is an xz-compressed file, which labgrade does not unpack",
        ),
        ("rar", "`rar.rar` is a RAR archive"),
        ("lone", "`lone.rs` is neither a folder nor a .zip"),
        ("bomb", "holds more than 20000 files and folders"),
    ] {
        let text = feedback(out.path(), id);
        assert!(text.contains(says), "{id}: {says:?} not in\n{text}");
    }
    // Not "missing files": the student may have handed them in, in a form labgrade cannot open.
    let rar = feedback(out.path(), "rar");
    assert!(
        rar.contains("what was handed in could not be read")
            && rar.contains("not run: the submission could not be read")
            && !rar.contains("nothing to build")
            && !rar.contains("lacks"),
        "{rar}"
    );
    assert!(
        feedback(out.path(), "missing").contains("src/bin/sum_array_processes.rs"),
        "{}",
        feedback(out.path(), "missing")
    );

    // Progress, summary and the class report say `unreadable` too.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("] unreadable rar 0/100"), "{stderr}");
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(
        summary.contains("17 students: 11 graded, 6 unreadable, 0 incomplete, 0 could not be graded; 10 with full marks"),
        "{summary}"
    );
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(
        html.contains("<span class=\"status unreadable\">unreadable</span>"),
        "no unreadable status in report.html"
    );

    resumes_only_what_changed(class_dir.path(), out.path());
}

/// Batch again over the class of [`class`], graded into `out`: nothing changed, every record is
/// reused, the unreadable ones too; a new upload in the Moodle folder, or a single file taken
/// from a folder of them, is graded again.
fn resumes_only_what_changed(class_dir: &Path, out: &Path) {
    let again = batch(class_dir, out);
    assert_code(&again, 0);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("17 reused from an earlier run"), "{stderr}");
    let work = tempfile::tempdir().unwrap();
    threads_only(&work.path().join("lab1"));
    let upload = class_dir.join(MOODLE).join("lab1.zip");
    std::fs::remove_file(&upload).unwrap();
    run(
        work.path(),
        "zip",
        &["-qr", upload.to_str().unwrap(), "lab1"],
    );
    let third = batch(class_dir, out);
    assert_code(&third, 0);
    let stderr = String::from_utf8_lossy(&third.stderr);
    assert!(
        stderr.contains("16 reused from an earlier run, 1 to grade"),
        "{stderr}"
    );
    let moodle = row(out, MOODLE);
    assert_eq!(moodle.2, "graded");
    assert_ne!(
        moodle.1, "100",
        "the new upload lacks the processes program"
    );
    // A single file taken out of a folder of them is a new submission too.
    std::fs::remove_file(class_dir.join("flat_folder/sum_array_processes.rs")).unwrap();
    let fourth = batch(class_dir, out);
    assert_code(&fourth, 0);
    let stderr = String::from_utf8_lossy(&fourth.stderr);
    assert!(
        stderr.contains("16 reused from an earlier run, 1 to grade"),
        "{stderr}"
    );
    let flat = row(out, "flat_folder");
    assert_eq!(flat.1, "60", "{flat:?}");
}
