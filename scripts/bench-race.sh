#!/usr/bin/env bash
# How often one run catches a remaining race, measured in the same run for three ways of
# starting the threads: a race-condition fixture (default `atomic_load_then_store`: an atomic
# load, then a separate atomic store) is graded with one `*-zero` check of
# rubrics/race-condition.toml (default the one of the program the fixture breaks,
# `atomic-zero`), repeated N times (default 100) with every run made (`--every-run`),
# undisturbed, with `start-together = true`, with `start-together` and `separate-cores = true`
# (as the rubric grades it), and with `perturb = true`. Prints, for each, how many of the N runs failed, and the load average,
# since a busy machine runs the two threads at the same moment less often.
#
# Usage: bash scripts/bench-race.sh [RUNS] [FIXTURE] [CHECK]
#   e.g. bash scripts/bench-race.sh 20 race_unfixed mutex-update-zero
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100}
fixture=${2:-atomic_load_then_store}
check=${3:-atomic-zero}
cargo build --quiet --package labgrade
labgrade=${CARGO_TARGET_DIR:-target}/debug/labgrade
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
package="$(pwd)/exercises/race-condition"
# Only the chosen check, with N runs, without its `needs` and its own way of starting the
# threads: generated once, then copied for each variant.
awk -v runs="$runs" -v check="$check" '
  /^\[\[check\]\]/ || /^\[\[ratio\]\]/ { keep = 0; buffer = $0 "\n"; next }
  buffer != "" && /^id = / { keep = ($0 == "id = \"" check "\""); if (keep) printf "%s", buffer; buffer = "" }
  /^\[exercise\]/ || /^\[build\]/ || /^\[limits\]/ { header = 1 }
  /^start-together = / || /^separate-cores = / || /^needs = / { next }
  keep || (header && !/^\[\[check\]\]/) { sub(/^repeat = .*/, "repeat = " runs); print }
  /^$/ && header { header = 0 }
' rubrics/race-condition.toml |
  sed -e "s|\"../exercises/race-condition\"|\"$package\"|" > "$tmp/plain.toml"
cp "$tmp/plain.toml" "$tmp/together.toml"
cp "$tmp/plain.toml" "$tmp/separate.toml"
cp "$tmp/plain.toml" "$tmp/perturbed.toml"
echo 'start-together = true' >> "$tmp/together.toml"
printf 'start-together = true\nseparate-cores = true\n' >> "$tmp/separate.toml"
printf 'perturb = true\nperturb-max-delay = "5ms"\n' >> "$tmp/perturbed.toml"
for variant in plain together separate perturbed; do
  "$labgrade" grade "tests/fixtures/race-condition/$fixture" \
    --rubric "$tmp/$variant.toml" --format json --every-run > "$tmp/report.json" || true
  caught=$(python3 -c '
import json, sys
case = json.load(open(sys.argv[1]))["checks"][0]["cases"][0]
print(case["runs"] - case["passed_runs"])' "$tmp/report.json")
  echo "$fixture $check $variant: race caught in $caught of $runs runs (load average $(cut -d' ' -f1 /proc/loadavg))"
done
