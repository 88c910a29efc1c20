"""The canonical environment-server frames shared with the Swift tests (inputs: README.md beside this
file). `python tests/vectors/generate.py` rewrites the .hex files from yendor_env's encoder; the test
test_vectors.py checks that the files, the encoder and the decoder agree."""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from yendor_env import wire  # noqa: E402
from yendor_env.spec import ObservationSpec  # noqa: E402

SPEC = ObservationSpec(environment="gym:Test-v0", map_rows=2, map_columns=3, crop_size=1, glyph_count=10,
                       blstats_count=2, caption_bytes=4, action_count=3)


def canonical():
    """name -> message."""
    return {
        "env_open": wire.EnvOpen(sequence=1, seed=42, protocol=1),
        "env_open_split": wire.EnvOpen(sequence=1, seed=42, protocol=2, split=1, splits=2),
        "env_spec": wire.EnvSpec(
            sequence=1, environment="gym:Test-v0", task="test", num_envs=2, spec=SPEC,
            observations={
                "glyphs": np.array([[[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 0, 1]]], np.int16),
                "crop": np.array([[[4]], [[0]]], np.int16),
                "blstats": np.array([[1, -1], [2147483647, -2147483648]], np.int32),
                "caption": np.array([[0x6E, 0xC3, 0xA9, 0x00], [0, 0, 0, 0]], np.uint8),  # "né", ""
                "caption_length": np.array([3, 0], np.int32),
            }),
        "env_step": wire.EnvStep(sequence=2, actions=np.array([2, 0], np.int32)),
        "env_step_result": wire.EnvStepResult(
            sequence=2,
            arrays={
                "glyphs": np.array([[[1, 2, 3], [4, 5, 6]], [[9, 8, 7], [6, 5, 4]]], np.int16),
                "crop": np.array([[[5]], [[5]]], np.int16),
                "blstats": np.array([[0, 1], [7, -7]], np.int32),
                "caption": np.array([[0x6F, 0x6B, 0, 0], [0, 0, 0, 0]], np.uint8),  # "ok", ""
                "caption_length": np.array([2, 0], np.int32),
                "reward": np.array([0.5, -1.0], np.float32),
                "done": np.array([0, 1], np.uint8),
                "truncated": np.array([0, 1], np.uint8),
            },
            episodes=[wire.Episode(env=1, episode_return=-1.5, length=3, success=False, truncated=True,
                                   last_caption="ok", error="RuntimeError: boom")]),
        "env_close": wire.EnvClose(sequence=3),
        "env_close_result": wire.EnvStepResult(sequence=3),
        "env_error": wire.EnvError(sequence=4, message="action 7 for env 0 is outside 0..<3"),
        "env_describe": wire.EnvDescribe(sequence=5),
        "env_describe_spec": wire.EnvSpec(sequence=5, environment="gym:Test-v0", task="test", num_envs=2, spec=SPEC,
                                          observations={}),
    }


def to_hex(frame) -> str:
    b = bytes(frame)
    return "\n".join(b[i:i + 16].hex(" ") for i in range(0, len(b), 16)) + "\n"


def from_hex(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


def main():
    for name, message in canonical().items():
        with open(os.path.join(HERE, name + ".hex"), "w") as f:
            f.write(to_hex(wire.encode(message)))
        print(name, len(wire.encode(message)), "bytes")


if __name__ == "__main__":
    main()
