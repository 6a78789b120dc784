//! The system calls of interest to the IPC exercises, observed exactly and cheaply: a seccomp
//! filter stops only those in the tracer, which counts each with the argument that matters, and
//! can make reads from pipes come back short.
//!
//! **Why seccomp.** `PTRACE_SYSCALL` would stop every task at every system call, twice; a
//! program summing an array or moving megabytes through a pipe would pay for calls nobody
//! grades. The filter, installed in the program just before its `exec`, returns
//! `SECCOMP_RET_TRACE` only for the listed calls (and for `mmap`, `fcntl` and `ioctl` only with
//! the argument that matters: `MAP_SHARED`, `F_ADD_SEALS`/`F_SETFL`, `FIONREAD`); every other
//! call runs at full speed. The tracer, which sets `PTRACE_O_TRACESECCOMP`, gets a
//! `PTRACE_EVENT_SECCOMP` stop at the entry of each listed call and hands it to
//! [`Observer::on_stop`]. The filter is inherited by every task the program creates, and so is
//! the tracer's option, so the count covers the whole program.
//!
//! **Short reads.** At a `read` of a pipe, with [`SyscallWatch::short_reads`], the tracer lowers
//! the count argument (a register) to a smaller value drawn from `SplitMix64` seeded with the
//! run's seed, so the same seed gives the same lengths in the same order of reads. The kernel may
//! return fewer bytes than asked whenever it likes; this only makes that happen every time, so
//! a program that assumes one `read` per message fails instead of passing by luck. Reads of
//! anything but a pipe are left alone: on a datagram socket a shorter read would cut a message.
//!
//! Limits: only x86-64 is supported (the filter checks the audit architecture and lets calls of
//! other ABIs, such as x32 or i386, run unobserved); elsewhere [`Filter::new`] gives nothing and
//! the census says the system calls were not observed. A filter that returns
//! `SECCOMP_RET_TRACE` with no tracer attached fails the call with `ENOSYS`: the program is a
//! tracee from `exec` on, and no listed call is made between the installation and the `exec`.

use std::collections::{BTreeMap, HashMap};

use ::procfs::process::FDTarget;

use super::channels::Channels;
use super::procfs;
use crate::run::job::SyscallWatch;

/// Longest read the short-read perturbation lets through, in bytes: a bit more than a page, so
/// that a message longer than that always takes several reads.
const MAX_SHORT_READ: u64 = 4096 + 17;

/// The seccomp filter of an observed job, built before the fork so that installing it in the
/// child allocates nothing.
pub(super) struct Filter {
    #[cfg(target_arch = "x86_64")]
    program: super::bpf::Program,
}

#[cfg(target_arch = "x86_64")]
mod bpf {
    //! The filter's program, for x86-64.

    use nix::libc;

    use super::super::bpf::{
        ARCH, AUDIT_ARCH_X86_64, Assembler, Label, NR, Program, Test, To, arg_low,
    };

    /// `F_ADD_SEALS` (`F_LINUX_SPECIFIC_BASE + 9`).
    pub(super) const F_ADD_SEALS: u64 = 1033;
    /// `epoll_pwait2`, newer than some libc tables.
    pub(super) const SYS_EPOLL_PWAIT2: i64 = 441;

    /// When a call is stopped.
    enum When {
        Always,
        /// Argument `.0` (its low 32 bits) equals one of these.
        ArgIs(u32, &'static [u32]),
        /// Argument `.0` has one of the bits of `.1`.
        ArgHasBits(u32, u32),
    }

    /// The program: load the number once; for each observed call, compare, and (for a
    /// conditional one) load the argument and test it; `SECCOMP_RET_TRACE` on a match, else go
    /// on; allow everything else.
    pub(super) fn program() -> Program {
        let trace = libc::SECCOMP_RET_TRACE;
        let allow = libc::SECCOMP_RET_ALLOW;
        let calls: [(i64, When); 25] = [
            (libc::SYS_pipe, When::Always),
            (libc::SYS_pipe2, When::Always),
            (libc::SYS_socketpair, When::Always),
            (libc::SYS_memfd_create, When::Always),
            (
                libc::SYS_fcntl,
                When::ArgIs(1, &[F_ADD_SEALS as u32, libc::F_SETFL as u32]),
            ),
            (libc::SYS_vmsplice, When::Always),
            (libc::SYS_mmap, When::ArgHasBits(3, libc::MAP_SHARED as u32)),
            (libc::SYS_poll, When::Always),
            (libc::SYS_ppoll, When::Always),
            (libc::SYS_epoll_wait, When::Always),
            (libc::SYS_epoll_pwait, When::Always),
            (SYS_EPOLL_PWAIT2, When::Always),
            (libc::SYS_select, When::Always),
            (libc::SYS_pselect6, When::Always),
            (libc::SYS_ioctl, When::ArgIs(1, &[libc::FIONREAD as u32])),
            (libc::SYS_read, When::Always),
            // Sends and receives, counted (at their exit, once their result is known) only on
            // sockets: a datagram's send and receive are one message each.
            (libc::SYS_readv, When::Always),
            (libc::SYS_recvfrom, When::Always),
            (libc::SYS_recvmsg, When::Always),
            (libc::SYS_recvmmsg, When::Always),
            (libc::SYS_write, When::Always),
            (libc::SYS_writev, When::Always),
            (libc::SYS_sendto, When::Always),
            (libc::SYS_sendmsg, When::Always),
            (libc::SYS_sendmmsg, When::Always),
        ];
        let mut code = Assembler::new();
        code.load(ARCH);
        // Another ABI: numbers mean other calls; let it run.
        code.ret_unless(Test::Eq, AUDIT_ARCH_X86_64, allow);
        // Loaded once: a block that does not match jumps past its argument load, so the
        // number is still in the accumulator for the next block. This program runs at every
        // system call of the program, observed or not.
        code.load(NR);
        for (number, when) in calls {
            match when {
                When::Always => code.ret_if(Test::Eq, number as u32, trace),
                When::ArgIs(arg, values) => {
                    trace_if_arg(&mut code, number, arg, |code, matched| {
                        for value in values {
                            code.jump(Test::Eq, *value, To::Label(matched), To::Next);
                        }
                    });
                }
                When::ArgHasBits(arg, bits) => {
                    trace_if_arg(&mut code, number, arg, |code, matched| {
                        code.jump(Test::HasBits, bits, To::Label(matched), To::Next);
                    });
                }
            }
        }
        code.ret(allow);
        code.finish()
    }

    /// A call stopped on a condition of argument `arg`: `[jeq nr] [load arg] [tests]… [allow]
    /// matched: [trace] other:`, where `tests` jump to `matched` when the argument passes.
    fn trace_if_arg(
        code: &mut Assembler,
        number: i64,
        arg: u32,
        tests: impl FnOnce(&mut Assembler, Label),
    ) {
        let (other, matched) = (code.label(), code.label());
        code.jump(Test::Eq, number as u32, To::Next, To::Label(other));
        code.load(arg_low(arg));
        tests(code, matched);
        code.ret(libc::SECCOMP_RET_ALLOW);
        code.bind(matched);
        code.ret(libc::SECCOMP_RET_TRACE);
        code.bind(other);
    }
}

impl Filter {
    /// The filter, or `None` where labgrade cannot observe system calls.
    pub(super) fn new() -> Option<Self> {
        let filter = Self {
            #[cfg(target_arch = "x86_64")]
            program: bpf::program(),
        };
        cfg!(target_arch = "x86_64").then_some(filter)
    }

    /// Installs the filter in the calling process (the child, before `exec`). Async-signal-safe:
    /// two system calls on memory built before the fork. Sets no-new-privileges first, which a
    /// filter needs without `CAP_SYS_ADMIN` (Landlock has set it already when it is used).
    pub(super) fn install(&self) -> nix::Result<()> {
        #[cfg(target_arch = "x86_64")]
        self.program.install(0)?;
        Ok(())
    }
}

/// What the tracer learns at the seccomp stops of one job.
#[derive(Debug)]
pub(super) struct Observer {
    counts: BTreeMap<String, u64>,
    /// State of the short reads' generator, when they are asked for.
    short_reads: Option<u64>,
    shortened: u64,
    /// Calls stopped at their entry whose result decides what is recorded, by task: the task
    /// was resumed to its syscall-exit stop ([`Observer::on_exit`]).
    pending: HashMap<i32, Pending>,
    /// The ends of pipes and socket pairs used, when descriptors are recorded.
    channels: Option<Channels>,
}

/// A call whose record waits for its result.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    /// Recorded under this name if it succeeded (a result of 0 or more).
    IfDone(String),
    /// A send on a socket: `send(data)` if it sent bytes, `send(empty)` if it sent an empty
    /// datagram. `many`: a `sendmmsg`, whose result counts datagrams.
    Send { many: bool },
    /// A receive on a socket: `recv(data)` or `recv(empty)` (an empty datagram, or the end).
    Recv { many: bool },
    /// A `socketpair`, whose two new sockets are told from those the task held before it.
    Pair { before: Vec<u64> },
}

/// The seals a memory file must hold when a process forks, for `fork(memfd-sealed)`:
/// `F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW`, so that its bytes can no longer change.
const HANDOVER_SEALS: i32 = 0x8 | 0x2 | 0x4;

impl Observer {
    /// `descriptors`: also record the ends of pipes and socket pairs used ([`Channels`]).
    pub(super) fn new(watch: &SyscallWatch, descriptors: bool) -> Self {
        Self {
            counts: BTreeMap::new(),
            short_reads: watch.short_reads,
            shortened: 0,
            pending: HashMap::new(),
            channels: descriptors.then(Channels::default),
        }
    }

    fn record(&mut self, name: String, count: u64) {
        *self.counts.entry(name).or_default() += count;
    }

    /// Handles the seccomp stop of `tid`, at the entry of an observed call: counts it, and
    /// shortens a read of a pipe. Returns whether the call's result matters: the caller then
    /// resumes the task with `PTRACE_SYSCALL`, so that its syscall-exit stop comes to
    /// [`Observer::on_exit`]; otherwise it simply lets it go on.
    pub(super) fn on_stop(&mut self, tid: i32) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            use nix::sys::ptrace;
            use nix::unistd::Pid;
            let pid = Pid::from_raw(tid);
            // A failure means the task was killed meanwhile; its end is reported by `waitpid`.
            let Ok(mut regs) = ptrace::getregs(pid) else {
                return false;
            };
            let number = regs.orig_rax.cast_signed();
            let args = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9];
            if let Some(channels) = &mut self.channels
                && let Some(call) = super::channels::io_call(number)
            {
                channels.on_io(tid, call, args[0]);
            }
            let mut pending = socket_io(tid, number, args);
            if let Some(name) = name(tid, number, args) {
                if number == nix::libc::SYS_fcntl {
                    // A seal or a flag that the kernel refused is no seal and no flag.
                    pending = Some(Pending::IfDone(name));
                } else if number == nix::libc::SYS_socketpair && self.channels.is_some() {
                    self.record(name, 1);
                    pending = Some(Pending::Pair {
                        before: Channels::before_socketpair(tid),
                    });
                } else {
                    self.record(name, 1);
                }
            }
            if regs.orig_rax == nix::libc::SYS_read as u64
                && let Some(state) = &mut self.short_reads
                && regs.rdx > 1
                && is_pipe(tid, regs.rdi)
            {
                let draw = labgrade_support::splitmix64(state);
                regs.rdx = 1 + draw % (regs.rdx - 1).min(MAX_SHORT_READ);
                if ptrace::setregs(pid, regs).is_ok() {
                    self.shortened += 1;
                }
            }
            match pending {
                Some(pending) => {
                    self.pending.insert(tid, pending);
                    true
                }
                None => false,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = tid;
            false
        }
    }

    /// Handles the syscall-exit stop of `tid` that [`Observer::on_stop`] asked for: records the
    /// call by its result. The caller resumes the task.
    pub(super) fn on_exit(&mut self, tid: i32) {
        let Some(pending) = self.pending.remove(&tid) else {
            return;
        };
        #[cfg(target_arch = "x86_64")]
        {
            let pid = nix::unistd::Pid::from_raw(tid);
            let Ok(regs) = nix::sys::ptrace::getregs(pid) else {
                return;
            };
            if let Pending::Pair { before } = &pending {
                if regs.rax == 0
                    && let Some(channels) = &mut self.channels
                {
                    channels.on_socketpair(tid, before);
                }
                return;
            }
            for (name, count) in outcome(&pending, regs.rax.cast_signed()) {
                self.record(name, count);
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = pending;
    }

    /// A task ended (or `exec`ed) in the middle of a call: its result never comes.
    pub(super) fn forget(&mut self, tid: i32) {
        self.pending.remove(&tid);
    }

    /// Handles the fork (or vfork) stop of `tid`, before its new child runs: records `fork`,
    /// with `memfd-sealed` when every memory file the process holds (and so hands to the child)
    /// is sealed against writing, shrinking and growing, and `memfd-unsealed` when one is not.
    pub(super) fn on_fork(&mut self, tid: i32) {
        let name = match memfds_sealed(tid) {
            None => "fork".to_owned(),
            Some(true) => "fork(memfd-sealed)".to_owned(),
            Some(false) => "fork(memfd-unsealed)".to_owned(),
        };
        self.record(name, 1);
    }

    /// The counts by name, how many reads were shortened, and what was seen of the channels.
    pub(super) fn finish(self) -> (BTreeMap<String, u64>, u64, Channels) {
        (
            self.counts,
            self.shortened,
            self.channels.unwrap_or_default(),
        )
    }
}

/// What a call waiting for its result records, from the result (`rax`: a negative errno on
/// failure).
fn outcome(pending: &Pending, result: i64) -> Vec<(String, u64)> {
    let io = |family: &str, many: bool| -> Vec<(String, u64)> {
        match (result, many) {
            (..0, _) | (0, true) => Vec::new(),
            (0, false) => vec![(format!("{family}(empty)"), 1)],
            (count, true) => vec![(format!("{family}(data)"), count.cast_unsigned())],
            (_, false) => vec![(format!("{family}(data)"), 1)],
        }
    };
    match pending {
        Pending::IfDone(name) if result >= 0 => vec![(name.clone(), 1)],
        // Refused, or a pair, recorded by `Channels` instead.
        Pending::IfDone(_) | Pending::Pair { .. } => Vec::new(),
        Pending::Send { many } => io("send", *many),
        Pending::Recv { many } => io("recv", *many),
    }
}

/// Whether every memory file (`memfd_create`) that process or thread `tid` holds is sealed with
/// at least [`HANDOVER_SEALS`]; `None` when it holds none. Each is opened again through
/// `/proc/<tid>/fd/<fd>` (the tracer may) to read its seals with `F_GET_SEALS`.
fn memfds_sealed(tid: i32) -> Option<bool> {
    use std::os::fd::AsRawFd;
    let entries = std::fs::read_dir(format!("/proc/{tid}/fd")).ok()?;
    let mut held = false;
    let mut sealed = true;
    for entry in entries.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse().ok())
        else {
            continue;
        };
        if !matches!(procfs::fd_target(tid, fd), Some(FDTarget::MemFD(_))) {
            continue;
        }
        held = true;
        let seals = std::fs::File::open(entry.path()).ok().map(|file| {
            // SAFETY: F_GET_SEALS reads the seals of an open descriptor and touches no memory.
            unsafe { nix::libc::fcntl(file.as_raw_fd(), nix::libc::F_GET_SEALS) }
        });
        if !seals.is_some_and(|seals| seals >= 0 && seals & HANDOVER_SEALS == HANDOVER_SEALS) {
            sealed = false;
        }
    }
    held.then_some(sealed)
}

/// Whether descriptor `fd` of `tid` is a socket (`/proc/<tid>/fd/<fd>` reads `socket:[inode]`).
#[cfg(target_arch = "x86_64")]
fn is_socket(tid: i32, fd: u64) -> bool {
    matches!(procfs::fd_target(tid, fd), Some(FDTarget::Socket(_)))
}

/// A send or receive on a socket, whose result is recorded at its exit: `read`, `readv`,
/// `recvfrom`, `recvmsg` (not with `MSG_PEEK`: a peek receives nothing), `recvmmsg`, `write`,
/// `writev`, `sendto`, `sendmsg`, `sendmmsg`.
#[cfg(target_arch = "x86_64")]
fn socket_io(tid: i32, number: i64, args: [u64; 6]) -> Option<Pending> {
    use nix::libc;
    let peek = |flags: u64| flags & libc::MSG_PEEK as u64 != 0;
    let pending = match number {
        libc::SYS_read | libc::SYS_readv => Pending::Recv { many: false },
        libc::SYS_recvfrom if !peek(args[3]) => Pending::Recv { many: false },
        libc::SYS_recvmsg if !peek(args[2]) => Pending::Recv { many: false },
        libc::SYS_recvmmsg if !peek(args[3]) => Pending::Recv { many: true },
        libc::SYS_write | libc::SYS_writev | libc::SYS_sendto | libc::SYS_sendmsg => {
            Pending::Send { many: false }
        }
        libc::SYS_sendmmsg => Pending::Send { many: true },
        _ => return None,
    };
    is_socket(tid, args[0]).then_some(pending)
}

/// Whether descriptor `fd` of `tid` is a pipe (`/proc/<tid>/fd/<fd>` reads `pipe:[inode]`).
#[cfg(target_arch = "x86_64")]
fn is_pipe(tid: i32, fd: u64) -> bool {
    matches!(procfs::fd_target(tid, fd), Some(FDTarget::Pipe(_)))
}

/// The detail of a wait: `blocking` when it may wait, `non-blocking` when it returns at once.
#[cfg(target_arch = "x86_64")]
fn blocking(waits: bool) -> &'static str {
    if waits { "blocking" } else { "non-blocking" }
}

/// Whether a wait whose timeout is the `struct timespec` or `struct timeval` at `address` of
/// task `tid` may block: a null pointer waits for ever, two zero words return at once.
///
/// Read with `process_vm_readv`, not `PTRACE_PEEKDATA`: a program that changed its uid before
/// `exec` is not dumpable, and the kernel judges a peek by the credentials the tracee had when it
/// asked to be traced (after the uid drop, so without `CAP_SYS_PTRACE`), which fails with EIO,
/// whereas `process_vm_readv` is judged by the supervisor's own (root's, when it dropped a uid).
/// `PTRACE_PEEKDATA` stays the fallback for a kernel without `process_vm_readv`.
#[cfg(target_arch = "x86_64")]
fn waits(tid: i32, address: u64) -> bool {
    use nix::sys::ptrace;
    use nix::sys::uio::{RemoteIoVec, process_vm_readv};
    use nix::unistd::Pid;
    if address == 0 {
        return true;
    }
    let pid = Pid::from_raw(tid);
    let mut words = [0_u8; 16];
    let remote = [RemoteIoVec {
        base: usize::try_from(address).unwrap_or(usize::MAX),
        len: words.len(),
    }];
    if process_vm_readv(pid, &mut [std::io::IoSliceMut::new(&mut words)], &remote)
        == Ok(words.len())
    {
        return words != [0; 16];
    }
    let word =
        |offset: u64| ptrace::read(pid, (address + offset) as ptrace::AddressType).unwrap_or(1);
    // Unreadable counts as waiting: the call itself will fail with EFAULT.
    word(0) != 0 || word(8) != 0
}

/// The name a call is recorded under, from its number and arguments; `None` for a call the
/// filter should not have stopped.
#[cfg(target_arch = "x86_64")]
fn name(tid: i32, number: i64, args: [u64; 6]) -> Option<String> {
    use nix::libc;
    let with = |family: &str, detail: &str| format!("{family}({detail})");
    Some(match number {
        libc::SYS_pipe | libc::SYS_pipe2 => "pipe".to_owned(),
        libc::SYS_socketpair => {
            // The type carries SOCK_NONBLOCK and SOCK_CLOEXEC in its high bits.
            let kind = (args[1] & 0xf) as i32;
            match kind {
                libc::SOCK_STREAM => with("socketpair", "SOCK_STREAM"),
                libc::SOCK_DGRAM => with("socketpair", "SOCK_DGRAM"),
                libc::SOCK_SEQPACKET => with("socketpair", "SOCK_SEQPACKET"),
                other => with("socketpair", &other.to_string()),
            }
        }
        libc::SYS_memfd_create => "memfd_create".to_owned(),
        libc::SYS_fcntl => match args[1] {
            bpf::F_ADD_SEALS => with("fcntl", "F_ADD_SEALS"),
            _ if args[2] & libc::O_NONBLOCK as u64 != 0 => with("fcntl", "O_NONBLOCK"),
            _ => with("fcntl", "F_SETFL"),
        },
        libc::SYS_vmsplice if args[3] & u64::from(libc::SPLICE_F_GIFT) != 0 => {
            with("vmsplice", "SPLICE_F_GIFT")
        }
        libc::SYS_vmsplice => "vmsplice".to_owned(),
        libc::SYS_mmap => with("mmap", "MAP_SHARED"),
        // Whether a wait may block tells a consumer that sleeps until a channel has data from
        // one that polls with a zero timeout (and from Rust's own `poll` at start-up, which
        // checks descriptors 0 to 2 without waiting).
        libc::SYS_poll => with("poll", blocking(args[2] as i32 != 0)),
        libc::SYS_ppoll => with("poll", blocking(waits(tid, args[2]))),
        libc::SYS_epoll_wait | libc::SYS_epoll_pwait => {
            with("epoll_wait", blocking(args[3] as i32 != 0))
        }
        bpf::SYS_EPOLL_PWAIT2 => with("epoll_wait", blocking(waits(tid, args[3]))),
        libc::SYS_select | libc::SYS_pselect6 => with("select", blocking(waits(tid, args[4]))),
        libc::SYS_ioctl => with("ioctl", "FIONREAD"),
        libc::SYS_read => "read".to_owned(),
        // Sends and receives are recorded at their exit, on sockets only (`socket_io`).
        _ => return None,
    })
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use nix::libc;

    /// Every name the tracer records is a family (and detail) a rubric can name.
    #[test]
    fn recorded_names_are_known_to_rubrics() {
        let known = |name: &str| {
            let (family, detail) = match name.split_once('(') {
                Some((family, rest)) => (family, rest.strip_suffix(')')),
                None => (name, None),
            };
            crate::rubric::SYSCALL_FAMILIES
                .iter()
                .any(|(known, details)| {
                    *known == family && detail.is_none_or(|detail| details.contains(&detail))
                })
        };
        let calls = [
            (libc::SYS_pipe2, [0; 6]),
            (libc::SYS_socketpair, [1, 5 | 0x80000, 0, 0, 0, 0]),
            (libc::SYS_socketpair, [1, 2, 0, 0, 0, 0]),
            (libc::SYS_socketpair, [1, 1, 0, 0, 0, 0]),
            (libc::SYS_fcntl, [3, 1033, 8, 0, 0, 0]),
            (libc::SYS_fcntl, [3, 4, 0o4000, 0, 0, 0]),
            (libc::SYS_fcntl, [3, 4, 0, 0, 0, 0]),
            (libc::SYS_vmsplice, [3, 0, 1, 8, 0, 0]),
            (libc::SYS_vmsplice, [3, 0, 1, 0, 0, 0]),
            (libc::SYS_mmap, [0, 4096, 3, 1, 3, 0]),
            (libc::SYS_ppoll, [0; 6]),
            (libc::SYS_epoll_pwait, [0; 6]),
            (libc::SYS_pselect6, [0; 6]),
            (libc::SYS_ioctl, [3, 0x541B, 0, 0, 0, 0]),
            (libc::SYS_read, [0; 6]),
            (libc::SYS_memfd_create, [0; 6]),
        ];
        for (number, args) in calls {
            let name = name(0, number, args).expect("an observed call");
            assert!(known(&name), "{name}");
        }
        assert_eq!(
            name(0, libc::SYS_socketpair, [1, 5 | 0x80000, 0, 0, 0, 0]).as_deref(),
            Some("socketpair(SOCK_SEQPACKET)")
        );
        assert_eq!(name(0, libc::SYS_write, [0; 6]), None);
        // Rust's start-up `poll` has a zero timeout; a consumer's waits do not.
        assert_eq!(
            name(0, libc::SYS_poll, [0, 3, 0, 0, 0, 0]).as_deref(),
            Some("poll(non-blocking)")
        );
        assert_eq!(
            name(0, libc::SYS_poll, [0, 2, u64::from(u32::MAX), 0, 0, 0]).as_deref(),
            Some("poll(blocking)")
        );
        assert_eq!(
            name(0, libc::SYS_epoll_wait, [3, 0, 8, 0, 0, 0]).as_deref(),
            Some("epoll_wait(non-blocking)")
        );
        // A null timeout pointer waits for ever.
        assert_eq!(
            name(0, libc::SYS_ppoll, [0; 6]).as_deref(),
            Some("poll(blocking)")
        );
    }

    /// A send or receive is recorded by its result: data, an empty datagram (or the end), or
    /// nothing when it failed; a refused seal is no seal.
    #[test]
    fn results_decide_what_is_recorded() {
        let send = Pending::Send { many: false };
        let recv = Pending::Recv { many: false };
        assert_eq!(outcome(&send, 4096), vec![("send(data)".to_owned(), 1)]);
        assert_eq!(outcome(&send, 0), vec![("send(empty)".to_owned(), 1)]);
        assert_eq!(outcome(&recv, 0), vec![("recv(empty)".to_owned(), 1)]);
        assert_eq!(outcome(&recv, -11), vec![]);
        assert_eq!(
            outcome(&Pending::Send { many: true }, 3),
            vec![("send(data)".to_owned(), 3)]
        );
        let seal = Pending::IfDone("fcntl(F_ADD_SEALS)".to_owned());
        assert_eq!(outcome(&seal, -16), vec![]);
        assert_eq!(
            outcome(&seal, 0),
            vec![("fcntl(F_ADD_SEALS)".to_owned(), 1)]
        );
        let known = |name: &str| {
            let (family, rest) = name.split_once('(').unwrap();
            let detail = rest.strip_suffix(')').unwrap();
            crate::rubric::SYSCALL_FAMILIES
                .iter()
                .any(|(known, details)| *known == family && details.contains(&detail))
        };
        for name in [
            "send(data)",
            "send(empty)",
            "recv(data)",
            "recv(empty)",
            "fork(memfd-sealed)",
            "fork(memfd-unsealed)",
        ] {
            assert!(known(name), "{name}");
        }
    }

    /// The seals of a memory file are read through `/proc`, as the tracer reads a child's.
    #[test]
    fn memory_files_are_sealed_or_not() {
        let tid = std::process::id().cast_signed();
        // SAFETY: the name is a valid C string; the call returns a new descriptor or -1.
        let fd = unsafe { libc::memfd_create(c"seals-test".as_ptr(), libc::MFD_ALLOW_SEALING) };
        assert!(fd >= 0);
        // Other tests of this binary may hold memory files of their own: this one's seals are
        // asserted through the same reading.
        let path = format!("/proc/{tid}/fd/{fd}");
        let sealed = || {
            let file = std::fs::File::open(&path).unwrap();
            // SAFETY: F_GET_SEALS reads the seals of an open descriptor.
            let seals =
                unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&file), libc::F_GET_SEALS) };
            seals & HANDOVER_SEALS == HANDOVER_SEALS
        };
        // SAFETY: F_ADD_SEALS on a descriptor this test owns.
        let add = |seals: i32| unsafe { libc::fcntl(fd, libc::F_ADD_SEALS, seals) };
        assert!(!sealed());
        assert_eq!(add(libc::F_SEAL_SHRINK | libc::F_SEAL_GROW), 0);
        assert!(!sealed(), "without F_SEAL_WRITE its bytes can still change");
        assert_eq!(add(libc::F_SEAL_WRITE), 0);
        assert!(sealed());
        assert!(memfds_sealed(tid).is_some());
        // SAFETY: the descriptor is this test's and closed once.
        unsafe { libc::close(fd) };
    }

    /// Every jump of the filter lands inside it (checked at each step of the run), and each call
    /// gets its action: traced when listed (on its argument's condition), allowed otherwise and
    /// in another ABI.
    #[test]
    fn each_call_gets_its_action() {
        use super::super::bpf::AUDIT_ARCH_X86_64;
        let program = bpf::program();
        let trace = libc::SECCOMP_RET_TRACE;
        let allow = libc::SECCOMP_RET_ALLOW;
        let run = |nr: i64, args: [u64; 6]| program.run(AUDIT_ARCH_X86_64, nr, args);
        for nr in [
            libc::SYS_pipe,
            libc::SYS_pipe2,
            libc::SYS_socketpair,
            libc::SYS_memfd_create,
            libc::SYS_vmsplice,
            libc::SYS_poll,
            libc::SYS_ppoll,
            libc::SYS_epoll_wait,
            libc::SYS_epoll_pwait,
            bpf::SYS_EPOLL_PWAIT2,
            libc::SYS_select,
            libc::SYS_pselect6,
            libc::SYS_read,
            libc::SYS_readv,
            libc::SYS_recvfrom,
            libc::SYS_recvmsg,
            libc::SYS_recvmmsg,
            libc::SYS_write,
            libc::SYS_writev,
            libc::SYS_sendto,
            libc::SYS_sendmsg,
            libc::SYS_sendmmsg,
        ] {
            assert_eq!(run(nr, [0; 6]), trace, "call {nr}");
        }
        for nr in [
            libc::SYS_getpid,
            libc::SYS_clone,
            libc::SYS_futex,
            libc::SYS_close,
        ] {
            assert_eq!(run(nr, [0; 6]), allow, "call {nr}");
        }
        let fcntl = |cmd: u64| run(libc::SYS_fcntl, [3, cmd, 0, 0, 0, 0]);
        assert_eq!(fcntl(bpf::F_ADD_SEALS), trace);
        assert_eq!(fcntl(libc::F_SETFL as u64), trace);
        assert_eq!(fcntl(libc::F_GETFL as u64), allow);
        // Only the low 32 bits of an argument are compared.
        assert_eq!(fcntl((1 << 32) | libc::F_SETFL as u64), trace);
        let mmap = |flags: i32| run(libc::SYS_mmap, [0, 4096, 3, flags as u64, 0, 0]);
        assert_eq!(mmap(libc::MAP_SHARED | libc::MAP_ANONYMOUS), trace);
        assert_eq!(mmap(libc::MAP_PRIVATE | libc::MAP_ANONYMOUS), allow);
        let ioctl = |request: u64| run(libc::SYS_ioctl, [0, request, 0, 0, 0, 0]);
        assert_eq!(ioctl(libc::FIONREAD), trace);
        assert_eq!(ioctl(libc::TCGETS), allow);
        // i386's `read` is number 3, x86-64's `close`: calls of another ABI run unobserved, and
        // so do x32's, whose numbers carry a bit that no listed call has.
        assert_eq!(program.run(0x4000_0003, 3, [0; 6]), allow);
        assert_eq!(run(libc::SYS_read | 0x4000_0000, [0; 6]), allow);
    }
}
