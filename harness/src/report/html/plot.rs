//! The report's figures as geometry: where each bar, tick, line and point of the histogram, the
//! pass-rate bars and the timing plots goes, in SVG user units. Pure data, no markup, so it is
//! tested here; `plot_svg.rs` draws it.

use std::collections::BTreeSet;

use super::timing::{Line, TimingPlot};
use crate::class::BINS;

/// A tick on an axis: its value and where it is drawn (x or y, in user units).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Tick {
    pub(super) value: f64,
    pub(super) at: f64,
}

/// The score histogram: one bar per tenth of the maximum, even when empty.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Histogram {
    pub(super) width: f64,
    pub(super) height: f64,
    /// The x of the y axis, where the grid and the bars start.
    pub(super) left: f64,
    /// The x where the grid and the x axis end.
    pub(super) right: f64,
    /// The y of the x axis.
    pub(super) base: f64,
    /// Whole student counts, with their y.
    pub(super) grid: Vec<Tick>,
    pub(super) bars: Vec<Bar>,
}

/// One bin of the histogram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Bar {
    pub(super) count: usize,
    /// Its range, in percent of the maximum: `[from, to)`, the last bin `[from, to]`.
    pub(super) from: usize,
    pub(super) to: usize,
    pub(super) last: bool,
    /// The x where the bin's slot starts (its `from` label).
    pub(super) slot: f64,
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) width: f64,
    pub(super) height: f64,
}

impl Histogram {
    /// The histogram of `counts`, students per bin.
    pub(super) fn new(counts: &[usize; BINS]) -> Self {
        const WIDTH: f64 = 560.0;
        const HEIGHT: f64 = 260.0;
        const LEFT: f64 = 40.0;
        const BOTTOM: f64 = 36.0;
        const TOP: f64 = 16.0;
        let tallest = counts.iter().copied().max().unwrap_or(0).max(1);
        let plot_height = HEIGHT - BOTTOM - TOP;
        let slot = (WIDTH - LEFT - 10.0) / BINS as f64;
        let base = HEIGHT - BOTTOM;
        let grid = y_ticks(tallest as f64)
            .into_iter()
            .filter(|tick| tick.fract() == 0.0)
            .map(|tick| Tick {
                value: tick,
                at: base - tick / tallest as f64 * plot_height,
            })
            .collect();
        let bars = counts
            .iter()
            .enumerate()
            .map(|(bin, &count)| {
                let height = count as f64 / tallest as f64 * plot_height;
                Bar {
                    count,
                    from: bin * 100 / BINS,
                    to: (bin + 1) * 100 / BINS,
                    last: bin == BINS - 1,
                    slot: LEFT + slot * bin as f64,
                    x: LEFT + slot * bin as f64 + 3.0,
                    y: base - height,
                    width: slot - 6.0,
                    height,
                }
            })
            .collect();
        Self {
            width: WIDTH,
            height: HEIGHT,
            left: LEFT,
            right: WIDTH - 10.0,
            base,
            grid,
            bars,
        }
    }
}

/// A check's pass-rate bar: the share that passed in full, then in part, of [`PassBar::LENGTH`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct PassBar {
    pub(super) passed_width: f64,
    pub(super) partial_width: f64,
    /// Percent that passed in full, rounded.
    pub(super) percent: f64,
}

impl PassBar {
    /// The length of the whole bar.
    pub(super) const LENGTH: f64 = 320.0;

    /// The bar of `passed` and `partial` students out of `scored`.
    pub(super) fn new(passed: usize, partial: usize, scored: usize) -> Self {
        let share = |count: usize| {
            if scored == 0 {
                0.0
            } else {
                count as f64 / scored as f64
            }
        };
        Self {
            passed_width: share(passed) * Self::LENGTH,
            partial_width: share(partial) * Self::LENGTH,
            percent: (share(passed) * 100.0).round(),
        }
    }
}

/// The size and margins of a plot.
#[derive(Debug, PartialEq)]
pub(super) struct Size {
    pub(super) width: f64,
    pub(super) height: f64,
    pub(super) left: f64,
    pub(super) bottom: f64,
    pub(super) top: f64,
    pub(super) right: f64,
}

impl Size {
    pub(super) const LARGE: Self = Self {
        width: 580.0,
        height: 340.0,
        left: 56.0,
        bottom: 40.0,
        top: 28.0,
        right: 16.0,
    };
    pub(super) const SMALL: Self = Self {
        width: 300.0,
        height: 180.0,
        left: 48.0,
        bottom: 34.0,
        top: 22.0,
        right: 10.0,
    };
}

/// Round tick values from 0 to at least `max`: 1, 2 or 5 times a power of ten apart.
pub(super) fn y_ticks(max: f64) -> Vec<f64> {
    let max = if max > 0.0 { max } else { 1.0 };
    let rough = max / 4.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|factor| factor * power)
        .find(|step| *step >= rough)
        .unwrap_or(10.0 * power);
    let mut ticks = vec![0.0];
    let mut tick = 0.0;
    while tick < max - 1e-9 {
        tick += step;
        ticks.push((tick * 1e6).round() / 1e6);
    }
    ticks
}

/// Colour of student `index`'s line: spread around the hue circle, the same in every plot.
pub(super) fn colour(index: usize) -> String {
    let hue = (index * 137) % 360;
    format!("hsl({hue}, 65%, 42%)")
}

/// A number of milliseconds as people read it.
pub(super) fn ms(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// Where a timing plot draws: its size, worker counts and time ticks, and the scales that map
/// them to the picture.
#[derive(Debug)]
pub(super) struct Frame<'a> {
    pub(super) size: &'a Size,
    pub(super) xs: Vec<f64>,
    pub(super) ticks: Vec<f64>,
    log: bool,
    x_range: (f64, f64),
    y_max: f64,
}

impl<'a> Frame<'a> {
    pub(super) fn new(size: &'a Size, xs: Vec<f64>, top_time: f64) -> Self {
        let ticks = y_ticks(top_time);
        let y_max = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
        // Worker counts double from case to case, so a log scale spaces them evenly.
        let log = xs.first().is_some_and(|first| *first >= 1.0);
        let scale = |x: f64| if log { x.log2() } else { x };
        let x_range = (
            xs.first().copied().map_or(0.0, scale),
            xs.last().copied().map_or(1.0, scale),
        );
        Self {
            size,
            xs,
            ticks,
            log,
            x_range,
            y_max,
        }
    }

    pub(super) fn width(&self) -> f64 {
        self.size.width - self.size.left - self.size.right
    }

    pub(super) fn height(&self) -> f64 {
        self.size.height - self.size.top - self.size.bottom
    }

    /// The y of the x axis.
    pub(super) fn base(&self) -> f64 {
        self.size.top + self.height()
    }

    pub(super) fn x(&self, x: f64) -> f64 {
        let (lo, hi) = self.x_range;
        let scaled = if self.log { x.log2() } else { x };
        if hi > lo {
            self.size.left + (scaled - lo) / (hi - lo) * self.width()
        } else {
            self.size.left + self.width() / 2.0
        }
    }

    pub(super) fn y(&self, time: f64) -> f64 {
        self.size.top + self.height() - time / self.y_max * self.height()
    }

    /// Points of (worker count, milliseconds) where they are drawn.
    pub(super) fn place(&self, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        points
            .iter()
            .map(|(x, time)| (self.x(*x), self.y(*time)))
            .collect()
    }

    /// The time ticks, with their y.
    pub(super) fn y_axis(&self) -> Vec<Tick> {
        self.ticks
            .iter()
            .map(|&value| Tick {
                value,
                at: self.y(value),
            })
            .collect()
    }

    /// The worker counts, with their x.
    pub(super) fn x_axis(&self) -> Vec<Tick> {
        self.xs
            .iter()
            .map(|&value| Tick {
                value,
                at: self.x(value),
            })
            .collect()
    }
}

/// A timing figure: the frame, the lines it shows, and the ideal speed-up, in data units
/// (worker count, milliseconds); [`Frame::place`] maps them to the picture.
#[derive(Debug)]
pub(super) struct TimingFigure<'p, 's> {
    pub(super) frame: Frame<'s>,
    pub(super) lines: Vec<&'p Line>,
    /// What perfect scaling from the median's first point would give: that point's worker
    /// count, and the line (absent when it would have fewer than two points).
    pub(super) ideal: Option<(f64, Vec<(f64, f64)>)>,
}

impl<'p, 's> TimingFigure<'p, 's> {
    /// The figure of `plot` at `size`; with `only`, just that student's line (the student's
    /// own report), else every student's. Every student's worker counts and the median set
    /// the scales either way.
    pub(super) fn new(plot: &'p TimingPlot, only: Option<usize>, size: &'s Size) -> Self {
        let lines: Vec<&Line> = plot
            .lines
            .iter()
            .filter(|line| only.is_none_or(|student| line.student == student))
            .collect();
        let xs: BTreeSet<u64> = plot
            .lines
            .iter()
            .flat_map(|line| &line.points)
            .map(|(x, _)| x.to_bits())
            .collect();
        let top_time = lines
            .iter()
            .flat_map(|line| &line.points)
            .chain(&plot.median)
            .map(|(_, time)| *time)
            .fold(0.0, f64::max);
        let frame = Frame::new(size, xs.into_iter().map(f64::from_bits).collect(), top_time);
        let ideal = plot.median.first().and_then(|&(first_x, first_time)| {
            let ideal: Vec<(f64, f64)> = frame
                .xs
                .iter()
                .filter(|x| **x >= first_x && first_x > 0.0)
                .map(|x| (*x, first_time * first_x / x))
                .collect();
            (ideal.len() > 1).then_some((first_x, ideal))
        });
        Self {
            frame,
            lines,
            ideal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Frame, Histogram, PassBar, Size, Tick, TimingFigure, y_ticks};
    use crate::report::html::timing::{Line, TimingPlot};

    #[test]
    fn ticks_are_round_and_reach_the_maximum() {
        assert_eq!(y_ticks(4.0), [0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(y_ticks(37.0), [0.0, 10.0, 20.0, 30.0, 40.0]);
        assert_eq!(y_ticks(130.0), [0.0, 50.0, 100.0, 150.0]);
        // Nothing to show still gives an axis.
        assert_eq!(y_ticks(0.0), [0.0, 0.5, 1.0]);
    }

    #[test]
    fn histogram_bars_stand_on_the_axis_and_the_tallest_reaches_the_top() {
        let histogram = Histogram::new(&[1, 0, 0, 0, 0, 0, 0, 1, 0, 2]);
        assert_eq!(
            (histogram.left, histogram.right, histogram.base),
            (40.0, 550.0, 224.0)
        );
        assert_eq!(histogram.bars.len(), 10);
        // Slots of (560 - 40 - 10) / 10 = 51, bars 3 in from each side.
        let first = histogram.bars[0];
        assert_eq!((first.x, first.width, first.slot), (43.0, 45.0, 40.0));
        assert_eq!((first.y, first.height), (120.0, 104.0));
        let last = histogram.bars[9];
        assert!(last.last && !first.last);
        assert_eq!((last.from, last.to, last.count), (90, 100, 2));
        assert_eq!(
            (last.x, last.y, last.height),
            (40.0 + 51.0 * 9.0 + 3.0, 16.0, 208.0)
        );
        let empty = histogram.bars[1];
        assert_eq!((empty.y, empty.height), (224.0, 0.0));
        // Whole counts only: 0, 1 and 2 students, the top at the tallest bar.
        let ticks: Vec<(f64, f64)> = histogram.grid.iter().map(|t| (t.value, t.at)).collect();
        assert_eq!(ticks, [(0.0, 224.0), (1.0, 120.0), (2.0, 16.0)]);
    }

    #[test]
    fn pass_bar_is_the_share_of_the_scored() {
        let bar = PassBar::new(2, 1, 4);
        assert_eq!(
            (bar.passed_width, bar.partial_width, bar.percent),
            (160.0, 80.0, 50.0)
        );
        let nobody = PassBar::new(0, 0, 0);
        assert_eq!(
            (nobody.passed_width, nobody.partial_width, nobody.percent),
            (0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn frame_maps_doubling_workers_evenly_and_time_upwards() {
        let frame = Frame::new(&Size::LARGE, vec![1.0, 2.0, 4.0], 37.0);
        // The plot spans x 56 to 564 and y 28 (40 ms, the top tick) to 300 (0 ms).
        assert_eq!(
            (frame.width(), frame.height(), frame.base()),
            (508.0, 272.0, 300.0)
        );
        let xs: Vec<f64> = frame.x_axis().iter().map(|tick| tick.at).collect();
        assert_eq!(xs, [56.0, 310.0, 564.0]);
        assert_eq!(
            frame.y_axis()[4],
            Tick {
                value: 40.0,
                at: 28.0
            }
        );
        assert_eq!(
            frame.place(&[(1.0, 40.0), (2.0, 20.0), (4.0, 0.0)]),
            [(56.0, 28.0), (310.0, 164.0), (564.0, 300.0)]
        );
        // One worker count alone stands in the middle.
        let single = Frame::new(&Size::SMALL, vec![4.0], 10.0);
        assert_eq!(
            single.x_axis(),
            [Tick {
                value: 4.0,
                at: 48.0 + (300.0 - 48.0 - 10.0) / 2.0
            }]
        );
        // Positions that are no worker counts (from 0) are spaced linearly.
        let linear = Frame::new(&Size::SMALL, vec![0.0, 1.0, 2.0], 10.0);
        assert_eq!(linear.place(&[(1.0, 0.0)]), [(48.0 + 242.0 / 2.0, 146.0)]);
    }

    fn line(student: usize, passed: bool, points: &[(f64, f64)]) -> Line {
        Line {
            student,
            name: format!("s{student}"),
            passed,
            points: points.to_vec(),
        }
    }

    #[test]
    fn timing_figure_keeps_the_class_scales_for_one_student() {
        let plot = TimingPlot {
            id: "timing".to_owned(),
            title: "Timing".to_owned(),
            lines: vec![
                line(0, true, &[(1.0, 40.0), (2.0, 20.0), (4.0, 10.0)]),
                line(3, false, &[(1.0, 90.0), (8.0, 80.0)]),
            ],
            median: vec![(1.0, 40.0), (2.0, 20.0), (4.0, 10.0)],
        };
        let class = TimingFigure::new(&plot, None, &Size::LARGE);
        assert_eq!(class.lines.len(), 2);
        assert_eq!(class.frame.xs, [1.0, 2.0, 4.0, 8.0]);
        assert_eq!(class.frame.ticks.last(), Some(&100.0));
        assert_eq!(
            class.ideal,
            Some((1.0, vec![(1.0, 40.0), (2.0, 20.0), (4.0, 10.0), (8.0, 5.0)]))
        );

        let own = TimingFigure::new(&plot, Some(0), &Size::SMALL);
        assert_eq!(own.lines, [&plot.lines[0]]);
        // The other student's worker count stays on the axis; their time does not set it.
        assert_eq!(own.frame.xs, [1.0, 2.0, 4.0, 8.0]);
        assert_eq!(own.frame.ticks.last(), Some(&40.0));
    }

    #[test]
    fn no_ideal_line_from_a_single_point() {
        let plot = TimingPlot {
            id: "timing".to_owned(),
            title: "Timing".to_owned(),
            lines: vec![line(0, true, &[(4.0, 10.0)])],
            median: vec![(4.0, 10.0)],
        };
        assert_eq!(TimingFigure::new(&plot, None, &Size::LARGE).ideal, None);
    }
}
