//! The formats of `--format` and `--report FORMAT=PATH`, and the reporter of each.

use super::{Github, Gradescope, Human, Json, Junit, Reporter};

/// The formats `--format` accepts (their names are clap's, from the variants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Coloured text for people.
    Human,
    /// The versioned JSON report (`docs/report-format.md`).
    Json,
    /// `JUnit` XML, for CI test reports.
    Junit,
    /// Gradescope's autograder `results.json`.
    Gradescope,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

impl Format {
    /// Every format, with its name on the command line.
    pub const ALL: [(&'static str, Format); 5] = [
        ("human", Format::Human),
        ("json", Format::Json),
        ("junit", Format::Junit),
        ("gradescope", Format::Gradescope),
        ("github", Format::Github),
    ];

    /// The reporter for this format, for a repository in folder `workspace` (GitHub
    /// annotations name files relative to it).
    #[must_use]
    pub fn reporter_in(self, workspace: Option<std::path::PathBuf>) -> Box<dyn Reporter> {
        match self {
            Self::Human => Box::new(Human::default()),
            Self::Json => Box::new(Json),
            Self::Junit => Box::new(Junit),
            Self::Gradescope => Box::new(Gradescope),
            Self::Github => Box::new(Github { workspace }),
        }
    }

    /// The format named `name`.
    pub fn from_name(name: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, format)| *format)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|(known, _)| *known).collect();
                format!("unknown format `{name}`; use one of {}", names.join(", "))
            })
    }

    /// A `--report` argument, `FORMAT=PATH`, such as `junit=results/junit.xml`.
    pub fn parse_target(text: &str) -> Result<(Self, std::path::PathBuf), String> {
        let (name, path) = text
            .split_once('=')
            .filter(|(_, path)| !path.is_empty())
            .ok_or_else(|| {
                format!("`{text}` is not FORMAT=PATH, such as `junit=results/junit.xml`")
            })?;
        Ok((Self::from_name(name)?, path.into()))
    }
}
