//! What the front end asks a supervisor to run: the program, its environment and working
//! directory, and what it may reach.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ProcessLimits, Trace};

/// One program to run under a supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Program to execute: an absolute path, or a name looked up in `PATH`.
    pub program: PathBuf,
    /// Arguments after the program name.
    pub args: Vec<String>,
    /// Variables set on top of the base environment.
    pub env: BTreeMap<String, String>,
    /// Which environment the program starts from.
    pub base_env: BaseEnv,
    /// Working directory of the program.
    pub cwd: PathBuf,
    /// Wall-clock limit; when it passes, the whole process group is killed.
    pub timeout_ms: u64,
    /// Bytes of stdout and of stderr kept; the rest is read and discarded.
    pub output_limit: u64,
    /// Trace the program with ptrace to take its census; `None` runs it untraced.
    #[serde(default)]
    pub trace: Option<Trace>,
    /// Resource limits and isolation of an untrusted program; `None` (trusted tools such as
    /// cargo) runs it with the supervisor's own limits, as the supervisor's user.
    #[serde(default)]
    pub limits: Option<ProcessLimits>,
    /// What the program may reach of the file system and the network; `None` leaves it
    /// everything its user may reach.
    #[serde(default)]
    pub sandbox: Option<Sandbox>,
}

/// The files and network an untrusted program may reach, enforced with Landlock where the
/// kernel has it, and with a network namespace of its own when the supervisor is root.
///
/// Besides the folders named here, the program may read and execute the system's programs and
/// libraries (`/usr`, `/bin`, `/lib*`), read `/proc`, `/sys` and the few files of `/etc` that
/// the C library needs, and use `/dev/null`, `/dev/zero` and the random devices: see the
/// supervisor's `sandbox` module. Everything else (other submissions, the reference solutions,
/// the rubrics, labgrade's own files, `/tmp`) is refused, as are TCP connections and listening
/// sockets, and signals to processes outside the program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sandbox {
    /// Folders and files the program may read and execute.
    pub read: Vec<PathBuf>,
    /// Folders the program may read, write and execute in.
    pub write: Vec<PathBuf>,
    /// Folders to hide from the program where Landlock is missing: when the supervisor is root,
    /// the program gets a mount namespace of its own in which each is covered by an empty,
    /// read-only file system. A folder that holds one of `read` or `write` is never hidden.
    #[serde(default)]
    pub hide: Vec<PathBuf>,
    /// Whether to use Landlock where the kernel has it; `false` only to test the fallback.
    #[serde(default = "yes")]
    pub landlock: bool,
    /// Whether the program may read `/proc`. A build may not: run as labgrade's user, the
    /// compiler could `include_str!("/proc/<pid>/environ")` of any process of that user (of
    /// every process, as root), the CI runner's secrets among them.
    #[serde(default = "yes")]
    pub proc: bool,
    /// As root, whether the program gets a private `/tmp`, `/var/tmp`, `/dev/shm` and `/run`
    /// even where Landlock confines its files: a student program may connect to a named UNIX
    /// socket left open there, which Landlock does not govern. A build runs no code of the
    /// student's and keeps the real ones (its `CARGO_HOME` may lie there).
    #[serde(default = "yes")]
    pub private_tmp: bool,
}

/// The default of [`Sandbox::landlock`].
fn yes() -> bool {
    true
}

/// The environment a job starts from, before [`Job::env`] is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaseEnv {
    /// Only a fixed `PATH`, so that a student program sees the same environment on every machine
    /// and a replay from the report reproduces it.
    Clean,
    /// The harness's own environment, for trusted tools that compile nothing of a student's,
    /// such as `cargo fetch` (which may need proxies and registry settings).
    Inherit,
    /// Only what cargo and rustc need to find the toolchain (`TOOLCHAIN_ENV`), for a build of
    /// student code: the compiler expands `option_env!` and `include_str!("/proc/self/environ")`
    /// into the program, so labgrade's secrets (a CI token) must not be in its environment.
    Toolchain,
}

/// The variables of labgrade's environment that [`BaseEnv::Toolchain`] keeps: where the
/// toolchain and its registry are, and the locale. Nothing that can hold a secret.
pub(crate) const TOOLCHAIN_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "LANG",
    "LC_ALL",
];
