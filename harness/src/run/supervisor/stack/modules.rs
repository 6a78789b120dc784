//! The binary and shared libraries a process runs, as unwinding and naming frames need them:
//! each file mapped executable in `/proc/<pid>/maps`, with the address it is loaded at, its
//! unwind tables (`.eh_frame`, `.eh_frame_hdr`, `.debug_frame`) for `framehop`, and its line
//! tables and symbols for `addr2line`.
//!
//! The program may see another root than the supervisor (`view.rs`), so a file is opened
//! through `/proc/<pid>/map_files/<range>` (the very file mapped), else through the program's
//! root (`/proc/<pid>/root/<path>`), and taken only if its inode is the mapping's.

use std::ops::Range;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use framehop::x86_64::UnwinderX86_64;
use framehop::{Module, ModuleSectionInfo, Unwinder};
use object::{Object, ObjectSection, ObjectSegment};
use procfs::process::{MMPermissions, MMapPath, MemoryMap};

use crate::run::supervisor::procfs::maps;

/// The most files read for one process: a program of the lab maps its binary and a handful of
/// libraries.
const MOST_FILES: usize = 16;

/// The executable files of one process.
pub(in crate::run::supervisor) struct Modules {
    pub(super) unwinder: UnwinderX86_64<Vec<u8>>,
    files: Vec<File>,
}

/// One executable file of the process.
pub(super) struct File {
    /// Its name (`ipc_stream`, `libc.so.6`).
    pub(super) name: String,
    /// Its executable mappings.
    executable: Vec<Range<u64>>,
    /// What to subtract from an address in it to get the address its tables use.
    pub(super) bias: u64,
    /// Its line tables and symbols, where they could be read.
    pub(super) symbols: Option<addr2line::Loader>,
}

impl Modules {
    /// The executable files of process `pid`, now.
    pub(in crate::run::supervisor) fn of(pid: i32) -> Self {
        let maps = maps(pid);
        let mut unwinder = UnwinderX86_64::new();
        let mut files = Vec::new();
        let mut inodes: Vec<u64> = Vec::new();
        for map in &maps {
            let MMapPath::Path(path) = &map.pathname else {
                continue;
            };
            if !map.perms.contains(MMPermissions::EXECUTE)
                || inodes.contains(&map.inode)
                || files.len() == MOST_FILES
            {
                continue;
            }
            inodes.push(map.inode);
            let same: Vec<&MemoryMap> = maps
                .iter()
                .filter(|other| other.inode == map.inode && other.dev == map.dev)
                .collect();
            if let Some((file, module)) = load(pid, path, &same) {
                unwinder.add_module(module);
                files.push(file);
            }
        }
        Self { unwinder, files }
    }

    /// The file whose executable mapping holds `address`.
    pub(super) fn executable(&self, address: u64) -> Option<&File> {
        self.files
            .iter()
            .find(|file| file.executable.iter().any(|range| range.contains(&address)))
    }
}

/// Opens the file mapped by `mappings` (all of one file) of process `pid`, whose path in the
/// program's view is `path`: the file for naming frames and the module for unwinding.
fn load(pid: i32, path: &Path, mappings: &[&MemoryMap]) -> Option<(File, Module<Vec<u8>>)> {
    let first = mappings.first()?;
    let opened = opened(pid, path, mappings)?;
    let data = std::fs::read(&opened).ok()?;
    let object = object::File::parse(&*data).ok()?;
    // The load bias: where the segment holding the first mapping's file offset was put.
    let (start, offset) = (first.address.0, first.offset);
    let segment = object.segments().find(|segment| {
        let (from, size) = segment.file_range();
        (from..from + size).contains(&offset)
    })?;
    let bias = start.wrapping_sub(segment.address() + (offset - segment.file_range().0));
    let low = mappings.iter().map(|map| map.address.0).min()?;
    let high = mappings.iter().map(|map| map.address.1).max()?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let module = Module::new(name.clone(), low..high, bias, Sections::of(&object));
    let file = File {
        name,
        executable: mappings
            .iter()
            .filter(|map| map.perms.contains(MMPermissions::EXECUTE))
            .map(|map| map.address.0..map.address.1)
            .collect(),
        bias,
        symbols: addr2line::Loader::new(&opened).ok(),
    };
    Some((file, module))
}

/// A path the supervisor can open to the file of `mappings`, checked by inode.
fn opened(pid: i32, path: &Path, mappings: &[&MemoryMap]) -> Option<PathBuf> {
    let inode = mappings.first()?.inode;
    let mut candidates: Vec<PathBuf> = mappings
        .iter()
        .map(|map| {
            PathBuf::from(format!(
                "/proc/{pid}/map_files/{:x}-{:x}",
                map.address.0, map.address.1
            ))
        })
        .collect();
    candidates
        .push(Path::new(&format!("/proc/{pid}/root")).join(path.strip_prefix("/").unwrap_or(path)));
    candidates.push(PathBuf::from(format!("/proc/{pid}/exe")));
    candidates.into_iter().find(|candidate| {
        std::fs::metadata(candidate).is_ok_and(|meta| meta.ino() == inode)
            && std::fs::File::open(candidate).is_ok()
    })
}

/// The sections `framehop` asks of an ELF file: the unwind tables with their data, the others
/// by address only.
struct Sections {
    found: Vec<Section>,
}

/// A section `framehop` may ask for.
struct Section {
    name: &'static [u8],
    range: Range<u64>,
    /// Its bytes, for an unwind table, until `framehop` takes them.
    data: Option<Vec<u8>>,
}

impl Sections {
    fn of(object: &object::File<'_>) -> Self {
        let wanted: [(&'static [u8], bool); 5] = [
            (b".text", false),
            (b".got", false),
            (b".eh_frame", true),
            (b".eh_frame_hdr", true),
            (b".debug_frame", true),
        ];
        let found = wanted
            .into_iter()
            .filter_map(|(name, with_data)| {
                let section = object.section_by_name_bytes(name)?;
                let range = section.address()..section.address() + section.size();
                let data = if with_data {
                    Some(section.uncompressed_data().ok()?.into_owned())
                } else {
                    None
                };
                Some(Section { name, range, data })
            })
            .collect();
        Self { found }
    }
}

impl ModuleSectionInfo<Vec<u8>> for Sections {
    fn base_svma(&self) -> u64 {
        // ELF: addresses are relative to 0.
        0
    }

    fn section_svma_range(&mut self, name: &[u8]) -> Option<Range<u64>> {
        self.found
            .iter()
            .find(|section| section.name == name)
            .map(|section| section.range.clone())
    }

    fn section_data(&mut self, name: &[u8]) -> Option<Vec<u8>> {
        self.found
            .iter_mut()
            .find(|section| section.name == name)
            .and_then(|section| section.data.take())
    }
}
