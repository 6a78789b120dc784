//! Seeds: one per grading run, and from it one per case, so that a run can be replayed exactly.

use std::collections::BTreeMap;

use labgrade_support::{Fault, FaultAction, splitmix64};

use crate::rubric::FaultPlan;

/// The seed of one case, derived from the run's seed, the check id and the case name.
///
/// Cases get different inputs, so a program cannot pass one case by repeating another's
/// answer, and the same run seed always gives the same case seeds.
#[must_use]
pub fn case_seed(run_seed: u64, check_id: &str, case_name: &str) -> u64 {
    // FNV-1a over the names, then one SplitMix64 step to spread the bits.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in check_id.bytes().chain([0]).chain(case_name.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let mut state = run_seed ^ hash;
    splitmix64(&mut state)
}

/// The seed of run `repetition` (from 0) of a case of a check that runs each case `repeat`
/// times: a single run keeps the case's own seed; repeated runs each get their own, that of
/// `<case>#<repetition>`.
#[must_use]
pub fn run_seed(
    run_seed: u64,
    check_id: &str,
    case_name: &str,
    repetition: u32,
    repeat: u32,
) -> u64 {
    if repeat == 1 {
        case_seed(run_seed, check_id, case_name)
    } else {
        case_seed(run_seed, check_id, &format!("{case_name}#{repetition}"))
    }
}

/// Draws the fault of one run from its seed: which worker, and which action; returns it with
/// the values of the `fault_*` placeholders.
pub fn draw_fault(
    plan: &FaultPlan,
    vars: &BTreeMap<String, String>,
    seed: u64,
) -> Result<(Fault, BTreeMap<String, String>), String> {
    let count_text = plan.worker_count.render(vars);
    let workers: usize = count_text
        .trim()
        .parse()
        .ok()
        .filter(|&workers| workers > 0)
        .ok_or_else(|| {
            format!("the fault's worker count `{count_text}` is not a positive number")
        })?;
    let mut state = seed ^ 0x6661_756c_7473_2121;
    let worker = (splitmix64(&mut state) % workers as u64) as usize;
    let action = plan.actions[(splitmix64(&mut state) % plan.actions.len() as u64) as usize];
    let (signal, short, number, exit) = match action {
        FaultAction::Signal(number) => {
            let name = nix::sys::signal::Signal::try_from(number)
                .map_or_else(|_| number.to_string(), |signal| signal.as_str().to_owned());
            let short = name.trim_start_matches("SIG").to_owned();
            (name, short, number.to_string(), String::new())
        }
        FaultAction::Exit(code) => (
            String::new(),
            String::new(),
            String::new(),
            code.to_string(),
        ),
    };
    let values = BTreeMap::from([
        ("fault_workers".to_owned(), workers.to_string()),
        ("fault_worker".to_owned(), worker.to_string()),
        ("fault_signal".to_owned(), signal),
        ("fault_signal_short".to_owned(), short),
        ("fault_signal_number".to_owned(), number),
        ("fault_exit_code".to_owned(), exit),
    ]);
    Ok((Fault { worker, action }, values))
}

#[cfg(test)]
mod tests {
    use super::case_seed;

    #[test]
    fn case_seeds_are_stable_and_distinct() {
        assert_eq!(
            case_seed(1, "a", "workers=1"),
            case_seed(1, "a", "workers=1")
        );
        assert_ne!(
            case_seed(1, "a", "workers=1"),
            case_seed(1, "a", "workers=2")
        );
        assert_ne!(
            case_seed(1, "a", "workers=1"),
            case_seed(1, "b", "workers=1")
        );
        assert_ne!(
            case_seed(1, "a", "workers=1"),
            case_seed(2, "a", "workers=1")
        );
    }
}
