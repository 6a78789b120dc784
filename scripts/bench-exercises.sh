#!/usr/bin/env bash
# How fast labgrade grades each exercise, against the floor (the student's own compile plus the
# rubric's runs, untraced) and, for a class, `labgrade batch` against a loop of `labgrade grade`,
# all measured in the same run, with the load the rest of the machine put on it meanwhile. Prints
# one line of figures per exercise; asserts nothing.
#
# Usage: bash scripts/bench-exercises.sh [EXERCISE...]
#   EXERCISE: a rubric's name (`sum-array` for rubrics/sum-array.toml); default every rubric.
#   BENCH_CLASS=0: skip the class part (batch against loop), the long one.
#   BENCH_JOBS: `--jobs` of the batch, default 2.
#   BENCH_HOSTILE=1: put the `hostile` fixtures in the class too (see the class, below).
#   BENCH_DIR: where the build cache and the floor's workspaces are kept between runs, default
#     $CARGO_TARGET_DIR/bench-exercises (or target/bench-exercises). The first run compiles
#     every exercise's dependencies there (untimed, a few minutes); later runs reuse them.
#
# Not part of CI: on an idle 2-core machine all eleven exercises take about 25 minutes, the
# class part most of it (a few minutes with BENCH_CLASS=0). Needs python3 >= 3.11 (tomllib) and
# jq.
#
# For each exercise, in this order:
#   warm-up   (untimed) `cargo build --release -p labgrade` once, then `labgrade grade` of the
#             reference solution `exercises/<e>/solution`: the build slot ws-0 has compiled the
#             dependencies, and the solution's own files are in the cache.
#   grade     `labgrade grade <copy> --format json --quiet` of a fresh copy of the reference
#             solution's files (the rubric's `files`), the first one ending in a comment of its
#             own, so that nothing is reused by content and the build really compiles (its
#             report says `build.reused: false`; the script checks it). Wall time and CPU time.
#   regrade   the same command on the same copy again: the build is reused (`reused: true`,
#             checked), so this is the runs alone plus labgrade's own work.
#   floor     the work no grader can avoid, in a scratch copy of the exercise package (and the
#             support crate beside it, in a workspace of its own with the repository's Cargo.lock)
#             holding the solution's files, built once untimed: touch the rubric's files and time
#             `cargo build --offline --bins [--release]` (the rubric's `[build] profile`), which
#             compiles only the student's binaries; then every case of the grade's JSON report,
#             run bare (no labgrade, no tracing, no supervisor) as its `replay.command` says
#             (`target/<profile>/<bin> args...`, relative to the package, so taken from the scratch
#             copy's target folder), with a clean environment (PATH, HOME) plus its `replay.env`,
#             stdin from /dev/null, output to /dev/null, in an empty folder of its own, as many
#             times as the case's `runs` (what labgrade ran; cases with the same command line,
#             environment and limits, which labgrade judges on shared runs, count once, with the
#             most runs of them). The floor is the build's wall time
#             plus the sum of the runs' wall times. What labgrade adds to a run (tracing,
#             start-together's 50 ms, perturbation delays, holding until waited) is not in it.
#   ratio     grade / floor, wall times.
#   class     (BENCH_CLASS=0 skips it) the students are the exercise's fixtures of kind `correct`
#             and `mutant` (tests/fixtures/<e>/*: right or wrong programs, as students write
#             them) plus the reference solution. `hostile` fixtures (sum-array's compiler bomb,
#             fork bomb, infinite loop ...) test containment and sit out the time limits by design
#             (the compiler bomb 5 minutes); BENCH_HOSTILE=1 adds them. Two copies of the class
#             are made, every .rs file of every student ending in a comment of its own: one for
#             `labgrade batch <class> --jobs $BENCH_JOBS --quiet`, one for the loop
#             `for s in class/*; do labgrade grade $s --format json --quiet; done`. So neither side
#             reuses a build of the other, nor of the grade above: both compile every student, as
#             for a class handed in for the first time (reuse is what the regrade column shows).
#             Before it, an untimed batch of $BENCH_JOBS fresh copies of the solution makes every
#             build slot (ws-0, ws-1, ...) compile the dependencies, so that the timed batch does
#             not pay for a cold slot. Wall time and CPU time of each side.
#
# CPU time is user + system of everything the step started, children included (bash `times` in
# this shell, before and after: processes a step leaves behind and nobody waits for are not
# counted). The load: /proc/loadavg at the start and the end, and the CPU time the rest of the
# machine used during the whole run and during each exercise: the busy time of every core
# (/proc/stat) minus this script's own CPU time and its children's. A few tenths of a second are
# noise; beyond 10% of the machine the figures are skewed (wall times most), and it says so.
#
# Output (stdout): `#` lines (machine, date, load) and one line per exercise, columns separated by
# spaces, `-` for a figure not measured:
#   exercise grade_s cpu_s regrade_s floor_s ratio batch_s loop_s batch/loop  then
#   regrade_cpu_s build_s floor_build_s floor_runs_s runs students batch_cpu_s loop_cpu_s others_cpu_s
# where build_s is the compile of the grade as its report says (`build.duration_ms`), runs the
# program runs of the floor, students the size of the class, others_cpu_s the CPU time the rest of
# the machine used while this exercise was measured. Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

jobs=${BENCH_JOBS:-2}
class_part=${BENCH_CLASS:-1}
hostile=${BENCH_HOSTILE:-0}
target_root=${CARGO_TARGET_DIR:-$root/target}
bench_dir=${BENCH_DIR:-$target_root/bench-exercises}
python3 -c 'import tomllib' 2> /dev/null || {
  echo "bench-exercises.sh needs python3 >= 3.11 (tomllib, to read the rubrics)" >&2
  exit 2
}
command -v jq > /dev/null || {
  echo "bench-exercises.sh needs jq (to read labgrade's reports)" >&2
  exit 2
}

exercises=("$@")
if ((${#exercises[@]} == 0)); then
  for rubric in rubrics/*.toml; do exercises+=("$(basename "$rubric" .toml)"); done
fi
for exercise in "${exercises[@]}"; do
  if [[ ! -f rubrics/$exercise.toml ]]; then
    known=()
    for rubric in rubrics/*.toml; do known+=("$(basename "$rubric" .toml)"); done
    echo "no rubric rubrics/$exercise.toml; the exercises are: ${known[*]}" >&2
    exit 2
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-exercises.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Measures ------------------------------------------------------------------------------------
# shellcheck source=scripts/measure.sh
source "$root/scripts/measure.sh"
# A timed step: `step_start`, the work, then `step_end`, which sets `step_s` (wall seconds) and
# `step_cpu` (CPU seconds of everything the step started).
step_start() {
  cpu_now
  step_cpu0=$cpu_total
  step_t0=$(now)
}
step_end() {
  local t1
  t1=$(now)
  cpu_now
  step_s=$(elapsed "$step_t0" "$t1")
  step_cpu=$(elapsed "$step_cpu0" "$cpu_total")
}
# Sets `others_s` to the CPU seconds the rest of the machine used since `others_start`.
others_start() {
  cpu_now
  busy_now
  others_cpu0=$cpu_total others_busy0=$busy_total others_t0=$(now)
}
others_end() {
  cpu_now
  busy_now
  others_s=$(calc "($busy_total - $others_busy0) - ($cpu_total - $others_cpu0)")
  others_wall=$(elapsed "$others_t0" "$(now)")
}

# --- Copies --------------------------------------------------------------------------------------
# The rubric's `files`, `package` (absolute) and build profile, one per line: files first, then
# `package <dir>` and `profile <release|dev>`.
rubric_facts() {
  python3 - "$1" << 'PY'
import os, sys, tomllib
path = sys.argv[1]
with open(path, "rb") as f:
    rubric = tomllib.load(f)
for file in rubric["exercise"]["files"]:
    print("file", file)
print("package", os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), rubric["exercise"]["package"])))
print("profile", rubric.get("build", {}).get("profile", "release"))
PY
}
nonce=0
# Appends a comment of its own to file $1, so that its bytes are like no other copy's.
make_unique() {
  nonce=$((nonce + 1))
  printf '\n// bench-exercises copy %s %s %s\n' "$nonce" "$EPOCHREALTIME" "$RANDOM" >> "$1"
}
# Copies submission folder $1 (the rubric's files, or a fixture) to $2 without fixture.toml, every
# .rs file made unique.
unique_copy() {
  local file
  mkdir -p "$(dirname "$2")"
  cp -R "$1" "$2"
  rm -f "$2/fixture.toml"
  while IFS= read -r -d '' file; do make_unique "$file"; done < <(find "$2" -name '*.rs' -print0)
}

# --- The floor's bare runs -----------------------------------------------------------------------
# Runs every case of JSON report $1 bare, `runs` times each, the binaries taken from target folder
# $2; prints `<sum of wall seconds> <runs> <runs past their time limit>`.
bare_runs() {
  python3 - "$1" "$2" << 'PY'
import json, os, shutil, subprocess, sys, tempfile, time
report, target = json.load(open(sys.argv[1])), sys.argv[2]
base = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
# Checks of one invocation are judged on the same runs (rubrics/README.md, `repeat`), each case
# listing them: runs of one command line, environment and limits count once, as many as the
# case with the most of them, so the floor is not charged for runs labgrade shares.
def key(replay):
    env = {k: v for k, v in replay.get("env", {}).items() if k != "LABGRADE_SEED"}
    rest = {k: v for k, v in replay.items() if k not in ("seed", "run", "env", "shell")}
    return json.dumps([env, rest], sort_keys=True)
distinct = {}
for check in report.get("checks", []):
    for case in check.get("cases") or []:
        k = key(case["replay"])
        if case.get("runs", 1) > distinct.get(k, (0, None))[0]:
            distinct[k] = (case.get("runs", 1), case)
total, count, timeouts = 0.0, 0, 0
for runs, case in distinct.values():
    replay = case["replay"]
    command = list(replay["command"])
    if not command[0].startswith("target/"):
        sys.exit(f"unexpected replay command {command!r} in case {case['name']}")
    command[0] = os.path.join(target, command[0][len("target/"):])
    env = dict(base, **replay.get("env", {}))
    limit = replay.get("limits", {}).get("timeout_ms", 10000) / 1000
    for _ in range(runs):
        scratch = tempfile.mkdtemp(prefix="bare-")
        t0 = time.monotonic()
        try:
            subprocess.run(command, env=env, cwd=scratch, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=limit, start_new_session=True)
        except subprocess.TimeoutExpired:
            timeouts += 1
        total += time.monotonic() - t0
        count += 1
        shutil.rmtree(scratch, ignore_errors=True)
print(f"{total:.3f} {count} {timeouts}")
PY
}

# --- Start ---------------------------------------------------------------------------------------
echo "building labgrade (release)" >&2
cargo build --quiet --release --package labgrade
labgrade=$target_root/release/labgrade
cache=$bench_dir/cache
mkdir -p "$cache" "$bench_dir/floor"
export LABGRADE_CACHE_DIR=$cache

load_start=$(cat /proc/loadavg)
run_t0=$(now)
others_start
run_cpu0=$others_cpu0 run_busy0=$others_busy0
echo "# labgrade per-exercise benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), Linux $(uname -r), batch --jobs $jobs"
echo "# load average at start: $load_start"
printf '%-18s %7s %6s %9s %7s %6s %7s %7s %10s %13s %7s %13s %12s %5s %8s %11s %10s %12s\n' \
  exercise grade_s cpu_s regrade_s floor_s ratio batch_s loop_s batch/loop \
  regrade_cpu_s build_s floor_build_s floor_runs_s runs students batch_cpu_s loop_cpu_s others_cpu_s

warnings=()
for exercise in "${exercises[@]}"; do
  rubric=$root/rubrics/$exercise.toml
  files=()
  package='' profile=''
  while read -r key value; do
    case $key in
      file) files+=("$value") ;;
      package) package=$value ;;
      profile) profile=$value ;;
    esac
  done < <(rubric_facts "$rubric")
  solution=$package/solution
  work=$tmp/$exercise
  mkdir -p "$work"

  echo "$exercise: warm-up" >&2
  status=0
  "$labgrade" grade "$solution" --rubric "$rubric" --format json --quiet > "$work/warm.json" || status=$?
  if ((status != 0)); then
    warnings+=("$exercise: the reference solution did not get full marks at warm-up (exit $status)")
  fi

  others_start

  # --- grade and regrade of a fresh copy of the solution ---
  mkdir -p "$work/fresh"
  for file in "${files[@]}"; do
    mkdir -p "$work/fresh/$(dirname "$file")"
    cp "$solution/$file" "$work/fresh/$file"
  done
  make_unique "$work/fresh/${files[0]}"
  echo "$exercise: grade (fresh copy), regrade" >&2
  step_start
  status=0
  "$labgrade" grade "$work/fresh" --rubric "$rubric" --format json --quiet > "$work/fresh.json" || status=$?
  step_end
  grade_s=$step_s grade_cpu=$step_cpu
  read -r reused score max build_ms < <(jq -r '"\(.build.reused // false) \(.score) \(.max_score) \(.build.duration_ms)"' "$work/fresh.json")
  build_s=$(calc "$build_ms / 1000")
  if [[ $reused != false ]]; then warnings+=("$exercise: the fresh grade reused a build"); fi
  if ((status != 0)) || [[ $score != "$max" ]]; then
    warnings+=("$exercise: the fresh copy of the solution scored $score of $max (exit $status)")
  fi
  step_start
  "$labgrade" grade "$work/fresh" --rubric "$rubric" --format json --quiet > "$work/regrade.json" || true
  step_end
  regrade_s=$step_s regrade_cpu=$step_cpu
  if [[ $(jq -r '.build.reused // false' "$work/regrade.json") != true ]]; then
    warnings+=("$exercise: the regrade did not reuse the build")
  fi

  # --- floor ---
  echo "$exercise: floor" >&2
  floor=$bench_dir/floor/$exercise
  name=$(basename "$package")
  mkdir -p "$floor"
  rm -rf "${floor:?}/$name" "$floor/support"
  cp -R "$package" "$floor/$name"
  cp -R "$root/exercises/support" "$floor/support"
  rm -rf "$floor/$name/solution" "$floor/$name/target" "$floor/support/target"
  # A workspace of its own (as labgrade's build slots are), so that no parent manifest applies
  # when BENCH_DIR lies inside this repository.
  printf '[workspace]\nresolver = "3"\nmembers = ["%s"]\n' "$name" > "$floor/Cargo.toml"
  cp "$root/Cargo.lock" "$floor/Cargo.lock"
  for file in "${files[@]}"; do cp "$solution/$file" "$floor/$name/$file"; done
  build_args=(build --offline --bins --quiet)
  if [[ $profile == release ]]; then build_args+=(--release); fi
  (cd "$floor/$name" && CARGO_TARGET_DIR=$floor/target cargo "${build_args[@]}")
  for file in "${files[@]}"; do touch "$floor/$name/$file"; done
  step_start
  (cd "$floor/$name" && CARGO_TARGET_DIR=$floor/target cargo "${build_args[@]}")
  step_end
  floor_build_s=$step_s
  # Into a file, not `< <(...)`: bash does not wait for a process substitution, so the CPU of
  # its runs would be counted as the rest of the machine's.
  bare_runs "$work/fresh.json" "$floor/target" > "$work/bare"
  read -r floor_runs_s runs timeouts < "$work/bare"
  if ((timeouts > 0)); then warnings+=("$exercise: $timeouts bare runs of the floor ran past their time limit"); fi
  floor_s=$(calc "$floor_build_s + $floor_runs_s")
  ratio=$(calc "$grade_s / $floor_s")

  # --- class: batch against the loop ---
  batch_s=- loop_s=- batch_loop=- batch_cpu=- loop_cpu=- students=-
  if [[ $class_part != 0 ]]; then
    echo "$exercise: class (warm-up of $jobs build slots, batch, loop)" >&2
    for i in $(seq 1 "$jobs"); do unique_copy "$work/fresh" "$work/warm-class/w$i"; done
    "$labgrade" batch "$work/warm-class" --rubric "$rubric" --out "$work/out-warm" --jobs "$jobs" --quiet \
      > "$work/warm-class.log" 2>&1 || true
    students=0
    for fixture in "$root/tests/fixtures/$exercise"/*/; do
      kind=$(sed -n 's/^kind = "\(.*\)"/\1/p' "$fixture/fixture.toml" 2> /dev/null || true)
      if [[ $kind == correct || $kind == mutant ]] || { [[ $hostile != 0 ]] && [[ $kind == hostile ]]; }; then
        id=$(basename "$fixture")
        unique_copy "$fixture" "$work/class-batch/$id"
        unique_copy "$fixture" "$work/class-loop/$id"
        students=$((students + 1))
      fi
    done
    unique_copy "$work/fresh" "$work/class-batch/reference_solution"
    unique_copy "$work/fresh" "$work/class-loop/reference_solution"
    students=$((students + 1))

    step_start
    status=0
    "$labgrade" batch "$work/class-batch" --rubric "$rubric" --out "$work/out-batch" --jobs "$jobs" --quiet \
      > "$work/batch.log" 2>&1 || status=$?
    step_end
    batch_raw=$step_s batch_s=$(calc "$step_s") batch_cpu=$(calc "$step_cpu")
    if ((status > 1)); then warnings+=("$exercise: labgrade batch exited with code $status (see its log)"); fi

    mkdir -p "$work/out-loop"
    step_start
    for student in "$work/class-loop"/*/; do
      id=$(basename "$student")
      "$labgrade" grade "$student" --rubric "$rubric" --format json --quiet > "$work/out-loop/$id.json" || true
    done
    step_end
    batch_loop=$(calc "$batch_raw / $step_s")
    loop_s=$(calc "$step_s") loop_cpu=$(calc "$step_cpu")

    # Both sides graded the same students: compare their scores (a flaky mutant may differ).
    differ=()
    for student in "$work/class-loop"/*/; do
      id=$(basename "$student")
      a=$(jq -r '.score' "$work/out-batch/reports/$id.json" 2> /dev/null || echo none)
      b=$(jq -r '.score' "$work/out-loop/$id.json" 2> /dev/null || echo none)
      if [[ $a != "$b" ]]; then differ+=("$id (batch $a, loop $b)"); fi
    done
    if ((${#differ[@]} > 0)); then
      warnings+=("$exercise: batch and loop scored ${#differ[@]} of $students students differently: ${differ[*]}")
    fi
  fi

  others_end
  printf '%-18s %7.2f %6.2f %9.2f %7.2f %6.2f %7s %7s %10s %13.2f %7.2f %13.2f %12.2f %5d %8s %11s %10s %12.1f\n' \
    "$exercise" "$grade_s" "$grade_cpu" "$regrade_s" "$floor_s" "$ratio" "$batch_s" "$loop_s" \
    "$batch_loop" "$regrade_cpu" "$build_s" "$floor_build_s" "$floor_runs_s" "$runs" "$students" \
    "$batch_cpu" "$loop_cpu" "$others_s"
  rm -rf "$work"
done

# --- The load over the whole run -----------------------------------------------------------------
others_cpu0=$run_cpu0 others_busy0=$run_busy0 others_t0=$run_t0
others_end
echo "# load average at end: $(cat /proc/loadavg)"
share=$(calc "100 * $others_s / ($others_wall * $(nproc))")
echo "# others' CPU during the run: ${others_s} s over ${others_wall} s of wall time, ${share}% of the machine"
echo "# run: $(calc "$others_wall / 60") min"
if awk -v share="$share" 'BEGIN { exit !(share > 10) }'; then
  echo "# WARNING: other processes kept the machine ${share}% busy: every figure is skewed (wall times most)"
fi
for warning in "${warnings[@]}"; do echo "# WARNING: $warning"; done
