//! A class's fingerprints compared: pairs of students and how much of their code they share.
//!
//! An inverted index (fingerprint → the students holding it) makes the cost the fingerprints
//! students share, not the n(n-1)/2 pairs. A fingerprint more than [`COMMON_SHARE`] of the
//! class holds (and at least [`COMMON_LEAST`] students) is a common idiom of the exercise, as
//! MOSS's `-m` treats it, and counts for nobody: in one exercise, the code a quarter of a class
//! writes alike is the task's natural shape, and it would otherwise tie every pair together.
//!
//! A pair's score is the fingerprints both hold over the fewer of the two's (so that dead code
//! or another file added to a copy does not hide it). A pair is listed when its score is at
//! least [`LEAST_SCORE`], it shares at least [`LEAST_SHARED`] fingerprints (a tiny submission's
//! two fingerprints do not make a match), and, in a class of at least [`SPREAD_FROM`]
//! students, it is an outlier of the class: above the median of every pair's score (pairs
//! sharing nothing count as 0) by more than [`SPREAD`] median absolute deviations. (In a
//! smaller class the median is one of a few pairs, perhaps a copied one, and says nothing.)

use std::collections::HashMap;

use super::fingerprints::Fingerprints;

/// A fingerprint held by more than this share of the class is a common idiom.
pub const COMMON_SHARE: f64 = 0.25;

/// … and by at least this many students (in a small class, a few copies are not an idiom).
pub const COMMON_LEAST: usize = 5;

/// The lowest score listed.
pub const LEAST_SCORE: f64 = 0.5;

/// The fewest shared fingerprints listed.
pub const LEAST_SHARED: usize = 8;

/// Median absolute deviations above the median a listed score must be…
pub const SPREAD: f64 = 4.0;

/// … in a class of at least this many students.
pub const SPREAD_FROM: usize = 10;

/// A file's lines, from `first` to `last`, where a pair's shared fingerprints are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Index in the student's [`Fingerprints::files`].
    pub file: usize,
    /// First line.
    pub first: u32,
    /// Last line.
    pub last: u32,
}

/// Two students whose code is unusually alike.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// Index of the first student (in the order given to [`compare`]); `a < b`.
    pub a: usize,
    /// Index of the second.
    pub b: usize,
    /// Shared fingerprints over the fewer of the two's, 0 to 1.
    pub score: f64,
    /// Fingerprints both hold.
    pub shared: usize,
    /// Where they are in `a`'s files, merged where they touch.
    pub regions_a: Vec<Region>,
    /// Where they are in `b`'s.
    pub regions_b: Vec<Region>,
}

/// What comparing a class found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Similarity {
    /// Students with fingerprints compared.
    pub students: usize,
    /// Distinct fingerprints left out as common idioms.
    pub common: usize,
    /// The median of every pair's score.
    pub median: f64,
    /// The median absolute deviation of every pair's score from it.
    pub deviation: f64,
    /// The listed pairs, most alike first.
    pub pairs: Vec<Pair>,
}

/// Every pair of students sharing a fingerprint, scored: what [`compare`] chooses from.
pub(super) struct Scored {
    /// Students with fingerprints.
    pub compared: usize,
    /// Distinct fingerprints left out as common idioms.
    pub common: usize,
    /// The fingerprint → its holders, common ones left out.
    pub holders: HashMap<u64, Vec<u32>>,
    /// `(a, b, shared, score)`, `a < b`, in no order.
    pub pairs: Vec<(u32, u32, usize, f64)>,
}

/// Scores every pair of `class` that shares a fingerprint, through the inverted index.
pub(super) fn score(class: &[Option<&Fingerprints>]) -> Scored {
    // Each student's distinct fingerprints.
    let sets: Vec<Vec<u64>> = class
        .iter()
        .map(|fingerprints| {
            let mut hashes: Vec<u64> = fingerprints
                .map(|f| f.prints.iter().map(|print| print.hash).collect())
                .unwrap_or_default();
            hashes.sort_unstable();
            hashes.dedup();
            hashes
        })
        .collect();
    let compared = class.iter().filter(|f| f.is_some()).count();
    let mut holders: HashMap<u64, Vec<u32>> = HashMap::new();
    for (student, hashes) in sets.iter().enumerate() {
        for hash in hashes {
            holders
                .entry(*hash)
                .or_default()
                .push(u32::try_from(student).unwrap_or(u32::MAX));
        }
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let common_limit = ((compared as f64) * COMMON_SHARE).floor() as usize;
    let common_limit = common_limit.max(COMMON_LEAST - 1);
    let distinct = holders.len();
    holders.retain(|_, students| students.len() <= common_limit);
    let common = distinct - holders.len();
    let mut counts = vec![0_usize; class.len()];
    let mut shared: HashMap<(u32, u32), usize> = HashMap::new();
    for students in holders.values() {
        for (position, &a) in students.iter().enumerate() {
            counts[a as usize] += 1;
            for &b in &students[position + 1..] {
                *shared.entry((a, b)).or_default() += 1;
            }
        }
    }
    let pairs = shared
        .into_iter()
        .filter_map(|((a, b), both)| {
            let fewer = counts[a as usize].min(counts[b as usize]);
            #[allow(clippy::cast_precision_loss)]
            (fewer > 0).then(|| (a, b, both, both as f64 / fewer as f64))
        })
        .collect();
    Scored {
        compared,
        common,
        holders,
        pairs,
    }
}

/// Compares the students' fingerprints (`None`: a student without any, left out) and lists
/// the pairs unusually alike.
#[must_use]
pub fn compare(class: &[Option<&Fingerprints>]) -> Similarity {
    let Scored {
        compared,
        common,
        holders,
        pairs: mut scored,
    } = score(class);
    let all_pairs = compared * compared.saturating_sub(1) / 2;
    let mut every_score: Vec<f64> = scored.iter().map(|(.., score)| *score).collect();
    every_score.resize(all_pairs.max(every_score.len()), 0.0);
    let median = crate::stats::median(&mut every_score).unwrap_or(0.0);
    let mut deviations: Vec<f64> = every_score
        .iter()
        .map(|score| (score - median).abs())
        .collect();
    let deviation = crate::stats::median(&mut deviations).unwrap_or(0.0);
    scored.retain(|&(_, _, both, score)| {
        score >= LEAST_SCORE
            && both >= LEAST_SHARED
            && (compared < SPREAD_FROM || score > median + SPREAD * deviation)
    });
    // Most alike first; equal scores by more shared, then by students, so the order is fixed.
    scored.sort_by(|x, y| {
        y.3.total_cmp(&x.3)
            .then(y.2.cmp(&x.2))
            .then((x.0, x.1).cmp(&(y.0, y.1)))
    });
    let pairs = scored
        .into_iter()
        .map(|(a, b, both, score)| {
            let (a, b) = (a as usize, b as usize);
            let in_both = |hash: &u64| {
                holders.get(hash).is_some_and(|students| {
                    students.contains(&(a as u32)) && students.contains(&(b as u32))
                })
            };
            Pair {
                a,
                b,
                score,
                shared: both,
                regions_a: regions(class[a], &in_both),
                regions_b: regions(class[b], &in_both),
            }
        })
        .collect();
    Similarity {
        students: compared,
        common,
        median,
        deviation,
        pairs,
    }
}

/// The lines of `fingerprints` whose hash `shared` says both hold, merged where they touch.
fn regions(fingerprints: Option<&Fingerprints>, shared: &dyn Fn(&u64) -> bool) -> Vec<Region> {
    let mut lines: Vec<Region> = fingerprints
        .into_iter()
        .flat_map(|f| &f.prints)
        .filter(|print| shared(&print.hash))
        .map(|print| Region {
            file: print.file as usize,
            first: print.first,
            last: print.last,
        })
        .collect();
    lines.sort_by_key(|region| (region.file, region.first, region.last));
    let mut merged: Vec<Region> = Vec::new();
    for region in lines {
        match merged.last_mut() {
            Some(last) if last.file == region.file && region.first <= last.last + 1 => {
                last.last = last.last.max(region.last);
            }
            _ => merged.push(region),
        }
    }
    merged
}
