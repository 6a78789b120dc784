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
        "own process group, stdin closed, clean environment, fresh scratch folder",
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
    write_unused(caps, out)?;
    gaps.push("reading files outside the scratch folder is refused only by file permissions (Landlock is not used yet): keep solutions and other submissions unreadable to other users");
    gaps.push(
        "memory is limited per process, not for the whole program (cgroups are not used yet)",
    );
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
            "running as root: each student program runs as an unprivileged uid of its own, where the task limit (RLIMIT_NPROC) holds",
        )?;
    } else {
        item(
            out,
            Some(false),
            "uid drop",
            "not root: student programs run as you",
        )?;
        gaps.push("student programs run as your own user: they can read and change what you can, and the task limit counts your other processes too; run labgrade as root (as CI does) for a uid of their own");
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
    let network_used = caps.root && caps.network_namespace;
    item(
        out,
        Some(network_used),
        "network",
        if network_used {
            "each student program gets a network namespace of its own, with no interface up: it cannot connect anywhere"
        } else if caps.network_namespace {
            "namespaces work, but only root may create one for a program: student programs share your network"
        } else {
            "no network namespace here: student programs share your network"
        },
    )?;
    if !network_used {
        gaps.push("student programs can open network connections");
    }
    Ok(gaps)
}

/// What the machine offers that labgrade does not use yet.
fn write_unused(caps: &Capabilities, out: &mut dyn Write) -> io::Result<()> {
    for (name, available) in [
        ("pid namespace", caps.pid_namespace),
        ("mount namespace", caps.mount_namespace),
        ("user namespace", caps.user_namespace),
    ] {
        let text = if available {
            "available, not used yet"
        } else {
            "not available"
        };
        item(out, None, name, text)?;
    }
    let cgroups = match caps.cgroups {
        CgroupLayout::Unified => "cgroup v2",
        CgroupLayout::Hybrid => "hybrid (v1 controllers beside a v2 tree)",
        CgroupLayout::Legacy => "cgroup v1",
        CgroupLayout::None => "none",
    };
    item(
        out,
        None,
        "cgroups",
        &format!(
            "{cgroups}; not used yet: memory is limited per process (address space), tasks per uid"
        ),
    )?;
    let landlock = caps.landlock_abi.map_or_else(
        || "not available".to_owned(),
        |abi| format!("ABI {abi}, not used yet"),
    );
    item(out, None, "landlock", &landlock)?;
    let seccomp = if caps.seccomp {
        "available, not used yet"
    } else {
        "not available"
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
