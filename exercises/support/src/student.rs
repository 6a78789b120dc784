//! For students: what an exercise program calls to read its worker count, split its work, time
//! it and share its workers' results with the parent.

use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};

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

/// The `results` array: `len` slots of `i64` in an anonymous mapping shared with child processes.
///
/// The seg-fault and memory-corruption skeletons use it as it is; in sum-array, building such an
/// array is part of the exercise (step 1 of `sum_array_processes`).
///
/// Slots are only accessed through raw pointers (never through references), one process writing
/// a slot and the parent reading it after `waitpid` reports that the writer has exited.
pub struct SharedResults {
    slots: NonNull<i64>,
    len: usize,
}

impl SharedResults {
    /// Maps `len` zeroed slots, shared with every child forked afterwards.
    pub fn new(len: usize) -> nix::Result<Self> {
        let bytes = len
            .checked_mul(size_of::<i64>())
            .and_then(NonZeroUsize::new)
            .ok_or(nix::errno::Errno::EINVAL)?;
        // SAFETY: with no address hint and no MAP_FIXED, the kernel places the mapping in unused
        // address space, so no memory the program already uses is affected.
        let mapping = unsafe {
            mmap_anonymous(
                None,
                bytes,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
            )?
        };
        // The mapping is page-aligned (so aligned for i64), readable, writable and filled with
        // zeros by the kernel, so every slot already holds a valid `i64`: 0.
        Ok(Self {
            slots: mapping.cast(),
            len,
        })
    }

    /// Stores `value` in slot `index`.
    pub fn set(&self, index: usize, value: i64) {
        assert!(index < self.len, "slot {index} out of {}", self.len);
        // SAFETY: `index` is in bounds of the live mapping, which is aligned and writable, and no
        // reference to the slot exists anywhere (all accesses are raw).
        unsafe { self.slots.add(index).write(value) }
    }

    /// Reads slot `index`.
    pub fn get(&self, index: usize) -> i64 {
        assert!(index < self.len, "slot {index} out of {}", self.len);
        // SAFETY: as in `set`; the child that wrote the slot has exited (the caller has reaped
        // it with `waitpid`), so its write is complete and visible through the shared mapping.
        unsafe { self.slots.add(index).read() }
    }

    /// Sum of every slot.
    pub fn total(&self) -> i64 {
        (0..self.len).map(|index| self.get(index)).sum()
    }
}

impl Drop for SharedResults {
    fn drop(&mut self) {
        // SAFETY: `slots` and the length are exactly those of the mapping made in `new`, and
        // nothing uses the mapping after this (`self` is being dropped).
        let unmapped = unsafe { munmap(self.slots.cast(), self.len * size_of::<i64>()) };
        if let Err(error) = unmapped {
            eprintln!("munmap of the results array failed: {error}");
        }
    }
}
