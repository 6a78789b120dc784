//! How a process must end.

use std::collections::BTreeMap;

use crate::rubric::template::Template;

/// How a process must end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Exit with exactly this code.
    Exit(i32),
    /// Exit by itself with any code but 0.
    NonZeroExit,
    /// Exit by itself with any code, 0 included (`exit = "any"`): for a check that grades what
    /// the program printed, when how it exits is another check's requirement. Being killed by
    /// a signal or running past the time limit is not exiting.
    AnyExit,
    /// Be killed by this signal (number and name).
    Signal(i32, String),
    /// Be killed by a signal, whichever (`signal = "any"`): the runtime's choice, such as
    /// SIGSEGV or SIGABRT for a stack overflow, is not the student's. A timeout is not one.
    AnySignal,
    /// Exit with the code a placeholder gives, such as `{fault_exit_code}`.
    ExitOf(Template),
    /// Be killed by the signal a placeholder gives, such as `{fault_signal}`.
    SignalOf(Template),
}

impl Expect {
    /// The expectation in plain words, with placeholders filled in from `vars`.
    #[must_use]
    pub fn describe(&self, vars: &BTreeMap<String, String>) -> String {
        match self {
            Self::Exit(code) => format!("exit with code {code}"),
            Self::NonZeroExit => "exit with a non-zero code".to_owned(),
            Self::AnyExit => "exit by itself, with any code".to_owned(),
            Self::Signal(number, name) => format!("be killed by signal {name} ({number})"),
            Self::AnySignal => "be killed by a signal".to_owned(),
            Self::ExitOf(code) => format!("exit with code {}", code.render(vars)),
            Self::SignalOf(signal) => format!("be killed by signal {}", signal.render(vars)),
        }
    }
}
