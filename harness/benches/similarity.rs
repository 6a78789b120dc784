//! The cost of similarity for a class of 500 students of sum-array: fingerprinting each
//! student's files (done as each is graded) and comparing the class (the class-files step of
//! `batch` and `merge`), without grading anything.
//!
//! `cargo bench -p labgrade --bench similarity` makes `LABGRADE_BENCH_STUDENTS` submissions (500
//! by default): each is one of the exercise's correct fixtures, the reference or a planted copy,
//! with lines of its own (a dead function whose body depends on the student, one statement
//! dropped), so that about one student in eight shares most of their code with each other
//! student: many more shared fingerprints than a real class has, the inverted index's worst
//! case. It prints the time of each step (median of `LABGRADE_BENCH_RUNS`, 5 by default), the
//! fingerprints kept, the pairs listed and the size of `similarity.csv`.
#![allow(
    clippy::print_stdout,
    reason = "a benchmark's job is to print its figures"
)]

use std::fmt::Write as _;
use std::time::Instant;

use labgrade::class::{Key, Outcome, Record};
use labgrade::similarity::{Fingerprints, compare, fingerprint, skeleton};

/// The median of `values`.
fn median(values: &[f64]) -> f64 {
    labgrade::stats::median(&mut values.to_vec()).expect("a benchmark has samples")
}

/// The bases of the submissions: `(folder, relative to the repository)`.
const BASES: [&str; 8] = [
    "tests/fixtures/sum-array/all_pass",
    "tests/fixtures/sum-array/all_pass_alt",
    "tests/fixtures/sum-array/all_pass_builder_wait_loop",
    "tests/fixtures/sum-array/all_pass_scoped_atomic_raw_libc",
    "tests/fixtures/sum-array/all_pass_system_v_segment_removed",
    "exercises/sum-array/solution",
    "tests/fixtures/similarity/sum-array/copy_renamed_reordered",
    "tests/fixtures/similarity/sum-array/copy_commented",
];

const FILES: [&str; 2] = [
    "src/bin/sum_array_threads.rs",
    "src/bin/sum_array_processes.rs",
];

fn main() {
    let students: usize = std::env::var("LABGRADE_BENCH_STUDENTS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(500);
    let runs = std::env::var("LABGRADE_BENCH_RUNS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(5);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |folder: &str| -> Vec<(String, Vec<u8>)> {
        FILES
            .iter()
            .map(|file| {
                let bytes = std::fs::read(root.join(folder).join(file)).expect("fixture");
                ((*file).to_owned(), bytes)
            })
            .collect()
    };
    let given = skeleton(&read("exercises/sum-array"));
    let class: Vec<Vec<(String, Vec<u8>)>> = (0..students)
        .map(|student| variant(student, read(BASES[student % BASES.len()])))
        .collect();

    let mut fingerprinting = Vec::new();
    let mut comparing = Vec::new();
    let mut fingerprints: Vec<Fingerprints> = Vec::new();
    let mut listed = 0;
    let mut csv_bytes = 0;
    for _ in 0..runs {
        let started = Instant::now();
        fingerprints = class
            .iter()
            .map(|files| fingerprint(files, &given))
            .collect();
        fingerprinting.push(started.elapsed().as_secs_f64());

        let records: Vec<Record> = fingerprints
            .iter()
            .enumerate()
            .map(|(index, prints)| record(index, prints.clone()))
            .collect();
        let started = Instant::now();
        let found: Vec<Option<&Fingerprints>> =
            records.iter().map(|r| r.similarity.as_ref()).collect();
        let similarity = compare(&found);
        let mut csv = Vec::new();
        labgrade::report::write_similarity(&records, &similarity, &mut csv).expect("in memory");
        comparing.push(started.elapsed().as_secs_f64());
        listed = similarity.pairs.len();
        csv_bytes = csv.len();
    }
    let prints: usize = fingerprints.iter().map(|f| f.prints.len()).sum();
    println!(
        "{students} students of sum-array, {} pairs; median of {runs} runs",
        students * (students - 1) / 2
    );
    println!(
        "fingerprint every student: {:.3} s ({:.2} ms a student; {prints} fingerprints kept)",
        median(&fingerprinting),
        median(&fingerprinting) * 1000.0 / students as f64
    );
    println!(
        "compare the class and write similarity.csv: {:.3} s ({listed} pairs listed, {csv_bytes} bytes)",
        median(&comparing)
    );
}

/// Submission `student`: `files` with a dead function of its own at the end of each file and
/// its `student`-th statement line (one ending in `;`, brackets balanced) dropped.
fn variant(student: usize, files: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    files
        .into_iter()
        .map(|(path, bytes)| {
            let text = String::from_utf8(bytes).expect("UTF-8 fixture");
            let statements: Vec<usize> = text
                .lines()
                .enumerate()
                .filter(|(_, line)| {
                    line.trim_end().ends_with(';')
                        && line.matches(['(', '[', '{']).count()
                            == line.matches([')', ']', '}']).count()
                })
                .map(|(number, _)| number)
                .collect();
            let dropped = statements[student % statements.len()];
            let mut out: String = text
                .lines()
                .enumerate()
                .filter(|(number, _)| *number != dropped)
                .fold(String::new(), |mut out, (_, line)| {
                    out.push_str(line);
                    out.push('\n');
                    out
                });
            let _ = writeln!(
                out,
                "\n#[allow(dead_code)]\nfn own_{student}(x: u64) -> u64 {{"
            );
            for step in 0..(student % 7 + 3) {
                let op = ["+", "*", "^", "-"][(student + step) % 4];
                let _ = writeln!(out, "    let x = x {op} {};", student * 31 + step);
            }
            out.push_str("    x\n}\n");
            (path, out.into_bytes())
        })
        .collect()
}

fn record(index: usize, similarity: Fingerprints) -> Record {
    Record {
        version: labgrade::class::JOURNAL_VERSION,
        student: format!("s{index:03}"),
        key: Key {
            submission: String::new(),
            rubric: String::new(),
            harness: String::new(),
        },
        outcome: Outcome::Graded,
        score: 100.0,
        max_score: 100.0,
        checks: Vec::new(),
        note: None,
        similarity: Some(similarity),
    }
}
