#!/usr/bin/env bash
# How often a remaining race is caught by one run, measured in the same run for three ways of
# starting the threads: the race-condition `atomic_load_then_store` fixture (an atomic load,
# then a separate atomic store) is graded with the atomic-zero check of rubrics/race-condition.toml
# repeated N times (default 100), undisturbed, with `start-together = true`, and with
# `perturb = true`. Prints, for each, how many of the N runs printed a value other than 0, and
# the load average, since a busy machine runs the two threads at the same moment less often.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100}
cargo build --quiet --package labgrade
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
package="$(pwd)/exercises/race-condition"
# Only the atomic-zero check, with N runs: generated once, then copied for each variant.
awk -v runs="$runs" '
  /^\[\[check\]\]/ { keep = 0; buffer = $0 "\n"; next }
  buffer != "" && /^id = / { keep = ($0 == "id = \"atomic-zero\""); if (keep) printf "%s", buffer; buffer = "" }
  /^\[exercise\]/ || /^\[build\]/ || /^\[limits\]/ { header = 1 }
  keep || (header && !/^\[\[check\]\]/) { sub(/^repeat = .*/, "repeat = " runs); print }
  /^$/ && header { header = 0 }
' rubrics/race-condition.toml |
  sed -e "s|\"../exercises/race-condition\"|\"$package\"|" > "$tmp/plain.toml"
cp "$tmp/plain.toml" "$tmp/together.toml"
cp "$tmp/plain.toml" "$tmp/perturbed.toml"
echo 'start-together = true' >> "$tmp/together.toml"
printf 'perturb = true\nperturb-max-delay = "5ms"\n' >> "$tmp/perturbed.toml"
for variant in plain together perturbed; do
  target/debug/labgrade grade tests/fixtures/race-condition/atomic_load_then_store \
    --rubric "$tmp/$variant.toml" --format json --every-run > "$tmp/report.json" || true
  caught=$(python3 -c '
import json, sys
case = json.load(open(sys.argv[1]))["checks"][0]["cases"][0]
print(case["runs"] - case["passed_runs"])' "$tmp/report.json")
  echo "$variant: race caught in $caught of $runs runs (load average $(cut -d' ' -f1 /proc/loadavg))"
done
