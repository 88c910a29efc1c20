#!/usr/bin/env python3
"""Two `yendor` binaries trained back to back, alternating, in one run: env steps/s of each and the ratio.

    python3 scripts/bench_ab_train.py --a /tmp/yendor-before --b .build/release/yendor \
        --rounds 3 --steps 300000 -- --reward none

Each round runs `A train` then `B train` (then B first in the next round, so neither always runs
second) with the same arguments, in a fresh run directory, and reads the rate from the run's
metrics.jsonl: (steps_last - steps_first) / (time_last - time_first) over the records after the
first 20% of the steps (start-up and the first updates left out). Prints every run, each binary's
median, and the median of the per-round ratios B / A.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile


def rate(metrics: str, steps: int) -> float:
    records = [json.loads(line) for line in open(metrics)]
    moving = [r for r in records if r["env_steps"] >= 0.2 * steps]
    if len(moving) < 2 or moving[-1]["time"] - moving[0]["time"] <= 0:
        raise SystemExit(f"{metrics}: too few records to measure a rate")
    return (moving[-1]["env_steps"] - moving[0]["env_steps"]) / (moving[-1]["time"] - moving[0]["time"])


def run(binary: str, steps: int, extra: list[str]) -> float:
    directory = tempfile.mkdtemp(prefix="yendor-ab-")
    try:
        env = dict(os.environ, SWIFT_BACKTRACE="enable=no")
        subprocess.run([binary, "train", "--steps", str(steps), "--run-dir", directory, "--log-level", "warning",
                        "--set", "run.log_interval=1"] + extra, check=True, env=env, stdout=subprocess.DEVNULL)
        return rate(os.path.join(directory, "metrics.jsonl"), steps)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--a", required=True, help="the first binary (e.g. the build before a change)")
    p.add_argument("--b", required=True, help="the second binary")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=300_000)
    p.add_argument("extra", nargs="*", help="arguments for both `yendor train` runs (after --)")
    args = p.parse_args()
    rates = {"a": [], "b": []}
    ratios = []
    for k in range(args.rounds):
        order = ["a", "b"] if k % 2 == 0 else ["b", "a"]
        got = {}
        for which in order:
            got[which] = run(getattr(args, which), args.steps, args.extra)
            rates[which].append(got[which])
            print(f"round {k + 1}  {which.upper()} {getattr(args, which)}: {got[which]:8.0f} env steps/s", flush=True)
        ratios.append(got["b"] / got["a"])
    print(f"A median {statistics.median(rates['a']):8.0f} env steps/s  ({args.a})")
    print(f"B median {statistics.median(rates['b']):8.0f} env steps/s  ({args.b})")
    print(f"ratio B / A: median of {args.rounds} rounds {statistics.median(ratios):.3f} "
          f"(per round: {', '.join(f'{r:.3f}' for r in ratios)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
