//! Support code shared by every labgrade exercise and by the harness itself.
//!
//! Exercises read their input through this crate so that the harness can choose it: the array
//! to sum is generated from a seed and a length that the harness puts in the environment
//! ([`SEED_VAR`], [`LEN_VAR`]), and the harness calls the same [`generate_array`] to know the true
//! answer. When nothing is set, a program behaves as the lab's original does: it sums a fresh
//! random array of [`DEFAULT_LEN`] elements.
//!
//! The generator is a hand-written SplitMix64 rather than the `rand` crate on purpose: its output
//! must never change between versions, because a grade computed today must be replayable from the
//! seed in its report.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

fn element(state: &mut u64, max: i64) -> i64 {
    let max = max.max(1).unsigned_abs();
    // Below `max` <= i64::MAX, so the element (at most `max`) is an i64 again.
    (splitmix64(state) % max) as i64 + 1
}

/// The true sum of the array generated from `seed` and `len`: the harness's oracle.
#[must_use]
pub fn array_sum(seed: u64, len: usize) -> i64 {
    array_sum_up_to(seed, len, MAX_ELEMENT)
}

/// The true sum of the array [`generate_array_up_to`] generates, without holding it. It
/// wraps around past `i64::MAX`, which [`check_max`] rules out.
#[must_use]
pub fn array_sum_up_to(seed: u64, len: usize, max: i64) -> i64 {
    let mut state = seed;
    (0..len).fold(0_i64, |sum, _| sum.wrapping_add(element(&mut state, max)))
}

/// Reads the worker count from the first command-line argument.
///
/// Returns an error message, ready for stderr, when the argument is missing, not a number, or 0.
pub fn workers_from_args() -> Result<usize, String> {
    let mut args = std::env::args();
    let program = args.next().unwrap_or_else(|| "program".to_owned());
    let usage = format!("usage: {program} <number of workers>");
    let Some(text) = args.next() else {
        return Err(usage);
    };
    match text.parse::<usize>() {
        Ok(workers) if workers > 0 => Ok(workers),
        _ => Err(format!(
            "{usage}\nthe number of workers must be a positive integer, got `{text}`"
        )),
    }
}

/// Measures the time a program spends on its work, as the lab's programs do.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    started: Instant,
}

impl Stopwatch {
    /// Starts measuring.
    #[must_use]
    pub fn start() -> Self {
        Self {
            started: Instant::now(),
        }
    }

    /// Time since [`Stopwatch::start`].
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The timing line every exercise prints: `Time spent: <ms> ms`.
    #[must_use]
    pub fn time_spent_line(&self) -> String {
        format!("Time spent: {} ms", self.elapsed().as_millis())
    }
}

/// Splits `len` elements into `workers` contiguous parts that cover every element exactly once.
///
/// The first `len % workers` parts get one element more, so no part is more than one element
/// longer than another.
#[must_use]
pub fn split_ranges(len: usize, workers: usize) -> Vec<std::ops::Range<usize>> {
    let workers = workers.max(1);
    let base = len / workers;
    let extra = len % workers;
    let mut start = 0;
    (0..workers)
        .map(|index| {
            let size = base + usize::from(index < extra);
            let range = start..start + size;
            start += size;
            range
        })
        .collect()
}

/// Environment variable with the fault the harness injects: `worker=<index>,signal=<NAME>` or
/// `worker=<index>,exit=<code>`.
pub const FAULT_VAR: &str = "LABGRADE_FAULT";

/// What an injected fault does to its worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// The worker is killed by this signal (its number).
    Signal(i32),
    /// The worker's process exits with this code.
    Exit(i32),
}

/// A fault the harness asks one worker to suffer, so that a program's handling of a crashed
/// worker can be graded without a buggy worker written into the exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// Index of the worker (0 for the first) that suffers it.
    pub worker: usize,
    /// What happens to it.
    pub action: FaultAction,
}

impl Fault {
    /// The fault in [`FAULT_VAR`], if any; a malformed value is an error naming it.
    pub fn from_env() -> Result<Option<Self>, String> {
        match std::env::var(FAULT_VAR) {
            Ok(text) => Self::parse(&text).map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Parses `worker=<index>,signal=<NAME or number>` or `worker=<index>,exit=<code>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{FAULT_VAR}` must look like `worker=1,signal=SIGSEGV` or `worker=1,exit=3`, got `{text}`"
            )
        };
        let mut worker = None;
        let mut action = None;
        for part in text.split(',') {
            let (key, value) = part.split_once('=').ok_or_else(bad)?;
            match key.trim() {
                "worker" => worker = Some(value.trim().parse().map_err(|_| bad())?),
                "signal" => {
                    action = Some(FaultAction::Signal(
                        signal_number(value.trim()).ok_or_else(bad)?,
                    ))
                }
                "exit" => {
                    action = Some(FaultAction::Exit(value.trim().parse().map_err(|_| bad())?))
                }
                _ => return Err(bad()),
            }
        }
        Ok(Self {
            worker: worker.ok_or_else(bad)?,
            action: action.ok_or_else(bad)?,
        })
    }

    /// The value of [`FAULT_VAR`] that asks for this fault.
    #[must_use]
    pub fn to_env(&self) -> String {
        match self.action {
            FaultAction::Signal(signal) => format!("worker={},signal={signal}", self.worker),
            FaultAction::Exit(code) => format!("worker={},exit={code}", self.worker),
        }
    }
}

/// The number of a signal given by name (`SIGSEGV`, `SEGV`) or number (`11`).
#[must_use]
pub fn signal_number(name: &str) -> Option<i32> {
    if let Ok(number) = name.parse() {
        return Some(number);
    }
    let upper = name.to_ascii_uppercase();
    let full = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    full.parse::<nix::sys::signal::Signal>()
        .ok()
        .map(|signal| signal as i32)
}

/// Called by worker `worker` when it starts: if the harness injected a fault for this worker,
/// the fault happens here (the worker dies by the signal, or its process exits with the code).
///
/// Every exercise's workers call it, so a grader can crash any worker it likes. It does nothing
/// when [`FAULT_VAR`] is not set, so the program behaves as the lab's does.
pub fn fault_point(worker: usize) {
    let Ok(Some(fault)) = Fault::from_env() else {
        return;
    };
    if fault.worker != worker {
        return;
    }
    match fault.action {
        FaultAction::Signal(number) => {
            if let Ok(signal) = nix::sys::signal::Signal::try_from(number) {
                // Restore the default action first, so a handler the program installed cannot
                // turn the injected crash into something else.
                // SAFETY: SIG_DFL is always a valid disposition.
                let _ = unsafe {
                    nix::sys::signal::signal(signal, nix::sys::signal::SigHandler::SigDfl)
                };
                let _ = nix::sys::signal::raise(signal);
                // A signal whose default action is to ignore or stop falls through; make the
                // fault fatal anyway so the worker never carries on as if nothing happened.
                let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
            }
        }
        FaultAction::Exit(code) => {
            // Exit without unwinding or running destructors, like a C worker calling `exit`.
            // SAFETY: `_exit` ends the process at once and has no preconditions.
            unsafe { nix::libc::_exit(code) };
        }
    }
}

/// The message of the wait-for-me exercise for `seed`: different for every seed, so that it
/// cannot be printed without being read.
#[must_use]
pub fn message(seed: u64) -> String {
    let mut state = seed ^ 0x6d65_7373_6167_6521;
    format!(
        "Hello from the child process, token {:016x}{:016x}",
        splitmix64(&mut state),
        splitmix64(&mut state)
    )
}

/// `PIPE_BUF` on Linux: the most bytes a `write` to a pipe is guaranteed to deliver in one
/// piece. Messages of the IPC exercises go well beyond it.
pub const PIPE_BUF: usize = 4096;

/// Longest message of the IPC exercises, in bytes: eight times [`PIPE_BUF`], still well under
/// what one datagram of a Unix socket may carry by default.
pub const MAX_MESSAGE_LEN: usize = 8 * PIPE_BUF;

/// The messages a parent sends its child in the IPC exercises, from the seed: between 12 and
/// 20 of them, of lengths from 1 byte to [`MAX_MESSAGE_LEN`] (the first is 1 byte long, the
/// second longer than [`PIPE_BUF`], the others drawn among tiny, small, medium and large), with
/// arbitrary bytes, newlines and zeros included, so that no byte can serve as a delimiter
/// without escaping.
#[must_use]
pub fn ipc_messages(seed: u64) -> Vec<Vec<u8>> {
    let mut state = seed ^ 0x1bc0_ffee_0000_0000;
    let count = 12 + (splitmix64(&mut state) % 9) as usize;
    (0..count)
        .map(|index| {
            let draw = splitmix64(&mut state);
            let (low, high) = match (index, draw % 4) {
                (0, _) => (1, 1),
                (1, _) | (_, 3) => (PIPE_BUF + 1, MAX_MESSAGE_LEN),
                (_, 0) => (1, 16),
                (_, 1) => (17, 512),
                _ => (513, PIPE_BUF),
            };
            let len = low + ((draw >> 8) % (high - low + 1) as u64) as usize;
            let mut bytes = Vec::with_capacity(len + 8);
            while bytes.len() < len {
                bytes.extend_from_slice(&splitmix64(&mut state).to_le_bytes());
            }
            bytes.truncate(len);
            bytes
        })
        .collect()
}

/// The checksum of a message the IPC exercises print: 32-bit FNV-1a.
#[must_use]
pub fn checksum(bytes: &[u8]) -> u32 {
    checksum_continue(0x811c_9dc5, bytes)
}

/// Carries an FNV-1a `hash` on over `bytes`: FNV-1a folds one byte at a time, so the checksum
/// of a long payload can be computed piece by piece, without holding it whole.
fn checksum_continue(hash: u32, bytes: &[u8]) -> u32 {
    bytes.iter().fold(hash, |hash, byte| {
        (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193)
    })
}

/// The line the child of an IPC exercise prints for the message it received as number `index`
/// (from 0): `message 3: 4100 bytes, checksum 2166136261`.
#[must_use]
pub fn message_line(index: usize, message: &[u8]) -> String {
    format!(
        "message {index}: {} bytes, checksum {}",
        message.len(),
        checksum(message)
    )
}

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
fn handover_state(seed: u64) -> u64 {
    seed ^ 0x4a4d_0000_0000_0002
}

/// Writes the next `payload.len()` bytes of the generator at `state` into `payload`.
///
/// Each draw gives 8 bytes, so filling a payload in pieces whose lengths are multiples of 8
/// (only the last may be shorter) gives the same bytes as filling it at once.
fn fill_handover_from(state: &mut u64, payload: &mut [u8]) {
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
const PAYLOAD_HASH_START: u64 = 0xcbf2_9ce4_8422_2325;

/// Carries [`payload_sum`]'s hash on over `bytes`, whose length is a multiple of 8 unless
/// they are the payload's last piece.
fn payload_hash_continue(hash: u64, bytes: &[u8]) -> u64 {
    bytes.chunks(8).fold(hash, |hash, chunk| {
        let mut word = [0; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        (hash ^ u64::from_le_bytes(word)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The 32 bits [`payload_sum`] prints of a 64-bit hash.
fn fold_payload_hash(hash: u64) -> u32 {
    (hash ^ (hash >> 32)) as u32
}

/// The checksum of the first `len` bytes of the handover payload of `seed`: the same as
/// [`payload_sum`] of the payload that [`fill_handover_payload`] writes into `len` bytes, computed
/// in pieces of 64 KiB, so that the harness can check a payload of hundreds of MiB without
/// holding it.
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

/// Producers of the ipc-async exercise.
pub const ASYNC_PRODUCERS: usize = 2;

/// One message of a producer of the ipc-async exercise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncMessage {
    /// How long the producer sleeps before it sends this message, in milliseconds.
    pub pause_ms: u64,
    /// The message: `producer 0 message 3: 9f2c01ab`, without a newline.
    pub line: String,
}

/// The messages producer `producer` (0 or 1) of the ipc-async exercise sends for `seed`, in
/// order, each after its pause.
///
/// Producer 0 is fast (16 to 24 messages, 5 to 25 ms apart); producer 1 is slow (5 to 8
/// messages, 40 to 90 ms apart). The different rates are the point: a consumer that wakes up
/// for one producer's message usually finds the other's channel empty. Neither producer takes
/// more than 720 ms in all. A line is `producer {p} message {i}: {token}`, the token 8 to 64
/// lowercase hexadecimal digits, so every line is far shorter than [`PIPE_BUF`] and one `write`
/// of it with its newline reaches a pipe in one piece.
///
/// # Panics
///
/// If `producer` is not below [`ASYNC_PRODUCERS`].
#[must_use]
pub fn async_messages(seed: u64, producer: usize) -> Vec<AsyncMessage> {
    // Unrelated constants, rather than `producer` added to one, so that the two producers of a
    // seed do not replay the streams of neighbouring seeds.
    const MIX: [u64; ASYNC_PRODUCERS] = [0x6173_796e_6330_a5e1, 0xc3a5_1b7f_0e29_d84b];
    const COUNTS: [(u64, u64); ASYNC_PRODUCERS] = [(16, 24), (5, 8)];
    const PAUSES_MS: [(u64, u64); ASYNC_PRODUCERS] = [(5, 25), (40, 90)];
    assert!(
        producer < ASYNC_PRODUCERS,
        "the ipc-async exercise has {ASYNC_PRODUCERS} producers, not a producer {producer}"
    );
    let mut state = seed ^ MIX[producer];
    let draw =
        |state: &mut u64, (low, high): (u64, u64)| low + splitmix64(state) % (high - low + 1);
    let count = draw(&mut state, COUNTS[producer]);
    (0..count)
        .map(|index| {
            let pause_ms = draw(&mut state, PAUSES_MS[producer]);
            let digits = draw(&mut state, (8, 64)) as usize;
            let mut token = String::with_capacity(digits + 16);
            while token.len() < digits {
                token.push_str(&format!("{:016x}", splitmix64(&mut state)));
            }
            token.truncate(digits);
            AsyncMessage {
                pause_ms,
                line: format!("producer {producer} message {index}: {token}"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_is_deterministic_and_in_range() {
        let first = generate_array(42, 1000);
        assert_eq!(first, generate_array(42, 1000));
        assert_ne!(first, generate_array(43, 1000));
        assert!(first.iter().all(|&x| (1..=MAX_ELEMENT).contains(&x)));
    }

    #[test]
    fn larger_elements_follow_the_same_stream() {
        assert_eq!(
            generate_array_up_to(42, 1000, MAX_ELEMENT),
            generate_array(42, 1000)
        );
        let large = generate_array_up_to(42, 1000, 1_000_000);
        assert!(large.iter().all(|&x| (1..=1_000_000).contains(&x)));
        assert!(large.iter().any(|&x| x > MAX_ELEMENT));
        assert_eq!(
            array_sum_up_to(42, 1000, 1_000_000),
            large.iter().sum::<i64>()
        );
        assert_eq!(generate_array_up_to(7, 10, 1), vec![1; 10]);
    }

    #[test]
    fn a_max_that_could_overflow_the_sum_is_refused() {
        assert_eq!(check_max(4_000_000, 1_000_000), Ok(()));
        assert!(check_max(10, 0).unwrap_err().contains(MAX_VAR));
        assert!(check_max(4_000_000, i64::MAX / 1000).is_err());
        assert_eq!(check_max(0, i64::MAX), Ok(()));
    }

    #[test]
    fn splitmix64_matches_the_reference_implementation() {
        // First outputs of Vigna's reference splitmix64.c for seed 1234567.
        let mut state = 1_234_567;
        let outputs: Vec<u64> = (0..5).map(|_| splitmix64(&mut state)).collect();
        assert_eq!(
            outputs,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821
            ]
        );
    }

    #[test]
    fn generator_output_is_pinned() {
        // Changing the generator would make every recorded seed replay a different array.
        assert_eq!(generate_array(7, 5), vec![488, 805, 347, 204, 675]);
    }

    #[test]
    fn oracle_matches_generated_array() {
        for seed in [0, 1, 99, u64::MAX] {
            assert_eq!(
                array_sum(seed, 12_345),
                generate_array(seed, 12_345).iter().sum()
            );
        }
    }

    #[test]
    fn faults_parse_and_print() {
        let fault = Fault::parse("worker=2,signal=SIGSEGV").unwrap();
        assert_eq!(
            fault,
            Fault {
                worker: 2,
                action: FaultAction::Signal(11)
            }
        );
        assert_eq!(Fault::parse(&fault.to_env()), Ok(fault));
        assert_eq!(
            Fault::parse("worker=0,exit=3").unwrap().action,
            FaultAction::Exit(3)
        );
        assert_eq!(
            Fault::parse("worker=1,signal=abrt").unwrap().action,
            FaultAction::Signal(6)
        );
        assert!(Fault::parse("worker=x,exit=3").is_err());
        assert!(Fault::parse("signal=SIGSEGV").is_err());
        assert!(Fault::parse("worker=1,signal=SIGNOPE").is_err());
    }

    #[test]
    fn messages_differ_by_seed() {
        assert_eq!(message(1), message(1));
        assert_ne!(message(1), message(2));
    }

    #[test]
    fn split_ranges_cover_everything_once() {
        for len in [0, 1, 7, 10, 1001] {
            for workers in 1..=9 {
                let ranges = split_ranges(len, workers);
                assert_eq!(ranges.len(), workers);
                assert_eq!(ranges.first().unwrap().start, 0);
                assert_eq!(ranges.last().unwrap().end, len);
                assert!(ranges.windows(2).all(|pair| pair[0].end == pair[1].start));
            }
        }
    }

    #[test]
    fn payload_len_follows_the_mib_asked_for() {
        assert_eq!(payload_len_for(9, None), Ok(handover_len(9)));
        for seed in [0, 1, 5, u64::MAX] {
            for mib in [1, 256, MAX_PAYLOAD_MIB] {
                let len = payload_len_for(seed, Some(mib)).unwrap();
                assert_eq!(len >> 20, usize::try_from(mib).unwrap());
                let tail = len & ((1 << 20) - 1);
                assert!(
                    (1..=4095).contains(&tail),
                    "seed {seed}, {mib} MiB: tail {tail}"
                );
                assert_eq!(payload_len_for(seed, Some(mib)), Ok(len));
            }
        }
        assert_ne!(payload_len_for(1, Some(8)), payload_len_for(2, Some(8)));
        assert!(payload_len_for(1, Some(0)).is_err());
        assert!(payload_len_for(1, Some(MAX_PAYLOAD_MIB + 1)).is_err());
    }

    #[test]
    fn payload_len_reads_its_variable() {
        // Nothing else in these tests reads or sets `PAYLOAD_MIB_VAR`, so the process-wide
        // variable is this test's alone; the other checks of one run stay in one test so that
        // they cannot interleave.
        // SAFETY: no other thread of the test binary reads or writes this variable.
        unsafe { std::env::remove_var(PAYLOAD_MIB_VAR) };
        assert_eq!(payload_len(3), Ok(handover_len(3)));
        // SAFETY: as above.
        unsafe { std::env::set_var(PAYLOAD_MIB_VAR, " 2 ") };
        assert_eq!(payload_len(3), payload_len_for(3, Some(2)));
        // SAFETY: as above.
        unsafe { std::env::set_var(PAYLOAD_MIB_VAR, "lots") };
        assert!(payload_len(3).unwrap_err().contains(PAYLOAD_MIB_VAR));
        // SAFETY: as above.
        unsafe { std::env::remove_var(PAYLOAD_MIB_VAR) };
    }

    #[test]
    fn payload_checksum_streams_the_same_bytes() {
        for len in [0, 1, 7, 8, 9, 65_535, 65_536, 65_537, 3 * 65_536 + 5] {
            let mut payload = vec![0; len];
            fill_handover_payload(11, &mut payload);
            assert_eq!(
                payload_checksum(11, len),
                payload_sum(&payload),
                "{len} bytes"
            );
        }
        let payload = handover_payload(4);
        assert_eq!(payload_checksum(4, payload.len()), payload_sum(&payload));
        // Every byte counts (the length, which the padding hides, is printed beside it).
        for at in [0, payload.len() / 2, payload.len() - 1] {
            let mut changed = payload.clone();
            changed[at] ^= 1;
            assert_ne!(payload_sum(&changed), payload_sum(&payload), "byte {at}");
        }
    }

    #[test]
    fn ipc_messages_are_seeded_and_span_pipe_buf() {
        let messages = ipc_messages(42);
        assert_eq!(messages, ipc_messages(42));
        assert_ne!(messages, ipc_messages(43));
        assert!((12..=20).contains(&messages.len()));
        assert_eq!(messages[0].len(), 1);
        assert!(messages[1].len() > PIPE_BUF);
        assert!(
            messages
                .iter()
                .all(|message| (1..=MAX_MESSAGE_LEN).contains(&message.len()))
        );
        assert_eq!(checksum(b""), 0x811c_9dc5);
        assert_eq!(
            message_line(0, b"a"),
            format!("message 0: 1 bytes, checksum {}", checksum(b"a"))
        );
    }

    #[test]
    fn async_messages_are_seeded_and_in_range() {
        for seed in [0, 1, 42, u64::MAX] {
            let fast = async_messages(seed, 0);
            let slow = async_messages(seed, 1);
            assert_eq!(fast, async_messages(seed, 0));
            assert_eq!(slow, async_messages(seed, 1));
            assert!((16..=24).contains(&fast.len()));
            assert!((5..=8).contains(&slow.len()));
            assert!(
                fast.iter()
                    .all(|message| (5..=25).contains(&message.pause_ms))
            );
            assert!(
                slow.iter()
                    .all(|message| (40..=90).contains(&message.pause_ms))
            );
            for (producer, messages) in [(0, &fast), (1, &slow)] {
                for (index, message) in messages.iter().enumerate() {
                    let token = message
                        .line
                        .strip_prefix(&format!("producer {producer} message {index}: "))
                        .unwrap();
                    assert!((8..=64).contains(&token.len()));
                    assert!(
                        token
                            .bytes()
                            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
                    );
                    // One write of the line and its newline must be atomic.
                    assert!(message.line.len() + 1 < PIPE_BUF);
                }
            }
        }
        assert_ne!(async_messages(1, 0), async_messages(2, 0));
        let tokens = |seed, producer| -> Vec<String> {
            async_messages(seed, producer)
                .into_iter()
                .map(|message| message.line.split_once(": ").unwrap().1.to_owned())
                .collect()
        };
        assert_ne!(tokens(7, 0)[..5], tokens(7, 1)[..5]);
    }

    #[test]
    #[should_panic(expected = "producers")]
    fn async_messages_reject_a_third_producer() {
        let _ = async_messages(1, ASYNC_PRODUCERS);
    }
}
