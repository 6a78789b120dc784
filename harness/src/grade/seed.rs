//! Seeds: one per grading run, and from it one per case, so that a run can be replayed exactly.

use labgrade_support::splitmix64;

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
