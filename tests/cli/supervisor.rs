//! End-to-end tests of the `__supervise` protocol through the real `labgrade` binary: exit
//! statuses, deadlines, output capping, leftover processes and the environment.
//!
//! Programs are `/bin/sh -c` scripts. Processes that must not survive sleep for a unique,
//! fractional number of seconds (see [`marker`]), so that `/proc` can tell whether they are gone.
//! They sleep far longer than any test waits, so a test that finds them gone knows labgrade
//! killed them, however slow a loaded machine makes it; no test asserts how long anything took.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use assert_cmd::cargo::cargo_bin_cmd;
use labgrade::run::{BaseEnv, Job, Observation, RunError, Runner, Termination};
use predicates::prelude::*;

pub(crate) fn runner() -> Runner {
    Runner::new(PathBuf::from(env!("CARGO_BIN_EXE_labgrade")))
}

/// How long a test waits for something that should happen (a process to start or to die, a
/// supervisor to exit) before it fails instead of hanging: long, because a loaded machine is
/// slow, and no test asserts that anything happened quickly.
pub(crate) const PATIENCE: Duration = Duration::from_secs(60);

/// A job running `script` with `/bin/sh` in a clean environment, with limits that no test
/// should reach unless it means to, even on a loaded machine.
pub(crate) fn sh(script: &str) -> Job {
    Job {
        program: PathBuf::from("/bin/sh"),
        args: vec!["-c".to_owned(), script.to_owned()],
        env: BTreeMap::new(),
        base_env: BaseEnv::Clean,
        cwd: std::env::temp_dir(),
        timeout_ms: 60_000,
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

/// Time limits for [`run_until_ready`]: short first, for a quick test on an idle machine, and
/// all shorter than the 20 s `alarm` of the C fixtures.
pub(crate) const GROWING_LIMITS_MS: [u64; 3] = [300, 3_000, 10_000];

/// Runs `job` with each time limit of `limits_ms` in turn until `ready` holds for what was
/// observed, and returns that observation and its limit. A test of what a deadline does to a
/// program needs the program to have set up what the test is about (an escapee, a thread, a
/// flood) before the deadline, which a loaded machine may delay past a short limit.
#[track_caller]
pub(crate) fn run_until_ready(
    job: &Job,
    limits_ms: &[u64],
    ready: impl Fn(&Observation) -> bool,
) -> (Observation, u64) {
    let mut job = job.clone();
    for &limit_ms in limits_ms {
        job.timeout_ms = limit_ms;
        let observation = run(&job);
        if ready(&observation) {
            return (observation, limit_ms);
        }
    }
    panic!("{job:?} was never ready before its deadline, with limits of {limits_ms:?} ms")
}

/// Seconds a marked process sleeps: longer than any wait of these tests (a [`Runner`] gives up on
/// a supervisor after the job's time limit and 30 s; a test, after [`PATIENCE`]), so it ends only
/// when something kills it.
const MARKER_SLEEP_S: u32 = 900;

/// A `sleep` duration unique to this test process and `tag`: it appears in the command line of
/// every process that runs or forked from a script containing it. Dropping it kills whatever
/// still carries it, so that a failed test leaves nothing sleeping.
pub(crate) struct Marker(String);

/// The [`Marker`] of `tag`, such as `900.0004711503902`: the seconds of [`MARKER_SLEEP_S`], then
/// fixed-width fractional digits (so that no marker contains another) made of this process's
/// pid (two copies of the suite running at once never share markers), a number drawn once per
/// process (nor, but by a 1 in 10 000 chance, does a copy share them with what a killed one that
/// had the same pid left behind) and the tag.
pub(crate) fn marker(tag: u8) -> Marker {
    static DRAWN: OnceLock<u32> = OnceLock::new();
    let drawn = DRAWN.get_or_init(|| {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_micros() % 10_000)
    });
    Marker(format!(
        "{MARKER_SLEEP_S}.{:07}{drawn:04}{tag:02}",
        std::process::id()
    ))
}

impl std::ops::Deref for Marker {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Marker {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl Drop for Marker {
    fn drop(&mut self) {
        for process in processes_with(&self.0) {
            if let Some(pid) = pid_of(&process) {
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            }
        }
    }
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

/// Starts `labgrade __supervise` on `job` by hand, so a test can kill the supervisor, and waits
/// until `count` processes carrying `marker` run (at most [`PATIENCE`]).
pub(crate) fn start_supervisor(job: &Job, marker: &str, count: usize) -> Child {
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
        assert!(start.elapsed() < PATIENCE, "program never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    supervisor
}

/// Waits until no process carrying `marker` is alive (at most [`PATIENCE`]); orphans go to an
/// init that reaps lazily, so they may linger dead, as zombies.
#[track_caller]
pub(crate) fn assert_all_die(marker: &str, what: &str) {
    let start = Instant::now();
    while processes_with(marker)
        .iter()
        .any(|process| is_alive(process))
    {
        assert!(
            start.elapsed() < PATIENCE,
            "{what}: {:#?}",
            processes_with(marker)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for `child` to exit and collects its output, failing after [`PATIENCE`] instead of
/// hanging.
fn wait_patiently(child: Child) -> Output {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    receiver
        .recv_timeout(PATIENCE)
        .expect("the process exits")
        .expect("its output is read")
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
fn program_starts_with_only_its_standard_streams() {
    // A descriptor labgrade inherited without close-on-exec (here a pipe; in CI a runner's
    // or a jobserver's) must not reach the student's program.
    let (read, write) = nix::unistd::pipe().expect("a pipe");
    let leaked = [read.as_raw_fd(), write.as_raw_fd()];
    let mut job = sh("");
    job.program = PathBuf::from("/bin/ls");
    job.args = vec!["/proc/self/fd".to_owned()];
    let observation = run(&job);
    drop((read, write));
    let fds: Vec<i32> = observation
        .stdout
        .text
        .split_whitespace()
        .map(|fd| fd.parse().expect("a descriptor number"))
        .collect();
    // 3 is `ls`'s own handle on the folder it lists.
    assert_eq!(fds, [0, 1, 2, 3], "leaked {leaked:?}: {observation:?}");
}

#[test]
fn wall_time_measures_the_main_process() {
    let start = Instant::now();
    let observation = run(&sh("sleep 0.2"));
    let elapsed = start.elapsed().as_millis();
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    // The runner's time holds the supervisor's, however loaded the machine: no upper bound of
    // our own.
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
    let observation = run(&job);
    // Killed for its deadline, not left to sleep: it would still be running.
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
                    cpu_ms: Some(_),
                    hung: None
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
    let observation = run(&sh(&format!(
        "sleep {marker} >/dev/null 2>&1 & echo started"
    )));
    // The sleep outlasts the runner's patience: had the supervisor waited for it instead of
    // killing it, `run` would have failed, and it would still be running.
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
    // stdout pipe open, so a runner waiting for end of file would give up on the supervisor
    // long before the sleep ends.
    let marker = marker(4);
    let observation = run(&sh(&format!("setsid sleep {marker} & echo started")));
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    assert_eq!(observation.stdout.text, "started\n");
    assert_eq!(observation.leftover_processes, 1);
    assert_gone(&marker);
}

#[test]
fn setsid_escapee_survives_a_timeout_only_to_be_killed() {
    let marker = marker(5);
    // The script says `escaped` once the escapee runs in a session of its own (the sixth field
    // of its `stat`), so that the deadline comes after it left the group.
    let job = sh(&format!(
        "setsid sleep {marker} & \
         until read -r _ _ _ _ _ sid _ < /proc/$!/stat && [ \"$sid\" = $! ]; do :; done; \
         echo escaped; sleep {marker}"
    ));
    let (observation, limit_ms) = run_until_ready(&job, &GROWING_LIMITS_MS, |observation| {
        observation.stdout.text == "escaped\n"
    });
    assert_timed_out(&observation, limit_ms);
    // The sleep in the group died with the deadline kill; only the escapee was left over.
    assert_eq!(observation.leftover_processes, 1);
    assert_gone(&marker);
}

#[test]
fn many_children_left_running_are_all_killed() {
    let marker = marker(6);
    let observation = run(&sh(&format!(
        "for i in $(seq 50); do sleep {marker} & done; exit 0"
    )));
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    assert_eq!(observation.leftover_processes, 50);
    assert_gone(&marker);
}

#[test]
fn flood_is_capped_but_fully_drained() {
    let mut job = sh("yes | head -c 50000000; yes err | head -c 3000000 >&2");
    job.output_limit = 1_000;
    let observation = run(&job);
    // Exited by itself: no writer stayed blocked on a full pipe until the deadline.
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
    job.output_limit = 1_000;
    // Flooding before its deadline.
    let (observation, limit_ms) = run_until_ready(&job, &GROWING_LIMITS_MS, |observation| {
        observation.stdout.total_bytes > 1_000
    });
    // `yes` never ends by itself: only the deadline, met while it floods, stops it.
    assert_timed_out(&observation, limit_ms);
    assert!(observation.stdout.text.len() <= 1_000);
    assert!(observation.stdout.truncated);
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
    let mut supervisor = start_supervisor(&sh(&format!("exec sleep {marker}")), &marker, 1);
    supervisor.kill().expect("killed");
    supervisor.wait().expect("reaped");
    // The sleep outlasts the wait: only the death signal can end it in time.
    assert_all_die(&marker, "program outlived its supervisor");
}

#[test]
fn interrupted_supervisor_kills_the_whole_program_first() {
    let marker = marker(8);
    let job = sh(&format!(
        "setsid sleep {marker} & sleep {marker} & sleep {marker}"
    ));
    // The shell and its three sleeps.
    let supervisor = start_supervisor(&job, &marker, 4);
    let pid = nix::unistd::Pid::from_raw(supervisor.id().cast_signed());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("signalled");
    // Within the job's 60 s time limit, so not by the deadline: the sleeps outlast it.
    let output = wait_patiently(supervisor);
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("interrupted by SIGTERM"), "{stderr}");
    // The supervisor reaped everything before exiting: not even zombies remain.
    assert_gone(&marker);
}

/// The `/proc` folder of the process in a [`processes_with`] line.
fn proc_dir(process: &str) -> &Path {
    Path::new(process.split(':').next().expect("path first"))
}

/// The pid of the process in a [`processes_with`] line.
fn pid_of(process: &str) -> Option<nix::unistd::Pid> {
    let pid = proc_dir(process).file_name()?.to_str()?.parse().ok()?;
    Some(nix::unistd::Pid::from_raw(pid))
}

/// Whether the process in a [`processes_with`] line is alive (a zombie has an empty command
/// line, so a match is alive unless it died since).
fn is_alive(process: &str) -> bool {
    std::fs::read_to_string(proc_dir(process).join("stat")).is_ok_and(|stat| {
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
