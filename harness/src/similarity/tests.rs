//! The tokeniser, winnowing and pair scoring, on small texts and on the sum-array fixtures
//! with planted copies (`tests/fixtures/similarity/`).

use std::path::{Path, PathBuf};

use super::pairs::score;
use super::tokens::tokens;
use super::winnow::{K, kgram_hashes, winnow};
use super::*;

fn codes(source: &str) -> Vec<u32> {
    tokens(source)
        .unwrap()
        .iter()
        .map(|token| token.code)
        .collect()
}

#[test]
fn names_literal_values_comments_and_layout_do_not_matter() {
    let original = "fn add(a: i64, b: i64) -> i64 {\n    let s = a + b; s * 2\n}\n";
    let disguised = "/// Adds.\n#[doc = \"more\"]\nfn plus(x: i64,\n        y: i64) -> i64 { // sum\n let total = x + y; /* twice */ total * 7 }";
    assert_eq!(codes(original), codes(disguised));
    // Keywords, punctuation, delimiters and literal kinds do.
    assert_ne!(codes("let a = b;"), codes("let mut a = b;"));
    assert_ne!(codes("f(a)"), codes("f[a]"));
    assert_ne!(codes("x = 1;"), codes("x = 1.0;"));
    assert_ne!(codes("x = 1;"), codes("x = \"1\";"));
    assert_eq!(codes("x = 0x1f;"), codes("x = 3;"));
    // A non-doc attribute stays.
    assert_ne!(codes("#[inline] fn f() {}"), codes("fn f() {}"));
}

#[test]
fn tokens_carry_their_lines_and_close_their_groups() {
    let found = tokens("fn f() {\n    g();\n}\n").unwrap();
    let lines: Vec<u32> = found.iter().map(|token| token.line).collect();
    // fn f ( ) { g ( ) ; }
    assert_eq!(lines, [1, 1, 1, 1, 1, 2, 2, 2, 2, 3]);
}

#[test]
fn a_file_that_does_not_lex_is_said_and_deep_nesting_is_no_crash() {
    assert!(tokens("fn f() { \"unterminated }").is_err());
    assert!(tokens("fn f() { ( }").is_err());
    let deep = format!("{}{}", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(tokens(&deep).unwrap().len(), 200_000);
    let fingerprints = fingerprint(
        &[
            ("src/a.rs".to_owned(), b"fn f() { ( }".to_vec()),
            ("src/b.rs".to_owned(), vec![0xff, 0xfe]),
        ],
        &Skeleton::default(),
    );
    assert!(fingerprints.prints.is_empty());
    assert!(
        matches!(&fingerprints.files[0], SourceFile::DoesNotLex { path, .. } if path == "src/a.rs")
    );
    assert!(
        matches!(&fingerprints.files[1], SourceFile::DoesNotLex { message, .. } if message == "not UTF-8")
    );
}

#[test]
fn winnowing_keeps_each_windows_rightmost_smallest() {
    // The paper's example shape: windows of 4.
    let hashes = [
        77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98,
    ];
    let kept: Vec<u64> = winnow(&hashes, 4).iter().map(|&i| hashes[i]).collect();
    assert_eq!(kept, [17, 17, 8, 39, 17]);
    // Ties go to the rightmost, each position once.
    assert_eq!(winnow(&[5, 5, 5, 5], 2), [1, 2, 3]);
    // Fewer hashes than a window are one window; none give none.
    assert_eq!(winnow(&[9, 3, 7], 8), [1]);
    assert!(winnow(&[], 8).is_empty());
    // A hash marked as the skeleton's is never kept: the window's next smallest is.
    assert_eq!(winnow(&[u64::MAX, 6, u64::MAX], 3), [1]);
    assert!(winnow(&[u64::MAX, u64::MAX], 2).is_empty());
}

#[test]
fn every_window_of_hashes_has_a_kept_position() {
    let tokens =
        tokens(&std::fs::read_to_string(fixture("all_pass_alt", "sum_array_threads.rs")).unwrap())
            .unwrap();
    let hashes = kgram_hashes(&tokens);
    assert_eq!(hashes.len(), tokens.len() - K + 1);
    let kept = winnow(&hashes, WINDOW);
    for start in 0..=hashes.len() - WINDOW {
        assert!(
            kept.iter().any(|&i| (start..start + WINDOW).contains(&i)),
            "window {start}"
        );
    }
}

#[test]
fn the_skeleton_never_counts() {
    let given = "fn main() {\n    let workers = read_workers();\n    let array = make_array(workers);\n    println!(\"{}\", compute(&array, workers));\n}\n";
    let skeleton = skeleton(&[("src/main.rs".to_owned(), given.as_bytes().to_vec())]);
    let untouched = fingerprint(
        &[("src/main.rs".to_owned(), given.as_bytes().to_vec())],
        &skeleton,
    );
    assert!(untouched.prints.is_empty());
    assert!(
        !fingerprint(
            &[("src/main.rs".to_owned(), given.as_bytes().to_vec())],
            &Skeleton::default()
        )
        .prints
        .is_empty()
    );
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(outcome: &str, file: &str) -> PathBuf {
    let planted = root()
        .join("tests/fixtures/similarity/sum-array")
        .join(outcome);
    let folder = if planted.is_dir() {
        planted
    } else if outcome == "solution" {
        root().join("exercises/sum-array/solution")
    } else if outcome == "skeleton" {
        root().join("exercises/sum-array")
    } else {
        root().join("tests/fixtures/sum-array").join(outcome)
    };
    folder.join("src/bin").join(file)
}

const FILES: [&str; 2] = ["sum_array_threads.rs", "sum_array_processes.rs"];

fn files_of(outcome: &str) -> Vec<(String, Vec<u8>)> {
    FILES
        .iter()
        .map(|file| {
            (
                format!("src/bin/{file}"),
                std::fs::read(fixture(outcome, file)).unwrap(),
            )
        })
        .collect()
}

/// Correct solutions of sum-array written apart: the reference and two fixtures in other styles.
/// (The other `all_pass_*` fixtures are variants of the reference: one hands in its threads
/// file byte for byte, and they are rightly paired with it, as
/// `variants_of_the_reference_are_paired_with_it` shows.)
const INDEPENDENT: [&str; 3] = ["all_pass", "all_pass_alt", "solution"];
/// Planted copies of `all_pass_alt`: renamed, reordered, commented, with dead code.
const PLANTED: [&str; 2] = ["copy_renamed_reordered", "copy_commented"];

fn class_of(names: &[&str]) -> Vec<Fingerprints> {
    let skeleton = skeleton(&files_of("skeleton"));
    assert!(!skeleton.is_empty());
    names
        .iter()
        .map(|name| fingerprint(&files_of(name), &skeleton))
        .collect()
}

#[test]
fn planted_copies_come_first_and_independent_solutions_are_not_listed() {
    let names: Vec<&str> = INDEPENDENT.iter().chain(&PLANTED).copied().collect();
    let fingerprints = class_of(&names);
    let class: Vec<Option<&Fingerprints>> = fingerprints.iter().map(Some).collect();
    let is_planted = |a: usize, b: usize| {
        let copy = |i: usize| PLANTED.contains(&names[i]) || names[i] == "all_pass_alt";
        copy(a) && copy(b)
    };
    let scored = score(&class).pairs;
    let lowest_planted = scored
        .iter()
        .filter(|(a, b, ..)| is_planted(*a as usize, *b as usize))
        .map(|pair| pair.3)
        .fold(f64::INFINITY, f64::min);
    let highest_independent = scored
        .iter()
        .filter(|(a, b, ..)| !is_planted(*a as usize, *b as usize))
        .map(|pair| pair.3)
        .fold(0.0, f64::max);
    assert!(
        lowest_planted > highest_independent,
        "planted {lowest_planted} <= independent {highest_independent}: {scored:?}"
    );
    let similarity = compare(&class);
    let listed: Vec<(&str, &str)> = similarity
        .pairs
        .iter()
        .map(|pair| (names[pair.a], names[pair.b]))
        .collect();
    assert_eq!(
        listed.len(),
        3,
        "{listed:?}, median {}, deviation {}",
        similarity.median,
        similarity.deviation
    );
    assert!(
        similarity
            .pairs
            .iter()
            .all(|pair| is_planted(pair.a, pair.b)),
        "{listed:?}"
    );
    assert!(
        similarity
            .pairs
            .windows(2)
            .all(|two| two[0].score >= two[1].score)
    );
    // Matching regions name lines of both, in files they have.
    for pair in &similarity.pairs {
        assert!(!pair.regions_a.is_empty() && !pair.regions_b.is_empty());
        assert!(
            pair.regions_a
                .iter()
                .all(|r| r.file < 2 && r.first <= r.last && r.first > 0)
        );
    }
}

#[test]
fn variants_of_the_reference_are_paired_with_it() {
    let names = [
        "all_pass",
        "all_pass_alt",
        "solution",
        "all_pass_system_v_segment_removed",
    ];
    let fingerprints = class_of(&names);
    let class: Vec<Option<&Fingerprints>> = fingerprints.iter().map(Some).collect();
    let similarity = compare(&class);
    let listed: Vec<(usize, usize)> = similarity
        .pairs
        .iter()
        .map(|pair| (pair.a, pair.b))
        .collect();
    assert_eq!(listed, [(2, 3)]);
    // Its threads file is the reference's: that whole file matches.
    let threads = fingerprints[3].files[0].clone();
    let SourceFile::Compared { text, .. } = threads else {
        panic!("{threads:?}")
    };
    let region = &similarity.pairs[0].regions_b[0];
    assert_eq!(region.file, 0);
    assert!(
        region.last - region.first > 20,
        "{region:?} of {} lines",
        text.lines().count()
    );
}

#[test]
fn a_fingerprint_most_of_the_class_holds_counts_for_nobody() {
    // One file handed in by `copies` students, five others by one each. Five of ten hold more
    // than a quarter of the class (and 5 students): common, never a match; four of nine do not.
    let shared = std::fs::read(fixture("all_pass", "sum_array_threads.rs")).unwrap();
    let others: Vec<Vec<u8>> = ["all_pass", "all_pass_alt", "solution"]
        .iter()
        .flat_map(|outcome| FILES.map(|file| std::fs::read(fixture(outcome, file)).unwrap()))
        .skip(1)
        .collect();
    for (copies, listed) in [(5, 0), (4, 6)] {
        let files = std::iter::repeat_n(&shared, copies).chain(&others);
        let fingerprints: Vec<Fingerprints> = files
            .map(|bytes| fingerprint(&[("a.rs".to_owned(), bytes.clone())], &Skeleton::default()))
            .collect();
        let class: Vec<Option<&Fingerprints>> = fingerprints.iter().map(Some).collect();
        let similarity = compare(&class);
        assert_eq!(
            similarity.pairs.len(),
            listed,
            "{copies}: {:?}",
            similarity.pairs
        );
        assert!(similarity.common > 0 || listed > 0);
    }
}
