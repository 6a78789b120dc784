//! The class report: one self-contained HTML page (`report.html`) for a TA to read a batch.
//!
//! It shows the score histogram, each check's pass rate, time against worker count for checks
//! with `parallelism` (one line per student and the class median), and every student's report
//! one click away. Everything is inline (CSS and SVG, no script, no font, no network), so the
//! file can be mailed or opened from an artifact; a Content-Security-Policy forbids scripts
//! and every fetch, so that even a mistake in escaping could not run a student's markup.
//!
//! The markup is written with `maud`, which checks it at compile time and escapes every
//! interpolated value; student-controlled text (ids, output, compiler messages, paths) is
//! interpolated as [`text::Text`], which also shows its control characters as
//! [`inert`](crate::report::inert) does. The page is a pure function of its inputs, written in
//! a fixed order with fixed number formats and no clock, so that equal grades give equal bytes.
//!
//! `page.rs` is the document, `checks.rs`, `student.rs` and `similarity.rs` its sections, `timing.rs` the class's
//! timings, `plot.rs` the figures' geometry (pure, tested), `plot_svg.rs` that geometry as
//! SVG, and `text.rs` how student text is escaped.

mod checks;
mod page;
mod plot;
mod plot_svg;
mod similarity;
mod student;
mod text;
mod timing;

#[cfg(test)]
mod tests;

pub use page::{ClassStudent, write_html};
