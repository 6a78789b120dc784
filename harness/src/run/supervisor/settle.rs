//! Settling the supervisor before the program starts: its signal mask and signalfd, its
//! namespaces, a `/proc` of its own PID namespace, and the subreaper flag.

use std::process::ExitCode;

use nix::errno::Errno;
use nix::sched::{CloneFlags, unshare};
use nix::sys::prctl;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::getpid;

use super::namespaces;
use super::protocol::SuperviseError;

/// Which process [`settle`] returns in.
pub(super) enum Settled {
    /// The one that supervises, in its namespaces, with its signalfd.
    Supervise(namespaces::Entered, SignalFd),
    /// The original process, whose supervisor in the namespaces ended with this code.
    Relayed(ExitCode),
}

/// Settles the supervisor before it starts the program: signals blocked, namespaces of its own
/// for an `isolated` program (see [`namespaces::enter`]), a `/proc` of its PID namespace, the
/// subreaper flag and the signalfd.
pub(super) fn settle(root: bool, isolated: bool) -> Result<Settled, SuperviseError> {
    let mask = block_signals()?;
    let entered = if isolated {
        match namespaces::enter(root, &mask)
            .map_err(|(what, source)| SuperviseError::Setup { what, source })?
        {
            namespaces::Forked::Supervise(entered) => entered,
            namespaces::Forked::Relayed(code) => return Ok(Settled::Relayed(code)),
        }
    } else {
        namespaces::Entered::outside()
    };
    own_proc()?;
    // Orphans of the program become our children instead of PID 1's, which reaps them only
    // seconds later; that is how escaped processes are found and killed. (Init of a PID
    // namespace of its own is their reaper anyway.)
    prctl::set_child_subreaper(true).map_err(|source| SuperviseError::Setup {
        what: "become a child subreaper",
        source,
    })?;
    Ok(Settled::Supervise(entered, signal_fd(&mask)?))
}

/// Blocks the signals the supervisor reads from its signalfd (see [`signal_fd`]): SIGCHLD so
/// that `poll` wakes up the moment a child ends, the others so that an interrupted run kills
/// the program before the supervisor goes. The mask is set rather than added to, so that blocks
/// inherited from whoever started the supervisor do not linger. Blocked before the supervisor
/// forks into its namespaces, so that none is lost in between.
fn block_signals() -> Result<SigSet, SuperviseError> {
    let mut signals = SigSet::empty();
    for signal in [
        Signal::SIGCHLD,
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
    ] {
        signals.add(signal);
    }
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(&signals), None).map_err(|source| {
        SuperviseError::Setup {
            what: "set the signal mask",
            source,
        }
    })?;
    Ok(signals)
}

/// The signalfd from which the supervisor reads the signals of `mask`, blocked already.
fn signal_fd(mask: &SigSet) -> Result<SignalFd, SuperviseError> {
    SignalFd::with_flags(mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC).map_err(|source| {
        SuperviseError::Setup {
            what: "create a signalfd",
            source,
        }
    })
}

/// Makes sure `/proc` is that of our own PID namespace. Everything that reads it (the leftover
/// hunt, the census, the cgroup layout) names processes by pid, and a `/proc` mounted for
/// another namespace (as after a bare `unshare --pid --fork`, or after the supervisor made its
/// own: see [`namespaces`]) would have it kill and count strangers. Root, or a supervisor in a
/// user namespace of its own, mounts a fresh one in a private mount namespace of the
/// supervisor's own; anyone else is told how to get one.
fn own_proc() -> Result<(), SuperviseError> {
    let me = getpid().as_raw();
    let seen = || {
        std::fs::read_link("/proc/self")
            .map(|link| link.display().to_string())
            .unwrap_or_default()
    };
    if seen() == me.to_string() {
        return Ok(());
    }
    // Without the power to mount (EPERM), the refusal below says what to do.
    let mounted = unshare(CloneFlags::CLONE_NEWNS).and_then(|()| {
        nix::mount::mount(
            None::<&str>,
            "/",
            None::<&str>,
            nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_PRIVATE,
            None::<&str>,
        )?;
        nix::mount::mount(
            Some("proc"),
            "/proc",
            Some("proc"),
            nix::mount::MsFlags::MS_NOSUID
                | nix::mount::MsFlags::MS_NODEV
                | nix::mount::MsFlags::MS_NOEXEC,
            None::<&str>,
        )
    });
    match mounted {
        Ok(()) if seen() == me.to_string() => return Ok(()),
        Ok(()) | Err(Errno::EPERM) => {}
        Err(source) => {
            return Err(SuperviseError::Setup {
                what: "mount a /proc of our PID namespace",
                source,
            });
        }
    }
    Err(SuperviseError::ForeignProc {
        ours: me,
        theirs: seen(),
    })
}
