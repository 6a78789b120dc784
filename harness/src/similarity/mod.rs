//! Similarity across a class: which students' code is unusually alike, as MOSS measures it.
//!
//! Each file a student handed in is lexed as Rust (`tokens.rs`), its tokens normalised so that
//! names, literal values, comments and layout do not matter; hashes of every run of
//! [`K`] tokens are winnowed (`winnow.rs`, Schleimer, Wilkerson and Aiken 2003) into the
//! student's [`Fingerprints`], the k-grams of the skeleton left out. `pairs.rs` compares a
//! class's fingerprints through an inverted index and keeps the pairs unusually alike. All of
//! it is pure: no I/O, so that a merge of shards, reading the same records, gets the same pairs.

mod fingerprints;
mod pairs;
mod tokens;
mod winnow;

#[cfg(test)]
mod tests;

pub use fingerprints::{
    Fingerprints, LARGEST_FILE, Print, Skeleton, SourceFile, fingerprint, skeleton,
};
pub use pairs::{
    COMMON_LEAST, COMMON_SHARE, LEAST_SCORE, LEAST_SHARED, Pair, Region, SPREAD, SPREAD_FROM,
    Similarity, compare,
};
pub use winnow::{K, WINDOW};
