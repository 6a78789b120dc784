//! The supervisor's own namespaces: it becomes init of a PID namespace of its own, with a
//! `/proc` of that namespace, and, without root, enters a user namespace first, which gives it
//! the power root has to make namespaces for its program.
//!
//! Why: a program that sees only its own processes cannot read another process's command line
//! (nor find one to connect to), and nothing it starts can outlive the supervisor, since the
//! kernel kills a PID namespace with its init. Without root, the user namespace is what lets
//! the program have a network, IPC and mount namespace of its own (no UDP to localhost, no
//! System V objects left behind, a private `/tmp` and `/run` with the user's sockets out of
//! reach), as bubblewrap and nsjail do; a kernel that refuses unprivileged user namespaces
//! (or an `AppArmor` profile that strips their powers) leaves the program in the user's
//! namespaces, and [`Entered::words`] says so.
//!
//! `unshare(CLONE_NEWPID)` moves only the caller's future children, so the supervisor forks:
//! the child is init of the new namespace and does the work; the original process stays
//! behind only to forward termination signals and to pass on the child's exit status.

use std::os::fd::{AsFd, OwnedFd};
use std::process::ExitCode;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sched::{CloneFlags, unshare};
use nix::sys::prctl;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, raise, sigprocmask};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, getgid, getuid, pipe};

/// What the supervisor may do for its program's namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Power {
    /// Root in the machine's own user namespace: namespaces, mounts and a uid drop.
    Root,
    /// In a user namespace of its own: namespaces and mounts, no other uid to drop to.
    UserNamespace,
    /// Neither: the program shares the user's namespaces.
    None,
}

impl Power {
    /// Whether the program can be given network, IPC and mount namespaces of its own.
    pub(super) fn makes_namespaces(self) -> bool {
        self != Self::None
    }
}

/// Which process returns from [`enter`].
#[derive(Debug)]
pub(super) enum Forked {
    /// The one that supervises.
    Supervise(Entered),
    /// The original process, after the supervisor in the namespace ended: exit with this.
    Relayed(ExitCode),
}

/// Where the supervisor ended up.
#[derive(Debug)]
pub(super) struct Entered {
    pub(super) power: Power,
    /// Whether the supervisor is init of a PID namespace of its own.
    pub(super) pid_namespace: bool,
    /// Why a namespace could not be had, in words, when one could not.
    pub(super) refused: Option<String>,
    /// The pid of the process labgrade started as the supervisor, as the machine sees it (in a
    /// PID namespace of its own, the supervisor itself is 1): what names its job cgroups and
    /// spreads uid claims, as for a supervisor outside one.
    pub(super) machine_pid: Pid,
}

impl Entered {
    /// A supervisor that stays in the namespaces it was started in: for a job that runs no
    /// untrusted code (`cargo fetch`).
    pub(super) fn outside() -> Self {
        Self {
            power: if nix::unistd::geteuid().is_root() {
                Power::Root
            } else {
                Power::None
            },
            pid_namespace: false,
            refused: None,
            machine_pid: nix::unistd::getpid(),
        }
    }

    /// What this gives an isolated program, in the words of `Observation::containment`;
    /// `network_namespace` when it gets network and IPC namespaces of its own.
    pub(super) fn words(&self, network_namespace: bool) -> Vec<String> {
        let mut words = Vec::new();
        if self.pid_namespace {
            words.push("PID namespace: sees only its own processes".to_owned());
        }
        if self.power == Power::UserNamespace {
            words.push("user namespace of its own (not root)".to_owned());
        }
        words.extend(self.refused.clone());
        if network_namespace {
            words.push("network namespace".to_owned());
            words.push("IPC namespace".to_owned());
        } else if self.power == Power::None && self.refused.is_some() {
            words.push("no network namespace: no namespaces of its own".to_owned());
        }
        words
    }
}

/// Moves the supervisor into namespaces of its own. Returns [`Forked::Supervise`] in the
/// process that goes on to supervise (init of the new PID namespace, or the original process
/// when no namespace could be had), and [`Forked::Relayed`] in the original process of a
/// successful fork once the supervisor ended.
///
/// Must be called while the supervisor is single-threaded and with SIGCHLD, SIGINT, SIGTERM and
/// SIGHUP blocked, so that none is lost between the fork and the wait.
///
/// Fails only when the supervisor cannot go on: a namespace it entered cannot be set up.
pub(super) fn enter(root: bool, blocked: &SigSet) -> Result<Forked, (&'static str, Errno)> {
    let power = if root {
        Power::Root
    } else {
        match user_namespace_works() {
            Ok(()) => Power::UserNamespace,
            Err(reason) => {
                return Ok(Forked::Supervise(Entered {
                    power: Power::None,
                    pid_namespace: false,
                    refused: Some(format!("no namespaces of its own: {reason}")),
                    machine_pid: nix::unistd::getpid(),
                }));
            }
        }
    };
    let maps = Maps::new();
    let mut flags = CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWNS;
    if power == Power::UserNamespace {
        flags |= CloneFlags::CLONE_NEWUSER;
    }
    if let Err(error) = unshare(flags) {
        // Nothing changed: `unshare` makes all of them or none.
        return Ok(Forked::Supervise(Entered {
            power: if root { Power::Root } else { Power::None },
            pid_namespace: false,
            refused: Some(format!("no PID namespace: {}", error.desc())),
            machine_pid: nix::unistd::getpid(),
        }));
    }
    if power == Power::UserNamespace {
        // The trial succeeded a moment ago; if this fails now, the supervisor cannot go on.
        maps.write()
            .map_err(|errno| ("map its user namespace", errno))?;
    }
    // Closed by the original process's death: how init learns that its parent died before it
    // could ask for the parent-death signal.
    let (alive_read, alive_write) = pipe().map_err(|errno| ("make a pipe", errno))?;
    let machine_pid = nix::unistd::getpid();
    // SAFETY: the supervisor is single-threaded here (see above), so the child may do anything.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            drop(alive_write);
            watch_parent(&alive_read).map_err(|errno| ("outlive its parent", errno))?;
            // A process group of its own, led by a pid of the namespace: the group it inherited
            // is led from outside, which the program would see as group 0, and `killpg(0)`
            // of "its parent's group" would then kill the program's own group instead.
            nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0))
                .map_err(|errno| ("lead a process group", errno))?;
            Ok(Forked::Supervise(Entered {
                power,
                pid_namespace: true,
                refused: None,
                machine_pid,
            }))
        }
        Ok(ForkResult::Parent { child }) => {
            drop(alive_read);
            Ok(Forked::Relayed(relay(child, &alive_write, blocked)))
        }
        Err(errno) => Err(("fork into its PID namespace", errno)),
    }
}

/// Whether a user namespace in which a mount can be changed is to be had here: tried in a
/// child, which exits at once, since a process cannot leave a user namespace it entered. For
/// `labgrade doctor` too, so the child only makes system calls on data made before the fork.
pub(in crate::run) fn user_namespace_works() -> Result<(), String> {
    let maps = Maps::new();
    // SAFETY: the child only makes system calls (through nix's wrappers, on data made before
    // the fork, with paths copied to the stack) and leaves with `_exit`: sound even in a
    // multi-threaded process.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            let code = match unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS) {
                Err(_) => 2,
                Ok(()) => match maps.write() {
                    Err(_) => 3,
                    // A mount change needs the namespace's powers, which an AppArmor
                    // restriction of unprivileged user namespaces takes away.
                    Ok(()) => match nix::mount::mount(
                        None::<&str>,
                        "/",
                        None::<&str>,
                        nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_PRIVATE,
                        None::<&str>,
                    ) {
                        Err(_) => 4,
                        Ok(()) => 0,
                    },
                },
            };
            // SAFETY: `_exit` ends the child without running the parent's destructors.
            unsafe { nix::libc::_exit(code) }
        }
        Ok(ForkResult::Parent { child }) => match waitpid(child, None) {
            Ok(WaitStatus::Exited(_, 0)) => Ok(()),
            Ok(WaitStatus::Exited(_, 2)) => {
                Err("the kernel refuses unprivileged user namespaces".to_owned())
            }
            Ok(WaitStatus::Exited(_, 3)) => {
                Err("the kernel refuses to map the user into a user namespace".to_owned())
            }
            Ok(WaitStatus::Exited(_, 4)) => Err(
                "user namespaces are allowed but stripped of their powers (an AppArmor or \
                 SELinux restriction)"
                    .to_owned(),
            ),
            other => Err(format!("the trial of a user namespace ended {other:?}")),
        },
        Err(error) => Err(format!("cannot fork to try a user namespace: {error}")),
    }
}

/// The user and group mapped to themselves in a new user namespace: files keep their owner,
/// and the program runs as the user it would have run as. Made before a fork, written after.
struct Maps {
    uid: String,
    gid: String,
}

impl Maps {
    fn new() -> Self {
        let (uid, gid) = (getuid(), getgid());
        Self {
            uid: format!("{uid} {uid} 1\n"),
            gid: format!("{gid} {gid} 1\n"),
        }
    }

    /// Writes the maps of the calling process, `setgroups` denied first, as the kernel requires
    /// of an unprivileged group mapping. System calls only.
    fn write(&self) -> nix::Result<()> {
        write_file("/proc/self/setgroups", b"deny")?;
        write_file("/proc/self/uid_map", self.uid.as_bytes())?;
        write_file("/proc/self/gid_map", self.gid.as_bytes())
    }
}

/// Writes `bytes` to the file at `path` in one `write`.
fn write_file(path: &str, bytes: &[u8]) -> nix::Result<()> {
    let fd = nix::fcntl::open(
        path,
        nix::fcntl::OFlag::O_WRONLY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )?;
    let written = nix::unistd::write(&fd, bytes)?;
    if written == bytes.len() {
        Ok(())
    } else {
        Err(Errno::EIO)
    }
}

/// In init of the new namespace: dies with the original process (whose SIGTERM makes it kill
/// the program and exit), and fails now if that process is gone already.
fn watch_parent(alive: &OwnedFd) -> nix::Result<()> {
    prctl::set_pdeathsig(Signal::SIGTERM)?;
    let mut fds = [PollFd::new(alive.as_fd(), PollFlags::POLLIN)];
    if poll(&mut fds, PollTimeout::ZERO)? > 0 {
        return Err(Errno::ESRCH);
    }
    Ok(())
}

/// In the original process: forwards the termination signals of `blocked` (SIGINT, SIGTERM,
/// SIGHUP) to the supervisor in the namespace and ends as it ends, told by SIGCHLD: returns its
/// exit code, or dies by its signal. `_alive` is held open until then (see [`watch_parent`]).
fn relay(child: Pid, _alive: &OwnedFd, blocked: &SigSet) -> ExitCode {
    loop {
        match blocked.wait() {
            Ok(Signal::SIGCHLD) => loop {
                match waitpid(child, Some(WaitPidFlag::WNOHANG)) {
                    Ok(WaitStatus::Exited(_, code)) => {
                        return ExitCode::from(u8::try_from(code).unwrap_or(1));
                    }
                    Ok(WaitStatus::Signaled(_, signal, _)) => return end_by(signal),
                    Err(Errno::EINTR) => {}
                    Ok(_) => break,
                    Err(_) => return ExitCode::FAILURE,
                }
            },
            Ok(signal) => {
                let _ = kill(child, signal);
            }
            Err(_) => {}
        }
    }
}

/// Ends the calling process by `signal`, as the supervisor in the namespace ended; returns the
/// shell's code for it (128 + the signal) only if the signal does not end it.
fn end_by(signal: Signal) -> ExitCode {
    // SAFETY: resetting a disposition to the default installs no handler.
    let _ = unsafe { nix::sys::signal::signal(signal, nix::sys::signal::SigHandler::SigDfl) };
    let mut only = SigSet::empty();
    only.add(signal);
    let _ = sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&only), None);
    let _ = raise(signal);
    ExitCode::from(128_u8.saturating_add(u8::try_from(signal as i32).unwrap_or(0)))
}
