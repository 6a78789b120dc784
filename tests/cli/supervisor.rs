//! End-to-end tests of the `__supervise` protocol through the real `labgrade` binary: exit
//! statuses, deadlines, output capping, leftover processes and the environment.
//!
//! Programs are `/bin/sh -c` scripts. Processes that must not survive sleep for a unique,
//! fractional number of seconds (see [`marker`]), so that `/proc` can tell whether they are gone
//! and so that a harness bug leaves nothing running for more than half a minute.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;
use labgrade::run::{BaseEnv, Job, Observation, RunError, Runner, Termination};
use predicates::prelude::*;

pub(crate) fn runner() -> Runner {
    Runner::new(PathBuf::from(env!("CARGO_BIN_EXE_labgrade")))
}

/// A job running `script` with `/bin/sh` in a clean environment, with limits that no test
/// should reach unless it means to.
pub(crate) fn sh(script: &str) -> Job {
    Job {
        program: PathBuf::from("/bin/sh"),
        args: vec!["-c".to_owned(), script.to_owned()],
        env: BTreeMap::new(),
        base_env: BaseEnv::Clean,
        cwd: std::env::temp_dir(),
        timeout_ms: 5_000,
        output_limit: 64 * 1024,
        trace: None,
        limits: None,
        sandbox: None,
    }
}

/// Asserts that the program exited by itself with `code`.
#[track_caller]
pub(crate) fn assert_exited(observation: &Observation, code: i32) {
    assert_eq!(
        observation.termination,
        Termination::Exited { code },
        "{observation:#?}"
    );
}

pub(crate) fn run(job: &Job) -> Observation {
    runner()
        .run(job)
        .unwrap_or_else(|error| panic!("running {job:?} failed: {error}"))
}

/// A `sleep` duration unique to this test process and `tag`, such as `30.4711203`: it appears in
/// the command line of every process that runs or forked from a script containing it.
pub(crate) fn marker(tag: u8) -> String {
    format!("30.{}{tag:02}", std::process::id())
}

/// Command lines of the processes whose command line contains `marker`.
pub(crate) fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc is readable") {
        let path = entry.expect("/proc entry").path();
        let Ok(cmdline) = std::fs::read(path.join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(marker) {
            found.push(format!("{}: {cmdline}", path.display()));
        }
    }
    found
}

pub(crate) fn assert_gone(marker: &str) {
    let survivors = processes_with(marker);
    assert!(survivors.is_empty(), "still running: {survivors:#?}");
}

/// The program ran into its time limit of `limit_ms` and labgrade killed it.
#[track_caller]
pub(crate) fn assert_timed_out(observation: &Observation, limit_ms: u64) {
    assert!(
        matches!(
            observation.termination,
            Termination::TimedOut { limit_ms: limit, .. } if limit == limit_ms
        ),
        "{observation:#?}"
    );
}

pub(crate) fn assert_quick(start: Instant, limit_ms: u64) {
    let elapsed = start.elapsed();
    assert!(
        elapsed < Duration::from_millis(limit_ms),
        "took {elapsed:?}, expected under {limit_ms} ms"
    );
}

/// Starts `labgrade __supervise` on `job` by hand, so a test can kill the supervisor, and waits
/// until `count` processes carrying `marker` run (at most 10 s: an isolated job, with its
/// cgroups and uid drop, may be slow to start on a loaded machine).
pub(crate) fn start_supervisor(job: &Job, marker: &str, count: usize) -> std::process::Child {
    let mut supervisor = Command::new(env!("CARGO_BIN_EXE_labgrade"))
        .arg("__supervise")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("supervisor starts");
    let mut stdin = supervisor.stdin.take().expect("piped");
    stdin
        .write_all(&serde_json::to_vec(job).expect("serializable"))
        .expect("job written");
    drop(stdin);
    let start = Instant::now();
    while processes_with(marker).len() < count {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "program never started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    supervisor
}

#[test]
fn exit_code_and_both_streams_are_reported_separately() {
    let observation = run(&sh("echo out; echo err >&2; exit 3"));
    assert_eq!(observation.termination, Termination::Exited { code: 3 });
    assert_eq!(observation.stdout.text, "out\n");
    assert_eq!(observation.stderr.text, "err\n");
    assert_eq!(observation.stdout.total_bytes, 4);
    assert!(!observation.stdout.truncated);
    assert_eq!(observation.leftover_processes, 0);
}

#[test]
fn death_by_signal_is_named_and_dumps_no_core() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut job = sh("kill -SEGV $$");
    job.cwd = dir.path().to_owned();
    let observation = run(&job);
    assert_eq!(
        observation.termination,
        Termination::Signaled {
            signal: 11,
            name: "SIGSEGV".to_owned(),
            core_dumped: false,
            cpu_limit_s: None,
        }
    );
    let files: Vec<_> = std::fs::read_dir(dir.path()).expect("readable").collect();
    assert!(files.is_empty(), "{files:?}");
}

#[test]
fn death_by_real_time_signal_is_reported() {
    // nix cannot name real-time signals; the status must survive anyway.
    let observation = run(&sh("kill -36 $$"));
    assert_eq!(
        observation.termination,
        Termination::Signaled {
            signal: 36,
            name: "SIGRTMIN+2".to_owned(),
            core_dumped: false,
            cpu_limit_s: None,
        }
    );
}

#[test]
fn program_starts_with_no_blocked_signals_and_no_core_limit() {
    // The supervisor blocks SIGCHLD and others for its own use; the program must not inherit
    // that. `grep` reads its own status: a shell's would be racy, as dash blocks every signal
    // around `vfork`.
    let mut job = sh("");
    job.program = PathBuf::from("/bin/grep");
    job.args = [
        "-h",
        "-E",
        "^SigBlk|^Max core",
        "/proc/self/status",
        "/proc/self/limits",
    ]
    .map(str::to_owned)
    .to_vec();
    let observation = run(&job);
    let lines: Vec<Vec<&str>> = observation
        .stdout
        .text
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines,
        [
            vec!["SigBlk:", "0000000000000000"],
            vec!["Max", "core", "file", "size", "0", "0", "bytes"],
        ],
        "{observation:?}"
    );
}

#[test]
fn wall_time_measures_the_main_process() {
    let start = Instant::now();
    let observation = run(&sh("sleep 0.2"));
    let elapsed = start.elapsed().as_millis();
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    // Not a tight upper bound: other tests load the machine at the same time.
    assert!(
        observation.wall_ms >= 200 && u128::from(observation.wall_ms) <= elapsed,
        "wall {} ms, runner took {elapsed} ms",
        observation.wall_ms
    );
}

#[test]
fn deadline_kills_a_sleeping_program() {
    let marker = marker(1);
    let mut job = sh(&format!("sleep {marker}"));
    job.timeout_ms = 300;
    let start = Instant::now();
    let observation = run(&job);
    assert_quick(start, 2_000);
    assert_timed_out(&observation, 300);
    assert!(observation.wall_ms >= 300, "{}", observation.wall_ms);
    assert_gone(&marker);
}

#[test]
fn a_timeout_tells_a_blocked_program_from_a_busy_one() {
    let timed_out_words = |script: &str| {
        let mut job = sh(script);
        job.timeout_ms = 1_000;
        let observation = run(&job);
        assert!(
            matches!(
                observation.termination,
                Termination::TimedOut {
                    limit_ms: 1_000,
                    cpu_ms: Some(_)
                }
            ),
            "{observation:#?}"
        );
        observation.termination.describe()
    };
    let sleeping = marker(9);
    let words = timed_out_words(&format!("sleep {sleeping}"));
    assert!(words.ends_with(": blocked or sleeping)"), "{words}");
    assert_gone(&sleeping);
    // The marker in a no-op command puts it in the shell's command line, for `assert_gone`.
    let spinning = marker(10);
    let words = timed_out_words(&format!(": {spinning}; while :; do :; done"));
    assert!(words.ends_with(": busy)"), "{words}");
    assert_gone(&spinning);
}

#[test]
fn background_child_left_running_is_killed_and_counted() {
    let marker = marker(2);
    let start = Instant::now();
    let observation = run(&sh(&format!(
        "sleep {marker} >/dev/null 2>&1 & echo started"
    )));
    assert_quick(start, 2_000);
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    assert_eq!(observation.stdout.text, "started\n");
    assert_eq!(observation.leftover_processes, 1);
    assert_gone(&marker);
}

#[test]
fn orphaned_grandchild_is_found_and_killed() {
    // The subshell exits at once, so the sleep is orphaned and reparented to the supervisor.
    let marker = marker(3);
    let observation = run(&sh(&format!("(sleep {marker} >/dev/null &); exit 0")));
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    assert_eq!(observation.leftover_processes, 1);
    assert_gone(&marker);
}

#[test]
fn setsid_escapee_holding_stdout_does_not_block_the_runner() {
    // The escapee leaves the process group, so the group kill misses it, and it keeps the
    // stdout pipe open, so waiting for end of file alone would take 30 seconds.
    let marker = marker(4);
    let start = Instant::now();
    let observation = run(&sh(&format!("setsid sleep {marker} & echo started")));
    assert_quick(start, 2_000);
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    assert_eq!(observation.stdout.text, "started\n");
    assert_eq!(observation.leftover_processes, 1);
    assert_gone(&marker);
}

#[test]
fn setsid_escapee_survives_a_timeout_only_to_be_killed() {
    let marker = marker(5);
    let mut job = sh(&format!("setsid sleep {marker} & sleep {marker}"));
    job.timeout_ms = 300;
    let start = Instant::now();
    let observation = run(&job);
    assert_quick(start, 2_000);
    assert_timed_out(&observation, 300);
    // The sleep in the group died with the deadline kill; only the escapee was left over.
    assert_eq!(observation.leftover_processes, 1);
    assert_gone(&marker);
}

#[test]
fn many_children_left_running_are_all_killed() {
    let marker = marker(6);
    let start = Instant::now();
    let observation = run(&sh(&format!(
        "for i in $(seq 50); do sleep {marker} & done; exit 0"
    )));
    assert_quick(start, 2_000);
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    assert_eq!(observation.leftover_processes, 50);
    assert_gone(&marker);
}

#[test]
fn flood_is_capped_but_fully_drained() {
    let mut job = sh("yes | head -c 50000000; yes err | head -c 3000000 >&2");
    job.output_limit = 1_000;
    let start = Instant::now();
    let observation = run(&job);
    assert_quick(start, 4_000);
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    assert_eq!(observation.stdout.text, "y\n".repeat(500));
    assert!(observation.stdout.truncated);
    assert_eq!(observation.stdout.total_bytes, 50_000_000);
    assert_eq!(observation.stderr.text.len(), 1_000);
    assert!(observation.stderr.truncated);
    assert_eq!(observation.stderr.total_bytes, 3_000_000);
}

#[test]
fn endless_flood_still_meets_the_deadline() {
    let mut job = sh("exec yes");
    job.timeout_ms = 300;
    job.output_limit = 1_000;
    let start = Instant::now();
    let observation = run(&job);
    assert_quick(start, 2_000);
    assert_timed_out(&observation, 300);
    assert!(observation.stdout.text.len() <= 1_000);
    assert!(observation.stdout.truncated);
    assert!(observation.stdout.total_bytes > 1_000);
}

#[test]
fn missing_program_is_a_spawn_error() {
    let mut job = sh("");
    job.program = PathBuf::from("/nonexistent/labgrade-test-program");
    let error = runner().run(&job).expect_err("cannot run");
    let RunError::Spawn { program, message } = &error else {
        panic!("expected a spawn error, got {error:?}");
    };
    assert_eq!(program, &job.program);
    assert!(message.contains("No such file"), "{message}");
    assert!(
        error
            .to_string()
            .contains("`/nonexistent/labgrade-test-program`"),
        "{error}"
    );
}

#[test]
fn missing_working_directory_is_named() {
    let mut job = sh("true");
    job.cwd = PathBuf::from("/nonexistent/labgrade-test-dir");
    let error = runner().run(&job).expect_err("cannot run");
    assert!(
        matches!(&error, RunError::Spawn { message, .. } if message.contains("`/nonexistent/labgrade-test-dir`")),
        "{error:?}"
    );
}

/// Names of variables in the test's own environment that a clean environment must not have.
fn own_variables() -> Vec<String> {
    let own: Vec<String> = std::env::vars()
        .map(|(name, _)| name)
        .filter(|name| !["PATH", "HOME", "PWD", "OLDPWD", "SHLVL", "_"].contains(&name.as_str()))
        .collect();
    assert!(!own.is_empty(), "cargo sets CARGO_* variables for tests");
    own
}

#[test]
fn clean_environment_has_path_home_and_job_variables_only() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut job = sh("env");
    job.cwd = dir.path().to_owned();
    job.env
        .insert("LABGRADE_TEST_VAR".to_owned(), "from job".to_owned());
    let observation = run(&job);
    let lines: Vec<&str> = observation.stdout.text.lines().collect();
    assert!(
        lines.contains(&"PATH=/usr/local/bin:/usr/bin:/bin"),
        "{lines:?}"
    );
    assert!(
        lines.contains(&format!("HOME={}", dir.path().display()).as_str()),
        "{lines:?}"
    );
    assert!(lines.contains(&"LABGRADE_TEST_VAR=from job"), "{lines:?}");
    for name in own_variables() {
        let prefix = format!("{name}=");
        assert!(
            !lines.iter().any(|line| line.starts_with(&prefix)),
            "{name} leaked into {lines:?}"
        );
    }
}

#[test]
fn inherited_environment_keeps_ours_under_the_job_variables() {
    let mut job = sh("env");
    job.base_env = BaseEnv::Inherit;
    job.env.insert("PATH".to_owned(), "/bin".to_owned());
    let observation = run(&job);
    let lines: Vec<&str> = observation.stdout.text.lines().collect();
    assert!(lines.contains(&"PATH=/bin"), "{lines:?}");
    let name = &own_variables()[0];
    let prefix = format!("{name}=");
    assert!(
        lines.iter().any(|line| line.starts_with(&prefix)),
        "{name} missing from {lines:?}"
    );
}

#[test]
fn runner_serves_several_threads_at_once() {
    fn shareable<T: Send + Sync>(_: &T) {}
    let runner = runner();
    shareable(&runner);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|code| {
                let runner = &runner;
                scope.spawn(move || runner.run(&sh(&format!("sleep 0.1; exit {code}"))))
            })
            .collect();
        for (code, handle) in handles.into_iter().enumerate() {
            let observation = handle.join().expect("no panic").expect("runs");
            assert_eq!(
                observation.termination,
                Termination::Exited {
                    code: i32::try_from(code).expect("small")
                }
            );
        }
    });
}

#[test]
fn program_dies_with_its_supervisor() {
    let marker = marker(7);
    // `exec`, because only the main process gets the parent-death signal.
    let job = serde_json::to_vec(&sh(&format!("exec sleep {marker}"))).expect("serializable");
    let mut supervisor = Command::new(env!("CARGO_BIN_EXE_labgrade"))
        .arg("__supervise")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("supervisor starts");
    let mut stdin = supervisor.stdin.take().expect("piped");
    stdin.write_all(&job).expect("job written");
    drop(stdin);
    let start = Instant::now();
    while processes_with(&marker).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "program never started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    supervisor.kill().expect("killed");
    supervisor.wait().expect("reaped");
    // The program is reparented to an init that reaps lazily: wait for it to be dead, not gone.
    let start = Instant::now();
    while processes_with(&marker)
        .iter()
        .any(|process| is_alive(process))
    {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "program outlived its supervisor"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn interrupted_supervisor_kills_the_whole_program_first() {
    let marker = marker(8);
    let job = sh(&format!(
        "setsid sleep {marker} & sleep {marker} & sleep {marker}"
    ));
    // The shell and its three sleeps.
    let supervisor = start_supervisor(&job, &marker, 4);
    let start = Instant::now();
    let pid = nix::unistd::Pid::from_raw(supervisor.id().cast_signed());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("signalled");
    let output = supervisor.wait_with_output().expect("supervisor ends");
    assert_quick(start, 2_000);
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("interrupted by SIGTERM"), "{stderr}");
    // The supervisor reaped everything before exiting: not even zombies remain.
    assert_gone(&marker);
}

/// Whether the process in a [`processes_with`] line is alive (a zombie has an empty command
/// line, so a match is alive unless it died since).
pub(crate) fn is_alive(process: &str) -> bool {
    let path = Path::new(process.split(':').next().expect("path first"));
    std::fs::read_to_string(path.join("stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
    })
}

#[test]
fn supervisor_rejects_a_garbled_job() {
    cargo_bin_cmd!("labgrade")
        .arg("__supervise")
        .write_stdin("not json")
        .assert()
        .failure()
        .stderr(predicate::str::contains("the job on stdin is not valid"));
}

#[test]
fn supervisor_failures_become_run_errors() {
    let job = sh("true");
    let error = Runner::new(PathBuf::from("/bin/false"))
        .run(&job)
        .expect_err("`false` is no supervisor");
    assert!(
        matches!(error, RunError::SupervisorFailed { .. }),
        "{error:?}"
    );
    let error = Runner::new(PathBuf::from("/bin/true"))
        .run(&job)
        .expect_err("`true` is no supervisor");
    assert!(matches!(error, RunError::BadReply { .. }), "{error:?}");
    let error = Runner::new(PathBuf::from("/nonexistent/labgrade"))
        .run(&job)
        .expect_err("no supervisor");
    assert!(
        matches!(error, RunError::StartSupervisor { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("`/nonexistent/labgrade`"),
        "{error}"
    );
}
