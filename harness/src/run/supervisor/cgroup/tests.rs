//! Tests of the cgroup layouts of real machines, of the files' parsing, of the containment
//! words and of stale removal.

use std::fs;
use std::io;
use std::path::PathBuf;

use nix::unistd::{Pid, geteuid};

use crate::run::CgroupLayout;

use super::files::{keyed, parse_pids};
use super::job::{Group, JobCgroup, Version, job_name};
use super::layout::{Hierarchy, Layout, parse_layout, parse_proc_cgroup, unescape};
use super::stale::remove_stale;

/// `/proc/self/mountinfo` of the Firecracker VM labgrade is developed on (hybrid).
const HYBRID_MOUNTINFO: &str = "\
23 1 253:0 / / rw,relatime - ext4 /dev/vda rw
24 23 0:22 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";
const HYBRID_CGROUP: &str = "\
9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/4c34798d2ca7f240ef5965b512e7f531
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
";
/// A systemd host with pure cgroup v2, seen from a login session.
const SYSTEMD_MOUNTINFO: &str = "\
22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
25 22 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
26 25 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:3 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
";
const SYSTEMD_CGROUP: &str = "0::/user.slice/user-1000.slice/session-2.scope\n";

#[test]
fn the_hybrid_layout_of_the_development_machine() {
    let layout = parse_layout(HYBRID_MOUNTINFO, HYBRID_CGROUP);
    assert_eq!(
        layout,
        Layout {
            unified: Some(Hierarchy {
                mount: "/sys/fs/cgroup/unified".into(),
                own: "/sys/fs/cgroup/unified".into(),
            }),
            pids_v1: Some(Hierarchy {
                mount: "/sys/fs/cgroup/pids".into(),
                own: "/sys/fs/cgroup/pids".into(),
            }),
            memory_v1: Some(Hierarchy {
                mount: "/sys/fs/cgroup/memory".into(),
                own: "/sys/fs/cgroup/memory/process_api/4c34798d2ca7f240ef5965b512e7f531".into(),
            }),
        }
    );
}

#[test]
fn a_pure_v2_systemd_layout() {
    let layout = parse_layout(SYSTEMD_MOUNTINFO, SYSTEMD_CGROUP);
    assert_eq!(
        layout,
        Layout {
            unified: Some(Hierarchy {
                mount: "/sys/fs/cgroup".into(),
                own: "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope".into(),
            }),
            pids_v1: None,
            memory_v1: None,
        }
    );
}

#[test]
fn v1_only_with_joined_controllers_and_no_cgroups_at_all() {
    let mountinfo = "\
30 25 0:26 / /sys/fs/cgroup/memory,pids rw - cgroup cgroup rw,memory,pids
31 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
";
    let layout = parse_layout(mountinfo, "3:memory,pids:/ci/job 7\n2:cpu,cpuacct:/\n");
    let both = Hierarchy {
        mount: "/sys/fs/cgroup/memory,pids".into(),
        own: "/sys/fs/cgroup/memory,pids/ci/job 7".into(),
    };
    assert_eq!(layout.unified, None);
    // One hierarchy holds both controllers: it is both the pids and the memory hierarchy
    // (and gets one job cgroup with both limits).
    assert_eq!(layout.pids_v1.as_ref(), Some(&both));
    assert_eq!(layout.memory_v1.as_ref(), Some(&both));
    assert_eq!(
        parse_layout("24 23 0:22 / /proc rw - proc proc rw\n", "0::/\n"),
        Layout::default()
    );
}

#[test]
fn a_container_sees_its_own_cgroup_as_the_mount_root() {
    // Docker without a cgroup namespace: the mount's root is the container's cgroup.
    let mountinfo = "\
700 690 0:30 /docker/0123abcd /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw
";
    let layout = parse_layout(mountinfo, "0::/docker/0123abcd\n");
    let unified = layout.unified.unwrap();
    assert_eq!(unified.own, PathBuf::from("/sys/fs/cgroup"));
    // Outside the namespace's root: fall back on the mount point.
    let layout = parse_layout(mountinfo, "0::/../../init.scope\n");
    assert_eq!(layout.unified.unwrap().own, PathBuf::from("/sys/fs/cgroup"));
}

/// What `labgrade doctor` names the layout the supervisor found: only the hierarchies it uses
/// count, so a v1 `name=systemd` or `cpu` hierarchy beside a v2 tree is not hybrid.
#[test]
fn cgroup_layouts_are_told_apart() {
    let v1 = "39 31 0:36 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n";
    let v2 = "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
    let other_v1 = "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n";
    let kind = |mountinfo: &str| parse_layout(mountinfo, "0::/\n").kind();
    assert_eq!(kind(&format!("{v1}{v2}")), CgroupLayout::Hybrid);
    assert_eq!(kind(v2), CgroupLayout::Unified);
    assert_eq!(kind(&format!("{other_v1}{v2}")), CgroupLayout::Unified);
    assert_eq!(kind(v1), CgroupLayout::Legacy);
    assert_eq!(
        kind("24 23 0:22 / /proc rw - proc proc rw\n"),
        CgroupLayout::None
    );
}

#[test]
fn mount_points_with_spaces_are_unescaped() {
    assert_eq!(unescape(r"/mnt/my\040cgroups"), "/mnt/my cgroups");
    assert_eq!(unescape(r"/plain"), "/plain");
    assert_eq!(unescape(r"/trailing\04"), r"/trailing\04");
}

#[test]
fn keyed_files_give_their_counters() {
    let oom_control = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
    assert_eq!(keyed(oom_control, "oom_kill"), Some(2));
    assert_eq!(keyed(oom_control, "oom_kill_disable"), Some(0));
    let events = "low 0\nhigh 0\nmax 14\noom 1\noom_kill 1\noom_group_kill 0\n";
    assert_eq!(keyed(events, "oom_kill"), Some(1));
    assert_eq!(keyed("max 10250\n", "max"), Some(10250));
    assert_eq!(keyed("max 10250\n", "oom_kill"), None);
    assert_eq!(keyed("", "max"), None);
}

#[test]
fn proc_cgroup_lines_and_pid_lists_parse() {
    let parsed = parse_proc_cgroup(HYBRID_CGROUP);
    assert_eq!(parsed.len(), 10);
    assert_eq!(parsed[9], (None, "/".to_owned()));
    assert_eq!(
        parsed[5],
        (
            Some(vec!["memory".to_owned()]),
            "/process_api/4c34798d2ca7f240ef5965b512e7f531".to_owned()
        )
    );
    assert_eq!(
        parse_pids("12\n345\n"),
        vec![Pid::from_raw(12), Pid::from_raw(345)]
    );
    // A member outside our PID namespace: no pid to signal.
    assert_eq!(parse_pids("0\n7\n"), vec![Pid::from_raw(7)]);
}

fn group(version: Version, pids: bool, memory: bool) -> Group {
    Group {
        dir: PathBuf::new(),
        version,
        pids,
        memory,
        procs: None,
        path: String::new(),
        controller: None,
        joined: true,
        owner: None,
    }
}

fn described(groups: Vec<Group>, missing: &[&str]) -> Vec<String> {
    let mut cgroup = JobCgroup {
        groups,
        tasks: 1,
        memory_bytes: 1,
        missing: missing.iter().map(|&text| text.to_owned()).collect(),
    };
    let words = cgroup.describe();
    // Nothing to remove: the folders are not real.
    cgroup.groups.clear();
    words
}

#[test]
fn containment_words_name_the_layout_and_what_is_missing() {
    assert_eq!(
        described(
            vec![
                group(Version::V1, true, false),
                group(Version::V1, false, true),
                group(Version::V2, false, false),
            ],
            &[]
        ),
        ["cgroup (hybrid: v1 pids+memory, v2 kill)"]
    );
    assert_eq!(
        described(vec![group(Version::V2, true, true)], &[]),
        ["cgroup (v2: pids+memory+kill)"]
    );
    assert_eq!(
        described(
            vec![group(Version::V2, false, false)],
            &["no task limit cgroup: x", "no memory cgroup: x"]
        ),
        [
            "cgroup (v2: kill)",
            "no task limit cgroup: x",
            "no memory cgroup: x"
        ]
    );
    assert_eq!(
        described(vec![group(Version::V1, true, true)], &[]),
        ["cgroup (v1: pids+memory)"]
    );
}

#[test]
fn a_locked_job_cgroup_is_kept_and_an_unlocked_one_removed() {
    if !geteuid().is_root() {
        let _ = io::Write::write_all(
            &mut io::stderr(),
            b"skipped: needs root to create cgroups\n",
        );
        return;
    }
    let layout = Layout::detect();
    let Ok(live) = JobCgroup::create(&layout, nix::unistd::getpid(), 16, 1 << 26) else {
        let _ = io::Write::write_all(&mut io::stderr(), b"skipped: no usable cgroups\n");
        return;
    };
    let dirs: Vec<PathBuf> = live.groups.iter().map(|group| group.dir.clone()).collect();
    // One left by a supervisor that died: made, never locked (or its lock dropped).
    let parent = dirs[0].parent().expect("below labgrade/").to_owned();
    let dead = parent.join(job_name(Pid::from_raw(1)));
    fs::create_dir(&dead).expect("a cgroup can be made beside ours");
    remove_stale(&layout);
    assert!(!dead.exists(), "the unlocked job cgroup is stale");
    for dir in &dirs {
        assert!(
            dir.exists(),
            "a live job's cgroup {} was removed",
            dir.display()
        );
    }
    // Same pid, other namespace: the random part keeps the names apart.
    assert_ne!(job_name(Pid::from_raw(5)), job_name(Pid::from_raw(5)));
    drop(live);
    for dir in &dirs {
        assert!(!dir.exists(), "{} outlived its job", dir.display());
    }
}
