#!/usr/bin/env bash
# What containment costs per run, measured in the same run: `labgrade __supervise` runs a
# trivial program (`/bin/true`) N times (default 100) bare (no limits, no sandbox: the
# supervisor alone), isolated with a sandbox (its namespaces, and for a student program its own
# file-system view), and the same as an ordinary user (nobody, when run as root: the user
# namespace path). Prints the mean wall time per run of each and its ratio to the bare run.
# With a second labgrade binary as $2 (an older build), its contained runs are timed too, in
# the same loop, for the ratio between the two.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100}
other=${2:-}
cargo build --quiet --package labgrade
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
cp target/debug/labgrade "$tmp/labgrade"
[ -n "$other" ] && cp "$other" "$tmp/other"
mkdir "$tmp/work"
job() { # $1: limits and sandbox, or nothing
  printf '{"program":"/bin/true","args":[],"env":{},"base_env":"clean","cwd":"%s/work","timeout_ms":10000,"output_limit":1000,"trace":null%s}' "$tmp" "$1"
}
contained=$(printf ',"limits":{"cpu_ms":5000,"memory_bytes":1073741824,"tasks":64,"file_bytes":1048576,"open_files":64,"isolate":true},"sandbox":{"read":["/bin/true"],"write":["%s/work"],"hide":[],"landlock":true,"proc":true,"private_tmp":true}' "$tmp")
job "" > "$tmp/bare.json"
job "$contained" > "$tmp/contained.json"
as_user=()
if [ "$(id -u)" = 0 ]; then
  chown 65534:65534 "$tmp/work"
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
variants="bare contained ordinary"
[ -n "$other" ] && variants="$variants other"
declare -A total=()
for variant in $variants; do total[$variant]=0; done
for _ in $(seq 1 "$runs"); do
  for variant in $variants; do
    case $variant in
      bare) command=("$tmp/labgrade" __supervise); input=bare ;;
      contained) command=("$tmp/labgrade" __supervise); input=contained ;;
      ordinary) command=("${as_user[@]}" "$tmp/labgrade" __supervise); input=contained ;;
      other) command=("$tmp/other" __supervise); input=contained ;;
    esac
    start=$(date +%s%N)
    "${command[@]}" < "$tmp/$input.json" > "$tmp/reply"
    end=$(date +%s%N)
    grep -q '"observed"' "$tmp/reply" || { echo "no observation from $variant: $(cat "$tmp/reply")"; exit 1; }
    total[$variant]=$((total[$variant] + end - start))
  done
done
load=$(cut -d' ' -f1 /proc/loadavg)
echo "mean wall time per run over $runs runs of /bin/true (load average $load on $(nproc) cores):"
bare=${total[bare]}
for variant in $variants; do
  mean_us=$((total[$variant] / runs / 1000))
  ratio=$(awk -v a="${total[$variant]}" -v b="$bare" 'BEGIN { printf "%.2f", a / b }')
  case $variant in
    bare) what="bare supervisor (no limits, no sandbox)" ;;
    contained) what="contained (namespaces, view, Landlock, cgroups as root)" ;;
    ordinary) what="contained, as an ordinary user (user namespace)" ;;
    other) what="contained, by $other" ;;
  esac
  printf '  %-62s %7d us  x%s\n' "$what" "$mean_us" "$ratio"
done
