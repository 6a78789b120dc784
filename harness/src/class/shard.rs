//! Sharding: which students of a batch one machine grades, so that N machines (a CI matrix, a
//! Kubernetes Indexed Job, a Slurm array) split a class without talking to each other.
//!
//! A student belongs to shard `hash(id) mod N`: the hash (SHA-256 of the id) is the same on
//! every machine and in every version, and a student keeps their shard when others are added
//! or removed, so a resumed shard finds its own earlier work.

use sha2::{Digest, Sha256};

/// One of `count` shards, numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// This shard, from 1 to `count`.
    pub index: u32,
    /// How many shards the batch is split into.
    pub count: u32,
}

/// Where the shard was taken from, for the progress output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardSource {
    /// No sharding: the whole batch.
    Whole,
    /// `--shard K/N`.
    Argument,
    /// `JOB_COMPLETION_INDEX` (Kubernetes Indexed Jobs) with `--shard-count`.
    Kubernetes,
    /// `SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT`.
    Slurm,
}

impl Shard {
    /// The whole batch, unsplit.
    pub const WHOLE: Self = Self { index: 1, count: 1 };

    /// Parses `K/N`, with 1 ≤ K ≤ N.
    pub fn parse(text: &str) -> Result<Self, String> {
        let problem = || {
            format!(
                "`--shard {text}` is not a shard; write K/N with 1 ≤ K ≤ N, such as `--shard 2/4`"
            )
        };
        let (index, count) = text.split_once('/').ok_or_else(problem)?;
        let index: u32 = index.trim().parse().map_err(|_| problem())?;
        let count: u32 = count.trim().parse().map_err(|_| problem())?;
        Self::new(index, count).ok_or_else(problem)
    }

    /// Shard `index` of `count`, if 1 ≤ index ≤ count.
    #[must_use]
    pub fn new(index: u32, count: u32) -> Option<Self> {
        (index >= 1 && index <= count).then_some(Self { index, count })
    }

    /// Whether student `id` belongs to this shard.
    #[must_use]
    pub fn contains(self, id: &str) -> bool {
        self.count <= 1 || shard_of(id, self.count) == self.index
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard (1..=count) of student `id`.
fn shard_of(id: &str, count: u32) -> u32 {
    let digest = Sha256::digest(id.as_bytes());
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(count)) as u32 + 1
}

/// The shard to grade: `--shard` if given, else from a scheduler's environment
/// (`JOB_COMPLETION_INDEX` with `shard_count`, or Slurm's array variables), else the whole
/// batch. `var` reads an environment variable.
pub fn resolve(
    explicit: Option<Shard>,
    shard_count: Option<u32>,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<(Shard, ShardSource), String> {
    if let Some(shard) = explicit {
        return Ok((shard, ShardSource::Argument));
    }
    let number = |name: &str| -> Result<Option<u32>, String> {
        var(name)
            .filter(|value| !value.trim().is_empty())
            .map(|value| {
                value.trim().parse::<u32>().map_err(|_| {
                    format!("environment variable {name}={value} is not a whole number")
                })
            })
            .transpose()
    };
    if let Some(index) = number("JOB_COMPLETION_INDEX")? {
        let count = shard_count.ok_or_else(|| {
            format!(
                "JOB_COMPLETION_INDEX={index} is set (a Kubernetes Indexed Job), but not how many shards there are; pass `--shard-count N` with N = the Job's `completions`, or `--shard 1/1` to grade the whole batch"
            )
        })?;
        let shard = Shard::new(index + 1, count).ok_or_else(|| {
            format!("JOB_COMPLETION_INDEX={index} is not below `--shard-count {count}`; the Job's `completions` and `--shard-count` must agree")
        })?;
        return Ok((shard, ShardSource::Kubernetes));
    }
    if let (Some(task), Some(count)) = (
        number("SLURM_ARRAY_TASK_ID")?,
        number("SLURM_ARRAY_TASK_COUNT")?,
    ) {
        // Arrays may start anywhere (`--array=1-4`); the minimum makes the first task shard 1.
        let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let count = shard_count.unwrap_or(count);
        let shard = task
            .checked_sub(min)
            .and_then(|offset| Shard::new(offset + 1, count))
            .ok_or_else(|| {
                format!("SLURM_ARRAY_TASK_ID={task} (minimum {min}) is not one of {count} shards; use a contiguous array such as `--array=0-{}`", count.saturating_sub(1))
            })?;
        return Ok((shard, ShardSource::Slurm));
    }
    if let Some(count) = shard_count {
        return Err(format!(
            "`--shard-count {count}` needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID; outside those, pass `--shard K/{count}`"
        ));
    }
    Ok((Shard::WHOLE, ShardSource::Whole))
}

#[cfg(test)]
mod tests {
    use super::{Shard, ShardSource, resolve};

    #[test]
    fn every_student_is_in_exactly_one_shard() {
        let ids: Vec<String> = (0..200).map(|n| format!("student{n}")).collect();
        for count in 1..=5 {
            for id in &ids {
                let owners = (1..=count)
                    .filter(|index| Shard::new(*index, count).unwrap().contains(id))
                    .count();
                assert_eq!(owners, 1, "{id} in {count} shards");
            }
        }
        // Stable across versions and machines: another hash would send a resumed shard's
        // students elsewhere. (SHA-256 of the id, first 8 bytes big-endian, mod N, plus 1.)
        let known: Vec<u32> = ["alice", "bob", "carol", "dave"]
            .iter()
            .map(|id| super::shard_of(id, 4))
            .collect();
        assert_eq!(known, [4, 3, 3, 4]);
    }

    #[test]
    fn parse_takes_k_of_n() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "2", "a/b", "1/0"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn schedulers_name_the_shard() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        assert_eq!(
            resolve(None, Some(3), &env(&[("JOB_COMPLETION_INDEX", "0")])),
            Ok((Shard { index: 1, count: 3 }, ShardSource::Kubernetes))
        );
        assert!(resolve(None, None, &env(&[("JOB_COMPLETION_INDEX", "0")])).is_err());
        assert_eq!(
            resolve(
                None,
                None,
                &env(&[
                    ("SLURM_ARRAY_TASK_ID", "4"),
                    ("SLURM_ARRAY_TASK_COUNT", "4"),
                    ("SLURM_ARRAY_TASK_MIN", "1")
                ])
            ),
            Ok((Shard { index: 4, count: 4 }, ShardSource::Slurm))
        );
        assert_eq!(
            resolve(
                Some(Shard::WHOLE),
                None,
                &env(&[("JOB_COMPLETION_INDEX", "2")])
            ),
            Ok((Shard::WHOLE, ShardSource::Argument))
        );
        assert_eq!(
            resolve(None, None, &env(&[])),
            Ok((Shard::WHOLE, ShardSource::Whole))
        );
    }
}
