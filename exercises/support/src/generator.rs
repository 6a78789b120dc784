//! For both sides: SplitMix64, the generator every seeded input comes from, and the arrays it
//! draws. A program and the harness's oracle draw the same values from the same seed.

use crate::array_spec::MAX_ELEMENT;

/// One step of SplitMix64: a fast, well-distributed generator whose output is fixed forever.
#[must_use]
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Generates `len` elements in `1..=MAX_ELEMENT`, the same for the same seed on every machine.
#[must_use]
pub fn generate_array(seed: u64, len: usize) -> Vec<i64> {
    generate_array_up_to(seed, len, MAX_ELEMENT)
}

/// Generates `len` elements in `1..=max`, the same for the same seed on every machine. With
/// `max` = [`MAX_ELEMENT`] it is [`generate_array`]. A `max` below 1 counts as 1.
#[must_use]
pub fn generate_array_up_to(seed: u64, len: usize, max: i64) -> Vec<i64> {
    let mut state = seed;
    (0..len).map(|_| element(&mut state, max)).collect()
}

pub(crate) fn element(state: &mut u64, max: i64) -> i64 {
    let max = max.max(1).unsigned_abs();
    // Below `max` <= i64::MAX, so the element (at most `max`) is an i64 again.
    (splitmix64(state) % max) as i64 + 1
}
