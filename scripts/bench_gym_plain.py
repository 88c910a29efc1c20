#!/usr/bin/env python3
"""Steps per second of N Gymnasium envs stepped in a plain Python loop (random actions, auto-reset),
the Python side of `yendor bench env --env gym:ID`, which measures the same envs served to Yendor in
the same run. Prints one JSON line.

    .venv/bin/python scripts/bench_gym_plain.py --env MiniHack-KeyRoom-S5-v0 --num-envs 16 --steps 500
"""
import argparse
import json
import time

import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--env", required=True)
    parser.add_argument("--num-envs", type=int, default=16)
    parser.add_argument("--steps", type=int, default=500, help="batched steps (each steps every env once)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from yendor_env.cli import import_for
    import gymnasium as gym
    import_for(args.env)
    envs = [gym.make(args.env) for _ in range(args.num_envs)]
    for i, e in enumerate(envs):
        e.reset(seed=args.seed + i)
    rng = np.random.default_rng(args.seed)
    actions = rng.integers(0, envs[0].action_space.n, size=(args.steps, args.num_envs))
    start = time.perf_counter()
    for s in range(args.steps):
        for i, e in enumerate(envs):
            _, _, terminated, truncated, _ = e.step(int(actions[s, i]))
            if terminated or truncated:
                e.reset()
    seconds = time.perf_counter() - start
    for e in envs:
        e.close()
    print(json.dumps({"env": args.env, "steps": args.steps * args.num_envs, "seconds": seconds,
                      "steps_per_second": args.steps * args.num_envs / seconds}))


if __name__ == "__main__":
    main()
