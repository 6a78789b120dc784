//! For the harness: right answers computed from a seed without running a program, and without
//! holding the input they stand for.

use crate::array_spec::MAX_ELEMENT;
use crate::generator::element;
use crate::handover::{
    PAYLOAD_HASH_START, fill_handover_from, fold_payload_hash, handover_state,
    payload_hash_continue,
};

/// The true sum of the array generated from `seed` and `len`: the harness's oracle.
#[must_use]
pub fn array_sum(seed: u64, len: usize) -> i64 {
    array_sum_up_to(seed, len, MAX_ELEMENT)
}

/// The true sum of the array [`generate_array_up_to`](crate::generate_array_up_to) generates,
/// without holding it. It wraps around past `i64::MAX`, which [`check_max`](crate::check_max)
/// rules out.
#[must_use]
pub fn array_sum_up_to(seed: u64, len: usize, max: i64) -> i64 {
    let mut state = seed;
    (0..len).fold(0_i64, |sum, _| sum.wrapping_add(element(&mut state, max)))
}

/// The checksum of the first `len` bytes of the handover payload of `seed`: the same as
/// [`payload_sum`](crate::payload_sum) of the payload that
/// [`fill_handover_payload`](crate::fill_handover_payload) writes into `len` bytes, computed in
/// pieces of 64 KiB, so that the harness can check a payload of hundreds of MiB without holding
/// it.
#[must_use]
pub fn payload_checksum(seed: u64, len: usize) -> u32 {
    // A multiple of 8 bytes, so that the generator runs on unbroken from one piece to the next.
    const PIECE: usize = 64 << 10;
    let mut state = handover_state(seed);
    let mut piece = vec![0; PIECE.min(len)];
    let mut hash = PAYLOAD_HASH_START;
    let mut left = len;
    while left > 0 {
        let bytes = &mut piece[..left.min(PIECE)];
        fill_handover_from(&mut state, bytes);
        hash = payload_hash_continue(hash, bytes);
        left -= bytes.len();
    }
    fold_payload_hash(hash)
}
