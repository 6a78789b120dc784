//! Student text in the class report: escaped for HTML, its control characters shown as
//! [`inert`] shows them, cut to a readable length, and ids as URL path segments.

use std::fmt::Write as _;

use maud::Render;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::report::inert;

/// Characters of a stream or of compiler output shown in the page; the JSON report has the rest.
const SHOWN_CHARS: usize = 4000;

/// Text a student controls (an id, output, a compiler message, a path), rendered into the page
/// through [`escape`]. Maud escapes whatever it interpolates anyway; this adds the control
/// characters made visible and `'` escaped too, so the page reads as every other report does.
#[derive(Debug, Clone, Copy)]
pub(super) struct Text<'a>(pub &'a str);

impl Render for Text<'_> {
    fn render_to(&self, buffer: &mut String) {
        buffer.push_str(&escape(self.0));
    }
}

/// Text made safe for HTML content and attribute values (quoted with `"` or `'`), its control
/// characters (parse errors in HTML) and the bidirectional ones that would reorder it shown as
/// [`inert`] shows them.
pub(super) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in inert(text).chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// What a URL path segment keeps as it is: RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A student id as a relative URL path segment (`reports/<id>.json`).
pub(super) fn url_segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// Up to [`SHOWN_CHARS`] characters of `text`, saying how much was left out.
pub(super) fn shown(text: &str) -> String {
    let mut kept: String = text.chars().take(SHOWN_CHARS).collect();
    let left = text.len() - kept.len();
    if left > 0 {
        let _ = write!(kept, "\n… {left} more bytes in the JSON report");
    }
    kept
}

/// The plural ending of `count` things.
pub(super) fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
