"""Yendor's observation spec, inferred from a Gymnasium environment, and the per-step converter.

Yendor observes every environment through one `ObservationSpec` (docs/environments.md, "One
observation spec"): a glyph map `glyphs` i16 [map_rows, map_columns] with ids in `0..<glyph_count`,
an egocentric crop `crop` i16 [crop_size, crop_size], a status vector `blstats` i32 [blstats_count],
a caption (the step's text, UTF-8, at most `caption_bytes`), and `action_count` discrete actions.

`infer(env)` reads the env's observation and action spaces and returns a `Converter`, which holds the
spec and turns each Gymnasium observation into those arrays:

- NLE / MiniHack (a Dict with `glyphs` 21×79): glyph ids as they are (`glyph_count` =
  nle.nethack.MAX_GLYPH, 5976, when the space's high says so, else high+1); `blstats` → i32; the caption
  is the `message` bytes up to the first NUL; the crop is cut around blstats x, y (indices 0, 1) with
  off-map cells = stone (2359), as Yendor's native NLE crop, at the size of the env's `glyphs_crop`
  (MiniHack's) unless another is asked for: MiniHack's own crop pads with glyph 0, a monster.
- MiniGrid (a Dict with `image` (W, H, 3) of a MiniGridEnv): glyph id = object·18 + color·3 + state
  (`glyph_count` 198), transposed so that `glyphs[row=y, column=x]` (the agent sits at the bottom
  centre facing up); the crop is the same egocentric view; `blstats` = [direction]; no caption unless
  asked (`caption="mission"` or a function).
- Otherwise: one 2-D integer Box → glyphs; 1-D integer Boxes, Discrete, MultiDiscrete and MultiBinary
  → blstats (concatenated in key order); `message` → caption. Anything else is refused with an error
  naming the key and the space, unless listed in `ignore`.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    "ObservationSpec", "SpecError", "UnsupportedSpaceError", "Observation", "Converter", "Buffers",
    "infer", "infer_from_spaces", "nle_message", "encode_caption", "truncate_utf8",
    "NLE_STONE", "NLE_MAX_GLYPH", "MINIGRID_GLYPH_COUNT",
]

NLE_STONE = 2359  # NetHack 3.6.6's S_stone cmap glyph: what an unseen/off-map cell is
NLE_MAX_GLYPH = 5976  # NetHack 3.6.6's MAX_GLYPH (nle.nethack.MAX_GLYPH)
NLE_MAP = (21, 79)
MINIGRID_OBJECTS, MINIGRID_COLORS, MINIGRID_STATES = 11, 6, 3
MINIGRID_GLYPH_COUNT = MINIGRID_OBJECTS * 18  # id = object*18 + color*3 + state
MINIGRID_AGENT = 10  # OBJECT_TO_IDX["agent"]; in fully observed grids its state is the direction (0..3)
_MINIGRID_MAX = np.array([MINIGRID_OBJECTS - 1, MINIGRID_COLORS - 1, MINIGRID_STATES - 1], np.uint8)
_MINIGRID_WEIGHTS = np.array([18, 3, 1], np.int16)
DEFAULT_CROP = 9
DEFAULT_CAPTION_BYTES = 256

# NLE observation keys that are other views of what `glyphs`, `blstats` and `message` already carry.
NLE_DERIVED_KEYS = frozenset({
    "chars", "colors", "specials", "chars_crop", "colors_crop", "specials_crop", "glyphs_crop",
    "tty_chars", "tty_colors", "tty_cursor", "tty_chars_crop", "tty_colors_crop", "inv_glyphs",
    "inv_letters", "inv_oclasses", "inv_strs", "screen_descriptions", "screen_descriptions_crop",
    "program_state", "internal", "misc", "pixel", "pixel_crop",
})


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


# ---------------------------------------------------------------------------------------------- captions

def truncate_utf8(b: bytes, capacity: int) -> bytes:
    """`b` cut to at most `capacity` bytes without splitting a UTF-8 character."""
    if len(b) <= capacity:
        return b
    cut = capacity
    while cut > 0 and (b[cut] & 0xC0) == 0x80:
        cut -= 1
    return b[:cut]


def _utf8_bytes(raw: bytes) -> bytes:
    """Raw bytes made valid UTF-8 (invalid sequences become U+FFFD)."""
    if raw.isascii():
        return raw
    return raw.decode("utf-8", "replace").encode("utf-8")


def nle_message(message) -> str:
    """NLE's `message` observation (uint8 [256], NUL-terminated) as text; bytes that are not UTF-8
    become U+FFFD."""
    raw = np.asarray(message, dtype=np.uint8).tobytes()
    end = raw.find(b"\0")
    if end >= 0:
        raw = raw[:end]
    return raw.decode("utf-8", "replace")


def _message_bytes(message, capacity: int) -> bytes:
    raw = message.tobytes() if isinstance(message, np.ndarray) else bytes(message)
    end = raw.find(b"\0")
    if end >= 0:
        raw = raw[:end]
    return truncate_utf8(_utf8_bytes(raw), capacity)


def encode_caption(text: Union[str, bytes, None], capacity: int) -> bytes:
    """A caption function's result as Yendor's caption bytes: UTF-8, cut at the first NUL, at most
    `capacity` bytes, never splitting a character."""
    if text is None:
        return b""
    if isinstance(text, str):
        b = text.encode("utf-8", "replace")
    else:
        b = _utf8_bytes(bytes(text))
    end = b.find(b"\0")
    if end >= 0:
        b = b[:end]
    return truncate_utf8(b, capacity)


CaptionFunction = Callable[[Any, Dict[str, Any]], Union[str, bytes, None]]

# ---------------------------------------------------------------------------------------------- helpers


def _describe(space) -> str:
    return str(space)


def _unsupported(key: Optional[str], space, why: str) -> UnsupportedSpaceError:
    where = f"observation key {key!r}" if key is not None else "observation space"
    hint = (f" Drop it with ignore=({key!r},) (CLI: --ignore-key {key}) or wrap the env so that it yields glyphs."
            if key is not None else " Wrap the env so that it yields an integer glyph map and/or status vector.")
    return UnsupportedSpaceError(f"{where}: {_describe(space)} is not supported: {why}.{hint}")


def _is_int_box(space) -> bool:
    from gymnasium import spaces
    return isinstance(space, spaces.Box) and np.issubdtype(space.dtype, np.integer)


def _glyph_bounds(key, space) -> Tuple[int, int]:
    low, high = np.min(space.low), np.max(space.high)
    if low < 0 or high > 32767:
        raise _unsupported(key, space, f"glyph ids must be in 0...32767 (i16), the space allows {low}...{high}")
    return int(low), int(high)


def _status_width(key, space) -> int:
    """Number of blstats entries a 1-D-like space contributes, or raises."""
    from gymnasium import spaces
    if isinstance(space, spaces.Discrete):
        return 1
    if isinstance(space, (spaces.MultiDiscrete, spaces.MultiBinary)):
        shape = space.shape
        if len(shape) != 1:
            raise _unsupported(key, space, "only 1-D MultiDiscrete/MultiBinary spaces can join the status vector")
        return int(shape[0])
    if isinstance(space, spaces.Box):
        if not np.issubdtype(space.dtype, np.integer):
            raise _unsupported(key, space, "float vectors have no place in Yendor's spec (the status vector is i32)")
        if len(space.shape) == 0:
            return 1
        if len(space.shape) == 1:
            return int(space.shape[0])
    raise _unsupported(key, space, "not a status vector")


def _space_kind(space) -> str:
    """'map' (2-D integer Box), 'status' (1-D integer / discrete), 'text', or 'other'."""
    from gymnasium import spaces
    if isinstance(space, spaces.Box):
        if np.issubdtype(space.dtype, np.integer):
            if len(space.shape) == 2:
                return "map"
            if len(space.shape) <= 1:
                return "status"
        return "other"
    if isinstance(space, (spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)):
        return "status" if len(space.shape) <= 1 else "other"
    if isinstance(space, spaces.Text) or type(space).__name__ == "MissionSpace":
        return "text"
    return "other"


def _is_minigrid(env) -> bool:
    if env is None or "minigrid" not in sys.modules:
        return False
    try:
        from minigrid.minigrid_env import MiniGridEnv
    except Exception:  # pragma: no cover
        return False
    return isinstance(getattr(env, "unwrapped", env), MiniGridEnv)


def _nle_max_glyph() -> int:
    try:
        from nle import nethack
        return int(nethack.MAX_GLYPH)
    except Exception:
        return NLE_MAX_GLYPH


def environment_name(env) -> str:
    """`gym:<id>` from the env's registration, else `gym:<class name>`; one word."""
    spec = getattr(env, "spec", None)
    name = getattr(spec, "id", None) or type(getattr(env, "unwrapped", env)).__name__
    return "gym:" + "_".join(str(name).split())


# ---------------------------------------------------------------------------------------------- converter

class Converter:
    """Holds the spec and turns one Gymnasium observation into Yendor's arrays.

    `observe(obs, info)` returns an `Observation` (copies); `write(obs, info, buffers, i)` writes row i
    of `Buffers` in place (the server's hot path) and returns the caption bytes. Both raise ValueError
    when an observation does not fit the spec (a shape, a glyph id out of range)."""

    def __init__(self, spec: ObservationSpec, *, task: str, plan: Dict[str, Any],
                 caption: Optional[CaptionFunction], description: str):
        self.spec = spec
        self.task = task
        self.plan = plan
        self.caption_function = caption
        self.description = description
        #: Discrete(n, start=s): wire action a is env action s + a.
        self.action_offset = 0

    def __repr__(self):
        return f"Converter({self.spec.fingerprint!r}, {self.description})"

    # -- the parts

    def _glyphs(self, obs, out: np.ndarray):
        p = self.plan
        kind = p["glyphs"]
        spec = self.spec
        if kind == "none":
            out.fill(0)
            return
        if kind == "minigrid":
            img = np.asarray(obs[p["glyphs_key"]])
            if img.shape != (spec.map_columns, spec.map_rows, 3):
                raise ValueError(f"observation {p['glyphs_key']!r}: shape {img.shape}, expected "
                                 f"{(spec.map_columns, spec.map_rows, 3)}")
            if (img > _MINIGRID_MAX).any():  # rare: an agent cell's state is its direction (0..3), else an error
                obj, color, state = (img[:, :, k].astype(np.int16) for k in range(3))
                agent = obj == MINIGRID_AGENT
                bad = (obj >= MINIGRID_OBJECTS) | (color >= MINIGRID_COLORS) | (state >= np.where(agent, 4, MINIGRID_STATES))
                if bad.any():
                    x, y = np.argwhere(bad)[0]
                    raise ValueError(f"observation {p['glyphs_key']!r}: cell (x={x}, y={y}) = {img[x, y].tolist()} is "
                                     f"not a MiniGrid (object < 11, color < 6, state < 3) encoding")
            np.copyto(out, (img.astype(np.int16) @ _MINIGRID_WEIGHTS).T)
            return
        g = obs if p["glyphs_key"] is None else obs[p["glyphs_key"]]
        g = np.asarray(g)
        if g.shape != out.shape:
            raise ValueError(f"glyphs {p['glyphs_key']!r}: shape {g.shape}, expected {out.shape}")
        if g.size:
            if g.dtype == np.int16:  # one pass: negative ids read as >= 32768
                bad = int(g.view(np.uint16).max()) >= spec.glyph_count
            else:
                bad = g.min() < 0 or g.max() >= spec.glyph_count
            if bad:
                lo, hi = int(g.min()), int(g.max())
                raise ValueError(f"glyphs {p['glyphs_key']!r}: id {lo if lo < 0 else hi} is outside 0..<{spec.glyph_count}")
        np.copyto(out, g, casting="unsafe")

    def _crop(self, obs, glyphs: np.ndarray, blstats: np.ndarray, out: np.ndarray):
        p = self.plan
        kind = p["crop"]
        size = self.spec.crop_size
        if kind == "same":
            np.copyto(out, glyphs)
            return
        if kind == "key":
            c = np.asarray(obs[p["crop_key"]])
            if c.shape != out.shape:
                raise ValueError(f"crop {p['crop_key']!r}: shape {c.shape}, expected {out.shape}")
            if c.size and (int(c.view(np.uint16).max()) >= self.spec.glyph_count if c.dtype == np.int16
                           else c.min() < 0 or c.max() >= self.spec.glyph_count):
                raise ValueError(f"crop {p['crop_key']!r}: glyph id outside 0..<{self.spec.glyph_count}")
            np.copyto(out, c, casting="unsafe")
            return
        if kind == "blstats":
            col, row = int(blstats[p["x_index"]]), int(blstats[p["y_index"]])
        elif kind == "minigrid_view":
            row, col = self.spec.map_rows - 1, self.spec.map_columns // 2
        elif kind == "minigrid_agent":
            where = np.argwhere(np.asarray(obs[p["glyphs_key"]])[:, :, 0] == MINIGRID_AGENT)
            if len(where):
                col, row = int(where[0][0]), int(where[0][1])
            else:
                row, col = self.spec.map_rows // 2, self.spec.map_columns // 2
        else:  # "center"
            row, col = self.spec.map_rows // 2, self.spec.map_columns // 2
        crop_around(glyphs, row, col, size, p["fill"], out)

    def _blstats(self, obs, out: np.ndarray):
        parts = self.plan["blstats"]
        if not parts:
            return
        if len(parts) == 1:
            key, _ = parts[0]
            v = obs if key is None else obs[key]
            v = np.asarray(v).reshape(-1)
            if v.shape != out.shape:
                raise ValueError(f"blstats {key!r}: {v.size} values, expected {out.size}")
            np.copyto(out, v, casting="unsafe")
            if v.dtype != np.int32 and (out != v).any():  # it wrapped: clamp instead, as Swift's Int32(clamping:)
                np.copyto(out, np.clip(v, -(1 << 31), (1 << 31) - 1), casting="unsafe")
            return
        at = 0
        for key, width in parts:
            v = np.asarray(obs[key]).reshape(-1)
            if v.size != width:
                raise ValueError(f"blstats part {key!r}: {v.size} values, expected {width}")
            out[at:at + width] = np.clip(v, -(1 << 31), (1 << 31) - 1)
            at += width

    def caption(self, obs, info) -> bytes:
        """The step's caption bytes (valid UTF-8, at most caption_bytes)."""
        p = self.plan
        capacity = self.spec.caption_bytes
        if p["caption"] == "message":
            return _message_bytes(obs[p["caption_key"]], capacity)
        if p["caption"] == "none":
            return b""
        if p["caption"] == "mission":
            return encode_caption(obs[p["caption_key"]], capacity)
        return encode_caption(self.caption_function(obs, info), capacity)

    # -- the whole observation

    def write(self, obs, info, buffers: Buffers, i: int) -> bytes:
        """Writes env i's observation into `buffers` (row i); returns the caption bytes."""
        glyphs = buffers.glyphs[i]
        self._glyphs(obs, glyphs)
        self._blstats(obs, buffers.blstats[i])
        self._crop(obs, glyphs, buffers.blstats[i], buffers.crop[i])
        cap = self.caption(obs, info)
        n = len(cap)
        row = buffers.caption[i]
        if n:
            row[:n] = np.frombuffer(cap, np.uint8)
        row[n:] = 0
        buffers.caption_length[i] = n
        return cap

    def write_batch(self, obs_list: Sequence[Any], info_list: Sequence[Any], buffers: Buffers) -> Dict[int, Exception]:
        """Writes all N rows at once (env i's observation into row i): one numpy call per array for the
        whole batch where the plan allows. Returns {row: exception} for the rows whose observation does
        not fit the spec (found by falling back to `write` row by row when the batch check fails); the
        other rows are written."""
        try:
            self._write_all(obs_list, info_list, buffers)
            return {}
        except Exception:  # noqa: BLE001 - find which rows, one by one
            failures: Dict[int, Exception] = {}
            for i, (obs, info) in enumerate(zip(obs_list, info_list)):
                try:
                    self.write(obs, info, buffers, i)
                except Exception as e:  # noqa: BLE001
                    failures[i] = e
            return failures

    def _write_all(self, obs_list, info_list, b: Buffers):
        p = self.plan
        spec = self.spec
        n = len(obs_list)
        if n != b.glyphs.shape[0]:
            raise ValueError(f"{n} observations for {b.glyphs.shape[0]} rows")
        # glyphs
        if p["glyphs"] == "key":
            key = p["glyphs_key"]
            _stack_ids([o if key is None else o[key] for o in obs_list], b.glyphs, spec.glyph_count)
        elif p["glyphs"] == "minigrid":
            imgs = np.stack([o[p["glyphs_key"]] for o in obs_list])
            if imgs.shape != (n, spec.map_columns, spec.map_rows, 3):
                raise ValueError("image shape")
            excess = imgs > _MINIGRID_MAX
            if excess.any():  # agent cells (fully observed grids) carry their direction 0..3 as state
                agent = (imgs[..., 0] == MINIGRID_AGENT) & (imgs[..., 2] <= 3)
                excess[..., 2] &= ~agent
                if excess.any():
                    raise ValueError("not a MiniGrid encoding")
            np.copyto(b.glyphs, (imgs.astype(np.int16) @ _MINIGRID_WEIGHTS).transpose(0, 2, 1))
        # blstats
        parts = p["blstats"]
        if len(parts) == 1:
            key = parts[0][0]
            values = np.asarray([o if key is None else o[key] for o in obs_list])
            values = values.reshape(n, -1)
            if values.shape != b.blstats.shape:
                raise ValueError("blstats shape")
            np.copyto(b.blstats, values, casting="unsafe")
            if values.dtype != np.int32 and (b.blstats != values).any():
                np.copyto(b.blstats, np.clip(values, -(1 << 31), (1 << 31) - 1), casting="unsafe")
        elif parts:
            for i, o in enumerate(obs_list):
                self._blstats(o, b.blstats[i])
        # crop
        kind = p["crop"]
        if kind == "same":
            np.copyto(b.crop, b.glyphs)
        elif kind == "key":
            _stack_ids([o[p["crop_key"]] for o in obs_list], b.crop, spec.glyph_count)
        else:
            for i, o in enumerate(obs_list):
                self._crop(o, b.glyphs[i], b.blstats[i], b.crop[i])
        # captions: one blob of N zero-padded rows
        capacity = spec.caption_bytes
        caps = [self.caption(o, inf) for o, inf in zip(obs_list, info_list)]
        if capacity:
            b.caption[...] = np.frombuffer(b"".join(c.ljust(capacity, b"\0") for c in caps), np.uint8).reshape(n, capacity)
        b.caption_length[...] = [len(c) for c in caps]

    def observe(self, obs, info=None) -> Observation:
        """The observation in Yendor's form (fresh arrays)."""
        b = Buffers(self.spec, 1)
        cap = self.write(obs, info or {}, b, 0)
        return Observation(b.glyphs[0], b.crop[0], b.blstats[0], cap)

    __call__ = observe


def _stack_ids(arrays: Sequence[Any], out: np.ndarray, glyph_count: int):
    """Stacks per-env id maps into `out` (i16 [N, …]), refusing ids outside 0..<glyph_count."""
    first = np.asarray(arrays[0])
    if first.dtype == np.int16:
        np.stack(arrays, out=out, casting="equiv")  # shapes and dtypes are checked by stack
        if out.size and int(out.view(np.uint16).max()) >= glyph_count:  # negatives read as >= 32768
            raise ValueError("glyph id out of range")
    else:
        values = np.stack(arrays)
        if values.shape != out.shape:
            raise ValueError("shape")
        if values.size and (values.min() < 0 or values.max() >= glyph_count):
            raise ValueError("glyph id out of range")
        np.copyto(out, values, casting="unsafe")


def crop_around(grid: np.ndarray, row: int, col: int, size: int, fill: int, out: np.ndarray):
    """`out` (size×size) = `grid` around (row, col) at the centre; cells off the grid = `fill`."""
    half = size // 2
    rows, cols = grid.shape
    r0, c0 = row - half, col - half
    rs, re = max(r0, 0), min(r0 + size, rows)
    cs, ce = max(c0, 0), min(c0 + size, cols)
    if rs >= re or cs >= ce:
        out.fill(fill)
        return
    if rs != r0 or cs != c0 or re != r0 + size or ce != c0 + size:
        out.fill(fill)
    out[rs - r0:re - r0, cs - c0:ce - c0] = grid[rs:re, cs:ce]


# ---------------------------------------------------------------------------------------------- inference

def infer(env, *, crop_size: Optional[int] = None, caption: Union[None, str, CaptionFunction] = None,
          caption_bytes: Optional[int] = None, environment: Optional[str] = None, task: Optional[str] = None,
          ignore: Sequence[str] = ()) -> Converter:
    """The spec and converter of a Gymnasium env, from its observation and action spaces.

    crop_size: odd side of the crop (default: the env's own crop or egocentric view, else 9).
    caption: "auto" / None (NLE `message` if present, else empty), "message", "mission", "none", or a
      function (obs, info) -> str.
    caption_bytes: capacity (default: the `message` length, else 256).
    environment / task: names (default `gym:<env id>` and `<env id>`).
    ignore: observation keys to leave out."""
    env_id = getattr(getattr(env, "spec", None), "id", None)
    return infer_from_spaces(
        env.observation_space, env.action_space, crop_size=crop_size, caption=caption,
        caption_bytes=caption_bytes, environment=environment or environment_name(env),
        task=task or (env_id or type(getattr(env, "unwrapped", env)).__name__), ignore=ignore,
        minigrid=_is_minigrid(env),
        minigrid_view=getattr(env.unwrapped, "agent_view_size", None) if _is_minigrid(env) else None,
        minigrid_grid=(getattr(env.unwrapped, "width", None), getattr(env.unwrapped, "height", None))
        if _is_minigrid(env) else None)


def infer_from_spaces(observation_space, action_space, *, crop_size: Optional[int] = None,
                      caption: Union[None, str, CaptionFunction] = None, caption_bytes: Optional[int] = None,
                      environment: str = "gym:env", task: str = "env", ignore: Sequence[str] = (),
                      minigrid: bool = False, minigrid_view: Optional[int] = None,
                      minigrid_grid: Optional[Tuple[int, int]] = None) -> Converter:
    """`infer` from the spaces alone. `minigrid=True` reads a Dict's `image` as MiniGrid's encoding when
    it is (view, view, 3) (egocentric, `minigrid_view`) or (width, height, 3) (fully observed,
    `minigrid_grid`); other images (RGB renderings) are refused."""
    from gymnasium import spaces

    if crop_size is not None and (crop_size < 1 or crop_size > 41 or crop_size % 2 == 0):
        raise SpecError(f"crop_size must be odd and in 1...41, got {crop_size}")
    if caption_bytes is not None and not 0 <= caption_bytes <= 65536:
        raise SpecError(f"caption_bytes must be in 0...65536, got {caption_bytes}")
    action_count = _action_count(action_space)
    caption_mode = caption if isinstance(caption, str) or caption is None else "function"
    if caption_mode is None:
        caption_mode = "auto"
    if caption_mode not in ("auto", "message", "mission", "none", "function"):
        raise SpecError(f"caption must be auto, message, mission, none or a function, got {caption!r}")
    ignore = set(ignore)

    plan: Dict[str, Any] = {"glyphs": "none", "glyphs_key": None, "crop": "center", "crop_key": None, "fill": 0,
                            "blstats": [], "caption": "none", "caption_key": None}
    rows = cols = 1
    glyph_count = 1
    natural_crop: Optional[int] = None
    description = ""

    if isinstance(observation_space, spaces.Dict):
        items = dict(observation_space.spaces)
        for k in ignore:
            if k not in items:
                raise SpecError(f"ignore: the observation has no key {k!r} (keys: {', '.join(items)})")
        items = {k: s for k, s in items.items() if k not in ignore}
        claimed = set()
        nle_style = "glyphs" in items and _is_int_box(items["glyphs"]) and items["glyphs"].shape == NLE_MAP
        # glyph map
        if minigrid and "image" in items:
            img = items["image"]
            if not (isinstance(img, spaces.Box) and len(img.shape) == 3 and img.shape[2] == 3):
                raise _unsupported("image", img, "a MiniGrid image must be (width, height, 3)")
            cols, rows = int(img.shape[0]), int(img.shape[1])
            shapes = [s for s in ((minigrid_view, minigrid_view), tuple(minigrid_grid or ())) if None not in s and s]
            if shapes and (cols, rows) not in shapes:
                raise _unsupported("image", img, f"a MiniGrid image is its object/color/state encoding, "
                                                 f"{' or '.join(f'({a}, {b}, 3)' for a, b in shapes)}; this one is "
                                                 f"another (an RGB rendering?)")
            plan.update(glyphs="minigrid", glyphs_key="image")
            glyph_count = MINIGRID_GLYPH_COUNT
            claimed.add("image")
            egocentric = minigrid_view is None or (rows == cols == minigrid_view)
            if egocentric:
                natural_crop = rows if rows == cols and rows % 2 == 1 else None
                plan["crop"] = "minigrid_view"
            else:  # fully observed: a crop around the agent, as large as its view
                plan["crop"] = "minigrid_agent"
                natural_crop = minigrid_view if minigrid_view and minigrid_view % 2 == 1 else None
            description = "MiniGrid image: id = object*18 + color*3 + state, glyphs[y, x]"
        elif "glyphs" in items:
            g = items["glyphs"]
            if _space_kind(g) != "map":
                raise _unsupported("glyphs", g, "glyphs must be a 2-D integer Box")
            low, high = _glyph_bounds("glyphs", g)
            rows, cols = int(g.shape[0]), int(g.shape[1])
            max_glyph = _nle_max_glyph()
            glyph_count = max_glyph if nle_style and high == max_glyph else high + 1
            plan.update(glyphs="key", glyphs_key="glyphs")
            claimed.add("glyphs")
            description = "NLE-style glyphs" if nle_style else "glyphs"
        else:
            maps = [k for k, s in items.items() if _space_kind(s) == "map"]
            if len(maps) > 1:
                raise UnsupportedSpaceError(
                    f"observation keys {maps}: several 2-D integer Boxes and none named 'glyphs'; Yendor takes one glyph "
                    f"map: ignore the others (ignore=..., CLI --ignore-key) or rename one to 'glyphs'")
            if maps:
                k = maps[0]
                low, high = _glyph_bounds(k, items[k])
                rows, cols = int(items[k].shape[0]), int(items[k].shape[1])
                glyph_count = high + 1
                plan.update(glyphs="key", glyphs_key=k)
                claimed.add(k)
                description = f"glyphs from {k!r}"
        # status vector
        if "blstats" in items:
            width = _status_width("blstats", items["blstats"])
            plan["blstats"] = [("blstats", width)]
            claimed.add("blstats")
        else:
            parts = []
            for k, s in items.items():  # gymnasium's Dict keeps its keys sorted
                if k in claimed or (nle_style and k in NLE_DERIVED_KEYS):
                    continue
                if _space_kind(s) == "status":
                    parts.append((k, _status_width(k, s)))
                    claimed.add(k)
            plan["blstats"] = parts
        # crop
        if plan["glyphs"] == "key":
            if nle_style:
                plan["fill"] = NLE_STONE if glyph_count == _nle_max_glyph() else 0
            gc = items.get("glyphs_crop") if plan["glyphs_key"] == "glyphs" else None
            gc_size = int(gc.shape[0]) if gc is not None and _is_int_box(gc) and len(gc.shape) == 2 \
                and gc.shape[0] == gc.shape[1] and gc.shape[0] % 2 == 1 else None
            if gc is not None:
                claimed.add("glyphs_crop")
            nle_position = bool(plan["blstats"]) and plan["blstats"][0][0] == "blstats" and plan["blstats"][0][1] >= 2
            if nle_style and nle_position:
                # Cut around blstats x, y (NLE's blstats: x, y first) with stone off the map, as
                # Yendor's native NLE crop does, rather than take MiniHack's `glyphs_crop`, which
                # pads with 0: glyph 0 is a monster (giant ant). Same size as the env's own crop.
                plan.update(crop="blstats", x_index=0, y_index=1)
                natural_crop = gc_size
            elif gc_size is not None and (crop_size is None or crop_size == gc_size):
                plan.update(crop="key", crop_key="glyphs_crop")
                natural_crop = gc_size
            elif nle_position:
                plan.update(crop="blstats", x_index=0, y_index=1)
            elif rows == cols and rows % 2 == 1 and rows <= 41:
                natural_crop = rows
        # caption
        has_message = "message" in items and isinstance(items["message"], spaces.Box) \
            and items["message"].dtype == np.uint8 and len(items["message"].shape) == 1
        if caption_mode in ("auto", "message"):
            if has_message:
                plan.update(caption="message", caption_key="message")
                if caption_bytes is None:
                    caption_bytes = int(items["message"].shape[0])
            elif caption_mode == "message":
                raise SpecError("caption 'message' needs an observation key 'message' (uint8 bytes, as NLE's); "
                                f"the observation has {', '.join(items) or 'no keys'}")
        elif caption_mode == "mission":
            if "mission" not in items:
                raise SpecError("caption 'mission' needs an observation key 'mission' (MiniGrid's Dict observation); "
                                f"the observation has {', '.join(items) or 'no keys'}")
            plan.update(caption="mission", caption_key="mission")
        elif caption_mode == "function":
            plan["caption"] = "function"
        if "message" in items:
            claimed.add("message")
        if "mission" in items and _space_kind(items["mission"]) == "text":
            claimed.add("mission")  # MiniGrid's mission: the caption when asked, else left out
        # anything left is refused, naming it
        for k, s in items.items():
            if k in claimed or (nle_style and k in NLE_DERIVED_KEYS):
                continue
            kind = _space_kind(s)
            if kind == "map":
                raise _unsupported(k, s, "Yendor takes one glyph map and it is already "
                                         f"{plan['glyphs_key']!r}")
            if kind == "text":
                raise _unsupported(k, s, "text is only the caption (caption='mission' reads 'mission'; "
                                         "a caption function can read any key)")
            if isinstance(s, spaces.Box) and not np.issubdtype(s.dtype, np.integer):
                raise _unsupported(k, s, "float arrays have no place in Yendor's spec (an integer glyph map, an "
                                         "i32 status vector and a text caption)")
            if isinstance(s, spaces.Box) and len(s.shape) >= 3:
                raise _unsupported(k, s, "images and arrays of 3 or more dimensions have no place in Yendor's spec "
                                         "(an integer glyph map, an i32 status vector and a text caption)")
            raise _unsupported(k, s, "Yendor's spec holds an integer glyph map, an i32 status vector and a text caption")
        if plan["glyphs"] == "none" and not plan["blstats"]:
            raise UnsupportedSpaceError(
                f"observation space {observation_space}: no glyph map (a 2-D integer Box, 'glyphs', or MiniGrid's "
                f"'image') and no status vector (1-D integer Box or Discrete); nothing for Yendor to observe")
        if caption_mode == "auto" and plan["caption"] == "none" and plan["glyphs"] == "minigrid":
            description += "; no caption (MiniGrid has no event messages: caption='mission' or a function)"
    else:
        kind = _space_kind(observation_space)
        if kind == "map":
            low, high = _glyph_bounds(None, observation_space)
            rows, cols = int(observation_space.shape[0]), int(observation_space.shape[1])
            glyph_count = high + 1
            plan.update(glyphs="key", glyphs_key=None)
            if rows == cols and rows % 2 == 1 and rows <= 41:
                natural_crop = rows
            description = "the observation is the glyph map"
        elif kind == "status":
            plan["blstats"] = [(None, _status_width(None, observation_space))]
            description = "the observation is the status vector"
        else:
            why = "float arrays have no place in Yendor's spec" if isinstance(observation_space, spaces.Box) \
                and not np.issubdtype(observation_space.dtype, np.integer) else \
                "Yendor observes a 2-D integer glyph map, a 1-D integer status vector, or a Dict of them"
            raise _unsupported(None, observation_space, why)
        if caption_mode in ("message", "mission"):
            raise SpecError(f"caption {caption_mode!r} needs a Dict observation with a {caption_mode!r} key")
        if caption_mode == "function":
            plan["caption"] = "function"

    blstats_count = sum(w for _, w in plan["blstats"])
    if plan["glyphs"] == "none":
        size = 1
    else:
        size = crop_size or natural_crop or DEFAULT_CROP
    if natural_crop is not None and size == natural_crop and plan["crop"] in ("center", "minigrid_view") \
            and (rows, cols) == (size, size):
        plan["crop"] = "same"
    spec = ObservationSpec(environment, rows, cols, size, glyph_count, blstats_count,
                           DEFAULT_CAPTION_BYTES if caption_bytes is None else caption_bytes, action_count)
    spec.validate()
    fn = caption if callable(caption) else None
    converter = Converter(spec, task=task, plan=plan, caption=fn,
                          description=description + f"; crop: {plan['crop']}; caption: {plan['caption']}")
    converter.action_offset = int(getattr(action_space, "start", 0))
    return converter


def _action_count(action_space) -> int:
    from gymnasium import spaces
    if not isinstance(action_space, spaces.Discrete):
        raise UnsupportedSpaceError(f"action space {action_space} is not supported: Yendor's policies choose one of "
                                    f"n discrete actions (gymnasium.spaces.Discrete)")
    n = int(action_space.n)
    if not 2 <= n <= 4096:
        raise UnsupportedSpaceError(f"action space {action_space} is not supported: Yendor needs 2...4096 actions, "
                                    f"the env has {n}")
    return n
