//! A parent copies a large payload to its child through a pipe: the copying half of the
//! handover exercise, the yardstick `ipc_handover` is measured against (reference solution).
//!
//! Run it with `cargo run --release --bin ipc_copy`. The parent generates the payload in its own
//! memory and writes it into a pipe; the kernel copies every byte from the parent's memory into
//! the pipe, and again from the pipe into the child's buffer. The child reads exactly the whole
//! payload, prints on stderr how long the transfer took, `transfer: <wall> us, <cpu> us of CPU`, counted
//! from just before the fork, and prints the payload's length and checksum on stdout.

use std::io::{self, PipeReader, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use labgrade_support::ArraySpec;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

/// The child: reads the `len` bytes of the payload from `reader`, prints how long the transfer
/// since `start` took, and prints the payload's length and checksum.
fn child_main(mut reader: PipeReader, len: usize, start: Instant) -> i32 {
    // The child knows the length as the parent does (from the seed and the environment), so it
    // reads exactly that many bytes: `read_exact` loops over the short reads a pipe gives (at
    // most what the pipe holds, 64 KiB by default, per `read`).
    let mut received = vec![0; len];
    if let Err(error) = reader.read_exact(&mut received) {
        eprintln!("child: could not read the payload: {error}");
        return 1;
    }
    // `Instant` is the monotonic clock, the same in both processes, so the time since the
    // parent's `start` is meaningful here.
    eprintln!("{}", labgrade_support::transfer_line(start));
    println!("{}", labgrade_support::payload_line(&received));
    0
}

fn main() -> ExitCode {
    let spec = match ArraySpec::from_env() {
        Ok(spec) => spec,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let len = match labgrade_support::payload_len(spec.seed) {
        Ok(len) => len,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let mut payload = vec![0; len];
    labgrade_support::fill_handover_payload(spec.seed, &mut payload);
    let (reader, writer) = match io::pipe() {
        Ok(ends) => ends,
        Err(error) => {
            eprintln!("pipe failed: {error}");
            return ExitCode::FAILURE;
        }
    };
    // The payload is ready: the transfer (forking, writing, reading) starts here.
    let start = Instant::now();
    // SAFETY: the process has a single thread when it forks, so the child may run any code.
    let child = match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            // Without its own copy of the write end closed, the child would never see the end
            // of the pipe if the parent stopped early: `read_exact` would wait forever.
            drop(writer);
            let code = child_main(reader, len, start);
            let _ = io::stdout().flush();
            // SAFETY: `_exit` ends the calling process; it has no preconditions.
            unsafe { nix::libc::_exit(code) }
        }
        Ok(ForkResult::Parent { child }) => child,
        Err(error) => {
            eprintln!("fork failed: {error}");
            return ExitCode::FAILURE;
        }
    };
    drop(reader);
    // Writing consumes the write end, which closes it once the whole payload is in the pipe.
    let sent = { writer }.write_all(&payload);
    let status = waitpid(child, None);
    if let Err(error) = sent {
        eprintln!("could not send the payload: {error}");
        return ExitCode::FAILURE;
    }
    match status {
        Ok(WaitStatus::Exited(_, 0)) => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("the child did not end well: {status:?}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("waitpid failed: {error}");
            ExitCode::FAILURE
        }
    }
}
