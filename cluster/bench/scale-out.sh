#!/usr/bin/env bash
# Scale-out benchmark (not a test): env steps/s with 1, 2 and 4 worker processes against one
# learner, and the ratio to ideal linear scaling (N x the 1-worker rate).
#
#   cluster/bench/scale-out.sh                     # YENDOR=.build/release/yendor by default
#   WORKER_COUNTS="1 2 4 8" SECONDS_PER_POINT=30 cluster/bench/scale-out.sh
#
# Each point: a fresh learner and N workers on 127.0.0.1 (TCP), WARMUP seconds discarded, then
# env steps counted from the learner's metrics.jsonl over SECONDS_PER_POINT seconds.
# CONFIG (a YAML file) sets the model and env sizes; by default a small network so the learner is
# not the only thing measured.
set -uo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
YENDOR="${YENDOR:-$REPO/.build/release/yendor}"
COUNTS="${WORKER_COUNTS:-1 2 4}"
MEASURE="${SECONDS_PER_POINT:-20}"
WARMUP="${WARMUP:-8}"
WORK="$(mktemp -d /tmp/yendor-scale-XXXXXX)"
CONFIG="${CONFIG:-$WORK/bench.yaml}"
[ -f "$CONFIG" ] || cat >"$CONFIG" <<'YAML'
env: {task: staircase, envs: 16, actors: 1, rollout_length: 32}
learner: {batch_size: 512, minibatch_size: 512}
model: {core_width: 64, core_layers: 1, conv_channels: 8, glyph_embedding: 8, glyph_features: 32, blstats_features: 16, caption_buckets: 256, caption_features: 16}
run: {log_interval: 1, checkpoint_interval: 600}
YAML
PIDS=()
stop() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done; for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done; PIDS=(); }
trap 'stop; rm -rf "$WORK"' EXIT
steps() { tail -n 1 "$1/metrics.jsonl" 2>/dev/null | sed -n 's/.*"env_steps": *\([0-9.e+]*\).*/\1/p' | awk '{printf "%d", $1}'; }

echo "binary: $YENDOR ($(nproc) cores); $MEASURE s per point after $WARMUP s warm-up"
printf "%-8s %12s %14s %10s\n" workers "env steps/s" "ideal (N x 1)" efficiency
BASE_RATE=""
PORT=$((21000 + $$ % 5000))
for n in $COUNTS; do
  run="$WORK/run-$n"; PORT=$((PORT + 2))
  ends=(--set "transport.trajectories=tcp://127.0.0.1:$PORT" --set "transport.weights=tcp://127.0.0.1:$((PORT + 1))")
  "$YENDOR" learner --config "$CONFIG" --run-dir "$run" --steps 1000000000 "${ends[@]}" >"$WORK/learner-$n.log" 2>&1 & PIDS+=($!)
  for i in $(seq 1 "$n"); do
    "$YENDOR" worker --config "$CONFIG" --id "bench-$i" "${ends[@]}" >"$WORK/worker-$n-$i.log" 2>&1 & PIDS+=($!)
  done
  sleep "$WARMUP"
  s0=$(steps "$run"); t0=$(date +%s.%N)
  sleep "$MEASURE"
  s1=$(steps "$run"); t1=$(date +%s.%N)
  stop
  rate=$(awk -v a="${s0:-0}" -v b="${s1:-0}" -v t0="$t0" -v t1="$t1" 'BEGIN {printf "%.0f", (b - a) / (t1 - t0)}')
  [ -z "$BASE_RATE" ] && BASE_RATE="$rate"
  ideal=$((BASE_RATE * n))
  eff=$(awk -v r="$rate" -v i="$ideal" 'BEGIN {printf "%.2f", (i > 0 ? r / i : 0)}')
  printf "%-8s %12s %14s %10s\n" "$n" "$rate" "$ideal" "$eff"
done
