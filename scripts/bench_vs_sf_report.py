#!/usr/bin/env python3
"""Env steps/s of the two runs of scripts/bench-vs-sample-factory.sh, and their ratio.

Both rates use one rule: the run's own progress records (Sample Factory's "Total num frames" log
lines, every 5 s; Yendor's metrics.jsonl `env_steps`, every 2 s), from the first record at least
--warmup seconds after the first record with any env steps, to the last record written before the
run was stopped. rate = (steps_last - steps_first) / (time_last - time_first).

With --sgemm and --games (outputs of `yendor bench learner` and `yendor bench env --env nle`, run on the
same machine right after), it also prints the ceiling this machine sets for this network: the env
steps/s of a framework that costs nothing but its matrix products (one forward pass to act on a step,
forward and backward, three, to train on it) and the games, and what share of the sgemm peak the
matrix products would need for 5x Sample Factory.

Standard library only (runs with the system python3).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*m")
SF_LINE = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\]\[\d+\] Fps is \((?P<fps>[^)]*)\)\. Total num frames: (?P<frames>\d+)\."
    r".*?Samples: (?P<samples>\d+)")


def sf_records(path: str) -> list[dict]:
    """(time, env_steps, trained samples, SF's own FPS string) from an SF log."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = SF_LINE.match(ANSI.sub("", line).strip())
            if m:
                t = dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
                out.append(dict(time=t, steps=int(m.group("frames")), trained=int(m.group("samples")), fps=m.group("fps")))
    return out


def yendor_records(path: str) -> list[dict]:
    out = []
    with open(path) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                out.append(dict(time=r["time"], steps=r["env_steps"], dropped=r.get("learner/samples_dropped_lag", 0),
                                lag=r.get("learner/policy_lag", 0), game_us=r.get("rollout/env_step_cpu_us")))
    return out


def steady_rate(records: list[dict], warmup: float, launch: float, stop: float, name: str) -> dict:
    records = [r for r in records if r["time"] <= stop + 0.5]
    moving = [r for r in records if r["steps"] > 0]
    if not moving:
        sys.exit(f"bench: {name} made no env steps (see its log)")
    start = next((r for r in records if r["time"] >= moving[0]["time"] + warmup), None)
    last = records[-1]
    if start is None or last["time"] - start["time"] < 10:
        sys.exit(f"bench: {name}: under 10 s of records after the {warmup:.0f} s warm-up; raise the budget")
    return dict(rate=(last["steps"] - start["steps"]) / (last["time"] - start["time"]),
                window=last["time"] - start["time"], first=start, last=last,
                startup=moving[0]["time"] - launch, total=last["steps"])


GOAL = 5.0  # issue 13: Yendor >= 5x Sample Factory
SGEMM_ROW = re.compile(r"^\s*(\d+)\s+sgemm\s+\d+\s+-\s+([\d.]+)", re.M)
EFFICIENCY_ROW = re.compile(r"^\s*\d+\s+(train|inference)\s+\d+\s+\d+\s+[\d.]+\s+(\d+)%", re.M)
# The first median row is one game alone; a second, if there, the games stepped in turn.
GAMES_ROW = re.compile(r"^median:\s+Yendor-hosted\s+(\d+) steps/s", re.M)
IN_TURN_HEADER = re.compile(r"^(\d+) games, stepped in turn:", re.M)


def ceiling(flop_per_step: float, peak: float, game_rate: float, cores: int) -> float:
    """Env steps/s when each step costs only its matrix products at `peak` FLOP/s (the whole machine)
    and its game at `game_rate` steps/s per core, spread over `cores` cores."""
    return 1.0 / (flop_per_step / peak + 1.0 / (game_rate * cores))


def share_of_peak_needed(target: float, flop_per_step: float, peak: float, game_rate: float, cores: int) -> float:
    """The share of `peak` the matrix products must reach for `target` env steps/s when nothing else
    costs anything; above 1, the machine cannot do it at all."""
    room = 1.0 / target - 1.0 / (game_rate * cores)
    return float("inf") if room <= 0 else flop_per_step / peak / room


def machine_limits(sgemm_text: str, games_text: str) -> dict:
    """The sgemm peak (FLOP/s, most threads measured), its thread count, the training step's and
    inference's measured share of it, and the hosted game's steps/s per core."""
    peaks = [(int(t), float(g) * 1e9) for t, g in SGEMM_ROW.findall(sgemm_text)]
    games = [float(rate) for rate in GAMES_ROW.findall(games_text)]
    if not peaks or not games:
        sys.exit("bench: cannot read the sgemm peak or the hosted games' rate (see sgemm.txt, games.txt)")
    threads, peak = max(peaks)
    shares = {what: int(pct) / 100 for what, pct in EFFICIENCY_ROW.findall(sgemm_text)}
    in_turn = IN_TURN_HEADER.search(games_text)
    return dict(threads=threads, peak=peak, game_rate=games[0],
                games_in_turn=int(in_turn.group(1)) if in_turn and len(games) > 1 else None,
                game_rate_in_turn=games[1] if in_turn and len(games) > 1 else None,
                train_share=shares.get("train"), inference_share=shares.get("inference"))


def print_ceiling(mflop_forward: float, sf_rate: float, limits: dict, training_game_us: float | None) -> dict:
    """The ceiling with the games at what they cost while Yendor trained (`rollout/env_step_cpu_us`,
    its mean over the measured window) when the run reported it, else at `bench env`'s rate (one
    game, random actions: a game step costs several times less alone than among 64)."""
    flop = 4 * mflop_forward * 1e6  # act: 1 forward; train: forward + backward, 3
    cores, peak, alone = limits["threads"], limits["peak"], limits["game_rate"]
    games = 1e6 / training_game_us if training_game_us else alone
    top = ceiling(flop, peak, games, cores)
    need = share_of_peak_needed(GOAL * sf_rate, flop, peak, games, cores)
    print(f"ceiling          of this machine for this network, for a framework that costs nothing but its matrix")
    print(f"                 products ({flop / 1e6:.2f} MFLOP per env step: 1 forward to act, 3 to train) and its games:")
    in_turn = limits.get("game_rate_in_turn")
    others = f"one game alone, random actions: {alone:,.0f}" + (
        f"; {limits['games_in_turn']} stepped in turn, no network: {in_turn:,.0f}" if in_turn else "")
    where = (f"{games:,.0f} steps/s per core as Yendor's training ran them ({training_game_us:.0f} CPU us per step; "
             f"{others})") if training_game_us else f"{games:,.0f} steps/s per core"
    print(f"                 sgemm peak {peak / 1e9:.0f} GFLOP/s on {cores} threads, hosted games {where} (all measured now)")
    print(f"                 at 100% of the sgemm peak: {top:,.0f} env steps/s = {top / sf_rate:.2f}x Sample Factory")
    out = dict(ceiling_sps=top, sgemm_peak_gflops=peak / 1e9, sgemm_threads=cores, game_rate_per_core=games,
               game_rate_alone_per_core=alone, game_rate_in_turn_per_core=in_turn, share_of_peak_needed_for_goal=need)
    t, i = limits["train_share"], limits["inference_share"]
    if t and i:
        # The training step's and inference's own shares of the peak (yendor bench learner: the library's
        # default policy, larger than the compared one, so its matrices fill the kernels better).
        real = 1.0 / (mflop_forward * 1e6 / (peak * i) + 3 * mflop_forward * 1e6 / (peak * t) + 1.0 / (games * cores))
        print(f"                 at the shares of the peak Yendor's training step ({t:.0%}) and inference ({i:.0%}) reach on its default policy: "
              f"{real:,.0f} env steps/s = {real / sf_rate:.2f}x")
        out["ceiling_at_measured_shares_sps"] = real
    print(f"                 {GOAL:.0f}x Sample Factory = {GOAL * sf_rate:,.0f} env steps/s needs the matrix products at "
          + ("more than the whole machine can do" if need > 1 else f"{need:.0%} of the sgemm peak")
          + " with nothing else costing anything")
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--sf-log", required=True)
    p.add_argument("--sf-model", required=True, help="JSON from sf_nethack.py --describe True")
    p.add_argument("--sf-start", type=float, required=True, help="unix time SF was launched")
    p.add_argument("--sf-stop", type=float, required=True, help="unix time SF was sent SIGTERM")
    p.add_argument("--yendor-metrics", required=True)
    p.add_argument("--yendor-model", required=True, help="yendor bench train's 'network ...' line")
    p.add_argument("--yendor-start", type=float, required=True)
    p.add_argument("--yendor-stop", type=float, required=True)
    p.add_argument("--warmup", type=float, default=20)
    p.add_argument("--sgemm", help="output of `yendor bench learner` on this machine (for the ceiling)")
    p.add_argument("--games", help="output of `yendor bench env --env nle` on this machine (for the ceiling)")
    p.add_argument("--json", help="also write the figures here")
    a = p.parse_args()

    sf_model = json.load(open(a.sf_model))
    line = open(a.yendor_model).read()
    m = re.search(r"network (\d+) parameters, ([\d.]+) MFLOP per sample forward", line)
    if not m:
        sys.exit(f"bench: cannot read Yendor's network line: {line!r}")
    y_params, y_mflop = int(m.group(1)), float(m.group(2))

    sf = steady_rate(sf_records(a.sf_log), a.warmup, a.sf_start, a.sf_stop, "Sample Factory")
    y = steady_rate(yendor_records(a.yendor_metrics), a.warmup, a.yendor_start, a.yendor_stop, "Yendor")
    ratio = y["rate"] / sf["rate"]

    sf_trained = sf["last"]["trained"] - sf["first"]["trained"]
    sf_collected = sf["last"]["steps"] - sf["first"]["steps"]
    y_dropped = y["last"]["dropped"] - y["first"]["dropped"]
    y_collected = y["last"]["steps"] - y["first"]["steps"]
    print(f"network          Sample Factory: {sf_model['parameters']:,} parameters, {sf_model['flops_forward'] / 1e6:.3f} MFLOP per sample forward")
    print(f"                 Yendor:         {y_params:,} parameters, {y_mflop:.2f} MFLOP per sample forward")
    print(f"                 (both: 2 x multiply-adds of the conv and linear layers; embeddings, ELU, layer norm not counted)")
    print(f"Sample Factory   {sf['rate']:8.0f} env steps/s  (over {sf['window']:.0f} s after a {a.warmup:.0f} s warm-up; "
          f"first env steps {sf['startup']:.0f} s after launch; {sf['total']:,} env steps in all; "
          f"trained {sf_trained:,} samples in the window for {sf_collected:,} collected; "
          f"its own last report: {sf['last']['fps']})")
    print(f"Yendor           {y['rate']:8.0f} env steps/s  (over {y['window']:.0f} s after a {a.warmup:.0f} s warm-up; "
          f"first env steps {y['startup']:.0f} s after launch; {y['total']:,} env steps in all; "
          f"{y_dropped:,} of {y_collected:,} dropped as too stale in the window; policy lag {y['last']['lag']:.1f})")
    print(f"ratio Yendor / Sample Factory: {ratio:.2f}x   (goal of issue 13: >= {GOAL:.0f}x)")
    limits = {}
    if a.sgemm and a.games:
        window = [r["game_us"] for r in yendor_records(a.yendor_metrics)
                  if r["game_us"] is not None and y["first"]["time"] <= r["time"] <= y["last"]["time"]]
        limits = print_ceiling(y_mflop, sf["rate"], machine_limits(open(a.sgemm).read(), open(a.games).read()),
                               sum(window) / len(window) if window else None)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(**limits, sf_sps=sf["rate"], yendor_sps=y["rate"], ratio=ratio, sf_parameters=sf_model["parameters"],
                           sf_flops_forward=sf_model["flops_forward"], yendor_parameters=y_params,
                           yendor_mflop_forward=y_mflop, sf_window=sf["window"], yendor_window=y["window"],
                           sf_trained_in_window=sf_trained, sf_collected_in_window=sf_collected,
                           yendor_dropped_in_window=y_dropped, yendor_collected_in_window=y_collected), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
