//! Unwinding a stopped thread's stack with `framehop` and naming its frames with `addr2line`.
//!
//! The stack is read once, from the stack pointer to the end of the mapping that holds it (at
//! most [`STACK_BYTES`]), from `/proc/<pid>/mem`; a read the unwinder asks outside it fails, and
//! so does the walk there. A return address outside the executable mapping of a file of
//! [`Modules`] ends the walk too: no frame is listed that cannot be vouched for.

use std::os::unix::fs::FileExt;

use framehop::Unwinder;
use framehop::x86_64::{CacheX86_64, UnwindRegsX86_64};

use super::modules::{File, Modules};
use super::stop::Registers;
use crate::run::job::{Frame, Stack, StackEnd};
use crate::run::supervisor::procfs::mapping_containing;

/// The most bytes of a stack read: far more than a blocked program of the lab uses, far less
/// than a thread's stack may hold.
const STACK_BYTES: u64 = 1 << 20;

/// The stack of thread `tid` of process `pid`, stopped with `registers`; `None` when its stack
/// cannot be read at all.
pub(in crate::run::supervisor) fn walk(
    pid: i32,
    tid: i32,
    registers: Registers,
    modules: &Modules,
) -> Option<Stack> {
    let (_, stack_end) = mapping_containing(pid, tid, registers.sp)?;
    let base = registers.sp & !7;
    let length = stack_end.saturating_sub(base).min(STACK_BYTES);
    let mut bytes = vec![0; usize::try_from(length).ok()?];
    let memory = std::fs::File::open(format!("/proc/{pid}/mem")).ok()?;
    let read = memory.read_at(&mut bytes, base).ok()?;
    bytes.truncate(read - read % 8);
    let mut read_stack = |address: u64| -> Result<u64, ()> {
        let offset = usize::try_from(address.checked_sub(base).ok_or(())?).map_err(drop)?;
        let word = bytes.get(offset..offset + 8).ok_or(())?;
        Ok(u64::from_le_bytes(word.try_into().map_err(drop)?))
    };
    let mut cache = CacheX86_64::<_>::new();
    let mut frames = modules.unwinder.iter_frames(
        registers.ip,
        UnwindRegsX86_64::new(registers.ip, registers.sp, registers.bp),
        &mut cache,
        &mut read_stack,
    );
    let mut named = Vec::new();
    let mut walked = 0;
    let end = loop {
        if walked == Stack::MOST_FRAMES {
            break StackEnd::Cut;
        }
        match frames.next() {
            Ok(Some(address)) => {
                let lookup = address.address_for_lookup();
                let Some(file) = modules.executable(lookup) else {
                    break StackEnd::Unsure;
                };
                named.extend(name(file, lookup));
                walked += 1;
            }
            Ok(None) => break StackEnd::Root,
            Err(_) => break StackEnd::Unsure,
        }
    };
    Some(Stack { frames: named, end })
}

/// The frames of `address` in `file`: the functions inlined there, innermost first, then the
/// function that holds them; one frame named from the symbol table where no line table says.
fn name(file: &File, address: u64) -> Vec<Frame> {
    let probe = address.wrapping_sub(file.bias);
    let library = |function: Option<String>| Frame::Library {
        function,
        object: file.name.clone(),
    };
    let Some(symbols) = &file.symbols else {
        return vec![library(None)];
    };
    let mut named = Vec::new();
    if let Ok(mut found) = symbols.find_frames(probe) {
        while let Ok(Some(frame)) = found.next() {
            let function = frame
                .function
                .as_ref()
                .and_then(|name| name.demangle().ok())
                .map(std::borrow::Cow::into_owned);
            let place = frame
                .location
                .as_ref()
                .and_then(|location| Some((location.file?, location.line?)));
            named.push(match place {
                // The build maps the package's folder away, so only its own files are named
                // relative, and `../` leads to the course's crates beside it.
                Some((path, line)) if !path.starts_with('/') && !path.starts_with("../") => {
                    Frame::Own {
                        function,
                        file: path.to_owned(),
                        line,
                    }
                }
                _ => library(function),
            });
        }
    }
    if named.is_empty() {
        let function = symbols
            .find_symbol(probe)
            .map(|symbol| format!("{:#}", rustc_demangle::demangle(symbol)));
        named.push(library(function));
    }
    named
}
