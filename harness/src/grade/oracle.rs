//! Oracles: the right answers, computed by labgrade from the input it gave the program.

use std::collections::BTreeMap;

use labgrade_support::{
    DEFAULT_LEN, FAULT_VAR, Fault, LEN_VAR, MAX_ELEMENT, MAX_VAR, PAYLOAD_MIB_VAR, SEED_VAR,
    split_ranges,
};

use crate::rubric::Oracle;

/// How many messages the IPC exercises send in a run with environment `env`
/// (`labgrade_support::ipc_messages` of its seed).
pub(crate) fn ipc_message_count(env: &BTreeMap<String, String>) -> Result<usize, String> {
    let seed: u64 =
        number(env, SEED_VAR)?.ok_or_else(|| format!("`{SEED_VAR}` is not set for this case"))?;
    Ok(labgrade_support::ipc_messages(seed).len())
}

/// The value `oracle` gives for a run with environment `env` and placeholders `vars`, or why
/// it cannot be computed.
pub(crate) fn value(
    oracle: Oracle,
    env: &BTreeMap<String, String>,
    vars: &BTreeMap<String, String>,
) -> Result<String, String> {
    let seed: u64 =
        number(env, SEED_VAR)?.ok_or_else(|| format!("`{SEED_VAR}` is not set for this case"))?;
    let len = || -> Result<usize, String> {
        let len = number(env, LEN_VAR)?.unwrap_or(DEFAULT_LEN as u64);
        usize::try_from(len).map_err(|_| format!("`{LEN_VAR}` is too large"))
    };
    // Elements up to `LABGRADE_ARRAY_MAX`, as the program reads it (`ArraySpec::from_env`).
    let max = || -> Result<i64, String> {
        let max = match number(env, MAX_VAR)? {
            Some(max) => i64::try_from(max).map_err(|_| format!("`{MAX_VAR}` is too large"))?,
            None => MAX_ELEMENT,
        };
        labgrade_support::check_max(len()?, max)?;
        Ok(max)
    };
    let array = || -> Result<Vec<i64>, String> {
        Ok(labgrade_support::generate_array_up_to(seed, len()?, max()?))
    };
    let workers = |name: &str| -> Result<usize, String> {
        vars.get(name)
            .and_then(|text| text.parse().ok())
            .filter(|&workers| workers > 0)
            .ok_or_else(|| format!("`{{{name}}}` is not a worker count"))
    };
    Ok(match oracle {
        Oracle::ArraySum => labgrade_support::array_sum_up_to(seed, len()?, max()?).to_string(),
        Oracle::NegatedArray => {
            if !env.contains_key(LEN_VAR) {
                return Err(format!(
                    "`{LEN_VAR}` must be set in the rubric for `negated-array`"
                ));
            }
            array()?
                .iter()
                .map(|value| (-value).to_string())
                .collect::<Vec<_>>()
                .join(" ")
        }
        Oracle::Message => labgrade_support::message(seed),
        Oracle::ArraySumWithoutFault => {
            let fault = env
                .get(FAULT_VAR)
                .ok_or_else(|| format!("`{FAULT_VAR}` is not set for this run"))
                .and_then(|text| Fault::parse(text))?;
            let array = array()?;
            split_ranges(array.len(), workers("fault_workers")?)
                .into_iter()
                .enumerate()
                .filter(|(index, _)| *index != fault.worker)
                .map(|(_, range)| array[range].iter().sum::<i64>())
                .sum::<i64>()
                .to_string()
        }
        Oracle::CorruptedSum => {
            let array = array()?;
            split_ranges(array.len(), workers("workers")?)
                .into_iter()
                .enumerate()
                .map(|(index, range)| {
                    let part: i64 = array[range].iter().sum();
                    if index == 0 { part } else { -part }
                })
                .sum::<i64>()
                .to_string()
        }
        // The integers of every line the child prints, in order: index, length, checksum.
        Oracle::IpcMessages => labgrade_support::ipc_messages(seed)
            .iter()
            .enumerate()
            .map(|(index, message)| {
                format!(
                    "{index} {} {}",
                    message.len(),
                    labgrade_support::checksum(message)
                )
            })
            .collect::<Vec<_>>()
            .join(" "),
        // The length the program computes from the same seed and `LABGRADE_PAYLOAD_MIB`, and
        // the checksum of that many bytes, streamed: a payload of hundreds of MiB is never held.
        Oracle::HandoverPayload => {
            let len = labgrade_support::payload_len_for(seed, number(env, PAYLOAD_MIB_VAR)?)?;
            format!("{len} {}", labgrade_support::payload_checksum(seed, len))
        }
        Oracle::AsyncMessages => {
            return Err(
                "`async-messages` gives sequences of lines: use it in a `sequences` matcher"
                    .to_owned(),
            );
        }
    })
}

/// The sequences of lines `oracle` gives for a run with environment `env` (for a `sequences`
/// matcher), or why it cannot.
pub(crate) fn sequences(
    oracle: Oracle,
    env: &BTreeMap<String, String>,
) -> Result<Vec<Vec<String>>, String> {
    let seed: u64 =
        number(env, SEED_VAR)?.ok_or_else(|| format!("`{SEED_VAR}` is not set for this case"))?;
    match oracle {
        Oracle::AsyncMessages => Ok((0..labgrade_support::ASYNC_PRODUCERS)
            .map(|producer| {
                labgrade_support::async_messages(seed, producer)
                    .into_iter()
                    .map(|message| message.line)
                    .collect()
            })
            .collect()),
        other => Err(format!(
            "`{}` gives a value to compare, not sequences of lines",
            other.name()
        )),
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
        assert_eq!(
            value(Oracle::ArraySum, &env, &BTreeMap::new()),
            Ok(expected.to_string())
        );
    }

    #[test]
    fn array_oracles_follow_the_largest_element() {
        let env = BTreeMap::from([
            (SEED_VAR.to_owned(), "5".to_owned()),
            (LEN_VAR.to_owned(), "1000".to_owned()),
            (MAX_VAR.to_owned(), "1000000".to_owned()),
        ]);
        let array = labgrade_support::generate_array_up_to(5, 1000, 1_000_000);
        assert_eq!(
            value(Oracle::ArraySum, &env, &BTreeMap::new()),
            Ok(array.iter().sum::<i64>().to_string())
        );
        let negated = value(Oracle::NegatedArray, &env, &BTreeMap::new()).unwrap();
        assert_eq!(negated.split(' ').next(), Some(&*(-array[0]).to_string()));
        let mut too_large = env.clone();
        too_large.insert(MAX_VAR.to_owned(), i64::MAX.to_string());
        let error = value(Oracle::ArraySum, &too_large, &BTreeMap::new()).unwrap_err();
        assert!(error.contains(MAX_VAR), "{error}");
    }

    #[test]
    fn handover_payload_follows_seed_and_size() {
        let seed_only = BTreeMap::from([(SEED_VAR.to_owned(), "5".to_owned())]);
        let payload = labgrade_support::handover_payload(5);
        assert_eq!(
            value(Oracle::HandoverPayload, &seed_only, &BTreeMap::new()),
            Ok(format!(
                "{} {}",
                payload.len(),
                labgrade_support::payload_sum(&payload)
            ))
        );
        let mut sized = seed_only.clone();
        sized.insert(PAYLOAD_MIB_VAR.to_owned(), "3".to_owned());
        let len = labgrade_support::payload_len_for(5, Some(3)).unwrap();
        let mut payload = vec![0; len];
        labgrade_support::fill_handover_payload(5, &mut payload);
        assert_eq!(
            value(Oracle::HandoverPayload, &sized, &BTreeMap::new()),
            Ok(format!("{len} {}", labgrade_support::payload_sum(&payload)))
        );
        sized.insert(PAYLOAD_MIB_VAR.to_owned(), "0".to_owned());
        assert!(value(Oracle::HandoverPayload, &sized, &BTreeMap::new()).is_err());
    }

    #[test]
    fn array_sum_needs_a_seed() {
        assert!(value(Oracle::ArraySum, &BTreeMap::new(), &BTreeMap::new()).is_err());
    }
}
