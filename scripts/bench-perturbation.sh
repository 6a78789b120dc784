#!/usr/bin/env bash
# How often a missing join is caught, with and without perturbation, measured in the same run:
# the wait-for-me `forgot_join_buffered` fixture (never joins the negating thread, then formats the whole array before printing it) is graded
# N times (default 20) with one run per case, once with `perturb = true` and once without, on
# the same seeds. Prints how many gradings failed the threads-negated check in each variant.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
cargo build --quiet --package labgrade
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
package="$(pwd)/exercises/wait-for-me"
for variant in plain perturbed; do
  sed -e "s|\"../exercises/wait-for-me\"|\"$package\"|" -e 's/^repeat = 5$/repeat = 1/' \
    rubrics/wait-for-me.toml > "$tmp/$variant.toml"
done
sed -i '/^perturb = true$/d' "$tmp/plain.toml"
caught_plain=0
caught_perturbed=0
for seed in $(seq 1 "$runs"); do
  for variant in plain perturbed; do
    NO_COLOR=1 target/debug/labgrade grade tests/fixtures/wait-for-me/forgot_join_buffered \
      --rubric "$tmp/$variant.toml" --seed "$seed" > "$tmp/report" || true
    if grep -q '^ *fail threads-negated' "$tmp/report"; then
      if [ "$variant" = plain ]; then caught_plain=$((caught_plain + 1)); else caught_perturbed=$((caught_perturbed + 1)); fi
    fi
  done
done
echo "missing join caught in single runs: without perturbation $caught_plain/$runs, with perturbation $caught_perturbed/$runs"
