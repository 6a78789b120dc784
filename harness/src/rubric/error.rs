//! Rubric errors: every problem of a rubric, each pointing at its file, line and column.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// A rubric that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RubricError {
    /// The file could not be read.
    #[error("cannot read rubric `{}`: {source}", path.display())]
    Read {
        /// The rubric file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file was read but has problems; all of them are listed.
    #[error("{}", render(path, text, problems))]
    Invalid {
        /// The rubric file.
        path: PathBuf,
        /// Its contents, for the snippets.
        text: String,
        /// Every problem found, in file order.
        problems: Vec<Problem>,
    },
}

/// One problem in a rubric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Byte range of the offending text, when known.
    pub span: Option<Range<usize>>,
    /// What is wrong, as a lowercase fragment.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl Problem {
    pub(crate) fn new(span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        Self {
            span,
            message: message.into(),
            help: None,
        }
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// 1-based line and column of the problem in `text`, when it has a span.
    #[must_use]
    pub fn line_column(&self, text: &str) -> Option<(usize, usize)> {
        let start = self.span.as_ref()?.start.min(text.len());
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((line, column))
    }
}

fn render(path: &std::path::Path, text: &str, problems: &[Problem]) -> impl fmt::Display {
    let path_text = path.display().to_string();
    let renderer = Renderer::plain();
    let mut out = format!(
        "rubric `{path_text}` has {} problem{}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for problem in problems {
        let mut group: Group<'_> = Level::ERROR
            .primary_title(problem.message.as_str())
            .element(match &problem.span {
                Some(span) => Snippet::source(text)
                    .path(path_text.as_str())
                    .annotation(AnnotationKind::Primary.span(span.clone())),
                None => Snippet::source("").path(path_text.as_str()),
            });
        if let Some(help) = &problem.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        out.push('\n');
        out.push_str(&renderer.render(&[group]));
    }
    out
}
