//! For both sides: the seeded messages of wait-for-me and of the IPC exercises, their checksum
//! and the lines a program prints about them; the harness draws the same messages to check them.

use crate::generator::splitmix64;

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
