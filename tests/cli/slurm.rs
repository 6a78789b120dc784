//! `scripts/slurm-check` on a real one-node Slurm (Debian's slurm-wlm and munge): a class graded
//! as an array job of 2 shards, one task cancelled after its first student as if its node were
//! lost, the array run again, merges into the gradebook a single `labgrade batch` writes.

use std::path::Path;
use std::process::Command;

use super::batch::gradebook;
use super::support::{
    assert_code, find_tool, needs_root_for, root, sum_array_class, whole_machine,
};

#[test]
fn a_slurm_array_with_a_lost_task_resumes_and_merges_into_the_single_run() {
    if !needs_root_for("scripts/slurm-check starts Slurm's daemons")
        || find_tool(&["slurmctld"], "scripts/slurm-check runs a one-node Slurm").is_none()
        || find_tool(&["munged"], "Slurm authenticates with munge").is_none()
    {
        return;
    }
    let _machine = whole_machine();
    // By the shard hash, bob and carol are shard 1 of 2 (array task 0), alice and dave shard 2.
    // Task 0 grades bob first, then carol, whose endless loop takes a second per case: the
    // cancel after bob's record lands while carol is graded.
    let class = sum_array_class(&[
        ("alice", "all_pass"),
        ("bob", "remainder_dropped"),
        ("carol", "infinite_loop"),
        ("dave", "compile_error"),
    ]);
    let out = tempfile::tempdir().unwrap();
    let output = Command::new("bash")
        .arg(root().join("scripts/slurm-check"))
        .arg(class.path())
        .arg(root().join("tests/fixtures/batch/sum-array.toml"))
        .arg("2")
        .arg(out.path())
        .env("LABGRADE", env!("CARGO_BIN_EXE_labgrade"))
        .env(
            "LABGRADE_CACHE_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("labgrade-cache"),
        )
        .env("SLURM_CHECK_CANCEL", "0")
        .output()
        .unwrap();
    assert_code(&output, 0);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The second run graded only carol, whom the cancelled task had not finished.
    assert!(
        stderr.contains("run 1: task 0 ended CANCELLED")
            && stderr.contains("run 2: 3 students reused, 1 graded"),
        "{stderr}"
    );
    let rerun = std::fs::read_to_string(out.path().join("logs/run-2/0.log")).unwrap();
    assert!(
        rerun.contains("reused bob") && rerun.contains("[1/1] graded carol"),
        "{rerun}"
    );

    let merged = gradebook(&out.path().join("merged"));
    assert_eq!(merged, gradebook(&out.path().join("single")));
    let scores: Vec<_> = merged.iter().map(|row| row[..4].join(",")).collect();
    assert_eq!(
        scores,
        [
            "alice,100,100,graded",
            "bob,60,100,graded",
            "carol,20,100,graded",
            "dave,0,100,graded",
        ]
    );
}
