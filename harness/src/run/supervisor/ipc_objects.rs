//! The IPC objects a program leaves behind: System V shared memory segments, semaphore sets and
//! message queues, and POSIX shared memory objects, read when its main process's last thread
//! stops on its way out (before the kernel takes its namespaces from it).
//!
//! The program runs in an IPC namespace of its own (see `spawn.rs`), which the kernel destroys
//! with it, so nothing it leaves harms the machine: but a program that never removes what it
//! made would leak on any other machine, and a rubric may require that it removes them. The
//! supervisor enters that namespace for the time of one read of `/proc/sysvipc/{shm,sem,msg}`
//! (which list the objects of the reader's namespace: every one there is the program's) and
//! goes back to its own. A segment marked for removal (`IPC_RMID`, the `SHM_DEST` bit of its
//! mode) while still attached is gone as soon as it is detached, which the exit does: it is not
//! left. POSIX shared memory objects are the files of the program's own `/dev/shm`, seen through
//! `/proc/<pid>/root`; when that folder is the machine's own (no mount namespace), other
//! programs' files could be there, and none is listed. Not seen: POSIX message queues (no
//! exercise uses them, and listing them needs a mount of their file system in the namespace).

use std::fs::File;
use std::os::unix::fs::MetadataExt;

use nix::sched::{CloneFlags, setns};

use crate::run::job::IpcObject;

/// `SHM_DEST` in a segment's mode: marked for removal, gone at its last detach.
const SHM_DEST: i64 = 0o1000;

/// The IPC objects left by the program whose main process is `main`, stopped on its way out;
/// `None` when it has no IPC namespace of its own or it cannot be entered.
pub(super) fn left_by(main: i32) -> Option<Vec<IpcObject>> {
    let own = File::open("/proc/self/ns/ipc").ok()?;
    let program = File::open(format!("/proc/{main}/ns/ipc")).ok()?;
    if own.metadata().ok()?.ino() == program.metadata().ok()?.ino() {
        // Its namespace is the machine's: other programs' objects are there too.
        return None;
    }
    setns(&program, CloneFlags::CLONE_NEWIPC).ok()?;
    let tables = ["shm", "sem", "msg"]
        .map(|table| std::fs::read_to_string(format!("/proc/sysvipc/{table}")).unwrap_or_default());
    // Back in its own namespace before anything else: nothing the supervisor does needs the
    // program's, and it must not hold it longer than the program does.
    setns(&own, CloneFlags::CLONE_NEWIPC).ok()?;
    let [shm, sem, msg] = tables;
    let mut left = system_v(&shm, &sem, &msg);
    left.extend(posix_shared_memory(main));
    Some(left)
}

/// The System V objects of the three tables of `/proc/sysvipc`, each a header line then one
/// line per object: `key id perms` then, for a segment, its size.
fn system_v(shm: &str, sem: &str, msg: &str) -> Vec<IpcObject> {
    let rows = |table: &str| -> Vec<Vec<i64>> {
        table
            .lines()
            .skip(1)
            .map(|line| {
                line.split_whitespace()
                    .take(4)
                    .map(|field| field.parse().unwrap_or(0))
                    .collect::<Vec<i64>>()
            })
            .filter(|row| row.len() == 4)
            .collect()
    };
    let mut left = Vec::new();
    for row in rows(shm) {
        // The mode is written in octal.
        let mode = i64::from_str_radix(&row[2].to_string(), 8).unwrap_or(0);
        if mode & SHM_DEST == 0 {
            left.push(IpcObject::SharedMemory {
                key: row[0],
                id: row[1],
                bytes: u64::try_from(row[3]).unwrap_or(0),
            });
        }
    }
    left.extend(rows(sem).into_iter().map(|row| IpcObject::Semaphores {
        key: row[0],
        id: row[1],
    }));
    left.extend(rows(msg).into_iter().map(|row| IpcObject::MessageQueue {
        key: row[0],
        id: row[1],
    }));
    left
}

/// The files of the `/dev/shm` of process `main`, when that folder is its own.
fn posix_shared_memory(main: i32) -> Vec<IpcObject> {
    let folder = format!("/proc/{main}/root/dev/shm");
    let device = |path: &str| std::fs::metadata(path).ok().map(|meta| meta.dev());
    match (device(&folder), device("/dev/shm")) {
        (Some(its), Some(ours)) if its != ours => {}
        _ => return Vec::new(),
    }
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .into_iter()
        .flatten()
        .filter_map(|entry| Some(entry.ok()?.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| IpcObject::PosixSharedMemory { name })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_read_from_the_tables_and_a_segment_marked_for_removal_is_not_left() {
        let shm = "       key      shmid perms                  size  cpid\n\
                   1279721473          3   666              16777216    7\n\
                            0          4  1600                  4096    7\n";
        let sem =
            "       key      semid perms      nsems\n         0          0   600          1\n";
        let msg = "       key      msqid perms      cbytes\n";
        assert_eq!(
            system_v(shm, sem, msg),
            [
                IpcObject::SharedMemory {
                    key: 0x4c47_0001,
                    id: 3,
                    bytes: 16 << 20
                },
                IpcObject::Semaphores { key: 0, id: 0 },
            ]
        );
    }
}
