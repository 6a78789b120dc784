//! What the seccomp filters of the supervisor ([`super::syscalls`], [`super::senders`]) share:
//! the layout of `struct seccomp_data`, an assembler of classic BPF whose jumps name labels
//! instead of counting instructions, and installing a program.
//!
//! Written by hand rather than with a filter builder: `seccompiler` 0.5 has no
//! `SECCOMP_RET_USER_NOTIF` action (which [`super::senders`] returns) and kills the process on a
//! call of another architecture (which [`super::syscalls`] lets run); `libseccomp` would make
//! labgrade need the system's C library wherever it runs, and its `seccomp_load` allocates, which
//! the child may not do between `fork` and `exec`.

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

/// A place in a program that jumps go to, given an instruction by [`Assembler::bind`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Label(usize);

/// Where a conditional jump goes.
#[derive(Debug, Clone, Copy)]
pub(super) enum To {
    /// On to the next instruction.
    Next,
    Label(Label),
}

/// What a conditional jump tests the accumulator against its constant for.
#[derive(Debug, Clone, Copy)]
pub(super) enum Test {
    /// Equal (`BPF_JEQ`).
    Eq,
    /// Shares a bit with it (`BPF_JSET`).
    HasBits,
}

/// Builds a program: instructions are appended, forward jumps name labels, and
/// [`Assembler::finish`] turns the labels into the offsets that classic BPF counts.
#[derive(Debug, Default)]
pub(super) struct Assembler {
    instructions: Vec<libc::sock_filter>,
    /// The instruction each label was bound to.
    labels: Vec<Option<usize>>,
    /// The conditional jumps, by instruction, with where they go when true and when false.
    jumps: Vec<(usize, To, To)>,
}

impl Assembler {
    pub(super) fn new() -> Self {
        Self::default()
    }

    /// A new label, to bind later.
    pub(super) fn label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    /// Binds `label` to the next instruction appended.
    pub(super) fn bind(&mut self, label: Label) {
        let slot = &mut self.labels[label.0];
        assert!(slot.is_none(), "label {label:?} bound twice");
        *slot = Some(self.instructions.len());
    }

    /// Loads the 32-bit word at `offset` of `struct seccomp_data` into the accumulator.
    pub(super) fn load(&mut self, offset: u32) {
        self.push(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, offset);
    }

    /// Ends the program with `action` (`SECCOMP_RET_*`).
    pub(super) fn ret(&mut self, action: u32) {
        self.push(libc::BPF_RET | libc::BPF_K, action);
    }

    /// Goes to `yes` if the accumulator passes `test` against `k`, else to `no`.
    pub(super) fn jump(&mut self, test: Test, k: u32, yes: To, no: To) {
        let condition = match test {
            Test::Eq => libc::BPF_JEQ,
            Test::HasBits => libc::BPF_JSET,
        };
        self.jumps.push((self.instructions.len(), yes, no));
        self.push(libc::BPF_JMP | condition | libc::BPF_K, k);
    }

    /// Ends the program with `action` if the accumulator passes `test` against `k`.
    pub(super) fn ret_if(&mut self, test: Test, k: u32, action: u32) {
        let other = self.label();
        self.jump(test, k, To::Next, To::Label(other));
        self.ret(action);
        self.bind(other);
    }

    /// Ends the program with `action` unless the accumulator passes `test` against `k`.
    pub(super) fn ret_unless(&mut self, test: Test, k: u32, action: u32) {
        let passed = self.label();
        self.jump(test, k, To::Label(passed), To::Next);
        self.ret(action);
        self.bind(passed);
    }

    fn push(&mut self, code: u32, k: u32) {
        self.instructions.push(libc::sock_filter {
            code: code as u16,
            jt: 0,
            jf: 0,
            k,
        });
    }

    /// The program, with every label turned into an offset.
    ///
    /// # Panics
    ///
    /// On a mistake of the code that built it, which its unit tests catch: a label never
    /// bound, a jump backwards or farther than 255 instructions (classic BPF jumps only
    /// forward, by one byte), or a program that can run past its last instruction.
    pub(super) fn finish(mut self) -> Program {
        for &(index, yes, no) in &self.jumps {
            let offset = |to: To| match to {
                To::Next => 0,
                To::Label(label) => {
                    let target = self.labels[label.0].expect("every label is bound");
                    assert!(target > index, "jump backwards at {index}");
                    u8::try_from(target - index - 1).expect("jump of at most 255 instructions")
                }
            };
            let (jt, jf) = (offset(yes), offset(no));
            self.instructions[index].jt = jt;
            self.instructions[index].jf = jf;
        }
        let ret = (libc::BPF_RET | libc::BPF_K) as u16;
        assert!(
            self.instructions
                .last()
                .is_some_and(|last| last.code == ret),
            "the program ends with a return"
        );
        // A label bound past the last instruction would be a jump out of the program.
        assert!(
            self.labels
                .iter()
                .all(|target| target.is_some_and(|target| target < self.instructions.len())),
            "every label is bound to an instruction"
        );
        Program {
            instructions: self.instructions,
        }
    }
}

/// A filter's program, built before the fork so that installing it in the child allocates
/// nothing.
pub(super) struct Program {
    instructions: Vec<libc::sock_filter>,
}

impl Program {
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

    /// What the program returns for a call of number `nr` with `args`, of architecture `arch`,
    /// run as the kernel would; checks on the way that every jump lands inside the program.
    #[cfg(test)]
    pub(super) fn run(&self, arch: u32, nr: i64, args: [u64; 6]) -> u32 {
        let word = |offset: u32| match offset {
            NR => nr as u32,
            ARCH => arch,
            offset if offset >= arg_low(0) && (offset - arg_low(0)).is_multiple_of(4) => {
                let arg = args[((offset - arg_low(0)) / 8) as usize];
                // Little-endian: the low word first.
                if (offset - arg_low(0)).is_multiple_of(8) {
                    arg as u32
                } else {
                    (arg >> 32) as u32
                }
            }
            offset => panic!("load of offset {offset}"),
        };
        let mut accumulator = 0;
        let mut pc = 0;
        loop {
            let instruction = self.instructions[pc];
            let code = u32::from(instruction.code);
            pc += 1;
            if code == libc::BPF_LD | libc::BPF_W | libc::BPF_ABS {
                accumulator = word(instruction.k);
            } else if code == libc::BPF_RET | libc::BPF_K {
                return instruction.k;
            } else {
                let passed = if code == libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K {
                    accumulator == instruction.k
                } else if code == libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K {
                    accumulator & instruction.k != 0
                } else {
                    panic!("instruction {code:#x} at {}", pc - 1);
                };
                for offset in [instruction.jt, instruction.jf] {
                    assert!(pc + usize::from(offset) < self.instructions.len());
                }
                pc += usize::from(if passed {
                    instruction.jt
                } else {
                    instruction.jf
                });
            }
        }
    }

    #[cfg(test)]
    pub(super) fn instructions(&self) -> &[libc::sock_filter] {
        &self.instructions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_become_forward_offsets() {
        let mut code = Assembler::new();
        let end = code.label();
        code.load(NR);
        code.jump(Test::Eq, 7, To::Label(end), To::Next);
        code.ret_if(Test::HasBits, 0b100, 1);
        code.ret_unless(Test::Eq, 8, 2);
        code.bind(end);
        code.ret(3);
        let program = code.finish();
        let jumps: Vec<_> = program
            .instructions()
            .iter()
            .map(|instruction| (instruction.jt, instruction.jf))
            .collect();
        assert_eq!(
            jumps,
            [(0, 0), (4, 0), (0, 1), (0, 0), (1, 0), (0, 0), (0, 0)]
        );
        let run = |nr| program.run(AUDIT_ARCH_X86_64, nr, [0; 6]);
        assert_eq!((run(7), run(4), run(5), run(8)), (3, 1, 1, 3));
        assert_eq!(run(9), 2);
    }

    #[test]
    #[should_panic(expected = "every label is bound")]
    fn an_unbound_label_is_a_mistake() {
        let mut code = Assembler::new();
        let nowhere = code.label();
        code.jump(Test::Eq, 1, To::Label(nowhere), To::Next);
        code.ret(0);
        let _ = code.finish();
    }

    #[test]
    #[should_panic(expected = "ends with a return")]
    fn a_program_must_not_run_off_its_end() {
        let mut code = Assembler::new();
        code.ret(0);
        code.load(NR);
        let _ = code.finish();
    }

    #[test]
    fn arguments_are_read_by_their_low_and_high_words() {
        let mut code = Assembler::new();
        code.load(arg_low(2) + 4);
        code.ret_if(Test::Eq, 1, 10);
        code.load(arg_low(2));
        code.ret_if(Test::Eq, 1, 20);
        code.ret(0);
        let program = code.finish();
        let run = |arg: u64| program.run(AUDIT_ARCH_X86_64, 0, [0, 0, arg, 0, 0, 0]);
        assert_eq!((run(1 << 32), run(1), run(2)), (10, 20, 0));
    }
}
