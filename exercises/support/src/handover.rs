//! For both sides: the payload of the ipc-handover exercise, drawn from a seed, its checksum and
//! the lines a program prints about it.

use crate::generator::splitmix64;

/// Length in bytes of the payload of the handover exercise for `seed`: between 4 and 8 MiB, not
/// a whole number of pages.
#[must_use]
pub fn handover_len(seed: u64) -> usize {
    let mut state = seed ^ 0x4a4d_0000_0000_0001;
    (4 << 20) + (splitmix64(&mut state) % (4 << 20)) as usize + 1
}

/// Environment variable asking for a handover payload of that many MiB (an integer from 1 to
/// [`MAX_PAYLOAD_MIB`]) instead of the 4 to 8 MiB of [`handover_len`]: the harness sets it to
/// time a transfer of hundreds of MiB, where copying shows.
pub const PAYLOAD_MIB_VAR: &str = "LABGRADE_PAYLOAD_MIB";

/// Largest payload [`PAYLOAD_MIB_VAR`] may ask for, in MiB.
pub const MAX_PAYLOAD_MIB: u64 = 1024;

/// Length in bytes of the handover payload of `seed`, read from [`PAYLOAD_MIB_VAR`]: see
/// [`payload_len_for`]. A variable that is set but not a number from 1 to [`MAX_PAYLOAD_MIB`]
/// is an error naming it.
pub fn payload_len(seed: u64) -> Result<usize, String> {
    let mib = match std::env::var(PAYLOAD_MIB_VAR) {
        Ok(text) => Some(text.trim().parse().map_err(|_| {
            format!(
                "`{PAYLOAD_MIB_VAR}` must be an integer from 1 to {MAX_PAYLOAD_MIB}, got `{text}`"
            )
        })?),
        Err(_) => None,
    };
    payload_len_for(seed, mib)
}

/// Length in bytes of the handover payload of `seed` when [`PAYLOAD_MIB_VAR`] is `mib`: without
/// it, [`handover_len`]; with it, that many MiB and a tail of 1 to 4095 bytes drawn from the
/// seed, so that the payload is never a whole number of pages.
///
/// Programs and the harness's oracle both call it, so they always agree on the length.
pub fn payload_len_for(seed: u64, mib: Option<u64>) -> Result<usize, String> {
    let Some(mib) = mib else {
        return Ok(handover_len(seed));
    };
    if !(1..=MAX_PAYLOAD_MIB).contains(&mib) {
        return Err(format!(
            "`{PAYLOAD_MIB_VAR}` must be an integer from 1 to {MAX_PAYLOAD_MIB}, got `{mib}`"
        ));
    }
    let mut state = seed ^ 0x4a4d_0000_0000_0003;
    let tail = 1 + splitmix64(&mut state) % 4095;
    usize::try_from((mib << 20) + tail)
        .map_err(|_| format!("`{PAYLOAD_MIB_VAR}` is too large for this machine, got {mib}"))
}

/// Fills `payload` (of [`handover_len`] bytes, or any length) with the handover payload of
/// `seed`: the same bytes for the same seed and length, written in place so that a program can
/// generate it straight into shared memory.
pub fn fill_handover_payload(seed: u64, payload: &mut [u8]) {
    fill_handover_from(&mut handover_state(seed), payload);
}

/// The generator's state at the first byte of the handover payload of `seed`.
pub(crate) fn handover_state(seed: u64) -> u64 {
    seed ^ 0x4a4d_0000_0000_0002
}

/// Writes the next `payload.len()` bytes of the generator at `state` into `payload`.
///
/// Each draw gives 8 bytes, so filling a payload in pieces whose lengths are multiples of 8
/// (only the last may be shorter) gives the same bytes as filling it at once.
pub(crate) fn fill_handover_from(state: &mut u64, payload: &mut [u8]) {
    for chunk in payload.chunks_mut(8) {
        let bytes = splitmix64(state).to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

/// The checksum of a handover payload, as [`payload_line`] prints it: 64-bit FNV-1a over its
/// 8-byte little-endian words (the last one padded with zeros), folded to 32 bits. A word at a
/// time, not a byte: over hundreds of MiB a byte-wise hash cost the program and the grader a
/// third of a second each, for every timed run.
#[must_use]
pub fn payload_sum(payload: &[u8]) -> u32 {
    fold_payload_hash(payload_hash_continue(PAYLOAD_HASH_START, payload))
}

/// 64-bit FNV-1a's offset basis, where [`payload_sum`] starts.
pub(crate) const PAYLOAD_HASH_START: u64 = 0xcbf2_9ce4_8422_2325;

/// Carries [`payload_sum`]'s hash on over `bytes`, whose length is a multiple of 8 unless
/// they are the payload's last piece.
pub(crate) fn payload_hash_continue(hash: u64, bytes: &[u8]) -> u64 {
    bytes.chunks(8).fold(hash, |hash, chunk| {
        let mut word = [0; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        (hash ^ u64::from_le_bytes(word)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The 32 bits [`payload_sum`] prints of a 64-bit hash.
pub(crate) fn fold_payload_hash(hash: u64) -> u32 {
    (hash ^ (hash >> 32)) as u32
}

/// The handover payload of `seed`, [`handover_len`] bytes.
#[must_use]
pub fn handover_payload(seed: u64) -> Vec<u8> {
    let mut payload = vec![0; handover_len(seed)];
    fill_handover_payload(seed, &mut payload);
    payload
}

/// The line the child of the handover exercise prints on stderr once it has the payload:
/// `transfer: 412 us, 97 us of CPU`. The first figure is the wall time since `start` (taken by
/// the parent once the payload was ready: `Instant` is the monotonic clock, the same in both
/// processes); the second is the CPU time the child has used since it was forked (a new
/// process starts at zero), which is what copying costs whatever else the machine is doing.
#[must_use]
pub fn transfer_line(start: std::time::Instant) -> String {
    let wall = start.elapsed().as_micros();
    let cpu = nix::time::clock_gettime(nix::time::ClockId::CLOCK_PROCESS_CPUTIME_ID)
        .map_or(0, |time| {
            time.tv_sec().cast_unsigned() * 1_000_000 + time.tv_nsec().cast_unsigned() / 1_000
        });
    format!("transfer: {wall} us, {cpu} us of CPU")
}

/// The line the receiver of the handover exercise prints: `payload: 4194305 bytes, checksum
/// 2166136261`.
#[must_use]
pub fn payload_line(payload: &[u8]) -> String {
    format!(
        "payload: {} bytes, checksum {}",
        payload.len(),
        payload_sum(payload)
    )
}
