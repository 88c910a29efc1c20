#!/usr/bin/env bash
# The ONI experiment: learning curves on a sparse Dungeon task for each reward model, several seeds,
# with the lexicon labeler and with the simulated backend (LLM-like latency, failures, noise).
#   scripts/oni-experiment.sh [TASK] [STEPS] [SEEDS...]
# Writes runs/oni/<task>/<model>-<labeler>-s<seed>/ and plots docs/img/oni-<task>.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
task=${1:-staircase}
steps=${2:-600000}
shift 2 || true
seeds=("$@")
[ ${#seeds[@]} -eq 0 ] && seeds=(1 2)
bin=.build/release/yendor
[ -x "$bin" ] || swift build -c release --product yendor
out=runs/oni/$task
mkdir -p "$out"
run() {  # model labeler seed
  local dir="$out/$1-$2-s$3"
  # Skip runs that already reached the budget (rerunning the script only adds what is missing).
  if [ -f "$dir/metrics.jsonl" ] && python3 -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if r and r[-1]['env_steps']>=$steps else 1)" "$dir/metrics.jsonl"; then
    return 0
  fi
  rm -rf "$dir"
  "$bin" train --task "$task" --steps "$steps" --seed "$3" --run-dir "$dir" --log-level warning \
    --set reward.model="$1" --set reward.labeler="$2" --set run.log_interval=10
}
for seed in "${seeds[@]}"; do
  for model in none retrieval classification ranking; do run "$model" lexicon "$seed"; done
  run retrieval simulated "$seed"
done
series=()
for model in none retrieval classification ranking; do
  series+=("$model=$(ls -d "$out"/$model-lexicon-s* | paste -sd, -)")
done
series+=("retrieval+simulated LLM=$(ls -d "$out"/retrieval-simulated-s* | paste -sd, -)")
python3 scripts/plot_curves.py --metric rollout/success_rate --title "$task: success rate (last 200 episodes)" \
  --out "docs/img/oni-$task.svg" "${series[@]}"
