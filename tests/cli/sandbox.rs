//! The Landlock sandbox of untrusted programs ([`Job::sandbox`]): files outside the folders it
//! names are refused, and so are TCP and signals to processes outside the program, with or
//! without root.
//!
//! Each test runs the same shell script or C program twice: without the sandbox (the control,
//! which must succeed, so that a refusal cannot come from something else) and with it. Tests
//! print `skipped: no Landlock` and return on a kernel without Landlock.

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use labgrade::run::{Job, Observation, Sandbox};
use tempfile::TempDir;

use crate::supervisor::{assert_exited, run, sh};
use crate::support::{is_root, needs_root};

/// A test's folders: `work/`, the program's scratch folder, and `outside/`, a sibling that
/// stands for everything else (another submission, a reference solution), readable and
/// writable by every user so that only the sandbox can refuse it.
struct Folders {
    dir: TempDir,
}

impl Folders {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod the temporary directory");
        for name in ["work", "outside", "bin"] {
            let path = dir.path().join(name);
            std::fs::create_dir(&path).expect("create a folder");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777))
                .expect("chmod a folder");
        }
        let secret = dir.path().join("outside/solution.rs");
        std::fs::write(&secret, "fn main() { /* the reference solution */ }\n")
            .expect("write the secret");
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644))
            .expect("chmod the secret");
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `script` run by `/bin/sh` in `work/`, sandboxed or not; no limits, so that only the
    /// sandbox (and, as root, its network namespace) is at work.
    fn script(&self, script: &str, sandboxed: bool) -> Job {
        let mut job = sh(script);
        job.cwd = self.path("work");
        job.sandbox = sandboxed.then(|| Sandbox {
            read: vec![self.path("bin")],
            write: vec![self.path("work")],
            hide: vec![self.path("outside")],
            landlock: true,
            proc: true,
            private_tmp: true,
        });
        job
    }

    /// Compiles C `source` into `bin/<name>` and runs it with `args`, sandboxed or not.
    fn c_program(&self, name: &str, source: &str, args: &[&str], sandboxed: bool) -> Job {
        let binary = self.path("bin").join(name);
        if !binary.exists() {
            let source_path = self.path(&format!("{name}.c"));
            std::fs::write(&source_path, source).expect("write the C source");
            let output = Command::new("cc")
                .args(["-O1", "-Wall", "-o"])
                .arg(&binary)
                .arg(&source_path)
                .output()
                .unwrap_or_else(|error| panic!("these tests need a C compiler `cc`: {error}"));
            assert!(
                output.status.success(),
                "cc failed on {name}:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let mut job = self.script("", sandboxed);
        job.program = binary;
        job.args = args.iter().map(|arg| (*arg).to_owned()).collect();
        job
    }
}

/// Whether the kernel has Landlock; says so on stderr when it has not.
fn needs_landlock() -> bool {
    let observation = run(&Folders::new().script("true", true));
    let available = observation
        .containment
        .iter()
        .any(|item| item.starts_with("landlock (ABI"));
    if !available {
        // Only a kernel without Landlock may skip: a ruleset labgrade failed to apply on a
        // kernel that has one is a failure, not a skip.
        assert!(
            observation
                .containment
                .iter()
                .any(|item| item == "no landlock: the kernel does not offer it"),
            "{:?}",
            observation.containment
        );
        let _ = writeln!(
            std::io::stderr(),
            "skipped: no Landlock: {:?}",
            observation.containment
        );
    }
    available
}

/// Runs `script`, which reads the secret outside the sandbox, twice: unsandboxed it must print
/// the secret; sandboxed it must fail (exit 1) without it. Returns the sandboxed run.
fn secret_readable_only_unsandboxed(folders: &Folders, script: &str) -> Observation {
    let open = run(&folders.script(script, false));
    assert_exited(&open, 0);
    assert!(open.stdout.text.contains("reference solution"), "{open:#?}");
    let sandboxed = run(&folders.script(script, true));
    assert_exited(&sandboxed, 1);
    assert!(
        !sandboxed.stdout.text.contains("reference solution"),
        "{sandboxed:#?}"
    );
    sandboxed
}

#[test]
fn reading_outside_the_sandbox_is_refused() {
    if !needs_landlock() {
        return;
    }
    let folders = Folders::new();
    let sandboxed = secret_readable_only_unsandboxed(
        &folders,
        &format!(
            "cat {} && echo own > own.txt && cat own.txt && head -c 4 /usr/bin/env >/dev/null",
            folders.path("outside/solution.rs").display()
        ),
    );
    // Landlock refuses it; as root the program's private `/tmp` does not even hold it.
    let refused = if is_root() {
        "No such file or directory"
    } else {
        "Permission denied"
    };
    assert!(sandboxed.stderr.text.contains(refused), "{sandboxed:#?}");
    // The program's own scratch folder and the system's programs stay usable.
    let own = run(&folders.script(
        "echo own > own.txt && cat own.txt && ls /usr/bin >/dev/null",
        true,
    ));
    assert_exited(&own, 0);
    assert_eq!(own.stdout.text, "own\n");
}

#[test]
fn a_path_through_proc_to_an_outside_folder_is_refused() {
    if !needs_landlock() {
        return;
    }
    let folders = Folders::new();
    // `/proc/self/root` is a magic link to `/`: the file it leads to is judged like any other.
    secret_readable_only_unsandboxed(
        &folders,
        &format!(
            "cat /proc/self/root{}",
            folders.path("outside/solution.rs").display()
        ),
    );
}

#[test]
fn writing_outside_the_scratch_folder_is_refused() {
    if !needs_landlock() {
        return;
    }
    let folders = Folders::new();
    let target = folders.path("outside/planted.txt");
    let script = format!("echo planted > {}", target.display());
    let open = run(&folders.script(&script, false));
    assert_exited(&open, 0);
    std::fs::remove_file(&target).expect("the control wrote the file");

    let sandboxed = run(&folders.script(&script, true));
    assert_exited(&sandboxed, 2);
    assert!(!target.exists(), "{sandboxed:#?}");
    // `/tmp`, writable by everyone, is outside too.
    let in_tmp = std::env::temp_dir().join(format!("labgrade-sandbox-{}", std::process::id()));
    let sandboxed = run(&folders.script(&format!("echo x > {}", in_tmp.display()), true));
    assert!(!in_tmp.exists(), "{sandboxed:#?}");
    // The shell's refused redirection, as above.
    assert_exited(&sandboxed, 2);
}

/// A C program that connects to TCP port `argv[1]` on 127.0.0.1 and says whether it could.
pub(crate) const CONNECT: &str = r#"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
    alarm(20);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) { printf("socket: %s\n", strerror(errno)); return 1; }
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        printf("connect: %s\n", strerror(errno)); return 1;
    }
    puts("connected");
    return 0;
}
"#;

#[test]
fn tcp_to_a_listener_of_the_host_is_refused() {
    if !needs_landlock() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen on 127.0.0.1");
    let port = listener.local_addr().expect("address").port().to_string();
    let folders = Folders::new();
    let open = run(&folders.c_program("connect", CONNECT, &[&port], false));
    assert_exited(&open, 0);
    assert_eq!(open.stdout.text, "connected\n");
    let sandboxed = run(&folders.c_program("connect", CONNECT, &[&port], true));
    assert_exited(&sandboxed, 1);
    assert!(
        sandboxed.stdout.text.starts_with("connect: "),
        "{sandboxed:#?}"
    );
}

const SIGNAL_PARENT: &str = r#"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void) {
    /* Signal 0 only asks whether the signal could be sent: nothing is killed either way. */
    if (kill(getppid(), 0) != 0) { printf("kill: %s\n", strerror(errno)); return 1; }
    puts("could signal the supervisor");
    return 0;
}
"#;

#[test]
fn signals_to_processes_outside_the_program_are_refused() {
    if !needs_landlock() {
        return;
    }
    let folders = Folders::new();
    let open = run(&folders.c_program("signal", SIGNAL_PARENT, &[], false));
    assert_exited(&open, 0);
    let sandboxed = run(&folders.c_program("signal", SIGNAL_PARENT, &[], true));
    // Only a Landlock older than signal scoping may skip.
    if sandboxed
        .containment
        .iter()
        .any(|item| item.starts_with("landlock: signals not scoped"))
    {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: Landlock too old to scope signals"
        );
        return;
    }
    assert_exited(&sandboxed, 1);
    assert_eq!(sandboxed.stdout.text, "kill: Operation not permitted\n");
}

#[test]
fn the_sandbox_is_stated_in_the_containment() {
    let folders = Folders::new();
    let observation = run(&folders.script("true", true));
    assert_exited(&observation, 0);
    // Applied, or absent for the one reason that may be: the kernel lacks it.
    let applied = observation
        .containment
        .iter()
        .filter(|item| item.starts_with("landlock (ABI"))
        .count();
    let absent = observation
        .containment
        .iter()
        .filter(|item| *item == "no landlock: the kernel does not offer it")
        .count();
    assert_eq!(applied + absent, 1, "{:?}", observation.containment);
    let plain = run(&folders.script("true", false));
    assert!(
        plain
            .containment
            .iter()
            .all(|item| !item.contains("landlock")),
        "{:?}",
        plain.containment
    );
}

#[test]
fn concurrent_isolated_programs_run_as_distinct_uids() {
    if !needs_root() {
        return;
    }
    let folders = Folders::new();
    // Each program leaves a file named after its uid in `work/`, then waits until there are 8,
    // so that every uid is held while the others claim, however slowly a loaded machine starts
    // them. Two programs of one uid would leave 7 files, and all would meet their deadline.
    let script = format!(
        "id -u > {work}/$(id -u); until [ $(ls {work} | wc -l) -ge 8 ]; do sleep 0.01; done; id -u",
        work = folders.path("work").display()
    );
    let uids: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    let mut job = folders.script(&script, true);
                    job.cwd = std::env::temp_dir();
                    job.limits = Some(labgrade::run::ProcessLimits {
                        cpu_ms: 10_000,
                        memory_bytes: 1 << 30,
                        tasks: 64,
                        file_bytes: 1 << 20,
                        open_files: 64,
                        isolate: true,
                    });
                    let observation = run(&job);
                    assert_exited(&observation, 0);
                    observation.stdout.text.trim().to_owned()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a run thread panicked"))
            .collect()
    });
    let distinct: std::collections::BTreeSet<&String> = uids.iter().collect();
    assert_eq!(distinct.len(), 8, "uids: {uids:?}");
    assert!(
        uids.iter()
            .all(|uid| uid.parse::<u32>().is_ok_and(|uid| uid >= 61_000)),
        "uids: {uids:?}"
    );
}

#[test]
fn without_landlock_root_hides_the_course_in_a_mount_namespace() {
    // As for a build, which keeps the machine's root: the course is covered.
    without_landlock(false);
}

#[test]
fn without_landlock_a_student_program_has_no_course_in_its_view() {
    without_landlock(true);
}

/// A program without Landlock, as root: with a `view` of its own (a student program), the
/// course is not there at all; without (a build), it is covered by an empty, read-only file
/// system. Either way its own folder and a private `/tmp` work.
fn without_landlock(view: bool) {
    if !needs_root() {
        return;
    }
    let folders = Folders::new();
    let secret = folders.path("outside/solution.rs");
    let in_tmp = std::env::temp_dir().join(format!("labgrade-fallback-{}", std::process::id()));
    // The scratch folder lies in the temporary folder, which the program gets a private copy
    // of: it must still reach it.
    assert!(folders.path("work").starts_with(std::env::temp_dir()));
    let script = format!(
        "cat {} ; echo planted > {}/planted.txt ; echo x > {} && echo own > own.txt && cat own.txt",
        secret.display(),
        folders.path("outside").display(),
        in_tmp.display()
    );
    // A course outside the shared folders (`/tmp`, `/run` and the like, which the program gets
    // private copies of), covered by an empty read-only file system: a folder of `/`, which
    // is root's, as this test is, and which every user may pass through (a clone of the
    // course may lie in `/tmp`).
    let course = tempfile::Builder::new()
        .prefix("labgrade-course-")
        .tempdir_in("/")
        .unwrap();
    std::fs::write(course.path().join("rubric.toml"), "hidden = true\n").unwrap();
    std::fs::set_permissions(course.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = format!(
        "ls -A {course} ; echo x > {course}/planted ; {script}",
        course = course.path().display()
    );
    let mut job = folders.script(&script, true);
    if let Some(sandbox) = &mut job.sandbox {
        // As on a kernel without Landlock.
        sandbox.landlock = false;
        sandbox.private_tmp = view;
        sandbox.hide.push(course.path().to_owned());
    }
    let observation = run(&job);
    assert_exited(&observation, 0);
    let refused = if view {
        "No such file or directory"
    } else {
        "Read-only file system"
    };
    assert!(
        observation.stderr.text.contains(refused),
        "{observation:#?}"
    );
    assert!(!course.path().join("planted").exists());
    assert_eq!(observation.stdout.text, "own\n", "{observation:#?}");
    // The secret's folder lies in the temporary folder, so the private one does not even
    // have it; elsewhere it would be an empty, read-only cover.
    assert!(
        observation
            .stderr
            .text
            .contains("solution.rs: No such file or directory")
            && observation.stderr.text.contains("cannot create"),
        "{observation:#?}"
    );
    assert!(
        observation.containment.iter().any(|item| if view {
            item.starts_with("file-system view of its own")
        } else {
            item.starts_with("mount namespace: 2 folders hidden") && item.contains("private /tmp")
        }),
        "{:?}",
        observation.containment
    );
    // The cover was the program's alone: the host still sees the folder as it was.
    assert!(
        std::fs::read_to_string(&secret)
            .unwrap()
            .contains("reference solution")
    );
    assert!(!folders.path("outside/planted.txt").exists());
    // What it wrote to the shared temporary folder went to its private one, now gone.
    assert!(!in_tmp.exists());
    assert_eq!(
        std::fs::read_to_string(folders.path("work/own.txt")).unwrap(),
        "own\n"
    );
}
