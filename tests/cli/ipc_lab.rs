//! The IPC lab: ipc-stream, ipc-datagram, ipc-async and ipc-handover graded end to end, each fixture losing
//! exactly the points it should, the system calls the tracer observed, the short reads' replay,
//! and the `syscalls` key's errors.

use crate::support::{Cli, Grade, full_marks, rows, rows_but};

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
        scores.contains(&("stream-channel".to_owned(), 20.0, "passed".to_owned())),
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
    // Each message is one send and one receive with data; the empty datagram ends the series.
    let census = &graded.check("datagram-one-per-message")["cases"][0]["observed"]["census"];
    let sent = census["syscalls"]["send(data)"].as_u64();
    assert!(
        sent.is_some_and(|sent| (12..=20).contains(&sent)),
        "{census:#}"
    );
    assert_eq!(
        census["syscalls"]["recv(data)"].as_u64(),
        sent,
        "{census:#}"
    );
    assert_eq!(census["syscalls"]["send(empty)"], 1, "{census:#}");
    assert_eq!(census["syscalls"]["recv(empty)"], 1, "{census:#}");
}

#[test]
fn datagram_split_into_pieces_loses_one_per_message() {
    let graded = Grade::exercise("ipc-datagram", "splits_into_4k_datagrams")
        .seed(7)
        .json();
    assert_eq!(
        graded.scores(),
        rows(&[
            ("datagram-messages", 27.0, "passed"),
            ("datagram-channel", 25.0, "passed"),
            ("datagram-one-per-message", 0.0, "failed"),
            ("datagram-census", 15.0, "passed"),
            ("datagram-closed-ends", 10.0, "passed"),
            ("style-clippy", 2.0, "passed"),
            ("style-format", 1.0, "passed"),
        ])
    );
    let failure = &graded.check("datagram-one-per-message")["cases"][0]["failures"][1];
    let expected = failure["expected"].as_str().unwrap_or_default();
    assert!(
        expected.starts_with("one call to send(data) per message: "),
        "{failure:#}"
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
            ("datagram-messages", 27.0, "passed"),
            ("datagram-channel", 0.0, "failed"),
            ("datagram-one-per-message", 0.0, "skipped"),
            ("datagram-census", 15.0, "passed"),
            // Its child closes the write end of the pipe it reads.
            ("datagram-closed-ends", 10.0, "passed"),
            ("style-clippy", 2.0, "passed"),
            ("style-format", 1.0, "passed"),
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
    Grade::new(
        "exercises/ipc-datagram",
        "tests/fixtures/rubrics/bad_syscalls.toml",
    )
    .run()
    .code(2)
    .stdout_is_empty()
    .stderr_has("`SOCK_RAW` is not a detail of `socketpair`")
    .stderr_has("--> tests/fixtures/rubrics/bad_syscalls.toml:11:25")
    .stderr_has("`sockpair` is not a system call labgrade observes")
    .stderr_has("did you mean `socketpair`?")
    .stderr_has("`pipe` takes no detail")
    .stderr_has("`mmap(MAP_SHARED` has no closing parenthesis")
    .stderr_has("`syscalls` requires and forbids nothing")
    .stderr_has("--> tests/fixtures/rubrics/bad_syscalls.toml:18:12");
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
        Grade::new(submission, "rubrics/ipc-stream.toml")
            .seed(11)
            .arg("--report")
            .arg(format!("json={}", report.display()))
            .run()
            .code(expected);
        let replayed = Cli::replay(&report, "stream-short-reads/default").run();
        let stdout = replayed.stdout();
        assert_eq!(replayed.exit_code(), 0, "{outcome}: {stdout}");
    }
}

#[test]
fn handover_all_pass_sealed_before_the_fork_and_cheap() {
    let graded = Grade::solution("ipc-handover").seed(7).json();
    full_marks(&graded);
    let census = &graded.check("handover-channel")["cases"][0]["observed"]["census"];
    assert_eq!(census["syscalls"]["memfd_create"], 1, "{census:#}");
    // The seal succeeded, and the file was sealed when the parent forked.
    assert_eq!(census["syscalls"]["fcntl(F_ADD_SEALS)"], 1, "{census:#}");
    let census = &graded.check("handover-sealed")["cases"][0]["observed"]["census"];
    assert_eq!(census["syscalls"]["fork(memfd-sealed)"], 1, "{census:#}");
    // Each timed run recorded its transfer time for the information ratios, three runs each.
    let figures = &graded.check("copy-timed")["cases"][0]["figures"];
    assert_eq!(figures.as_array().map(Vec::len), Some(3), "{figures:#}");
    assert!(
        figures[0]["transfer_us"]
            .as_f64()
            .is_some_and(|us| us > 0.0)
    );
    // The comparisons with the copy are shown as information worth no points.
    for id in ["handover-cpu-time", "handover-wall-time"] {
        let ratio = graded.check(id);
        assert_eq!(ratio["max_score"], 0.0, "{ratio:#}");
        assert!(
            ratio["info"][0]
                .as_str()
                .is_some_and(|info| info.contains("(information, not graded)")),
            "{ratio:#}"
        );
    }
}

/// Scores of ipc-handover with every check passed.
const HANDOVER_FULL: [(&str, f64, &str); 16] = [
    ("handover-payload", 17.0, "passed"),
    ("copy-payload", 5.0, "passed"),
    ("handover-channel", 15.0, "passed"),
    ("handover-sealed", 10.0, "passed"),
    ("copy-channel", 5.0, "passed"),
    ("copy-reads-in-pieces", 5.0, "passed"),
    ("copy-fails-on-an-early-end", 5.0, "passed"),
    ("handover-census", 5.0, "passed"),
    ("copy-census", 5.0, "passed"),
    ("handover-timed", 5.0, "passed"),
    ("copy-timed", 5.0, "passed"),
    ("handover-cheap", 15.0, "passed"),
    ("style-clippy", 2.0, "passed"),
    ("style-format", 1.0, "passed"),
    ("handover-cpu-time", 0.0, "passed"),
    ("handover-wall-time", 0.0, "passed"),
];

#[test]
fn handover_copies_anyway_loses_the_cost() {
    let graded = Grade::exercise("ipc-handover", "handover_copies_anyway")
        .seed(7)
        .json();
    assert_eq!(
        graded.scores(),
        rows_but(&HANDOVER_FULL, &[("handover-cheap", 0.0, "failed")])
    );
}

/// A seal the kernel refused is no seal: the file is unsealed when the child gets it.
#[test]
fn handover_seal_that_failed_loses_the_seal() {
    let graded = Grade::exercise("ipc-handover", "seal_fails_ebusy_ignored")
        .seed(7)
        .json();
    assert_eq!(
        graded.scores(),
        rows_but(&HANDOVER_FULL, &[("handover-sealed", 0.0, "failed")])
    );
    let census = &graded.check("handover-sealed")["cases"][0]["observed"]["census"];
    assert!(
        census["syscalls"].get("fcntl(F_ADD_SEALS)").is_none(),
        "{census:#}"
    );
    assert_eq!(census["syscalls"]["fork(memfd-unsealed)"], 1, "{census:#}");
}

/// The handover is graded on its own: a copy that loses the payload costs it nothing.
#[test]
fn a_wrong_copy_costs_the_handover_nothing() {
    let graded = Grade::exercise("ipc-handover", "copy_reads_once")
        .seed(7)
        .json();
    assert_eq!(
        graded.scores(),
        rows_but(
            &HANDOVER_FULL,
            &[
                ("copy-payload", 0.0, "failed"),
                ("copy-channel", 0.0, "skipped"),
                ("copy-reads-in-pieces", 0.0, "skipped"),
                ("copy-fails-on-an-early-end", 0.0, "skipped"),
                ("copy-census", 0.0, "skipped"),
                ("copy-timed", 0.0, "skipped"),
                ("handover-cpu-time", 0.0, "skipped"),
                ("handover-wall-time", 0.0, "skipped"),
            ]
        )
    );
}

/// Scores of ipc-async with every check passed.
const ASYNC_FULL: [(&str, f64, &str); 10] = [
    ("async-messages", 27.0, "passed"),
    ("async-queried", 20.0, "passed"),
    ("async-channel", 15.0, "passed"),
    ("async-no-message", 10.0, "passed"),
    ("async-sleeps", 10.0, "passed"),
    ("async-closed", 5.0, "passed"),
    ("async-census", 5.0, "passed"),
    ("async-fault", 5.0, "passed"),
    ("style-clippy", 2.0, "passed"),
    ("style-format", 1.0, "passed"),
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
fn async_busy_wait_loses_the_channel() {
    let graded = Grade::exercise("ipc-async", "async_busy_wait")
        .seed(7)
        .json();
    // It never polls at all: no blocking wait, and the checks that need one are skipped.
    assert_eq!(
        graded.scores(),
        rows_but(
            &ASYNC_FULL,
            &[
                ("async-channel", 0.0, "failed"),
                ("async-no-message", 0.0, "skipped"),
                ("async-sleeps", 0.0, "skipped"),
            ]
        )
    );
    let failure = &graded.check("async-channel")["cases"][0]["failures"][0];
    assert_eq!(
        failure["expected"],
        "a call to poll(blocking) or epoll_wait(blocking) or select(blocking)"
    );
}

#[test]
fn async_spinning_after_a_first_poll_loses_the_sleeping_check() {
    let graded = Grade::exercise("ipc-async", "spins_after_first_poll")
        .seed(7)
        .json();
    assert_eq!(
        graded.scores(),
        rows_but(&ASYNC_FULL, &[("async-sleeps", 0.0, "failed")])
    );
    let failure = &graded.check("async-sleeps")["cases"][0]["failures"][0];
    let actual = failure["actual"].as_str().unwrap_or_default();
    assert!(
        actual.starts_with("the main process ") && actual.ends_with("it spins instead of blocking"),
        "{failure:#}"
    );
}

#[test]
fn async_ignoring_a_failed_producer_loses_the_fault() {
    let graded = Grade::exercise("ipc-async", "ignores_producer_failure")
        .seed(7)
        .json();
    assert_eq!(
        graded.scores(),
        rows_but(&ASYNC_FULL, &[("async-fault", 0.0, "failed")])
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
                ("async-channel", 0.0, "failed"),
                ("async-no-message", 0.0, "skipped"),
                ("async-sleeps", 0.0, "skipped"),
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

/// The commonest hang of the lab: the child keeps its own copy of the pipe's write end, so its
/// read never sees end-of-file. The report says, from what was observed when labgrade ended the run,
/// which call each process waits in at which line of the student's, which descriptor still holds
/// the write end, and that no thread could make progress, in the JSON report and in GitHub's
/// annotations alike.
#[test]
fn a_hang_on_a_pipe_names_the_call_and_who_holds_the_write_end() {
    let github = tempfile::tempdir().unwrap();
    let annotations = github.path().join("annotations.txt");
    let graded = Grade::exercise("ipc-stream", "child_keeps_writer")
        .seed(7)
        .arg("--report")
        .arg(format!("github={}", annotations.display()))
        .json();
    let case = &graded.check("stream-messages")["cases"][0];
    assert_eq!(
        case["observed"]["termination"]["kind"], "timed_out",
        "{case:#}"
    );
    let notes: Vec<&str> = case["observed"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|note| note.as_str())
        .collect();
    let has = |pattern: &str| {
        let pattern = regex::Regex::new(pattern).unwrap();
        notes.iter().any(|note| pattern.is_match(note))
    };
    // The parent waits for its child; the child reads the pipe whose write end it holds itself.
    assert!(
        has(
            r"^when labgrade ended the run, pid \d+ \(ipc_stream\): blocked in wait4: a child process to end$"
        ),
        "{notes:#?}"
    );
    assert!(
        has(
            r"^when labgrade ended the run, pid \d+ \(ipc_stream\): blocked in read \(fd \d+, pipe:\[\d+\]\): data to read; the pipe's write end is still open in this process itself as fd \d+, so this read never sees end-of-file while it stays open$"
        ),
        "{notes:#?}"
    );
    assert!(has("no thread could make progress$"), "{notes:#?}");
    // Each waits at a line of the student's own file, named relative to the submission.
    assert!(
        has(
            r"^where pid \d+ \(ipc_stream\) waits: `waitpid<nix::unistd::Pid>` called at src/bin/ipc_stream\.rs:99 in `main`"
        ),
        "{notes:#?}"
    );
    assert!(
        has(
            r"^where pid \d+ \(ipc_stream\) waits: .*read.* called at src/bin/ipc_stream\.rs:33 in `receive<std::io::pipe::PipeReader>`, called at src/bin/ipc_stream\.rs:50 in `child_main<std::io::pipe::PipeReader>`, called at src/bin/ipc_stream\.rs:84 in `main`"
        ),
        "{notes:#?}"
    );

    let annotations = std::fs::read_to_string(&annotations).unwrap();
    assert!(
        annotations.contains(
            "src/bin/ipc_stream.rs,line=33,title=stream-messages%3A the program waits here::"
        ),
        "{annotations}"
    );
    assert!(
        annotations.contains("note: when labgrade ended the run, pid ")
            && annotations.contains("the pipe's write end is still open in this process itself"),
        "{annotations}"
    );
}

/// A child that keeps the end of a channel it does not use, yet ends correctly, loses only
/// `closed-ends`, and the report names the child, its first call on the channel and both
/// descriptors, in the JSON report and in GitHub's annotations alike.
#[test]
fn a_child_keeping_an_unused_end_is_named_with_its_descriptors() {
    let github = tempfile::tempdir().unwrap();
    let annotations = github.path().join("annotations.txt");
    let graded = Grade::exercise("ipc-stream", "child_keeps_unused_write_end")
        .seed(7)
        .arg("--report")
        .arg(format!("github={}", annotations.display()))
        .json();
    let lost: Vec<(String, f64, String)> = graded
        .scores()
        .into_iter()
        .filter(|(_, _, status)| status != "passed")
        .collect();
    assert_eq!(
        lost,
        [("stream-closed-ends".to_owned(), 0.0, "failed".to_owned())]
    );
    let failure = &graded.check("stream-closed-ends")["cases"][0]["failures"][0];
    let actual = failure["actual"].as_str().unwrap();
    let words = regex::Regex::new(
        r"^process \d+ \(a child of process \d+\) made its first read on fd (\d+), the read end of pipe:\[(\d+)\] while it still held fd (\d+), the write end of pipe:\[(\d+)\]$",
    )
    .unwrap();
    let found = words.captures(actual).unwrap_or_else(|| panic!("{actual}"));
    assert_eq!(found[2], found[4], "one pipe: {actual}");
    assert_ne!(found[1], found[3], "two descriptors: {actual}");
    let annotations = std::fs::read_to_string(&annotations).unwrap();
    assert!(
        annotations.contains("while it still held fd"),
        "{annotations}"
    );

    let graded = Grade::exercise("ipc-datagram", "child_keeps_parent_socket")
        .seed(7)
        .json();
    let failure = &graded.check("datagram-closed-ends")["cases"][0]["failures"][0];
    let actual = failure["actual"].as_str().unwrap();
    assert!(
        regex::Regex::new(
            r"^process \d+ \(a child of process \d+\) made its first recvfrom on fd \d+, socket:\[\d+\] while it still held fd \d+, socket:\[\d+\]$"
        )
        .unwrap()
        .is_match(actual),
        "{actual}"
    );
    // The two sockets named are the pair the program made.
    let census = &graded.check("datagram-closed-ends")["cases"][0]["observed"]["census"];
    assert_eq!(
        census["socket_pairs"].as_array().unwrap().len(),
        1,
        "{census:#}"
    );
}
