//! The IPC lab: ipc-stream, ipc-datagram and ipc-handover graded end to end, each fixture losing
//! exactly the points it should, the system calls the tracer observed, the short reads' replay,
//! and the `syscalls` key's errors.

use predicates::prelude::*;
use predicates::str::contains;

use crate::support::{Grade, full_marks, labgrade, rows};

#[test]
fn stream_all_pass_and_its_reads_were_shortened() {
    let graded = Grade::solution("ipc-stream").seed(7).json();
    full_marks(&graded);
    let census = &graded.check("stream-short-reads")["cases"][0]["observed"]["census"];
    assert!(census["short_reads"].as_u64().unwrap() > 0, "{census:#}");
    assert_eq!(census["syscalls"]["pipe"], 1, "{census:#}");
    // Without `short-reads`, no read is shortened.
    let census = &graded.check("stream-channel")["cases"][0]["observed"]["census"];
    assert!(census.get("short_reads").is_none(), "{census:#}");
    // A check that observes no system call stops at none.
    let census = &graded.check("stream-messages")["cases"][0]["observed"]["census"];
    assert!(
        census.is_null() || census.get("syscalls").is_none(),
        "{census:#}"
    );
}

#[test]
fn stream_without_framing_loses_the_short_reads() {
    let graded = Grade::exercise("ipc-stream", "stream_without_framing")
        .seed(7)
        .json();
    let scores = graded.scores();
    // One read per message: the pieces of a shortened read come out as messages of their own.
    assert!(
        scores.contains(&("stream-short-reads".to_owned(), 0.0, "failed".to_owned())),
        "{scores:?}"
    );
    assert!(
        scores.contains(&("stream-channel".to_owned(), 30.0, "passed".to_owned())),
        "{scores:?}"
    );
    assert_eq!(graded.code, 1);
}

#[test]
fn datagram_all_pass() {
    let graded = Grade::solution("ipc-datagram").seed(7).json();
    full_marks(&graded);
    let census = &graded.check("datagram-channel")["cases"][0]["observed"]["census"];
    assert_eq!(
        census["syscalls"]["socketpair(SOCK_DGRAM)"], 1,
        "{census:#}"
    );
}

#[test]
fn datagram_over_pipe_loses_the_channel() {
    let graded = Grade::exercise("ipc-datagram", "datagram_over_pipe")
        .seed(7)
        .json();
    assert_eq!(
        graded.scores(),
        rows(&[
            ("datagram-messages", 50.0, "passed"),
            ("datagram-channel", 0.0, "failed"),
            ("datagram-census", 20.0, "passed"),
        ])
    );
    let failures = &graded.check("datagram-channel")["cases"][0]["failures"];
    assert_eq!(
        failures[0]["expected"],
        "a call to socketpair(SOCK_SEQPACKET|SOCK_DGRAM)"
    );
    assert_eq!(failures[1]["expected"], "no call to pipe");
    assert_eq!(failures[1]["actual"], "it made pipe ×1");
}

#[test]
fn syscalls_key_errors_are_located() {
    labgrade()
        .args(["grade", "exercises/ipc-datagram", "--rubric"])
        .arg("tests/fixtures/rubrics/bad_syscalls.toml")
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(contains("`SOCK_RAW` is not a detail of `socketpair`"))
        .stderr(contains(
            "--> tests/fixtures/rubrics/bad_syscalls.toml:11:25",
        ))
        .stderr(contains(
            "`sockpair` is not a system call labgrade observes",
        ))
        .stderr(contains("did you mean `socketpair`?"))
        .stderr(contains("`pipe` takes no detail"))
        .stderr(contains("`mmap(MAP_SHARED` has no closing parenthesis"))
        .stderr(contains("`syscalls` requires and forbids nothing"))
        .stderr(contains(
            "--> tests/fixtures/rubrics/bad_syscalls.toml:18:12",
        ));
}

/// Short reads are drawn from the case's seed: `labgrade replay` shortens the same reads, so
/// the unframed stream fails again, and the reference passes again.
#[test]
fn short_reads_replay_with_the_same_verdict() {
    let dir = tempfile::tempdir().unwrap();
    for (outcome, submission, expected) in [
        (
            "stream_without_framing",
            "tests/fixtures/ipc-stream/stream_without_framing",
            1,
        ),
        ("solution", "exercises/ipc-stream/solution", 0),
    ] {
        let report = dir.path().join(format!("{outcome}.json"));
        labgrade()
            .args(["grade", "--seed", "11", "--report"])
            .arg(format!("json={}", report.display()))
            .arg(submission)
            .args(["--rubric", "rubrics/ipc-stream.toml"])
            .assert()
            .code(expected);
        let replayed = labgrade()
            .arg("replay")
            .arg(&report)
            .arg("stream-short-reads/default")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&replayed.stdout);
        assert_eq!(replayed.status.code(), Some(0), "{outcome}: {stdout}");
    }
}

#[test]
fn handover_all_pass() {
    let graded = Grade::solution("ipc-handover").seed(7).json();
    full_marks(&graded);
    let census = &graded.check("handover-channel")["cases"][0]["observed"]["census"];
    assert_eq!(census["syscalls"]["memfd_create"], 1, "{census:#}");
    assert_eq!(census["syscalls"]["fcntl(F_ADD_SEALS)"], 1, "{census:#}");
}

#[test]
fn handover_copies_anyway_loses_the_channel() {
    let graded = Grade::exercise("ipc-handover", "handover_copies_anyway")
        .seed(7)
        .json();
    assert_eq!(
        graded.scores(),
        rows(&[
            ("handover-payload", 40.0, "passed"),
            ("handover-channel", 0.0, "failed"),
            ("handover-census", 20.0, "passed"),
        ])
    );
    let failures = &graded.check("handover-channel")["cases"][0]["failures"];
    assert_eq!(failures[0]["expected"], "a call to mmap(MAP_SHARED)");
    assert_eq!(failures[1]["expected"], "no call to pipe");
}
