//! Snapshots of what labgrade says to a person, the same on every machine.

use super::root;

/// Insta settings whose filters stand in for what differs between machines and runs: the
/// course's folder, temporary folders, durations, whether the build was reused from the cache,
/// and the containment this machine offers (root or not, user namespaces, Landlock).
pub(crate) fn machine_independent() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex::escape(&root().display().to_string()), "[COURSE]");
    let temp = regex::escape(&std::env::temp_dir().display().to_string());
    settings.add_filter(&format!(r"{temp}/\.tmp\w+"), "[TEMP]");
    // Before the durations: a build reused says so, with the first build's time.
    settings.add_filter(r"(?m)^(\s*ok build: ).*$", "${1}[BUILD]");
    settings.add_filter(r"(?m)^sandbox: .*$", "sandbox: [CONTAINMENT]");
    settings.add_filter(r"\b\d+(\.\d+)? ?(µs|ms|s)\b", "[DURATION]");
    settings
}
