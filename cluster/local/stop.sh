#!/usr/bin/env bash
# Stops a run started by start.sh: SIGTERM to workers, annotator and learner (the learner finishes
# its update and writes a checkpoint), waits up to STOP_TIMEOUT seconds (default 60), then SIGKILLs
# whatever is left. Usage: cluster/local/stop.sh RUN_DIR
set -uo pipefail
RUN_DIR="${1:?usage: stop.sh RUN_DIR}"
TIMEOUT="${STOP_TIMEOUT:-60}"
[ -d "$RUN_DIR/pids" ] || { echo "stop.sh: no $RUN_DIR/pids; nothing started there" >&2; exit 0; }

# A zombie (exited, not yet reaped by its parent) counts as stopped.
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }

# Workers first, so the learner does not log them timing out; the learner last, so it checkpoints.
ORDER=()
for f in "$RUN_DIR"/pids/worker-*.pid "$RUN_DIR/pids/annotator.pid" "$RUN_DIR/pids/learner.pid"; do
  [ -f "$f" ] && ORDER+=("$f")
done
PIDS=()
for f in "${ORDER[@]}"; do
  pid=$(cat "$f")
  if alive "$pid"; then kill -TERM "$pid" && PIDS+=("$pid"); fi
done
end=$((SECONDS + TIMEOUT))
for pid in "${PIDS[@]}"; do
  while alive "$pid" && [ $SECONDS -lt $end ]; do sleep 0.2; done
  if alive "$pid"; then echo "stop.sh: pid $pid ignored SIGTERM for ${TIMEOUT}s; killing it" >&2; kill -KILL "$pid"; fi
done
rm -f "${ORDER[@]}"
echo "stopped ${#PIDS[@]} process(es) in $RUN_DIR"
