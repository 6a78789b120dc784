//! Tests of `expect`.

use super::*;

#[test]
fn expect_needs_exactly_one_of_exit_and_signal() {
    let help = Some("for example `expect = { exit = 0 }` or `expect = { signal = \"SIGSEGV\" }`");
    assert_eq!(
        problem(&with_check("expect = { exit = 0, signal = \"SIGSEGV\" }\n")),
        found(
            10,
            10,
            "`expect` needs exactly one of `exit` and `signal`",
            help
        )
    );
    assert_eq!(
        problem(&with_check("expect = {}\n")),
        found(
            10,
            10,
            "`expect` needs exactly one of `exit` and `signal`",
            help
        )
    );
}

#[test]
fn expect_accepts_exit_codes_and_signal_names() {
    let expect_of = |value: &str| {
        parse_ok(&with_check(&format!("expect = {value}\n"))).checks[0]
            .rules
            .expect
            .clone()
    };
    let segv = Expect::Signal(11, "SIGSEGV".to_owned());
    assert_eq!(expect_of("{ signal = \"segv\" }"), segv);
    assert_eq!(expect_of("{ signal = \"SIGSEGV\" }"), segv);
    assert_eq!(expect_of("{ signal = \"SegV\" }"), segv);
    assert_eq!(
        expect_of("{ signal = \"sigkill\" }"),
        Expect::Signal(9, "SIGKILL".to_owned())
    );
    assert_eq!(expect_of("{ exit = 3 }"), Expect::Exit(3));
    assert_eq!(expect_of("{ exit = 255 }"), Expect::Exit(255));
    assert_eq!(expect_of("{ exit = \"nonzero\" }"), Expect::NonZeroExit);
    assert_eq!(expect_of("{ exit = \"any\" }"), Expect::AnyExit);
    assert_eq!(expect_of("{ signal = \"any\" }"), Expect::AnySignal);
}

#[test]
fn bad_exit_codes_and_signal_names_are_reported() {
    let exit_help = Some("use a code from 0 to 255, `\"nonzero\"` or `\"any\"`");
    assert_eq!(
        problem(&with_check("expect = { exit = 256 }\n")),
        found(10, 19, "`256` is not an exit code", exit_help)
    );
    assert_eq!(
        problem(&with_check("expect = { exit = -1 }\n")),
        found(10, 19, "`-1` is not an exit code", exit_help)
    );
    assert_eq!(
        problem(&with_check("expect = { exit = \"zero\" }\n")),
        found(10, 19, "`zero` is not an exit code", exit_help)
    );
    assert_eq!(
        problem(&with_check("expect = { signal = \"SIGNOPE\" }\n")),
        found(
            10,
            21,
            "`SIGNOPE` is not a signal name",
            Some("use a name from `kill -l`, such as `SIGSEGV`, or `\"any\"`")
        )
    );
}
