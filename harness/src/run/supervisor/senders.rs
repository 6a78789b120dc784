//! Which signals the program sent, so that a kill from outside is told from the program's own.
//!
//! A program that dies of SIGKILL or SIGTERM may have done it to itself (`kill(0, SIGKILL)`, a
//! child killing its parent) or been killed by something else on the machine: an operator,
//! a CI runner, the machine's OOM killer, another grader. Only the first is the student's
//! failure, and ptrace cannot tell them apart (SIGKILL never stops a tracee). So every
//! system call that sends a signal (`kill`, `tkill`, `tgkill`, `rt_sigqueueinfo`,
//! `rt_tgsigqueueinfo`, `pidfd_send_signal`) is reported to the supervisor by a seccomp filter
//! returning `SECCOMP_RET_USER_NOTIF`; the supervisor notes the signal and lets the call go on
//! unchanged (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`). No tracer is needed, so untraced jobs are
//! covered too, and every other system call runs at full speed.
//!
//! The filter is installed in the child just before `exec` with a new listener descriptor,
//! which the child hands to the supervisor over a socket pair (`SCM_RIGHTS`) and then closes:
//! the program never holds it. The filter is inherited by every task the program creates.
//!
//! Calls of another ABI (i386, x32) are reported too, and since their numbers mean other calls,
//! any of them makes every signal one the program might have sent.

use std::collections::BTreeSet;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::libc;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// Notifications handled per call of [`Listener::service`], so that a program sending signals
/// as fast as it can does not keep the supervisor from its deadline.
const NOTIFICATIONS_PER_TURN: usize = 64;

/// The filter, built before the fork so that installing it in the child allocates nothing.
pub(super) struct Filter {
    #[cfg(target_arch = "x86_64")]
    program: super::bpf::Program,
}

#[cfg(target_arch = "x86_64")]
mod bpf {
    //! The filter's program, for x86-64.

    use nix::libc;

    use super::super::bpf::{ARCH, AUDIT_ARCH_X86_64, Assembler, NR, Program, Test};

    /// Calls of the x32 ABI have this bit in their number.
    pub(super) const X32_SYSCALL_BIT: u32 = 0x4000_0000;

    /// The calls that send a signal, and which of their arguments is the signal.
    pub(super) const SENDERS: [(i64, usize); 6] = [
        (libc::SYS_kill, 1),
        (libc::SYS_tkill, 1),
        (libc::SYS_tgkill, 2),
        (libc::SYS_rt_sigqueueinfo, 1),
        (libc::SYS_rt_tgsigqueueinfo, 2),
        (libc::SYS_pidfd_send_signal, 1),
    ];

    /// Notify for another ABI, for x32 and for each sender; allow everything else.
    pub(super) fn program() -> Program {
        let notify = libc::SECCOMP_RET_USER_NOTIF;
        let mut code = Assembler::new();
        code.load(ARCH);
        code.ret_unless(Test::Eq, AUDIT_ARCH_X86_64, notify);
        code.load(NR);
        code.ret_if(Test::HasBits, X32_SYSCALL_BIT, notify);
        for (number, _) in SENDERS {
            code.ret_if(Test::Eq, number as u32, notify);
        }
        code.ret(libc::SECCOMP_RET_ALLOW);
        code.finish()
    }
}

impl Filter {
    /// The filter, or `None` where labgrade cannot observe the program's signals.
    pub(super) fn new() -> Option<Self> {
        let filter = Self {
            #[cfg(target_arch = "x86_64")]
            program: bpf::program(),
        };
        cfg!(target_arch = "x86_64").then_some(filter)
    }

    /// Installs the filter in the calling process (the child, before `exec`) and sends its
    /// listener over `socket` to the supervisor, then closes it. Async-signal-safe: system
    /// calls on memory built before the fork or on the stack. Sets no-new-privileges first,
    /// which a filter needs without `CAP_SYS_ADMIN`.
    pub(super) fn install(&self, socket: RawFd) -> nix::Result<()> {
        #[cfg(target_arch = "x86_64")]
        {
            let listener = self
                .program
                .install(libc::SECCOMP_FILTER_FLAG_NEW_LISTENER)?;
            let listener = RawFd::try_from(listener).map_err(|_| Errno::EBADF)?;
            let sent = send_fd(socket, listener);
            // SAFETY: the listener is ours alone, just made; the program must not keep it.
            unsafe { libc::close(listener) };
            sent?;
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = socket;
        Ok(())
    }
}

/// Sends descriptor `fd` over the UNIX socket `socket` (`SCM_RIGHTS`), with a buffer on the
/// stack: async-signal-safe.
fn send_fd(socket: RawFd, fd: RawFd) -> nix::Result<()> {
    // Room for one descriptor's control message (`CMSG_SPACE(4)` is 24 on 64-bit Linux),
    // aligned as `cmsghdr` wants.
    let mut control = [0_u64; 4];
    let mut byte = [0_u8; 1];
    let mut data = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    // SAFETY: `msghdr` is a plain C structure for which zero bytes are valid.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = &raw mut data;
    message.msg_iovlen = 1;
    message.msg_control = control.as_mut_ptr().cast();
    // SAFETY: a pure computation on a constant.
    message.msg_controllen = unsafe { libc::CMSG_SPACE(size_of::<RawFd>() as u32) } as usize;
    // SAFETY: the control buffer is large enough for one header and one descriptor
    // (`msg_controllen` above), so the first header and its data lie within it.
    unsafe {
        let header = libc::CMSG_FIRSTHDR(&raw const message);
        if header.is_null() {
            return Err(Errno::EINVAL);
        }
        (*header).cmsg_level = libc::SOL_SOCKET;
        (*header).cmsg_type = libc::SCM_RIGHTS;
        (*header).cmsg_len = libc::CMSG_LEN(size_of::<RawFd>() as u32) as usize;
        libc::CMSG_DATA(header).cast::<RawFd>().write_unaligned(fd);
    }
    // SAFETY: `message` points to live buffers for the whole call.
    Errno::result(unsafe { libc::sendmsg(socket, &raw const message, libc::MSG_NOSIGNAL) })?;
    Ok(())
}

/// The supervisor's end of the listener: what the program's tasks report when they send a
/// signal.
#[derive(Debug)]
pub(super) struct Listener {
    /// Closed once every task of the program is gone (`POLLHUP`).
    fd: Option<OwnedFd>,
    sent: Sent,
}

/// The signals the program sent, to any target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Sent {
    signals: BTreeSet<i32>,
    /// A call of another ABI was made: its signal is unknown, so every signal may have been.
    unknown: bool,
}

impl Sent {
    /// Signals as if the program had sent them, for tests elsewhere.
    #[cfg(test)]
    pub(super) fn of(signals: &[i32]) -> Self {
        Self {
            signals: signals.iter().copied().collect(),
            unknown: false,
        }
    }

    /// Whether the program may have sent `signal`.
    pub(super) fn may_have_sent(&self, signal: i32) -> bool {
        self.unknown || self.signals.contains(&signal)
    }
}

impl Listener {
    /// Receives the listener the child sent over `socket` before its `exec`; `None` when it
    /// sent none (the filter could not be installed).
    pub(super) fn receive(socket: &OwnedFd) -> Option<Self> {
        let mut byte = [0_u8; 1];
        let mut data = [std::io::IoSliceMut::new(&mut byte)];
        let mut space = nix::cmsg_space!(RawFd);
        let message = nix::sys::socket::recvmsg::<()>(
            socket.as_raw_fd(),
            &mut data,
            Some(&mut space),
            nix::sys::socket::MsgFlags::MSG_DONTWAIT | nix::sys::socket::MsgFlags::MSG_CMSG_CLOEXEC,
        )
        .ok()?;
        let fd = message.cmsgs().ok()?.find_map(|cmsg| match cmsg {
            nix::sys::socket::ControlMessageOwned::ScmRights(fds) => fds.first().copied(),
            _ => None,
        })?;
        // SAFETY: the kernel just gave us this descriptor with the message; nothing else owns
        // it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Some(Self {
            fd: Some(fd),
            sent: Sent::default(),
        })
    }

    /// The descriptor to poll, while the program may still send signals.
    pub(super) fn poll_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.fd.as_ref().map(AsFd::as_fd)
    }

    /// Answers every pending notification, noting its signal and letting the call go on.
    pub(super) fn service(&mut self) {
        for _ in 0..NOTIFICATIONS_PER_TURN {
            let Some(fd) = &self.fd else { return };
            let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::ZERO).is_err() {
                return;
            }
            let events = fds[0].revents().unwrap_or(PollFlags::empty());
            if events.contains(PollFlags::POLLIN) {
                self.answer_one();
            } else {
                if events.intersects(PollFlags::POLLHUP | PollFlags::POLLERR) {
                    // Every task that had the filter is gone.
                    self.fd = None;
                }
                return;
            }
        }
    }

    /// Receives one notification and lets its call go on.
    fn answer_one(&mut self) {
        let Some(fd) = &self.fd else { return };
        let fd = fd.as_raw_fd();
        // SAFETY: all zero bytes are a valid `seccomp_notif`, and the kernel wants it zeroed.
        let mut notification: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        // SAFETY: the kernel writes one `seccomp_notif` through the pointer, to a live local.
        let received =
            unsafe { libc::ioctl(fd, libc::SECCOMP_IOCTL_NOTIF_RECV, &raw mut notification) };
        if received == -1 {
            // ENOENT: the task was killed before we read its call. Nothing to note or answer.
            return;
        }
        self.sent.note(&notification.data);
        let response = libc::seccomp_notif_resp {
            id: notification.id,
            val: 0,
            error: 0,
            flags: libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32,
        };
        // SAFETY: the kernel reads one `seccomp_notif_resp` through the pointer, from a live
        // local. A failure means the task died meanwhile.
        let _ = unsafe { libc::ioctl(fd, libc::SECCOMP_IOCTL_NOTIF_SEND, &raw const response) };
    }

    /// The signals sent so far.
    pub(super) fn sent(&self) -> &Sent {
        &self.sent
    }
}

impl Sent {
    /// Notes the signal of one reported call.
    fn note(&mut self, call: &libc::seccomp_data) {
        #[cfg(target_arch = "x86_64")]
        {
            let native = call.arch == super::bpf::AUDIT_ARCH_X86_64
                && (call.nr as u32) & bpf::X32_SYSCALL_BIT == 0;
            let signal = bpf::SENDERS
                .iter()
                .find(|(number, _)| *number == i64::from(call.nr))
                .and_then(|&(_, arg)| i32::try_from(call.args[arg]).ok());
            match signal {
                Some(signal) if native => {
                    self.signals.insert(signal);
                }
                _ => self.unknown = true,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = call;
            self.unknown = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "x86_64")]
    fn call(nr: i64, args: [u64; 6]) -> libc::seccomp_data {
        libc::seccomp_data {
            nr: nr as i32,
            arch: 0xC000_003E,
            instruction_pointer: 0,
            args,
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn each_sender_gives_its_signal_argument() {
        let mut sent = Sent::default();
        sent.note(&call(libc::SYS_kill, [0, 9, 0, 0, 0, 0]));
        sent.note(&call(libc::SYS_tgkill, [5, 6, 15, 0, 0, 0]));
        sent.note(&call(libc::SYS_pidfd_send_signal, [3, 10, 0, 0, 0, 0]));
        assert!(sent.may_have_sent(libc::SIGKILL));
        assert!(sent.may_have_sent(libc::SIGTERM));
        assert!(sent.may_have_sent(libc::SIGUSR1));
        assert!(!sent.may_have_sent(libc::SIGINT));
        assert!(!sent.unknown);
        // A call of another ABI: its numbers mean other calls, so anything may have been sent.
        let mut x32 = call(libc::SYS_kill, [0, 9, 0, 0, 0, 0]);
        x32.nr |= bpf::X32_SYSCALL_BIT.cast_signed();
        sent.note(&x32);
        assert!(sent.may_have_sent(libc::SIGINT));
    }

    /// Every jump of the filter lands inside it (checked at each step of the run), and each call
    /// gets its action: the senders, x32 and other ABIs are notified, the rest allowed.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn each_call_gets_its_action() {
        let program = bpf::program();
        let notify = libc::SECCOMP_RET_USER_NOTIF;
        let allow = libc::SECCOMP_RET_ALLOW;
        let native = |nr: i64| program.run(super::super::bpf::AUDIT_ARCH_X86_64, nr, [0; 6]);
        for (nr, _) in bpf::SENDERS {
            assert_eq!(native(nr), notify, "call {nr}");
        }
        for nr in [libc::SYS_getpid, libc::SYS_read, libc::SYS_rt_sigaction] {
            assert_eq!(native(nr), allow, "call {nr}");
        }
        assert_eq!(
            native(libc::SYS_getpid | i64::from(bpf::X32_SYSCALL_BIT)),
            notify
        );
        // `AUDIT_ARCH_I386`: its numbers mean other calls.
        assert_eq!(program.run(0x4000_0003, 37, [0; 6]), notify);
    }
}
