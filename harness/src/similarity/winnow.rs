//! Winnowing (Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms for document
//! fingerprinting", 2003, as MOSS does): a hash of every run of [`K`] tokens, and of each
//! window of [`WINDOW`] consecutive hashes the smallest kept (the rightmost of equal ones).
//! Any run of `K + WINDOW - 1` tokens two files share then gives them a fingerprint in
//! common, and no run shorter than `K` does.

use sha2::{Digest, Sha256};

use super::tokens::Token;

/// Tokens per hashed run: shorter runs are common Rust (`for i in 0..n {`), longer ones would
/// miss a copied function with one statement changed.
pub const K: usize = 15;

/// Hashes per window: every shared run of `K + WINDOW - 1` = 22 tokens (about two lines) is
/// found, with one fingerprint kept for every few tokens.
pub const WINDOW: usize = 8;

/// The hash of each run of `K` tokens (`tokens.len() - K + 1` of them). The same on every
/// machine and every version of Rust (SHA-256, not `std`'s hasher), since fingerprints are
/// kept in the journal and compared across shards.
pub(super) fn kgram_hashes(tokens: &[Token]) -> Vec<u64> {
    tokens
        .windows(K)
        .map(|run| {
            let mut hasher = Sha256::new();
            for token in run {
                hasher.update(token.code.to_le_bytes());
            }
            let digest = hasher.finalize();
            let mut first = [0; 8];
            first.copy_from_slice(&digest[..8]);
            u64::from_le_bytes(first)
        })
        .collect()
}

/// The positions winnowing keeps of `hashes`: of each window of `window` consecutive hashes,
/// the smallest (the rightmost of equal ones), each position once. Fewer hashes than a window
/// are one window. Hashes equal to `u64::MAX` are never kept: the caller's mark for hashes
/// that must not count (the skeleton's), so that a window's next smallest stands in for them.
pub(super) fn winnow(hashes: &[u64], window: usize) -> Vec<usize> {
    let mut kept: Vec<usize> = Vec::new();
    let width = window.max(1).min(hashes.len());
    if width == 0 {
        return kept;
    }
    for start in 0..=hashes.len() - width {
        let mut smallest = start;
        for position in start..start + width {
            if hashes[position] <= hashes[smallest] {
                smallest = position;
            }
        }
        if hashes[smallest] != u64::MAX && kept.last() != Some(&smallest) {
            kept.push(smallest);
        }
    }
    kept
}
