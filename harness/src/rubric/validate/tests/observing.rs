//! Tests of the census keys and of the system calls observed with them.

use super::*;

#[test]
fn sleeps_is_never_judged_with_observed_system_calls() {
    let found = problem(&with_check(
        "census = { sleeps = true }\nsyscalls = { require = [\"pipe\"] }\n",
    ));
    assert_eq!(
        (found.0, found.1.as_str()),
        (
            (10, 21),
            "`sleeps` cannot be judged in a check that observes system calls"
        )
    );
    let rubric = parse_ok(&with_check("census = { sleeps = true }\n"));
    assert!(rubric.checks[0].traced());
}

#[test]
fn stacks_take_bytes_and_printed_stacks_a_true() {
    let rubric = parse_ok(&with_check(
        "cases = { kib = [256] }\ncensus = { stacks = \"{kib}\", printed-stacks = true }\n",
    ));
    let census = &rubric.checks[0].rules.census;
    assert_eq!(census[0].count, CensusCount::Stacks);
    assert_eq!(census[0].expected.source(), "{kib}");
    assert_eq!(census[1].count, CensusCount::PrintedStacks);
    let (at, message, _) = problem(&with_check("census = { printed-stacks = false }\n"));
    assert_eq!(at, (10, 29));
    assert_eq!(message, "`printed-stacks = false` asks for nothing");
}

#[test]
fn closed_ends_records_descriptors_and_socket_pairs() {
    let rubric = parse_ok(&with_check("census = { closed-ends = true }\n"));
    let check = &rubric.checks[0];
    assert_eq!(check.rules.census[0].count, CensusCount::ClosedEnds);
    // Which two sockets make a pair is learnt at the `socketpair` call.
    assert!(check.traced() && check.observes_syscalls() && check.rules.wants_descriptors());
    let plain = parse_ok(&with_check("census = { children = 1 }\n"));
    assert!(!plain.checks[0].rules.wants_descriptors());
    assert_ne!(check.invocation(), plain.checks[0].invocation());
    let (at, message, _) = problem(&with_check("census = { closed-ends = false }\n"));
    assert_eq!(at, (10, 26));
    assert_eq!(message, "`closed-ends = false` asks for nothing");
}

#[test]
fn ipc_removed_records_the_objects_left() {
    let rubric = parse_ok(&with_check("census = { ipc-removed = true }\n"));
    let check = &rubric.checks[0];
    assert_eq!(check.rules.census[0].count, CensusCount::IpcRemoved);
    assert!(check.traced() && check.rules.wants_ipc_objects());
    assert!(!check.observes_syscalls() && !check.rules.wants_descriptors());
    let (_, message, _) = problem(&with_check("census = { ipc-removed = false }\n"));
    assert_eq!(message, "`ipc-removed = false` asks for nothing");
}
