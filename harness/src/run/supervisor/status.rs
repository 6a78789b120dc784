//! Decoding a raw wait status into a [`Termination`].

use nix::libc;
use nix::sys::signal::Signal;

use crate::run::job::Termination;

/// Decodes a raw wait status of a process that ended.
pub(super) fn decode(status: i32) -> Termination {
    if libc::WIFSIGNALED(status) {
        let signal = libc::WTERMSIG(status);
        Termination::Signaled {
            signal,
            name: signal_name(signal),
            core_dumped: libc::WCOREDUMP(status),
            cpu_limit_s: None,
        }
    } else {
        // Without WUNTRACED or WCONTINUED, `waitpid` reports only exits and deaths by signal.
        Termination::Exited {
            code: libc::WEXITSTATUS(status),
        }
    }
}

/// The conventional name of a signal, such as `SIGSEGV` or `SIGRTMIN+3`.
fn signal_name(signal: i32) -> String {
    if let Ok(known) = Signal::try_from(signal) {
        return known.as_str().to_owned();
    }
    let (min, max) = (libc::SIGRTMIN(), libc::SIGRTMAX());
    if (min..=max).contains(&signal) {
        format!("SIGRTMIN+{}", signal - min)
    } else {
        format!("signal {signal}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_time_signals_have_names() {
        assert_eq!(signal_name(libc::SIGSEGV), "SIGSEGV");
        assert_eq!(signal_name(libc::SIGRTMIN() + 2), "SIGRTMIN+2");
    }
}
