//! `similarity.csv` of a batch: planted copies of a correct fixture (renamed, reordered,
//! commented, with dead code) listed first, independent solutions of sum-array not listed, and a
//! merge of shards writing the same file as one run.

use std::path::Path;

use super::{Class, batch, students};
use crate::support::{Cli, assert_code, copy_dir, root};

/// The pairs of `similarity.csv` (header left out), each as its six cells.
fn pairs(out: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(out.join("similarity.csv")).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "student_a",
            "student_b",
            "score",
            "shared",
            "lines_a",
            "lines_b"
        ]
    );
    reader
        .into_records()
        .map(|row| row.unwrap().iter().map(ToOwned::to_owned).collect())
        .collect()
}

impl Class {
    /// Student `id` hands in a copy of the folder `from` (of the repository).
    fn copy_of(self, id: &str, from: &str) -> Self {
        copy_dir(&root().join(from), &self.path().join(id));
        self
    }
}

#[test]
fn planted_copies_are_listed_first_and_merge_writes_the_same_pairs() {
    // ben's all_pass_alt and two planted copies of it; ana's all_pass and the reference
    // solution were written apart from it and from each other.
    let class = Class::new()
        .folder("ana", "all_pass")
        .folder("ben", "all_pass_alt")
        .copy_of("ref", "exercises/sum-array/solution")
        .copy_of(
            "cy",
            "tests/fixtures/similarity/sum-array/copy_renamed_reordered",
        )
        .copy_of("dee", "tests/fixtures/similarity/sum-array/copy_commented");
    let single = tempfile::tempdir().unwrap();
    assert_code(&batch(class.path(), single.path(), &[]), 0);
    let found = pairs(single.path());
    let mut listed: Vec<(&str, &str)> = found
        .iter()
        .map(|pair| (pair[0].as_str(), pair[1].as_str()))
        .collect();
    let scores: Vec<f64> = found.iter().map(|pair| pair[2].parse().unwrap()).collect();
    assert!(scores.windows(2).all(|two| two[0] >= two[1]), "{found:?}");
    assert!(scores.iter().all(|score| *score >= 0.5), "{found:?}");
    listed.sort_unstable();
    // Every planted pair, and no pair with an independent solution.
    assert_eq!(
        listed,
        [("ben", "cy"), ("ben", "dee"), ("cy", "dee")],
        "{found:?}"
    );
    // Regions name the files handed in, with lines.
    for pair in &found {
        assert!(pair[4].starts_with("src/bin/sum_array_"), "{pair:?}");
        assert!(pair[5].contains(".rs:"), "{pair:?}");
    }
    let page = std::fs::read_to_string(single.path().join("report.html")).unwrap();
    assert!(page.contains("<strong>ben and cy</strong>"), "{page}");

    // Shards merged: the same pairs, byte for byte, from the records' fingerprints.
    let shards = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for (index, shard) in shards.iter().enumerate() {
        let output = batch(
            class.path(),
            shard.path(),
            &["--shard", &format!("{}/2", index + 1)],
        );
        assert_code(&output, 0);
        assert!(!students(&output, "graded").is_empty());
    }
    let merged = tempfile::tempdir().unwrap();
    Cli::new("merge")
        .arg(shards[0].path())
        .arg(shards[1].path())
        .arg("--out")
        .arg(merged.path())
        .run()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(merged.path().join("similarity.csv")).unwrap(),
        std::fs::read_to_string(single.path().join("similarity.csv")).unwrap()
    );
}
