//! Turns the wire types into a validated [`Rubric`](super::Rubric), collecting every problem on
//! the way: [`parse()`] is the entry point; each file validates one section or concept of a
//! rubric, as methods of one `Validator` that gathers the problems.

mod build;
mod cases;
mod check;
mod compare;
mod exercise;
mod expect;
mod fault;
mod limits;
mod matchers;
mod needs;
mod observing;
mod parse;
mod ratios;
mod scalars;
mod sections;
mod style;
mod suggest;
mod syscalls;
mod task_start;
mod test;

#[cfg(test)]
mod tests;

pub use parse::parse;
