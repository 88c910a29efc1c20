"""Encoding of the environment-server messages into frames (envelope + payload): `encode`, and
`StepResultFrame`, a preallocated EnvStepResult frame whose arrays the server fills in place."""
from __future__ import annotations

import struct
from typing import Dict, Sequence, Tuple

import numpy as np

from .crc import crc32c
from .spec import ObservationSpec
from .wire_envelope import (DTYPES, ENV_PROTOCOL_SPLIT, HEADER, HEADER_SIZE, MAGIC, VERSION, Kind, _code, _F32,
                            _U8, _U16, _U32, _U64)
from .wire_messages import (OBSERVATION_ARRAYS, STEP_RESULT_ARRAYS, EnvClose, EnvDescribe, EnvError, EnvOpen,
                            EnvSpec, EnvStep, EnvStepResult, Episode, Message, _ARRAY_DTYPES)

__all__ = ["encode", "StepResultFrame"]

_ARRAY_HEAD = struct.Struct("<BBH")


class _Writer:
    """Builds a frame in one bytearray: 24 header bytes reserved up front, the payload appended, the
    header filled in last, so array data is copied exactly once."""

    def __init__(self):
        self.buf = bytearray(HEADER_SIZE)

    def u8(self, v): self.buf += _U8.pack(v)
    def u16(self, v): self.buf += _U16.pack(v)
    def u32(self, v): self.buf += _U32.pack(v)
    def u64(self, v): self.buf += _U64.pack(v)
    def f32(self, v): self.buf += _F32.pack(v)

    def string(self, s: str):
        b = s.encode("utf-8")
        self.buf += _U32.pack(len(b))
        self.buf += b

    def array(self, name: str, a: np.ndarray):
        a = np.asarray(a)
        code = _code(a.dtype)
        if a.ndim > 255:
            raise ValueError(f"{name}: {a.ndim} dimensions")
        self.string(name)
        self.buf += _ARRAY_HEAD.pack(code, a.ndim, 0)
        for extent in a.shape:
            self.buf += _U32.pack(extent)
        pad = (-(len(self.buf) - HEADER_SIZE)) % 8
        self.buf += bytes(pad)
        le = a.astype(DTYPES[code], copy=False)
        if not le.flags.c_contiguous:
            le = np.ascontiguousarray(le)
        start = len(self.buf)
        if le.size:
            self.buf += memoryview(le).cast("B")
        return start

    def arrays(self, items: Sequence[Tuple[str, np.ndarray]]):
        self.u32(len(items))
        for name, a in items:
            self.array(name, a)

    def finish(self, kind: int) -> bytearray:
        payload = memoryview(self.buf)[HEADER_SIZE:]
        HEADER.pack_into(self.buf, 0, MAGIC, VERSION, int(kind), 0, crc32c(payload), len(payload))
        payload.release()
        return self.buf


def _typed(name: str, value, dtype: np.dtype) -> np.ndarray:
    """`value` as `dtype`: lists are converted; an ndarray of another dtype is refused (no silent casts)."""
    if not isinstance(value, np.ndarray):
        return np.asarray(value, dtype=dtype)
    if (value.dtype.kind, value.dtype.itemsize) != (dtype.kind, dtype.itemsize):
        raise ValueError(f"{name}: dtype {value.dtype}, expected {dtype}")
    return value


def _write_episodes(w: _Writer, episodes: Sequence[Episode]):
    """EnvStepResult's episode summaries: shared by `encode` and `StepResultFrame`, which must stay
    byte-identical."""
    w.u32(len(episodes))
    for e in episodes:
        w.u32(e.env)
        w.f32(e.episode_return)
        w.u32(e.length)
        w.u8(1 if e.success else 0)
        w.u8(1 if e.truncated else 0)
        w.string(e.last_caption)
        w.string(e.error)


def encode(message: Message) -> bytearray:
    """The frame (envelope + payload) of one environment-server message."""
    w = _Writer()
    m = message
    if isinstance(m, EnvOpen):
        w.u64(m.sequence)
        w.u64(m.seed)
        w.u32(m.protocol)
        if m.protocol == ENV_PROTOCOL_SPLIT:
            w.u32(m.split)
            w.u32(m.splits)
    elif isinstance(m, EnvSpec):
        s = m.spec
        w.u64(m.sequence)
        w.string(m.environment)
        w.string(m.task)
        w.u32(m.num_envs)
        for v in (s.map_rows, s.map_columns, s.crop_size, s.glyph_count, s.blstats_count,
                  s.caption_bytes, s.action_count, m.reserved):
            w.u32(v)
        if m.observations:
            w.arrays([(n, _typed(n, m.observations[n], _ARRAY_DTYPES[n])) for n in OBSERVATION_ARRAYS])
        else:
            w.u32(0)
    elif isinstance(m, EnvStep):
        w.u64(m.sequence)
        w.arrays([("actions", _typed("actions", m.actions, DTYPES[3]))])
    elif isinstance(m, EnvStepResult):
        w.u64(m.sequence)
        if m.arrays:
            missing = [n for n in STEP_RESULT_ARRAYS if n not in m.arrays]
            if missing:
                raise ValueError(f"EnvStepResult without arrays {missing}")
            w.arrays([(n, _typed(n, m.arrays[n], _ARRAY_DTYPES[n])) for n in STEP_RESULT_ARRAYS])
        else:
            w.u32(0)
        _write_episodes(w, m.episodes)
    elif isinstance(m, (EnvClose, EnvDescribe)):
        w.u64(m.sequence)
    elif isinstance(m, EnvError):
        w.u64(m.sequence)
        w.string(m.message)
    else:
        raise TypeError(f"not an environment-server message: {type(m).__name__}")
    return w.finish(m.KIND)


class StepResultFrame:
    """A preallocated EnvStepResult frame for a fixed spec and N: the eight arrays are numpy views into
    the frame itself (`arrays`), so whoever fills them has already encoded them; `finish(sequence,
    episodes)` appends the episodes, fills in the header and CRC and returns the frame (a memoryview of
    the internal buffer, valid until the next `finish`; send it with a copy). Byte-identical to
    `encode(EnvStepResult(sequence, arrays, episodes))`."""

    def __init__(self, spec: ObservationSpec, num_envs: int, max_tail_bytes: int):
        n = num_envs
        shapes = {"glyphs": (n, spec.map_rows, spec.map_columns), "crop": (n, spec.crop_size, spec.crop_size),
                  "blstats": (n, spec.blstats_count), "caption": (n, spec.caption_bytes), "caption_length": (n,),
                  "reward": (n,), "done": (n,), "truncated": (n,)}
        w = _Writer()
        w.u64(0)
        w.u32(len(STEP_RESULT_ARRAYS))
        offsets = {}
        for name in STEP_RESULT_ARRAYS:
            offsets[name] = w.array(name, np.zeros(shapes[name], _ARRAY_DTYPES[name]))
        self.fixed = len(w.buf)
        self.max_tail = max_tail_bytes
        self.buf = bytearray(self.fixed + max_tail_bytes)
        self.buf[:self.fixed] = w.buf
        self.arrays: Dict[str, np.ndarray] = {}
        for name in STEP_RESULT_ARRAYS:
            dt = _ARRAY_DTYPES[name]
            count = int(np.prod(shapes[name]))
            self.arrays[name] = np.frombuffer(self.buf, dt, count, offsets[name]).reshape(shapes[name])

    def finish(self, sequence: int, episodes: Sequence[Episode]) -> memoryview:
        t = _Writer()
        t.buf = bytearray()
        _write_episodes(t, episodes)
        tail = t.buf
        if len(tail) > self.max_tail:
            raise ValueError(f"episode summaries of {len(tail)} bytes, over the {self.max_tail} reserved")
        end = self.fixed + len(tail)
        self.buf[self.fixed:end] = tail
        _U64.pack_into(self.buf, HEADER_SIZE, sequence)
        view = memoryview(self.buf)[:end]
        payload = view[HEADER_SIZE:]
        HEADER.pack_into(self.buf, 0, MAGIC, VERSION, int(Kind.ENV_STEP_RESULT), 0, crc32c(payload), len(payload))
        payload.release()
        return view
