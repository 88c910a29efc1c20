#!/usr/bin/env bash
# Yendor vs Sample Factory 2.1.1: APPO on NLE's NetHackScore, the same machine, back to back, networks
# of the same size; prints both env steps/s and their ratio, measured in this run (issue 13, item 5).
#
#   scripts/bench-vs-sample-factory.sh [--seconds 120] [--warmup 20] [--envs 32]
#
# 1. Makes .venv-sf (python/requirements-sf.txt: sample-factory 2.1.1, nle 1.0.0, gymnasium 0.29.1,
#    numpy 1.26.4, torch 2.13.0 CPU); quick when it is already there. Sample Factory needs gymnasium<1
#    and numpy<2, so it plays NetHack through nle 1.0.0; Yendor hosts nle 1.3.0's libnethack.so (.venv,
#    `make deps`). Both are NetHack 3.6.6 with the same NetHackScore task (23 actions, 5,000-step limit).
# 2. Sample Factory (scripts/sf_nethack.py): APPO, CPU, 2 rollout workers x ENVS envs, no RNN, a copy of
#    Yendor's network (9x9 glyph crop: embedding + two 3x3 convs; blstats MLP; hashed message words;
#    two core layers), for SECONDS of wall clock, then SIGTERM (SF ignores SIGINT, and its
#    --train_for_seconds was not honoured once). SF's children outlive its main process, so its whole
#    process group is stopped after it.
# 3. Yendor: `yendor train --env nle --task score --reward none`, 2 actors x ENVS envs in one process,
#    the same network settings (MODEL_* below), the same SECONDS, then SIGTERM.
# 4. The machine's own limits, measured right after: the sgemm peak and Yendor's training and inference
#    shares of it (`yendor bench learner`), and the hosted game's steps/s on one core (`yendor bench env
#    --env nle`).
# 5. Env steps/s of each run from its own progress records after WARMUP seconds (see
#    scripts/bench_vs_sf_report.py), both parameter counts and FLOPs per sample, the ratio, and the
#    ceiling the limits of step 4 set for this network (and what share of the sgemm peak 5x would need),
#    with the games at what they cost in Yendor's run (`rollout/env_step_cpu_us`: 64 games cost several
#    times more per step than the one game `bench env` plays).
#
# Logs and run directories stay in runs/bench-vs-sf/<UTC time>/. Results: docs/benchmarks.md.
# Environment: YENDOR (binary, default .build/release/yendor; this script does not build it).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

budget=120 warmup=20 envs=32 workers=2
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) budget="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --envs) envs="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
# The network, for both (Yendor's `yendor config` keys; its defaults).
MODEL_GLYPH_EMBEDDING=16 MODEL_CONV_CHANNELS=16,16 MODEL_GLYPH_FEATURES=128 MODEL_BLSTATS_FEATURES=32
MODEL_CAPTION_BUCKETS=4096 MODEL_CAPTION_FEATURES=32 MODEL_CORE_WIDTH=128 MODEL_CORE_LAYERS=2 CROP=9
yendor_model=(--set model.glyph_embedding=$MODEL_GLYPH_EMBEDDING --set model.conv_channels=$MODEL_CONV_CHANNELS
  --set model.glyph_features=$MODEL_GLYPH_FEATURES --set model.blstats_features=$MODEL_BLSTATS_FEATURES
  --set model.caption_buckets=$MODEL_CAPTION_BUCKETS --set model.caption_features=$MODEL_CAPTION_FEATURES
  --set model.core_width=$MODEL_CORE_WIDTH --set model.core_layers=$MODEL_CORE_LAYERS --set model.core=mlp
  --set env.crop_size=$CROP)
sf_model=(--yc_glyph_embedding $MODEL_GLYPH_EMBEDDING --yc_conv_channels $MODEL_CONV_CHANNELS
  --yc_glyph_features $MODEL_GLYPH_FEATURES --yc_blstats_features $MODEL_BLSTATS_FEATURES
  --yc_caption_buckets $MODEL_CAPTION_BUCKETS --yc_caption_features $MODEL_CAPTION_FEATURES
  --yc_core_width $MODEL_CORE_WIDTH --yc_core_layers $MODEL_CORE_LAYERS --yc_crop $CROP)
# The APPO settings both use (Yendor's defaults): rollout 32, batch 1024, one epoch, lr 3e-4, clip 0.1,
# entropy 0.01, value 0.5, grad norm 4, no input or return normalisation.
yendor_appo=(--set env.rollout_length=32 --set learner.batch_size=1024 --set learner.minibatch_size=1024
  --set learner.epochs=1 --set learner.learning_rate=0.0003 --set learner.ppo_clip=0.1
  --set learner.entropy_coef=0.01 --set learner.value_loss_coef=0.5 --set learner.max_grad_norm=4.0
  --set learner.normalize_rewards=false --set learner.blas_threads=1)
sf_appo=(--rollout 32 --batch_size 1024 --num_batches_per_epoch 1 --num_epochs 1 --learning_rate 0.0003
  --ppo_clip_ratio 0.1 --exploration_loss_coeff 0.01 --value_loss_coeff 0.5 --max_grad_norm 4.0
  --normalize_input False --normalize_returns False)

yendor="${YENDOR:-$repo/.build/release/yendor}"
[ -x "$yendor" ] || { echo "bench: no Yendor binary at $yendor (swift build -c release --product yendor)" >&2; exit 1; }
[ -d "$repo/.venv" ] || { echo "bench: no .venv with nle 1.3.0 for Yendor's NetHack: run 'make deps'" >&2; exit 1; }

# --- 1. Sample Factory's virtualenv ------------------------------------------------------------------
venv="$repo/.venv-sf" req="$repo/python/requirements-sf.txt"
sfpy="$venv/bin/python"
sf_ok() {
  [ -x "$sfpy" ] && cmp -s "$req" "$venv/.yendor-requirements" && "$sfpy" - <<'EOF' 2>/dev/null
import importlib.metadata as m, sys
want = {"sample-factory": "2.1.1", "nle": "1.0.0", "gymnasium": "0.29.1", "numpy": "1.26.4", "torch": "2.13.0+cpu"}
sys.exit(0 if all(m.version(k) == v for k, v in want.items()) else 1)
EOF
}
if ! sf_ok; then
  echo "bench: making $venv from $req (a few minutes)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  links=(); [ -d /opt/wheels ] && links=(--find-links /opt/wheels)
  if ! "$sfpy" -m pip install -q --disable-pip-version-check --only-binary=nle,numpy,torch "${links[@]}" -r "$req"; then
    echo "bench: could not install $req (torch 2.13.0+cpu: a wheel in /opt/wheels, or" >&2
    echo "bench:   PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu)" >&2
    exit 1
  fi
  cp "$req" "$venv/.yendor-requirements"
  sf_ok || { echo "bench: $venv does not hold the pinned versions after installing" >&2; exit 1; }
fi
sf_versions="$("$sfpy" -c 'import importlib.metadata as m; print(", ".join(f"{k} {m.version(k)}" for k in ("sample-factory", "nle", "gymnasium", "numpy", "torch")))')"

out="$repo/runs/bench-vs-sf/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out/sf" "$out/yendor"
exec > >(tee "$out/summary.txt") 2>&1

# Process groups this script started; stopped on any exit.
groups=()
cleanup() { for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts "$@" in a process group of its own (stdout+stderr to $log); sets pid.
start() {
  local log="$1"; shift
  setsid "$@" >"$log" 2>&1 &
  pid=$!
  groups+=("$pid")
}
# Waits until $1 seconds after $2 (epoch), failing if process $3 exits early (its log is $4).
run_for() {
  local end; end=$(awk -v s="$2" -v b="$1" 'BEGIN { printf "%d", s + b }')
  while [ "$(date +%s)" -lt "$end" ]; do
    kill -0 "$3" 2>/dev/null || { echo "bench: the run stopped early; last lines of $4:" >&2; tail -20 "$4" >&2; exit 1; }
    sleep 1
  done
}
# SIGTERM to pid $1, wait up to $2 s, then SIGTERM/SIGKILL to whatever is left of its group.
stop() {
  local pid="$1" grace="$2" i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 2; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -TERM -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do pgrep -g "$pid" >/dev/null || return 0; sleep 0.5; done
  kill -KILL -- "-$pid" 2>/dev/null || true
}
# CPU seconds used so far by the process group $1 (all its processes and threads).
cpu_of() { ps -o times= -g "$1" | awk '{ s += $1 } END { print s + 0 }'; }
load() { echo "$(date -u +%H:%M:%S) $(uptime | sed 's/.*load average/load average/')"; }
busy() { ps -eo pcpu=,args= --sort=-pcpu | awk '$1 >= 5 { printf "    %5.1f%%  %s\n", $1, substr($0, index($0, $2), 100) }' | head -6; }
# One measured run, the same for both contenders: starts the command after $1 (log) and $2 (grace, s),
# lets it run for $budget s, stops it, prints its time and cores; sets run_start and run_stop (epoch s).
timed_run() {
  local log="$1" grace="$2" cpu; shift 2
  run_start=$(date +%s.%N)
  start "$log" "$@"
  run_for "$budget" "$run_start" "$pid" "$log"
  cpu=$(cpu_of "$pid")
  run_stop=$(date +%s.%N)
  stop "$pid" "$grace"
  echo "   stopped after $(awk -v a="$run_start" -v b="$run_stop" -v c="$cpu" 'BEGIN { printf "%.0f s, having used %.0f CPU-s (%.2f cores on average)", b - a, c, c / (b - a) }'); load: $(load)"
}

echo "== Yendor vs Sample Factory, APPO on NetHackScore, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/Mem:/ { print $2 " GiB" }')"
echo "Yendor: $yendor ($(date -u -r "$yendor" '+built %Y-%m-%d %H:%M UTC'), repo at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources || echo ' + uncommitted Sources changes'))"
echo "Sample Factory: $sf_versions (.venv-sf); Sample Factory plays nle 1.0.0, Yendor hosts nle 1.3.0's libnethack.so"
echo "budget ${budget} s per run, warm-up ${warmup} s, $workers workers/actors x $envs envs each, CPU only"
echo "load before: $(load)"
echo "  processes using >= 5% CPU now:"; busy

# --- 2. Sample Factory ---------------------------------------------------------------------------------
sf_args=(--env nethack_score --experiment bench --train_dir "$out/sf" --restart_behavior overwrite "${sf_model[@]}")
"$sfpy" scripts/sf_nethack.py "${sf_args[@]}" --describe True 2>"$out/sf/describe.log" | tail -1 >"$out/sf/model.json"
echo
echo "-- Sample Factory: $(cat "$out/sf/model.json")"
echo "   load: $(load)"
timed_run "$out/sf/stdout.txt" 10 env PYTHONWARNINGS=ignore "$sfpy" scripts/sf_nethack.py "${sf_args[@]}" --algo APPO --device cpu \
  --num_workers "$workers" --num_envs_per_worker "$envs" --worker_num_splits 2 --use_rnn False "${sf_appo[@]}" \
  --save_every_sec 100000 --save_best_every_sec 100000 --experiment_summaries_interval 5
sf_start=$run_start sf_stop=$run_stop
sleep 5

# --- 3. Yendor -----------------------------------------------------------------------------------------
yendor_args=(--env nle --task score --reward none "${yendor_model[@]}")
# Yendor's own count of parameters and FLOPs: the first line of `yendor bench train`, which is stopped
# right after printing it.
start "$out/yendor/describe.txt" stdbuf -oL "$yendor" bench train "${yendor_args[@]}" --actors "$workers" --envs "$envs"
for ((i = 0; i < 120; i++)); do grep -q "MFLOP" "$out/yendor/describe.txt" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
stop "$pid" 5
grep -m1 "MFLOP" "$out/yendor/describe.txt" >"$out/yendor/model.txt" || { echo "bench: yendor bench train printed no network line:" >&2; cat "$out/yendor/describe.txt" >&2; exit 1; }
echo
echo "-- Yendor: $(cat "$out/yendor/model.txt")"
echo "   load: $(load)"
timed_run "$out/yendor/stdout.txt" 30 env SWIFT_BACKTRACE=enable=no "$yendor" train "${yendor_args[@]}" "${yendor_appo[@]}" \
  --actors "$workers" --envs "$envs" --steps 1000000000000 --run-dir "$out/yendor/run" \
  --set run.log_interval=2 --set run.checkpoint_interval=100000 --log-level warning
yendor_start=$run_start yendor_stop=$run_stop

# --- 4. The machine's limits -----------------------------------------------------------------------------
echo
echo "-- this machine's limits: sgemm peak, and the hosted games (one alone, $envs in turn); load: $(load)"
"$yendor" bench learner --threads "$(nproc)" --train-batches 1024 --inference-batches 64 --seconds 2 >"$out/sgemm.txt" 2>&1 \
  || { echo "bench: yendor bench learner failed:" >&2; cat "$out/sgemm.txt" >&2; exit 1; }
"$yendor" bench env --env nle --task score --rounds 1 --steps 200000 --vector "$envs" >"$out/games.txt" 2>&1 \
  || { echo "bench: yendor bench env failed:" >&2; cat "$out/games.txt" >&2; exit 1; }

# --- 5. Figures ----------------------------------------------------------------------------------------
echo
python3 scripts/bench_vs_sf_report.py --sf-log "$out/sf/bench/sf_log.txt" --sf-model "$out/sf/model.json" --sf-start "$sf_start" --sf-stop "$sf_stop" \
  --yendor-metrics "$out/yendor/run/metrics.jsonl" --yendor-model "$out/yendor/model.txt" --yendor-start "$yendor_start" --yendor-stop "$yendor_stop" \
  --sgemm "$out/sgemm.txt" --games "$out/games.txt" --warmup "$warmup" --json "$out/figures.json"
echo "load after: $(load)"
echo "logs: ${out#"$repo"/}"
