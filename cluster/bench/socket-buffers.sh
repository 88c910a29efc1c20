#!/usr/bin/env bash
# Socket-buffer benchmark (not a test): one learner and N workers on this machine, each point run
# twice back to back, with the kernel's TCP buffers autotuned (`transport.socket_buffer_kib=0`, as
# before 2026-12-05) and bounded (the default, 128 KiB), alternating ROUNDS times. Prints, per run,
# scale-out.sh's row (env steps/s taken in, dropped as too stale, trained on), and then the mean
# share dropped as stale and the ratio of samples trained on per second, bounded / autotuned.
#
#   cluster/bench/socket-buffers.sh
#   WORKERS=4 ROUNDS=3 cluster/bench/socket-buffers.sh
#
# Environment: WORKERS (2), ROUNDS (2), SECONDS_PER_POINT (30), WARMUP (10), BASE (a YAML file both
# runs start from, without `run:` or `transport:` sections, which this script appends; default:
# Yendor's defaults, so the learner trains the default network) and what
# scale-out.sh reads (YENDOR, LEARNER_CPUS, WORKER_CPUS, ...).
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d /tmp/yendor-buffers-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
ROUNDS="${ROUNDS:-2}"
export WORKER_COUNTS="${WORKERS:-2}" SECONDS_PER_POINT="${SECONDS_PER_POINT:-30}" WARMUP="${WARMUP:-10}"
{ [ -n "${BASE:-}" ] && cat "$BASE"; echo "run: {log_interval: 1, checkpoint_interval: 600}"; } >"$WORK/bounded.yaml"
{ cat "$WORK/bounded.yaml"; echo "transport: {socket_buffer_kib: 0}"; } >"$WORK/autotuned.yaml"
echo "socket buffers: $WORKER_COUNTS worker(s), $ROUNDS round(s), $SECONDS_PER_POINT s per run after $WARMUP s; load before: $(uptime | sed 's/.*load average/load average/')"
for round in $(seq 1 "$ROUNDS"); do
  for mode in autotuned bounded; do
    row=$(CONFIG="$WORK/$mode.yaml" "$HERE/scale-out.sh" | tail -n 1)
    echo "round $round $mode: $row"
    echo "$mode $row" >>"$WORK/rows"
  done
done
# Row: MODE workers env-steps/s ideal efficiency dropped-stale/s trained/s
awk '{ taken[$1] += $3; stale[$1] += $6; trained[$1] += $7; n[$1]++ }
  END {
    for (m in n) printf "%-10s %8.0f env steps/s taken in, %5.1f%% dropped as too stale, %8.0f trained/s (mean of %d)\n",
      m, taken[m] / n[m], 100 * stale[m] / (taken[m] > 0 ? taken[m] : 1), trained[m] / n[m], n[m]
    if (trained["autotuned"] > 0)
      printf "ratio bounded / autotuned: trained/s %.2fx, env steps taken in %.2fx\n",
        trained["bounded"] / trained["autotuned"], taken["bounded"] / taken["autotuned"]
  }' "$WORK/rows"
echo "load after: $(uptime | sed 's/.*load average/load average/')"
