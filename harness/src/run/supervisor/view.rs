//! The file-system view of a student program: a root of its own that holds only what its
//! sandbox lets it reach (the system's programs and libraries, a few files of `/etc`, `/proc`,
//! `/sys`, a handful of devices, its binaries and its scratch folder) and private, empty
//! `/tmp`, `/var/tmp`, `/run` and `/dev/shm`; everything else of the machine is simply not
//! there.
//!
//! Why: Landlock does not govern `connect`, so a named UNIX socket the program's uid may open
//! (a Docker socket in a home folder, a socket left open to all anywhere) would otherwise be
//! reachable wherever it lies. Bubblewrap and nsjail build the same kind of root. Landlock still
//! applies inside the view, so a path the view holds is judged by the same rules as before.
//!
//! The view is planned before the fork ([`View::plan`]: every path, string and order of
//! operations) and built in the child between `fork` and `exec` ([`View::enter`]) with system
//! calls only: the sources are opened first, then a tmpfs is mounted over `/tmp` (in the
//! child's own mount namespace) and becomes the new root, the sources are bound into it from
//! their descriptors, and `pivot_root` moves the child into it.

use std::collections::BTreeSet;
use std::ffi::{CStr, CString};
use std::os::fd::IntoRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sys::stat::Mode;

use super::super::job::Sandbox;
use super::sandbox::{DEVICES, KERNEL_VIEWS, SYSTEM_FILES, SYSTEM_PROGRAMS, fd_path};

/// Where the new root is built: covered by it in the child's mount namespace, after every
/// source (some of which may lie under it) was opened.
const STAGING: &str = "/tmp";
/// Folders every user may write, and where other programs keep their sockets: empty and
/// private in the view.
const PRIVATE: &[&str] = &["/tmp", "/var/tmp", "/run", "/dev/shm"];
/// Links every program expects in `/dev`.
const DEV_LINKS: &[(&str, &str)] = &[
    ("/dev/fd", "/proc/self/fd"),
    ("/dev/stdin", "/proc/self/fd/0"),
    ("/dev/stdout", "/proc/self/fd/1"),
    ("/dev/stderr", "/proc/self/fd/2"),
];

/// One step of building the view; paths are those in the staging folder.
enum Step {
    /// A folder, created if missing.
    Folder(CString),
    /// An empty file to bind a file onto, created if missing.
    File(CString),
    /// A symbolic link, as on the machine.
    Link { at: CString, to: CString },
    /// A private, empty tmpfs, writable by everyone (sticky).
    Private(CString),
    /// The source of this index, bound here with everything mounted beneath it.
    Bind { source: usize, at: CString },
}

/// The planned view of one program.
pub(super) struct View {
    /// What to bind, opened in the child before the staging folder is covered.
    sources: Vec<(CString, bool)>,
    /// The descriptors of `sources`, filled in the child (the vector is allocated before).
    opened: Vec<i32>,
    steps: Vec<Step>,
    /// The program's working directory, entered again in the new root.
    cwd: CString,
}

impl View {
    /// Plans the view of a program with `sandbox`, working in `cwd`. `None` when a path cannot
    /// be written as a C string (a NUL in it), which no real path has.
    pub(super) fn plan(sandbox: &Sandbox, cwd: &Path) -> Option<Self> {
        let mut planner = Planner::default();
        for &folder in PRIVATE {
            planner.folders_to(Path::new(folder))?;
            planner
                .steps
                .push(Step::Private(staged(Path::new(folder))?));
        }
        let kernel = KERNEL_VIEWS
            .iter()
            .filter(|&&path| sandbox.proc || path != "/proc");
        let listed = SYSTEM_PROGRAMS
            .iter()
            .chain(SYSTEM_FILES)
            .chain(kernel)
            .chain(DEVICES)
            .map(PathBuf::from)
            .chain(sandbox.read.iter().cloned())
            .chain(sandbox.write.iter().cloned())
            .chain(std::iter::once(cwd.to_owned()));
        let listed: Vec<PathBuf> = listed.collect();
        let mut binds: Vec<PathBuf> = Vec::new();
        // Sorted, parents come first: what lies in a folder bound already is in the view, and
        // nothing is ever created inside a bound folder (that would be the machine's).
        let real: BTreeSet<PathBuf> = listed
            .iter()
            .filter_map(|path| std::fs::canonicalize(path).ok())
            .filter(|real| !PRIVATE.iter().any(|&private| real == Path::new(private)))
            .collect();
        for path in real {
            if !binds.iter().any(|bound| path.starts_with(bound)) {
                binds.push(path);
            }
        }
        planner.bound.clone_from(&binds);
        for path in &listed {
            planner.links_along(path)?;
        }
        for real in &binds {
            planner.bind(real)?;
        }
        for &(at, to) in DEV_LINKS {
            planner.steps.push(Step::Link {
                at: staged(Path::new(at))?,
                to: CString::new(to).ok()?,
            });
        }
        let opened = vec![-1; planner.sources.len()];
        Some(Self {
            sources: planner.sources,
            opened,
            steps: planner.steps,
            cwd: c_path(&std::fs::canonicalize(cwd).ok()?)?,
        })
    }

    /// Builds the view and makes it the calling process's root. Run in the child between
    /// `fork` and `exec`, in a mount namespace of its own whose mounts are private, with the
    /// power to mount; async-signal-safe: system calls on strings made before the fork. On
    /// failure before the switch, the staging cover is taken away again, so the caller may go
    /// on without the view.
    pub(super) fn enter(&mut self) -> nix::Result<()> {
        for (slot, (source, folder)) in self.opened.iter_mut().zip(&self.sources) {
            let kind = if *folder {
                OFlag::O_DIRECTORY
            } else {
                OFlag::empty()
            };
            *slot = nix::fcntl::open(
                source.as_c_str(),
                OFlag::O_PATH | kind | OFlag::O_CLOEXEC,
                Mode::empty(),
            )?
            .into_raw_fd();
        }
        mount(
            Some(c"labgrade-root"),
            c"/tmp",
            Some(c"tmpfs"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
            Some(c"size=1m,mode=0755"),
        )?;
        let built = self.build().and_then(|()| self.switch());
        if built.is_err() {
            let _ = umount2(c"/tmp", MntFlags::MNT_DETACH);
        }
        for fd in &mut self.opened {
            if *fd >= 0 {
                let _ = nix::unistd::close(*fd);
                *fd = -1;
            }
        }
        built
    }

    /// Every step, in order, in the staging folder.
    fn build(&self) -> nix::Result<()> {
        for step in &self.steps {
            match step {
                Step::Folder(path) => {
                    match nix::unistd::mkdir(path.as_c_str(), Mode::from_bits_truncate(0o755)) {
                        Ok(()) | Err(nix::errno::Errno::EEXIST) => {}
                        Err(error) => return Err(error),
                    }
                }
                Step::File(path) => {
                    let fd = nix::fcntl::open(
                        path.as_c_str(),
                        OFlag::O_CREAT | OFlag::O_WRONLY | OFlag::O_CLOEXEC,
                        Mode::from_bits_truncate(0o644),
                    )?;
                    let _ = nix::unistd::close(fd);
                }
                Step::Link { at, to } => {
                    match nix::unistd::symlinkat(to.as_c_str(), nix::fcntl::AT_FDCWD, at.as_c_str())
                    {
                        Ok(()) | Err(nix::errno::Errno::EEXIST) => {}
                        Err(error) => return Err(error),
                    }
                }
                Step::Private(path) => mount(
                    Some(c"labgrade-tmp"),
                    path.as_c_str(),
                    Some(c"tmpfs"),
                    MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
                    Some(c"size=64m,mode=1777"),
                )?,
                Step::Bind { source, at } => {
                    let mut buffer = [0_u8; 32];
                    let fd = self.opened.get(*source).copied().unwrap_or(-1);
                    let Some(from) = fd_path(fd, &mut buffer) else {
                        return Err(nix::errno::Errno::EBADF);
                    };
                    mount(
                        Some(from),
                        at.as_c_str(),
                        None::<&CStr>,
                        MsFlags::MS_BIND | MsFlags::MS_REC,
                        None::<&CStr>,
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Makes the staging folder the root (`pivot_root` onto itself, then the old root
    /// detached) and enters the working directory again.
    fn switch(&self) -> nix::Result<()> {
        nix::unistd::chdir(c"/tmp")?;
        nix::unistd::pivot_root(c".", c".")?;
        umount2(c".", MntFlags::MNT_DETACH)?;
        nix::unistd::chdir(self.cwd.as_c_str())
    }
}

/// Collects the steps and sources of a view.
#[derive(Default)]
struct Planner {
    steps: Vec<Step>,
    sources: Vec<(CString, bool)>,
    /// Folders already planned, so that each is created once.
    folders: BTreeSet<PathBuf>,
    /// What will be bound: a link inside is the machine's own, seen through the bind.
    bound: Vec<PathBuf>,
}

impl Planner {
    /// Plans every folder from the root down to `path`, `path` included.
    fn folders_to(&mut self, path: &Path) -> Option<()> {
        let mut current = PathBuf::from("/");
        for component in path.components().skip(1) {
            current.push(component);
            if self.folders.insert(current.clone()) {
                self.steps.push(Step::Folder(staged(&current)?));
            }
        }
        Some(())
    }

    /// Plans the symbolic links met on the way to `path` (`/lib` to `usr/lib`, `/etc/localtime`
    /// to a zone file), each where its real parent folder is, so that the path the program
    /// uses resolves in the view as on the machine.
    fn links_along(&mut self, path: &Path) -> Option<()> {
        let mut current = PathBuf::from("/");
        for component in path.components().skip(1) {
            current.push(component);
            let Ok(meta) = std::fs::symlink_metadata(&current) else {
                return Some(());
            };
            if !meta.file_type().is_symlink() {
                continue;
            }
            let to = std::fs::read_link(&current).ok()?;
            let parent = std::fs::canonicalize(current.parent()?).ok()?;
            let at = parent.join(current.file_name()?);
            let seen = self.bound.iter().any(|bound| at.starts_with(bound));
            if !seen && !self.folders.contains(&at) {
                self.folders_to(&parent)?;
                self.folders.insert(at.clone());
                self.steps.push(Step::Link {
                    at: staged(&at)?,
                    to: c_path(&to)?,
                });
            }
            // The rest of the path goes on from where the link leads.
            current = std::fs::canonicalize(&current).ok()?;
        }
        Some(())
    }

    /// Plans the binding of `real` (a canonical path) at the same path in the view.
    fn bind(&mut self, real: &Path) -> Option<()> {
        let folder = real.is_dir();
        if folder {
            self.folders_to(real)?;
        } else {
            self.folders_to(real.parent()?)?;
            self.steps.push(Step::File(staged(real)?));
        }
        self.sources.push((c_path(real)?, folder));
        self.steps.push(Step::Bind {
            source: self.sources.len() - 1,
            at: staged(real)?,
        });
        Some(())
    }
}

/// `path` (absolute) inside the staging folder, as a C string.
fn staged(path: &Path) -> Option<CString> {
    let relative = path.strip_prefix("/").ok()?;
    c_path(&Path::new(STAGING).join(relative))
}

/// `path` as a C string.
fn c_path(path: &Path) -> Option<CString> {
    CString::new(path.as_os_str().as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(view: &View) -> Vec<String> {
        view.steps
            .iter()
            .map(|step| match step {
                Step::Folder(path) => format!("folder {}", path.to_string_lossy()),
                Step::File(path) => format!("file {}", path.to_string_lossy()),
                Step::Link { at, to } => {
                    format!("link {} -> {}", at.to_string_lossy(), to.to_string_lossy())
                }
                Step::Private(path) => format!("private {}", path.to_string_lossy()),
                Step::Bind { source, at } => format!(
                    "bind {} at {}",
                    view.sources[*source].0.to_string_lossy(),
                    at.to_string_lossy()
                ),
            })
            .collect()
    }

    #[test]
    fn the_view_holds_what_the_sandbox_names_and_private_shared_folders() {
        let temp = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(temp.path()).unwrap();
        std::fs::create_dir_all(real.join("bin")).unwrap();
        std::fs::create_dir_all(real.join("scratch")).unwrap();
        std::os::unix::fs::symlink(real.join("bin"), real.join("binaries")).unwrap();
        let sandbox = Sandbox {
            read: vec![real.join("binaries")],
            write: vec![real.join("scratch")],
            hide: Vec::new(),
            landlock: true,
            proc: false,
            private_tmp: true,
        };
        let view = View::plan(&sandbox, &real.join("scratch")).unwrap();
        let steps = described(&view);
        let staged = |path: &Path| format!("/tmp{}", path.display());
        let position = |wanted: &str| {
            steps
                .iter()
                .position(|step| step == wanted)
                .unwrap_or_else(|| panic!("no `{wanted}` in {steps:#?}"))
        };
        // The shared folders are private before anything is bound beneath them.
        let private_tmp = position("private /tmp/tmp");
        let bin = position(&format!(
            "bind {} at {}",
            real.join("bin").display(),
            staged(&real.join("bin"))
        ));
        let scratch = position(&format!(
            "bind {} at {}",
            real.join("scratch").display(),
            staged(&real.join("scratch"))
        ));
        assert!(private_tmp < bin && private_tmp < scratch, "{steps:#?}");
        // The link the sandbox names is there, as on the machine.
        position(&format!(
            "link {} -> {}",
            staged(&real.join("binaries")),
            real.join("bin").display()
        ));
        position("bind /sys at /tmp/sys");
        position("file /tmp/dev/null");
        position("link /tmp/dev/fd -> /proc/self/fd");
        // Without `proc`, no `/proc`; nothing else of the machine.
        assert!(!steps.iter().any(|step| step.starts_with("bind /proc")));
        assert!(
            !steps.iter().any(|step| step.contains("/root")),
            "{steps:#?}"
        );
        assert!(!steps.iter().any(|step| step.starts_with("bind /home")));
    }
}
