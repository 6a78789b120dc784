//! The `only-lines` matcher: a stream made of exactly the lines a README asks for, each once,
//! in any order, and nothing else. It catches what a matcher that looks for one line cannot: a
//! debugging line left in, and a result printed twice (a child that did not `_exit` and ran
//! its parent's code too).

use std::collections::BTreeMap;

use regex::Regex;

use super::evaluate::shorten;

/// Longest excerpt of a line in a failure.
const LINE_CHARS: usize = 80;

/// The captures of the named groups of `regexes` when every line of `text` matches one of
/// them and each of them matches exactly one line; otherwise why not, naming the first line
/// that went wrong. A line belongs to the first regex it matches. Trailing whitespace (a
/// `\r`) is ignored.
pub(crate) fn only_lines(
    regexes: &[Regex],
    text: &str,
) -> Result<BTreeMap<String, String>, String> {
    let mut seen: Vec<Vec<usize>> = vec![Vec::new(); regexes.len()];
    let mut captures = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim_end();
        let Some(index) = regexes.iter().position(|regex| regex.is_match(line)) else {
            return Err(if line.is_empty() {
                format!(
                    "line {} of the output is empty, and no line may be but the {} asked for",
                    number + 1,
                    regexes.len()
                )
            } else {
                format!(
                    "line {} of the output, `{}`, is not one of the {} lines asked for",
                    number + 1,
                    shorten(line, LINE_CHARS),
                    regexes.len()
                )
            });
        };
        seen[index].push(number + 1);
        if seen[index].len() == 1
            && let Some(found) = regexes[index].captures(line)
        {
            for name in regexes[index].capture_names().flatten() {
                if let Some(value) = found.name(name) {
                    captures.insert(name.to_owned(), value.as_str().to_owned());
                }
            }
        }
    }
    for (regex, lines) in regexes.iter().zip(&seen) {
        match lines.as_slice() {
            [_] => {}
            [] => return Err(format!("no line matches `{}`", regex.as_str())),
            many => {
                let numbers: Vec<String> = many.iter().map(ToString::to_string).collect();
                return Err(format!(
                    "the line matching `{}` appears {} times (lines {}), and must appear once",
                    regex.as_str(),
                    many.len(),
                    numbers.join(", ")
                ));
            }
        }
    }
    Ok(captures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regexes() -> Vec<Regex> {
        vec![
            Regex::new(r"^Array sum is: (?<sum>-?\d+)$").unwrap(),
            Regex::new(r"^Time spent: \d+(\.\d+)? ms$").unwrap(),
        ]
    }

    #[test]
    fn the_lines_asked_for_in_any_order_hold_and_give_their_captures() {
        let captures = only_lines(&regexes(), "Time spent: 3.5 ms\r\nArray sum is: -42\n").unwrap();
        assert_eq!(captures.get("sum").map(String::as_str), Some("-42"));
    }

    #[test]
    fn an_extra_line_is_named_by_its_number() {
        let error = only_lines(
            &regexes(),
            "thread 3: partial 12\nArray sum is: 1\nTime spent: 1 ms\n",
        )
        .unwrap_err();
        assert_eq!(
            error,
            "line 1 of the output, `thread 3: partial 12`, is not one of the 2 lines asked for"
        );
    }

    #[test]
    fn a_result_printed_twice_fails_with_the_lines_it_is_on() {
        let error = only_lines(
            &regexes(),
            "Array sum is: 1\nTime spent: 1 ms\nArray sum is: 1\nTime spent: 1 ms\n",
        )
        .unwrap_err();
        assert!(error.contains("appears 2 times (lines 1, 3)"), "{error}");
    }

    #[test]
    fn a_missing_line_and_an_empty_line_fail() {
        assert_eq!(
            only_lines(&regexes(), "Array sum is: 1\n").unwrap_err(),
            r"no line matches `^Time spent: \d+(\.\d+)? ms$`"
        );
        assert!(
            only_lines(&regexes(), "Array sum is: 1\n\nTime spent: 1 ms\n")
                .unwrap_err()
                .contains("line 2 of the output is empty")
        );
    }
}
