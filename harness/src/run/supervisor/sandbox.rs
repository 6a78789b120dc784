//! The file-system, network and signal sandbox of an untrusted program: a Landlock ruleset
//! built in the supervisor and enforced in the child just before `exec`.
//!
//! Landlock needs no privileges, so it holds for a student grading on a laptop as much as for
//! root in CI, where it adds to the uid drop: a world-readable reference solution in a course
//! checkout is refused just like a file of labgrade's own user. It is applied best-effort: a
//! kernel without Landlock, or with an older ABI, enforces what it knows, and
//! [`Prepared::describe`] says what that is.

use std::ffi::{CStr, CString};
use std::os::fd::{IntoRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, PathBeneath, PathFd,
    Ruleset, RulesetAttr, RulesetCreated, RulesetCreatedAttr, Scope,
};

use nix::fcntl::OFlag;
use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};
use nix::sys::stat::Mode;

use super::super::job::Sandbox;
use super::super::probe::landlock_abi;
use super::view::View;

/// The newest Landlock ABI whose rights labgrade asks for: 6 adds signal and abstract-socket
/// scoping. Newer kernels enforce it unchanged; older ones enforce the subset they know.
const TARGET_ABI: ABI = ABI::V6;
/// First ABI that restricts TCP.
const TCP_ABI: u32 = 4;
/// First ABI that scopes signals and abstract UNIX sockets to the sandbox.
const SCOPE_ABI: u32 = 6;

/// Folders of the system's programs and libraries: read and execute.
pub(super) const SYSTEM_PROGRAMS: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt",
];
/// Files of `/etc` that the C library and the dynamic loader read; nothing secret. The rest of
/// `/etc` is refused.
pub(super) const SYSTEM_FILES: &[&str] = &[
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/host.conf",
];
/// Read-only views of the kernel: a program reads its own `/proc/self` and the CPU count. A
/// path through `/proc/<pid>/root` or `/proc/<pid>/cwd` resolves to the real file, which the
/// rules then judge like any other.
pub(super) const KERNEL_VIEWS: &[&str] = &["/proc", "/sys"];
/// Devices any program may read and write.
pub(super) const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
];

/// A sandbox ready to enforce in the child.
pub(super) struct Prepared {
    /// The ruleset, taken and enforced once in the child; `None` without Landlock.
    ruleset: Option<RulesetCreated>,
    /// Landlock ABI of the kernel, if it has Landlock (and the job wants it).
    abi: Option<u32>,
    /// Why the ruleset could not be built, though the kernel has Landlock.
    failure: Option<String>,
    /// The fallback without Landlock, as root: folders to cover in a mount namespace of the
    /// program's own, as C strings made before the fork.
    hidden: Vec<CString>,
    /// Also for the fallback: the folders everyone may write (`/tmp` and the like) get a
    /// private tmpfs each, and the folders the program needs under them are bound back.
    shared: Vec<Shared>,
    /// For a student program, where the supervisor mounts: a root of its own holding only what
    /// the sandbox names (see [`View`]); `hidden` and `shared` are the fallback if it cannot be
    /// built.
    view: Option<View>,
    /// Where the child says whether the view was built: one byte 0, or 1 and the errno of the
    /// failure (the fallback then applies). Its end in the parent is [`Prepared::report`].
    view_said: Option<OwnedFd>,
}

/// The parent's end of what the child says of its view: read with [`said_of_view`].
pub(super) struct ViewReport(OwnedFd);

/// A folder everyone may write, covered by a private tmpfs in the fallback.
struct Shared {
    /// The folder, such as `/tmp`.
    folder: CString,
    /// Folders of the job under it, bound back after the cover.
    needed: Vec<Rebind>,
}

/// A folder of the job bound back into a covered shared folder.
struct Rebind {
    /// Every folder from the shared folder down to the job's folder, created in the cover; the
    /// last is the job's folder itself, or a file the job reads (cargo's `.global-cache` in a
    /// `CARGO_HOME` under `/tmp`).
    path: Vec<CString>,
    /// Whether the last of `path` is a file, created empty in the cover to bind it onto.
    file: bool,
}

/// Most folders of the job under one shared folder that can be bound back.
const MOST_REBINDS: usize = 8;

impl Prepared {
    /// Builds the ruleset of `sandbox`, or, without Landlock and where the supervisor `mounts`
    /// (as root, or in a user namespace of its own), the list of folders to hide. Never fails:
    /// a ruleset that cannot be built leaves the program without it, and
    /// [`Prepared::describe`] says so.
    pub(super) fn new(sandbox: &Sandbox, cwd: &Path, mounts: bool) -> Self {
        let abi = landlock_abi().filter(|_| sandbox.landlock);
        let (ruleset, failure) = match abi.map(|_| ruleset(sandbox)) {
            Some(Ok(ruleset)) => (Some(ruleset), None),
            Some(Err(error)) => (None, Some(error.to_string())),
            None => (None, None),
        };
        let needed = needed_folders(sandbox);
        let hidden = if ruleset.is_none() && mounts {
            hidden_folders(sandbox, &needed)
        } else {
            Vec::new()
        };
        // Even with Landlock, for a student program: Landlock does not govern `connect`, so a
        // named UNIX socket left open to the program's uid (in `/tmp` or `/run`: another
        // user's, or, without root, any of the user's own) is reachable through it; covered,
        // it is not there to connect to.
        let shared = if mounts && (ruleset.is_none() || sandbox.private_tmp) {
            shared_folders(&needed)
        } else {
            Vec::new()
        };
        let view = (mounts && sandbox.private_tmp)
            .then(|| View::plan(sandbox, cwd))
            .flatten();
        Self {
            ruleset,
            abi,
            failure,
            hidden,
            shared,
            view,
            view_said: None,
        }
    }

    /// The parent's end of what the child will say of its view, when it is to build one.
    pub(super) fn report(&mut self) -> Option<ViewReport> {
        self.view.as_ref()?;
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK).ok()?;
        self.view_said = Some(write);
        Some(ViewReport(read))
    }

    /// With the power to mount (as root, or in the supervisor's user namespace): gives the
    /// calling process a mount namespace of its own, covers every hidden
    /// folder (without Landlock) with an empty, read-only tmpfs and every shared folder with a
    /// private, writable one. Run in the child before the
    /// uid drop and `exec` (mounting needs `CAP_SYS_ADMIN`); async-signal-safe: system calls on C strings
    /// made before the fork.
    pub(super) fn hide(&mut self) -> nix::Result<()> {
        if self.hidden.is_empty() && self.shared.is_empty() && self.view.is_none() {
            return Ok(());
        }
        unshare(CloneFlags::CLONE_NEWNS)?;
        // Private, so that nothing mounted here shows in the host's namespace.
        mount(
            None::<&CStr>,
            c"/",
            None::<&CStr>,
            MsFlags::MS_REC | MsFlags::MS_PRIVATE,
            None::<&CStr>,
        )?;
        if let Some(view) = &mut self.view {
            let result = view.enter();
            if let Some(said) = &self.view_said {
                let mut message = [0_u8; 5];
                let length = match result {
                    Ok(()) => 1,
                    Err(errno) => {
                        message[0] = 1;
                        message[1..].copy_from_slice(&(errno as i32).to_ne_bytes());
                        5
                    }
                };
                let _ = nix::unistd::write(said, &message[..length]);
            }
            if result.is_ok() {
                return Ok(());
            }
        }
        for folder in &self.hidden {
            mount(
                Some(c"labgrade-hidden"),
                folder.as_c_str(),
                Some(c"tmpfs"),
                MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
                Some(c"size=4k,mode=0555"),
            )?;
        }
        for shared in &self.shared {
            // The job's folders are opened before the cover hides them, in this namespace (a
            // bind mount from a descriptor opened in another namespace fails with EINVAL),
            // and bound back from `/proc/self/fd/<n>` once the cover is on.
            let mut sources = [-1; MOST_REBINDS];
            for (source, rebind) in sources.iter_mut().zip(&shared.needed) {
                if let Some(folder) = rebind.path.last() {
                    let kind = if rebind.file {
                        OFlag::empty()
                    } else {
                        OFlag::O_DIRECTORY
                    };
                    *source = nix::fcntl::open(
                        folder.as_c_str(),
                        OFlag::O_PATH | kind | OFlag::O_CLOEXEC,
                        Mode::empty(),
                    )?
                    .into_raw_fd();
                }
            }
            // Writable by all, as the program expects, but its own and thrown away with it.
            mount(
                Some(c"labgrade-tmp"),
                shared.folder.as_c_str(),
                Some(c"tmpfs"),
                MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
                Some(c"size=64m,mode=1777"),
            )?;
            for (&source, rebind) in sources.iter().zip(&shared.needed) {
                let folders = rebind.path.len() - usize::from(rebind.file);
                for folder in &rebind.path[..folders] {
                    match nix::unistd::mkdir(folder.as_c_str(), Mode::from_bits_truncate(0o755)) {
                        Ok(()) | Err(nix::errno::Errno::EEXIST) => {}
                        Err(error) => return Err(error),
                    }
                }
                if let (true, Some(file)) = (rebind.file, rebind.path.last()) {
                    // An empty file to bind the job's file onto.
                    let _ = nix::unistd::close(nix::fcntl::open(
                        file.as_c_str(),
                        OFlag::O_CREAT | OFlag::O_WRONLY | OFlag::O_CLOEXEC,
                        Mode::from_bits_truncate(0o644),
                    )?);
                }
                let mut buffer = [0_u8; 32];
                if let (Some(target), Some(source_path)) =
                    (rebind.path.last(), fd_path(source, &mut buffer))
                {
                    mount(
                        Some(source_path),
                        target.as_c_str(),
                        None::<&CStr>,
                        MsFlags::MS_BIND | MsFlags::MS_REC,
                        None::<&CStr>,
                    )?;
                }
                // The descriptor was only a handle on the folder; the mount holds it now.
                let _ = nix::unistd::close(source);
            }
        }
        Ok(())
    }

    /// Enforces the ruleset on the calling process, for good; run in the child before `exec`.
    ///
    /// Async-signal-safe in practice: it makes the `prctl(PR_SET_NO_NEW_PRIVS)` and
    /// `landlock_restrict_self` system calls and closes the ruleset's descriptor; on success it
    /// allocates nothing, and on failure it only builds an error from errno.
    pub(super) fn enforce(&mut self) -> std::io::Result<()> {
        if let Some(ruleset) = self.ruleset.take() {
            ruleset
                .restrict_self()
                .map_err(|_| std::io::Error::last_os_error())?;
        }
        Ok(())
    }

    /// What the sandbox enforces, in words, for [`Observation::containment`].
    ///
    /// [`Observation::containment`]: super::super::job::Observation::containment
    pub(super) fn describe(&self) -> Vec<String> {
        match (self.abi, &self.failure) {
            // With a view, the child says what it got (see `said_of_view`).
            (None, _) if self.view.is_some() => {
                vec!["no landlock: the kernel does not offer it".to_owned()]
            }
            (None, _) if !self.hidden.is_empty() || !self.shared.is_empty() => vec![
                "no landlock: the kernel does not offer it".to_owned(),
                format!(
                    "mount namespace: {} folders hidden (the course, the cache, other \
                     submissions) and a private {}; other files are protected by their \
                     permissions",
                    self.hidden.len(),
                    self.shared
                        .iter()
                        .map(|shared| shared.folder.to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ],
            (None, _) => vec![
                "no landlock: the kernel does not offer it, so files are protected only by \
                 their permissions"
                    .to_owned(),
            ],
            (Some(_), Some(failure)) => vec![format!("no landlock: {failure}")],
            (Some(abi), None) => {
                let mut words = vec![format!(
                    "landlock (ABI {abi}): files outside the sandbox refused"
                )];
                // With a view, the child says what it got (see `said_of_view`).
                if !self.shared.is_empty() && self.view.is_none() {
                    words.push(format!(
                        "mount namespace: a private {} (what others left there, sockets \
                         included, out of reach)",
                        self.shared
                            .iter()
                            .map(|shared| shared.folder.to_string_lossy().into_owned())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                words.push(if abi >= TCP_ABI {
                    "landlock: TCP connections and listening refused".to_owned()
                } else {
                    format!("landlock: TCP not restricted (needs ABI {TCP_ABI})")
                });
                words.push(if abi >= SCOPE_ABI {
                    "landlock: signals to processes outside the program refused".to_owned()
                } else {
                    format!("landlock: signals not scoped (needs ABI {SCOPE_ABI})")
                });
                words
            }
        }
    }
}

/// What the child said of its view, in the words of `Observation::containment`: read once the
/// program was started (`spawn` returns after its `exec`), so the child has spoken by then.
pub(super) fn said_of_view(report: &ViewReport) -> String {
    let mut message = [0_u8; 5];
    match nix::unistd::read(&report.0, &mut message) {
        Ok(1) if message[0] == 0 => "file-system view of its own: only the system's files, its \
             binaries and its scratch folder; /tmp, /var/tmp, /run and /dev/shm private and \
             empty (a socket anywhere else is not there to connect to)"
            .to_owned(),
        Ok(5) => {
            let errno = i32::from_ne_bytes([message[1], message[2], message[3], message[4]]);
            format!(
                "no file-system view of its own ({}): only /tmp, /var/tmp, /dev/shm and /run \
                 made private",
                nix::errno::Errno::from_raw(errno).desc()
            )
        }
        _ => "no file-system view of its own: the program did not say".to_owned(),
    }
}

/// The Landlock ruleset of `sandbox`: every file-system right, TCP and scoping handled, and
/// only the listed paths allowed.
fn ruleset(sandbox: &Sandbox) -> Result<RulesetCreated, landlock::RulesetError> {
    let read = AccessFs::from_read(TARGET_ABI);
    let all = AccessFs::from_all(TARGET_ABI);
    let device = AccessFs::from_file(TARGET_ABI);
    let mut created = Ruleset::default()
        // Best effort: an older kernel enforces what it knows rather than nothing.
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(all)?
        .handle_access(AccessNet::from_all(TARGET_ABI))?
        .scope(Scope::from_all(TARGET_ABI))?
        .create()?;
    let system = SYSTEM_PROGRAMS
        .iter()
        .chain(SYSTEM_FILES)
        .map(PathBuf::from)
        .chain(sandbox.read.iter().cloned());
    for path in system {
        created = add(created, &path, read)?;
    }
    for path in KERNEL_VIEWS
        .iter()
        .filter(|path| sandbox.proc || **path != "/proc")
    {
        created = add(
            created,
            Path::new(path),
            AccessFs::ReadFile | AccessFs::ReadDir,
        )?;
    }
    for path in DEVICES {
        created = add(created, Path::new(path), device)?;
    }
    for path in &sandbox.write {
        created = add(created, path, all)?;
    }
    Ok(created)
}

/// Allows `access` beneath `path`, when it exists; a missing path (no `/lib32` here) is
/// nothing to allow. A file gets only the rights that apply to files.
fn add(
    created: RulesetCreated,
    path: &Path,
    access: BitFlags<AccessFs>,
) -> Result<RulesetCreated, landlock::RulesetError> {
    let Ok(fd) = PathFd::new(path) else {
        return Ok(created);
    };
    let access = if path.is_dir() {
        access
    } else {
        access & AccessFs::from_file(TARGET_ABI)
    };
    created.add_rule(PathBeneath::new(fd, access))
}

/// The folders the program reaches (`read` and `write`), as the kernel resolves them: `..`
/// and symbolic links would otherwise let a needed folder slip under a hidden one.
fn needed_folders(sandbox: &Sandbox) -> Vec<PathBuf> {
    sandbox
        .read
        .iter()
        .chain(&sandbox.write)
        .filter_map(|path| std::fs::canonicalize(path).ok())
        .collect()
}

/// The folders of `sandbox` to hide: those that exist, are absolute, are folders, and hold
/// none of the folders the program needs (hiding one of those would hide what it must reach).
fn hidden_folders(sandbox: &Sandbox, needed: &[PathBuf]) -> Vec<CString> {
    sandbox
        .hide
        .iter()
        .filter(|folder| folder.is_absolute())
        .filter_map(|folder| std::fs::canonicalize(folder).ok())
        .filter(|folder| folder.is_dir())
        .filter(|folder| !needed.iter().any(|path| path.starts_with(folder)))
        .filter_map(|folder| CString::new(folder.as_os_str().as_bytes()).ok())
        .collect()
}

/// `/proc/self/fd/<fd>` as a C string written into `buffer`, without allocating (for use
/// between `fork` and `exec`); `None` for a negative descriptor.
pub(super) fn fd_path(fd: i32, buffer: &mut [u8; 32]) -> Option<&CStr> {
    const PREFIX: &[u8] = b"/proc/self/fd/";
    let mut fd = u32::try_from(fd).ok()?;
    let mut digits = [0_u8; 10];
    let mut count = 0;
    loop {
        digits[count] = b'0' + u8::try_from(fd % 10).ok()?;
        count += 1;
        fd /= 10;
        if fd == 0 {
            break;
        }
    }
    buffer[..PREFIX.len()].copy_from_slice(PREFIX);
    for (slot, digit) in buffer[PREFIX.len()..]
        .iter_mut()
        .zip(digits[..count].iter().rev())
    {
        *slot = *digit;
    }
    buffer[PREFIX.len() + count] = 0;
    CStr::from_bytes_until_nul(&buffer[..]).ok()
}

/// Folders every user may write, which a program without Landlock could fill or use to pass
/// files to another student's program, and where other programs keep their named UNIX sockets
/// (`/run`: a container runtime's, a desktop's), which Landlock does not keep a program from
/// connecting to.
const SHARED_FOLDERS: &[&str] = &["/tmp", "/var/tmp", "/dev/shm", "/run"];

/// The shared folders to cover, each with the job's `needed` folders under it to bind back. A
/// folder that cannot be opened is left out (and then stays shared): never a reason not to run.
fn shared_folders(needed: &[PathBuf]) -> Vec<Shared> {
    SHARED_FOLDERS
        .iter()
        .filter_map(|folder| std::fs::canonicalize(folder).ok())
        .filter(|folder| folder.is_dir())
        .filter_map(|folder| {
            let mut rebinds = Vec::new();
            for path in needed.iter().filter(|path| path.starts_with(&folder)) {
                // Every folder from just below the shared one down to the job's own.
                let relative = path.strip_prefix(&folder).ok()?;
                let mut current = folder.clone();
                let mut chain = Vec::new();
                for component in relative.components() {
                    current.push(component);
                    chain.push(CString::new(current.as_os_str().as_bytes()).ok()?);
                }
                rebinds.push(Rebind {
                    path: chain,
                    file: !path.is_dir(),
                });
            }
            // More than fit are not bound back: the program would not find them, so the
            // folder is better left shared.
            if rebinds.len() > MOST_REBINDS {
                return None;
            }
            Some(Shared {
                folder: CString::new(folder.as_os_str().as_bytes()).ok()?,
                needed: rebinds,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_paths_are_written_without_allocating() {
        let mut buffer = [0_u8; 32];
        assert_eq!(fd_path(0, &mut buffer), Some(c"/proc/self/fd/0"));
        assert_eq!(
            fd_path(1_234_567, &mut buffer),
            Some(c"/proc/self/fd/1234567")
        );
        assert_eq!(fd_path(-1, &mut buffer), None);
    }

    #[test]
    fn a_folder_that_holds_what_the_program_needs_is_never_hidden() {
        let temp = tempfile::tempdir().unwrap();
        let course = temp.path().join("course");
        let scratch = temp.path().join("scratch");
        std::fs::create_dir_all(course.join("exercises")).unwrap();
        std::fs::create_dir_all(&scratch).unwrap();
        let sandbox = Sandbox {
            read: vec![course.join("exercises")],
            write: vec![scratch.clone()],
            hide: vec![
                course.clone(),
                temp.path().join("missing"),
                PathBuf::from("relative"),
                temp.path().to_owned(),
                scratch.join("../course/exercises/.."),
                temp.path().join("other"),
            ],
            landlock: false,
            proc: true,
            private_tmp: true,
        };
        std::fs::create_dir(temp.path().join("other")).unwrap();
        let hidden: Vec<CString> = hidden_folders(&sandbox, &needed_folders(&sandbox));
        // `course` holds `course/exercises` (however it is spelt), the temporary folder holds
        // everything, a missing or relative folder is nothing to hide: only `other` is hidden.
        let other = std::fs::canonicalize(temp.path().join("other")).unwrap();
        assert_eq!(
            hidden,
            [CString::new(other.as_os_str().as_bytes()).unwrap()]
        );
    }
}
