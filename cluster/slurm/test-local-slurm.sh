#!/usr/bin/env bash
# Slurm for real on one machine: installs Slurm and munge from Debian if needed, starts a private
# two-node cluster (both nodes on localhost; nothing under /etc is touched), submits
# cluster/slurm/yendor.sbatch with a short budget and CURVE on, and checks that the run directory
# shows training progress. Then it checks preemption: a second job gets SIGUSR1 (as before its time
# limit), checkpoints, requeues itself and resumes from its run directory.
#
#   sudo cluster/slurm/test-local-slurm.sh            # YENDOR=path/to/yendor (default .build/debug/yendor)
#
# Exit status 0 when every check passed. Everything it starts is stopped on exit.
set -uo pipefail
TEST_NAME=test-local-slurm
NODE_COUNT=2
STEPS="${STEPS:-3000}"
# Slurm + munge, a two-node cluster on localhost, CURVE keys, tiny.yaml, fail/pass and cleanup:
. "$(dirname "$0")/local-cluster.sh"

submit() {  # submit RUN_DIR STEPS PORT_BASE
  sbatch --parsable --nodes=2 --chdir="$BASE/job" --output="$BASE/job/slurm-%j.out" \
    --export="ALL,YENDOR=$YENDOR,YENDOR_CONFIG=$BASE/tiny.yaml,YENDOR_RUN_DIR=$1,YENDOR_STEPS=$2,YENDOR_KEYS=$KEYS,YENDOR_PORT_BASE=$3,SWIFT_BACKTRACE=enable=no" \
    "$REPO/cluster/slurm/yendor.sbatch"
}

# --- 1. a short budget runs to completion with workers on both nodes ---
START=$SECONDS
JOB=$(submit "$BASE/run" "$STEPS" $((PORT + 10)))
echo "submitted job $JOB (budget $STEPS env steps)"
for _ in $(seq 1 360); do
  case "$(job_state "$JOB")" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|"") break ;; esac
  sleep 0.5
done
STATE=$(job_state "$JOB")
[ "$STATE" = COMPLETED ] && pass "job $JOB COMPLETED in $((SECONDS - START)) s" || fail "job $JOB ended $STATE: $(tail -n 20 "$BASE/job/slurm-$JOB.out")"
STEPS_DONE=$(env_steps "$BASE/run")
[ "${STEPS_DONE:-0}" -ge "$STEPS" ] && pass "run directory shows $STEPS_DONE env steps (budget $STEPS)" || fail "env_steps ${STEPS_DONE:-none} < $STEPS"
for node in n1 n2; do
  grep -q "worker worker-$node-0-r0 joined" "$BASE/run/logs/learner.log" && pass "a worker on $node joined${KEYS:+ over CURVE}" || fail "no worker from $node joined"
done

if [ "$FAILURES" -gt 0 ]; then echo "test-local-slurm: $FAILURES check(s) failed; skipping the requeue check"; exit 1; fi

# --- 2. SIGUSR1 before the time limit: checkpoint, requeue, resume ---
JOB=$(submit "$BASE/run2" 100000000 $((PORT + 20)))
echo "submitted job $JOB (long budget) to test SIGUSR1 + requeue"
for _ in $(seq 1 240); do [ "$(env_steps "$BASE/run2")" -gt 500 ] 2>/dev/null && break; sleep 0.5; done
scancel --batch --signal=USR1 "$JOB"
# Slurm holds a requeued job for about two minutes (EligibleTime) before it starts again.
for _ in $(seq 1 600); do grep -q "resumed from ckpt-" "$BASE/run2/logs/learner.log" 2>/dev/null && break; sleep 0.5; done
if grep -q "resumed from ckpt-" "$BASE/run2/logs/learner.log"; then
  pass "requeued job resumed: $(grep -o 'resumed from ckpt-[0-9]* at [0-9]* env steps' "$BASE/run2/logs/learner.log" | head -1) (restart count $(scontrol show job "$JOB" -o | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p'))"
else
  fail "the job did not resume after SIGUSR1: $(tail -n 15 "$BASE/job/slurm-$JOB.out")"
fi
touch "$BASE/run2/no-requeue"
scancel "$JOB"

[ "$FAILURES" = 0 ] && echo "test-local-slurm: all checks passed" || echo "test-local-slurm: $FAILURES check(s) failed"
[ "$FAILURES" = 0 ]
