//! A `[[ratio]]` and the figures it compares.

/// A `[[ratio]]`: the median of a figure over every run of some checks, each over the median of
/// the same figure over every run of another check, all measured in the same grading, so that a
/// noisy machine slows both sides alike. With bounds it is scored; without, it is information.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratio {
    /// Unique id among checks and ratios.
    pub id: String,
    /// One line for people.
    pub title: String,
    /// Points earned when every ratio is within the bounds; 0 for information.
    pub points: u32,
    /// What is measured of each run.
    pub figure: Figure,
    /// The checks whose figure is divided, each by `over`'s.
    pub of: Vec<String>,
    /// The check whose figure divides.
    pub over: String,
    /// The largest ratio allowed.
    pub at_most: Option<f64>,
    /// The smallest ratio allowed.
    pub at_least: Option<f64>,
}

/// What a `[[ratio]]` measures of one run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Figure {
    /// Wall time of the whole run, in milliseconds (`wall-time`).
    WallTime,
    /// CPU time of every process of the program, in milliseconds (`cpu-time`).
    CpuTime,
    /// CPU time over wall time: the cores the program kept busy (`cores-busy`). It falls when
    /// the machine is busy with other work.
    CoresBusy,
    /// Time every thread and process wanted a CPU (ran, or waited for one), over wall time: the
    /// cores the program could have kept busy (`cores-wanted`), whatever the machine's load.
    /// Needs the tracer.
    CoresWanted,
    /// A number the program printed, captured by a named group of the check's regexes.
    Capture(String),
}

impl Figure {
    /// The figures a rubric names with `figure = "…"`.
    pub const NAMED: [(&'static str, Figure); 4] = [
        ("wall-time", Figure::WallTime),
        ("cpu-time", Figure::CpuTime),
        ("cores-busy", Figure::CoresBusy),
        ("cores-wanted", Figure::CoresWanted),
    ];

    /// The figure's name in the rubric and in a run's recorded figures: `wall-time`, or the
    /// capture's name (a regex group name holds no `-`, so the two never collide).
    #[must_use]
    pub fn key(&self) -> &str {
        match self {
            Self::WallTime => "wall-time",
            Self::CpuTime => "cpu-time",
            Self::CoresBusy => "cores-busy",
            Self::CoresWanted => "cores-wanted",
            Self::Capture(name) => name,
        }
    }

    /// The unit a value of the figure is written with in reports.
    #[must_use]
    pub fn unit(&self) -> &'static str {
        match self {
            Self::WallTime | Self::CpuTime => " ms",
            Self::CoresBusy | Self::CoresWanted => " cores",
            Self::Capture(_) => "",
        }
    }
}
