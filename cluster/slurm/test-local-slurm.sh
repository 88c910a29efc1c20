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
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
YENDOR="${YENDOR:-$REPO/.build/debug/yendor}"
YENDOR="$(cd "$(dirname "$YENDOR")" && pwd)/$(basename "$YENDOR")"
STEPS="${STEPS:-3000}"
[ "$(id -u)" = 0 ] || { echo "test-local-slurm: needs root (it runs slurmd and munged)"; exit 77; }
[ -x "$YENDOR" ] || { echo "test-local-slurm: no yendor binary at $YENDOR"; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "installing Slurm and munge from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null; } ||
    { echo "FAIL: could not install Slurm"; exit 1; }
fi

BASE="$(mktemp -d /tmp/yendor-slurm-XXXXXX)"
chmod 755 "$BASE"
mkdir -p "$BASE/munge" "$BASE/etc" "$BASE/state" "$BASE/spool" "$BASE/log" "$BASE/job"
chmod 755 "$BASE/munge"
export SLURM_CONF="$BASE/etc/slurm.conf"
FAILURES=0
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok: $*"; }

cleanup() {
  scancel --quiet --full $(squeue -h -o %i 2>/dev/null) 2>/dev/null
  sleep 2
  for f in "$BASE"/state/slurmd-*.pid "$BASE/state/slurmctld.pid" "$BASE/munge/munged.pid"; do
    [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
  done
  sleep 1
  for f in "$BASE"/state/slurmd-*.pid "$BASE/state/slurmctld.pid" "$BASE/munge/munged.pid"; do
    [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
  done
  # Job processes outlive a killed slurmd; anything still running our binary from this run goes too.
  for pid in $(pgrep -f "$BASE/run" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  if [ "${KEEP:-0}" = 1 ] || [ "$FAILURES" -gt 0 ]; then echo "logs kept in $BASE"; else rm -rf "$BASE"; fi
}
trap cleanup EXIT

# --- munge with explicit paths ---
mungekey --create --keyfile="$BASE/munge/munge.key" >/dev/null 2>&1 || { echo "FAIL: mungekey"; exit 1; }
chmod 600 "$BASE/munge/munge.key"
munged --key-file="$BASE/munge/munge.key" --socket="$BASE/munge/munge.socket" --pid-file="$BASE/munge/munged.pid" \
  --seed-file="$BASE/munge/munge.seed" --log-file="$BASE/munge/munged.log" --force || { echo "FAIL: munged did not start"; exit 1; }

# --- a two-node cluster on localhost, on ports of its own ---
MEMORY=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 4 ))
PORT=$(( 16800 + $$ % 1000 ))
cat >"$SLURM_CONF" <<CONF
ClusterName=yendortest
SlurmctldHost=localhost
SlurmctldPort=$PORT
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$BASE/munge/munge.socket
StateSaveLocation=$BASE/state
SlurmdSpoolDir=$BASE/spool/%n
SlurmctldPidFile=$BASE/state/slurmctld.pid
SlurmdPidFile=$BASE/state/slurmd-%n.pid
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=bf_interval=1
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
NodeName=n[1-2] NodeHostname=localhost NodeAddr=127.0.0.1 Port=$((PORT + 1))-$((PORT + 2)) CPUs=2 RealMemory=$MEMORY State=UNKNOWN
PartitionName=test Nodes=n[1-2] Default=YES MaxTime=INFINITE State=UP
CONF
mkdir -p "$BASE/spool/n1" "$BASE/spool/n2"
slurmctld || { echo "FAIL: slurmctld did not start"; cat "$BASE/log/slurmctld.log"; exit 1; }
slurmd -N n1 && slurmd -N n2 || { echo "FAIL: slurmd did not start"; exit 1; }
for _ in $(seq 1 60); do [ "$(sinfo -h -o %t | sort -u | tr -d '\n')" = "idle" ] && break; sleep 0.5; done
[ "$(sinfo -h -o %t | sort -u | tr -d '\n')" = "idle" ] && pass "two idle Slurm nodes: $(sinfo -h -o '%N %t')" || { fail "nodes not idle: $(sinfo -h)"; exit 1; }

# --- keys (CURVE on) and a tiny configuration ---
for k in server worker; do "$YENDOR" keys generate --directory "$BASE/curve-keys" "$k" >/dev/null; done
mkdir -p "$BASE/curve-keys/allowed" && cp "$BASE/curve-keys/worker.pub" "$BASE/curve-keys/allowed/"
cat >"$BASE/tiny.yaml" <<'YAML'
env: {task: staircase, envs: 4, actors: 1, rollout_length: 16}
learner: {batch_size: 64, minibatch_size: 64}
model: {core_width: 16, core_layers: 1, conv_channels: 4, glyph_embedding: 4, glyph_features: 16, blstats_features: 8, caption_buckets: 64, caption_features: 8}
run: {log_interval: 1, checkpoint_interval: 5}
transport: {heartbeat_interval: 0.5}
YAML

KEYS="$BASE/curve-keys"
[ "${CURVE:-1}" = 0 ] && KEYS=""   # CURVE=0: run the job without encryption
job_state() { scontrol show job "$1" -o 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
env_steps() { tail -n 1 "$1/metrics.jsonl" 2>/dev/null | sed -n 's/.*"env_steps": *\([0-9.e+]*\).*/\1/p' | awk '{printf "%d", $1}'; }
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
