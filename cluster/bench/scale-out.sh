#!/usr/bin/env bash
# Scale-out benchmark (not a test): env steps/s with 1, 2 and 4 workers against one learner, and the
# ratio to ideal linear scaling (N x the 1-worker rate).
#
#   cluster/bench/scale-out.sh                       # processes on 127.0.0.1
#   sudo cluster/bench/scale-out.sh --namespaces     # learner and each worker in its own network namespace
#   WORKER_COUNTS="1 2" LEARNER_CPUS=0 WORKER_CPUS=1 sudo cluster/bench/scale-out.sh --namespaces
#   LEARNER_CPUS=0 WORKER_CPUS=1 WORKER_CPU_QUOTA=0.2 sudo cluster/bench/scale-out.sh --namespaces
#   CURVE=1 ... cluster/bench/scale-out.sh --namespaces     # encrypted, every worker with its own allowed key
#
# Environment: YENDOR (default .build/release/yendor), WORKER_COUNTS ("1 2 4"), SECONDS_PER_POINT (20),
# WARMUP (8), KEEP (set: keep the logs), CONFIG (a YAML file; default: a small network so the learner is not the only thing
# measured), LEARNER_CPUS (a taskset core list, e.g. "0" or "0-1"; empty = no pinning) and
# WORKER_CPUS (core lists separated by spaces, worker I gets the I-th, cycling: "1" pins every
# worker to core 1, "2 3 4 5" gives each of four workers its own core) and WORKER_CPU_QUOTA (cores
# each worker may use, e.g. 0.2: every worker gets a cgroup with that CPU quota, like a Kubernetes
# pod with `limits.cpu: 200m`, so N workers are N equal small hosts even on a machine with few
# cores; needs root and a writable cgroup cpu controller, v1 or v2) and CURVE (1: the learner is a
# CURVE server with an allow-list, each worker a client with a key of its own, as in production).
#
# Each point: a fresh learner and N workers, WARMUP seconds discarded, then env steps counted from
# the learner's metrics.jsonl over SECONDS_PER_POINT seconds. With --namespaces the learner runs in
# one namespace and each worker in its own (cluster/tests/netns-lib.sh, the multi-host test's setup),
# all over real TCP between the namespaces' addresses; needs root. Besides env steps per second
# (every step the learner took in, the budget's unit), each point reports the samples per
# second it dropped as too stale (`learner/samples_dropped_lag`, beyond `learner.max_policy_lag`) and
# the rest, trained on: a learner that cannot keep up falls behind and drops.
set -uo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
NAMESPACES=0
while [ $# -gt 0 ]; do
  case "$1" in
    --namespaces) NAMESPACES=1; shift ;;
    *) echo "scale-out: unknown argument $1 (only --namespaces)" >&2; exit 2 ;;
  esac
done
YENDOR="${YENDOR:-$REPO/.build/release/yendor}"
[ -x "$YENDOR" ] || { echo "scale-out: no yendor binary at $YENDOR (swift build -c release --product yendor)" >&2; exit 1; }
YENDOR="$(cd "$(dirname "$YENDOR")" && pwd)/$(basename "$YENDOR")"
COUNTS="${WORKER_COUNTS:-1 2 4}"
MEASURE="${SECONDS_PER_POINT:-20}"
WARMUP="${WARMUP:-8}"
LEARNER_CPUS="${LEARNER_CPUS:-}"
WORKER_CPUS="${WORKER_CPUS:-}"
QUOTA="${WORKER_CPU_QUOTA:-}"
CURVE="${CURVE:-0}"
read -ra WORKER_CPU_LISTS <<<"$WORKER_CPUS"
[ ${#WORKER_CPU_LISTS[@]} -gt 0 ] || WORKER_CPU_LISTS=("")
WORK="$(mktemp -d /tmp/yendor-scale-XXXXXX)"
CONFIG="${CONFIG:-$WORK/bench.yaml}"
[ -f "$CONFIG" ] || cat >"$CONFIG" <<'YAML'
env: {task: staircase, envs: 16, actors: 1, rollout_length: 32}
learner: {batch_size: 512, minibatch_size: 512}
model: {core_width: 64, core_layers: 1, conv_channels: 8, glyph_embedding: 8, glyph_features: 32, blstats_features: 16, caption_buckets: 256, caption_features: 16}
run: {log_interval: 1, checkpoint_interval: 600}
YAML

PREFIX="ys$$"
MAX_WORKERS=$(for n in $COUNTS; do echo "$n"; done | sort -n | tail -n 1)
HOSTS=(learner $(seq -f "w%g" 1 "$MAX_WORKERS"))
if [ "$NAMESPACES" = 1 ]; then
  # shellcheck source=../tests/netns-lib.sh
  source "$REPO/cluster/tests/netns-lib.sh"
  why=$(netns_check) || { echo "scale-out: $why" >&2; exit 1; }
  why=$(netns_create "$PREFIX" 10.214.0 "${HOSTS[@]}") || { echo "scale-out: $why" >&2; netns_destroy "$PREFIX" "${HOSTS[@]}"; exit 1; }
fi

PIDS=() CGROUPS=()
stop() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done; for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done; PIDS=(); }
finish() {
  stop
  [ "$NAMESPACES" = 1 ] && netns_destroy "$PREFIX" "${HOSTS[@]}"
  for dir in "${CGROUPS[@]}"; do rmdir "$dir" 2>/dev/null; done
  if [ -n "${KEEP:-}" ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap finish EXIT
trap 'exit 1' INT TERM
# Worker I's cgroup (with WORKER_CPU_QUOTA): cgroup v2 if the root is unified, else v1's cpu controller.
cgroup_dir() {
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo "/sys/fs/cgroup/$PREFIX-w$1"; else echo "/sys/fs/cgroup/cpu/$PREFIX-w$1"; fi
}
if [ -n "$QUOTA" ]; then
  period=100000
  quota_us=$(awk -v q="$QUOTA" -v p="$period" 'BEGIN {printf "%d", q * p}')
  [ "$quota_us" -ge 1000 ] || { echo "scale-out: WORKER_CPU_QUOTA=$QUOTA is not a number of cores of at least 0.01" >&2; exit 2; }
  [ -f /sys/fs/cgroup/cgroup.controllers ] && echo +cpu >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
  for i in $(seq 1 "$MAX_WORKERS"); do
    dir=$(cgroup_dir "$i")
    mkdir -p "$dir" 2>/dev/null || { echo "scale-out: cannot create the cgroup $dir (WORKER_CPU_QUOTA needs root and a writable cgroup cpu controller)" >&2; exit 1; }
    CGROUPS+=("$dir")
    if [ -f "$dir/cpu.max" ]; then echo "$quota_us $period" >"$dir/cpu.max"
    else echo "$period" >"$dir/cpu.cfs_period_us" && echo "$quota_us" >"$dir/cpu.cfs_quota_us"; fi \
      || { echo "scale-out: cannot set the CPU quota of $dir (cgroup v2: is the cpu controller enabled in /sys/fs/cgroup/cgroup.subtree_control?)" >&2; exit 1; }
  done
  # Moves itself into the cgroup, then becomes the command (so the quota applies from the first instruction).
  printf '#!/bin/sh\necho $$ >"$1/cgroup.procs" || exit 1\nshift\nexec "$@"\n' >"$WORK/in-cgroup"
  chmod +x "$WORK/in-cgroup"
fi

# CURVE: a key pair for the learner and one per worker; the learner allows exactly the workers' keys.
LEARNER_SECURITY=()
if [ "$CURVE" = 1 ]; then
  mkdir -p "$WORK/keys" "$WORK/allowed"
  for k in learner $(seq -f "w%g" 1 "$MAX_WORKERS"); do
    "$YENDOR" keys generate --directory "$WORK/keys" "$k" >/dev/null || { echo "scale-out: yendor keys generate $k failed" >&2; exit 1; }
    [ "$k" = learner ] || cp "$WORK/keys/$k.pub" "$WORK/allowed/"
  done
  LEARNER_SECURITY=(--set "transport.curve_secret_key_file=$WORK/keys/learner.key" --set "transport.curve_allowed_clients=$WORK/allowed")
fi
worker_security() {
  [ "$CURVE" = 1 ] && echo "--set transport.curve_secret_key_file=$WORK/keys/w$1.key --set transport.curve_server_key=$WORK/keys/learner.pub"
}

# metric RUN NAME: the latest value of a metric in the run's metrics.jsonl.
metric() { tail -n 1 "$1/metrics.jsonl" 2>/dev/null | sed -n "s|.*\"$2\": *\([0-9.e+]*\).*|\1|p" | awk '{printf "%d", $1}'; }
# on HOST CPUS [CGROUP]: the command prefix that runs a role on HOST (its namespace, if any) pinned
# to CPUS, in CGROUP if given.
on() {
  local prefix=()
  [ -n "$2" ] && prefix+=(taskset -c "$2")
  # The cgroup first: `ip netns exec` mounts a /sys of its own, without the host's cgroup tree.
  [ -n "${3:-}" ] && prefix+=("$WORK/in-cgroup" "$3")
  [ "$NAMESPACES" = 1 ] && prefix+=(ip netns exec "$PREFIX-$1")
  echo "${prefix[@]}"
}

mode="processes on 127.0.0.1"; [ "$NAMESPACES" = 1 ] && mode="one network namespace per role, TCP over a bridge"
echo "binary: $YENDOR ($(nproc) cores); $mode; learner cores: ${LEARNER_CPUS:-any}, worker cores: ${WORKER_CPUS:-any}, per-worker CPU quota: ${QUOTA:-none}, CURVE: $([ "$CURVE" = 1 ] && echo on || echo off)"
echo "$MEASURE s per point after $WARMUP s warm-up; load before: $(uptime | sed 's/.*load average/load average/')"
printf "%-8s %12s %14s %10s %16s %12s\n" workers "env steps/s" "ideal (N x 1)" efficiency "dropped stale/s" "trained/s"
BASE_RATE=""
PORT=$((21000 + $$ % 5000))
for n in $COUNTS; do
  run="$WORK/run-$n"; PORT=$((PORT + 2))
  if [ "$NAMESPACES" = 1 ]; then bind=0.0.0.0 learner_host=10.214.0.1; else bind=127.0.0.1 learner_host=127.0.0.1; fi
  serve=(--set "transport.trajectories=tcp://$bind:$PORT" --set "transport.weights=tcp://$bind:$((PORT + 1))")
  reach=(--set "transport.trajectories=tcp://$learner_host:$PORT" --set "transport.weights=tcp://$learner_host:$((PORT + 1))")
  # shellcheck disable=SC2046
  $(on learner "$LEARNER_CPUS") "$YENDOR" learner --config "$CONFIG" --run-dir "$run" --steps 1000000000 "${serve[@]}" "${LEARNER_SECURITY[@]}" \
    >"$WORK/learner-$n.log" 2>&1 & PIDS+=($!)
  for i in $(seq 1 "$n"); do
    # shellcheck disable=SC2046
    $(on "w$i" "${WORKER_CPU_LISTS[$(( (i - 1) % ${#WORKER_CPU_LISTS[@]} ))]}" "${CGROUPS[$((i - 1))]:-}") "$YENDOR" worker --config "$CONFIG" --id "bench-$i" "${reach[@]}" $(worker_security "$i") \
      >"$WORK/worker-$n-$i.log" 2>&1 & PIDS+=($!)
  done
  sleep "$WARMUP"
  joined=$(grep -c "joined" "$WORK/learner-$n.log" 2>/dev/null || true)
  s0=$(metric "$run" env_steps); d0=$(metric "$run" learner/samples_dropped_lag); t0=$(date +%s.%N)
  sleep "$MEASURE"
  s1=$(metric "$run" env_steps); d1=$(metric "$run" learner/samples_dropped_lag); t1=$(date +%s.%N)
  stop
  rate=$(awk -v a="${s0:-0}" -v b="${s1:-0}" -v t0="$t0" -v t1="$t1" 'BEGIN {printf "%.0f", (b - a) / (t1 - t0)}')
  dropped=$(awk -v a="${d0:-0}" -v b="${d1:-0}" -v t0="$t0" -v t1="$t1" 'BEGIN {printf "%.0f", (b - a) / (t1 - t0)}')
  [ -z "$BASE_RATE" ] && BASE_RATE="$rate"
  ideal=$((BASE_RATE * n))
  eff=$(awk -v r="$rate" -v i="$ideal" 'BEGIN {printf "%.2f", (i > 0 ? r / i : 0)}')
  note=""; [ "${joined:-0}" -lt "$n" ] && note="  (only ${joined:-0} of $n workers had joined after the warm-up)"
  printf "%-8s %12s %14s %10s %16s %12s%s\n" "$n" "$rate" "$ideal" "$eff" "$dropped" "$((rate - dropped))" "$note"
done
