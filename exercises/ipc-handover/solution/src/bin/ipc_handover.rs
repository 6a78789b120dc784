//! A parent hands a large payload over to its child without copying it: the handover half of
//! the IPC exercises (reference solution).
//!
//! Run it with `cargo run --release --bin ipc_handover`. The parent makes a memory file
//! (`memfd_create`), maps it shared and generates the payload straight into it; it then unmaps
//! it and seals it (`F_SEAL_WRITE` and the size seals), so that nobody can change the bytes any
//! more, and forks. The child inherits the descriptor, maps the same pages read-only, and
//! checksums them: no byte of the payload is copied between the two processes.
//!
//! The transfer is timed from the moment the payload is ready in the parent's mapping to the
//! moment the child has mapped it; the child prints that time on stderr as
//! `transfer: <wall> us, <cpu> us of CPU`, to compare with `ipc_copy`, which copies the same payload
//! through a pipe.

use std::fs::File;
use std::io::{self, Write};
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Instant;

use labgrade_support::ArraySpec;
use nix::fcntl::{FcntlArg, SealFlag, fcntl};
use nix::sys::memfd::{MFdFlags, memfd_create};
use nix::sys::mman::{MapFlags, ProtFlags, mmap, munmap};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

/// Maps `len` bytes of `file` shared, with `prot`.
fn map(file: &File, len: NonZeroUsize, prot: ProtFlags) -> nix::Result<*mut u8> {
    // SAFETY: a fresh mapping chosen by the kernel overlaps no memory of the program.
    let pointer = unsafe { mmap(None, len, prot, MapFlags::MAP_SHARED, file, 0)? };
    Ok(pointer.as_ptr().cast())
}

/// Makes a memory file that can be sealed, maps it shared and writable and generates the
/// payload of `seed` straight into it; returns the file, its length and the mapping.
fn make_payload(seed: u64) -> Result<(File, NonZeroUsize, *mut u8), String> {
    let len = NonZeroUsize::new(labgrade_support::payload_len(seed)?).ok_or("empty payload")?;
    let fd = memfd_create(c"payload", MFdFlags::MFD_ALLOW_SEALING)
        .map_err(|error| format!("memfd_create failed: {error}"))?;
    let file = File::from(fd);
    file.set_len(len.get() as u64)
        .map_err(|error| format!("could not size the memory file: {error}"))?;
    let pointer = map(&file, len, ProtFlags::PROT_READ | ProtFlags::PROT_WRITE)
        .map_err(|error| format!("mmap failed: {error}"))?;
    // SAFETY: the mapping is `len` bytes, readable and writable, and only this slice uses it.
    let payload = unsafe { std::slice::from_raw_parts_mut(pointer, len.get()) };
    labgrade_support::fill_handover_payload(seed, payload);
    Ok((file, len, pointer))
}

/// Gives up the parent's writable mapping `pointer` of `len` bytes of `file` and seals the file,
/// so that its bytes can no longer change.
fn seal(file: &File, len: NonZeroUsize, pointer: *mut u8) -> Result<(), String> {
    // A writable shared mapping would make `F_SEAL_WRITE` fail: unmap it first.
    // SAFETY: the caller no longer uses the mapping.
    unsafe {
        munmap(
            std::ptr::NonNull::new(pointer.cast()).ok_or("null mapping")?,
            len.get(),
        )
    }
    .map_err(|error| format!("munmap failed: {error}"))?;
    let seals = SealFlag::F_SEAL_WRITE
        | SealFlag::F_SEAL_SHRINK
        | SealFlag::F_SEAL_GROW
        | SealFlag::F_SEAL_SEAL;
    fcntl(file, FcntlArg::F_ADD_SEALS(seals))
        .map_err(|error| format!("could not seal the memory file: {error}"))?;
    Ok(())
}

/// The child: maps the sealed file read-only, prints how long the transfer since `start` took,
/// and prints the payload's length and checksum.
fn child_main(file: &File, len: NonZeroUsize, start: Instant) -> i32 {
    match map(file, len, ProtFlags::PROT_READ) {
        Ok(pointer) => {
            // The payload is in the child's hands once mapped: reading it is the child's work,
            // not the transfer's. `Instant` is the monotonic clock, shared by both processes.
            eprintln!("{}", labgrade_support::transfer_line(start));
            // SAFETY: the mapping is `len` bytes and readable; the seals keep it unchanged.
            let payload = unsafe { std::slice::from_raw_parts(pointer, len.get()) };
            println!("{}", labgrade_support::payload_line(payload));
            0
        }
        Err(error) => {
            eprintln!("child: mmap failed: {error}");
            1
        }
    }
}

fn main() -> ExitCode {
    let spec = match ArraySpec::from_env() {
        Ok(spec) => spec,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let (file, len, pointer) = match make_payload(spec.seed) {
        Ok(made) => made,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    // The payload is ready: the handover (unmapping, sealing, forking, mapping) starts here.
    let start = Instant::now();
    if let Err(message) = seal(&file, len, pointer) {
        eprintln!("{message}");
        return ExitCode::FAILURE;
    }
    // SAFETY: the process has a single thread when it forks, so the child may run any code.
    let child = match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            let code = child_main(&file, len, start);
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
    // The parent no longer needs the payload: it was handed over.
    drop(file);
    match waitpid(child, None) {
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
