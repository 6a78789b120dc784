//! A hung program costs seconds, not its whole time limit: a run whose every thread waits for
//! another, with none running, is ended early as hung (`stuck.rs` in the supervisor), and the
//! runs left of its case are not made. A program that only waits for a while is never ended.
//! No test asserts how long anything took: each asserts what the report says.

use std::path::PathBuf;

use labgrade::run::{Job, ProcessLimits, Termination};

use crate::supervisor::{assert_exited, run, sh};
use crate::support::Grade;

/// `job` as a student's program: with limits (only those are ended early), and a time limit of
/// 10 s (a window of 1 s).
fn student(mut job: Job) -> Job {
    job.timeout_ms = 10_000;
    job.limits = Some(ProcessLimits {
        cpu_ms: 10_000,
        memory_bytes: 1 << 30,
        tasks: 64,
        file_bytes: 1 << 20,
        open_files: 256,
        isolate: false,
    });
    job
}

#[test]
fn a_deadlocked_submission_is_ended_early_as_hung_and_its_other_runs_are_not_made() {
    let reports = tempfile::tempdir().unwrap();
    let human = reports.path().join("report.txt");
    let graded = Grade::exercise("race-condition", "mutex_update_deadlocks")
        .seed(7)
        .arg("--report")
        .arg(format!("human={}", human.display()))
        .json();
    let check = graded.check("mutex-update-zero");
    let case = &check["cases"][0];
    let termination = &case["observed"]["termination"];
    assert_eq!(termination["kind"], "timed_out", "{case:#}");
    assert_eq!(termination["limit_ms"], 10_000, "{case:#}");
    // Ended early, after the threads had stayed stuck for at least the window of 1 s.
    assert!(
        termination["hung"]["quiet_ms"]
            .as_u64()
            .is_some_and(|quiet| quiet >= 1_000),
        "{case:#}"
    );
    assert!(
        termination["hung"]["after_ms"]
            .as_u64()
            .is_some_and(|after| after < 10_000),
        "{case:#}"
    );
    // One run decided the case: the three others were not made, and the report says so.
    assert_eq!(
        (&case["runs"], &case["passed_runs"]),
        (&1.into(), &0.into())
    );
    assert_eq!(case["failures"][0]["what"], "runs", "{case:#}");
    assert!(
        case["failures"][0]["actual"]
            .as_str()
            .is_some_and(|actual| actual.contains("the other 3 were not run")),
        "{case:#}"
    );
    // The diagnosis read before the kill: every thread waits on a futex.
    let notes = case["observed"]["notes"].to_string();
    assert!(notes.contains("blocked in futex"), "{notes}");
    assert!(notes.contains("no thread could make progress"), "{notes}");
    assert_eq!(check["score"], 0.0);
    assert_eq!(graded.check("mutex-update-concurrent")["status"], "skipped");

    let human = std::fs::read_to_string(&human).unwrap();
    assert!(
        human.contains("ended early as hung after")
            && human.contains("of its time limit of 10s")
            && human.contains("run 1 of 4 failed; the other 3 were not run"),
        "{human}"
    );
}

#[test]
fn a_program_whose_threads_all_wait_on_each_other_is_ended_early() {
    // `cat` reads a pipe whose write end bash keeps as fd 3, while bash waits for `cat`.
    let mut job = sh("");
    job.program = PathBuf::from("/bin/bash");
    job.args = vec!["-c".to_owned(), "exec 3> >(cat); wait $!".to_owned()];
    let observation = run(&student(job.clone()));
    match &observation.termination {
        Termination::TimedOut {
            limit_ms: 10_000,
            hung: Some(hung),
            ..
        } => assert!(hung.quiet_ms >= 1_000, "{observation:#?}"),
        _ => panic!("not ended early as hung: {observation:#?}"),
    }
    let notes = observation.notes().join("\n");
    assert!(notes.contains("blocked in read"), "{notes}");
    assert!(notes.contains("blocked in wait4"), "{notes}");
}

#[test]
fn programs_that_only_wait_for_a_while_are_not_ended_early() {
    for script in [
        // A reader blocked on a pipe whose writer is a sleeping child.
        "(sleep 2.5; echo done) | cat",
        // A parent blocked in wait4 while its child sleeps.
        "sleep 2.5 & wait; echo done",
        // A reader blocked on a pipe whose writer computes.
        "awk 'BEGIN { for (i = 0; i < 3000000; i++) x += i; print \"done\" }' | cat",
    ] {
        let observation = run(&student(sh(script)));
        assert_exited(&observation, 0);
        assert_eq!(
            observation.stdout.text.trim(),
            "done",
            "{script}: {observation:#?}"
        );
    }
}

#[test]
fn a_trusted_tool_is_never_ended_early() {
    // The same deadlock without limits (cargo, the build): it runs to its time limit.
    let mut job = sh("");
    job.program = PathBuf::from("/bin/bash");
    job.args = vec!["-c".to_owned(), "exec 3> >(cat); wait $!".to_owned()];
    job.timeout_ms = 3_000;
    let observation = run(&job);
    assert!(
        matches!(
            observation.termination,
            Termination::TimedOut {
                limit_ms: 3_000,
                hung: None,
                ..
            }
        ),
        "{observation:#?}"
    );
}
