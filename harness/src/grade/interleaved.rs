//! The matchers of interleaved output: lines of several sources (producers, threads, tasks)
//! that each keep their own order while the sources mix freely (`sequences`), and sizes a
//! program announces before the lines they count (`byte-count`).

use std::collections::{BTreeMap, HashMap};

use regex::Regex;

/// Why `text` does not hold the lines of `sequences` (each line exactly once, each sequence's
/// lines in its order, the sequences interleaved in any way, other lines ignored), or `None` if
/// it does. Lines are compared without trailing whitespace.
pub(crate) fn sequences_failure(sequences: &[Vec<String>], text: &str) -> Option<String> {
    let mut place: HashMap<&str, (usize, usize)> = HashMap::new();
    for (sequence, lines) in sequences.iter().enumerate() {
        for (position, line) in lines.iter().enumerate() {
            place.insert(line.trim_end(), (sequence, position));
        }
    }
    let mut next = vec![0_usize; sequences.len()];
    for (number, line) in text.lines().enumerate() {
        let line = line.trim_end();
        let Some(&(sequence, position)) = place.get(line) else {
            continue;
        };
        let expected = next[sequence];
        match position.cmp(&expected) {
            std::cmp::Ordering::Equal => next[sequence] += 1,
            std::cmp::Ordering::Less => {
                return Some(format!(
                    "line {} of the output, `{}`, appeared a second time",
                    number + 1,
                    shorten(line)
                ));
            }
            std::cmp::Ordering::Greater => {
                return Some(format!(
                    "line {} of the output, `{}`, came before `{}`, which comes first in its sequence",
                    number + 1,
                    shorten(line),
                    shorten(&sequences[sequence][expected])
                ));
            }
        }
    }
    let missing: Vec<&str> = sequences
        .iter()
        .zip(&next)
        .flat_map(|(lines, &next)| lines[next..].iter().map(String::as_str))
        .collect();
    let first = missing.first()?;
    let total: usize = sequences.iter().map(Vec::len).sum();
    Some(format!(
        "{} of the {total} lines never appeared, the first of them `{}`",
        missing.len(),
        shorten(first)
    ))
}

/// Why the sizes `text` announces do not add up, or `None` if they do: every line matching
/// `count` announces, for its `source`, a number of `bytes`, and the lines matching `counted` of
/// that source after it, up to its next announcement, must total exactly that many bytes, a
/// newline counted for each. A counted line before its source's first announcement is wrong too:
/// the size must be asked for before each read.
pub(crate) fn byte_count_failure(count: &Regex, counted: &Regex, text: &str) -> Option<String> {
    // Per source: the announcement still open, as (line number, bytes announced, bytes seen).
    let mut open: BTreeMap<String, (usize, u64, u64)> = BTreeMap::new();
    let close = |source: &str, (number, announced, seen): (usize, u64, u64)| {
        (announced != seen).then(|| {
            format!(
                "line {number} announced {announced} bytes for source {source}, but the lines of that source after it, up to its next announcement, hold {seen} bytes"
            )
        })
    };
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if let Some(found) = count.captures(line) {
            let source = found.name("source").map_or("", |group| group.as_str());
            let Some(bytes) = found
                .name("bytes")
                .and_then(|group| group.as_str().parse::<u64>().ok())
            else {
                return Some(format!(
                    "line {number}, `{}`, announces no number of bytes",
                    shorten(line)
                ));
            };
            if let Some(previous) = open.insert(source.to_owned(), (number, bytes, 0))
                && let Some(failure) = close(source, previous)
            {
                return Some(failure);
            }
        } else if let Some(found) = counted.captures(line) {
            let source = found.name("source").map_or("", |group| group.as_str());
            let Some(entry) = open.get_mut(source) else {
                return Some(format!(
                    "line {number}, `{}`, comes before any announcement of the bytes waiting from source {source}",
                    shorten(line)
                ));
            };
            entry.2 += line.len() as u64 + 1;
        }
    }
    open.into_iter()
        .find_map(|(source, entry)| close(&source, entry))
}

/// A line cut for a report.
fn shorten(line: &str) -> String {
    super::evaluate::shorten(line, 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(sequences: &[&[&str]]) -> Vec<Vec<String>> {
        sequences
            .iter()
            .map(|lines| lines.iter().map(|line| (*line).to_owned()).collect())
            .collect()
    }

    #[test]
    fn sequences_hold_in_any_interleaving() {
        let producers = lines(&[&["a0", "a1", "a2"], &["b0", "b1"]]);
        assert_eq!(sequences_failure(&producers, "a0\nb0\na1\nb1\na2\n"), None);
        assert_eq!(
            sequences_failure(&producers, "b0\nnoise\nb1\na0\na1\na2\n"),
            None
        );
    }

    #[test]
    fn sequences_catch_order_repeats_and_losses() {
        let producers = lines(&[&["a0", "a1", "a2"], &["b0", "b1"]]);
        assert_eq!(
            sequences_failure(&producers, "a0\na2\na1\nb0\nb1\n").as_deref(),
            Some("line 2 of the output, `a2`, came before `a1`, which comes first in its sequence")
        );
        assert_eq!(
            sequences_failure(&producers, "a0\na0\na1\na2\nb0\nb1\n").as_deref(),
            Some("line 2 of the output, `a0`, appeared a second time")
        );
        assert_eq!(
            sequences_failure(&producers, "a0\na1\nb0\n").as_deref(),
            Some("2 of the 5 lines never appeared, the first of them `a2`")
        );
    }

    #[test]
    fn one_line_sequences_are_a_multiset_and_pairs_a_partial_order() {
        let multiset = lines(&[&["x"], &["y"], &["z"]]);
        assert_eq!(sequences_failure(&multiset, "z\ny\nx\n"), None);
        assert!(sequences_failure(&multiset, "z\ny\n").is_some());
        let pairs = lines(&[&["start 0", "end 0"], &["start 1", "end 1"]]);
        assert_eq!(
            sequences_failure(&pairs, "start 1\nstart 0\nend 0\nend 1\n"),
            None
        );
        assert!(sequences_failure(&pairs, "start 1\nend 0\nstart 0\nend 1\n").is_some());
    }

    fn consumer() -> (Regex, Regex) {
        (
            Regex::new(r"^producer (?<source>\d+): (?<bytes>\d+) bytes waiting$").unwrap(),
            Regex::new(r"^producer (?<source>\d+) message ").unwrap(),
        )
    }

    #[test]
    fn announced_sizes_must_equal_the_lines_that_follow() {
        let (count, counted) = consumer();
        // "producer 0 message 0: ab\n" is 25 bytes, "producer 1 message 0: abcd\n" 27.
        let good = "producer 0: 25 bytes waiting\nproducer 1: 27 bytes waiting\n\
                    producer 0 message 0: ab\nproducer 1 message 0: abcd\nproducer 1: no message\n\
                    producer 0: 50 bytes waiting\nproducer 0 message 1: ab\nproducer 0 message 2: cd\n";
        assert_eq!(byte_count_failure(&count, &counted, good), None);
        let wrong =
            "producer 0: 25 bytes waiting\nproducer 0 message 0: ab\nproducer 0 message 1: cd\n";
        assert_eq!(
            byte_count_failure(&count, &counted, wrong).as_deref(),
            Some(
                "line 1 announced 25 bytes for source 0, but the lines of that source after it, up to its next announcement, hold 50 bytes"
            )
        );
        let unannounced = "producer 0 message 0: ab\n";
        assert!(
            byte_count_failure(&count, &counted, unannounced)
                .unwrap()
                .contains("before any announcement")
        );
    }
}
