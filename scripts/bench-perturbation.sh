#!/usr/bin/env bash
# How often a missing join is caught by one run, undisturbed, perturbed and held until waited,
# measured in the same run: the wait-for-me `forgot_join_buffered` fixture (never joins the
# negating thread, then formats the whole array before printing it) is graded N times (default
# 20) with one run per case, once with the rubric's `hold-until-waited`, once with
# `perturb = true` in its place and once with neither, on the same seeds. Prints how many
# gradings failed the threads-negated check in each variant.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
cargo build --quiet --package labgrade
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
package="$(pwd)/exercises/wait-for-me"
variants="plain perturbed held"
for variant in $variants; do
  sed -e "s|\"../exercises/wait-for-me\"|\"$package\"|" -e 's/^repeat = [0-9]*$/repeat = 1/' \
    rubrics/wait-for-me.toml > "$tmp/$variant.toml"
done
sed -i '/^hold-until-waited = /d' "$tmp/plain.toml"
sed -i 's/^hold-until-waited = .*$/perturb = true/' "$tmp/perturbed.toml"
declare -A caught=([plain]=0 [perturbed]=0 [held]=0)
for seed in $(seq 1 "$runs"); do
  for variant in $variants; do
    NO_COLOR=1 target/debug/labgrade grade tests/fixtures/wait-for-me/forgot_join_buffered \
      --rubric "$tmp/$variant.toml" --seed "$seed" > "$tmp/report" || true
    if grep -q '^ *fail threads-negated' "$tmp/report"; then
      caught[$variant]=$((caught[$variant] + 1))
    fi
  done
done
echo "missing join caught in single runs: undisturbed ${caught[plain]}/$runs, perturbed ${caught[perturbed]}/$runs, held until waited ${caught[held]}/$runs"
