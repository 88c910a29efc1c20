#!/usr/bin/env python3
"""Steps per second of N Gymnasium envs stepped in a plain Python loop (auto-reset), the Python side
of `yendor bench env --env gym:ID`, which measures the same envs served to Yendor in the same run.
Prints one JSON line.

The envs are seeded as an env server seeds them (env i: `reset(seed=seed + i)`, and NetHack-based
envs also get NetHack's seeds from a generator seeded with `seed + i` before every reset), and with
`--actions` they take the very actions the served measurement sends, so both sides play the same
games and do the same work.

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
    parser.add_argument("--actions", help="file of little-endian i32 actions [steps, num-envs] (default: random)")
    args = parser.parse_args()

    from yendor_env.cli import import_for
    from yendor_env.server import is_nethack, seed_nethack
    import gymnasium as gym
    import_for(args.env)
    envs = [gym.make(args.env) for _ in range(args.num_envs)]
    rngs = [np.random.default_rng(args.seed + i) for i in range(args.num_envs)]
    nethack = is_nethack(envs[0])

    def reset(i, seed=None):
        if nethack:
            core, disp = (int(v) for v in rngs[i].integers(0, 1 << 63, size=2))
            seed_nethack(envs[i], core, disp)
        envs[i].reset(seed=seed) if seed is not None else envs[i].reset()

    for i in range(args.num_envs):
        reset(i, args.seed + i)
    if args.actions:
        actions = np.fromfile(args.actions, dtype="<i4").reshape(args.steps, args.num_envs)
    else:
        actions = np.random.default_rng(args.seed).integers(0, envs[0].action_space.n, size=(args.steps, args.num_envs))
    start = time.perf_counter()
    for s in range(args.steps):
        for i, e in enumerate(envs):
            _, _, terminated, truncated, _ = e.step(int(actions[s, i]))
            if terminated or truncated:
                reset(i)
    seconds = time.perf_counter() - start
    for e in envs:
        e.close()
    print(json.dumps({"env": args.env, "steps": args.steps * args.num_envs, "seconds": seconds,
                      "steps_per_second": args.steps * args.num_envs / seconds}))


if __name__ == "__main__":
    main()
