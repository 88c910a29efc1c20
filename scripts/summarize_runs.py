#!/usr/bin/env python3
"""Prints a Markdown table summarising Yendor run directories (one row per run).

    python3 scripts/summarize_runs.py runs/oni/staircase-lvl3-small/*/

Columns: env steps reached; success rate at the end and averaged over the last third of the run
(`rollout/success_rate` is over the last 200 episodes); episodes; mean env steps/s; labels or
preferences received by the reward model; intrinsic reward sparsity at the end.

    python3 scripts/summarize_runs.py --metric rollout/mean_return runs/oni/nle-score/*/

summarises another metric in place of the success rate (e.g. the mean return, for tasks such as
NetHackScore that have no success).
"""
import argparse
import json
import os


def records(run):
    out = []
    with open(os.path.join(run, "metrics.jsonl")) as f:
        for line in f:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def main(runs, metric="rollout/success_rate"):
    name = "success" if metric == "rollout/success_rate" else metric
    print("| run | env steps | {0}, last third | final {0} | episodes | mean SPS | labels received | intrinsic sparsity |".format(name))
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        rs = records(run)
        if not rs:
            continue
        last = rs[-1]
        steps = last.get("env_steps", 0)
        # A gauge is in the records from its first value on, and a task that cannot be won records
        # no success rate at all: what is absent is shown as "-", not as 0.
        tail = [r[metric] for r in rs if r.get(metric) is not None and r.get("env_steps", 0) >= steps * 2 / 3]
        final = next((r[metric] for r in reversed(rs) if r.get(metric) is not None), None)
        # Every record's rate, 0s included: an interval with no trajectory in it is one where
        # nothing was collected (skipping them overstated the mean by 40%, trial W).
        sps = [r["rollout/sps"] for r in rs if r.get("rollout/sps") is not None]
        labels = max((r.get("rewards/labels_received", 0) or 0) for r in rs)
        sparsity = next((r["rewards/sparsity"] for r in reversed(rs) if r.get("rewards/sparsity") is not None), None)
        print("| {} | {:,} | {} | {} | {:,} | {:,.0f} | {:,} | {} |".format(
            os.path.basename(os.path.normpath(run)), steps, "{:.3f}".format(sum(tail) / len(tail)) if tail else "-",
            "-" if final is None else "{:.3f}".format(final), last.get("rollout/episodes", 0),
            sum(sps) / max(len(sps), 1), labels, "-" if sparsity is None else "{:.4f}".format(sparsity)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--metric", default="rollout/success_rate",
                        help="the metric summarised (default rollout/success_rate; e.g. rollout/mean_return)")
    parser.add_argument("runs", nargs="+", help="run directories (each with a metrics.jsonl)")
    arguments = parser.parse_args()
    main(arguments.runs, metric=arguments.metric)
