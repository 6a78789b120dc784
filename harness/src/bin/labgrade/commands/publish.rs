//! `labgrade publish`: a copy of the course that students' CI may clone.

use std::io::Write;
use std::path::PathBuf;

use labgrade::publish::{Published, publish};

use crate::args::PublishArgs;
use crate::exit::{Exit, Stopped};
use crate::setup;

/// Publishes the course to `args.out` and says what was written and what was left out: 0 when
/// written, 2 on bad input, 3 when a file could not be read or written.
pub(crate) fn run(args: PublishArgs) -> Result<Exit, Stopped> {
    let published = publish(&setup::course_root(args.root)?, &args.out)?;
    let mut stdout = anstream::stdout();
    write_published(&published, &mut stdout)
        .and_then(|()| stdout.flush())
        .map_err(|error| Stopped::stdout(&error))?;
    Ok(Exit::Success)
}

/// What `labgrade publish` wrote (a line per top-level entry, with its count of files) and
/// what it left out, and why.
fn write_published(published: &Published, out: &mut dyn Write) -> std::io::Result<()> {
    let inert =
        |path: &std::path::Path| labgrade::report::inert(&path.display().to_string()).into_owned();
    writeln!(
        out,
        "published {} files to {}\nwritten:",
        published.written.len(),
        inert(&published.out)
    )?;
    let mut counts: std::collections::BTreeMap<PathBuf, usize> = std::collections::BTreeMap::new();
    for file in &published.written {
        let top = file
            .components()
            .next()
            .map_or_else(PathBuf::new, |top| PathBuf::from(top.as_os_str()));
        *counts.entry(top).or_default() += 1;
    }
    for (top, count) in counts {
        let noun = if count == 1 { "file" } else { "files" };
        writeln!(out, "  {:<24} {count} {noun}", inert(&top))?;
    }
    writeln!(out, "left out:")?;
    for left in &published.left_out {
        writeln!(out, "  {:<48} {}", inert(&left.path), left.why)?;
    }
    for member in &published.members_dropped {
        writeln!(
            out,
            "  workspace member {:<31} its folder is not published",
            labgrade::report::inert(member)
        )?;
    }
    Ok(())
}
