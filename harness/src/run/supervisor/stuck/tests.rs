use super::*;

fn call(number: i64, args: [u64; 6]) -> Call {
    Call { number, args }
}

fn pipe(_fd: u64) -> Descriptor {
    Descriptor::Pipe
}

fn other(_fd: u64) -> Descriptor {
    Descriptor::Other
}

#[test]
fn only_waits_that_the_program_alone_can_end_count() {
    // `Mutex::lock` and `join`: FUTEX_WAIT_BITSET | FUTEX_PRIVATE, no timeout.
    let lock = call(libc::SYS_futex, [0x1000, 0x89, 2, 0, 0, u64::MAX]);
    assert!(waits_on_the_program(&lock, other));
    // `Condvar::wait_timeout`: the same with a time limit ends by itself.
    let timed = call(libc::SYS_futex, [0x1000, 0x89, 2, 0x7ff0, 0, u64::MAX]);
    assert!(!waits_on_the_program(&timed, other));
    // A futex wake is not a wait.
    let wake = call(libc::SYS_futex, [0x1000, 0x81, 1, 0, 0, 0]);
    assert!(!waits_on_the_program(&wake, other));
    assert!(waits_on_the_program(
        &call(libc::SYS_wait4, [42, 0, 0, 0, 0, 0]),
        other
    ));
    // A read counts on a pipe or a UNIX socket only: a terminal, a file, a timerfd or a
    // network socket may be written by something outside the program.
    let read = call(libc::SYS_read, [3, 0x1000, 16, 0, 0, 0]);
    assert!(waits_on_the_program(&read, pipe));
    assert!(waits_on_the_program(&read, |_| Descriptor::UnixSocket));
    assert!(!waits_on_the_program(&read, other));
    let accept = call(libc::SYS_accept4, [3, 0, 0, 0, 0, 0]);
    assert!(!waits_on_the_program(&accept, pipe));
    assert!(waits_on_the_program(&accept, |_| Descriptor::UnixSocket));
    // Sleeps, writes (labgrade drains the output) and polls (a timerfd among the descriptors)
    // do not count.
    for number in [
        libc::SYS_clock_nanosleep,
        libc::SYS_nanosleep,
        libc::SYS_write,
        libc::SYS_ppoll,
        libc::SYS_epoll_wait,
        libc::SYS_rt_sigsuspend,
        libc::SYS_flock,
    ] {
        let blocked = call(number, [1, 0x1000, 16, 0, 0, 0]);
        assert!(!waits_on_the_program(&blocked, pipe), "{number}");
    }
}

#[test]
fn descriptors_are_told_by_their_link() {
    assert_eq!(descriptor_of(Some("pipe:[4711]"), &[]), Descriptor::Pipe);
    assert_eq!(
        descriptor_of(Some("socket:[99]"), &[12, 99]),
        Descriptor::UnixSocket
    );
    // A socket that is not a UNIX one of the namespace (TCP, UDP, netlink).
    assert_eq!(
        descriptor_of(Some("socket:[98]"), &[12, 99]),
        Descriptor::Other
    );
    assert_eq!(
        descriptor_of(Some("anon_inode:[timerfd]"), &[]),
        Descriptor::Other
    );
    assert_eq!(descriptor_of(Some("/dev/pts/0"), &[]), Descriptor::Other);
    assert_eq!(descriptor_of(None, &[]), Descriptor::Other);
}

#[test]
fn the_window_is_a_tenth_of_the_limit_and_at_least_a_second() {
    assert_eq!(window(Duration::from_secs(10)), Duration::from_secs(1));
    assert_eq!(window(Duration::from_secs(2)), Duration::from_secs(1));
    assert_eq!(window(Duration::from_secs(60)), Duration::from_secs(6));
}

#[test]
fn a_run_hangs_only_when_the_same_threads_stay_stuck_without_running_for_the_window() {
    let window = Duration::from_secs(1);
    let start = Instant::now();
    let at = |millis| start + Duration::from_millis(millis);
    let threads = vec![(10, 10, (5_000, 3)), (10, 11, (7_000, 4))];
    let mut quiet = None;
    assert_eq!(
        None,
        still_quiet(&mut quiet, at(0), Some(threads.clone()), window)
    );
    assert_eq!(
        None,
        still_quiet(&mut quiet, at(500), Some(threads.clone()), window)
    );
    assert_eq!(
        still_quiet(&mut quiet, at(1000), Some(threads.clone()), window),
        Some(window)
    );

    // A thread that ran in between (its run count moved) starts the window again.
    let mut quiet = None;
    assert_eq!(
        None,
        still_quiet(&mut quiet, at(0), Some(threads.clone()), window)
    );
    let ran = vec![(10, 10, (5_000, 3)), (10, 11, (7_100, 5))];
    assert_eq!(
        None,
        still_quiet(&mut quiet, at(900), Some(ran.clone()), window)
    );
    assert_eq!(
        None,
        still_quiet(&mut quiet, at(1500), Some(ran.clone()), window)
    );
    assert_eq!(
        still_quiet(&mut quiet, at(2100), Some(ran), window),
        Some(Duration::from_millis(1200))
    );

    // So does a look at which some thread was not stuck, or a new thread.
    let mut quiet = None;
    assert_eq!(
        None,
        still_quiet(&mut quiet, at(0), Some(threads.clone()), window)
    );
    assert_eq!(None, still_quiet(&mut quiet, at(600), None, window));
    assert_eq!(
        None,
        still_quiet(&mut quiet, at(1200), Some(threads.clone()), window)
    );
    let mut more = threads.clone();
    more.push((12, 12, (0, 1)));
    assert_eq!(None, still_quiet(&mut quiet, at(2000), Some(more), window));
    assert!(quiet.is_some_and(|(since, _)| since == at(2000)));
}
