//! `labgrade publish`: a copy of the course that students' CI may read (the harness, the rubrics,
//! each exercise's skeleton), never a reference solution, a fixture, a rubric's hidden tests (a
//! `hidden-tests` folder) or the course's history.
//!
//! Whatever students' CI can read, a student can read: they edit the workflow in their own pull
//! request. So the copy is planned first, every file of it is compared byte for byte with every
//! file of a `solution/` folder and of a fixture whose `fixture.toml` says `kind = "correct"`,
//! and only then written.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, io};
use crate::selfcheck::{MANIFEST as FIXTURE_MANIFEST, SOLUTION_DIR};

/// What the course's top level publishes; everything else there (`tests/` with its fixtures,
/// `scripts/`, `.ci/`, `.git`, `target/`, notes) is left out.
const TOP_LEVEL: [&str; 15] = [
    "Cargo.toml",
    "Cargo.lock",
    "rust-toolchain",
    "rust-toolchain.toml",
    "rustfmt.toml",
    "clippy.toml",
    ".cargo",
    ".gitignore",
    "README.md",
    "ARCHITECTURE.md",
    "docs",
    "harness",
    "rubrics",
    "templates",
    "exercises",
];

/// A published copy of the course.
#[derive(Debug)]
pub struct Published {
    /// Where it was written.
    pub out: PathBuf,
    /// Every file written, relative to `out`, sorted.
    pub written: Vec<PathBuf>,
    /// What was left out, relative to the course, sorted.
    pub left_out: Vec<LeftOut>,
    /// Workspace members left out of `Cargo.toml` (and their packages out of `Cargo.lock`).
    pub members_dropped: Vec<String>,
}

/// A file or folder of the course that was not published, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LeftOut {
    /// Relative to the course.
    pub path: PathBuf,
    /// Why.
    pub why: &'static str,
}

/// Why a course could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The output folder is the course or inside it.
    #[error(
        "`{}` is inside the course `{}`; publish to a folder outside it, such as `../course-public`",
        out.display(), root.display()
    )]
    OutInsideCourse {
        /// The output folder.
        out: PathBuf,
        /// The course.
        root: PathBuf,
    },
    /// The output folder holds something already.
    #[error(
        "`{}` is not empty; publish to a new or empty folder (remove it, or pass another `--out`)",
        out.display()
    )]
    OutNotEmpty {
        /// The output folder.
        out: PathBuf,
    },
    /// A file that would be published equals a reference solution's file or a correct
    /// fixture's, byte for byte: a bug in the course.
    #[error(
        "`{}` equals `{}` byte for byte, so publishing it would hand students an answer; make the skeleton differ from the solution (or remove the copy), then publish again",
        file.display(), answer.display()
    )]
    RevealsAnswer {
        /// The course's file that would be published.
        file: PathBuf,
        /// The solution or correct fixture file it equals.
        answer: PathBuf,
    },
    /// The workspace manifest cannot be adjusted.
    #[error("workspace `{}`: {problem}", path.display())]
    Workspace {
        /// `Cargo.toml` or `Cargo.lock`.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Reading the course or writing the copy failed.
    #[error(transparent)]
    Io(#[from] Error),
}

impl PublishError {
    /// Whether the error is in what the user gave (the folders, the course), as opposed to the
    /// machine.
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::Io(error) => error.is_bad_input(),
            _ => true,
        }
    }
}

/// One file of the plan: its content comes from the course's file `from` or is given.
struct Planned {
    from: PathBuf,
    content: Option<Vec<u8>>,
}

/// Publishes the course at `root` into `out`, which must be outside the course and new or
/// empty.
pub fn publish(root: &Path, out: &Path) -> Result<Published, PublishError> {
    let root = root.canonicalize().map_err(io("read", root))?;
    check_out(&root, out)?;
    let mut plan = BTreeMap::new();
    let mut left_out = Vec::new();
    let entries = sorted_entries(&root)?;
    for (name, path) in entries {
        let rel = PathBuf::from(&name);
        if !TOP_LEVEL.contains(&name.as_str()) && leave_out(&rel, &path, false).is_none() {
            left_out.push(LeftOut {
                path: rel,
                why: "not needed to build labgrade or to grade",
            });
            continue;
        }
        walk(&root, &path, &rel, &mut plan, &mut left_out)?;
    }
    let members_dropped = adjust_workspace(&root, &mut plan)?;
    check_answers(&root, &plan)?;
    let written = write(&plan, out)?;
    left_out.sort();
    Ok(Published {
        out: out.to_owned(),
        written,
        left_out,
        members_dropped,
    })
}

/// Refuses an `out` inside the course or not empty.
fn check_out(root: &Path, out: &Path) -> Result<(), PublishError> {
    let absolute = resolved(out)?;
    if absolute.starts_with(root) {
        return Err(PublishError::OutInsideCourse {
            out: out.to_owned(),
            root: root.to_owned(),
        });
    }
    match fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(PublishError::OutNotEmpty {
                    out: out.to_owned(),
                });
            }
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotADirectory => {
            Err(PublishError::OutNotEmpty {
                out: out.to_owned(),
            })
        }
        Err(error) => Err(io("read", out)(error).into()),
    }
}

/// `path` made absolute, its longest existing ancestor with links resolved and the rest (which
/// holds no link, since it does not exist) with `..` taken lexically, so that a path reaching
/// into the course through a link or `..` is seen inside it.
fn resolved(path: &Path) -> Result<PathBuf, PublishError> {
    let absolute = std::path::absolute(path).map_err(io("find", path))?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    let real = loop {
        if let Ok(real) = existing.canonicalize() {
            break real;
        }
        let Some(parent) = existing.parent() else {
            break PathBuf::from("/");
        };
        rest.extend(existing.strip_prefix(parent).ok().map(Path::to_owned));
        existing = parent;
    };
    Ok(rest
        .iter()
        .rev()
        .fold(real, |mut dir, part| match part.to_str() {
            Some("..") => {
                dir.pop();
                dir
            }
            Some(".") => dir,
            _ => dir.join(part),
        }))
}

/// The entries of `dir` by name, sorted.
fn sorted_entries(dir: &Path) -> Result<Vec<(String, PathBuf)>, Error> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(io("read", dir))? {
        let entry = entry.map_err(io("read", dir))?;
        entries.push((
            entry.file_name().to_string_lossy().into_owned(),
            entry.path(),
        ));
    }
    entries.sort();
    Ok(entries)
}

/// Plans `path` (at `rel` in the course): a file is published; a folder is walked, but a
/// `solution/` folder, a fixture, build output and git history are left out at any depth.
fn walk(
    root: &Path,
    path: &Path,
    rel: &Path,
    plan: &mut BTreeMap<PathBuf, Planned>,
    left_out: &mut Vec<LeftOut>,
) -> Result<(), Error> {
    let file_type = fs::symlink_metadata(path)
        .map_err(io("read", path))?
        .file_type();
    if let Some(why) = leave_out(rel, path, file_type.is_symlink()) {
        left_out.push(LeftOut {
            path: rel.to_owned(),
            why,
        });
    } else if file_type.is_dir() {
        for (name, child) in sorted_entries(path)? {
            walk(root, &child, &rel.join(name), plan, left_out)?;
        }
    } else if file_type.is_file() {
        plan.insert(
            rel.to_owned(),
            Planned {
                from: root.join(rel),
                content: None,
            },
        );
    } else {
        left_out.push(LeftOut {
            path: rel.to_owned(),
            why: "not a regular file",
        });
    }
    Ok(())
}

/// Why `path` (at `rel` in the course) is left out at any depth, if it is: a link, a
/// `solution/` folder, a fixture, build output, git history or a rubric's hidden tests.
fn leave_out(rel: &Path, path: &Path, is_symlink: bool) -> Option<&'static str> {
    let name = rel.file_name().unwrap_or_default();
    if is_symlink {
        Some("a symbolic link (published copies hold only regular files)")
    } else if name == SOLUTION_DIR {
        Some("reference solution")
    } else if name == "target" {
        Some("build output")
    } else if name == ".git" {
        Some("git history")
    } else if name == crate::rubric::HIDDEN_TESTS_FOLDER {
        Some("hidden tests")
    } else if path.join(FIXTURE_MANIFEST).is_file() {
        Some("fixture")
    } else {
        None
    }
}

/// Drops from the workspace's `members` those whose folder is not published, and their packages
/// (and what only they needed) from `Cargo.lock`. Returns the members dropped.
fn adjust_workspace(
    root: &Path,
    plan: &mut BTreeMap<PathBuf, Planned>,
) -> Result<Vec<String>, PublishError> {
    let manifest_path = root.join("Cargo.toml");
    let Ok(text) = fs::read_to_string(&manifest_path) else {
        return Ok(Vec::new());
    };
    let problem = |problem: String| PublishError::Workspace {
        path: manifest_path.clone(),
        problem,
    };
    let mut manifest: toml::Table = toml::from_str(&text).map_err(|e| problem(e.to_string()))?;
    let Some(members) = manifest
        .get_mut("workspace")
        .and_then(|workspace| workspace.get_mut("members"))
        .and_then(toml::Value::as_array_mut)
    else {
        return Ok(Vec::new());
    };
    let mut dropped = Vec::new();
    members.retain(|member| {
        let Some(member) = member.as_str() else {
            return true;
        };
        // A glob matches what is published, whatever that is.
        let published =
            member.contains('*') || plan.contains_key(&Path::new(member).join("Cargo.toml"));
        if !published {
            dropped.push(member.to_owned());
        }
        published
    });
    if dropped.is_empty() {
        return Ok(dropped);
    }
    let header = format!(
        "# Written by `labgrade publish`, which left out the workspace members {}.\n",
        dropped.join(", ")
    );
    let body = toml::to_string(&manifest).map_err(|e| problem(e.to_string()))?;
    plan.insert(
        PathBuf::from("Cargo.toml"),
        Planned {
            from: manifest_path.clone(),
            content: Some(format!("{header}{body}").into_bytes()),
        },
    );
    let lock_path = root.join("Cargo.lock");
    if let Ok(lock) = fs::read_to_string(&lock_path) {
        let names = dropped
            .iter()
            .map(|member| package_name(&root.join(member)))
            .collect::<Result<BTreeSet<_>, _>>()?;
        let lock = prune_lock(&lock, &names).map_err(|problem| PublishError::Workspace {
            path: lock_path.clone(),
            problem,
        })?;
        plan.insert(
            PathBuf::from("Cargo.lock"),
            Planned {
                from: lock_path,
                content: Some(lock.into_bytes()),
            },
        );
    }
    Ok(dropped)
}

/// The `package.name` of the package in `dir`.
fn package_name(dir: &Path) -> Result<String, PublishError> {
    let path = dir.join("Cargo.toml");
    let text = fs::read_to_string(&path).map_err(io("read", &path))?;
    let manifest: toml::Table = toml::from_str(&text).map_err(|e| PublishError::Workspace {
        path: path.clone(),
        problem: e.to_string(),
    })?;
    manifest
        .get("package")
        .and_then(|package| package.get("name"))
        .and_then(toml::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| PublishError::Workspace {
            path,
            problem: "no `package.name`".to_owned(),
        })
}

/// `lock` without the local packages named in `dropped` and the packages only they needed,
/// every other line as cargo wrote it (so that `cargo build --locked` accepts it). A package
/// that is kept and needs a dropped one is an error.
fn prune_lock(lock: &str, dropped: &BTreeSet<String>) -> Result<String, String> {
    struct Package {
        name: String,
        version: String,
        local: bool,
        dependencies: Vec<String>,
    }
    let blocks: Vec<&str> = lock.split("\n\n").collect();
    let mut packages = HashMap::new();
    for (index, block) in blocks.iter().enumerate() {
        if !block.trim_start().starts_with("[[package]]") {
            continue;
        }
        let table: toml::Table = toml::from_str(block).map_err(|e| e.to_string())?;
        let Some(package) = table
            .get("package")
            .and_then(toml::Value::as_array)
            .and_then(|packages| packages.first())
        else {
            continue;
        };
        let field = |key: &str| package.get(key).and_then(toml::Value::as_str);
        let dependencies = package
            .get("dependencies")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(toml::Value::as_str)
            .map(str::to_owned)
            .collect();
        packages.insert(
            index,
            Package {
                name: field("name").unwrap_or_default().to_owned(),
                version: field("version").unwrap_or_default().to_owned(),
                local: field("source").is_none(),
                dependencies,
            },
        );
    }
    // A dependency is written `name`, `name version` or `name version (source)`.
    let find = |dependency: &str| {
        let mut words = dependency.split(' ');
        let name = words.next().unwrap_or_default();
        let version = words.next();
        packages
            .iter()
            .find(|(_, package)| {
                package.name == name && version.is_none_or(|version| package.version == version)
            })
            .map(|(index, _)| *index)
    };
    let mut kept: BTreeSet<usize> = packages
        .iter()
        .filter(|(_, package)| package.local && !dropped.contains(&package.name))
        .map(|(index, _)| *index)
        .collect();
    let mut todo: Vec<usize> = kept.iter().copied().collect();
    while let Some(index) = todo.pop() {
        for dependency in &packages[&index].dependencies {
            let Some(needed) = find(dependency) else {
                continue;
            };
            if packages[&needed].local && dropped.contains(&packages[&needed].name) {
                return Err(format!(
                    "package `{}` needs `{}`, whose folder is not published",
                    packages[&index].name, packages[&needed].name
                ));
            }
            if kept.insert(needed) {
                todo.push(needed);
            }
        }
    }
    Ok(blocks
        .iter()
        .enumerate()
        .filter(|(index, _)| !packages.contains_key(index) || kept.contains(index))
        .map(|(_, block)| *block)
        .collect::<Vec<_>>()
        .join("\n\n"))
}

/// Refuses a plan with a non-empty file equal to any file of a `solution/` folder or of a
/// correct fixture, anywhere in the course.
fn check_answers(root: &Path, plan: &BTreeMap<PathBuf, Planned>) -> Result<(), PublishError> {
    let mut answers: HashMap<[u8; 32], Vec<PathBuf>> = HashMap::new();
    collect_answers(root, false, &mut answers)?;
    for (rel, planned) in plan {
        let content = match &planned.content {
            Some(content) => content.clone(),
            None => fs::read(&planned.from).map_err(io("read", &planned.from))?,
        };
        if content.is_empty() {
            continue;
        }
        for answer in answers.get(&digest(&content)).into_iter().flatten() {
            if fs::read(answer).map_err(io("read", answer))? == content {
                return Err(PublishError::RevealsAnswer {
                    file: root.join(rel),
                    answer: answer.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Every file under `dir` that is an answer (`is_answer`: inside a `solution/` folder or a
/// correct fixture), by digest; `.git` and `target/` are not searched.
fn collect_answers(
    dir: &Path,
    is_answer: bool,
    answers: &mut HashMap<[u8; 32], Vec<PathBuf>>,
) -> Result<(), Error> {
    let is_answer = is_answer || dir.file_name().is_some_and(|name| name == SOLUTION_DIR) || {
        let manifest = dir.join(FIXTURE_MANIFEST);
        manifest.is_file() && is_correct_fixture(&manifest)?
    };
    for (name, path) in sorted_entries(dir)? {
        let file_type = fs::symlink_metadata(&path)
            .map_err(io("read", &path))?
            .file_type();
        if file_type.is_dir() && name != ".git" && name != "target" {
            collect_answers(&path, is_answer, answers)?;
        } else if file_type.is_file() && is_answer && name != FIXTURE_MANIFEST {
            let content = fs::read(&path).map_err(io("read", &path))?;
            answers.entry(digest(&content)).or_default().push(path);
        }
    }
    Ok(())
}

/// Whether the fixture manifest at `path` says `kind = "correct"`.
fn is_correct_fixture(path: &Path) -> Result<bool, Error> {
    let text = fs::read_to_string(path).map_err(io("read", path))?;
    // A manifest that does not parse is the self-check's to report; here, to be safe, its
    // fixture counts as an answer.
    Ok(
        toml::from_str::<toml::Table>(&text).map_or(true, |manifest| {
            manifest.get("kind").and_then(toml::Value::as_str) == Some("correct")
        }),
    )
}

fn digest(content: &[u8]) -> [u8; 32] {
    Sha256::digest(content).into()
}

/// Writes the plan into `out`; returns the files written.
fn write(plan: &BTreeMap<PathBuf, Planned>, out: &Path) -> Result<Vec<PathBuf>, Error> {
    fs::create_dir_all(out).map_err(io("create", out))?;
    for (rel, planned) in plan {
        let target = out.join(rel);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(io("create", parent))?;
        }
        match &planned.content {
            Some(content) => fs::write(&target, content).map_err(io("write", &target))?,
            None => {
                fs::copy(&planned.from, &target).map_err(io("copy", &planned.from))?;
            }
        }
    }
    Ok(plan.keys().cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = "# This file is automatically @generated by Cargo.
# It is not intended for manual editing.
version = 4

[[package]]
name = \"app\"
version = \"0.1.0\"
dependencies = [
 \"shared\",
]

[[package]]
name = \"only-dropped-needs\"
version = \"1.0.0\"
source = \"registry+https://example.invalid/index\"

[[package]]
name = \"shared\"
version = \"1.0.0\"
source = \"registry+https://example.invalid/index\"

[[package]]
name = \"dropped\"
version = \"0.1.0\"
dependencies = [
 \"only-dropped-needs\",
 \"shared\",
]
";

    #[test]
    fn prune_lock_drops_the_member_and_what_only_it_needed() {
        let dropped = BTreeSet::from(["dropped".to_owned()]);
        let pruned = prune_lock(LOCK, &dropped).unwrap();
        assert!(pruned.contains("name = \"app\""), "{pruned}");
        assert!(pruned.contains("name = \"shared\""), "{pruned}");
        assert!(!pruned.contains("name = \"dropped\""), "{pruned}");
        assert!(!pruned.contains("only-dropped-needs"), "{pruned}");
        assert!(pruned.starts_with("# This file is automatically @generated by Cargo."));
        // Untouched blocks keep cargo's own formatting.
        assert!(
            pruned.contains("dependencies = [\n \"shared\",\n]"),
            "{pruned}"
        );
    }

    #[test]
    fn prune_lock_refuses_a_kept_package_that_needs_a_dropped_one() {
        let dropped = BTreeSet::from(["shared".to_owned(), "dropped".to_owned()]);
        let lock = LOCK.replace(
            "source = \"registry+https://example.invalid/index\"\n\n[[package]]\nname = \"dropped\"",
            "\n[[package]]\nname = \"dropped\"",
        );
        // `shared` is now local (no source) and dropped, and `app` needs it.
        let lock = lock.replacen(
            "name = \"shared\"\nversion = \"1.0.0\"\nsource = \"registry+https://example.invalid/index\"",
            "name = \"shared\"\nversion = \"1.0.0\"",
            1,
        );
        let error = prune_lock(&lock, &dropped).unwrap_err();
        assert!(error.contains("`app` needs `shared`"), "{error}");
    }

    #[test]
    fn dot_dot_through_a_missing_folder_is_taken_lexically() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        let inside = resolved(&dir.path().join("missing/../course/out")).unwrap();
        assert_eq!(inside, real.join("course/out"));
        let outside = resolved(&dir.path().join("course/missing/../../elsewhere")).unwrap();
        assert_eq!(outside, real.join("elsewhere"));
    }
}
