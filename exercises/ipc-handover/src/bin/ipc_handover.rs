//! A parent hands a large payload over to its child: the handover half of the IPC exercises.
//!
//! Run it with `cargo run --release --bin ipc_handover`. As given, the parent copies the payload
//! through a pipe: the kernel copies every byte from the parent's memory into the pipe, and
//! again from the pipe into the child's. Your job is the `TODO` in `main`: hand the memory over
//! instead of copying it.
//!
//! The child prints on stderr how long the transfer took, `transfer: <wall> us, <cpu> us of CPU`, to
//! compare with `ipc_copy`, which copies the same payload through a pipe. Those lines are
//! written already: keep them where the comments say.

use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use labgrade_support::ArraySpec;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

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
    // TODO: instead of a buffer and a pipe, make a memory file (`memfd_create` with
    //       `MFD_ALLOW_SEALING`), size it to `len` (`File::set_len`), map it shared (`mmap`),
    //       generate the payload straight into it (`labgrade_support::fill_handover_payload`),
    //       take `start` (below), then unmap it, seal it (`fcntl` with `F_ADD_SEALS`:
    //       `F_SEAL_WRITE`, `F_SEAL_SHRINK`, `F_SEAL_GROW`), and let the child map it read-only
    //       after the fork.
    let mut payload = vec![0; len];
    labgrade_support::fill_handover_payload(spec.seed, &mut payload);
    let (mut reader, writer) = match io::pipe() {
        Ok(ends) => ends,
        Err(error) => {
            eprintln!("pipe failed: {error}");
            return ExitCode::FAILURE;
        }
    };
    // Keep this line right after the payload is ready, before the handover starts (in your
    // handover: before unmapping and sealing).
    let start = Instant::now();
    // SAFETY: the process has a single thread when it forks, so the child may run any code.
    let child = match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            drop(writer);
            let mut received = Vec::new();
            let code = match reader.read_to_end(&mut received) {
                Ok(_) => {
                    // Keep this line where the child has the payload (in your handover: right
                    // after its `mmap`). `Instant` is the monotonic clock, shared by both
                    // processes, so the time since the parent's `start` is meaningful here.
                    eprintln!("{}", labgrade_support::transfer_line(start));
                    println!("{}", labgrade_support::payload_line(&received));
                    0
                }
                Err(error) => {
                    eprintln!("child: could not read the payload: {error}");
                    1
                }
            };
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
