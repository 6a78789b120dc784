//! The file-system, network and signal sandbox of an untrusted program: a Landlock ruleset
//! built in the supervisor and enforced in the child just before `exec`.
//!
//! Landlock needs no privileges, so it holds for a student grading on a laptop as much as for
//! root in CI, where it adds to the uid drop: a world-readable reference solution in a course
//! checkout is refused just like a file of labgrade's own user. It is applied best-effort: a
//! kernel without Landlock, or with an older ABI, enforces what it knows, and
//! [`Prepared::describe`] says what that is.

use std::path::{Path, PathBuf};

use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, PathBeneath, PathFd,
    Ruleset, RulesetAttr, RulesetCreated, RulesetCreatedAttr, Scope,
};

use super::super::job::Sandbox;
use super::super::probe::landlock_abi;

/// The newest Landlock ABI whose rights labgrade asks for: 6 adds signal and abstract-socket
/// scoping. Newer kernels enforce it unchanged; older ones enforce the subset they know.
const TARGET_ABI: ABI = ABI::V6;
/// First ABI that restricts TCP.
const TCP_ABI: u32 = 4;
/// First ABI that scopes signals and abstract UNIX sockets to the sandbox.
const SCOPE_ABI: u32 = 6;

/// Folders of the system's programs and libraries: read and execute.
const SYSTEM_PROGRAMS: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt",
];
/// Files of `/etc` that the C library and the dynamic loader read; nothing secret. The rest of
/// `/etc` is refused.
const SYSTEM_FILES: &[&str] = &[
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/host.conf",
];
/// Read-only views of the kernel: a program reads its own `/proc/self` and the CPU count. A
/// path through `/proc/<pid>/root` or `/proc/<pid>/cwd` resolves to the real file, which the
/// rules then judge like any other.
const KERNEL_VIEWS: &[&str] = &["/proc", "/sys"];
/// Devices any program may read and write.
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
];

/// A sandbox ready to enforce in the child.
pub(super) struct Prepared {
    /// The ruleset, taken and enforced once in the child; `None` without Landlock.
    ruleset: Option<RulesetCreated>,
    /// Landlock ABI of the kernel, if it has Landlock.
    abi: Option<u32>,
    /// Why the ruleset could not be built, though the kernel has Landlock.
    failure: Option<String>,
}

impl Prepared {
    /// Builds the ruleset of `sandbox`. Never fails: a ruleset that cannot be built leaves the
    /// program without it, and [`Prepared::describe`] says so.
    pub(super) fn new(sandbox: &Sandbox) -> Self {
        let abi = landlock_abi();
        if abi.is_none() {
            return Self {
                ruleset: None,
                abi,
                failure: None,
            };
        }
        match ruleset(sandbox) {
            Ok(ruleset) => Self {
                ruleset: Some(ruleset),
                abi,
                failure: None,
            },
            Err(error) => Self {
                ruleset: None,
                abi,
                failure: Some(error.to_string()),
            },
        }
    }

    /// Enforces the ruleset on the calling process, for good; run in the child before `exec`.
    ///
    /// Async-signal-safe in practice: it makes the `prctl(PR_SET_NO_NEW_PRIVS)` and
    /// `landlock_restrict_self` system calls and closes the ruleset's descriptor; on success it
    /// allocates nothing, and on failure it only builds an error from errno.
    pub(super) fn enforce(&mut self) -> std::io::Result<()> {
        if let Some(ruleset) = self.ruleset.take() {
            ruleset
                .restrict_self()
                .map_err(|_| std::io::Error::last_os_error())?;
        }
        Ok(())
    }

    /// What the sandbox enforces, in words, for [`Observation::containment`].
    ///
    /// [`Observation::containment`]: super::super::job::Observation::containment
    pub(super) fn describe(&self) -> Vec<String> {
        match (self.abi, &self.failure) {
            (None, _) => vec![
                "no landlock: the kernel does not offer it, so files are protected only by \
                 their permissions"
                    .to_owned(),
            ],
            (Some(_), Some(failure)) => vec![format!("no landlock: {failure}")],
            (Some(abi), None) => {
                let mut words = vec![format!(
                    "landlock (ABI {abi}): files outside the sandbox refused"
                )];
                words.push(if abi >= TCP_ABI {
                    "landlock: TCP connections and listening refused".to_owned()
                } else {
                    format!("landlock: TCP not restricted (needs ABI {TCP_ABI})")
                });
                words.push(if abi >= SCOPE_ABI {
                    "landlock: signals to processes outside the program refused".to_owned()
                } else {
                    format!("landlock: signals not scoped (needs ABI {SCOPE_ABI})")
                });
                words
            }
        }
    }
}

/// The Landlock ruleset of `sandbox`: every file-system right, TCP and scoping handled, and
/// only the listed paths allowed.
fn ruleset(sandbox: &Sandbox) -> Result<RulesetCreated, landlock::RulesetError> {
    let read = AccessFs::from_read(TARGET_ABI);
    let all = AccessFs::from_all(TARGET_ABI);
    let device = AccessFs::from_file(TARGET_ABI);
    let mut created = Ruleset::default()
        // Best effort: an older kernel enforces what it knows rather than nothing.
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(all)?
        .handle_access(AccessNet::from_all(TARGET_ABI))?
        .scope(Scope::from_all(TARGET_ABI))?
        .create()?;
    let system = SYSTEM_PROGRAMS
        .iter()
        .chain(SYSTEM_FILES)
        .map(PathBuf::from)
        .chain(sandbox.read.iter().cloned());
    for path in system {
        created = add(created, &path, read)?;
    }
    for path in KERNEL_VIEWS {
        created = add(
            created,
            Path::new(path),
            AccessFs::ReadFile | AccessFs::ReadDir,
        )?;
    }
    for path in DEVICES {
        created = add(created, Path::new(path), device)?;
    }
    for path in &sandbox.write {
        created = add(created, path, all)?;
    }
    Ok(created)
}

/// Allows `access` beneath `path`, when it exists; a missing path (no `/lib32` here) is
/// nothing to allow. A file gets only the rights that apply to files.
fn add(
    created: RulesetCreated,
    path: &Path,
    access: BitFlags<AccessFs>,
) -> Result<RulesetCreated, landlock::RulesetError> {
    let Ok(fd) = PathFd::new(path) else {
        return Ok(created);
    };
    let access = if path.is_dir() {
        access
    } else {
        access & AccessFs::from_file(TARGET_ABI)
    };
    created.add_rule(PathBeneath::new(fd, access))
}
