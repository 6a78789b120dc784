//! What a student program can reach beyond itself, tried by `tests/fixtures/reach/reach.c` under
//! `labgrade __supervise`, once as root (as in CI) and once as an ordinary user (as on a
//! student's laptop; as root, the tests drop to `nobody` for that). Each attack is set up to
//! succeed: a UDP listener on localhost, a process with a known command line, a socket of the
//! program's own user in `/tmp` and `/run`, a key in the user's keyring, and a crowd of the
//! user's processes for a fork limit to count. The program must reach none of them.
//!
//! Without root the containment comes from a user namespace of the supervisor's own; where the
//! kernel refuses one, the tests say they skipped (see [`needs_user_namespace`]).

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use labgrade::run::{BaseEnv, Job, Observation, ProcessLimits, Reply, Sandbox};
use tempfile::TempDir;

use crate::supervisor::marker;
use crate::support::{is_root, needs_root_for_part};

/// The user an ordinary user's labgrade runs as when the tests run as root.
const NOBODY: u32 = 65_534;

/// Who runs labgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Root,
    OrdinaryUser,
}

/// The users the tests run labgrade as: both as root, only the tests' own user otherwise.
fn everyone() -> Vec<Who> {
    if needs_root_for_part("labgrade run as root") {
        vec![Who::Root, Who::OrdinaryUser]
    } else {
        vec![Who::OrdinaryUser]
    }
}

/// [`everyone`] but an ordinary user without a user namespace (see [`needs_user_namespace`]).
fn users_with_namespaces() -> Vec<Who> {
    everyone()
        .into_iter()
        .filter(|&who| needs_user_namespace(who))
        .collect()
}

/// Asserts that the probe said `words`.
#[track_caller]
fn assert_said(who: Who, observation: &Observation, words: &str) {
    assert!(
        observation.stdout.text.contains(words),
        "{who:?}: {}",
        said(observation)
    );
}

/// The machine's System V shared memory segments whose keys lie in `keys`, as
/// `/proc/sysvipc/shm` lists them.
pub(crate) fn shared_memory_with_keys(keys: std::ops::RangeInclusive<i64>) -> Vec<String> {
    std::fs::read_to_string("/proc/sysvipc/shm")
        .unwrap()
        .lines()
        .filter(|line| {
            line.split_whitespace()
                .next()
                .and_then(|key| key.parse::<i64>().ok())
                .is_some_and(|key| keys.contains(&key))
        })
        .map(str::to_owned)
        .collect()
}

/// Asserts that a non-blocking listener at `place` had nothing to take: `taken` would block.
#[track_caller]
fn assert_nothing_came(
    who: Who,
    observation: &Observation,
    place: &dyn std::fmt::Debug,
    taken: std::io::Result<()>,
) {
    assert!(
        taken.is_err_and(|error| error.kind() == ErrorKind::WouldBlock),
        "{who:?}: {place:?} was reached: {}",
        said(observation)
    );
}

/// Whether an ordinary user's labgrade gets a user namespace here: `labgrade doctor` says. When
/// not, the test says it skipped the ordinary user, unless `LABGRADE_REQUIRE_USERNS=1` (as in CI,
/// whose kernel allows them) makes that a failure.
fn needs_user_namespace(who: Who) -> bool {
    if who == Who::Root {
        return true;
    }
    let folder = Folder::new(who);
    let doctor = folder
        .command(&folder.labgrade)
        .arg("doctor")
        .output()
        .expect("labgrade doctor runs");
    let stdout = String::from_utf8_lossy(&doctor.stdout);
    if stdout.contains("yes  user namespace") {
        return true;
    }
    assert!(
        std::env::var_os("LABGRADE_REQUIRE_USERNS").is_none(),
        "no user namespace for an ordinary user here:\n{stdout}"
    );
    let _ = writeln!(
        std::io::stderr(),
        "skipped as an ordinary user: the kernel gives it no user namespace"
    );
    false
}

/// A folder for one run: labgrade and the probe, readable by every user, and `work/`, the
/// program's working directory, owned by the user labgrade runs as.
struct Folder {
    dir: TempDir,
    who: Who,
    labgrade: PathBuf,
    probe: PathBuf,
}

impl Folder {
    fn new(who: Who) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("labgrade-reach-")
            .tempdir()
            .expect("temporary folder");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        // A copy: the build's own folder may lie where `nobody` cannot go (under `/root`).
        let labgrade = dir.path().join("labgrade");
        std::fs::copy(env!("CARGO_BIN_EXE_labgrade"), &labgrade).expect("copy labgrade");
        let probe = dir.path().join("reach");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/reach/reach.c");
        let compiled = Command::new("cc")
            .args(["-O1", "-Wall", "-o"])
            .arg(&probe)
            .arg(&source)
            .output()
            .unwrap_or_else(|error| panic!("these tests need a C compiler `cc`: {error}"));
        assert!(
            compiled.status.success(),
            "{}",
            String::from_utf8_lossy(&compiled.stderr)
        );
        let work = dir.path().join("work");
        std::fs::create_dir(&work).unwrap();
        if who == Who::OrdinaryUser && is_root() {
            chown(&work, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        Self {
            dir,
            who,
            labgrade,
            probe,
        }
    }

    /// A command run as the user of this folder.
    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command.env_clear().env("PATH", "/usr/bin:/bin");
        if self.who == Who::OrdinaryUser && is_root() {
            command.uid(NOBODY).gid(NOBODY);
        }
        command
    }

    /// The probe's job: the contained student program, trying each of `attempts`.
    fn job(&self, attempts: &[&str], tasks: u64) -> Job {
        let work = self.dir.path().join("work");
        Job {
            program: self.probe.clone(),
            args: attempts.iter().map(|&attempt| attempt.to_owned()).collect(),
            env: BTreeMap::new(),
            base_env: BaseEnv::Clean,
            cwd: work.clone(),
            timeout_ms: 60_000,
            output_limit: 64 * 1024,
            trace: None,
            limits: Some(ProcessLimits {
                cpu_ms: 10_000,
                memory_bytes: 1 << 30,
                tasks,
                file_bytes: 1 << 20,
                open_files: 64,
                isolate: true,
            }),
            sandbox: Some(Sandbox {
                read: vec![self.probe.clone()],
                write: vec![work],
                hide: Vec::new(),
                landlock: true,
                proc: true,
                private_tmp: true,
            }),
        }
    }

    /// Runs the probe under `labgrade __supervise`, started by `command` (see
    /// [`Folder::command`]), and returns what the supervisor observed.
    fn supervise(&self, mut command: Command, attempts: &[&str], tasks: u64) -> Observation {
        let mut supervisor: Child = command
            .arg("__supervise")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the supervisor starts");
        let job = serde_json::to_vec(&self.job(attempts, tasks)).unwrap();
        supervisor.stdin.take().unwrap().write_all(&job).unwrap();
        let mut reply = Vec::new();
        supervisor
            .stdout
            .take()
            .unwrap()
            .read_to_end(&mut reply)
            .unwrap();
        let output = supervisor.wait_with_output().unwrap();
        match serde_json::from_slice(&reply) {
            Ok(Reply::Observed(observation)) => observation,
            other => panic!(
                "no observation ({other:?}); the supervisor said: {}",
                String::from_utf8_lossy(&output.stderr)
            ),
        }
    }

    /// Runs the probe as this folder's user.
    fn run(&self, attempts: &[&str]) -> Observation {
        self.supervise(self.command(&self.labgrade), attempts, 64)
    }
}

/// The probe's lines, with what the supervisor applied, for assertion messages.
fn said(observation: &Observation) -> String {
    format!(
        "{}\n(applied: {:?})",
        observation.stdout.text, observation.containment
    )
}

#[test]
fn udp_to_localhost_goes_nowhere() {
    for who in users_with_namespaces() {
        let listener = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port().to_string();
        let observation = Folder::new(who).run(&["udp", &port]);
        let mut buffer = [0_u8; 16];
        let received = listener.recv(&mut buffer);
        assert_nothing_came(who, &observation, &port, received.map(drop));
        assert_said(who, &observation, "udp refused");
    }
}

#[test]
fn no_other_process_is_seen() {
    for who in users_with_namespaces() {
        let tag = marker(61);
        let mut sleeper = Command::new("sleep").arg(&*tag).spawn().unwrap();
        let observation = Folder::new(who).run(&["cmdline", &tag]);
        let _ = sleeper.kill();
        let _ = sleeper.wait();
        assert_said(who, &observation, "cmdline not found");
        assert!(
            observation
                .containment
                .iter()
                .any(|item| item.starts_with("PID namespace")),
            "{who:?}: {}",
            said(&observation)
        );
    }
}

#[test]
fn the_users_own_sockets_in_tmp_and_run_are_out_of_reach() {
    for who in users_with_namespaces() {
        let name = format!("labgrade-reach-{}-{who:?}.sock", std::process::id());
        // Sockets of the user the program runs as (as root, of labgrade's user: root), open
        // only to that user: the attack a program running as its user would make.
        let mut folders = vec![PathBuf::from("/tmp")];
        if is_root() {
            folders.push(PathBuf::from("/run"));
        }
        let mut listeners = Vec::new();
        for folder in &folders {
            let path = folder.join(&name);
            let _ = std::fs::remove_file(&path);
            let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
            listener.set_nonblocking(true).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            if who == Who::OrdinaryUser && is_root() {
                chown(&path, Some(NOBODY), Some(NOBODY)).unwrap();
            }
            listeners.push((path, listener));
        }
        let mut attempts = Vec::new();
        for (path, _) in &listeners {
            attempts.push("connect".to_owned());
            attempts.push(path.display().to_string());
        }
        let attempts: Vec<&str> = attempts.iter().map(String::as_str).collect();
        let observation = Folder::new(who).run(&attempts);
        for (path, listener) in &listeners {
            let accepted = listener.accept();
            std::fs::remove_file(path).unwrap();
            assert_nothing_came(who, &observation, path, accepted.map(drop));
        }
        assert!(
            !observation.stdout.text.contains("connected to"),
            "{who:?}: {}",
            said(&observation)
        );
    }
}

#[test]
fn a_socket_anywhere_else_is_not_there() {
    for who in users_with_namespaces() {
        // Outside every folder made private: where root keeps a service's socket, or, for an
        // ordinary user, the home folder (a Docker Desktop socket lies there).
        let parent = if is_root() {
            PathBuf::from("/var/lib")
        } else {
            PathBuf::from(std::env::var_os("HOME").expect("a home folder"))
        };
        let folder = tempfile::Builder::new()
            .prefix(".labgrade-reach-")
            .tempdir_in(&parent)
            .unwrap();
        std::fs::set_permissions(folder.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = folder.path().join("service.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        listener.set_nonblocking(true).unwrap();
        if who == Who::OrdinaryUser && is_root() {
            chown(&path, Some(NOBODY), Some(NOBODY)).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        } else {
            // Open to all: as root, the program runs as a uid of its own.
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let observation = Folder::new(who).run(&["connect", &path.display().to_string()]);
        let accepted = listener.accept();
        assert_nothing_came(who, &observation, &path, accepted.map(drop));
        assert!(
            observation
                .stdout
                .text
                .contains("No such file or directory"),
            "{who:?}: {}",
            said(&observation)
        );
    }
}

#[test]
fn system_v_shared_memory_goes_with_the_program() {
    for who in users_with_namespaces() {
        let key = 0x4c47_1000 + i64::from(std::process::id() % 0x1000);
        let observation = Folder::new(who).run(&["shm", &format!("{key:#x}")]);
        assert_said(who, &observation, "shm left segment");
        let left = shared_memory_with_keys(key..=key);
        if !left.is_empty() {
            // Not left to later tests: removed, then reported.
            let _ = Command::new("ipcrm")
                .args(["-M", &format!("{key:#x}")])
                .status();
        }
        assert!(left.is_empty(), "{who:?}: segment left behind: {left:?}");
    }
}

#[test]
fn keys_of_the_users_keyrings_are_not_readable() {
    for who in users_with_namespaces() {
        let folder = Folder::new(who);
        let secret = format!("reach-key-{}-{who:?}", std::process::id());
        let payload = secret.clone().into_bytes();
        let mut command = folder.command(&folder.labgrade);
        // SAFETY: the closure runs in the forked child before `exec` (after the uid change,
        // so the keys are the user's): system calls on data made before the fork only.
        unsafe {
            command.pre_exec(move || {
                // A session keyring of this process (then labgrade's), and a key in it and in
                // the user's keyring, which lives as long as the user does: it expires in a
                // minute. The numbers are those of <linux/keyctl.h>.
                nix::libc::syscall(nix::libc::SYS_keyctl, 1_i64, std::ptr::null::<u8>());
                for ring in [-3_i64, -4] {
                    let key = nix::libc::syscall(
                        nix::libc::SYS_add_key,
                        c"user".as_ptr(),
                        c"labgrade-reach".as_ptr(),
                        payload.as_ptr(),
                        payload.len(),
                        ring,
                    );
                    if key > 0 {
                        nix::libc::syscall(nix::libc::SYS_keyctl, 15_i64, key, 60_i64);
                    }
                }
                Ok(())
            });
        }
        let observation = folder.supervise(command, &["keyring"], 64);
        assert_said(who, &observation, "keyring nothing readable");
        assert!(
            !observation.stdout.text.contains(&secret),
            "{who:?}: {}",
            said(&observation)
        );
    }
}

#[test]
fn the_task_limit_holds_however_many_processes_the_user_has() {
    for who in users_with_namespaces() {
        let folder = Folder::new(who);
        // Forty processes of the user outside: a limit that counted them would leave the
        // program none, one that did not exist would let it make all fifty.
        let tag = marker(62);
        let mut crowd: Vec<Child> = (0..40)
            .map(|_| {
                folder
                    .command(Path::new("/bin/sleep"))
                    .arg(&*tag)
                    .spawn()
                    .unwrap()
            })
            .collect();
        let observation = folder.supervise(folder.command(&folder.labgrade), &["fork", "50"], 16);
        for sleeper in &mut crowd {
            let _ = sleeper.kill();
            let _ = sleeper.wait();
        }
        let made: u32 = observation
            .stdout
            .text
            .lines()
            .find_map(|line| line.strip_prefix("fork made ")?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{who:?}: {}", said(&observation)));
        assert!(
            (8..16).contains(&made),
            "{who:?}: made {made} children under a task limit of 16: {}",
            said(&observation)
        );
    }
}
