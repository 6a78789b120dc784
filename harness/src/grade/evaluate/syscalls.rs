//! The rules on system calls (`syscalls`): required, forbidden, or one per message.

use std::collections::BTreeMap;

use super::super::model::{Failure, FailureKind};
use super::super::oracle;
use crate::rubric::{Rules, SyscallRule};
use crate::run::Observation;

/// The system calls a check requires or forbids, against what the tracer counted.
pub(super) fn syscall_failures(
    rules: &Rules,
    env: &BTreeMap<String, String>,
    observation: &Observation,
    failures: &mut Vec<Failure>,
) {
    if rules.syscalls.is_empty() {
        return;
    }
    let Some(counts) = observation
        .census
        .as_ref()
        .and_then(|census| census.syscalls.as_ref())
    else {
        failures.push(Failure {
            what: FailureKind::SystemCalls,
            expected: "the program's system calls to be observed".to_owned(),
            actual: "they were not observed (labgrade observes them on x86-64 Linux only)"
                .to_owned(),
        });
        return;
    };
    let seen = |rule: &SyscallRule| -> Vec<String> {
        counts
            .iter()
            .filter(|(name, count)| **count > 0 && rule.matches(name))
            .map(|(name, count)| format!("{name} ×{count}"))
            .collect()
    };
    let observed = || {
        let all: Vec<String> = counts
            .iter()
            .filter(|(name, _)| name.as_str() != "read")
            .map(|(name, count)| format!("{name} ×{count}"))
            .collect();
        if all.is_empty() {
            "it made none of the IPC calls labgrade observes".to_owned()
        } else {
            format!("it made {}", all.join(", "))
        }
    };
    for rule in &rules.syscalls {
        let made = seen(rule);
        if rule.per_message {
            if let Some(failure) = per_message_failure(rule, env, counts) {
                failures.push(failure);
            }
        } else if rule.required && made.is_empty() {
            failures.push(Failure {
                what: FailureKind::SystemCalls,
                expected: format!("a call to {rule}"),
                actual: observed(),
            });
        } else if !rule.required && !made.is_empty() {
            failures.push(Failure {
                what: FailureKind::SystemCalls,
                expected: format!("no call to {rule}"),
                actual: format!("it made {}", made.join(", ")),
            });
        }
    }
}

/// Why the calls a `per-message` rule matches are not one per message of the run (or one
/// more, which ends the series), if they are not.
fn per_message_failure(
    rule: &SyscallRule,
    env: &BTreeMap<String, String>,
    counts: &BTreeMap<String, u64>,
) -> Option<Failure> {
    let messages = match oracle::ipc_message_count(env) {
        Ok(messages) => messages as u64,
        Err(reason) => {
            return Some(Failure {
                what: FailureKind::SystemCalls,
                expected: format!("one call to {rule} per message"),
                actual: format!("the messages could not be counted: {reason}"),
            });
        }
    };
    let made: u64 = counts
        .iter()
        .filter(|(name, _)| rule.matches(name))
        .map(|(_, count)| count)
        .sum();
    (made != messages && made != messages + 1).then(|| Failure {
        what: FailureKind::SystemCalls,
        expected: format!(
            "one call to {rule} per message: {messages} for the {messages} messages, or {} with one that ends the series",
            messages + 1
        ),
        actual: format!("it made {made}"),
    })
}

#[cfg(test)]
mod tests {
    use crate::grade::evaluate::case::evaluate_case;
    use crate::grade::evaluate::fixtures::*;

    #[test]
    fn syscalls_are_required_and_forbidden_by_pattern() {
        let check = parse_check(
            "syscalls = { require = [\"socketpair(SOCK_SEQPACKET|SOCK_DGRAM)\"], forbid = [\"pipe\"] }\n",
        );
        assert!(check.traced() && check.observes_syscalls());
        let with_calls = |calls: &[(&str, u64)]| {
            let mut observation = exited(0, "");
            observation.census = Some(crate::run::Census {
                syscalls: Some(
                    calls
                        .iter()
                        .map(|(name, count)| ((*name).to_owned(), *count))
                        .collect(),
                ),
                ..crate::run::Census::default()
            });
            observation
        };
        assert!(
            grade(
                &check,
                with_calls(&[("socketpair(SOCK_DGRAM)", 1), ("read", 9)])
            )
            .passed
        );
        assert!(grade(&check, with_calls(&[("socketpair(SOCK_SEQPACKET)", 1)])).passed);
        let case = grade(
            &check,
            with_calls(&[("socketpair(SOCK_STREAM)", 1), ("pipe", 2)]),
        );
        assert_eq!(
            failures(&case),
            [
                (
                    "system calls",
                    "a call to socketpair(SOCK_SEQPACKET|SOCK_DGRAM)",
                    "it made pipe ×2, socketpair(SOCK_STREAM) ×1"
                ),
                ("system calls", "no call to pipe", "it made pipe ×2"),
            ]
        );
        let case = grade(&check, exited(0, ""));
        assert_eq!(failures(&case)[0].0, "system calls");
        assert!(failures(&case)[0].2.contains("not observed"));
    }

    /// `per-message`: as many matching calls as the seed's messages, or one more.
    #[test]
    fn per_message_calls_are_counted_against_the_messages() {
        let check = parse_check("syscalls = { per-message = [\"send(data)\"] }\n");
        let messages = labgrade_support::ipc_messages(5).len() as u64;
        let sends = |count: u64| {
            let mut observation = exited(0, "");
            observation.census = Some(crate::run::Census {
                syscalls: Some(
                    [
                        ("send(data)".to_owned(), count),
                        ("send(empty)".to_owned(), 1),
                    ]
                    .into_iter()
                    .collect(),
                ),
                ..crate::run::Census::default()
            });
            evaluate_case(
                &check,
                "default",
                replay_recipe(&[], &[("LABGRADE_SEED", "5")]),
                observation,
            )
        };
        assert!(sends(messages).passed);
        assert!(sends(messages + 1).passed);
        for wrong in [messages - 1, messages + 2, 3 * messages] {
            let case = sends(wrong);
            let actual = format!("it made {wrong}");
            assert_eq!(
                failures(&case),
                [(
                    "system calls",
                    format!(
                        "one call to send(data) per message: {messages} for the {messages} messages, or {} with one that ends the series",
                        messages + 1
                    )
                    .as_str(),
                    actual.as_str()
                )]
            );
        }
    }
}
