#!/usr/bin/env python3
"""End-to-end training speed on a Gymnasium env with 1 and with 2 env-server processes, each stepped
whole (env.server_splits=1, one rollout actor per server) and in two slices (the default: two actors
share each server), measured in the same run: `yendor train --env gym:ID --env-servers K` for each
case, the same total number of envs (K servers × envs/K), each run stopped by SIGINT after
`--seconds`. Env steps/s is the learner's own count (`env_steps` in metrics.jsonl) over the run's
second half, after start-up. Prints one line per run and the ratios.

    .venv/bin/python scripts/bench_gym_servers.py --binary .build/release/yendor --env MiniHack-KeyRoom-S5-v0 \\
        --envs 64 --seconds 150
"""
import argparse
import os
import shutil
import signal
import subprocess
import tempfile
import time

from yendor_env.plot import read


def steps_per_second(run_dir):
    rows = read(run_dir, "env_steps", "time")  # (time, env steps) per metrics record
    if len(rows) < 4:
        raise SystemExit(f"{run_dir}: too few metrics records ({len(rows)})")
    start, end = rows[len(rows) // 2], rows[-1]
    return (end[1] - start[1]) / (end[0] - start[0]), end[1]


def run(binary, env, servers, splits, envs, seconds, root):
    name = f"servers-{servers}-splits-{splits}"
    run_dir = os.path.join(root, name)
    log = open(os.path.join(root, f"{name}.log"), "w")
    actors = servers if splits == 1 else max(servers, 2)
    cmd = [binary, "train", "--env", f"gym:{env}", "--env-servers", str(servers), "--envs", str(envs // servers),
           "--actors", str(actors), "--set", f"env.server_splits={splits}",
           "--steps", "1000000000", "--seed", "1", "--run-dir", run_dir, "--set", "run.log_interval=5"]
    child = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                             env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))
    time.sleep(seconds)
    child.send_signal(signal.SIGINT)
    child.wait(timeout=120)
    sps, total = steps_per_second(run_dir)
    how = "whole" if splits == 1 else f"in {splits} slices"
    print(f"{servers} env server(s) x {envs // servers} envs, {how}, {actors} actor(s): {sps:8.0f} env steps/s  "
          f"({total:.0f} steps in {seconds} s)", flush=True)
    return sps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/yendor")
    parser.add_argument("--env", default="MiniHack-KeyRoom-S5-v0")
    parser.add_argument("--envs", type=int, default=64, help="total envs, split over the servers")
    parser.add_argument("--seconds", type=int, default=150)
    parser.add_argument("--keep", action="store_true", help="keep the run directories and logs")
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="yendor-bench-gym-servers-")
    try:
        sps = {(k, s): run(args.binary, args.env, k, s, args.envs, args.seconds, root) for k in (1, 2) for s in (1, 2)}
        for k in (1, 2):
            print(f"{k} server(s): in 2 slices / whole: {sps[k, 2] / sps[k, 1]:.2f}x")
        print(f"2 servers / 1 server (whole): {sps[2, 1] / sps[1, 1]:.2f}x; (in 2 slices): {sps[2, 2] / sps[1, 2]:.2f}x")
    finally:
        if args.keep:
            print(f"runs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
