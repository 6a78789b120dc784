//! For both sides: the faults the harness injects into a worker (it writes [`FAULT_VAR`] with
//! [`Fault::to_env`]) and [`fault_point`], where a program's worker suffers them.

/// Environment variable with the fault the harness injects: `worker=<index>,signal=<NAME>` or
/// `worker=<index>,exit=<code>`.
pub const FAULT_VAR: &str = "LABGRADE_FAULT";

/// What an injected fault does to its worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// The worker is killed by this signal (its number).
    Signal(i32),
    /// The worker's process exits with this code.
    Exit(i32),
}

/// A fault the harness asks one worker to suffer, so that a program's handling of a crashed
/// worker can be graded without a buggy worker written into the exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// Index of the worker (0 for the first) that suffers it.
    pub worker: usize,
    /// What happens to it.
    pub action: FaultAction,
}

impl Fault {
    /// The fault in [`FAULT_VAR`], if any; a malformed value is an error naming it.
    pub fn from_env() -> Result<Option<Self>, String> {
        match std::env::var(FAULT_VAR) {
            Ok(text) => Self::parse(&text).map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Parses `worker=<index>,signal=<NAME or number>` or `worker=<index>,exit=<code>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{FAULT_VAR}` must look like `worker=1,signal=SIGSEGV` or `worker=1,exit=3`, got `{text}`"
            )
        };
        let mut worker = None;
        let mut action = None;
        for part in text.split(',') {
            let (key, value) = part.split_once('=').ok_or_else(bad)?;
            match key.trim() {
                "worker" => worker = Some(value.trim().parse().map_err(|_| bad())?),
                "signal" => {
                    action = Some(FaultAction::Signal(
                        signal_number(value.trim()).ok_or_else(bad)?,
                    ))
                }
                "exit" => {
                    action = Some(FaultAction::Exit(value.trim().parse().map_err(|_| bad())?))
                }
                _ => return Err(bad()),
            }
        }
        Ok(Self {
            worker: worker.ok_or_else(bad)?,
            action: action.ok_or_else(bad)?,
        })
    }

    /// The value of [`FAULT_VAR`] that asks for this fault.
    #[must_use]
    pub fn to_env(&self) -> String {
        match self.action {
            FaultAction::Signal(signal) => format!("worker={},signal={signal}", self.worker),
            FaultAction::Exit(code) => format!("worker={},exit={code}", self.worker),
        }
    }
}

/// The number of a signal given by name (`SIGSEGV`, `SEGV`) or number (`11`).
#[must_use]
pub fn signal_number(name: &str) -> Option<i32> {
    if let Ok(number) = name.parse() {
        return Some(number);
    }
    let upper = name.to_ascii_uppercase();
    let full = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    full.parse::<nix::sys::signal::Signal>()
        .ok()
        .map(|signal| signal as i32)
}

/// Called by worker `worker` when it starts: if the harness injected a fault for this worker,
/// the fault happens here (the worker dies by the signal, or its process exits with the code).
///
/// Every exercise's workers call it, so a grader can crash any worker it likes. It does nothing
/// when [`FAULT_VAR`] is not set, so the program behaves as the lab's does.
pub fn fault_point(worker: usize) {
    let Ok(Some(fault)) = Fault::from_env() else {
        return;
    };
    if fault.worker != worker {
        return;
    }
    match fault.action {
        FaultAction::Signal(number) => {
            if let Ok(signal) = nix::sys::signal::Signal::try_from(number) {
                // Restore the default action first, so a handler the program installed cannot
                // turn the injected crash into something else.
                // SAFETY: SIG_DFL is always a valid disposition.
                let _ = unsafe {
                    nix::sys::signal::signal(signal, nix::sys::signal::SigHandler::SigDfl)
                };
                let _ = nix::sys::signal::raise(signal);
                // A signal whose default action is to ignore or stop falls through; make the
                // fault fatal anyway so the worker never carries on as if nothing happened.
                let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
            }
        }
        FaultAction::Exit(code) => {
            // Exit without unwinding or running destructors, like a C worker calling `exit`.
            // SAFETY: `_exit` ends the process at once and has no preconditions.
            unsafe { nix::libc::_exit(code) };
        }
    }
}
