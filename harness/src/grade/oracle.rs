//! Oracles: the right answers, computed by labgrade from the input it gave the program.

use std::collections::BTreeMap;

use labgrade_support::{DEFAULT_LEN, LEN_VAR, SEED_VAR};

use crate::rubric::Oracle;

/// The value `oracle` gives for a program run with `env`, or why it cannot be computed.
pub(crate) fn value(oracle: Oracle, env: &BTreeMap<String, String>) -> Result<String, String> {
    match oracle {
        Oracle::ArraySum => {
            let seed: u64 = number(env, SEED_VAR)?
                .ok_or_else(|| format!("`{SEED_VAR}` is not set for this case"))?;
            let len = number(env, LEN_VAR)?.unwrap_or(DEFAULT_LEN as u64);
            let len = usize::try_from(len).map_err(|_| format!("`{LEN_VAR}` is too large"))?;
            Ok(labgrade_support::array_sum(seed, len).to_string())
        }
    }
}

fn number(env: &BTreeMap<String, String>, name: &str) -> Result<Option<u64>, String> {
    env.get(name)
        .map(|text| {
            text.trim()
                .parse()
                .map_err(|_| format!("`{name}` is `{text}`, not a number"))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_sum_follows_seed_and_length() {
        let env = BTreeMap::from([
            (SEED_VAR.to_owned(), "5".to_owned()),
            (LEN_VAR.to_owned(), "1000".to_owned()),
        ]);
        let expected: i64 = labgrade_support::generate_array(5, 1000).iter().sum();
        assert_eq!(value(Oracle::ArraySum, &env), Ok(expected.to_string()));
    }

    #[test]
    fn array_sum_needs_a_seed() {
        assert!(value(Oracle::ArraySum, &BTreeMap::new()).is_err());
    }
}
