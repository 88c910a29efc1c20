"""Yendor's observation spec and the arrays that hold observations in its form.

Yendor observes every environment through one `ObservationSpec` (docs/environments.md, "One
observation spec"): a glyph map `glyphs` i16 [map_rows, map_columns] with ids in `0..<glyph_count`,
an egocentric crop `crop` i16 [crop_size, crop_size], a status vector `blstats` i32 [blstats_count],
a caption (the step's text, UTF-8, at most `caption_bytes`), and `action_count` discrete actions.

The spec of a Gymnasium env is inferred in `inference` (`infer`); `converter` turns each observation into
these arrays; `captions` makes the caption bytes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, NamedTuple, Optional

import numpy as np

__all__ = [
    "ObservationSpec", "SpecError", "UnsupportedSpaceError", "Observation", "Buffers",
    "NLE_STONE", "NLE_MAX_GLYPH", "MINIGRID_GLYPH_COUNT",
]

NLE_STONE = 2359  # NetHack 3.6.6's S_stone cmap glyph: what an unseen/off-map cell is
NLE_MAX_GLYPH = 5976  # NetHack 3.6.6's MAX_GLYPH (nle.nethack.MAX_GLYPH)
MINIGRID_OBJECTS, MINIGRID_COLORS, MINIGRID_STATES = 11, 6, 3
MINIGRID_GLYPH_COUNT = MINIGRID_OBJECTS * 18  # id = object*18 + color*3 + state
MINIGRID_AGENT = 10  # OBJECT_TO_IDX["agent"]; in fully observed grids its state is the direction (0..3)


class SpecError(ValueError):
    """An observation spec with a field out of range."""


class UnsupportedSpaceError(ValueError):
    """An observation or action space that Yendor's spec cannot hold."""


@dataclass(frozen=True)
class ObservationSpec:
    """Swift's `ObservationSpec`, field for field (the eight numbers of EnvSpec plus the name)."""
    environment: str
    map_rows: int
    map_columns: int
    crop_size: int
    glyph_count: int
    blstats_count: int
    caption_bytes: int
    action_count: int

    @property
    def fingerprint(self) -> str:
        """The line a learner compares verbatim with its own (Swift: `ObservationSpec.fingerprint`)."""
        return (f"obs-v2 env={self.environment} map={self.map_rows}x{self.map_columns} crop={self.crop_size} "
                f"glyphs={self.glyph_count} blstats={self.blstats_count} caption={self.caption_bytes} "
                f"actions={self.action_count}")

    def __str__(self) -> str:
        return self.fingerprint

    def validate(self) -> "ObservationSpec":
        """Raises SpecError naming the first field out of range (the rules of Swift's `validate()`)."""
        def check(ok, message):
            if not ok:
                raise SpecError(message)
        env = self.environment
        check(bool(env) and not any(c.isspace() for c in env), f"environment must be a non-empty word, got {env!r}")
        check(self.map_rows >= 1 and self.map_columns >= 1 and self.map_rows * self.map_columns <= 1 << 20,
              f"map must be at least 1×1 and at most 2^20 cells, got {self.map_rows}×{self.map_columns}")
        check(1 <= self.crop_size <= 41 and self.crop_size % 2 == 1,
              f"crop_size must be odd and in 1...41, got {self.crop_size}")
        check(1 <= self.glyph_count <= 32768, f"glyph_count must be in 1...32768 (i16 ids), got {self.glyph_count}")
        check(0 <= self.blstats_count <= 4096, f"blstats_count must be in 0...4096, got {self.blstats_count}")
        check(0 <= self.caption_bytes <= 65536, f"caption_bytes must be in 0...65536, got {self.caption_bytes}")
        check(2 <= self.action_count <= 4096, f"action_count must be in 2...4096, got {self.action_count}")
        return self


class Observation(NamedTuple):
    """One env's observation in Yendor's form."""
    glyphs: np.ndarray   # i16 [map_rows, map_columns]
    crop: np.ndarray     # i16 [crop_size, crop_size]
    blstats: np.ndarray  # i32 [blstats_count]
    caption: bytes       # UTF-8, at most caption_bytes


class Buffers:
    """The observation arrays of N envs, with leading dimension N (what EnvSpec/EnvStepResult carry)."""

    NAMES = ("glyphs", "crop", "blstats", "caption", "caption_length", "reward", "done", "truncated")

    def __init__(self, spec: ObservationSpec, n: int, arrays: Optional[Dict[str, np.ndarray]] = None):
        """Zeroed arrays, or `arrays` (e.g. views into a preallocated reply frame) used as they are."""
        if arrays is not None:
            for name in self.NAMES:
                setattr(self, name, arrays[name])
            return
        self.glyphs = np.zeros((n, spec.map_rows, spec.map_columns), np.int16)
        self.crop = np.zeros((n, spec.crop_size, spec.crop_size), np.int16)
        self.blstats = np.zeros((n, spec.blstats_count), np.int32)
        self.caption = np.zeros((n, spec.caption_bytes), np.uint8)
        self.caption_length = np.zeros((n,), np.int32)
        self.reward = np.zeros((n,), np.float32)
        self.done = np.zeros((n,), np.uint8)
        self.truncated = np.zeros((n,), np.uint8)

    def observations(self) -> Dict[str, np.ndarray]:
        return {"glyphs": self.glyphs, "crop": self.crop, "blstats": self.blstats, "caption": self.caption,
                "caption_length": self.caption_length}

    def step_arrays(self) -> Dict[str, np.ndarray]:
        d = self.observations()
        d.update(reward=self.reward, done=self.done, truncated=self.truncated)
        return d
