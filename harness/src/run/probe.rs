//! What containment this machine offers: probed once, for `labgrade doctor`.
//!
//! Each probe asks the kernel directly (a short-lived forked child tries an `unshare`, a job
//! cgroup is created and removed, the Landlock ABI is queried by its system call), so the answer holds for this machine as it is
//! now, not for the machine the code was written on.

use std::fs;

use nix::sched::CloneFlags;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Uid, fork};

use super::supervisor::CgroupMounts;

/// What the kernel lets labgrade do here.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "each flag is the answer of one independent probe"
)]
pub struct Capabilities {
    /// labgrade runs as root, so it can drop student programs to an unprivileged uid, where
    /// `RLIMIT_NPROC` holds.
    pub root: bool,
    /// Yama's `ptrace_scope`, if Yama is present (0 or 1 allow tracing one's own children).
    pub ptrace_scope: Option<u8>,
    /// A new network namespace can be created.
    pub network_namespace: bool,
    /// A new PID namespace can be created.
    pub pid_namespace: bool,
    /// A new mount namespace can be created.
    pub mount_namespace: bool,
    /// An unprivileged user namespace can be created.
    pub user_namespace: bool,
    /// Without root: whether a user namespace gives labgrade the powers it uses (a mount
    /// changed in it), or why not (`Err`). As root, `Ok`: no user namespace is needed.
    pub namespaces_without_root: Result<(), String>,
    /// How cgroups are mounted.
    pub cgroups: CgroupLayout,
    /// What labgrade uses of them for each isolated student program, in the words of
    /// `Observation::containment` (such as `cgroup (hybrid: v1 pids+memory, v2 kill)`), or why
    /// it can use none. Found by creating and removing a job cgroup, as a supervisor does.
    pub cgroup_use: Result<String, String>,
    /// Landlock ABI version, if the kernel offers Landlock.
    pub landlock_abi: Option<u32>,
    /// Whether the kernel supports seccomp filters.
    pub seccomp: bool,
}

impl Capabilities {
    /// Whether each student program gets PID, network, IPC and mount namespaces of its own:
    /// made as root, or without root in a user namespace that keeps its powers.
    #[must_use]
    pub fn program_namespaces(&self) -> bool {
        if self.root {
            self.pid_namespace && self.network_namespace && self.mount_namespace
        } else {
            self.namespaces_without_root.is_ok()
        }
    }
}

/// How the cgroup file systems labgrade uses (the v2 tree, the v1 `pids` and `memory`
/// controllers) are mounted, as the supervisor finds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupLayout {
    /// Only cgroup v2.
    Unified,
    /// v1 controllers with a v2 tree beside them.
    Hybrid,
    /// Only cgroup v1.
    Legacy,
    /// No cgroup file system labgrade uses.
    None,
}

/// Probes the machine.
#[must_use]
pub fn probe() -> Capabilities {
    // The supervisor's own detection, so that the doctor tells of the layout it uses.
    let cgroups = CgroupMounts::detect();
    Capabilities {
        root: Uid::effective().is_root(),
        ptrace_scope: fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
            .ok()
            .and_then(|text| text.trim().parse().ok()),
        network_namespace: can_unshare(CloneFlags::CLONE_NEWNET),
        pid_namespace: can_unshare(CloneFlags::CLONE_NEWPID),
        mount_namespace: can_unshare(CloneFlags::CLONE_NEWNS),
        user_namespace: can_unshare(CloneFlags::CLONE_NEWUSER),
        namespaces_without_root: if Uid::effective().is_root() {
            Ok(())
        } else {
            super::supervisor::user_namespace_works()
        },
        cgroups: cgroups.kind(),
        cgroup_use: super::supervisor::cgroup_trial(&cgroups),
        landlock_abi: landlock_abi(),
        seccomp: procfs::process::Process::myself()
            .and_then(|me| me.status())
            .is_ok_and(|status| status.seccomp.is_some()),
    }
}

/// Whether a child may `unshare` these namespaces; the child exits at once either way.
fn can_unshare(flags: CloneFlags) -> bool {
    // SAFETY: the child only calls `unshare` and `_exit`, both async-signal-safe, so forking a
    // multi-threaded process is sound.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            let code = i32::from(nix::sched::unshare(flags).is_err());
            // SAFETY: `_exit` ends the child at once without running the parent's destructors.
            unsafe { nix::libc::_exit(code) }
        }
        Ok(ForkResult::Parent { child }) => {
            matches!(waitpid(child, None), Ok(WaitStatus::Exited(_, 0)))
        }
        Err(_) => false,
    }
}

/// The Landlock ABI version, asked of `landlock_create_ruleset` with the version flag.
pub(crate) fn landlock_abi() -> Option<u32> {
    const LANDLOCK_CREATE_RULESET_VERSION: nix::libc::c_uint = 1;
    // SAFETY: with a null attribute pointer, size 0 and the version flag, the call only returns
    // a number; it reads and writes no memory.
    let version = unsafe {
        nix::libc::syscall(
            nix::libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    u32::try_from(version).ok().filter(|&version| version > 0)
}
