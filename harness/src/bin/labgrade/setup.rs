//! What the commands start from: the course folder, and a grader that runs student programs
//! under this labgrade's own supervisor.

use std::path::PathBuf;

use labgrade::compile::Toolchain;
use labgrade::grader::{GradeOptions, Grader, default_cache_dir, default_cargo, default_slots_dir};
use labgrade::run::Runner;
use labgrade::{Error, course, io};

/// The course folder: `--root`, or the one the current folder is in.
pub(crate) fn course_root(root: Option<PathBuf>) -> Result<PathBuf, Error> {
    let start = match root {
        Some(root) => root,
        None => std::env::current_dir().map_err(io("read", "."))?,
    };
    course::find_root(&start)
}

/// A grader of one submission at a time.
pub(crate) fn grader(seed: Option<u64>) -> Result<Grader, Error> {
    grader_with_slots(seed, 1)
}

/// A grader whose student programs run under this labgrade (`__supervise`), with
/// `build_slots` builds at once.
pub(crate) fn grader_with_slots(seed: Option<u64>, build_slots: usize) -> Result<Grader, Error> {
    let exe = std::env::current_exe().map_err(io("find the path of", "labgrade"))?;
    let cache_dir = default_cache_dir();
    let options = GradeOptions {
        seed,
        toolchain: Toolchain {
            cargo: default_cargo(),
            slots_dir: default_slots_dir(&cache_dir),
            cache_dir,
            build_slots,
        },
    };
    Ok(Grader::new(Runner::new(exe), options))
}
