//! Containment of untrusted programs ([`Job::limits`]): rlimits everywhere, and when the tests
//! run as root (as in CI) a network namespace and a uid of the program's own.
//!
//! Programs are `/bin/sh` scripts or tiny C programs compiled with `cc` into a temporary folder
//! that the dropped uid can read. Every C program that could run away has an `alarm` safety net.
//! Tests that only mean something as root print `skipped: needs root` to stderr and return
//! when run as another user; they never pass without checking.

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use labgrade::run::{Job, Observation, ProcessLimits, Termination};
use tempfile::TempDir;

use crate::sandbox::CONNECT;
use crate::supervisor::{PATIENCE, assert_exited, run, sh, start_supervisor};
use crate::support::{is_root, needs_root, processes_under};

/// A folder for one test: the programs at its root, readable by every user, and `work/`, the
/// program's working directory (the supervisor gives it to the dropped uid).
struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod the temporary directory");
        std::fs::create_dir(dir.path().join("work")).expect("create work/");
        Self { dir }
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// Compiles C `source` into program `name`.
    fn compile(&self, name: &str, source: &str) -> PathBuf {
        let source_path = self.dir.path().join(format!("{name}.c"));
        std::fs::write(&source_path, source).expect("write the C source");
        let path = self.dir.path().join(name);
        let output = Command::new("cc")
            .args(["-O1", "-pthread", "-Wall", "-o"])
            .arg(&path)
            .arg(&source_path)
            .output()
            .unwrap_or_else(|error| {
                panic!("the containment tests need a C compiler `cc`: {error}")
            });
        assert!(
            output.status.success(),
            "cc failed on {name}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        path
    }

    /// A contained job running `program` with `args` in `work/`.
    fn job(&self, program: &Path, args: &[&str], limits: ProcessLimits) -> Job {
        let mut job = sh("");
        program.clone_into(&mut job.program);
        job.args = args.iter().map(|arg| (*arg).to_owned()).collect();
        job.cwd = self.work();
        job.limits = Some(limits);
        job
    }

    /// A contained job running `script` with `/bin/sh` in `work/`.
    fn script(&self, script: &str, limits: ProcessLimits) -> Job {
        self.job(Path::new("/bin/sh"), &["-c", script], limits)
    }
}

/// A C program that allocates `chunks` chunks of 16 MiB and writes every byte (the memory is
/// used, not only reserved); it exits 3 saying how far it got if `malloc` fails, 0 otherwise.
fn hog_source(chunks: u32) -> String {
    format!(
        "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\n\
         int main(void) {{\n\
             alarm(20);\n\
             for (int i = 0; i < {chunks}; i++) {{\n\
                 char *chunk = malloc(16 << 20);\n\
                 if (chunk == NULL) {{ printf(\"malloc failed after %d MiB\\n\", i * 16); return 3; }}\n\
                 memset(chunk, 1, 16 << 20);\n\
             }}\n\
             puts(\"touched every chunk\");\n\
             return 0;\n\
         }}\n"
    )
}

/// Limits no test reaches unless it means to: the rubric's defaults, with a short CPU limit.
fn limits() -> ProcessLimits {
    ProcessLimits {
        cpu_ms: 10_000,
        memory_bytes: 1 << 30,
        tasks: 256,
        file_bytes: 64 << 20,
        open_files: 256,
        isolate: true,
    }
}

/// The uid the program ran as, from [`Observation::containment`].
fn dropped_uid(observation: &Observation) -> u32 {
    observation
        .containment
        .iter()
        .find_map(|item| item.strip_prefix("uid ")?.parse().ok())
        .unwrap_or_else(|| panic!("no uid drop in {:?}", observation.containment))
}

/// Asserts that no process runs a program of `sandbox`. Not "no process of the program's uid":
/// once the program's uid is released, another test, or another copy of the suite, may claim
/// it for a program of its own.
#[track_caller]
fn assert_nothing_runs(sandbox: &Sandbox) {
    let left = processes_under(sandbox.dir.path());
    assert!(left.is_empty(), "processes remain: {left:?}");
}

#[test]
fn cpu_spinner_is_stopped_by_sigxcpu_with_its_limit_in_words() {
    let sandbox = Sandbox::new();
    let spin = sandbox.compile(
        "spin",
        "#include <unistd.h>\n\
         int main(void) { alarm(20); volatile unsigned long n = 0; for (;;) n++; }\n",
    );
    // Stopped by the CPU limit, not by the deadline (a minute) nor the `alarm` (20 s): even a
    // loaded machine gives it a second of CPU time well within them.
    let observation = run(&sandbox.job(
        &spin,
        &[],
        ProcessLimits {
            cpu_ms: 500,
            ..limits()
        },
    ));
    assert!(
        matches!(
            observation.termination,
            Termination::Signaled {
                signal: 24,
                cpu_limit_s: Some(1),
                ..
            }
        ),
        "{observation:#?}"
    );
    let words = observation.termination.describe();
    assert!(
        words.contains("used more than its CPU time limit of 1 s"),
        "{words}"
    );
    assert!(observation.cpu_us >= 900_000, "{observation:#?}");
}

#[test]
fn without_a_memory_cgroup_a_hog_cannot_allocate_beyond_the_memory_limit() {
    // Not isolated, so no cgroups: the memory limit is the per-process RLIMIT_AS.
    let sandbox = Sandbox::new();
    let hog = sandbox.compile("hog", &hog_source(64));
    let observation = run(&sandbox.job(
        &hog,
        &[],
        ProcessLimits {
            memory_bytes: 64 << 20,
            isolate: false,
            ..limits()
        },
    ));
    assert_eq!(observation.resources, None, "{observation:#?}");
    assert_exited(&observation, 3);
    assert!(
        observation.stdout.text.contains("malloc failed after"),
        "{observation:#?}"
    );
}

#[test]
fn writing_past_the_file_size_limit_is_killed_by_sigxfsz() {
    let sandbox = Sandbox::new();
    let observation = run(&sandbox.script(
        "exec head -c 200000 /dev/zero > f",
        ProcessLimits {
            file_bytes: 100_000,
            ..limits()
        },
    ));
    assert!(
        matches!(
            observation.termination,
            Termination::Signaled { signal: 25, .. }
        ),
        "{observation:#?}"
    );
    let words = observation.termination.describe();
    assert!(
        words.contains("wrote a file beyond the size limit"),
        "{words}"
    );
    let written = std::fs::metadata(sandbox.work().join("f")).expect("f was created");
    assert_eq!(written.len(), 100_000);
}

#[test]
fn opening_more_files_than_allowed_fails_with_emfile() {
    let sandbox = Sandbox::new();
    let program = sandbox.compile(
        "opener",
        "#include <errno.h>\n#include <fcntl.h>\n#include <stdio.h>\n#include <unistd.h>\n\
         int main(void) {\n\
             alarm(20);\n\
             for (int i = 0; i < 10000; i++) {\n\
                 if (open(\"/dev/null\", O_RDONLY) < 0) {\n\
                     printf(\"%s after %d\\n\", errno == EMFILE ? \"EMFILE\" : \"other\", i);\n\
                     return 0;\n\
                 }\n\
             }\n\
             puts(\"no limit\");\n\
             return 1;\n\
         }\n",
    );
    let observation = run(&sandbox.job(
        &program,
        &[],
        ProcessLimits {
            open_files: 32,
            ..limits()
        },
    ));
    assert_exited(&observation, 0);
    let opened: u32 = observation
        .stdout
        .text
        .trim()
        .strip_prefix("EMFILE after ")
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("{observation:#?}"));
    assert!((20..32).contains(&opened), "{observation:#?}");
}

#[test]
fn short_lived_threads_one_at_a_time_stay_within_the_default_task_limit() {
    // The census fixture that makes the most tasks, one after another, traced and not: the
    // default of 256 tasks at once must leave it alone.
    let sandbox = Sandbox::new();
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/census/sequential.c");
    let sequential = sandbox.compile(
        "sequential",
        &std::fs::read_to_string(source).expect("sequential.c"),
    );
    for trace in [None, Some(labgrade::run::Trace::default())] {
        let mut job = sandbox.job(&sequential, &["500"], limits());
        job.trace = trace;
        job.timeout_ms = 20_000;
        assert_exited(&run(&job), 0);
    }
}

#[test]
fn containment_says_what_was_applied() {
    let sandbox = Sandbox::new();
    let observation = run(&sandbox.script("true", limits()));
    assert_exited(&observation, 0);
    assert_eq!(observation.containment[0], "rlimits");
    if is_root() {
        assert!(
            observation
                .containment
                .contains(&"network namespace".to_owned()),
            "{:?}",
            observation.containment
        );
        let uid = dropped_uid(&observation);
        assert!((61_000..65_000).contains(&uid), "{uid}");
    } else {
        assert!(
            observation
                .containment
                .contains(&"no uid drop: not root".to_owned()),
            "{:?}",
            observation.containment
        );
    }
    // Trusted jobs (cargo) have no limits and no containment.
    let trusted = run(&sh("true"));
    assert!(trusted.containment.is_empty(), "{trusted:#?}");
    // Without `isolate`, no namespace and no uid drop, even as root.
    let open = run(&sandbox.script(
        "id -u",
        ProcessLimits {
            isolate: false,
            ..limits()
        },
    ));
    assert_eq!(
        open.stdout.text.trim(),
        nix::unistd::Uid::effective().to_string()
    );
}

#[test]
fn isolated_program_runs_as_the_dropped_uid_in_a_writable_folder() {
    if !needs_root() {
        return;
    }
    let sandbox = Sandbox::new();
    let observation = run(&sandbox.script("id -u; id -G; echo hi > mine && cat mine", limits()));
    assert_exited(&observation, 0);
    let uid = dropped_uid(&observation);
    assert_eq!(
        observation.stdout.text,
        format!("{uid}\n{uid}\nhi\n"),
        "{observation:#?}"
    );
}

#[test]
fn isolated_program_keeps_its_death_signal_and_can_be_traced() {
    if !needs_root() {
        return;
    }
    let sandbox = Sandbox::new();
    let probe = sandbox.compile(
        "probe",
        "#include <stdio.h>\n#include <sys/prctl.h>\n#include <unistd.h>\n\
         int main(void) {\n\
             int signal = -1;\n\
             prctl(PR_GET_PDEATHSIG, &signal);\n\
             printf(\"uid %d deathsig %d\\n\", (int)getuid(), signal);\n\
             return 0;\n\
         }\n",
    );
    for trace in [None, Some(labgrade::run::Trace::default())] {
        let mut job = sandbox.job(&probe, &[], limits());
        job.trace = trace.clone();
        let observation = run(&job);
        assert_exited(&observation, 0);
        let uid = dropped_uid(&observation);
        // The uid drop clears the death signal; the supervisor sets it again afterwards.
        assert_eq!(
            observation.stdout.text,
            format!("uid {uid} deathsig 9\n"),
            "{observation:#?}"
        );
        assert_eq!(observation.census.is_some(), trace.is_some());
    }
}

#[test]
fn isolated_program_sees_only_a_loopback_interface() {
    if !needs_root() {
        return;
    }
    let sandbox = Sandbox::new();
    // `/proc/net/dev` follows the reader's network namespace (`/sys/class/net` follows that of
    // whoever mounted sysfs, so it would still list the host's interfaces).
    let observation = run(&sandbox.script(
        "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
        limits(),
    ));
    assert_exited(&observation, 0);
    assert_eq!(observation.stdout.text, "lo\n", "{observation:#?}");
}

#[test]
fn isolated_program_cannot_connect_to_a_listener_of_the_host() {
    if !needs_root() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen on 127.0.0.1");
    let port = listener.local_addr().expect("address").port().to_string();
    let sandbox = Sandbox::new();
    let client = sandbox.compile("client", CONNECT);
    // The control: not isolated, the same program reaches the listener.
    let open = run(&sandbox.job(
        &client,
        &[&port],
        ProcessLimits {
            isolate: false,
            ..limits()
        },
    ));
    assert_exited(&open, 0);
    let isolated = run(&sandbox.job(&client, &[&port], limits()));
    assert_exited(&isolated, 1);
    assert!(
        isolated.stdout.text.starts_with("connect: "),
        "{isolated:#?}"
    );
}

#[test]
fn fork_bomb_is_contained_by_the_task_limit_and_leaves_nothing() {
    if !needs_root() {
        return;
    }
    let sandbox = Sandbox::new();
    let bomb = sandbox.compile(
        "bomb",
        "#include <unistd.h>\n\
         int main(void) { alarm(20); for (;;) fork(); }\n",
    );
    let mut job = sandbox.job(
        &bomb,
        &[],
        ProcessLimits {
            tasks: 50,
            ..limits()
        },
    );
    job.timeout_ms = 2_000;
    // Killed at its deadline (the `alarm` would be SIGALRM), and then every process of it.
    let observation = run(&job);
    assert!(
        matches!(
            observation.termination,
            Termination::TimedOut {
                limit_ms: 2_000,
                ..
            }
        ),
        "{observation:#?}"
    );
    assert_nothing_runs(&sandbox);
}

/// Whether the machine gives root cgroups with the `pids` and `memory` controllers (v1, or v2
/// at `/sys/fs/cgroup`), writable; says why not on stderr. Probed here independently of
/// labgrade, so that labgrade failing to use them fails the tests instead of skipping them.
pub(crate) fn needs_cgroups() -> bool {
    if !needs_root() {
        return false;
    }
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let mut missing = Vec::new();
    for controller in ["pids", "memory"] {
        let v1 = mounts.lines().any(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.get(2) == Some(&"cgroup")
                && fields.get(3).is_some_and(|options| {
                    options.split(',').any(|option| option == controller)
                        && options.split(',').any(|option| option == "rw")
                })
        });
        let v2 = mounts.lines().any(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.get(2) == Some(&"cgroup2")
                && fields
                    .get(3)
                    .is_some_and(|options| options.split(',').any(|option| option == "rw"))
                && std::fs::read_to_string(Path::new(fields[1]).join("cgroup.controllers"))
                    .is_ok_and(|list| list.split_whitespace().any(|name| name == controller))
        });
        if !v1 && !v2 {
            missing.push(controller);
        }
    }
    if !missing.is_empty() {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: needs writable cgroups with the {} controller(s)",
            missing.join(" and ")
        );
    }
    missing.is_empty()
}

/// Runs `job` under a supervisor started here, so that its pid (the name of its job
/// cgroups) is known; returns the pid and the observation.
fn supervise_directly(job: &Job) -> (u32, Observation) {
    use std::process::Stdio;
    let mut supervisor = Command::new(env!("CARGO_BIN_EXE_labgrade"))
        .arg("__supervise")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the supervisor");
    let pid = supervisor.id();
    let stdin = supervisor.stdin.take().expect("stdin");
    serde_json::to_writer(stdin, job).expect("send the job");
    let output = supervisor
        .wait_with_output()
        .expect("the supervisor's reply");
    assert!(output.status.success(), "supervisor failed: {output:?}");
    let reply: labgrade::run::Reply =
        serde_json::from_slice(&output.stdout).expect("a reply in JSON");
    match reply {
        labgrade::run::Reply::Observed(observation) => (pid, observation),
        labgrade::run::Reply::SpawnFailed { message } => panic!("spawn failed: {message}"),
    }
}

/// Job cgroups named `pid` anywhere under `/sys/fs/cgroup` (at most a few levels deep).
/// Whether a folder of that name below `labgrade/` is a job cgroup of supervisor `pid`:
/// `<pid>-<16 hex digits>`, the random part keeping apart supervisors of other PID namespaces.
fn is_job_cgroup_of(pid: u32, name: &str) -> bool {
    name.strip_prefix(&format!("{pid}-"))
        .is_some_and(|random| random.len() == 16 && random.chars().all(|c| c.is_ascii_hexdigit()))
}

fn job_cgroups_of(pid: u32) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![(PathBuf::from("/sys/fs/cgroup"), 0)];
    while let Some((dir, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                continue;
            }
            if dir.ends_with("labgrade")
                && is_job_cgroup_of(pid, &entry.file_name().to_string_lossy())
            {
                found.push(path);
            } else if depth < 5 {
                pending.push((path, depth + 1));
            }
        }
    }
    found
}

#[test]
fn memory_hog_is_killed_for_memory_by_its_cgroup() {
    if !needs_cgroups() {
        return;
    }
    let sandbox = Sandbox::new();
    // Touches every byte it allocates: the cgroup counts memory used, not reserved.
    let hog = sandbox.compile("hog", &hog_source(16));
    let observation = run(&sandbox.job(
        &hog,
        &[],
        ProcessLimits {
            memory_bytes: 64 << 20,
            ..limits()
        },
    ));
    assert!(
        matches!(
            observation.termination,
            Termination::Signaled { signal: 9, .. }
        ),
        "{observation:#?}"
    );
    let resources = observation.resources.clone().expect("cgroup statistics");
    assert!(resources.oom_kills.unwrap_or(0) >= 1, "{observation:#?}");
    assert_eq!(resources.memory_limit_bytes, Some(64 << 20));
    let peak = resources.memory_peak_bytes.expect("memory peak");
    assert!(
        (32 << 20..=(64 << 20) + (1 << 20)).contains(&peak),
        "{observation:#?}"
    );
    assert!(observation.killed_for_memory());
    assert_eq!(
        observation.termination_text(),
        "killed for memory: it used more than its memory limit of 64 MiB (signal SIGKILL)"
    );
}

#[test]
fn eight_threads_fit_a_small_memory_limit_and_are_counted() {
    // Under RLIMIT_AS alone, 64 MiB refuses the threads (each reserves a stack and a malloc
    // arena); the memory cgroup counts only what is used.
    if !needs_cgroups() {
        return;
    }
    let sandbox = Sandbox::new();
    // The eight threads wait for each other at a barrier: all are alive at once.
    let threads = sandbox.compile(
        "threads",
        "#include <pthread.h>\n#include <stdio.h>\n#include <unistd.h>\n\
         static pthread_barrier_t barrier;\n\
         static void *work(void *arg) { (void)arg; pthread_barrier_wait(&barrier); return NULL; }\n\
         int main(void) {\n\
             alarm(20);\n\
             pthread_t threads[8];\n\
             pthread_barrier_init(&barrier, NULL, 8);\n\
             for (int i = 0; i < 8; i++)\n\
                 if (pthread_create(&threads[i], NULL, work, NULL) != 0) {\n\
                     printf(\"pthread_create failed after %d\\n\", i);\n\
                     return 1;\n\
                 }\n\
             for (int i = 0; i < 8; i++) pthread_join(threads[i], NULL);\n\
             puts(\"joined 8\");\n\
             return 0;\n\
         }\n",
    );
    let small = ProcessLimits {
        memory_bytes: 64 << 20,
        ..limits()
    };
    let observation = run(&sandbox.job(&threads, &[], small));
    assert_exited(&observation, 0);
    assert_eq!(observation.stdout.text, "joined 8\n", "{observation:#?}");
    let resources = observation.resources.expect("cgroup statistics");
    // The main thread and the eight workers.
    assert_eq!(resources.tasks_peak, Some(9), "{resources:?}");
    assert_eq!(resources.task_limit_hits, Some(0));
    assert_eq!(resources.oom_kills, Some(0));
    // The control: without cgroups (not isolated), RLIMIT_AS is the memory limit.
    let control = run(&sandbox.job(
        &threads,
        &[],
        ProcessLimits {
            isolate: false,
            ..small
        },
    ));
    assert_exited(&control, 1);
    assert!(
        control.stdout.text.starts_with("pthread_create failed"),
        "{control:#?}"
    );
}

#[test]
fn fork_bomb_as_root_is_held_at_the_cgroup_task_limit() {
    if !needs_cgroups() {
        return;
    }
    let sandbox = Sandbox::new();
    let bomb = sandbox.compile(
        "bomb",
        // Each process forks until a fork fails, then waits to be killed: the bomb reaches the
        // limit at once but does not load the machine while it is held there.
        "#include <unistd.h>\n\
         int main(void) { alarm(20); for (;;) if (fork() < 0) pause(); }\n",
    );
    let mut job = sandbox.job(
        &bomb,
        &[],
        ProcessLimits {
            tasks: 40,
            ..limits()
        },
    );
    // Time enough to reach the limit on a loaded machine, short of the `alarm`.
    job.timeout_ms = 5_000;
    let (pid, observation) = supervise_directly(&job);
    assert!(
        matches!(observation.termination, Termination::TimedOut { .. }),
        "{observation:#?}"
    );
    let resources = observation.resources.clone().expect("cgroup statistics");
    assert_eq!(resources.task_limit, Some(40));
    assert!(resources.task_limit_hits.unwrap_or(0) > 0, "{resources:?}");
    assert_eq!(resources.tasks_peak, Some(40), "{resources:?}");
    let notes = observation.notes();
    assert!(
        notes
            .iter()
            .any(|note| note.starts_with("the program was stopped at its task limit of 40")),
        "{notes:?}"
    );
    let left = job_cgroups_of(pid);
    assert!(left.is_empty(), "job cgroups remain: {left:?}");
    assert_nothing_runs(&sandbox);
}

#[test]
fn the_program_runs_in_its_job_cgroups_which_are_removed_after_it() {
    if !needs_cgroups() {
        return;
    }
    let sandbox = Sandbox::new();
    let (pid, observation) = supervise_directly(&sandbox.script("cat /proc/self/cgroup", limits()));
    assert_exited(&observation, 0);
    // Every hierarchy that limits or counts lists the program in the same job cgroup,
    // `labgrade/<supervisor pid>-<random>`.
    let lines: Vec<&str> = observation
        .stdout
        .text
        .lines()
        .filter(|line| {
            line.contains(":pids:") || line.contains(":memory:") || line.starts_with("0::")
        })
        .collect();
    assert!(!lines.is_empty(), "{observation:#?}");
    let names: std::collections::BTreeSet<&str> = lines
        .iter()
        .map(|line| {
            let (rest, name) = line.rsplit_once('/').expect("a cgroup path");
            assert!(rest.ends_with("/labgrade"), "{line} in {lines:?}");
            name
        })
        .collect();
    assert_eq!(names.len(), 1, "{lines:?}");
    assert!(
        names.iter().all(|name| is_job_cgroup_of(pid, name)),
        "{lines:?}"
    );
    assert!(
        observation
            .containment
            .iter()
            .any(|item| item.starts_with("cgroup (")),
        "{:?}",
        observation.containment
    );
    let left = job_cgroups_of(pid);
    assert!(left.is_empty(), "job cgroups remain: {left:?}");
}

#[test]
fn job_cgroups_of_a_killed_supervisor_are_removed_by_the_next_one() {
    if !needs_cgroups() {
        return;
    }
    let sandbox = Sandbox::new();
    let tag = crate::supervisor::marker(41);
    // The escapee leaves the process group and has no death signal: it survives its
    // supervisor, in the job cgroups.
    let job = sandbox.script(&format!("setsid sleep {tag} & sleep {tag}"), limits());
    let mut supervisor = start_supervisor(&job, &tag, 2);
    let pid = supervisor.id();
    // The supervisor is two processes where it has a PID namespace of its own: the one started
    // here, which only relays, and its child, init of the namespace, which does the work and
    // cleans up after the first one's death. Both are killed, as by the OOM killer or `kill -9`
    // of the whole tree.
    let children = format!("/proc/{pid}/task/{pid}/children");
    let inner: Vec<i32> = std::fs::read_to_string(&children)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|child| child.parse().ok())
        .collect();
    for child in inner {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    supervisor.kill().expect("SIGKILL the supervisor");
    supervisor.wait().expect("reap the supervisor");
    let stale = job_cgroups_of(pid);
    assert!(
        !stale.is_empty(),
        "the killed supervisor left no cgroup to clean"
    );
    // The next isolated job removes them; members killed by it are reaped by PID 1, which may
    // take a few seconds here, so a few jobs may go by before the folders can go.
    let give_up = Instant::now() + PATIENCE;
    loop {
        assert_exited(&run(&sandbox.script("true", limits())), 0);
        if job_cgroups_of(pid).is_empty() {
            break;
        }
        assert!(
            Instant::now() < give_up,
            "stale cgroups remain: {:?}",
            job_cgroups_of(pid)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    crate::supervisor::assert_gone(&tag);
}
