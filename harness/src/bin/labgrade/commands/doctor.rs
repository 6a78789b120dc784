//! `labgrade doctor`: what containment this machine offers and what labgrade uses of it.

use labgrade::io;
use labgrade::report::write_doctor;

use crate::exit::{Exit, Stopped};

/// Probes the machine and says what it found.
pub(crate) fn run() -> Result<Exit, Stopped> {
    let mut stdout = anstream::stdout();
    write_doctor(&labgrade::run::probe(), &mut stdout).map_err(io("write to", "stdout"))?;
    Ok(Exit::Success)
}
