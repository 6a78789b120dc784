# Measures shared by the bench scripts (sourced, not run): wall time, CPU time of what a script
# started, and the busy time of the whole machine, so that each script can say how much of the
# machine others used while it measured. Needs `$tmp`, a scratch folder of the caller's.

# Seconds since the epoch, with microseconds.
now() { echo "$EPOCHREALTIME"; }
# $2 - $1, in seconds.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# Arithmetic on decimals: calc 'expression' (2 decimals).
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
# Sets `cpu_total` to the CPU seconds (user + system) used so far by the calling shell and its
# finished children, their own finished children included; the difference over a step is the
# CPU of everything the step started. `times` must run in the calling shell: in a subshell it
# would count only the subshell's children. Processes nobody waited for are not counted (a
# process substitution `< <(...)` is one: write to a file instead).
cpu_now() {
  local self children
  times > "$tmp/times"
  { read -r self; read -r children; } < "$tmp/times"
  cpu_total=$(awk -v s="$self" -v c="$children" 'BEGIN {
    split(s, p, /[ms ]+/); split(c, q, /[ms ]+/)
    printf "%.3f", p[1] * 60 + p[2] + p[3] * 60 + p[4] + q[1] * 60 + q[2] + q[3] * 60 + q[4] }')
}
# Sets `busy_total` to the CPU seconds all the machine's cores have spent busy since boot.
busy_now() {
  local user nice system irq softirq steal
  # cpu user nice system idle iowait irq softirq steal ...
  read -r _ user nice system _ _ irq softirq steal _ < /proc/stat
  busy_total=$(awk -v t="$user $nice $system $irq $softirq $steal" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { split(t, p, " "); printf "%.3f", (p[1] + p[2] + p[3] + p[4] + p[5] + p[6]) / hz }')
}
