#!/usr/bin/env python3
"""Steps per second of the `nle` Python env under uniformly random actions, on one core.

With --envs N, N envs are stepped in turn (as a rollout worker steps its envs), so each game's
memory is cold in the caches when its turn comes again.

The Python side of `yendor bench env --env nle`, which runs it in the same session as Yendor's own
host and prints the ratio. Prints one JSON line: {"task", "envs", "steps", "seconds", "steps_per_second",
"episodes"}.

    .venv/bin/python scripts/bench_nle_python.py --task score --steps 100000 --seed 1 [--envs 32]
"""

import argparse
import json
import random
import time

TASKS = {
    "score": "NetHackScore", "staircase": "NetHackStaircase", "pet": "NetHackStaircasePet",
    "oracle": "NetHackOracle", "gold": "NetHackGold", "eat": "NetHackEat", "scout": "NetHackScout",
    "challenge": "NetHackChallenge",
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--task", default="score", choices=sorted(TASKS))
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--envs", type=int, default=1)
    args = parser.parse_args()

    from nle.env import tasks
    envs = [getattr(tasks, TASKS[args.task])(observation_keys=("glyphs", "blstats", "message"))
            for _ in range(max(1, args.envs))]
    rng = random.Random(args.seed)
    n = envs[0].action_space.n
    for env in envs:
        env.reset()
    episodes = 0
    start = time.perf_counter()
    for k in range(args.steps):
        env = envs[k % len(envs)]
        _, _, terminated, truncated, _ = env.step(rng.randrange(n))
        if terminated or truncated:
            episodes += 1
            env.reset()
    seconds = time.perf_counter() - start
    for env in envs:
        env.close()
    print(json.dumps({"task": args.task, "envs": len(envs), "steps": args.steps, "seconds": seconds,
                      "steps_per_second": args.steps / seconds if seconds > 0 else 0.0, "episodes": episodes}))


if __name__ == "__main__":
    main()
