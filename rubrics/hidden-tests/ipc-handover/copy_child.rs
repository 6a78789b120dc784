//! Hidden tests of ipc-handover's `ipc_copy`: `child_main(reader, len, start)` reads the `len`
//! bytes of the payload from the pipe `reader`, however the writer splits them, returns 0 once
//! it has them all, and a code other than 0 when the pipe ends before. The program's own parent
//! writes the whole payload at once and never stops early, so neither shows in its runs.
//! Compiled into `ipc_copy` as a module of its own.

use std::io::{self, Write};
use std::thread;
use std::time::{Duration, Instant};

use super::child_main;

/// Bytes of the payload the tests hand `child_main`: more than a pipe holds.
const LEN: usize = 200_000;

/// A new pipe whose write end a thread fills with `bytes` bytes, in pieces of 1000 with a pause
/// after each (so that every `read` gets less than a page), then closes; the thread tells
/// whether every byte went in (a reader that stopped early makes the next write fail).
fn pipe_written_in_pieces(bytes: usize) -> (io::PipeReader, thread::JoinHandle<io::Result<()>>) {
    let (reader, mut writer) = io::pipe().expect("a pipe");
    let writing = thread::spawn(move || {
        let piece = [7u8; 1000];
        let mut sent = 0;
        while sent < bytes {
            let size = piece.len().min(bytes - sent);
            writer.write_all(&piece[..size])?;
            sent += size;
            thread::sleep(Duration::from_micros(200));
        }
        Ok(())
    });
    (reader, writing)
}

#[test]
fn reads_a_payload_written_in_pieces() {
    let (reader, writing) = pipe_written_in_pieces(LEN);
    let code = child_main(reader, LEN, Instant::now());
    let written = writing.join().expect("the writing thread");
    assert!(
        written.is_ok(),
        "child_main(reader, {LEN}, start) stopped reading before the end of a payload written in pieces of 1000 bytes: the writer's next write failed ({written:?})"
    );
    assert_eq!(
        code, 0,
        "child_main(reader, {LEN}, start) must return 0 once it has read all {LEN} bytes"
    );
}

#[test]
fn fails_when_the_pipe_ends_before_the_whole_payload() {
    let (reader, writing) = pipe_written_in_pieces(LEN / 2);
    let code = child_main(reader, LEN, Instant::now());
    let _ = writing.join();
    assert_ne!(
        code,
        0,
        "the pipe ended after {} of {LEN} bytes: child_main(reader, {LEN}, start) must return a code other than 0",
        LEN / 2
    );
}
