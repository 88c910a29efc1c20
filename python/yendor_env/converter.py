"""The per-step converter: a `Converter` holds an env's spec and plan (made by `inference`) and writes
each Gymnasium observation into Yendor's arrays; and the array helpers it uses (`crop_around`)."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import numpy as np

from .captions import CaptionFunction, _message_bytes, encode_caption
from .spec import (MINIGRID_AGENT, MINIGRID_COLORS, MINIGRID_OBJECTS, MINIGRID_STATES, Buffers, Observation,
                   ObservationSpec)

__all__ = ["Converter"]

_MINIGRID_MAX = np.array([MINIGRID_OBJECTS - 1, MINIGRID_COLORS - 1, MINIGRID_STATES - 1], np.uint8)
_MINIGRID_WEIGHTS = np.array([18, 3, 1], np.int16)


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
        _check_whole(g, f"glyphs {p['glyphs_key']!r}")
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
            _check_whole(c, f"crop {p['crop_key']!r}")
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
            _check_whole(v, f"blstats {key!r}")
            np.copyto(out, v, casting="unsafe")
            if v.dtype != np.int32 and (out != v).any():  # it wrapped: clamp instead, as Swift's Int32(clamping:)
                np.copyto(out, np.clip(v, -(1 << 31), (1 << 31) - 1), casting="unsafe")
            return
        at = 0
        for key, width in parts:
            v = np.asarray(obs[key]).reshape(-1)
            if v.size != width:
                raise ValueError(f"blstats part {key!r}: {v.size} values, expected {width}")
            _check_whole(v, f"blstats part {key!r}")
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
        if p["caption"] in ("mission", "text"):
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
            _check_whole(values, "blstats")
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


def _check_whole(values: np.ndarray, what: str):
    """Refuses fractional, NaN or infinite values in an observation Yendor stores as integers (a
    float array mid-episode from an env whose space said integers was truncated, NaN read as 0)."""
    if values.dtype.kind in "fc" and values.size:
        finite = np.isfinite(values)
        if not finite.all():
            raise ValueError(f"{what}: {values[~finite].flat[0]} is not a finite number")
        whole = values == np.round(values)
        if not whole.all():
            raise ValueError(f"{what}: {values[~whole].flat[0]} is not a whole number")


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
        _check_whole(values, "glyph ids")
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
