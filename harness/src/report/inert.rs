//! Student text made inert for the people who read it.
//!
//! A student controls much of what a report shows: their id (a folder or archive name), their
//! program's output, captured values, the compiler's diagnostics of their code. Written as it
//! is, that text could drive whatever displays it: an escape sequence clears a TA's terminal,
//! sets its title or writes its clipboard (OSC 52); a carriage return makes a log reader that
//! splits lines on it start a line with `::error …`; bidirectional controls reorder what is
//! shown. Every human-facing format shows student text through [`inert`] or [`inert_line`],
//! which write each such character visibly, as Rust writes it in a string literal (`\r`, `\t`,
//! `\0`, `\u{1b}`). A backslash itself is left as it is, so text that already reads `\u{1b}` is
//! shown as it is too: the point is that nothing reaches the screen as a control.
//!
//! The JSON report keeps the text as it was (JSON escapes it), for programs to read.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character written visibly, newlines kept: for multi-line text
/// (compiler diagnostics, a whole excerpt) where the format allows line breaks.
#[must_use]
pub fn inert(text: &str) -> Cow<'_, str> {
    shown(text, true)
}

/// `text` with every control character written visibly, newlines too (as `\n`): for text on
/// one line (an id, a progress line, a value, one line of an excerpt).
#[must_use]
pub fn inert_line(text: &str) -> Cow<'_, str> {
    shown(text, false)
}

fn shown(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_here =
        |character: char| is_unsafe(character) && !(keep_newlines && character == '\n');
    if !text.chars().any(unsafe_here) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 16);
    for character in text.chars() {
        if !unsafe_here(character) {
            shown.push(character);
            continue;
        }
        match character {
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            '\0' => shown.push_str("\\0"),
            other => {
                let _ = write!(shown, "\\u{{{:x}}}", u32::from(other));
            }
        }
    }
    Cow::Owned(shown)
}

/// Whether `character` can steer what displays it rather than be displayed.
fn is_unsafe(character: char) -> bool {
    // C0 (escape, carriage return, backspace, bell…), DEL, and C1 (U+0080 to U+009F, among
    // them the 8-bit CSI and OSC that some terminals obey, and NEL).
    character.is_control()
        // Line and paragraph separators: line breaks to some log viewers.
        || matches!(character, '\u{2028}' | '\u{2029}')
        // Bidirectional marks, embeddings, overrides and isolates: they reorder what is shown
        // ("Trojan Source").
        || matches!(
            character,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::{inert, inert_line};

    #[test]
    fn terminal_escapes_are_shown_not_sent() {
        // A clipboard write (OSC 52), a window title (OSC 0), a clear screen (CSI), a bell.
        let hostile = "a\u{1b}]52;c;cHduZWQ=\u{7}b\u{1b}]0;owned\u{1b}\\c\u{1b}[2Jd\u{7}";
        assert_eq!(
            inert(hostile),
            "a\\u{1b}]52;c;cHduZWQ=\\u{7}b\\u{1b}]0;owned\\u{1b}\\c\\u{1b}[2Jd\\u{7}"
        );
        assert!(!inert(hostile).chars().any(char::is_control));
    }

    #[test]
    fn a_carriage_return_cannot_start_a_line() {
        assert_eq!(inert("ok\r::error::pwned"), "ok\\r::error::pwned");
        assert_eq!(inert_line("ok\r::error::pwned"), "ok\\r::error::pwned");
    }

    #[test]
    fn newlines_stay_only_where_lines_are_allowed() {
        assert_eq!(inert("one\ntwo\r\n"), "one\ntwo\\r\n");
        assert_eq!(inert_line("one\ntwo"), "one\\ntwo");
    }

    #[test]
    fn tabs_nul_delete_and_c1_controls_are_named_or_numbered() {
        assert_eq!(
            inert("\t\0\u{7f}\u{9b}31m\u{85}"),
            "\\t\\0\\u{7f}\\u{9b}31m\\u{85}"
        );
    }

    #[test]
    fn reordering_and_line_separating_characters_are_shown() {
        assert_eq!(
            inert("a\u{202e}b\u{2066}c\u{200f}d\u{2028}e"),
            "a\\u{202e}b\\u{2066}c\\u{200f}d\\u{2028}e"
        );
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        let text = "Array sum is: 42 · ünïcode ✓ \\u{1b} already escaped\n";
        assert!(matches!(inert(text), Cow::Borrowed(same) if same == text));
        assert_eq!(inert_line("=HYPERLINK(\"x\")"), "=HYPERLINK(\"x\")");
    }
}
