#!/usr/bin/env bash
# The ONI experiment: learning curves on a sparse Dungeon task for each reward model, several seeds,
# with the lexicon labeler and with the simulated backend (LLM-like latency, failures, noise).
#
#   scripts/oni-experiment.sh [TASK] [STEPS] [SEEDS...]
#
# Environment:
#   SETS     extra `--set key=value` overrides for every run, space-separated
#            (e.g. "env.map_rows=11 env.map_columns=32 reward.count_exponent=1")
#   ARGS     extra `yendor train` arguments for every run, space-separated
#            (e.g. "--env gym:MiniHack-KeyRoom-S5-v0 --env-servers 2 --envs 32")
#   MODELS   reward models to run (default "none retrieval classification ranking")
#   SIMULATED=0  skip the retrieval run with the simulated LLM backend
#   JOBS     runs at once (default 1; each run is one process using about one core)
#   TAG      name of the experiment (default TASK); runs go to runs/oni/TAG/, the plot to
#            docs/img/oni-TAG.svg
#
# Rerunning only adds the runs that have not reached STEPS yet.
set -euo pipefail
cd "$(dirname "$0")/.."
task=${1:-staircase}
steps=${2:-600000}
shift 2 || true
seeds=("$@")
[ ${#seeds[@]} -eq 0 ] && seeds=(1 2)
models=(${MODELS:-none retrieval classification ranking})
tag=${TAG:-$task}
jobs=${JOBS:-1}
sets=()
for kv in ${SETS:-}; do sets+=(--set "$kv"); done
args=(${ARGS:-})
bin=${YENDOR:-.build/release/yendor}
[ -x "$bin" ] || swift build -c release --product yendor
out=runs/oni/$tag
mkdir -p "$out"

run() {  # model labeler seed
  local dir="$out/$1-$2-s$3"
  # Skip runs that already reached the budget.
  if [ -f "$dir/metrics.jsonl" ] && python3 -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if r and r[-1]['env_steps']>=$steps else 1)" "$dir/metrics.jsonl"; then
    return 0
  fi
  rm -rf "$dir"
  SWIFT_BACKTRACE=enable=no "$bin" train --task "$task" --steps "$steps" --seed "$3" --run-dir "$dir" \
    --log-level warning --set reward.model="$1" --set reward.labeler="$2" --set run.log_interval=10 \
    "${sets[@]}" "${args[@]}" > "$dir.log" 2>&1 || { echo "run $dir failed, see $dir.log" >&2; return 1; }
  echo "done: $dir"
}

runs=()
for seed in "${seeds[@]}"; do
  for model in "${models[@]}"; do runs+=("$model lexicon $seed"); done
  [ "${SIMULATED:-1}" = 1 ] && runs+=("retrieval simulated $seed")
done
# At most $jobs runs at once.
for spec in "${runs[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run $spec &
done
wait

series=()
for model in "${models[@]}"; do
  series+=("$model=$(ls -d "$out"/$model-lexicon-s*/ | paste -sd, -)")
done
if [ "${SIMULATED:-1}" = 1 ]; then
  series+=("retrieval+simulated LLM=$(ls -d "$out"/retrieval-simulated-s*/ | paste -sd, -)")
fi
python3 scripts/plot_curves.py --metric rollout/success_rate --title "$tag: success rate (last 200 episodes)" \
  --out "docs/img/oni-$tag.svg" "${series[@]}"
