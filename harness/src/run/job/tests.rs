//! Tests of the wire types: what reports say of terminations and observations, and that older
//! replies and jobs still parse.

use nix::libc;

use super::*;

fn signaled(signal: i32, name: &str, cpu_limit_s: Option<u64>) -> Termination {
    Termination::Signaled {
        signal,
        name: name.to_owned(),
        core_dumped: false,
        cpu_limit_s,
    }
}

#[test]
fn resource_limit_signals_say_which_limit() {
    assert_eq!(
        signaled(libc::SIGXCPU, "SIGXCPU", Some(2)).describe(),
        "killed by signal SIGXCPU (24) because it used more than its CPU time limit of 2 s"
    );
    assert_eq!(
        signaled(libc::SIGXFSZ, "SIGXFSZ", None).describe(),
        "killed by signal SIGXFSZ (25) because it wrote a file beyond the size limit"
    );
    assert_eq!(
        signaled(libc::SIGSEGV, "SIGSEGV", None).describe(),
        "killed by signal SIGSEGV (11)"
    );
}

#[test]
fn a_timeout_says_whether_the_program_was_busy() {
    let timed_out = |cpu_ms| Termination::TimedOut {
        limit_ms: 1000,
        cpu_ms,
        hung: None,
    };
    assert_eq!(
        timed_out(Some(980)).describe(),
        "still running after the time limit of 1s, so labgrade killed it (it had used 0.98 s of CPU: busy)"
    );
    assert_eq!(
        timed_out(Some(3)).describe(),
        "still running after the time limit of 1s, so labgrade killed it (it had used 0.00 s of CPU: blocked or sleeping)"
    );
    assert_eq!(
        timed_out(None).describe(),
        "still running after the time limit of 1s, so labgrade killed it"
    );
    assert_eq!(
        serde_json::to_value(timed_out(None)).unwrap(),
        serde_json::json!({"kind": "timed_out", "limit_ms": 1000})
    );
    assert_eq!(
        serde_json::to_value(timed_out(Some(980))).unwrap()["cpu_ms"],
        980
    );
}

#[test]
fn the_cpu_limit_is_only_on_the_wire_when_set() {
    let plain = serde_json::to_value(signaled(libc::SIGSEGV, "SIGSEGV", None)).unwrap();
    assert_eq!(
        plain,
        serde_json::json!({"kind": "signaled", "signal": 11, "name": "SIGSEGV", "core_dumped": false})
    );
    let xcpu = signaled(libc::SIGXCPU, "SIGXCPU", Some(3));
    let wire = serde_json::to_value(&xcpu).unwrap();
    assert_eq!(wire["cpu_limit_s"], 3);
    assert_eq!(serde_json::from_value::<Termination>(wire).unwrap(), xcpu);
}

#[test]
fn cpu_seconds_round_up_and_are_at_least_one() {
    let limits = |cpu_ms| ProcessLimits {
        cpu_ms,
        memory_bytes: 1,
        tasks: 1,
        file_bytes: 1,
        open_files: 1,
        isolate: false,
    };
    assert_eq!(limits(0).cpu_seconds(), 1);
    assert_eq!(limits(500).cpu_seconds(), 1);
    assert_eq!(limits(1_000).cpu_seconds(), 1);
    assert_eq!(limits(1_001).cpu_seconds(), 2);
}

fn observed(termination: Termination, resources: Option<CgroupUsage>) -> Observation {
    Observation {
        termination,
        wall_ms: 1,
        stdout: CapturedOutput::default(),
        stderr: CapturedOutput::default(),
        leftover_processes: 0,
        cpu_us: 0,
        census: None,
        containment: Vec::new(),
        resources,
        load_credit_ms: 0,
        interference: None,
        waiting: None,
    }
}

fn usage(oom_kills: u64, task_limit_hits: u64) -> CgroupUsage {
    CgroupUsage {
        task_limit: Some(50),
        tasks_peak: Some(50),
        task_limit_hits: Some(task_limit_hits),
        memory_limit_bytes: Some(64 << 20),
        memory_peak_bytes: Some(64 << 20),
        oom_kills: Some(oom_kills),
    }
}

#[test]
fn a_kill_for_memory_says_so_and_names_the_limit() {
    let sigkill = signaled(libc::SIGKILL, "SIGKILL", None);
    let killed = observed(sigkill.clone(), Some(usage(1, 0)));
    assert!(killed.killed_for_memory());
    assert_eq!(
        killed.termination_text(),
        "killed for memory: it used more than its memory limit of 64 MiB (signal SIGKILL)"
    );
    assert!(killed.notes().is_empty(), "{:?}", killed.notes());
    // A SIGKILL without an OOM kill (sent by the program itself) is only a signal.
    let plain = observed(sigkill.clone(), Some(usage(0, 0)));
    assert!(!plain.killed_for_memory());
    assert_eq!(plain.termination_text(), "killed by signal SIGKILL (9)");
    assert_eq!(
        observed(sigkill, None).termination_text(),
        "killed by signal SIGKILL (9)"
    );
    // Another process killed for memory while the main one exited is a note.
    let child_killed = observed(Termination::Exited { code: 0 }, Some(usage(2, 0)));
    assert_eq!(child_killed.termination_text(), "exited with code 0");
    assert_eq!(
        child_killed.notes(),
        [
            "the kernel killed 2 processes of the program for using more than its memory limit of 64 MiB"
        ]
    );
}

#[test]
fn hitting_the_task_limit_is_a_note() {
    let bomb = observed(
        Termination::TimedOut {
            limit_ms: 2000,
            cpu_ms: Some(1900),
            hung: None,
        },
        Some(usage(0, 10250)),
    );
    assert_eq!(
        bomb.notes(),
        [
            "the program was stopped at its task limit of 50 threads and processes at once: creating a thread or process failed 10250 times"
        ]
    );
    let once = observed(Termination::Exited { code: 1 }, Some(usage(0, 1)));
    assert!(
        once.notes()[0].ends_with("failed 1 time"),
        "{:?}",
        once.notes()
    );
    let fine = observed(Termination::Exited { code: 0 }, Some(usage(0, 0)));
    assert!(fine.notes().is_empty());
}

#[test]
fn byte_counts_read_in_the_largest_exact_unit() {
    assert_eq!(format_bytes(64 << 20), "64 MiB");
    assert_eq!(format_bytes(1 << 30), "1 GiB");
    assert_eq!(format_bytes(1536 << 20), "1536 MiB");
    assert_eq!(format_bytes(4096), "4 KiB");
    assert_eq!(format_bytes(1000), "1000 bytes");
    assert_eq!(format_bytes(0), "0 bytes");
}

#[test]
fn observations_without_resources_still_parse() {
    let mut wire =
        serde_json::to_value(observed(Termination::Exited { code: 0 }, None)).expect("serializes");
    assert!(wire.get("resources").is_none(), "{wire}");
    wire.as_object_mut().unwrap().remove("containment");
    let parsed: Observation = serde_json::from_value(wire).expect("an old reply parses");
    assert_eq!(parsed.resources, None);
    let with = observed(Termination::Exited { code: 0 }, Some(usage(0, 3)));
    let wire = serde_json::to_value(&with).unwrap();
    assert_eq!(wire["resources"]["task_limit_hits"], 3);
    assert_eq!(serde_json::from_value::<Observation>(wire).unwrap(), with);
}

#[test]
fn jobs_without_limits_still_parse() {
    let job: Job = serde_json::from_str(
        r#"{"program":"/bin/true","args":[],"env":{},"base_env":"clean","cwd":"/",
            "timeout_ms":1,"output_limit":1}"#,
    )
    .unwrap();
    assert_eq!(job.limits, None);
}
