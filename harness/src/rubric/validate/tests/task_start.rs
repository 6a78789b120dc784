//! Tests of the keys that decide when new tasks start.

use super::*;

#[test]
fn hold_until_waited_takes_an_order_and_excludes_the_other_holds() {
    let rubric = parse_ok(&with_check("hold-until-waited = \"newest-first\"\n"));
    let check = &rubric.checks[0];
    assert!(check.traced());
    assert_eq!(
        check.runs.task_start,
        Some(TaskStart::HoldUntilWaited(HoldOrder::NewestFirst))
    );
    let rubric = parse_ok(&with_check("hold-until-waited = \"oldest-first\"\n"));
    assert_eq!(
        rubric.checks[0].runs.task_start,
        Some(TaskStart::HoldUntilWaited(HoldOrder::OldestFirst))
    );
    let (at, message, help) = problem(&with_check("hold-until-waited = \"first\"\n"));
    assert_eq!(at.0, 10);
    assert_eq!(message, "`hold-until-waited = \"first\"` is not an order");
    assert!(help.is_some_and(|help| help.contains("newest-first")));
    let (_, message, _) = problem(&with_check(
        "hold-until-waited = \"newest-first\"\nperturb = true\n",
    ));
    assert_eq!(
        message,
        "`hold-until-waited` and `perturb` both decide when new tasks start"
    );
    let (_, message, _) = problem(&with_check(
        "hold-until-waited = \"oldest-first\"\nstart-together = true\n",
    ));
    assert_eq!(
        message,
        "`hold-until-waited` and `start-together` both decide when new tasks start"
    );
}

#[test]
fn overlap_needs_start_together_and_start_together_excludes_perturb() {
    let (at, message, help) = problem(&with_check("census = { threads = 2, overlap = true }\n"));
    assert_eq!(at, (10, 35));
    assert_eq!(message, "`overlap = true` needs `start-together = true`");
    assert!(help.is_some_and(|help| help.contains("start-together = true")));
    let (at, message, _) = problem(&with_check("start-together = true\nperturb = true\n"));
    assert_eq!(at, (10, 18));
    assert_eq!(
        message,
        "`start-together` and `perturb` both decide when new tasks start"
    );
    let (at, message, _) = problem(&with_check("start-together = false\n"));
    assert_eq!(at, (10, 18));
    assert_eq!(message, "`start-together = false` asks for nothing");
    let (_, message, _) = problem(&with_check(
        "start-together = true\ncensus = { overlap = false }\n",
    ));
    assert_eq!(message, "`overlap = false` asks for nothing");
    let rubric = parse_ok(&with_check(
        "start-together = true\ncensus = { threads = 2, overlap = true }\n",
    ));
    let check = &rubric.checks[0];
    assert!(check.traced());
    assert_eq!(
        check.runs.task_start,
        Some(TaskStart::StartTogether {
            quiet: START_TOGETHER_QUIET,
            separate_cores: false
        })
    );
    assert_eq!(check.rules.census[1].count, CensusCount::Overlap);
}

#[test]
fn separate_cores_needs_start_together() {
    let (at, message, help) = problem(&with_check("separate-cores = true\n"));
    assert_eq!(at, (10, 18));
    assert_eq!(
        message,
        "`separate-cores = true` needs `start-together = true`"
    );
    assert!(help.is_some_and(|help| help.contains("start-together = true")));
    let (_, message, _) = problem(&with_check(
        "start-together = true\nseparate-cores = false\n",
    ));
    assert_eq!(message, "`separate-cores = false` asks for nothing");
    let rubric = parse_ok(&with_check(
        "start-together = true\nseparate-cores = true\n",
    ));
    assert!(matches!(
        rubric.checks[0].runs.task_start,
        Some(TaskStart::StartTogether {
            separate_cores: true,
            ..
        })
    ));
}
