//! A check's `syscalls` and `short-reads`: the system calls it requires or forbids, in the words
//! of [`SYSCALL_FAMILIES`].

use toml::Spanned;

use crate::rubric::error::Problem;
use crate::rubric::model::{SYSCALL_FAMILIES, SyscallPattern, SyscallRule};
use crate::rubric::wire::{CheckWire, SyscallsWire};

use super::parse::Validator;
use super::suggest::strsim_closest;

impl Validator {
    /// `syscalls` and `short-reads`.
    pub(super) fn syscall_keys(&mut self, wire: &CheckWire) -> (Vec<SyscallRule>, bool) {
        let syscalls = wire
            .syscalls
            .as_ref()
            .map(|syscalls| self.syscalls(syscalls))
            .unwrap_or_default();
        let short_reads = wire
            .short_reads
            .as_ref()
            .is_some_and(|short| *short.get_ref());
        let sleeps = wire
            .census
            .as_ref()
            .and_then(|census| census.get_ref().sleeps.as_ref())
            .filter(|sleeps| *sleeps.get_ref());
        if let Some(sleeps) = sleeps
            && (!syscalls.is_empty() || short_reads)
        {
            // A task stopped at an observed call neither runs nor waits for a CPU: a spinning
            // program whose every `read` is stopped would look asleep.
            self.problems.push(
                Problem::new(Some(sleeps.span()), "`sleeps` cannot be judged in a check that observes system calls")
                    .help("the stops at each observed call make a spinning program look asleep: put `census = { sleeps = true }` in a check of its own, without `syscalls` or `short-reads`"),
            );
        }
        (syscalls, short_reads)
    }

    /// `syscalls = { require = [...], forbid = [...] }`: every pattern names a family of
    /// [`SYSCALL_FAMILIES`], optionally with details of it in parentheses, separated by `|`.
    fn syscalls(&mut self, wire: &Spanned<SyscallsWire>) -> Vec<SyscallRule> {
        let syscalls = wire.get_ref();
        if syscalls.require.is_empty()
            && syscalls.forbid.is_empty()
            && syscalls.per_message.is_empty()
        {
            self.problems.push(
                Problem::new(Some(wire.span()), "`syscalls` requires and forbids nothing")
                    .help("add `require = [\"pipe\"]` or `forbid = [\"pipe\"]`, or remove the key"),
            );
        }
        let mut rules = Vec::new();
        for (patterns, required, per_message) in [
            (&syscalls.require, true, false),
            (&syscalls.forbid, false, false),
            (&syscalls.per_message, true, true),
        ] {
            for pattern in patterns {
                // `poll(blocking) or epoll_wait(blocking)`: any of the alternatives.
                let parsed: Result<Vec<SyscallPattern>, _> = pattern
                    .get_ref()
                    .split(" or ")
                    .map(parse_syscall_pattern)
                    .collect();
                match parsed {
                    Ok(patterns) => rules.push(SyscallRule {
                        patterns,
                        required,
                        per_message,
                    }),
                    Err((message, help)) => self
                        .problems
                        .push(Problem::new(Some(pattern.span()), message).help(help)),
                }
            }
        }
        rules
    }
}

/// Parses `family` or `family(DETAIL|DETAIL)`; an error is a message and a help line.
fn parse_syscall_pattern(text: &str) -> Result<SyscallPattern, (String, String)> {
    let text = text.trim();
    let (family, details) = match text.split_once('(') {
        Some((family, rest)) => {
            let Some(inner) = rest.strip_suffix(')') else {
                return Err((
                    format!("`{text}` has no closing parenthesis"),
                    "write `family(DETAIL|DETAIL)`, such as `socketpair(SOCK_SEQPACKET|SOCK_DGRAM)`"
                        .to_owned(),
                ));
            };
            let details: Vec<String> = inner.split('|').map(|d| d.trim().to_owned()).collect();
            (family.trim(), details)
        }
        None => (text, Vec::new()),
    };
    let names: Vec<&str> = SYSCALL_FAMILIES.iter().map(|(name, _)| *name).collect();
    let Some((_, known)) = SYSCALL_FAMILIES.iter().find(|(name, _)| *name == family) else {
        let help = match strsim_closest(family, &names) {
            Some(close) => format!(
                "did you mean `{close}`? labgrade observes {}",
                names.join(", ")
            ),
            None => format!("labgrade observes {}", names.join(", ")),
        };
        return Err((
            format!("`{family}` is not a system call labgrade observes"),
            help,
        ));
    };
    for detail in &details {
        if !known.contains(&detail.as_str()) {
            let help = if known.is_empty() {
                format!("`{family}` takes no detail: write `{family}`")
            } else {
                format!("`{family}` takes {}", known.join(", "))
            };
            return Err((format!("`{detail}` is not a detail of `{family}`"), help));
        }
    }
    Ok(SyscallPattern {
        family: family.to_owned(),
        details,
    })
}
