# Sourced by cluster/slurm/test-local-*.sh: a private Slurm cluster on this machine.
# Installs Slurm and munge from Debian if needed, starts munged and slurmctld plus one slurmd per
# node (all nodes on localhost, on ports of their own; nothing under /etc is touched), waits until
# every node is idle, writes CURVE keys and a tiny training configuration, and stops everything on
# exit. Before sourcing set:
#   TEST_NAME    prefix for messages (e.g. test-local-slurm)
#   NODE_COUNT   number of Slurm nodes n1..nN (default 2; a heterogeneous job needs one per component)
# After sourcing: REPO YENDOR BASE PORT SLURM_CONF KEYS FAILURES, and fail/pass/job_state/env_steps.
# KEEP=1 keeps $BASE (it is also kept when a check failed); CURVE=0 leaves KEYS empty.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
YENDOR="${YENDOR:-$REPO/.build/debug/yendor}"
YENDOR="$(cd "$(dirname "$YENDOR")" && pwd)/$(basename "$YENDOR")"
NODE_COUNT="${NODE_COUNT:-2}"
[ "$(id -u)" = 0 ] || { echo "$TEST_NAME: needs root (it runs slurmd and munged)"; exit 77; }
[ -x "$YENDOR" ] || { echo "$TEST_NAME: no yendor binary at $YENDOR"; exit 1; }

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
  # Job processes outlive a killed slurmd; anything still running with a path of this run goes too.
  for pid in $(pgrep -f "$BASE/" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  if [ "${KEEP:-0}" = 1 ] || [ "$FAILURES" -gt 0 ]; then echo "logs kept in $BASE"; else rm -rf "$BASE"; fi
}
trap cleanup EXIT

# --- munge with explicit paths ---
mungekey --create --keyfile="$BASE/munge/munge.key" >/dev/null 2>&1 || { echo "FAIL: mungekey"; exit 1; }
chmod 600 "$BASE/munge/munge.key"
munged --key-file="$BASE/munge/munge.key" --socket="$BASE/munge/munge.socket" --pid-file="$BASE/munge/munged.pid" \
  --seed-file="$BASE/munge/munge.seed" --log-file="$BASE/munge/munged.log" --force || { echo "FAIL: munged did not start"; exit 1; }

# --- NODE_COUNT nodes on localhost, on ports of their own ---
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
NodeName=n[1-$NODE_COUNT] NodeHostname=localhost NodeAddr=127.0.0.1 Port=$((PORT + 1))-$((PORT + NODE_COUNT)) CPUs=2 RealMemory=$MEMORY State=UNKNOWN
PartitionName=test Nodes=n[1-$NODE_COUNT] Default=YES MaxTime=INFINITE State=UP
CONF
for n in $(seq 1 "$NODE_COUNT"); do mkdir -p "$BASE/spool/n$n"; done
slurmctld || { echo "FAIL: slurmctld did not start"; cat "$BASE/log/slurmctld.log"; exit 1; }
for n in $(seq 1 "$NODE_COUNT"); do slurmd -N "n$n" || { echo "FAIL: slurmd -N n$n did not start"; exit 1; }; done
for _ in $(seq 1 60); do [ "$(sinfo -h -o %t | sort -u | tr -d '\n')" = "idle" ] && break; sleep 0.5; done
[ "$(sinfo -h -o %t | sort -u | tr -d '\n')" = "idle" ] && pass "$NODE_COUNT idle Slurm nodes: $(sinfo -h -o '%N %t')" || { fail "nodes not idle: $(sinfo -h)"; exit 1; }

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
job_state() { scontrol show job "$1" -o 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1; }
env_steps() { tail -n 1 "$1/metrics.jsonl" 2>/dev/null | sed -n 's/.*"env_steps": *\([0-9.e+]*\).*/\1/p' | awk '{printf "%d", $1}'; }
