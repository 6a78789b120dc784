#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu), with the
# autograder zip unpacked in /autograder/source: the course (Cargo.toml, harness/, exercises/,
# rubrics/), this file, `run_autograder` and `exercise` (the exercise to grade). See README.md.
#
# It installs what is missing (a C linker and curl from apt, only as root; Rust with rustup,
# which needs no root), builds labgrade from the course, and grades the exercise's reference
# solution once: that fills labgrade's cache with the exercise's dependencies (students'
# submissions are built offline) and proves that grading works on Gradescope's machine.
#
# AUTOGRADER_ROOT (default /autograder) moves every path, for a test run in a folder laid out
# the same way; LABGRADE names a labgrade already built (then none is built), RUBRIC a rubric
# other than `rubrics/<exercise>.toml`, RUST_TOOLCHAIN the toolchain rustup installs.
set -euo pipefail

root="${AUTOGRADER_ROOT:-/autograder}"
source_dir="$root/source"
exercise="${EXERCISE:-$(cat "$source_dir/exercise" 2>/dev/null || true)}"
if [ -z "$exercise" ]; then
  echo "setup.sh: no exercise: put its name in the file \`exercise\` at the root of the zip" >&2
  exit 2
fi
rubric="${RUBRIC:-$source_dir/rubrics/$exercise.toml}"
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$CARGO_HOME/bin:$PATH"
export LABGRADE_CACHE_DIR="${LABGRADE_CACHE_DIR:-$root/labgrade-cache}"

# Rust links with the system's C compiler, and rustup comes over HTTPS.
missing=()
command -v cc >/dev/null || missing+=(build-essential)
if ! command -v cargo >/dev/null; then
  command -v curl >/dev/null || missing+=(curl ca-certificates)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup.sh: missing ${missing[*]}; install them (as root) and run setup.sh again" >&2
    exit 1
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

if command -v cargo >/dev/null; then
  echo "setup.sh: Rust is installed already: $(cargo --version)"
else
  # rustup installs into $CARGO_HOME and $RUSTUP_HOME (under $HOME): no root needed.
  curl --proto '=https' --tlsv1.2 --fail --silent --show-error https://sh.rustup.rs \
    | sh -s -- -y --no-modify-path --profile minimal \
        --default-toolchain "${RUST_TOOLCHAIN:-stable}" --component clippy,rustfmt
  cargo --version
fi

if [ -n "${LABGRADE:-}" ]; then
  labgrade="$LABGRADE"
  echo "setup.sh: using labgrade at $labgrade"
else
  # Into $root/bin, where run_autograder finds it.
  cargo install --locked --force --path "$source_dir/harness" --root "$root"
  labgrade="$root/bin/labgrade"
fi
"$labgrade" --version
# What containment Gradescope's container offers, for the build log.
"$labgrade" doctor || true

solution="$source_dir/exercises/$exercise/solution"
echo "setup.sh: grading the reference solution of $exercise once (fills labgrade's cache)"
status=0
"$labgrade" grade "$solution" --rubric "$rubric" || status=$?
case "$status" in
  0) echo "setup.sh: the reference solution earns full marks: the autograder is ready" ;;
  1) echo "setup.sh: WARNING: the reference solution did not earn full marks on this machine;" \
       "read its report above before students submit" >&2 ;;
  *) echo "setup.sh: labgrade could not grade the reference solution (exit $status)" >&2
     exit "$status" ;;
esac

# Students' code runs in the image this builds, and where Gradescope's container refuses
# labgrade's namespaces and Landlock nothing else keeps it from reading what is in it: no
# reference solution stays once it has filled the cache. Its files and binaries are in the build
# slot: grading the skeleton (whatever its verdict) cleans the package's artifacts and puts the
# skeleton's files there, keeping the compiled dependencies. Its binaries are also kept for
# reuse (`built/`): that goes.
"$labgrade" grade "$source_dir/exercises/$exercise" --rubric "$rubric" --quiet > /dev/null || true
rm -rf "$LABGRADE_CACHE_DIR/built"
rm -rf "$source_dir"/exercises/*/solution
echo "setup.sh: removed the reference solutions from $source_dir/exercises and labgrade's cache"
