//! The `[build]` table: profile, time limit and points of the build.

use std::time::Duration;

use crate::rubric::error::Problem;
use crate::rubric::model::{Build, Profile};
use crate::rubric::wire::BuildWire;

use super::parse::Validator;

pub(super) const DEFAULT_BUILD_TIMEOUT: Duration = Duration::from_secs(300);

impl Validator {
    pub(super) fn build(&mut self, wire: BuildWire) -> Build {
        let profile = match wire.profile {
            None => Profile::Release,
            Some(profile) => match profile.get_ref().as_str() {
                "release" => Profile::Release,
                "dev" => Profile::Dev,
                other => {
                    self.problems.push(
                        Problem::new(Some(profile.span()), format!("unknown profile `{other}`"))
                            .help("use `release` or `dev`"),
                    );
                    Profile::Release
                }
            },
        };
        Build {
            profile,
            timeout: self.duration(wire.timeout.as_ref(), DEFAULT_BUILD_TIMEOUT),
            points: wire.points.map_or(0, |points| self.points(&points, true)),
        }
    }
}
