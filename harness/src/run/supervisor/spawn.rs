//! Starting the program: its command, environment and working directory, and what its child
//! does between `fork` and `exec` (namespaces, sandbox, cgroups, containment, tracing).

use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

use nix::libc;
use nix::sched::{CloneFlags, unshare};
use nix::sys::ptrace;
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::socket;
use nix::unistd::{Gid, Uid, chown, getpid};

use super::containment::{Containment, contain};
use super::sandbox::Prepared;
use super::{cgroup, senders, syscalls};
use crate::run::job::{BaseEnv, Job, TOOLCHAIN_ENV};

/// `PATH` of [`BaseEnv::Clean`].
const CLEAN_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Starts the program of `job`; on failure returns the reason, naming what could not be used.
///
/// With `network_namespace` (only as root) the program gets a network namespace of its own;
/// `sandbox` is enforced last, after the uid drop. With `join`, the program moves itself into
/// its job cgroups first. A student program (with [`Job::limits`]) reports every signal it
/// sends to the returned listener, where the machine allows (see [`senders`]).
pub(super) fn spawn(
    job: &Job,
    containment: Option<&Containment>,
    mut sandbox: Option<Prepared>,
    network_namespace: bool,
    join: Option<cgroup::Join>,
) -> Result<(Child, Option<senders::Listener>), String> {
    let mut command = Command::new(&job.program);
    command
        .args(&job.args)
        .current_dir(&job.cwd)
        // Its own group, so that the deadline kill reaches every process that stayed in it,
        // and a fork bomb cannot outrun it.
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match job.base_env {
        BaseEnv::Clean => {
            let home = std::path::absolute(&job.cwd).unwrap_or_else(|_| job.cwd.clone());
            command
                .env_clear()
                .env("PATH", CLEAN_PATH)
                .env("HOME", home);
        }
        BaseEnv::Toolchain => {
            command.env_clear();
            for name in TOOLCHAIN_ENV {
                if let Some(value) = std::env::var_os(name) {
                    command.env(name, value);
                }
            }
        }
        BaseEnv::Inherit => {}
    }
    command.envs(&job.env);
    if let Some(user) = containment.and_then(|containment| containment.user) {
        give_cwd(&job.cwd, user)?;
    }
    let mut containment = containment.copied();
    let supervisor = getpid();
    let traced = job.trace.is_some();
    // Built before the fork: the child only installs it.
    let filter = job
        .trace
        .as_ref()
        .and_then(|trace| trace.syscalls.as_ref())
        .and_then(|_| syscalls::Filter::new());
    // The listener comes back over a socket pair: ours to receive, the child's to send.
    let senders = job.limits.and_then(|_| {
        let filter = senders::Filter::new()?;
        let (ours, theirs) = socket::socketpair(
            socket::AddressFamily::Unix,
            socket::SockType::SeqPacket,
            None,
            socket::SockFlag::SOCK_CLOEXEC,
        )
        .ok()?;
        Some((filter, ours, theirs))
    });
    let (senders_filter, senders_socket) = match senders {
        Some((filter, ours, theirs)) => (Some((filter, theirs.as_raw_fd())), Some((ours, theirs))),
        None => (None, None),
    };
    // SAFETY: the closure runs in the forked child before `exec`, where only async-signal-safe
    // work is allowed. It only makes the `sigprocmask`, `getrlimit`, `setrlimit`, `unshare`,
    // `setgroups`, `setgid`, `setuid`, `keyctl`, `prctl`, `getppid`, `close_range` (or `fcntl`),
    // `ptrace` and `seccomp` (a filter
    // built before the fork, see `syscalls::Filter::install`) system calls through
    // nix's thin wrappers, with a signal set on the stack and a copied `Containment`, makes
    // the two Landlock calls through the ruleset built before the fork (moved into the
    // closure, enforced once: see `Prepared::enforce`), writes to the `cgroup.procs`
    // descriptors the supervisor opened before the fork (see `cgroup::Join::enter`), and builds
    // `io::Error`s from raw errno values; nothing allocates, locks or touches state shared with
    // the parent.
    unsafe {
        command.pre_exec(move || {
            // std does not reset the signal mask, and the supervisor blocks signals for its own
            // use: a program must start with nothing blocked, as from a shell.
            sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)?;
            // core_pattern is plain `core`: a crashing program would drop core files into the
            // submission.
            setrlimit(Resource::RLIMIT_CORE, 0, 0)?;
            if network_namespace {
                // A new network namespace holds only `lo`, down: no connection goes anywhere.
                // A new IPC namespace keeps System V shared memory, semaphores and message
                // queues to the program, and takes them with it when it ends: a segment it
                // leaves is neither seen by later programs nor kept outside every limit.
                // Made while still root: unsharing them needs `CAP_SYS_ADMIN`.
                unshare(CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWIPC)?;
            }
            // As root: a mount namespace of the program's own, with `/tmp`, `/run` and the
            // like private (and, without Landlock, the course, the cache and other submissions
            // covered); root is still needed here.
            if let Some(sandbox) = &mut sandbox {
                sandbox.hide()?;
            }
            if let Some(containment) = &mut containment {
                // Before the uid drop: only root may move a process into a cgroup it owns. A
                // cgroup that cannot be joined leaves its limit to the rlimit.
                if let Some(join) = &join {
                    containment.fall_back(join.enter());
                }
                contain(containment)?;
                // After the uid drop, so that the keyring is the program's: an empty session
                // keyring of its own, never labgrade's (which may hold a CI runner's keys). A
                // kernel without keyrings has nothing to hide.
                join_new_session_keyring();
            }
            // After the uid drop: Landlock sets no-new-privileges, and nothing after this point
            // opens a file.
            if let Some(sandbox) = &mut sandbox {
                sandbox.enforce()?;
            }
            // After the uid drop, which clears it. If the supervisor already died, the program
            // must not run unsupervised.
            crate::run::die_with_parent(supervisor, Signal::SIGKILL)?;
            // Before the tracer's filter, whose stops need the tracer; a machine without
            // seccomp listeners still runs the program, whose signals then go unobserved.
            if let Some((filter, socket)) = &senders_filter {
                let _ = filter.install(*socket);
            }
            // Whatever labgrade itself inherited (a CI runner's or a shell's descriptors, a
            // jobserver's pipe) is not the program's: it starts with only its standard
            // streams. Marked close-on-exec rather than closed, so that `spawn`'s own error
            // pipe still reports a failed `exec`; before the tracer's filter, which may stop
            // calls.
            keep_only_standard_streams();
            // Last, so that a child failing an earlier step is never a tracee, and so that the
            // window in which a signal would stop it before `exec` (and leave `spawn` waiting)
            // is as short as can be. It only marks the child: its first stop is the SIGTRAP
            // after `exec`, which the supervisor waits for.
            if traced {
                ptrace::traceme()?;
            }
            // After `traceme`, right before `exec`: the filter's stops need the tracer, and no
            // call it stops is made from here to `exec`.
            if let Some(filter) = &filter {
                filter.install()?;
            }
            Ok(())
        });
    }
    let child = command.spawn().map_err(|error| {
        if std::fs::metadata(&job.cwd).is_ok_and(|meta| meta.is_dir()) {
            error.to_string()
        } else {
            format!("working directory `{}`: {error}", job.cwd.display())
        }
    })?;
    // The child sent the listener before its `exec`, which `spawn` waited for.
    let listener = senders_socket.and_then(|(ours, theirs)| {
        drop(theirs);
        senders::Listener::receive(&ours)
    });
    Ok((child, listener))
}

/// Marks every descriptor but 0, 1 and 2 close-on-exec: one `close_range` call (Linux 5.11),
/// or, where the kernel lacks it, an `fcntl` per descriptor below the descriptor limit. Only
/// system calls: safe between `fork` and `exec`.
fn keep_only_standard_streams() {
    // SAFETY: `close_range` with `CLOSE_RANGE_CLOEXEC` only changes descriptor flags.
    let marked = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3_u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if marked == 0 {
        return;
    }
    let most = getrlimit(Resource::RLIMIT_NOFILE).map_or(1024, |(soft, _)| soft.min(65_536));
    for fd in 3..i32::try_from(most).unwrap_or(1024) {
        // SAFETY: `fcntl` on a descriptor that may not exist only fails with EBADF.
        let _ = unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
}

/// Replaces the calling process's session keyring by a new, empty, anonymous one
/// (`keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)`). One system call: safe between `fork` and
/// `exec`. Its failure leaves the program without the keyring it would have hidden (no
/// keyrings in this kernel) or with an inherited one, which its uid of its own cannot read.
fn join_new_session_keyring() {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    // SAFETY: `keyctl` with a null name reads no memory of ours; its result is ignored.
    let _ = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
}

/// Makes the working directory `cwd` writable by the isolated program's `user` by giving it
/// to that user. A shared folder with the sticky bit (such as `/tmp`) is writable by everyone
/// already and is left alone: it must never change owner.
fn give_cwd(cwd: &std::path::Path, user: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(cwd)
        .map_err(|error| format!("working directory `{}`: {error}", cwd.display()))?;
    if meta.permissions().mode() & 0o1000 != 0 {
        return Ok(());
    }
    chown(cwd, Some(Uid::from_raw(user)), Some(Gid::from_raw(user))).map_err(|error| {
        format!(
            "cannot give the working directory `{}` to uid {user}: {error}",
            cwd.display()
        )
    })
}
