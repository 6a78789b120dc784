//! A thread's stack as a report shows it: the frames read from a hung program just before the
//! deadline kill (see `run/supervisor/stack/`), and the words that say where the program's own
//! code waits (`src/main.rs:42`).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// A thread's stack, read just before the kill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stack {
    /// The frames, innermost first; inlined functions are frames of their own.
    pub frames: Vec<Frame>,
    /// Why the walk ended there.
    pub end: StackEnd,
}

/// One frame of a stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Frame {
    /// A line of the program's own source: a file of the exercise package, relative to it (the
    /// student's `src/main.rs`).
    Own {
        /// The function, demangled, where line tables name it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        function: Option<String>,
        /// The file, relative to the package.
        file: String,
        /// The line.
        line: u32,
    },
    /// Code of a library: the standard library, a dependency, the C library.
    Library {
        /// The function, demangled, where line tables or symbols name it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        function: Option<String>,
        /// The binary or shared library holding it (`libc.so.6`).
        object: String,
    },
}

/// Why a stack walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StackEnd {
    /// At the thread's first function: the whole stack is listed.
    Root,
    /// After [`Stack::MOST_FRAMES`] frames: the outer ones are not listed.
    Cut,
    /// At a frame that could not be vouched for (outside the stack or the program's code, or
    /// without unwind tables): the outer ones are not listed.
    Unsure,
}

impl Stack {
    /// The most frames walked (inlined functions aside).
    pub const MOST_FRAMES: usize = 24;
}

impl Frame {
    /// The function's name, or where it is when no name is known.
    fn name(&self) -> String {
        match self {
            Self::Own { function, .. } => function
                .as_deref()
                .map_or_else(|| "a function".to_owned(), |name| format!("`{name}`")),
            Self::Library { function, object } => function.as_deref().map_or_else(
                || format!("a function of {object}"),
                |name| format!("`{name}`"),
            ),
        }
    }
}

impl Stack {
    /// The innermost frame of the program's own source, as `(file, line)`: the line a student
    /// looks at first.
    #[must_use]
    pub fn innermost_own(&self) -> Option<(&str, u32)> {
        self.frames.iter().find_map(|frame| match frame {
            Frame::Own { file, line, .. } => Some((file.as_str(), *line)),
            Frame::Library { .. } => None,
        })
    }

    /// Where the thread waits, from the library function the program's own code called out to
    /// that code's callers: "`std::sync::Mutex<T>::lock` called at src/main.rs:3 in
    /// `demo::again`, called at src/main.rs:8 in `demo::main`". Library frames between two of
    /// the program's own, and those outside its outermost one (the runtime's start), are left
    /// out and counted. Without a frame of the program's own: its innermost few.
    #[must_use]
    pub fn describe(&self) -> String {
        const SHOWN_WITHOUT_OWN: usize = 3;
        let Some(first_own) = self
            .frames
            .iter()
            .position(|frame| matches!(frame, Frame::Own { .. }))
        else {
            let shown: Vec<String> = self
                .frames
                .iter()
                .take(SHOWN_WITHOUT_OWN)
                .map(Frame::name)
                .collect();
            let mut text = if shown.is_empty() {
                "no frame could be read".to_owned()
            } else {
                format!("in {}", shown.join(", called from "))
            };
            text.push_str("; no frame of the program's own source was found");
            text.push_str(self.end_words());
            return text;
        };
        let mut text = match first_own.checked_sub(1) {
            Some(callee) => format!("{} called at", self.frames[callee].name()),
            None => "at".to_owned(),
        };
        let mut shown = usize::from(first_own > 0);
        for frame in &self.frames[first_own..] {
            if let Frame::Own {
                function,
                file,
                line,
            } = frame
            {
                if shown > usize::from(first_own > 0) {
                    text.push_str(", called at");
                }
                let _ = write!(text, " {file}:{line}");
                if let Some(function) = function {
                    let _ = write!(text, " in `{function}`");
                }
                shown += 1;
            }
        }
        let left_out = self.frames.len() - shown;
        if left_out > 0 {
            let _ = write!(text, " ({left_out} frames of libraries left out)");
        }
        text.push_str(self.end_words());
        text
    }

    /// What a report says of where the walk ended, when the stack is not whole.
    fn end_words(&self) -> &'static str {
        match self.end {
            StackEnd::Root => "",
            StackEnd::Cut => "; the stack goes deeper than the frames read",
            StackEnd::Unsure => {
                "; the walk stopped at a frame it could not vouch for, outer frames are not listed"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(function: &str, line: u32) -> Frame {
        Frame::Own {
            function: Some(function.to_owned()),
            file: "src/main.rs".to_owned(),
            line,
        }
    }

    fn library(function: &str) -> Frame {
        Frame::Library {
            function: Some(function.to_owned()),
            object: "demo".to_owned(),
        }
    }

    #[test]
    fn the_stack_names_the_call_out_of_the_program_and_each_line_of_its_own() {
        let stack = Stack {
            frames: vec![
                library("syscall"),
                library("std::sys::sync::mutex::futex::Mutex::lock_contended"),
                library("std::sync::poison::mutex::Mutex<T>::lock"),
                own("demo::again", 3),
                library("core::ops::function::FnOnce::call_once"),
                own("demo::main", 8),
                library("std::rt::lang_start_internal"),
            ],
            end: StackEnd::Root,
        };
        assert_eq!(stack.innermost_own(), Some(("src/main.rs", 3)));
        assert_eq!(
            stack.describe(),
            "`std::sync::poison::mutex::Mutex<T>::lock` called at src/main.rs:3 in `demo::again`, called at src/main.rs:8 in `demo::main` (4 frames of libraries left out)"
        );
    }

    #[test]
    fn a_stack_without_own_frames_says_so_and_where_it_was_cut() {
        let stack = Stack {
            frames: vec![library("read"), library("std::io::stdio::read")],
            end: StackEnd::Cut,
        };
        assert_eq!(stack.innermost_own(), None);
        assert_eq!(
            stack.describe(),
            "in `read`, called from `std::io::stdio::read`; no frame of the program's own source was found; the stack goes deeper than the frames read"
        );
        let own_only = Stack {
            frames: vec![own("demo::main", 5)],
            end: StackEnd::Unsure,
        };
        assert!(
            own_only
                .describe()
                .starts_with("at src/main.rs:5 in `demo::main`; the walk stopped")
        );
    }
}
