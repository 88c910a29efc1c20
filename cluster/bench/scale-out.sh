#!/usr/bin/env bash
# Scale-out benchmark (not a test): env steps/s with 1, 2 and 4 workers against one learner, and the
# ratio to ideal linear scaling (N x the 1-worker rate).
#
#   cluster/bench/scale-out.sh                       # processes on 127.0.0.1
#   sudo cluster/bench/scale-out.sh --namespaces     # learner and each worker in its own network namespace
#   WORKER_COUNTS="1 2" LEARNER_CPUS=0 WORKER_CPUS=1 sudo cluster/bench/scale-out.sh --namespaces
#
# Environment: YENDOR (default .build/release/yendor), WORKER_COUNTS ("1 2 4"), SECONDS_PER_POINT (20),
# WARMUP (8), KEEP (set: keep the logs), CONFIG (a YAML file; default: a small network so the learner is not the only thing
# measured), LEARNER_CPUS (a taskset core list, e.g. "0" or "0-1"; empty = no pinning) and
# WORKER_CPUS (core lists separated by spaces, worker I gets the I-th, cycling: "1" pins every
# worker to core 1, "2 3 4 5" gives each of four workers its own core).
#
# Each point: a fresh learner and N workers, WARMUP seconds discarded, then env steps counted from
# the learner's metrics.jsonl over SECONDS_PER_POINT seconds. With --namespaces the learner runs in
# one namespace and each worker in its own (cluster/tests/netns-lib.sh, the multi-host test's setup),
# all over real TCP between the namespaces' addresses; needs root.
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

PIDS=()
stop() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done; for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done; PIDS=(); }
finish() {
  stop
  [ "$NAMESPACES" = 1 ] && netns_destroy "$PREFIX" "${HOSTS[@]}"
  if [ -n "${KEEP:-}" ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap finish EXIT
trap 'exit 1' INT TERM
steps() { tail -n 1 "$1/metrics.jsonl" 2>/dev/null | sed -n 's/.*"env_steps": *\([0-9.e+]*\).*/\1/p' | awk '{printf "%d", $1}'; }
# on HOST CPUS: the command prefix that runs a role on HOST (its namespace, if any) pinned to CPUS.
on() {
  local prefix=()
  [ -n "$2" ] && prefix+=(taskset -c "$2")
  [ "$NAMESPACES" = 1 ] && prefix+=(ip netns exec "$PREFIX-$1")
  echo "${prefix[@]}"
}

mode="processes on 127.0.0.1"; [ "$NAMESPACES" = 1 ] && mode="one network namespace per role, TCP over a bridge"
echo "binary: $YENDOR ($(nproc) cores); $mode; learner cores: ${LEARNER_CPUS:-any}, worker cores: ${WORKER_CPUS:-any}"
echo "$MEASURE s per point after $WARMUP s warm-up; load before: $(uptime | sed 's/.*load average/load average/')"
printf "%-8s %12s %14s %10s\n" workers "env steps/s" "ideal (N x 1)" efficiency
BASE_RATE=""
PORT=$((21000 + $$ % 5000))
for n in $COUNTS; do
  run="$WORK/run-$n"; PORT=$((PORT + 2))
  if [ "$NAMESPACES" = 1 ]; then bind=0.0.0.0 learner_host=10.214.0.1; else bind=127.0.0.1 learner_host=127.0.0.1; fi
  serve=(--set "transport.trajectories=tcp://$bind:$PORT" --set "transport.weights=tcp://$bind:$((PORT + 1))")
  reach=(--set "transport.trajectories=tcp://$learner_host:$PORT" --set "transport.weights=tcp://$learner_host:$((PORT + 1))")
  # shellcheck disable=SC2046
  $(on learner "$LEARNER_CPUS") "$YENDOR" learner --config "$CONFIG" --run-dir "$run" --steps 1000000000 "${serve[@]}" \
    >"$WORK/learner-$n.log" 2>&1 & PIDS+=($!)
  for i in $(seq 1 "$n"); do
    # shellcheck disable=SC2046
    $(on "w$i" "${WORKER_CPU_LISTS[$(( (i - 1) % ${#WORKER_CPU_LISTS[@]} ))]}") "$YENDOR" worker --config "$CONFIG" --id "bench-$i" "${reach[@]}" \
      >"$WORK/worker-$n-$i.log" 2>&1 & PIDS+=($!)
  done
  sleep "$WARMUP"
  joined=$(grep -c "joined" "$WORK/learner-$n.log" 2>/dev/null || true)
  s0=$(steps "$run"); t0=$(date +%s.%N)
  sleep "$MEASURE"
  s1=$(steps "$run"); t1=$(date +%s.%N)
  stop
  rate=$(awk -v a="${s0:-0}" -v b="${s1:-0}" -v t0="$t0" -v t1="$t1" 'BEGIN {printf "%.0f", (b - a) / (t1 - t0)}')
  [ -z "$BASE_RATE" ] && BASE_RATE="$rate"
  ideal=$((BASE_RATE * n))
  eff=$(awk -v r="$rate" -v i="$ideal" 'BEGIN {printf "%.2f", (i > 0 ? r / i : 0)}')
  note=""; [ "${joined:-0}" -lt "$n" ] && note="  (only ${joined:-0} of $n workers had joined after the warm-up)"
  printf "%-8s %12s %14s %10s%s\n" "$n" "$rate" "$ideal" "$eff" "$note"
done
