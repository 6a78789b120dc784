#!/usr/bin/env bash
# How fast `labgrade batch` grades a class of sum-array submissions, against a naive grader and
# against the floor (the students' own compiles plus their program runs), all measured in the
# same run, on the same machine state. Prints a table of figures; asserts nothing.
#
# Usage: bash scripts/bench-batch.sh [SUBMISSIONS]
#   SUBMISSIONS (or BENCH_SUBMISSIONS): how many submissions to generate, default 40.
#   BENCH_JOBS: parallelism of every approach, default the number of cores (nproc).
#   BENCH_SEED: the array seed of the naive baseline and the floor, default 20240601.
#
# Not part of CI: it takes about 5 minutes on an idle 2-core machine with 40 submissions (more
# when other work shares the machine) and its figures depend on the machine. Besides wall times it
# prints each approach's CPU time and the CPU the rest of the machine used meanwhile, and warns
# when other work skewed the figures.
#
# The approaches, each over the same generated submissions with the same parallelism (BENCH_JOBS
# at once):
#   labgrade (warm)  `labgrade batch --jobs $BENCH_JOBS --quiet` (release binary) into a fresh
#                    --out folder, with a build cache already warm: an untimed warm-up batch of
#                    BENCH_JOBS submissions runs first, one per build slot, so that every slot
#                    (`<cache>/builds/sum-array/ws-<n>`, one per job) has compiled the
#                    dependencies (a warm-up of a single submission would warm slot ws-0 only,
#                    and the timed batch would pay for ws-1's dependencies).
#   labgrade (cold)  the same batch with a fresh, empty LABGRADE_CACHE_DIR: each slot compiles
#                    the dependencies on its first build.
#   naive            what a grader without labgrade would do, per submission: copy the exercise
#                    package (and the support crate it depends on) into a fresh folder, swap in
#                    the student's two files, `cargo build --release` there with a target folder
#                    of its own (so `nix` and the support crate compile every time), then run
#                    sum_array_threads and sum_array_processes with each worker count of the
#                    rubric's sum checks (1 2 3 4 7 8; LABGRADE_ARRAY_LEN=4000000, one seed,
#                    `timeout 5`) and compare the printed sum with the reference solution's. It
#                    runs BENCH_JOBS submissions at once (`xargs -P`), as labgrade does; no
#                    sequential figure is measured. It does fewer runs than labgrade (12, not 30,
#                    no census, no containment): it grades less, so naive / labgrade flatters the naive grader.
#   floor            the work no grader can avoid: for each submission, in a pre-built
#                    workspace (dependencies compiled before timing starts; one workspace per
#                    job, submissions dealt round-robin), copy in the student's files and
#                    `cargo build --release --bins` (only the two binaries compile), then run
#                    every case of the rubric (the 30 commands labgrade's report lists as replays,
#                    census cases included) directly, untraced, without any harness.
#
# Peak memory: the VmHWM (peak resident set) of the labgrade process itself, read from
# /proc/<pid>/status every 50 ms while the batch runs (VmHWM only grows, so the last reading is
# the peak up to the last 50 ms). It does not include the supervisor processes labgrade starts
# (`labgrade __supervise`, one per run), cargo, rustc or the student programs: each is a process
# of its own with its own memory and limits. `/usr/bin/time -f %M` would not measure labgrade:
# it reports the largest of labgrade and every descendant it waited for, in practice rustc.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

count=${1:-${BENCH_SUBMISSIONS:-40}}
jobs=${BENCH_JOBS:-$(nproc)}
seed=${BENCH_SEED:-20240601}
len=4000000
sum_workers=(1 2 3 4 7 8)
rubric=$root/rubrics/sum-array.toml
package=$root/exercises/sum-array
support=$root/exercises/support
if ! [[ $count =~ ^[0-9]+$ ]] || ((count < 1)); then
  echo "usage: $0 [SUBMISSIONS]   (SUBMISSIONS: a positive number, default 40)" >&2
  exit 2
fi
command -v jq > /dev/null || {
  echo "bench-batch.sh needs jq (to read labgrade's reports)" >&2
  exit 2
}

cargo build --quiet --release --package labgrade
labgrade=$root/target/release/labgrade

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-batch.XXXXXX")
cleanup() {
  local pid
  for pid in $(jobs -p); do kill "$pid" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=scripts/measure.sh
source "$root/scripts/measure.sh"
# A timed stage: `stage_start`, the work, then `stage_end`, which sets `stage_s` (wall seconds),
# `stage_cpu` (CPU seconds of everything the stage started) and `stage_others` (CPU seconds the
# rest of the machine used meanwhile: other users' work, which skews every figure; a few tenths
# are noise).
stage_start() {
  cpu_now
  busy_now
  stage_cpu0=$cpu_total
  stage_busy0=$busy_total
  stage_t0=$(now)
}
stage_end() {
  local wall cpu
  wall=$(elapsed "$stage_t0" "$(now)")
  cpu_now
  busy_now
  cpu=$(elapsed "$stage_cpu0" "$cpu_total")
  stage_s=$wall
  stage_cpu=$cpu
  stage_others=$(calc "$busy_total - $stage_busy0 - $cpu")
}
# A pause of $1 seconds that starts no process (a read that times out on a FIFO nobody writes).
mkfifo "$tmp/tick"
exec {tick}<> "$tmp/tick"
pause() { read -r -t "$1" -u "$tick" _ || true; }

# --- The class: varied copies of the reference solution, one in ten wrong -----------------------
# Every file gets a comment and a constant of its own, so no two submissions have the same bytes
# and nothing can be reused by content from one student to the next. Every tenth submission is
# the `remainder_dropped` fixture (right for 1, 2, 4, 8 workers, too low for 3 and 7).
subs=$tmp/submissions
wrong=0
for i in $(seq 1 "$count"); do
  id=$(printf 's%03d' "$i")
  if ((i % 10 == 0)); then
    from=$root/tests/fixtures/sum-array/remainder_dropped
    wrong=$((wrong + 1))
  else
    from=$package/solution
  fi
  mkdir -p "$subs/$id/src/bin"
  for file in sum_array_threads.rs sum_array_processes.rs; do
    {
      echo "// Submission $id ($file), handed in for the batch benchmark; nonce $RANDOM$RANDOM."
      cat "$from/src/bin/$file"
      printf '\n#[allow(dead_code)]\nconst SUBMISSION_NUMBER: u32 = %d;\n' "$i"
    } > "$subs/$id/src/bin/$file"
  done
done
ids=()
for dir in "$subs"/*/; do ids+=("$(basename "$dir")"); done

# A copy of the exercise package (without its solution and build output) and of the support
# crate, side by side as the manifest's `../support` expects, with the workspace's lockfile.
copy_package() {
  mkdir -p "$1"
  cp -R "$package" "$1/sum-array"
  cp -R "$support" "$1/support"
  rm -rf "$1/sum-array/solution" "$1/sum-array/target" "$1/support/target"
  cp "$root/Cargo.lock" "$1/sum-array/Cargo.lock"
}

# --- Untimed preparation: the floor's workspaces, the expected sum --------------------------------
echo "preparing: $count submissions ($wrong wrong), $jobs jobs, $(nproc) cores" >&2
for k in $(seq 0 $((jobs - 1))); do
  copy_package "$tmp/floor/w$k"
  cp "$package"/solution/src/bin/*.rs "$tmp/floor/w$k/sum-array/src/bin/"
  (cd "$tmp/floor/w$k/sum-array" &&
    CARGO_TARGET_DIR=$tmp/floor/w$k/target cargo build --release --offline --quiet) &
done
wait
expected=$(LABGRADE_ARRAY_LEN=$len LABGRADE_SEED=$seed "$tmp/floor/w0/target/release/sum_array_threads" 1 |
  sed -n 's/^Array sum is: //p')

# --- labgrade batch -----------------------------------------------------------------------------
# Runs `labgrade batch` over $1 with cache $2 into $3 (fresh) as a stage (see `stage_end`); sets
# `peak_kib`, the VmHWM of the labgrade process.
run_batch() {
  local class=$1 cache=$2 out=$3 pid key value rest status=0
  peak_kib=0
  stage_start
  LABGRADE_CACHE_DIR=$cache "$labgrade" batch "$class" --rubric "$rubric" --out "$out" \
    --jobs "$jobs" --quiet > "$out.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2> /dev/null; do
    while read -r key value rest; do
      if [[ $key == VmHWM: ]] && ((value > peak_kib)); then peak_kib=$value; fi
    done < "/proc/$pid/status" 2> /dev/null || true
    pause 0.05
  done
  wait "$pid" || status=$?
  stage_end
  if ((status != 0)); then
    echo "labgrade batch exited with code $status; its output:" >&2
    cat "$out.log" >&2
    exit 1
  fi
}

# Checks that batch $1 graded every student and gave full marks exactly to the right ones (how
# its time splits is read from the reports further down).
check_batch() {
  local out=$1 full graded
  graded=$(tail -n +2 "$out/gradebook.csv" | grep -c ',graded,' || true)
  full=$(tail -n +2 "$out/gradebook.csv" | awk -F, '$4 == "graded" && $2 == $3' | wc -l)
  if ((graded != count || full != count - wrong)); then
    echo "labgrade batch in $out graded $graded of $count students, $full with full marks (expected $((count - wrong))):" >&2
    cat "$out/gradebook.csv" >&2
    exit 1
  fi
}

echo "labgrade: warm-up (untimed), warm batch, cold batch" >&2
mkdir -p "$tmp/warmup"
for i in $(seq 1 "$jobs"); do
  mkdir -p "$tmp/warmup/w$i/src/bin"
  cp "$package"/solution/src/bin/*.rs "$tmp/warmup/w$i/src/bin/"
done
run_batch "$tmp/warmup" "$tmp/cache-warm" "$tmp/out-warmup"

run_batch "$subs" "$tmp/cache-warm" "$tmp/out-warm"
check_batch "$tmp/out-warm"
warm_s=$stage_s warm_cpu=$stage_cpu warm_others=$stage_others
warm_peak_kib=$peak_kib
# Where labgrade's time goes, summed over students from the reports: the build (cargo clean -p +
# cargo build, as the supervisor timed it) and every run of a student program.
read -r build_sum_s runs_sum_s runs_count < <(jq -s -r '
  [ .[] | .build.duration_ms ] as $builds
  | [ .[] | .checks[] | .cases[]? | .observed.wall_ms // empty ] as $runs
  | "\(($builds | add) / 1000) \(($runs | add) / 1000) \($runs | length)"' "$tmp/out-warm"/reports/*.json)

run_batch "$subs" "$tmp/cache-cold" "$tmp/out-cold"
check_batch "$tmp/out-cold"
cold_s=$stage_s cold_cpu=$stage_cpu cold_others=$stage_others
cold_peak_kib=$peak_kib

# --- naive baseline -----------------------------------------------------------------------------
# One submission, graded the naive way; writes `<id> <passed> <of>` to $tmp/naive/<id>.result.
naive_one() {
  set -euo pipefail
  local id=$1 dir=$tmp/naive/$1 program workers sum passed=0 total=0
  copy_package "$dir"
  cp "$subs/$id"/src/bin/*.rs "$dir/sum-array/src/bin/"
  if (cd "$dir/sum-array" &&
    CARGO_TARGET_DIR=$dir/target cargo build --release --offline --quiet 2> "$dir/build.log"); then
    for program in sum_array_threads sum_array_processes; do
      for workers in "${sum_workers[@]}"; do
        total=$((total + 1))
        sum=$(LABGRADE_ARRAY_LEN=$len LABGRADE_SEED=$seed timeout 5 \
          "$dir/target/release/$program" "$workers" 2> /dev/null |
          sed -n 's/^Array sum is: //p') || true
        if [[ $sum == "$expected" ]]; then passed=$((passed + 1)); fi
      done
    done
  fi
  echo "$id $passed $total" > "$tmp/naive/$id.result"
  rm -rf "$dir"
}
export -f naive_one copy_package
export tmp subs package support root len seed expected
export sum_workers_list="${sum_workers[*]}"

echo "naive: $count submissions, $jobs at once" >&2
mkdir -p "$tmp/naive"
stage_start
# shellcheck disable=SC2016 # expanded by the inner bash
printf '%s\n' "${ids[@]}" |
  xargs -P "$jobs" -I '{}' bash -c 'read -ra sum_workers <<< "$sum_workers_list"; naive_one "$1"' _ '{}'
stage_end
naive_s=$stage_s naive_cpu=$stage_cpu naive_others=$stage_others
naive_full=$(cat "$tmp/naive"/*.result | awk '$2 == $3 && $3 > 0' | wc -l)
if ((naive_full != count - wrong)); then
  echo "the naive grader gave full marks to $naive_full submissions, expected $((count - wrong))" >&2
  exit 1
fi

# --- floor --------------------------------------------------------------------------------------
# The rubric's cases, as labgrade ran them: `program args...` per line, from the first report.
mapfile -t cases < <(jq -r '.checks[] | .cases[]? | .replay.command
  | (.[0] | split("/") | last) + " " + (.[1:] | join(" "))' "$tmp/out-warm/reports/${ids[0]}.json")

# Worker $1 of the floor: grades every submission whose index is $1 modulo $jobs, in workspace
# w$1; appends `<build seconds> <runs seconds>` per submission to $tmp/floor/times-$1.
floor_worker() {
  local k=$1 ws=$tmp/floor/w$1 i case program args t0 t1 t2
  for ((i = k; i < ${#ids[@]}; i += jobs)); do
    t0=$(now)
    cp "${subs}/${ids[i]}"/src/bin/*.rs "$ws/sum-array/src/bin/"
    touch "$ws/sum-array/src/bin/"*.rs
    (cd "$ws/sum-array" &&
      CARGO_TARGET_DIR=$ws/target cargo build --release --offline --quiet --bins)
    t1=$(now)
    for case in "${cases[@]}"; do
      read -r program args <<< "$case"
      # shellcheck disable=SC2086 # args is a list of words
      LABGRADE_ARRAY_LEN=$len LABGRADE_SEED=$seed "$ws/target/release/$program" $args \
        > /dev/null 2>&1 < /dev/null || true
    done
    t2=$(now)
    echo "$(elapsed "$t0" "$t1") $(elapsed "$t1" "$t2")" >> "$tmp/floor/times-$k"
  done
}

echo "floor: ${#cases[@]} runs per submission, $jobs workspaces" >&2
stage_start
for k in $(seq 0 $((jobs - 1))); do floor_worker "$k" & done
wait
stage_end
floor_s=$stage_s floor_cpu=$stage_cpu floor_others=$stage_others
if (($(cat "$tmp/floor"/times-* | wc -l) != count)); then
  echo "the floor did not build and run every submission" >&2
  exit 1
fi
read -r floor_build_s floor_runs_s < <(cat "$tmp/floor"/times-* |
  awk '{ b += $1; r += $2 } END { printf "%.1f %.1f\n", b, r }')

# --- figures ------------------------------------------------------------------------------------
verdict() { # verdict VALUE OP TARGET
  if awk -v v="$1" -v t="$3" "BEGIN { exit !(v $2 t) }"; then echo "met"; else echo "MISSED"; fi
}
naive_ratio=$(calc "$naive_s / $warm_s")
floor_ratio=$(calc "$warm_s / $floor_s")
cold_naive_ratio=$(calc "$naive_s / $cold_s")
cold_floor_ratio=$(calc "$cold_s / $floor_s")
echo
echo "labgrade batch benchmark: $count sum-array submissions ($wrong wrong), $jobs jobs on $(nproc) cores, $(date -u +%Y-%m-%d)"
printf '%-28s %9s %15s %9s %17s\n' "approach" "wall (s)" "wall/subm. (s)" "CPU (s)" "others' CPU (s)"
for row in "labgrade batch, warm cache:$warm_s:$warm_cpu:$warm_others" \
  "labgrade batch, cold cache:$cold_s:$cold_cpu:$cold_others" \
  "naive, $jobs at once:$naive_s:$naive_cpu:$naive_others" \
  "floor, $jobs at once:$floor_s:$floor_cpu:$floor_others"; do
  IFS=: read -r name wall cpu_s others_s <<< "$row"
  printf '%-28s %9.1f %15.2f %9.1f %17.1f\n' "$name" "$wall" "$(calc "$wall / $count")" "$cpu_s" "$others_s"
done
echo
printf 'naive / labgrade (warm)     %6s   target >= 5    %s   (cold cache: %s)\n' \
  "$naive_ratio" "$(verdict "$naive_ratio" '>=' 5)" "$cold_naive_ratio"
printf 'labgrade (warm) / floor     %6s   target <= 1.5  %s   (cold cache: %s)\n' \
  "$floor_ratio" "$(verdict "$floor_ratio" '<=' 1.5)" "$cold_floor_ratio"
printf 'CPU ratios, less sensitive to other load: naive / labgrade %s, labgrade / floor %s\n' \
  "$(calc "$naive_cpu / $warm_cpu")" "$(calc "$warm_cpu / $floor_cpu")"
busy_share=$(calc "100 * ($warm_others + $cold_others + $naive_others + $floor_others) / (($warm_s + $cold_s + $naive_s + $floor_s) * $(nproc))")
if awk -v share="$busy_share" 'BEGIN { exit !(share > 10) }'; then
  echo "WARNING: other processes kept the machine ${busy_share}% busy during the timed stages:" \
    "every figure above is skewed (wall times most); measure again on an idle machine"
fi
printf 'labgrade peak memory (VmHWM of the labgrade process): %s MiB warm, %s MiB cold\n' \
  "$(calc "$warm_peak_kib / 1024")" "$(calc "$cold_peak_kib / 1024")"
echo
echo "time summed over submissions (seconds of wall time, spread over $jobs jobs):"
printf '  labgrade (warm): builds %.1f, %d program runs %.1f, everything else %.1f (= %s x wall - builds - runs)\n' \
  "$build_sum_s" "$runs_count" "$runs_sum_s" \
  "$(calc "$jobs * $warm_s - $build_sum_s - $runs_sum_s")" "$jobs"
printf '  floor:           builds %.1f, %d program runs %.1f\n' \
  "$floor_build_s" "$((${#cases[@]} * count))" "$floor_runs_s"
