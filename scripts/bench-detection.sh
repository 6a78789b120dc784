#!/usr/bin/env bash
# How often each mutant fixture is caught, per grading and per run, for every exercise whose
# rubric repeats a check (`repeat = N`): each mutant (`tests/fixtures/<exercise>/<name>/` with
# `kind = "mutant"` and `breaks = "<check>"` in its fixture.toml) is graded K times (default 5)
# by the release labgrade with `--every-run` (every repeat is made even after a failed one) and
# a fresh seed each time. For the check the mutant breaks, one line says:
#   exercise | mutant | breaks | repeat | caught | failed runs | p | miss chance | load
# - repeat: the check's `repeat` N in the rubric graded with;
# - caught: gradings (of K) in which that check lost points (what a student sees);
# - failed runs: runs of the check's cases that failed, out of the runs made (every run of
#   every grading); p, the per-run detection rate, is their ratio;
# - miss chance: the chance that one grading lets the mutant through, (1-p)^N (for a check
#   with several cases, the product of each case's (1-p)^N); 0 when no run passed, which says
#   "0 of R runs passed": with R runs that all failed, the per-run miss rate is below 3/R with
#   95% confidence, no better;
# - load: the load average (/proc/loadavg, 1 minute) when the mutant's gradings began and ended.
# A check that never ran (skipped every time because a check it `needs` failed) has no runs:
# "-". Then, for every repeated check, the smallest repeat whose miss chance stays below 1 in
# 10 000 for every mutant that breaks it, from p measured (from the 95% bound 1-0.05^(1/R)
# where no run passed, counting one run per repeat: for a check with several cases, which
# makes one run of each per repeat, that is on the safe side).
#
# Before and after a change of the rubrics, on the same machine in the same session:
#   bash scripts/bench-detection.sh 5                      # the rubrics in rubrics/
#   cp -r rubrics /tmp/after && sed -i 's/^repeat = 4$/repeat = 2/' /tmp/after/race-condition.toml
#   RUBRIC_DIR=/tmp/after bash scripts/bench-detection.sh 5 race-condition
# A rubric in RUBRIC_DIR whose relative `package` does not resolve from there is graded from a
# temporary copy with the package path made absolute (this repository's exercises/<exercise>).
#
# Usage: [RUBRIC_DIR=<dir>] [REPORTS=<dir>] bash scripts/bench-detection.sh [K] [EXERCISE...]
#   K: gradings per mutant (default 5). EXERCISE: only these (default: every exercise whose
#   rubric in rubrics/ or RUBRIC_DIR repeats a check). REPORTS: keep every JSON report there
#   (<exercise>/<mutant>/<n>.json; each has its seed, so `labgrade replay` reruns a case).
# K = 5 over the nine exercises took 52 minutes on two cores with the rubrics of 2026-12-06
# (ipc-handover 19 minutes, race-condition 11, the others 1.5 to 5 each): see docs/detection.md.
set -euo pipefail
cd "$(dirname "$0")/.."
gradings=${1:-5}
shift || true
if ! [[ $gradings =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: [RUBRIC_DIR=<dir>] bash scripts/bench-detection.sh [K] [EXERCISE...]" >&2
  exit 2
fi
rubric_dir=${RUBRIC_DIR:-rubrics}
cargo build --quiet --release --package labgrade
labgrade=${CARGO_TARGET_DIR:-target}/release/labgrade
# labgrade needs its cache folder to exist.
if [[ -n ${LABGRADE_CACHE_DIR:-} ]]; then mkdir -p "$LABGRADE_CACHE_DIR"; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
reports=${REPORTS:-$tmp/reports}
repo=$(pwd)

if (($# > 0)); then
  exercises=("$@")
else
  # Every exercise with a repeated check in either folder's rubrics, so that an "after" with a
  # check's repeat brought down to 1 still covers the exercise.
  mapfile -t exercises < <(python3 - rubrics "$rubric_dir" <<'EOF'
import glob, os, sys, tomllib
found = set()
for folder in sys.argv[1:]:
    for path in glob.glob(os.path.join(folder, "*.toml")):
        with open(path, "rb") as file:
            rubric = tomllib.load(file)
        if any(check.get("repeat", 1) > 1 for check in rubric.get("check", [])):
            found.add(os.path.splitext(os.path.basename(path))[0])
print("\n".join(sorted(found)))
EOF
  )
fi

# The rubric of an exercise, as graded: $rubric_dir/<exercise>.toml, or a copy of it with an
# absolute package path when its relative one does not resolve from $rubric_dir.
rubric_of() {
  python3 - "$rubric_dir/$1.toml" "$repo/exercises/$1" "$tmp/rubrics" <<'EOF'
import os, re, sys
rubric, package, copies = sys.argv[1:]
text = open(rubric).read()
match = re.search(r'^package = "([^"]*)"', text, re.M)
if match and not os.path.isabs(match.group(1)) and not os.path.isdir(
        os.path.join(os.path.dirname(os.path.abspath(rubric)), match.group(1))):
    os.makedirs(copies, exist_ok=True)
    copy = os.path.join(copies, os.path.basename(rubric))
    with open(copy, "w") as file:
        file.write(text[:match.start()] + f'package = "{package}"' + text[match.end():])
    rubric = copy
print(rubric)
EOF
}

load() { cut -d' ' -f1 /proc/loadavg; }

started=$(date +%s)
echo "detection of mutant fixtures: K = $gradings gradings each, --every-run, rubrics from $rubric_dir"
echo "machine: $(nproc) cores, $(uname -sr); load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
echo "exercise | mutant | breaks | repeat | caught gradings | failed runs/runs | p | miss chance per grading | load start-end"
for exercise in "${exercises[@]}"; do
  if [[ ! -f $rubric_dir/$exercise.toml ]]; then
    echo "$exercise: no rubric $rubric_dir/$exercise.toml" >&2
    exit 2
  fi
  rubric=$(rubric_of "$exercise")
  for fixture in tests/fixtures/"$exercise"/*/fixture.toml; do
    grep -q '^kind = "mutant"' "$fixture" || continue
    mutant=$(basename "$(dirname "$fixture")")
    out="$reports/$exercise/$mutant"
    mkdir -p "$out"
    load_start=$(load)
    for n in $(seq 1 "$gradings"); do
      seed=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
      # Exit 1 is a grade short of full marks, 3 an incomplete grading: the report says which.
      "$labgrade" grade "$(dirname "$fixture")" --rubric "$rubric" --every-run --format json \
        --quiet --seed "$seed" > "$out/$n.json" 2> "$out/$n.stderr" || true
    done
    load_end=$(load)
    python3 - "$fixture" "$rubric" "$out" "$gradings" "$load_start" "$load_end" \
      "$tmp/summary.jsonl" <<'EOF'
import json, math, os, sys, tomllib
fixture, rubric_path, out, gradings, load_start, load_end, summary = sys.argv[1:]
gradings = int(gradings)
with open(fixture, "rb") as file:
    breaks = tomllib.load(file)["breaks"]
with open(rubric_path, "rb") as file:
    rubric = tomllib.load(file)
exercise = rubric["exercise"]["name"]
mutant = os.path.basename(os.path.dirname(fixture))
repeat = next((c.get("repeat", 1) for c in rubric.get("check", []) if c["id"] == breaks), None)
caught = unreadable = incomplete = 0
cases = {}  # case name -> [runs, failed runs]
for n in range(1, gradings + 1):
    try:
        with open(os.path.join(out, f"{n}.json")) as file:
            report = json.load(file)
    except (OSError, ValueError):
        unreadable += 1
        continue
    check = next((c for c in report["checks"] if c["id"] == breaks), None)
    if check is None:
        unreadable += 1
        continue
    if check["status"] == "error":
        incomplete += 1
        continue
    if check["score"] < check["max_score"]:
        caught += 1
    for case in check.get("cases", []):
        tally = cases.setdefault(case["name"], [0, 0])
        tally[0] += case["runs"]
        tally[1] += case["runs"] - case["passed_runs"]
graded = gradings - unreadable - incomplete
runs = sum(t[0] for t in cases.values())
failed = sum(t[1] for t in cases.values())
if repeat is None or runs == 0:
    p = miss = "-"
else:
    p = f"{failed / runs:.2f}"
    if failed == runs:
        miss = f"0 ({runs - failed} of {runs} runs passed)"
    else:
        chance = math.prod((1 - f / r) ** repeat for r, f in cases.values() if r)
        if chance >= 0.01:
            miss = f"{chance:.2g}"
        else:
            miss = f"{chance:.1e} (1 in {round(1 / chance):,})"
notes = []
if unreadable:
    notes.append(f"{unreadable} gradings without a report of `{breaks}`")
if incomplete:
    notes.append(f"{incomplete} gradings could not grade `{breaks}`")
ratio = next((r for r in rubric.get("ratio", []) if r["id"] == breaks), None)
if ratio is not None:
    checks = ", ".join(ratio.get("of", []) + [ratio["over"]])
    notes.append(f"a ratio: no runs of its own, its figures are those of {checks}")
elif runs == 0 and graded:
    notes.append("never ran: skipped every time (a check it needs failed)")
print(" | ".join([exercise, mutant, breaks, "-" if repeat is None else str(repeat),
                  f"{caught}/{graded}", f"{failed}/{runs}", p, miss,
                  f"{load_start}-{load_end}"] + notes))
# For the summary: check, repeat, each case's runs and failed runs.
with open(summary, "a") as file:
    file.write(json.dumps({"exercise": exercise, "mutant": mutant, "check": breaks,
                           "repeat": repeat, "cases": list(cases.values())}) + "\n")
EOF
  done
done

echo
echo "what the rubrics could drop: for each repeated check, the smallest repeat whose miss chance per grading stays below 1 in 10 000 for every mutant that breaks it"
echo "- from p: with the lowest p measured among its mutants that some run let through"
echo "- all failed: for mutants that no run let through (R runs, all failed), the smallest repeat that R can vouch for: the per-run miss rate is below 1-0.05^(1/R) (about 3/R) with 95% confidence"
echo "exercise | check | repeat now | mutants (that ran it) | lowest p (mutant) | repeat from p | all failed: fewest runs R | repeat R vouches for"
python3 - "$tmp/summary.jsonl" "$rubric_dir" "${exercises[@]}" <<'EOF'
import json, math, os, sys, tomllib
summary, rubric_dir, *exercises = sys.argv[1:]
target = 1e-4
rows = [json.loads(line) for line in open(summary)] if os.path.exists(summary) else []

def repeat_for(miss_per_run):
    """The smallest repeat whose miss chance per grading, miss_per_run ** repeat, is below target."""
    if miss_per_run <= 0:
        return 1
    if miss_per_run >= 1:
        return math.inf
    return max(1, math.ceil(math.log(target) / math.log(miss_per_run)))

def shown(n):
    return "never" if n == math.inf else str(n)

for exercise in exercises:
    with open(os.path.join(rubric_dir, exercise + ".toml"), "rb") as file:
        rubric = tomllib.load(file)
    for check in rubric.get("check", []):
        repeat = check.get("repeat", 1)
        if repeat <= 1:
            continue
        mine = [r for r in rows if r["exercise"] == exercise and r["check"] == check["id"]]
        ran = [r for r in mine if sum(c[0] for c in r["cases"])]
        lowest, fewest = None, None
        for row in ran:
            # One grading's miss chance with repeat n is the product over the cases of
            # (1-p_case)^n: per run, the product of the cases' miss rates.
            runs = sum(c[0] for c in row["cases"])
            failed = sum(c[1] for c in row["cases"])
            if failed < runs:
                rate = math.prod(1 - f / r for r, f in row["cases"] if r)
                if lowest is None or rate > lowest[0]:
                    lowest = (rate, failed / runs, row["mutant"])
            elif fewest is None or runs < fewest:
                fewest = runs
        cells = [exercise, check["id"], str(repeat), f"{len(mine)} ({len(ran)})"]
        if lowest is None:
            cells += ["-", "-"]
        else:
            cells += [f"{lowest[1]:.2f} ({lowest[2]})", shown(repeat_for(lowest[0]))]
        if fewest is None:
            cells += ["-", "-"]
        else:
            cells += [str(fewest), shown(repeat_for(1 - 0.05 ** (1 / fewest)))]
        if not mine:
            cells.append("no mutant breaks it")
        elif not ran:
            cells.append("its mutants never ran it")
        print(" | ".join(cells))
EOF
echo
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg); took $(($(date +%s) - started)) s"
