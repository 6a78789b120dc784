//! The `labgrade` command line: parses the arguments and hands them to their command in
//! `commands/`, which calls the library; the command's result is the exit code.

mod args;
mod commands;
mod exit;
mod progress;
mod reports;
mod setup;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::commands::{batch, check, doctor, grade, merge, publish, replay, selfcheck};
use crate::exit::Stopped;

fn main() -> std::process::ExitCode {
    let result = match Cli::parse().command {
        Command::Grade(args) => grade::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Check(args) => check::run(args),
        Command::Selfcheck(args) => selfcheck::run(args),
        Command::Batch(args) => batch::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Publish(args) => publish::run(args),
        Command::Doctor => doctor::run(),
        // The supervisor's exit status is its own, read by the labgrade that started it.
        Command::Supervise => {
            return labgrade::run::supervise(
                &mut std::io::stdin().lock(),
                &mut std::io::stdout().lock(),
            );
        }
    };
    result.unwrap_or_else(Stopped::say).into()
}
