#!/usr/bin/env python3
"""Two `yendor` binaries (or one binary with two settings) trained back to back, alternating, in one run: env steps/s of each and the ratio.

    python3 scripts/bench_ab_train.py --a /tmp/yendor-before --b .build/release/yendor \
        --rounds 3 --steps 300000 -- --reward none
    python3 scripts/bench_ab_train.py --a .build/release/yendor --b .build/release/yendor \
        --b-arg=--set --b-arg=transport.queue_capacity=1 --rounds 3 --steps 1000000 -- --workers 2

Each round runs `A train` then `B train` (then B first in the next round, so neither always runs
second) with the same arguments, in a fresh run directory, and reads the rate from the run's
metrics.jsonl: (steps_last - steps_first) / (time_last - time_first) over the records after the
first 20% of the steps (start-up and the first updates left out). Also, over the same records, the
env steps/s kept (taken in minus those dropped as too stale, `learner/samples_dropped_lag`), the part
dropped, and the mean policy lag. Prints every run, each side's medians, and the medians of the
per-round ratios B / A.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile


def rates(metrics: str, steps: int) -> dict:
    """env steps/s taken in, env steps/s kept, the part dropped as too stale, the mean policy lag."""
    records = [json.loads(line) for line in open(metrics)]
    moving = [r for r in records if r["env_steps"] >= 0.2 * steps]
    if len(moving) < 2 or moving[-1]["time"] - moving[0]["time"] <= 0:
        raise SystemExit(f"{metrics}: too few records to measure a rate")
    first, last = moving[0], moving[-1]
    seconds = last["time"] - first["time"]
    taken = last["env_steps"] - first["env_steps"]
    dropped = last.get("learner/samples_dropped_lag", 0) - first.get("learner/samples_dropped_lag", 0)
    lags = [r["learner/policy_lag"] for r in moving if "learner/policy_lag" in r]
    return {"rate": taken / seconds, "kept": (taken - dropped) / seconds, "dropped": dropped / taken if taken else 0.0,
            "lag": statistics.mean(lags) if lags else float("nan")}


def run(binary: str, steps: int, extra: list[str]) -> dict:
    directory = tempfile.mkdtemp(prefix="yendor-ab-")
    try:
        env = dict(os.environ, SWIFT_BACKTRACE="enable=no")
        subprocess.run([binary, "train", "--steps", str(steps), "--run-dir", directory, "--log-level", "warning",
                        "--set", "run.log_interval=1"] + extra, check=True, env=env, stdout=subprocess.DEVNULL)
        return rates(os.path.join(directory, "metrics.jsonl"), steps)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--a", required=True, help="the first binary (e.g. the build before a change)")
    p.add_argument("--b", required=True, help="the second binary (may be the first, with other --b-arg)")
    p.add_argument("--a-arg", action="append", default=[], help="an argument for A's runs only (repeatable; --a-arg=--set)")
    p.add_argument("--b-arg", action="append", default=[], help="an argument for B's runs only (repeatable)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=300_000)
    p.add_argument("extra", nargs="*", help="arguments for both `yendor train` runs (after --)")
    args = p.parse_args()
    runs = {"a": [], "b": []}
    ratios, kept_ratios = [], []
    names = {w: " ".join([getattr(args, w)] + getattr(args, f"{w}_arg")) for w in ("a", "b")}
    for k in range(args.rounds):
        order = ["a", "b"] if k % 2 == 0 else ["b", "a"]
        got = {}
        for which in order:
            got[which] = run(getattr(args, which), args.steps, getattr(args, f"{which}_arg") + args.extra)
            runs[which].append(got[which])
            g = got[which]
            print(f"round {k + 1}  {which.upper()} {names[which]}: {g['rate']:8.0f} env steps/s, {g['kept']:8.0f} kept/s "
                  f"({100 * g['dropped']:.1f}% dropped as too stale), mean policy lag {g['lag']:.1f}", flush=True)
        ratios.append(got["b"]["rate"] / got["a"]["rate"])
        kept_ratios.append(got["b"]["kept"] / got["a"]["kept"])
    for which in ("a", "b"):
        r = runs[which]
        print(f"{which.upper()} median {statistics.median(x['rate'] for x in r):8.0f} env steps/s, "
              f"{statistics.median(x['kept'] for x in r):8.0f} kept/s, {100 * statistics.median(x['dropped'] for x in r):.1f}% dropped, "
              f"lag {statistics.median(x['lag'] for x in r):.1f}  ({names[which]})")
    print(f"ratio B / A: median of {args.rounds} rounds {statistics.median(ratios):.3f} "
          f"(per round: {', '.join(f'{r:.3f}' for r in ratios)}); "
          f"kept/s {statistics.median(kept_ratios):.3f} (per round: {', '.join(f'{r:.3f}' for r in kept_ratios)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
