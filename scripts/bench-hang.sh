#!/usr/bin/env bash
# What a deadlocked submission costs to grade, with and without ending hung runs early, measured
# in one run: the race-condition fixture `mutex_update_deadlocks` (a guard still alive while the
# update locks again) graded by labgrade as built now (AFTER) and by a labgrade built without the
# rule (BEFORE, a binary you give: build the commit before it), each K times (default 3) with one
# seed, by default and with `--every-run` (each of the check's 4 runs made). Prints each
# grading's wall time, the mean per labgrade, the ratio after / before, how the first case ended
# (from the JSON report), and the CPU time the rest of the machine used meanwhile.
#
# Usage: BEFORE=/path/to/old/labgrade bash scripts/bench-hang.sh [K]
set -euo pipefail
cd "$(dirname "$0")/.."
k=${1:-3}
before=${BEFORE:?set BEFORE to a labgrade built without ending hung runs early}
cargo build --quiet --package labgrade
after=${AFTER:-${CARGO_TARGET_DIR:-target}/debug/labgrade}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=scripts/measure.sh
source scripts/measure.sh
fixture=tests/fixtures/race-condition/mutex_update_deadlocks
rubric=rubrics/race-condition.toml

# grade LABGRADE [FLAGS...]: one grading's wall time in seconds, its report in $tmp/report.json.
grade() {
  local labgrade=$1 start end
  shift
  start=$(now)
  "$labgrade" grade --rubric "$rubric" "$fixture" --seed 7 --format json "$@" \
    > "$tmp/report.json" 2> /dev/null || true
  end=$(now)
  elapsed "$start" "$end"
}

# How the deadlocked check's case ended, and how many runs were made.
ended() {
  python3 -c '
import json, sys
report = json.load(open(sys.argv[1]))
check = next(c for c in report["checks"] if c["id"] == "mutex-update-zero")
case = check["cases"][0]
t = case["observed"]["termination"]
hung = t.get("hung")
how = "hung after %d ms" % hung["after_ms"] if hung else "killed at its %d ms limit" % t["limit_ms"]
print("%s, %d run(s) made, score %s" % (how, case["runs"], report["score"]))
' "$tmp/report.json"
}

# Warm: the build is reused by content from then on.
grade "$after" > /dev/null
busy_now; busy_start=$busy_total; cpu_now; cpu_start=$cpu_total
echo "load average at start: $(cut -d' ' -f1 /proc/loadavg)"
for mode in default every-run; do
  flags=()
  [ "$mode" = every-run ] && flags=(--every-run)
  for which in before after; do
    labgrade=$before
    [ "$which" = after ] && labgrade=$after
    total=0
    for _ in $(seq "$k"); do
      wall=$(grade "$labgrade" "${flags[@]}")
      total=$(calc "$total + $wall")
      echo "$mode $which: $wall s ($(ended))"
    done
    mean=$(calc "$total / $k")
    eval "mean_$which=$mean"
    echo "$mode $which: mean $mean s"
  done
  echo "$mode: after / before = $(calc "$mean_after / $mean_before")"
done
busy_now; cpu_now
echo "load average at end: $(cut -d' ' -f1 /proc/loadavg)"
echo "others' CPU meanwhile: $(calc "$busy_total - $busy_start - ($cpu_total - $cpu_start)") s"
