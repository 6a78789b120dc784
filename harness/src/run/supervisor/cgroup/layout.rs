//! Where the cgroup hierarchies labgrade uses are mounted for this process, and its own cgroup
//! in each, parsed from `/proc/self/mountinfo` and `/proc/self/cgroup`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::run::CgroupLayout;

/// One mounted cgroup hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hierarchy {
    /// Where it is mounted, such as `/sys/fs/cgroup/pids`.
    pub(crate) mount: PathBuf,
    /// Our own cgroup in it, as a folder: `mount` joined with our cgroup's path (relative to
    /// the mount's root); `mount` itself when our cgroup is not below the mount's root.
    pub(crate) own: PathBuf,
}

/// The hierarchies that matter to labgrade, as mounted for this process.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Layout {
    /// The cgroup v2 tree, if mounted.
    pub(crate) unified: Option<Hierarchy>,
    /// The v1 hierarchy with the `pids` controller, if mounted.
    pub(crate) pids_v1: Option<Hierarchy>,
    /// The v1 hierarchy with the `memory` controller, if mounted.
    pub(crate) memory_v1: Option<Hierarchy>,
}

impl Layout {
    /// The layout of this process, from `/proc/self/mountinfo` and `/proc/self/cgroup`.
    pub(crate) fn detect() -> Self {
        let read = |path| fs::read_to_string(path).unwrap_or_default();
        parse_layout(&read("/proc/self/mountinfo"), &read("/proc/self/cgroup"))
    }

    pub(super) fn hierarchies(&self) -> impl Iterator<Item = &Hierarchy> {
        [&self.unified, &self.pids_v1, &self.memory_v1]
            .into_iter()
            .flatten()
    }

    /// How the hierarchies labgrade uses are mounted, as `labgrade doctor` names it: from the
    /// supervisor's own view, so that the doctor never tells of a layout the supervisor would
    /// not use.
    pub(crate) fn kind(&self) -> CgroupLayout {
        let v1 = self.pids_v1.is_some() || self.memory_v1.is_some();
        match (self.unified.is_some(), v1) {
            (true, true) => CgroupLayout::Hybrid,
            (true, false) => CgroupLayout::Unified,
            (false, true) => CgroupLayout::Legacy,
            (false, false) => CgroupLayout::None,
        }
    }
}

/// Parses the layout from the text of `/proc/self/mountinfo` and of `/proc/self/cgroup`.
pub(crate) fn parse_layout(mountinfo: &str, proc_cgroup: &str) -> Layout {
    let memberships = parse_proc_cgroup(proc_cgroup);
    let own_path = |v2: bool, controller: &str| {
        memberships
            .iter()
            .find(|(controllers, _)| {
                if v2 {
                    controllers.is_none()
                } else {
                    controllers
                        .as_ref()
                        .is_some_and(|list| list.iter().any(|name| name == controller))
                }
            })
            .map(|(_, path)| path.clone())
    };
    let mut layout = Layout::default();
    for mount in mountinfo.lines().filter_map(parse_mount) {
        let own = |path: Option<String>| {
            path.and_then(|path| below(&mount.root, &path))
                .map_or_else(|| mount.point.clone(), |rest| mount.point.join(rest))
        };
        match mount.fstype {
            // The same hierarchy mounted twice (a bind mount): the first is as good.
            "cgroup2" if layout.unified.is_none() => {
                layout.unified = Some(Hierarchy {
                    mount: mount.point.clone(),
                    own: own(own_path(true, "")),
                });
            }
            "cgroup" => {
                // One v1 hierarchy may hold both controllers (`memory,pids`).
                for (controller, slot) in [
                    ("pids", &mut layout.pids_v1),
                    ("memory", &mut layout.memory_v1),
                ] {
                    if slot.is_none() && mount.options.split(',').any(|option| option == controller)
                    {
                        *slot = Some(Hierarchy {
                            mount: mount.point.clone(),
                            own: own(own_path(false, controller)),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    layout
}

/// `path` relative to `root`, if it is `root` or below it.
fn below(root: &str, path: &str) -> Option<PathBuf> {
    let rest = Path::new(path).strip_prefix(root).ok()?;
    // `..` appears when our cgroup is outside a cgroup namespace's root.
    (!rest.components().any(|part| part.as_os_str() == "..")).then(|| rest.to_path_buf())
}

/// One line of `/proc/self/mountinfo`, the fields labgrade needs.
struct Mount<'a> {
    /// The folder of the file system that is mounted (for cgroups, a cgroup path).
    root: String,
    point: PathBuf,
    fstype: &'a str,
    /// The super block options, which name a v1 hierarchy's controllers.
    options: &'a str,
}

/// Parses one line of `/proc/self/mountinfo`:
/// `id parent major:minor root point options [optional...] - fstype source super-options`.
fn parse_mount(line: &str) -> Option<Mount<'_>> {
    let (before, after) = line.split_once(" - ")?;
    let mut fields = before.split(' ');
    let root = unescape(fields.nth(3)?);
    let point = PathBuf::from(unescape(fields.next()?));
    let mut after = after.split(' ');
    let fstype = after.next()?;
    let _source = after.next()?;
    let options = after.next().unwrap_or("");
    Some(Mount {
        root,
        point,
        fstype,
        options,
    })
}

/// Undoes mountinfo's octal escapes (`\040` for a space, `\011`, `\012`, `\134`).
pub(super) fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && let Some(code) = field
                .get(i + 1..i + 4)
                .and_then(|digits| u8::from_str_radix(digits, 8).ok())
        {
            out.push(code);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses `/proc/<pid>/cgroup`: for each line `id:controllers:path`, the v1 controllers (`None`
/// for the v2 line, `0::path`) and the path.
pub(super) fn parse_proc_cgroup(text: &str) -> Vec<(Option<Vec<String>>, String)> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, ':');
            let id = fields.next()?;
            let controllers = fields.next()?;
            let path = fields.next()?.to_owned();
            if id == "0" && controllers.is_empty() {
                return Some((None, path));
            }
            let list = controllers.split(',').map(str::to_owned).collect();
            Some((Some(list), path))
        })
        .collect()
}
