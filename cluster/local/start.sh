#!/usr/bin/env bash
# Starts a whole Yendor run on this machine: a learner, optionally an annotator, and N workers, each
# its own process talking TCP on 127.0.0.1, with one log per role under RUN_DIR/logs/ (appended to).
#
#   cluster/local/start.sh --run-dir runs/local --workers 4 --steps 2000000
#   cluster/local/start.sh --run-dir runs/local --annotator --detach   # returns; stop with stop.sh
#   cluster/local/stop.sh runs/local
#
# In the foreground (the default) it waits for the learner to reach its budget and stops everything
# on Ctrl-C/SIGTERM: SIGTERM to every role (the learner writes a checkpoint), then waits. Rerunning
# with the same --run-dir resumes from its checkpoint; a run dir still running, or a learner of
# another run on the same ports, is refused.
#
# Options:
#   --run-dir DIR         run directory (default runs/local)
#   --workers N           worker processes (default 2)
#   --steps N             env-step budget passed to the learner
#   --config FILE         YAML configuration for every role
#   --annotator           also start `yendor annotator` (lexicon backend unless --annotator-args says otherwise);
#                         the learner then asks it for labels (reward.annotator)
#   --annotator-args "…"  extra annotator arguments, e.g. "--backend openai --llm-url http://127.0.0.1:8000/v1 --model NAME"
#   --port-base P         learner uses P (trajectories) and P+1 (weights), annotator P+2/P+3 (default 5555)
#   --detach              start and return; stop.sh RUN_DIR stops the run
#   -- ARGS               anything after -- goes to the learner and the workers (e.g. --set transport.heartbeat_interval=0.5);
#                         the annotator takes --annotator-args
# The binary is $YENDOR, else `yendor` on PATH, else .build/release/yendor.
set -euo pipefail

RUN_DIR=runs/local WORKERS=2 STEPS="" CONFIG="" ANNOTATOR=0 ANNOTATOR_ARGS="--backend lexicon" PORT=5555 DETACH=0
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --run-dir) RUN_DIR="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --config) CONFIG="$2"; shift 2 ;;
    --annotator) ANNOTATOR=1; shift ;;
    --annotator-args) ANNOTATOR_ARGS="$2"; shift 2 ;;
    --port-base) PORT="$2"; shift 2 ;;
    --detach) DETACH=1; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "start.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$WORKERS" =~ ^[0-9]+$ ]] || { echo "start.sh: --workers must be a number, got '$WORKERS'" >&2; exit 2; }
[[ "$PORT" =~ ^[0-9]+$ ]] || { echo "start.sh: --port-base must be a number, got '$PORT'" >&2; exit 2; }
if [ -n "${YENDOR:-}" ]; then :; elif command -v yendor >/dev/null; then YENDOR=yendor; else YENDOR=.build/release/yendor; fi
command -v "$YENDOR" >/dev/null || { echo "start.sh: no yendor binary ($YENDOR); build it or set YENDOR" >&2; exit 2; }

# A run already going in this directory keeps its pid files and logs: a second start would lose
# both (stop.sh then could not stop the first).
for f in "$RUN_DIR"/pids/*.pid; do
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q yendor; then
    echo "start.sh: $RUN_DIR is running already ($(basename "$f" .pid), pid $pid); stop it with $(dirname "$0")/stop.sh $RUN_DIR, or give another --run-dir" >&2
    exit 1
  fi
done
# Nor may a learner of another run answer on these ports: the health probe below would take it for
# this run's, and the workers would join it.
if "$YENDOR" health learner --endpoint "tcp://127.0.0.1:$((PORT + 1))" --timeout 1 "${EXTRA[@]}" >/dev/null 2>&1; then
  echo "start.sh: a learner already answers on 127.0.0.1:$((PORT + 1)) (another run?); give another --port-base" >&2
  exit 1
fi
mkdir -p "$RUN_DIR/logs" "$RUN_DIR/pids"
if [ "$DETACH" = 1 ]; then
  # Detached roles must not hold our caller's descriptors (a pipe it reads to EOF, a terminal).
  for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null; done
  exec </dev/null
fi
COMMON=(--set "transport.trajectories=tcp://127.0.0.1:$PORT" --set "transport.weights=tcp://127.0.0.1:$((PORT + 1))"
        --set "transport.annotator_requests=tcp://127.0.0.1:$((PORT + 2))" --set "transport.annotator_labels=tcp://127.0.0.1:$((PORT + 3))")
[ -n "$CONFIG" ] && COMMON=(--config "$CONFIG" "${COMMON[@]}")
COMMON+=("${EXTRA[@]}")

start_role() {  # start_role NAME yendor-args…
  local name="$1"; shift
  # Appended: a resumed run's log goes on after the earlier one.
  echo "--- start.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): yendor $*" >>"$RUN_DIR/logs/$name.log"
  "$YENDOR" "$@" >>"$RUN_DIR/logs/$name.log" 2>&1 &
  echo $! >"$RUN_DIR/pids/$name.pid"
  echo "started $name (pid $!), log $RUN_DIR/logs/$name.log"
}

stop_all() {
  trap - INT TERM
  "$(dirname "$0")/stop.sh" "$RUN_DIR"
}

[ "$DETACH" = 1 ] || trap 'stop_all; exit 130' INT TERM
LEARNER_ARGS=(learner --run-dir "$RUN_DIR" "${COMMON[@]}")
if [ "$ANNOTATOR" = 1 ]; then
  # The annotator first, so the learner finds it. Its store is the run's labels.sqlite, which a
  # learner with a remote annotator does not open.
  # shellcheck disable=SC2086  # ANNOTATOR_ARGS is a list of words on purpose
  start_role annotator annotator --requests "tcp://127.0.0.1:$((PORT + 2))" --labels "tcp://127.0.0.1:$((PORT + 3))" \
    --store "$RUN_DIR/labels.sqlite" $ANNOTATOR_ARGS
  ANNOTATOR_PID=$!
  for _ in $(seq 1 60); do
    "$YENDOR" health annotator --endpoint "tcp://127.0.0.1:$((PORT + 3))" --timeout 2 >/dev/null 2>&1 && break
    kill -0 "$ANNOTATOR_PID" 2>/dev/null || { echo "start.sh: the annotator exited; see $RUN_DIR/logs/annotator.log" >&2; tail -n 5 "$RUN_DIR/logs/annotator.log" >&2; stop_all; exit 1; }
  done
  # Without reward.annotator the learner would label in process and never ask this annotator.
  LEARNER_ARGS+=(--set "reward.annotator=127.0.0.1")
fi
[ -n "$STEPS" ] && LEARNER_ARGS+=(--steps "$STEPS")
start_role learner "${LEARNER_ARGS[@]}"
LEARNER_PID=$!

# Workers start once the learner answers, so their first Hello is not lost in a reconnect loop.
for _ in $(seq 1 60); do
  "$YENDOR" health learner --endpoint "tcp://127.0.0.1:$((PORT + 1))" --timeout 2 "${EXTRA[@]}" >/dev/null 2>&1 && break
  kill -0 "$LEARNER_PID" 2>/dev/null || { echo "start.sh: the learner exited; see $RUN_DIR/logs/learner.log" >&2; tail -n 5 "$RUN_DIR/logs/learner.log" >&2; stop_all; exit 1; }
done
kill -0 "$LEARNER_PID" 2>/dev/null || { echo "start.sh: the learner exited; see $RUN_DIR/logs/learner.log" >&2; tail -n 5 "$RUN_DIR/logs/learner.log" >&2; stop_all; exit 1; }
for i in $(seq 1 "$WORKERS"); do
  start_role "worker-$i" worker --id "local-$i" --learner 127.0.0.1 "${COMMON[@]}"
done

if [ "$DETACH" = 1 ]; then
  echo "running; stop with: $(dirname "$0")/stop.sh $RUN_DIR"
  exit 0
fi
# `wait` returns early when a trapped signal arrives, so the trap runs promptly.
set +e
wait "$LEARNER_PID"
STATUS=$?
stop_all
echo "learner exited with status $STATUS; metrics in $RUN_DIR/metrics.jsonl"
exit "$STATUS"
