//! Points as people write them, in every report and in the content self-check's findings:
//! one spelling of a score everywhere, kept with the grades so that no reader of grades needs
//! the reporters for it.

/// Points as people write them: `40`, `26.67`.
#[must_use]
pub fn points(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    if (rounded - rounded.round()).abs() < f64::EPSILON {
        format!("{}", rounded.round() as i64)
    } else {
        format!("{rounded:.2}").trim_end_matches('0').to_owned()
    }
}
