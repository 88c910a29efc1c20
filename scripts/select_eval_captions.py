#!/usr/bin/env python3
"""Choose the captions of the annotator's evaluation set from data/nle-messages.tsv.

The choice is reproducible (fixed seed) and covers both ends of the distribution:
  - the most frequent captions (what dominates count-weighted precision and recall);
  - a uniform sample of the rest, per count band (1, 2-9, 10-99, 100+), so rare captions,
    most of the distinct ones, are represented;
  - a sample of captions that mention the events the goals are about (gold, kills, stairs,
    doors, items taken, level changes, the Oracle), because uniform samples contain few of
    them and precision/recall need positives.
The verdicts are then written by hand (docs/annotator.md, "Labeling rules"); this script only
prints the chosen captions, `count<TAB>caption`, in dataset order.

    python3 scripts/select_eval_captions.py > /tmp/chosen.tsv
"""
import argparse
import random
import re

TOPICS = [r"staircase down|ladder down|trap door|hole|fall through|never been this deep",
          r"\$ - |gold piece|zorkmid|counting money|guard on patrol",
          r"\byou kill|you destroy|welcome to experience",
          r"you hit|you kick the|you miss|bites!|hits!",
          r"door",
          r"^[a-zA-Z] - |  [a-zA-Z] - ",
          r"oracle|centaur|delphi|woodchuck|strange wind|ravings|snoring snakes|loud zot",
          r"^your |  your |kitten|little dog|pony|housecat",
          r"you feel|you are beginning|faint|weak|hungry",
          r"you see here|there is .* here"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="data/nle-messages.tsv")
    parser.add_argument("--top", type=int, default=100)
    parser.add_argument("--per-band", type=int, default=40)
    parser.add_argument("--per-topic", type=int, default=18)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()

    rows = []
    with open(args.dataset, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or line.startswith("count\t"):
                continue
            count, _, _, caption = line.rstrip("\n").split("\t", 3)
            rows.append((int(count), caption))
    rng = random.Random(args.seed)
    chosen = set(range(min(args.top, len(rows))))
    rest = [i for i in range(len(rows)) if i not in chosen]
    bands = [(1, 1), (2, 9), (10, 99), (100, 10**12)]
    for low, high in bands:
        band = [i for i in rest if low <= max(rows[i][0], 1) <= high]
        chosen.update(rng.sample(band, min(args.per_band, len(band))))
    for topic in TOPICS:
        pattern = re.compile(topic, re.IGNORECASE)
        matches = [i for i in rest if i not in chosen and pattern.search(rows[i][1])]
        chosen.update(rng.sample(matches, min(args.per_topic, len(matches))))
    for i in sorted(chosen):
        print(f"{rows[i][0]}\t{rows[i][1]}")


if __name__ == "__main__":
    main()
