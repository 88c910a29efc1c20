#!/usr/bin/env python3
"""Prints the scalars of a TensorBoard log directory as JSON, read with TensorBoard's own reader.

    .venv/bin/python scripts/read_tensorboard.py RUN_DIR/tensorboard

Output: {"tags": {tag: [[step, value], ...]}}. Used by the test suite to check Yendor's event files.
"""
import json
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def main():
    accumulator = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0})
    accumulator.Reload()
    tags = {tag: [[e.step, e.value] for e in accumulator.Scalars(tag)] for tag in accumulator.Tags()["scalars"]}
    print(json.dumps({"tags": tags}))


if __name__ == "__main__":
    main()
