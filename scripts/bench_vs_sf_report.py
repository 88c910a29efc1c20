#!/usr/bin/env python3
"""Env steps/s of the two runs of scripts/bench-vs-sample-factory.sh, and their ratio.

Both rates use one rule: the run's own progress records (Sample Factory's "Total num frames" log
lines, every 5 s; Yendor's metrics.jsonl `env_steps`, every 2 s), from the first record at least
--warmup seconds after the first record with any env steps, to the last record written before the
run was stopped. rate = (steps_last - steps_first) / (time_last - time_first).

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
                                lag=r.get("learner/policy_lag", 0)))
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
    print(f"ratio Yendor / Sample Factory: {ratio:.2f}x   (goal of issue 13: >= 5x)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(sf_sps=sf["rate"], yendor_sps=y["rate"], ratio=ratio, sf_parameters=sf_model["parameters"],
                           sf_flops_forward=sf_model["flops_forward"], yendor_parameters=y_params,
                           yendor_mflop_forward=y_mflop, sf_window=sf["window"], yendor_window=y["window"],
                           sf_trained_in_window=sf_trained, sf_collected_in_window=sf_collected,
                           yendor_dropped_in_window=y_dropped, yendor_collected_in_window=y_collected), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
