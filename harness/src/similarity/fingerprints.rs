//! A student's fingerprints, as their journal record keeps them: each file compared (with its
//! text, for the class report to show matching regions) or why it was not, and the winnowed
//! hashes with the file and lines each came from.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::tokens::{Token, tokens};
use super::winnow::{K, WINDOW, kgram_hashes, winnow};

/// Files larger than this are not compared (nor read further): no exercise's file is near it,
/// and its text is kept in the journal.
pub const LARGEST_FILE: usize = 256 * 1024;

/// One of the rubric's files of a student, as similarity saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SourceFile {
    /// Lexed and fingerprinted; `text` is what the class report shows of matching regions.
    Compared {
        /// The file's path in the submission (a rubric's `files` entry).
        path: String,
        /// Its text.
        text: String,
    },
    /// Not Rust that lexes (unbalanced brackets, an unterminated string, not UTF-8): left out.
    DoesNotLex {
        /// The file's path in the submission.
        path: String,
        /// The lexer's words.
        message: String,
    },
    /// Larger than [`LARGEST_FILE`]: left out.
    TooLarge {
        /// The file's path in the submission.
        path: String,
    },
}

impl SourceFile {
    /// The file's path in the submission.
    #[must_use]
    pub fn path(&self) -> &str {
        match self {
            Self::Compared { path, .. }
            | Self::DoesNotLex { path, .. }
            | Self::TooLarge { path } => path,
        }
    }
}

/// One winnowed fingerprint: the hash of `K` normalised tokens, in `files[file]`, from line
/// `first` to line `last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Print {
    /// The hash of the tokens.
    pub hash: u64,
    /// Index in [`Fingerprints::files`].
    pub file: u32,
    /// The line of the first token.
    pub first: u32,
    /// The line of the last token.
    pub last: u32,
}

/// A student's fingerprints, the skeleton's left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprints {
    /// The rubric's files the student handed in, in the rubric's order.
    pub files: Vec<SourceFile>,
    /// The fingerprints, file by file, in order.
    pub prints: Vec<Print>,
}

/// The normalised tokens of a file's bytes, or why there are none.
fn lexed(path: &str, bytes: &[u8]) -> Result<(String, Vec<Token>), SourceFile> {
    if bytes.len() > LARGEST_FILE {
        return Err(SourceFile::TooLarge {
            path: path.to_owned(),
        });
    }
    let does_not_lex = |message: String| SourceFile::DoesNotLex {
        path: path.to_owned(),
        message,
    };
    let text =
        String::from_utf8(bytes.to_vec()).map_err(|_| does_not_lex("not UTF-8".to_owned()))?;
    let lexed = tokens(&text).map_err(does_not_lex);
    // The lexer keeps every text it read for the thread's spans; nothing needs them now.
    proc_macro2::extra::invalidate_current_thread_spans();
    Ok((text, lexed?))
}

/// Every k-gram hash of the code students were given, winnowed or not: whatever run of tokens
/// of it a student kept never counts as a match.
#[derive(Debug, Clone, Default)]
pub struct Skeleton {
    hashes: HashSet<u64>,
}

impl Skeleton {
    /// Whether it has no k-gram at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

/// The skeleton of the files students are given (`(path, bytes)`); files that do not lex give
/// nothing.
#[must_use]
pub fn skeleton(files: &[(String, Vec<u8>)]) -> Skeleton {
    Skeleton {
        hashes: files
            .iter()
            .filter_map(|(path, bytes)| lexed(path, bytes).ok())
            .flat_map(|(_, tokens)| kgram_hashes(&tokens))
            .collect(),
    }
}

/// The fingerprints of a student's files (`(path, bytes)`, in the rubric's order), those of
/// `skeleton` left out before winnowing (so that a window's next smallest hash stands in).
#[must_use]
pub fn fingerprint(files: &[(String, Vec<u8>)], skeleton: &Skeleton) -> Fingerprints {
    let mut fingerprints = Fingerprints::default();
    for (path, bytes) in files {
        let file = u32::try_from(fingerprints.files.len()).unwrap_or(u32::MAX);
        let (text, tokens) = match lexed(path, bytes) {
            Ok(lexed) => lexed,
            Err(skipped) => {
                fingerprints.files.push(skipped);
                continue;
            }
        };
        let hashes: Vec<u64> = kgram_hashes(&tokens)
            .into_iter()
            .map(|hash| {
                if skeleton.hashes.contains(&hash) {
                    u64::MAX
                } else {
                    hash
                }
            })
            .collect();
        fingerprints
            .prints
            .extend(winnow(&hashes, WINDOW).into_iter().map(|start| Print {
                hash: hashes[start],
                file,
                first: tokens[start].line,
                last: tokens[start + K - 1].line,
            }));
        fingerprints.files.push(SourceFile::Compared {
            path: path.clone(),
            text,
        });
    }
    fingerprints
}
