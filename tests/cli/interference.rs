//! What the machine did is never blamed on the student: a kill from outside the program is told
//! from the program's own, and time spent waiting for a CPU that other work held is not counted
//! against a time limit.

use std::process::{Child, Command};
use std::time::Duration;

use labgrade::run::{Interference, Job, ProcessLimits, Termination};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::supervisor::{assert_exited, marker, processes_with, run, sh};
use crate::support::{Grade, labgrade_process, root};

/// Limits that no test reaches unless it means to, for a student program (which is what gets
/// its signals observed).
fn limits() -> ProcessLimits {
    ProcessLimits {
        cpu_ms: 20_000,
        memory_bytes: 1 << 30,
        tasks: 256,
        file_bytes: 64 << 20,
        open_files: 256,
        isolate: false,
    }
}

fn student(script: &str) -> Job {
    Job {
        limits: Some(limits()),
        timeout_ms: 60_000,
        ..sh(script)
    }
}

/// The pid of the one process whose command line holds `marker`, once it runs.
fn pid_of(marker: &str) -> Pid {
    for _ in 0..6_000 {
        if let [found] = processes_with(marker).as_slice() {
            let pid = found
                .trim_start_matches("/proc/")
                .split(':')
                .next()
                .and_then(|pid| pid.parse().ok())
                .expect("a pid");
            return Pid::from_raw(pid);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("no process with {marker} started");
}

#[test]
fn a_program_that_kills_itself_is_its_own_failure() {
    for signal in ["KILL", "TERM"] {
        let observation = run(&student(&format!("kill -{signal} $$")));
        assert!(
            matches!(observation.termination, Termination::Signaled { .. }),
            "{observation:#?}"
        );
        assert_eq!(observation.interference, None, "{observation:#?}");
        assert!(
            observation
                .containment
                .contains(&"signals sent observed".to_owned()),
            "{:?}",
            observation.containment
        );
    }
}

#[test]
fn a_kill_from_outside_is_interference_not_a_crash() {
    for (tag, signal) in [(60, Signal::SIGKILL), (61, Signal::SIGTERM)] {
        let marker = marker(tag);
        let job = student(&format!("exec sleep {marker}"));
        let running = std::thread::spawn(move || run(&job));
        let _ = kill(pid_of(&marker), signal);
        let observation = running.join().expect("the run finishes");
        assert!(
            matches!(
                &observation.interference,
                Some(Interference::Killed { main: true, signal: sent, name, machine_oom: false, .. })
                    if *sent == signal as i32 && name == signal.as_str()
            ),
            "{observation:#?}"
        );
        assert!(
            observation
                .interference
                .as_ref()
                .is_some_and(|seen| seen.describe().contains("from outside")),
            "{observation:#?}"
        );
    }
}

/// Processes that keep both cores busy until dropped.
struct Hogs(Vec<Child>);

impl Hogs {
    fn start(count: usize) -> Self {
        Self(
            (0..count)
                .map(|_| {
                    Command::new("/bin/sh")
                        .args(["-c", "while :; do :; done"])
                        .spawn()
                        .expect("a busy loop starts")
                })
                .collect(),
        )
    }
}

impl Drop for Hogs {
    fn drop(&mut self) {
        for hog in &mut self.0 {
            let _ = hog.kill();
            let _ = hog.wait();
        }
    }
}

/// How many iterations of an empty `awk` loop take about `seconds` of CPU on this machine,
/// measured with bash's `time` (the CPU time of the child alone, whatever else runs): a fixed
/// count took 0.5 s of CPU on one machine and 0.2 s on another.
fn awk_iterations_for(seconds: f64) -> u64 {
    const PROBE: u64 = 5_000_000;
    let output = Command::new("bash")
        // `time` writes its seconds with the locale's decimal mark.
        .env("LC_ALL", "C")
        .arg("-c")
        .arg(format!(
            "TIMEFORMAT='%3U %3S'; time awk 'BEGIN {{ for (i = 0; i < {PROBE}; i++); }}'"
        ))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stderr);
    let cpu: f64 = text
        .split_whitespace()
        .map(|field| field.parse::<f64>().unwrap())
        .sum();
    // At least the probe itself, should the clock say 0.
    let per_second = PROBE as f64 / cpu.max(0.01);
    ((per_second * seconds) as u64).max(PROBE)
}

#[test]
fn time_spent_waiting_for_a_cpu_others_held_is_not_counted() {
    // About 0.6 s of CPU with a limit of 1.2 s: with four busy loops per core on the machine it
    // gets a fifth of a core or less, and runs far past its limit by the wall clock.
    let iterations = awk_iterations_for(0.6);
    let script = format!("exec awk 'BEGIN {{ for (i = 0; i < {iterations}; i++); }}'");
    let mut job = student(&script);
    job.timeout_ms = 1_200;
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let hogs = Hogs::start(4 * cores);
    let observation = run(&job);
    drop(hogs);
    assert_exited(&observation, 0);
    assert!(
        observation.wall_ms > 1_200 && observation.load_credit_ms > 0,
        "{observation:#?}"
    );
    assert!(
        observation
            .notes()
            .iter()
            .any(|note| note.contains("were not counted against its time limit")),
        "{observation:#?}"
    );
    assert_eq!(observation.interference, None);
}

#[test]
fn a_hang_is_a_timeout_even_on_a_busy_machine() {
    // Blocked for good: no CPU wanted, so no waiting for one is credited.
    let mut job = student(&format!("exec sleep {}", marker(62)));
    job.timeout_ms = 500;
    let hogs = Hogs::start(2);
    let observation = run(&job);
    drop(hogs);
    assert!(
        matches!(
            observation.termination,
            Termination::TimedOut { limit_ms: 500, .. }
        ),
        "{observation:#?}"
    );
    assert_eq!(observation.interference, None, "{observation:#?}");
}

/// Kills, with SIGKILL, every process whose executable lies below `dir`, as something outside
/// labgrade would (an operator, a CI runner, the OOM killer), until `kills` processes are dead
/// or it is dropped.
struct Sniper {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<u32>>,
}

impl Sniper {
    fn start(dir: std::path::PathBuf, name: &'static str, kills: u32) -> Self {
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut killed = 0;
            while killed < kills && !stopped.load(Ordering::Relaxed) {
                for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                    let Ok(exe) = std::fs::read_link(entry.path().join("exe")) else {
                        continue;
                    };
                    let Some(pid) = entry.file_name().to_str().and_then(|pid| pid.parse().ok())
                    else {
                        continue;
                    };
                    if exe.starts_with(&dir) && exe.ends_with(name) {
                        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                        killed += 1;
                    }
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            killed
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops, and says how many processes it killed.
    fn stop(mut self) -> u32 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread
            .take()
            .map_or(0, |thread| thread.join().unwrap_or(0))
    }
}

#[test]
fn a_case_killed_from_outside_twice_cannot_be_graded_and_is_never_a_zero() {
    // The program loops until its time limit: a kill from outside always finds it running.
    let temp = tempfile::tempdir().unwrap();
    let canonical = temp.path().canonicalize().unwrap();
    let sniper = Sniper::start(canonical, "sum_array_threads", u32::MAX);
    let graded = Grade::fixture("infinite_loop")
        .rubric(root().join("tests/fixtures/rubrics/hostile.toml"))
        .temp_dir(temp.path())
        .json();
    assert!(sniper.stop() >= 2, "the sniper killed nothing");
    let threads = graded.check("threads-sum");
    assert_eq!(threads["status"], "error", "{threads:#}");
    let reason = threads["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("could not grade case") && reason.contains("from outside"),
        "{reason}"
    );
    assert_eq!(graded.report["status"], "incomplete");
    assert_eq!(graded.code, 3, "could not grade");
    // The other check, which nothing spoiled, keeps its verdict: the loop times out.
    assert_eq!(graded.check("processes-sum")["status"], "failed");
}

#[test]
fn a_case_killed_from_outside_once_is_run_again_and_graded() {
    let temp = tempfile::tempdir().unwrap();
    let canonical = temp.path().canonicalize().unwrap();
    let sniper = Sniper::start(canonical, "sum_array_threads", 1);
    let graded = Grade::fixture("infinite_loop")
        .rubric(root().join("tests/fixtures/rubrics/hostile.toml"))
        .temp_dir(temp.path())
        .json();
    assert_eq!(sniper.stop(), 1);
    let threads = graded.check("threads-sum");
    // The second run is the program's own: it loops until its time limit.
    assert_eq!(threads["status"], "failed", "{threads:#}");
    let case = &threads["cases"][0];
    assert_eq!(
        case["observed"]["termination"]["kind"], "timed_out",
        "{case:#}"
    );
    let notes = case["observed"]["notes"].to_string();
    assert!(
        notes.contains("run again") && notes.contains("from outside"),
        "{notes}"
    );
    assert_eq!(graded.report["status"], "graded");
}

/// Grades the reference solution of sum-array, in a PID namespace of its own when `namespace`,
/// with the tests' labgrade; returns the process, whose stdout is the JSON report.
fn grade_in(namespace: bool) -> Child {
    let labgrade = labgrade_process();
    let mut command = if namespace {
        let mut command = Command::new("unshare");
        command
            .args(["--pid", "--fork", "--mount-proc", "--kill-child"])
            .arg(labgrade.get_program());
        command
    } else {
        Command::new(labgrade.get_program())
    };
    for (key, value) in labgrade.get_envs() {
        if let Some(value) = value {
            command.env(key, value);
        }
    }
    command
        .current_dir(root())
        .args([
            "grade",
            "exercises/sum-array/solution",
            "--rubric",
            "rubrics/sum-array.toml",
        ])
        .args(["--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("labgrade starts")
}

#[test]
fn labgrades_in_other_pid_namespaces_never_kill_each_others_programs() {
    if !crate::support::needs_root_for("PID namespaces") {
        return;
    }
    if crate::support::find_tool(&["unshare"], "to make PID namespaces").is_none() {
        return;
    }
    // Three at once, twice: the host's and two namespaces', whose supervisors have the same
    // small pids in their namespaces and share the cgroup tree, `/run` and `/tmp`.
    for _ in 0..2 {
        let gradings: Vec<Child> = [false, true, true].into_iter().map(grade_in).collect();
        for grading in gradings {
            let output = grading.wait_with_output().expect("labgrade ends");
            let stdout = String::from_utf8_lossy(&output.stdout);
            let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|_| {
                panic!(
                    "no report; stderr:\n{}",
                    String::from_utf8_lossy(&output.stderr)
                )
            });
            assert_eq!(output.status.code(), Some(0), "{report:#}");
            assert_eq!(report["score"], report["max_score"], "{report:#}");
            assert!(
                !stdout.contains("SIGKILL") && !stdout.contains("from outside"),
                "a run was killed: {report:#}"
            );
        }
    }
}
