//! The stack of a real blocked process, read as the supervisor reads a hung program's.

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use nix::libc;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid, fork, pipe};

use super::{Modules, registers, walk};
use crate::run::job::{Frame, StackEnd};

/// Where the child blocks: a function of its own that the stack must name.
#[inline(never)]
fn blocked_in_a_read_of_its_own(fd: i32) {
    let mut byte = 0u8;
    // SAFETY: reads one byte into a live local.
    unsafe { libc::read(fd, (&raw mut byte).cast(), 1) };
    std::hint::black_box(byte);
}

#[test]
fn the_stack_of_a_blocked_child_names_its_own_function_and_goes_on_after() {
    let (reader, writer) = pipe().unwrap();
    // SAFETY: the child calls only `read` and `_exit`, both async-signal-safe.
    let child = match unsafe { fork() }.unwrap() {
        ForkResult::Child => {
            blocked_in_a_read_of_its_own(reader.as_raw_fd());
            // SAFETY: ends the child at once, without running the test harness's code.
            unsafe { libc::_exit(7) }
        }
        ForkResult::Parent { child } => child,
    };
    let pid = child.as_raw();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !std::fs::read_to_string(format!("/proc/{pid}/syscall"))
        .is_ok_and(|call| call.starts_with(&format!("{} ", libc::SYS_read)))
    {
        assert!(Instant::now() < deadline, "the child never blocked in read");
        std::thread::sleep(Duration::from_millis(5));
    }
    let modules = Modules::of(pid);
    let stopped = registers(pid, 'S', None, Instant::now() + Duration::from_secs(1))
        .expect("registers of a blocked child");
    let stack = walk(pid, pid, stopped, &modules).expect("a stack");
    let names: Vec<&str> = stack
        .frames
        .iter()
        .filter_map(|frame| match frame {
            Frame::Own { function, .. } | Frame::Library { function, .. } => function.as_deref(),
        })
        .collect();
    let ours = names
        .iter()
        .position(|name| name.ends_with("blocked_in_a_read_of_its_own"));
    assert!(ours.is_some(), "{stack:#?}");
    assert!(
        names
            .iter()
            .position(|name| name.contains("the_stack_of_a_blocked_child"))
            > ours,
        "its caller is listed after it: {names:#?}"
    );
    assert_ne!(stack.end, StackEnd::Cut, "{stack:#?}");

    // Detached, the child goes on in its read: a byte ends it with its own code.
    nix::unistd::write(&writer, b"x").unwrap();
    let status = waitpid(child, None).unwrap();
    assert_eq!(
        status,
        nix::sys::wait::WaitStatus::Exited(Pid::from_raw(pid), 7)
    );
    let _ = kill(child, Signal::SIGKILL);
}
