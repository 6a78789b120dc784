//! thread_stacks: N threads, each on a stack of the size asked for, each recursing to the depth
//! asked for and printing where its stack lies.
//!
//! TODO: the threads run on the default stack size and print nothing about their stack. Give
//! each one a stack of `<stack KiB>` KiB and make it print the address of a local variable.
//! See the README.

use std::hint::black_box;
use std::process::ExitCode;
use std::thread;

/// Bytes of stack every frame of `recurse` uses, at least.
const FRAME_BYTES: usize = 1024;

/// Recurses `depth` frames deep, each frame holding a `FRAME_BYTES` array on the stack.
/// `black_box` keeps the compiler from turning the recursion into a loop or dropping the array.
fn recurse(depth: u32) -> u64 {
    let frame = black_box([depth.to_le_bytes()[0]; FRAME_BYTES]);
    if depth == 0 {
        return u64::from(frame[0]);
    }
    u64::from(frame[FRAME_BYTES - 1]) + black_box(recurse(depth - 1))
}

fn parse(args: &[String]) -> Result<(usize, usize, u32), String> {
    let [_, threads, stack_kib, depth] = args else {
        return Err("usage: thread_stacks <threads> <stack KiB> <depth>".to_owned());
    };
    let threads = threads
        .parse()
        .map_err(|_| format!("`{threads}` is not a number of threads"))?;
    let stack_kib = stack_kib
        .parse()
        .map_err(|_| format!("`{stack_kib}` is not a stack size in KiB"))?;
    let depth = depth
        .parse()
        .map_err(|_| format!("`{depth}` is not a depth"))?;
    Ok((threads, stack_kib, depth))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (threads, stack_kib, depth) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let mut handles = Vec::new();
    for index in 0..threads {
        // TODO: a stack of `stack_kib` KiB (`std::thread::Builder::stack_size`).
        let _ = stack_kib;
        let spawned = thread::Builder::new().spawn(move || {
            let sum = recurse(depth);
            // TODO: print where this thread's stack lies.
            println!("thread {index}: {depth} frames deep ({sum})");
        });
        match spawned {
            Ok(handle) => handles.push(handle),
            Err(error) => {
                eprintln!("cannot start thread {index}: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    for handle in handles {
        if handle.join().is_err() {
            eprintln!("a thread panicked");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
