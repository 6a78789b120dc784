//! The rule on how the program ended (`expect`): an exit code or a signal.

use std::collections::BTreeMap;

use super::super::model::{Failure, FailureKind};
use crate::rubric::Expect;
use crate::run::Termination;

/// Whether `termination` breaks `expect`; `text` is the termination in words, as reported.
pub(super) fn termination_failure(
    expect: &Expect,
    termination: &Termination,
    text: &str,
    vars: &BTreeMap<String, String>,
) -> Option<Failure> {
    let holds = match (expect, termination) {
        (Expect::Exit(expected), Termination::Exited { code }) => expected == code,
        (Expect::ExitOf(expected), Termination::Exited { code }) => {
            expected.render(vars).trim().parse() == Ok(*code)
        }
        (Expect::NonZeroExit, Termination::Exited { code }) => *code != 0,
        (Expect::Signal(expected, _), Termination::Signaled { signal, .. }) => expected == signal,
        (Expect::AnyExit, Termination::Exited { .. })
        | (Expect::AnySignal, Termination::Signaled { .. }) => true,
        (Expect::SignalOf(expected), Termination::Signaled { signal, .. }) => {
            labgrade_support::signal_number(expected.render(vars).trim()) == Some(*signal)
        }
        _ => false,
    };
    (!holds).then(|| Failure {
        what: FailureKind::Termination,
        expected: format!("the program to {}", expect.describe(vars)),
        actual: match termination {
            Termination::Exited { .. } => format!("it {text}"),
            _ => format!("it was {text}"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::evaluate::fixtures::*;

    #[test]
    fn exit_code_must_match_exactly() {
        let check = parse_check("expect = { exit = 3 }\n");
        let case = grade(&check, exited(3, ""));
        assert!(case.passed, "{:?}", case.failures);
        assert!(case.failures.is_empty());
        assert_eq!(case.name, "default");
        assert_eq!(case.observed.termination_text, "exited with code 3");

        for code in [0, 1, 4, 255] {
            let case = grade(&check, exited(code, ""));
            assert!(
                !case.passed,
                "exit code {code} passed an `exit = 3` expectation"
            );
            let actual = format!("it exited with code {code}");
            assert_eq!(
                failures(&case),
                [(
                    "termination",
                    "the program to exit with code 3",
                    actual.as_str()
                )]
            );
        }
    }

    #[test]
    fn exit_zero_is_the_default_expectation() {
        let check = parse_check("");
        assert_eq!(check.rules.expect, Expect::Exit(0));
        assert!(grade(&check, exited(0, "")).passed);
        assert!(!grade(&check, exited(1, "")).passed);
    }

    #[test]
    fn nonzero_means_any_exit_code_but_zero() {
        let check = parse_check("expect = { exit = \"nonzero\" }\n");
        for code in [1, 2, 101, 255] {
            assert!(
                grade(&check, exited(code, "")).passed,
                "exit code {code} is non-zero"
            );
        }
        let case = grade(&check, exited(0, ""));
        assert_eq!(
            failures(&case),
            [(
                "termination",
                "the program to exit with a non-zero code",
                "it exited with code 0"
            )]
        );
        // A crash is not an exit "by itself".
        assert!(!grade(&check, signaled(11, "SIGSEGV")).passed);
    }

    #[test]
    fn expected_signal_is_met_only_by_that_signal() {
        let check = parse_check("expect = { signal = \"SIGSEGV\" }\n");
        let case = grade(&check, signaled(11, "SIGSEGV"));
        assert!(case.passed, "{:?}", case.failures);

        let case = grade(&check, signaled(6, "SIGABRT"));
        assert_eq!(
            failures(&case),
            [(
                "termination",
                "the program to be killed by signal SIGSEGV (11)",
                "it was killed by signal SIGABRT (6)"
            )]
        );
        // Exiting with the code a shell would show for a SIGSEGV death is not a SIGSEGV death.
        assert!(!grade(&check, exited(139, "")).passed);
        assert!(!grade(&check, exited(0, "")).passed);
    }

    #[test]
    fn a_crash_fails_an_exit_expectation() {
        let check = parse_check("");
        let case = grade(&check, signaled(11, "SIGSEGV"));
        assert!(!case.passed);
        assert_eq!(
            failures(&case),
            [(
                "termination",
                "the program to exit with code 0",
                "it was killed by signal SIGSEGV (11)"
            )]
        );
    }

    #[test]
    fn timing_out_never_meets_an_expectation() {
        for expect in [
            "expect = { exit = 0 }\n",
            "expect = { exit = \"nonzero\" }\n",
            "expect = { signal = \"SIGKILL\" }\n",
            "expect = { signal = \"SIGTERM\" }\n",
        ] {
            let check = parse_check(expect);
            let case = grade(&check, timed_out());
            assert!(!case.passed, "a timed-out run met `{expect}`");
            assert_eq!(case.failures.len(), 1);
            assert_eq!(case.failures[0].what, FailureKind::Termination);
            assert_eq!(
                case.failures[0].actual,
                "it was still running after the time limit of 5s, so labgrade killed it (it had used 4.90 s of CPU: busy)"
            );
        }
    }

    #[test]
    fn any_signal_is_met_by_every_signal_but_not_by_an_exit_or_a_timeout() {
        let check = parse_check("expect = { signal = \"any\" }\n");
        assert!(grade(&check, signaled(6, "SIGABRT")).passed);
        assert!(grade(&check, signaled(11, "SIGSEGV")).passed);
        let exited = grade(&check, exited(0, ""));
        assert!(!exited.passed);
        assert_eq!(
            exited.failures[0].expected,
            "the program to be killed by a signal"
        );
        assert!(!grade(&check, timed_out()).passed);
    }

    #[test]
    fn any_exit_takes_every_code_but_no_signal_or_timeout() {
        let vars = BTreeMap::new();
        for code in [0, 1, 42] {
            let exited = Termination::Exited { code };
            assert!(termination_failure(&Expect::AnyExit, &exited, "exited", &vars).is_none());
        }
        let killed = Termination::Signaled {
            signal: 11,
            name: "SIGSEGV".to_owned(),
            core_dumped: false,
            cpu_limit_s: None,
        };
        let failure = termination_failure(&Expect::AnyExit, &killed, "killed by SIGSEGV", &vars)
            .expect("a signal is not an exit");
        assert_eq!(
            failure.expected,
            "the program to exit by itself, with any code"
        );
    }
}
