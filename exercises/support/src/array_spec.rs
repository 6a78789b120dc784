//! For both sides: the environment variables through which the harness chooses a program's
//! array, and [`ArraySpec`], with which the program reads them.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::generator::generate_array_up_to;

/// Environment variable holding the seed of the array, a decimal `u64`.
pub const SEED_VAR: &str = "LABGRADE_SEED";
/// Environment variable holding the number of elements of the array.
pub const LEN_VAR: &str = "LABGRADE_ARRAY_LEN";
/// Length of the array when [`LEN_VAR`] is not set, as in the lab.
pub const DEFAULT_LEN: usize = 10_000_000;
/// Environment variable holding the largest value of an element, a decimal integer of at least
/// 1 (the default is [`MAX_ELEMENT`]). A grader raises it so that sums need more than 32 bits.
pub const MAX_VAR: &str = "LABGRADE_ARRAY_MAX";
/// Largest value of an element when [`MAX_VAR`] is not set; every element lies in
/// `1..=MAX_ELEMENT`.
///
/// Elements are never zero, so a program that skips an element always gets a different sum.
pub const MAX_ELEMENT: i64 = 1000;

/// Where the input of a program comes from: a seed and a length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArraySpec {
    /// Seed of the generator.
    pub seed: u64,
    /// Number of elements.
    pub len: usize,
    /// Largest value of an element: every element lies in `1..=max`.
    pub max: i64,
}

impl ArraySpec {
    /// Reads the spec from [`SEED_VAR`] and [`LEN_VAR`].
    ///
    /// A variable that is not set takes the lab's behaviour (a time-based seed, [`DEFAULT_LEN`],
    /// elements up to [`MAX_ELEMENT`]). A variable that is set but is not a number is an error
    /// naming the variable, and so is a [`MAX_VAR`] of 0 or one that would let the sum of the
    /// array overflow an `i64`.
    pub fn from_env() -> Result<Self, String> {
        Self::from_env_or(DEFAULT_LEN)
    }

    /// Like [`ArraySpec::from_env`], with `default_len` elements when [`LEN_VAR`] is not set.
    pub fn from_env_or(default_len: usize) -> Result<Self, String> {
        let seed = match std::env::var(SEED_VAR) {
            Ok(text) => parse_var(SEED_VAR, &text)?,
            Err(_) => time_seed(),
        };
        let len = match std::env::var(LEN_VAR) {
            Ok(text) => parse_var(LEN_VAR, &text)?,
            Err(_) => default_len,
        };
        let max = match std::env::var(MAX_VAR) {
            Ok(text) => parse_var(MAX_VAR, &text)?,
            Err(_) => MAX_ELEMENT,
        };
        check_max(len, max)?;
        Ok(Self { seed, len, max })
    }

    /// Generates the array this spec describes.
    #[must_use]
    pub fn generate(self) -> Vec<i64> {
        generate_array_up_to(self.seed, self.len, self.max)
    }
}

/// Checks that elements up to `max` are possible (`max` at least 1) and that `len` of them
/// always sum to a value an `i64` holds.
///
/// # Errors
///
/// A message naming [`MAX_VAR`] when they are not.
pub fn check_max(len: usize, max: i64) -> Result<(), String> {
    if max < 1 {
        return Err(format!("`{MAX_VAR}` must be at least 1, got {max}"));
    }
    let fits = i64::try_from(len)
        .ok()
        .and_then(|len| len.checked_mul(max))
        .is_some();
    if fits {
        Ok(())
    } else {
        Err(format!(
            "`{MAX_VAR}` is {max}: {len} elements that large could sum beyond an i64"
        ))
    }
}

fn parse_var<T: std::str::FromStr>(name: &str, text: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("`{name}` must be a non-negative integer, got `{text}`"))
}

fn time_seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64)
}
