#!/usr/bin/env python3
"""End-to-end training speed on a Gymnasium env with 1 and with 2 env-server processes, measured in
the same run: `yendor train --env gym:ID --env-servers K` for each K, the same total number of envs
(K servers × envs/K), each run stopped by SIGINT after `--seconds`. Env steps/s is the learner's
own count (`env_steps` in metrics.jsonl) over the run's second half, after start-up. Prints one line
per run and the ratio.

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


def run(binary, env, servers, envs, seconds, root):
    run_dir = os.path.join(root, f"servers-{servers}")
    log = open(os.path.join(root, f"servers-{servers}.log"), "w")
    cmd = [binary, "train", "--env", f"gym:{env}", "--env-servers", str(servers), "--envs", str(envs // servers),
           "--steps", "1000000000", "--seed", "1", "--run-dir", run_dir, "--set", "run.log_interval=5"]
    child = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                             env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))
    time.sleep(seconds)
    child.send_signal(signal.SIGINT)
    child.wait(timeout=120)
    sps, total = steps_per_second(run_dir)
    print(f"{servers} env server(s) x {envs // servers} envs: {sps:8.0f} env steps/s  ({total:.0f} steps in {seconds} s)",
          flush=True)
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
        one = run(args.binary, args.env, 1, args.envs, args.seconds, root)
        two = run(args.binary, args.env, 2, args.envs, args.seconds, root)
        print(f"2 servers / 1 server: {two / one:.2f}x")
    finally:
        if args.keep:
            print(f"runs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
