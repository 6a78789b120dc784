//! The IPC lab: ipc-stream, ipc-datagram, ipc-async and ipc-handover graded end to end, each fixture losing
//! exactly the points it should, the system calls the tracer observed, the short reads' replay,
//! and the `syscalls` key's errors.

use predicates::prelude::*;
use predicates::str::contains;

use crate::support::{Grade, full_marks, labgrade, rows, rows_but};

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
fn handover_all_pass_and_is_far_faster_than_copying() {
    let graded = Grade::solution("ipc-handover").seed(7).json();
    full_marks(&graded);
    let census = &graded.check("handover-channel")["cases"][0]["observed"]["census"];
    assert_eq!(census["syscalls"]["memfd_create"], 1, "{census:#}");
    assert_eq!(census["syscalls"]["fcntl(F_ADD_SEALS)"], 1, "{census:#}");
    // Each timed run recorded its transfer time for the ratio, three runs each.
    let figures = &graded.check("copy-timed")["cases"][0]["figures"];
    assert_eq!(figures.as_array().map(Vec::len), Some(3), "{figures:#}");
    assert!(
        figures[0]["transfer_us"]
            .as_f64()
            .is_some_and(|us| us > 0.0)
    );
    let ratio = graded.check("handover-cheaper");
    assert_eq!(
        ratio["cases"].as_array().map(Vec::len),
        Some(0),
        "{ratio:#}"
    );
    let info = ratio["info"][0].as_str().unwrap_or_default();
    assert!(
        info.starts_with("median `cpu_us` per run: `handover-timed` ")
            && info.ends_with("each over `copy-timed` must be at most 0.5"),
        "{info}"
    );
    // The wall times are shown too, as information worth no points.
    let wall = graded.check("handover-wall-time");
    assert_eq!(wall["max_score"], 0.0, "{wall:#}");
    assert!(
        wall["info"][0]
            .as_str()
            .is_some_and(|info| info.contains("(information, not graded)")),
        "{wall:#}"
    );
}

#[test]
fn handover_copies_anyway_loses_the_channel_and_the_speed() {
    let graded = Grade::exercise("ipc-handover", "handover_copies_anyway")
        .seed(7)
        .json();
    assert_eq!(
        graded.scores(),
        rows(&[
            ("handover-payload", 25.0, "passed"),
            ("copy-payload", 10.0, "passed"),
            ("handover-channel", 0.0, "failed"),
            ("copy-channel", 5.0, "passed"),
            ("handover-census", 10.0, "passed"),
            ("handover-timed", 5.0, "passed"),
            ("copy-timed", 5.0, "passed"),
            ("handover-cheaper", 0.0, "failed"),
            ("handover-wall-time", 0.0, "passed"),
        ])
    );
    let failures = &graded.check("handover-channel")["cases"][0]["failures"];
    assert_eq!(failures[0]["expected"], "a call to mmap(MAP_SHARED)");
    assert_eq!(failures[1]["expected"], "no call to pipe");
    let reason = graded.check("handover-cheaper")["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(
        reason.starts_with(
            "expected `cpu_us` over `copy-timed` to be at most 0.5, but `handover-timed` over `copy-timed` was "
        ),
        "{reason}"
    );
}

/// Scores of ipc-async with every check passed.
const ASYNC_FULL: [(&str, f64, &str); 6] = [
    ("async-messages", 30.0, "passed"),
    ("async-queried", 20.0, "passed"),
    ("async-no-message", 10.0, "passed"),
    ("async-channel", 15.0, "passed"),
    ("async-sleeps", 15.0, "passed"),
    ("async-census", 10.0, "passed"),
];

#[test]
fn async_all_pass_sleeping_in_a_blocking_poll() {
    let graded = Grade::solution("ipc-async").seed(7).json();
    full_marks(&graded);
    let census = &graded.check("async-channel")["cases"][0]["observed"]["census"];
    assert!(
        census["syscalls"]["poll(blocking)"].as_u64() > Some(0),
        "{census:#}"
    );
    // Rust's runtime polls descriptors 0 to 2 once without waiting.
    assert_eq!(census["syscalls"]["poll(non-blocking)"], 1, "{census:#}");
    // Every task's time on a CPU and waiting for one was read at its exit.
    let tasks = &graded.check("async-sleeps")["cases"][0]["observed"]["census"]["tasks"];
    let main = &tasks[0];
    assert_eq!(main["kind"], "main", "{tasks:#}");
    assert!(main["voluntary_switches"].as_u64() > Some(0), "{main:#}");
}

#[test]
fn async_busy_wait_loses_the_sleeping_check() {
    let graded = Grade::exercise("ipc-async", "async_busy_wait")
        .seed(7)
        .json();
    // It never polls at all, so the channel check goes too.
    assert_eq!(
        graded.scores(),
        rows_but(
            &ASYNC_FULL,
            &[
                ("async-channel", 0.0, "failed"),
                ("async-sleeps", 0.0, "failed"),
            ]
        )
    );
    let failure = &graded.check("async-sleeps")["cases"][0]["failures"][0];
    let actual = failure["actual"].as_str().unwrap_or_default();
    assert!(
        actual.starts_with("the main process ") && actual.ends_with("it spins instead of blocking"),
        "{failure:#}"
    );
    let failure = &graded.check("async-channel")["cases"][0]["failures"][0];
    assert_eq!(
        failure["expected"],
        "a call to poll(blocking) or epoll_wait(blocking) or select(blocking)"
    );
}

#[test]
fn async_blocks_on_one_never_sees_an_empty_channel() {
    let graded = Grade::exercise("ipc-async", "async_blocks_on_one")
        .seed(7)
        .json();
    assert_eq!(
        graded.scores(),
        rows_but(
            &ASYNC_FULL,
            &[
                ("async-no-message", 0.0, "failed"),
                ("async-channel", 0.0, "failed"),
            ]
        )
    );
    let expected: Vec<&str> = graded.check("async-channel")["cases"][0]["failures"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|failure| failure["expected"].as_str())
        .collect();
    assert_eq!(
        expected,
        [
            "a call to fcntl(O_NONBLOCK)",
            "a call to poll(blocking) or epoll_wait(blocking) or select(blocking)"
        ]
    );
}

#[test]
fn query_wrong_loses_the_announced_sizes() {
    let graded = Grade::exercise("ipc-async", "query_wrong").seed(7).json();
    assert_eq!(
        graded.scores(),
        rows_but(&ASYNC_FULL, &[("async-queried", 0.0, "failed")])
    );
    let failure = &graded.check("async-queried")["cases"][0]["failures"][1];
    assert_eq!(failure["what"], "stdout");
    let actual = failure["actual"].as_str().unwrap_or_default();
    assert!(
        actual.contains("bytes for source") && actual.contains("hold"),
        "{failure:#}"
    );
}

#[test]
fn async_with_epoll_and_another_loop_earns_full_marks() {
    let graded = Grade::exercise("ipc-async", "all_pass_epoll")
        .seed(11)
        .json();
    full_marks(&graded);
    let census = &graded.check("async-channel")["cases"][0]["observed"]["census"];
    assert!(
        census["syscalls"]["epoll_wait(blocking)"].as_u64() > Some(0),
        "{census:#}"
    );
}
