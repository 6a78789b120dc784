//! A child that dies with its parent: what every process labgrade forks asks for before `exec`.

/// In a child between `fork` and `exec`: asks for `signal` when `parent` (the process that
/// forked it) dies, and fails with `ESRCH` if `parent` is already gone, since the signal would
/// then never come. Async-signal-safe: two system calls.
pub(super) fn die_with_parent(
    parent: nix::unistd::Pid,
    signal: nix::sys::signal::Signal,
) -> std::io::Result<()> {
    nix::sys::prctl::set_pdeathsig(signal)?;
    if nix::unistd::getppid() == parent {
        Ok(())
    } else {
        Err(nix::errno::Errno::ESRCH.into())
    }
}
