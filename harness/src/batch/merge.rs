//! `labgrade merge`: the output folders of a batch's shards joined into the one a single run
//! would have written.

use std::path::{Path, PathBuf};

use super::finish::finish;
use super::lms::{self, ClassInfo};
use super::{BatchError, BatchResult, Layout, Manifest, Record, Shard, write_atomically};
use crate::error::io;

/// Joins the output folders of the shards of one batch into `out`: the same gradebook,
/// summary and `batch.json`, byte for byte, as a single run would write, and every student's
/// reports and record.
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<BatchResult, BatchError> {
    let mut manifests = Vec::new();
    for input in inputs {
        let layout = Layout::new(input);
        let manifest = Manifest::read(&layout).map_err(BatchError::Merge)?;
        manifests.push((layout, manifest));
    }
    let Some((_, first)) = manifests.first() else {
        return Err(BatchError::Merge(
            "nothing to merge; pass the output folders of the shards".to_owned(),
        ));
    };
    let first = first.clone();
    same_class(&manifests)?;
    let mut seen = vec![false; first.shard.count as usize];
    for (layout, manifest) in &manifests {
        if manifest.rubric_key != first.rubric_key || manifest.checks != first.checks {
            return Err(BatchError::Merge(format!(
                "`{}` was graded with another rubric (or exercise package) than `{}`; grade every shard with the same one",
                layout.out().display(),
                manifests[0].0.out().display()
            )));
        }
        if manifest.shard.count != first.shard.count {
            return Err(BatchError::Merge(format!(
                "`{}` is shard {} but `{}` is shard {}; merge shards of one split",
                layout.out().display(),
                manifest.shard,
                manifests[0].0.out().display(),
                first.shard
            )));
        }
        let slot = &mut seen[manifest.shard.index as usize - 1];
        if *slot {
            return Err(BatchError::Merge(format!(
                "shard {} is given twice (again in `{}`)",
                manifest.shard,
                layout.out().display()
            )));
        }
        *slot = true;
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, seen)| !**seen)
        .map(|(index, _)| format!("{}/{}", index + 1, first.shard.count))
        .collect();
    if !missing.is_empty() {
        return Err(BatchError::Merge(format!(
            "shard{} {} {} missing; pass the output folder of every shard",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" }
        )));
    }

    let target = Layout::new(out);
    target.create()?;
    let mut students = Vec::new();
    let mut people = Vec::new();
    for (layout, manifest) in &manifests {
        people.extend(manifest.class.people.iter().cloned());
        for student in &manifest.students {
            let record = Record::read(&layout.record(student)).ok_or_else(|| {
                BatchError::Merge(format!(
                    "shard {} in `{}` has no result for student `{student}`: it did not finish; run that shard again, then merge",
                    manifest.shard,
                    layout.out().display()
                ))
            })?;
            for (from, to) in [
                (layout.report(student), target.report(student)),
                (layout.feedback(student), target.feedback(student)),
            ] {
                if from.is_file() {
                    let bytes = std::fs::read(&from).map_err(io("read", &from))?;
                    write_atomically(&to, |out| out.write_all(&bytes))?;
                }
            }
            record.write(&target.record(student))?;
            students.push(student.clone());
        }
    }
    students.sort();
    people.sort_by(|a: &lms::Person, b| a.id.cmp(&b.id));
    let manifest = Manifest {
        shard: Shard::WHOLE,
        students,
        class: ClassInfo {
            people,
            ..first.class.clone()
        },
        ..first
    };
    manifest.write(&target)?;
    Ok(finish(&target, &manifest, &[])?)
}

/// Refuses shards graded from different kinds of class download or for different gradebooks.
fn same_class(manifests: &[(Layout, Manifest)]) -> Result<(), BatchError> {
    let Some((first_layout, first)) = manifests.first() else {
        return Ok(());
    };
    match manifests.iter().find(|(_, manifest)| {
        manifest.class.source != first.class.source
            || manifest.class.gradebook != first.class.gradebook
    }) {
        Some((layout, _)) => Err(BatchError::Merge(format!(
            "`{}` was graded from another kind of class download or for another gradebook than `{}`; grade every shard with the same `--from` and `--gradebook`",
            layout.out().display(),
            first_layout.out().display()
        ))),
        None => Ok(()),
    }
}
