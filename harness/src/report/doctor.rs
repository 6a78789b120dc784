//! Writes `labgrade doctor`: what containment this machine offers, what labgrade uses of it,
//! and what it cannot guarantee here, in words a TA understands.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::run::{Capabilities, CgroupLayout};

const BOLD: Style = Style::new().bold();
const GREEN: Style = AnsiColor::Green.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const RED: Style = AnsiColor::Red.on_default().bold();

/// Writes the doctor's report for `caps`.
pub fn write_doctor(caps: &Capabilities, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{BOLD}labgrade doctor{BOLD:#}: how student programs are contained on this machine"
    )?;
    writeln!(out)?;
    writeln!(out, "{BOLD}always{BOLD:#}")?;
    for line in [
        "own process group, stdin closed, clean environment, fresh scratch folder, an empty session keyring",
        "builds see only the toolchain's variables (PATH, HOME, CARGO_HOME, RUSTUP_HOME, RUSTUP_TOOLCHAIN, the locale): none of labgrade's secrets",
        "wall-clock deadline that kills the whole process group",
        "subreaper: orphans and double-forked `setsid` escapees are found, killed and reaped",
        "output capped and drained to the end, never buffered beyond the cap",
        "the program dies with its supervisor (parent-death signal); core dumps off",
        "limits on CPU time, memory (address space), file size and open files",
    ] {
        writeln!(out, "  {GREEN}yes{GREEN:#}  {line}")?;
    }
    writeln!(out)?;
    writeln!(out, "{BOLD}this machine{BOLD:#}")?;
    let mut gaps = write_isolation(caps, out)?;
    gaps.extend(write_cgroups(caps, out)?);
    write_others(caps, out)?;
    // Landlock does not govern `connect`, and a network namespace does not hold UNIX sockets:
    // with namespaces each program gets the usual places of sockets private, not the whole
    // file system.
    // Landlock does not govern `connect`, and a network namespace does not hold UNIX sockets:
    // only a root of the program's own (see the mount namespace line) keeps them out of reach.
    if !caps.program_namespaces() {
        gaps.push("named UNIX sockets: a student program can connect to any socket its uid may open (without root, any of yours whose path it knows: an ssh agent's, Docker's), since Landlock does not govern `connect`");
    }
    // True on every machine: the file-size limit caps each file, not how many a program
    // writes, and no disk quota is set on the scratch folder.
    gaps.push("disk space: a program may write many files in its scratch folder, each below the file-size limit (no quota); the scratch folder is deleted after every run");
    writeln!(out)?;
    writeln!(out, "{BOLD}cannot guarantee here{BOLD:#}")?;
    for gap in gaps {
        writeln!(out, "  {YELLOW}-{YELLOW:#} {gap}")?;
    }
    Ok(())
}

/// What labgrade uses when the machine allows it; returns what it cannot guarantee.
fn write_isolation(caps: &Capabilities, out: &mut dyn Write) -> io::Result<Vec<&'static str>> {
    let mut gaps = Vec::new();
    if caps.root {
        item(
            out,
            Some(true),
            "uid drop",
            "running as root: each student program runs as an unprivileged uid of its own (61000 and up, one per running program, locked in /run/labgrade), where the task limit (RLIMIT_NPROC) holds",
        )?;
    } else {
        item(
            out,
            Some(false),
            "uid drop",
            "not root: student programs run as you",
        )?;
        gaps.push(if caps.landlock_abi.is_some() {
            "student programs run as your own user: in what they can reach (their binaries, their scratch folder, the system's files), Landlock and file permissions are what hold, not a uid of their own; run labgrade as root (as CI does) for one"
        } else {
            "student programs run as your own user: they can read and change what you can, and the task limit counts your other processes too; run labgrade as root (as CI does) for a uid of their own"
        });
    }
    let ptrace = caps.ptrace_scope.is_none_or(|scope| scope <= 1);
    let scope = caps.ptrace_scope.map_or_else(
        || "no Yama restriction".to_owned(),
        |scope| format!("Yama ptrace_scope {scope}"),
    );
    item(
        out,
        Some(ptrace),
        "ptrace census",
        &format!(
            "{scope}: exact counts of threads and processes {}",
            if ptrace { "work" } else { "are not available" }
        ),
    )?;
    if !ptrace {
        gaps.push("checks with `census`, `expect-child` or `perturb` cannot be graded (ptrace is forbidden here)");
    }
    if let Some(abi) = caps.landlock_abi {
        item(
            out,
            Some(true),
            "landlock",
            &format!(
                "ABI {abi}: a student program reads only the system's libraries and its own binary, and writes only its scratch folder; a build reads only the toolchain, the registry's sources and its build folder, never `/proc` nor cargo's credentials (so `include_str!` cannot read a solution, a token or another process's environment){}",
                if abi >= 6 {
                    "; signals to processes outside the program are refused"
                } else {
                    ""
                }
            ),
        )?;
        if abi < 6 && !caps.root {
            gaps.push("student programs can send signals to your other processes (Landlock before ABI 6 does not scope signals)");
        }
    } else if caps.program_namespaces() {
        item(
            out,
            Some(false),
            "landlock",
            "not offered by this kernel; instead each student program and each build gets a mount namespace of its own in which the course's folders are hidden and /tmp, /var/tmp, /dev/shm and /run are private",
        )?;
        gaps.push("other files are protected only by their permissions (no Landlock here): keep other submissions and anything secret outside the course unreadable to other users");
    } else {
        item(
            out,
            Some(false),
            "landlock",
            "not offered by this kernel: files are protected only by their permissions",
        )?;
        gaps.push("reading files outside the scratch folder is refused only by file permissions (no Landlock here): keep solutions and other submissions unreadable to other users, and know that a build can `include_str!` any file labgrade's user can read");
    }
    gaps.extend(write_namespaces(caps, out)?);
    gaps.extend(write_network(caps, out)?);
    Ok(gaps)
}

/// The PID and user namespace lines; returns what they cannot guarantee.
fn write_namespaces(caps: &Capabilities, out: &mut dyn Write) -> io::Result<Vec<&'static str>> {
    let mut gaps = Vec::new();
    let used = caps.program_namespaces();
    if !caps.root {
        let text = match &caps.namespaces_without_root {
            Ok(()) => "not root, so each student program's supervisor enters a user namespace of its own, which gives the program the PID, network, IPC and mount namespaces below without root (the program still runs as you)".to_owned(),
            Err(reason) => format!("{reason}: without root, student programs share your namespaces (allow unprivileged user namespaces, or run labgrade as root, as CI does)"),
        };
        item(out, Some(used), "user namespace", &text)?;
    }
    item(
        out,
        Some(used),
        "pid namespace",
        if used {
            "each student program's supervisor is init of a PID namespace of its own: the program sees only its own processes (no other process's command line), and nothing it starts outlives its supervisor"
        } else {
            "not available to labgrade here: student programs see every process of the machine"
        },
    )?;
    if !used {
        gaps.push(
            "a student program can see every process of the machine and read its command line",
        );
        if !caps.root {
            // The session keyring is the program's own, but the user keyring is per user (and
            // user namespace): linked into the session keyring, its keys are the program's.
            gaps.push("keys in your user keyring (`keyctl show @u`) can be read by student programs, which run as you");
        }
    }
    Ok(gaps)
}

/// The network and IPC lines; returns what they cannot guarantee.
fn write_network(caps: &Capabilities, out: &mut dyn Write) -> io::Result<Vec<&'static str>> {
    let mut gaps = Vec::new();
    let network_used = caps.program_namespaces();
    let tcp_refused = caps.landlock_abi.is_some_and(|abi| abi >= 4);
    item(
        out,
        Some(network_used || tcp_refused),
        "network",
        if network_used {
            "each student program and each build gets a network namespace of its own, with no interface up: it cannot connect anywhere"
        } else if tcp_refused {
            "no network namespace here, but Landlock refuses TCP connections and listening sockets"
        } else {
            "no network namespace here: student programs share your network"
        },
    )?;
    if !network_used {
        gaps.push(if tcp_refused {
            "student programs can still send UDP datagrams (only TCP is refused without a network namespace)"
        } else {
            "student programs can open network connections"
        });
    }
    // Made with the network namespace.
    item(
        out,
        Some(network_used),
        "ipc",
        if network_used {
            "each student program gets an IPC namespace of its own: System V shared memory, semaphores and queues it leaves go with it"
        } else {
            "no IPC namespace here: System V objects a program leaves stay after it"
        },
    )?;
    if !network_used {
        gaps.push("a System V shared memory segment, semaphore or queue a student program creates outlives it, outside every limit, visible to later programs (remove them with `ipcrm`)");
    }
    Ok(gaps)
}

/// The cgroups line: the layout found and what labgrade uses of it; returns what it cannot
/// guarantee without them.
fn write_cgroups(caps: &Capabilities, out: &mut dyn Write) -> io::Result<Vec<&'static str>> {
    let layout = match caps.cgroups {
        CgroupLayout::Unified => "cgroup v2",
        CgroupLayout::Hybrid => "hybrid (v1 controllers beside a v2 tree)",
        CgroupLayout::Legacy => "cgroup v1",
        CgroupLayout::None => "none mounted",
    };
    let per_process = "memory is limited per process (address space), not for the whole program: a program of many processes or threads can use more";
    let mut gaps = Vec::new();
    match &caps.cgroup_use {
        Ok(used) => {
            // `used` is in the words of the containment list: `cgroup (hybrid: …)`, then what
            // is missing, if anything.
            let (first, missing) = used.split_once("; ").unwrap_or((used, ""));
            let first = first
                .strip_prefix("cgroup (")
                .and_then(|inner| inner.strip_suffix(')'))
                .unwrap_or(first);
            let missing = if missing.is_empty() {
                String::new()
            } else {
                format!(" ({missing})")
            };
            item(
                out,
                Some(true),
                "cgroups",
                &format!(
                    "{layout}; each isolated student program runs in cgroups of its own ({first}): memory and task limits hold for the whole program (even as root), and whatever is left in them is killed at the end{missing}"
                ),
            )?;
            if used.contains("no memory cgroup") {
                gaps.push(per_process);
            }
            if used.contains("no task limit cgroup") && !caps.root && !caps.program_namespaces() {
                gaps.push("the task limit is not enforced (no pids cgroup, and RLIMIT_NPROC would count your own processes)");
            }
        }
        Err(reason) => {
            item(
                out,
                Some(false),
                "cgroups",
                &format!(
                    "{layout}, but none usable ({reason}): memory is limited per process (address space), and tasks by RLIMIT_NPROC where it counts only the program's (a uid of its own as root, a user namespace of its own without)"
                ),
            )?;
            gaps.push(per_process);
            if !caps.root && !caps.program_namespaces() {
                gaps.push("the task limit is not enforced (no cgroup, and RLIMIT_NPROC would count your own processes)");
            }
        }
    }
    Ok(gaps)
}

/// The mount namespace and seccomp lines.
fn write_others(caps: &Capabilities, out: &mut dyn Write) -> io::Result<()> {
    let view = if caps.program_namespaces() {
        "each student program gets a root of its own holding only the system's files, its binaries and its scratch folder, with private, empty /tmp, /var/tmp, /dev/shm and /run: a named socket anywhere else is not there to connect to (should the root not be built, the report says so and only those four folders are private)"
    } else {
        "not available to labgrade here: student programs see the machine's files, which Landlock (where the kernel has it) and their permissions protect"
    };
    item(
        out,
        Some(caps.program_namespaces()),
        "mount namespace",
        view,
    )?;
    let seccomp = if caps.seccomp {
        "available; used only to stop at the system calls a check observes (the IPC exercises), not to refuse any"
    } else {
        "not available: checks that observe system calls cannot be graded"
    };
    item(out, None, "seccomp", seccomp)
}

/// One line: `used` is `Some(true)` for what labgrade uses, `Some(false)` for what it would
/// use but cannot here, `None` for what it does not use.
fn item(out: &mut dyn Write, used: Option<bool>, name: &str, text: &str) -> io::Result<()> {
    let (label, style) = match used {
        Some(true) => ("yes", GREEN),
        Some(false) => ("no", RED),
        None => ("--", Style::new().dimmed()),
    };
    writeln!(
        out,
        "  {style}{label:>3}{style:#}  {BOLD}{name}{BOLD:#}: {text}"
    )
}
