#!/usr/bin/env bash
# The heterogeneous job for real on one machine: starts a private four-node Slurm cluster on
# localhost (cluster/slurm/local-cluster.sh, shared with test-local-slurm.sh), submits
# cluster/slurm/yendor-hetjob.sbatch with a short budget, CURVE on and a reward model that asks the
# annotator for labels, and checks the run: the budget was reached, the learner used the remote
# annotator and received labels, the annotator's label store exists, the workers on both worker
# nodes joined, and the job output shows the start-up order LLM -> annotator -> learner -> workers.
# Then SIGUSR1 -> checkpoint -> requeue -> resume (REQUEUE=0 skips that part, ~2.5 min).
#
#   sudo cluster/slurm/test-local-hetjob.sh     # YENDOR=path/to/yendor (default .build/debug/yendor); KEEP=1 keeps logs
#
# Two stand-ins, because this machine has no GPU:
# - The LLM server is cluster/slurm/llm-stub-server.py (the repository's OpenAI-compatible test stub
#   on a fixed loopback port; it answers "helpful" to every caption), given to the job script through
#   YENDOR_LLM_COMMAND instead of vLLM.
# - Resources: the script's #SBATCH lines ask for a GPU and 8-16 CPUs per task on 1 + 1 + 4 nodes.
#   sbatch options given on the command line per component (`sbatch A : B : C script`) override the
#   matching #SBATCH options of that component (options not given keep their #SBATCH value; tried on
#   Slurm 22.05), so the unmodified script is submitted with
#   `--gres=none --cpus-per-task=1` etc. per component. No copy of the script is made.
#
# Exit status 0 when every check passed. Everything it starts is stopped on exit.
set -uo pipefail
TEST_NAME=test-local-hetjob
NODE_COUNT=4   # n1: LLM + annotator, n2: learner, n3-n4: workers
STEPS="${STEPS:-3000}"
. "$(dirname "$0")/local-cluster.sh"

# The learner connects to the annotator with the server's key pair: allow it (see the job script).
[ -n "$KEYS" ] && cp "$KEYS/server.pub" "$KEYS/allowed/"

# Per-component overrides of the script's #SBATCH resource lines (see above).
COMPONENTS=(--nodes=1 --ntasks=1 --cpus-per-task=1 --gres=none
            : --nodes=1 --ntasks=1 --cpus-per-task=1
            : --nodes=2 --ntasks-per-node=1 --cpus-per-task=1)
echo "submitting the unmodified cluster/slurm/yendor-hetjob.sbatch with per-component overrides: ${COMPONENTS[*]}"
echo "LLM server: STAND-IN cluster/slurm/llm-stub-server.py (no GPU here), via YENDOR_LLM_COMMAND"

export YENDOR YENDOR_CONFIG="$BASE/tiny.yaml" YENDOR_KEYS="$KEYS" SWIFT_BACKTRACE=enable=no
export YENDOR_MODEL=stub-model
export YENDOR_LLM_COMMAND="python3 $REPO/cluster/slurm/llm-stub-server.py --host 127.0.0.1 --port \"\$YENDOR_LLM_PORT\" --model \"\$YENDOR_MODEL\""
export YENDOR_EXTRA_ARGS="--set reward.model=retrieval"
submit() {  # submit RUN_DIR STEPS PORT_BASE
  YENDOR_RUN_DIR="$1" YENDOR_STEPS="$2" YENDOR_PORT_BASE="$3" YENDOR_LLM_PORT=$(($3 + 5)) \
    sbatch --parsable --chdir="$BASE/job" --output="$BASE/job/slurm-%j.out" --export=ALL \
    "${COMPONENTS[@]}" "$REPO/cluster/slurm/yendor-hetjob.sbatch"
}
wait_done() {  # wait_done JOB SECONDS
  for _ in $(seq 1 $(($2 * 2))); do
    case "$(job_state "$1")" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|"") break ;; esac
    sleep 0.5
  done
}
line_of() { grep -n -m 1 "$2" "$1" 2>/dev/null | cut -d: -f1; }

# --- 1. a short budget runs to completion, labels flowing from the (stand-in) LLM ---
START=$SECONDS
JOB=$(submit "$BASE/run" "$STEPS" $((PORT + 10)))
JOB="${JOB%%;*}"
echo "submitted heterogeneous job $JOB (budget $STEPS env steps)"
sleep 3
echo "allocation: $(scontrol show job "$JOB" -o | sed -n 's/.*JobId=\([0-9]*\).*HetJobOffset=\([0-9]*\).* NodeList=\([^ ]*\).*/component \2 (job \1) on \3/p' | paste -sd';' | sed 's/;/; /g')"
wait_done "$JOB" 300
STATE=$(job_state "$JOB")
OUT="$BASE/job/slurm-$JOB.out"
RUN="$BASE/run"
[ "$STATE" = COMPLETED ] && pass "job $JOB COMPLETED in $((SECONDS - START)) s" || fail "job $JOB ended ${STATE:-unknown}: $(tail -n 20 "$OUT")"
STEPS_DONE=$(env_steps "$RUN")
[ "${STEPS_DONE:-0}" -ge "$STEPS" ] && pass "run directory shows $STEPS_DONE env steps (budget $STEPS)" || fail "env_steps ${STEPS_DONE:-none} < $STEPS"

if grep -q "asking the annotator at tcp://127.0.0.1:$((PORT + 12)) for labels" "$RUN/logs/learner.log"; then
  pass "the learner used the remote annotator: $(grep -o 'asking the annotator at [^ ]*' "$RUN/logs/learner.log" | head -n 1)"
else
  fail "the learner did not ask the remote annotator: $(grep -i annotator "$RUN/logs/learner.log" | head -n 3)"
fi
LABELS=$(grep -o '"rewards/labels_received": *[0-9.e+]*' "$RUN/metrics.jsonl" 2>/dev/null | tail -n 1 | sed 's/.*: *//' | awk '{printf "%d", $1}')
[ "${LABELS:-0}" -gt 0 ] && pass "labels reached the learner: rewards/labels_received = $LABELS in metrics.jsonl" || fail "no labels in metrics.jsonl (rewards/labels_received = ${LABELS:-absent})"
LABELED=$(grep -o 'labeled [0-9]*' "$RUN/logs/annotator.log" 2>/dev/null | tail -n 1 | awk '{print $2}')
[ "${LABELED:-0}" -gt 0 ] && pass "the annotator labeled $LABELED captions through the (stand-in) LLM server: $(grep -o 'labeled [0-9]* .*errors [0-9]*' "$RUN/logs/annotator.log" | tail -n 1)" ||
  fail "the annotator labeled nothing: $(tail -n 5 "$RUN/logs/annotator.log")"
if [ -s "$RUN/labels.sqlite" ]; then
  STORED=$(python3 -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(sum(c.execute('select count(*) from ' + t).fetchone()[0] for (t,) in c.execute(\"select name from sqlite_master where type='table' and name not like 'sqlite_%' and name not like 'grdb_%'\")))" "$RUN/labels.sqlite" 2>/dev/null)
  pass "the annotator's label store exists: $RUN/labels.sqlite ($(stat -c %s "$RUN/labels.sqlite") bytes, ${STORED:-?} rows)"
else
  fail "no label store at $RUN/labels.sqlite"
fi
for node in n3 n4; do
  grep -q "worker worker-$node-0-r0 joined" "$RUN/logs/learner.log" && pass "a worker on $node joined${KEYS:+ over CURVE}" || fail "no worker from $node joined"
done

# Start-up order in the job output: each "is up" line, then the workers' start.
L_LLM=$(line_of "$OUT" "the LLM server at .* is up")
L_ANN=$(line_of "$OUT" "the annotator at .* is up")
L_LRN=$(line_of "$OUT" "the learner at .* is up")
L_WRK=$(line_of "$OUT" "starting .* worker(s)")
if [ -n "$L_LLM" ] && [ -n "$L_ANN" ] && [ -n "$L_LRN" ] && [ -n "$L_WRK" ] &&
   [ "$L_LLM" -lt "$L_ANN" ] && [ "$L_ANN" -lt "$L_LRN" ] && [ "$L_LRN" -lt "$L_WRK" ]; then
  pass "start-up order in the job output: LLM (line $L_LLM) -> annotator (line $L_ANN) -> learner (line $L_LRN) -> workers (line $L_WRK)"
else
  fail "start-up order: LLM line ${L_LLM:-none}, annotator ${L_ANN:-none}, learner ${L_LRN:-none}, workers ${L_WRK:-none}"
fi
echo "--- job output ---"; cat "$OUT"; echo "---"

if [ "$FAILURES" -gt 0 ]; then echo "$TEST_NAME: $FAILURES check(s) failed; skipping the requeue check"; exit 1; fi
[ "${REQUEUE:-1}" = 0 ] && { echo "$TEST_NAME: all checks passed (requeue check skipped)"; exit 0; }

# --- 2. SIGUSR1 before the time limit: checkpoint, requeue, resume ---
RUN="$BASE/run2"
JOB=$(submit "$RUN" 100000000 $((PORT + 20)))
JOB="${JOB%%;*}"
echo "submitted heterogeneous job $JOB (long budget) to test SIGUSR1 + requeue"
for _ in $(seq 1 240); do [ "$(env_steps "$RUN")" -gt 500 ] 2>/dev/null && break; sleep 0.5; done
SIGNALLED_AT=$(env_steps "$RUN")
scancel --batch --signal=USR1 "$JOB"
# The learner must stop by itself and write a checkpoint (not be killed by Slurm).
for _ in $(seq 1 240); do grep -q "learner stopped" "$RUN/logs/learner.log" 2>/dev/null && break; sleep 0.5; done
grep -q "learner stopped" "$RUN/logs/learner.log" &&
  pass "after SIGUSR1 at ${SIGNALLED_AT:-?} env steps the learner stopped cleanly: $(grep -o 'learner stopped.*' "$RUN/logs/learner.log" | head -n 1)" ||
  fail "the learner did not stop cleanly after SIGUSR1: $(tail -n 6 "$RUN/logs/learner.log")"
# Slurm holds a requeued job for about two minutes (EligibleTime) before it starts again.
for _ in $(seq 1 600); do grep -q "resumed from ckpt-" "$RUN/logs/learner.log" 2>/dev/null && break; sleep 0.5; done
RESUMED_AT=$(grep -o 'resumed from ckpt-[0-9]* at [0-9]* env steps' "$RUN/logs/learner.log" | head -n 1 | sed 's/.* at \([0-9]*\) env steps/\1/')
if [ -n "$RESUMED_AT" ] && [ "$RESUMED_AT" -ge "${SIGNALLED_AT:-0}" ]; then
  pass "requeued job resumed from the checkpoint written on SIGUSR1: $(grep -o 'resumed from ckpt-[0-9]* at [0-9]* env steps' "$RUN/logs/learner.log" | head -n 1) (restart count $(scontrol show job "$JOB" -o | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p' | head -n 1))"
else
  fail "the job did not resume from a checkpoint at >= ${SIGNALLED_AT:-?} env steps (resumed at ${RESUMED_AT:-none}): $(tail -n 15 "$BASE/job/slurm-$JOB.out")"
fi
echo "--- job output (requeued job) ---"; cat "$BASE/job/slurm-$JOB.out"; echo "---"
touch "$RUN/no-requeue"
scancel "$JOB"

[ "$FAILURES" = 0 ] && echo "$TEST_NAME: all checks passed" || echo "$TEST_NAME: $FAILURES check(s) failed"
[ "$FAILURES" = 0 ]
