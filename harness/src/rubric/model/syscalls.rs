//! The system calls a check requires or forbids, in the words of the rubric.

/// The families of system calls the tracer observes and the details a record of one can carry,
/// in the words a rubric uses: `socketpair(SOCK_DGRAM)` is family `socketpair` with detail
/// `SOCK_DGRAM`. `pipe` counts `pipe` and `pipe2`, `poll` also `ppoll`, `epoll_wait` also
/// `epoll_pwait` and `epoll_pwait2`, `select` also `pselect6`; `mmap`, `fcntl` and `ioctl` are
/// observed only with the argument listed.
pub const SYSCALL_FAMILIES: [(&str, &[&str]); 14] = [
    ("pipe", &[]),
    (
        "socketpair",
        &["SOCK_STREAM", "SOCK_DGRAM", "SOCK_SEQPACKET"],
    ),
    ("memfd_create", &[]),
    ("fcntl", &["F_ADD_SEALS", "F_SETFL", "O_NONBLOCK"]),
    ("vmsplice", &["SPLICE_F_GIFT"]),
    ("mmap", &["MAP_SHARED"]),
    ("poll", &["blocking", "non-blocking"]),
    ("epoll_wait", &["blocking", "non-blocking"]),
    ("select", &["blocking", "non-blocking"]),
    ("ioctl", &["FIONREAD"]),
    ("read", &[]),
    ("send", &["data", "empty"]),
    ("recv", &["data", "empty"]),
    ("fork", &["memfd-sealed", "memfd-unsealed"]),
];

/// A system call a check requires (made at least once by the program) or forbids (never made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyscallRule {
    /// Which calls: any of these patterns (`poll(blocking) or epoll_wait(blocking)`).
    pub patterns: Vec<SyscallPattern>,
    /// `true` for `require` and `per-message`, `false` for `forbid`.
    pub required: bool,
    /// `per-message`: the calls it matches number one per message of the IPC exercises
    /// (`labgrade_support::ipc_messages` of the run's seed), or one more.
    pub per_message: bool,
}

/// `socketpair(SOCK_SEQPACKET|SOCK_DGRAM)`: a family of [`SYSCALL_FAMILIES`], and optionally the
/// details of which any one matches; without details, every call of the family matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyscallPattern {
    /// The family, such as `socketpair`.
    pub family: String,
    /// Accepted details, such as `SOCK_SEQPACKET`; empty accepts any.
    pub details: Vec<String>,
}

impl SyscallRule {
    /// Whether a recorded call name matches one of the rule's patterns.
    #[must_use]
    pub fn matches(&self, recorded: &str) -> bool {
        self.patterns
            .iter()
            .any(|pattern| pattern.matches(recorded))
    }
}

impl std::fmt::Display for SyscallRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, pattern) in self.patterns.iter().enumerate() {
            if index > 0 {
                f.write_str(" or ")?;
            }
            write!(f, "{pattern}")?;
        }
        Ok(())
    }
}

impl SyscallPattern {
    /// Whether a recorded call name (`socketpair(SOCK_DGRAM)`, `pipe`) matches.
    #[must_use]
    pub fn matches(&self, recorded: &str) -> bool {
        let (family, detail) = match recorded.split_once('(') {
            Some((family, rest)) => (family, rest.strip_suffix(')')),
            None => (recorded, None),
        };
        family == self.family
            && (self.details.is_empty()
                || detail.is_some_and(|detail| self.details.iter().any(|wanted| wanted == detail)))
    }
}

impl std::fmt::Display for SyscallPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.details.is_empty() {
            f.write_str(&self.family)
        } else {
            write!(f, "{}({})", self.family, self.details.join("|"))
        }
    }
}
