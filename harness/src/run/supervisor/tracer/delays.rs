//! The seeded delays of a perturbation: the same seed and maximum give the same delays.

use std::time::Duration;

use crate::run::job::Perturbation;

/// The delays of a perturbation, in the order the tracer gives them to new tasks: an endless
/// iterator that is the same for the same seed and maximum.
#[derive(Debug, Clone)]
pub struct PerturbationDelays {
    state: u64,
    max_delay_us: u64,
}

impl Iterator for PerturbationDelays {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let raw = labgrade_support::splitmix64(&mut self.state);
        let micros = match self.max_delay_us.checked_add(1) {
            Some(range) => raw % range,
            None => raw,
        };
        Some(Duration::from_micros(micros))
    }
}

/// The delays `perturbation` injects: the first goes to the first task the program creates,
/// and so on.
#[must_use]
pub fn perturbation_delays(perturbation: &Perturbation) -> PerturbationDelays {
    PerturbationDelays {
        state: perturbation.seed,
        max_delay_us: perturbation.max_delay_us,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_seeded_and_bounded() {
        let perturbation = Perturbation {
            seed: 7,
            max_delay_us: 1_000,
        };
        let first: Vec<Duration> = perturbation_delays(&perturbation).take(50).collect();
        let again: Vec<Duration> = perturbation_delays(&perturbation).take(50).collect();
        assert_eq!(first, again);
        assert!(first.iter().all(|delay| *delay <= Duration::from_millis(1)));
        let other: Vec<Duration> = perturbation_delays(&Perturbation {
            seed: 8,
            max_delay_us: 1_000,
        })
        .take(50)
        .collect();
        assert_ne!(first, other);
        let none = Perturbation {
            seed: 7,
            max_delay_us: 0,
        };
        assert!(
            perturbation_delays(&none)
                .take(10)
                .all(|delay| delay.is_zero())
        );
    }
}
