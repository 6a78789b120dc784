//! What the seccomp filters of the supervisor ([`super::syscalls`], [`super::senders`]) share:
//! classic BPF instructions, the layout of `struct seccomp_data`, and installing a program.

use nix::errno::Errno;
use nix::libc;

/// `AUDIT_ARCH_X86_64`: `EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE`.
pub(super) const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
/// Offsets in `struct seccomp_data`: the call's number and its architecture.
pub(super) const NR: u32 = 0;
pub(super) const ARCH: u32 = 4;

/// Low 32 bits of argument `index` in `struct seccomp_data` (little-endian).
pub(super) const fn arg_low(index: u32) -> u32 {
    16 + 8 * index
}

/// An instruction that does not jump.
pub(super) fn stmt(code: u32, k: u32) -> libc::sock_filter {
    jump(code, k, 0, 0)
}

/// A conditional jump: `jt` instructions ahead when true, `jf` when false.
pub(super) fn jump(code: u32, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

/// A filter's program, built before the fork so that installing it in the child allocates
/// nothing.
pub(super) struct Program {
    instructions: Vec<libc::sock_filter>,
}

impl Program {
    pub(super) fn new(instructions: Vec<libc::sock_filter>) -> Self {
        Self { instructions }
    }

    /// Installs the program as a seccomp filter of the calling process with `flags`, after
    /// setting no-new-privileges, which a filter needs without `CAP_SYS_ADMIN`; returns what
    /// `seccomp` returned (a listener descriptor with `SECCOMP_FILTER_FLAG_NEW_LISTENER`).
    /// Async-signal-safe: two system calls on memory built before the fork.
    pub(super) fn install(&self, flags: libc::c_ulong) -> nix::Result<i64> {
        let instructions = &self.instructions;
        // SAFETY: `prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)` reads and writes no memory.
        Errno::result(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) })?;
        let program = libc::sock_fprog {
            len: u16::try_from(instructions.len()).map_err(|_| Errno::E2BIG)?,
            filter: instructions.as_ptr().cast_mut(),
        };
        // SAFETY: the kernel copies the program from `program`, which points to valid BPF
        // instructions that live for the whole call; nothing is written.
        Errno::result(unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                flags,
                &raw const program,
            )
        })
    }
}
