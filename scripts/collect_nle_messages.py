#!/usr/bin/env python3
"""Collect NetHack message-line captions from NLE play, with their counts.

Regenerates data/nle-messages.tsv (issue 17): the real NetHack messages the annotator is
evaluated on. It drives `nle` directly over many seeds and several tasks, with two
scripted policies:

  random  uniform over the task's actions (what an untrained APPO policy does);
  walker  keeps a compass direction for a few steps, sometimes kicks, searches, eats,
          waits or goes down: it crosses rooms and corridors, so it meets more doors,
          monsters, items and deeper levels than uniform play.

Optionally it merges captions that Yendor's own training runs produced (`--policy-store`:
the labels.sqlite of `yendor train --env nle` run directories; every caption the learner
asked the annotator about). Those have no per-step counts; they are marked in `sources`.

Output: a TSV with a `#` header naming the command, then `count<TAB>episodes<TAB>sources<TAB>caption`,
sorted by count (descending) then caption. Captions are the message line with trailing
spaces and NULs stripped; empty messages are counted in the header, not listed.

    .venv/bin/python scripts/collect_nle_messages.py --episodes 150 --out data/nle-messages.tsv \
        --policy-store runs/nle-captions/{score,staircase,oracle}/labels.sqlite

where the runs come from (Yendor's own policies while they learn, 300,000 steps each):

    for task in score staircase oracle; do
      yendor train --env nle --task $task --steps 300000 --reward retrieval --seed 1 \
        --run-dir runs/nle-captions/$task
    done
"""
import argparse
import collections
import random
import sqlite3
import sys
import time

import gymnasium as gym
import nle  # noqa: F401  (registers the NetHack* environments)

TASKS = ["NetHackScore-v0", "NetHackStaircase-v0", "NetHackOracle-v0", "NetHackGold-v0",
         "NetHackEat-v0", "NetHackScout-v0"]


def caption(obs):
    return bytes(obs["message"]).split(b"\0", 1)[0].decode("latin-1").rstrip()


class Walker:
    """Keeps a direction for a geometric number of steps; other actions now and then."""

    def __init__(self, actions, rng):
        names = [f"{type(a).__name__}.{a.name}" for a in actions]
        self.moves = [i for i, n in enumerate(names) if n.startswith("CompassDirection.")]
        self.runs = [i for i, n in enumerate(names) if n.startswith("CompassDirectionLonger.")]
        self.other = [i for i, n in enumerate(names) if not n.startswith("CompassDirection")]
        self.down = [i for i, n in enumerate(names) if n == "MiscDirection.DOWN"]
        self.rng = rng
        self.current = rng.choice(self.moves)
        self.left = 0

    def act(self):
        r = self.rng.random()
        if self.down and r < 0.04:
            return self.down[0]
        if r < 0.14:
            return self.rng.choice(self.other)
        if r < 0.20:
            return self.rng.choice(self.runs)
        if self.left <= 0:
            self.current = self.rng.choice(self.moves)
            self.left = self.rng.randint(1, 12)
        self.left -= 1
        return self.current


def play(task, policy, episodes, first_seed, max_steps, counts, episode_counts, sources, totals):
    env = gym.make(task, observation_keys=("message",), max_episode_steps=max_steps)
    for episode in range(episodes):
        seed = first_seed + episode
        rng = random.Random(f"{task}/{policy}/{seed}")
        # NLE's reset(seed=) seeds only gymnasium's generator: seed NetHack's own RNGs, without
        # NetHack's anti-automation reseeding, so the same command gives the same games.
        env.unwrapped.seed(core=seed, disp=seed, reseed=False)
        obs, _ = env.reset()
        walker = Walker(env.unwrapped.actions, rng)
        seen = set()
        done = False
        while True:
            text = caption(obs)
            totals["steps"] += 1
            if text:
                counts[text] += 1
                sources[text].add(policy)
                seen.add(text)
            else:
                totals["empty"] += 1
            if done:
                break
            action = walker.act() if policy == "walker" else rng.randrange(env.action_space.n)
            obs, _, terminated, truncated, _ = env.step(action)
            done = terminated or truncated
        for text in seen:
            episode_counts[text] += 1
        totals["episodes"] += 1
    env.close()


def policy_captions(paths):
    """Distinct captions from labels.sqlite files of Yendor training runs."""
    found = set()
    for path in paths:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        for (text,) in db.execute("SELECT DISTINCT first FROM label WHERE task = 'classify'"):
            text = text.rstrip()
            if text:
                found.add(text)
        db.close()
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", default=TASKS)
    parser.add_argument("--policies", nargs="+", default=["random", "walker"], choices=["random", "walker"])
    parser.add_argument("--episodes", type=int, default=60, help="episodes per task and policy")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first episode")
    parser.add_argument("--max-steps", type=int, default=5000, help="episode step limit (NLE's default)")
    parser.add_argument("--policy-store", nargs="*", default=[],
                        help="labels.sqlite files of `yendor train --env nle` runs to merge")
    parser.add_argument("--out", default="data/nle-messages.tsv")
    args = parser.parse_args()

    counts, episode_counts = collections.Counter(), collections.Counter()
    sources = collections.defaultdict(set)
    totals = collections.Counter()
    started = time.time()
    for task in args.tasks:
        for policy in args.policies:
            play(task, policy, args.episodes, args.seed, args.max_steps, counts, episode_counts, sources, totals)
            print(f"{task} {policy}: {len(counts)} distinct so far, {totals['steps']} steps, "
                  f"{time.time() - started:.0f} s", file=sys.stderr)
    for text in policy_captions(args.policy_store):
        sources[text].add("yendor")
        counts.setdefault(text, 0)
        episode_counts.setdefault(text, 0)

    command = "scripts/collect_nle_messages.py " + " ".join(sys.argv[1:])
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    with open(args.out, "w", encoding="utf-8") as out:
        out.write(f"# NetHack message-line captions from NLE {nle.__version__} play (issue 17).\n")
        out.write(f"# Regenerate: {command}\n")
        out.write(f"# tasks: {' '.join(args.tasks)}; policies: {' '.join(args.policies)}; "
                  f"{args.episodes} episodes per task and policy from seed {args.seed}\n")
        out.write(f"# {totals['episodes']} episodes, {totals['steps']} steps, {totals['empty']} with an empty "
                  f"message (not listed), {len(rows)} distinct captions\n")
        out.write("# count = steps showing the caption; episodes = episodes showing it; sources = "
                  "random, walker, yendor (seen in a Yendor training run; count 0 if only there)\n")
        out.write("count\tepisodes\tsources\tcaption\n")
        for text, n in rows:
            clean = text.replace("\t", " ").replace("\n", " ")
            out.write(f"{n}\t{episode_counts[text]}\t{','.join(sorted(sources[text]))}\t{clean}\n")
    print(f"wrote {args.out}: {len(rows)} distinct captions", file=sys.stderr)


if __name__ == "__main__":
    main()
