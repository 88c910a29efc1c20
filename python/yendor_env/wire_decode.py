"""Decoding of frames into environment-server messages (docs/wire-protocol.md, "Decoding rules"): total,
so any bytes either decode or raise `WireError`; array data are read-only numpy views into the frame."""
from __future__ import annotations

import math
import struct
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .crc import crc32c
from .spec import ObservationSpec, SpecError
from .wire_envelope import (ALLOWED_FLAGS, DEFAULT_LIMITS, DTYPES, ENV_PROTOCOL_SPLIT, ENV_PROTOCOLS, HEADER,
                            HEADER_SIZE, KIND_NAMES, MAGIC, VERSION, Kind, Limits, WireError, _ALL_KINDS, _CODES,
                            _ENV_KINDS, _F32, _U8, _U16, _U32, _U64)
from .wire_messages import (OBSERVATION_ARRAYS, STEP_RESULT_ARRAYS, EnvClose, EnvDescribe, EnvError, EnvOpen,
                            EnvSpec, EnvStep, EnvStepResult, Episode, Message, _ARRAY_DTYPES, _ARRAY_NDIM)

__all__ = ["decode", "peek_sequence"]

class _Reader:
    """Reads little-endian fields from a frame, checking every length before touching anything."""

    def __init__(self, frame: memoryview, limits: Limits):
        self.frame = frame
        self.offset = HEADER_SIZE
        self.end = len(frame)
        self.limits = limits

    def need(self, n: int, what: str):
        left = self.end - self.offset
        if n < 0 or n > left:
            raise WireError("truncated", f"truncated: {what} needs {n} bytes, {left} left")

    def _unpack(self, st: struct.Struct, what: str):
        self.need(st.size, what)
        v = st.unpack_from(self.frame, self.offset)[0]
        self.offset += st.size
        return v

    def u8(self, what): return self._unpack(_U8, what)
    def u16(self, what): return self._unpack(_U16, what)
    def u32(self, what): return self._unpack(_U32, what)
    def u64(self, what): return self._unpack(_U64, what)
    def f32(self, what): return self._unpack(_F32, what)

    def string(self, what: str) -> str:
        n = self.u32(what + " length")
        if n > self.limits.max_string_bytes:
            raise WireError("too_large", f"{what} is {n} bytes, over the limit {self.limits.max_string_bytes}")
        self.need(n, what)
        raw = bytes(self.frame[self.offset:self.offset + n])
        try:
            s = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise WireError("utf8", f"{what} is not valid UTF-8") from None
        self.offset += n
        return s

    def count(self, what: str, minimum_item_bytes: int) -> int:
        n = self.u32(what)
        if n > self.limits.max_items:
            raise WireError("too_large", f"{what} is {n}, over the limit {self.limits.max_items}")
        left = self.end - self.offset
        if n * minimum_item_bytes > left:
            raise WireError("truncated", f"truncated: {what} {n} needs at least {n * minimum_item_bytes} bytes, {left} left")
        return n

    def array(self) -> Tuple[str, np.ndarray]:
        name = self.string("array name")
        code = self.u8(f"{name} dtype")
        dtype = DTYPES.get(code)
        if dtype is None:
            raise WireError("dtype", f"{name}: unknown dtype code {code}")
        ndim = self.u8(f"{name} ndim")
        if ndim > self.limits.max_dimensions:
            raise WireError("too_large", f"{name} ndim is {ndim}, over the limit {self.limits.max_dimensions}")
        if self.u16(f"{name} reserved") != 0:
            raise WireError("value", f"{name}: reserved field is not zero")
        shape = []
        count = 1
        for d in range(ndim):
            extent = self.u32(f"{name} shape[{d}]")
            count *= extent
            if count > self.limits.max_message_bytes:
                raise WireError("too_large", f"{name} element count is {count}, over the limit {self.limits.max_message_bytes}")
            shape.append(extent)
        pad = (-(self.offset - HEADER_SIZE)) % 8
        if pad:
            self.need(pad, f"{name} padding")
            if any(self.frame[self.offset:self.offset + pad]):
                raise WireError("value", f"{name}: non-zero padding byte")
            self.offset += pad
        nbytes = count * dtype.itemsize
        self.need(nbytes, f"{name} data")
        if count:
            data = np.frombuffer(self.frame, dtype=dtype, count=count, offset=self.offset).reshape(shape)
            data.flags.writeable = False
        else:
            data = np.zeros(shape, dtype=dtype)
        self.offset += nbytes
        return name, data

    def arrays(self) -> Dict[str, np.ndarray]:
        n = self.count("array count", 8)  # smallest record: empty name (4) + dtype/ndim/reserved (4)
        if n > self.limits.max_arrays:
            raise WireError("too_large", f"array count is {n}, over the limit {self.limits.max_arrays}")
        out: Dict[str, np.ndarray] = {}
        for _ in range(n):
            name, a = self.array()
            if name in out:
                raise WireError("duplicate", f"array {name} appears twice")
            out[name] = a
        return out

    def finish(self):
        left = self.end - self.offset
        if left:
            raise WireError("trailing", f"{left} bytes after the end of the message")


def _header(frame: memoryview, limits: Limits) -> int:
    """Checks the envelope; returns the kind."""
    if len(frame) < HEADER_SIZE:
        raise WireError("truncated", f"truncated: the envelope header needs {HEADER_SIZE} bytes, {len(frame)} present")
    if len(frame) > limits.max_message_bytes:
        raise WireError("too_large", f"frame is {len(frame)} bytes, over the limit {limits.max_message_bytes}")
    magic, version, kind, flags, crc, length = HEADER.unpack_from(frame, 0)
    if magic != MAGIC:
        raise WireError("bad_magic", f"bad magic {magic.hex(' ')} (expected 59 4e 44 52, \"YNDR\")")
    if version != VERSION:
        raise WireError("bad_version", f"unsupported protocol version {version} (this build speaks {VERSION})")
    if kind not in _ALL_KINDS:
        raise WireError("unknown_kind", f"unknown message kind {kind}")
    if flags & ~ALLOWED_FLAGS.get(kind, 0):
        raise WireError("bad_flags", f"unsupported flags 0x{flags:x}")
    if length != len(frame) - HEADER_SIZE:
        raise WireError("length", f"payload length {length} declared, {len(frame) - HEADER_SIZE} bytes present")
    actual = crc32c(frame[HEADER_SIZE:])
    if actual != crc:
        raise WireError("crc", f"CRC32C mismatch: header says 0x{crc:x}, payload has 0x{actual:x}")
    if kind not in _ENV_KINDS:
        raise WireError("unknown_kind", f"kind {kind} ({KIND_NAMES[kind]}) is not an environment-server message (48–53)")
    return kind


def _as_view(frame) -> memoryview:
    if hasattr(frame, "buffer") and not isinstance(frame, (bytes, bytearray, memoryview)):
        frame = frame.buffer  # a zmq.Frame
    mv = memoryview(frame)
    if mv.ndim != 1 or mv.itemsize != 1:
        mv = mv.cast("B")
    return mv


def peek_sequence(frame) -> int:
    """The `u64 sequence` at the start of an env message's payload, or 0 when the frame is too short or
    not a Yendor frame (used to address an EnvError to a request that did not decode)."""
    try:
        mv = _as_view(frame)
    except TypeError:
        return 0
    if len(mv) < HEADER_SIZE + 8 or bytes(mv[:4]) != MAGIC:
        return 0
    return _U64.unpack_from(mv, HEADER_SIZE)[0]


def decode(frame, *, limits: Limits = DEFAULT_LIMITS, spec: Optional[ObservationSpec] = None,
           num_envs: Optional[int] = None) -> Message:
    """Decodes one frame (bytes, bytearray, memoryview or zmq.Frame) into an env message.

    Array fields are read-only numpy views into `frame` (keep the frame alive while you use them).
    With `spec` and `num_envs`, EnvStep and EnvStepResult are also checked against them (shapes,
    glyph ids and actions in range); without, they are checked for consistency only.
    Raises WireError on anything malformed; never returns a partial message."""
    mv = _as_view(frame)
    kind = _header(mv, limits)
    r = _Reader(mv, limits)
    if kind == Kind.ENV_OPEN:
        seq = r.u64("sequence")
        seed = r.u64("seed")
        protocol = r.u32("protocol")
        if protocol not in ENV_PROTOCOLS:
            raise WireError("value", f"protocol: {protocol}, this server speaks {' and '.join(map(str, ENV_PROTOCOLS))}")
        split, splits = 0, 1
        if protocol == ENV_PROTOCOL_SPLIT:
            split = r.u32("split")
            splits = r.u32("splits")
            if not 0 <= split < splits:
                raise WireError("value", f"split {split} of {splits}: needs 0 <= split < splits")
        msg: Message = EnvOpen(seq, seed, protocol, split, splits)
    elif kind == Kind.ENV_SPEC:
        msg = _decode_spec(r)
    elif kind == Kind.ENV_STEP:
        seq = r.u64("sequence")
        arrays = r.arrays()
        _only(arrays, ("actions",), "EnvStep")
        actions = _check_array(arrays, "actions", DTYPES[3], 1)
        if num_envs is not None and actions.shape[0] != num_envs:
            raise WireError("shape", f"actions: shape {list(actions.shape)}, expected [{num_envs}]")
        if actions.size and int(actions.min()) < 0:
            i = int(np.argmax(actions < 0))
            raise WireError("value", f"actions: action {int(actions[i])} for env {i} is negative")
        if spec is not None and actions.size and int(actions.max()) >= spec.action_count:
            i = int(np.argmax(actions >= spec.action_count))
            raise WireError("value", f"actions: action {int(actions[i])} for env {i} is outside 0..<{spec.action_count}")
        msg = EnvStep(seq, actions)
    elif kind == Kind.ENV_STEP_RESULT:
        msg = _decode_step_result(r, spec, num_envs)
    elif kind == Kind.ENV_CLOSE:
        msg = EnvClose(r.u64("sequence"))
    elif kind == Kind.ENV_DESCRIBE:
        msg = EnvDescribe(r.u64("sequence"))
    else:  # ENV_ERROR
        seq = r.u64("sequence")
        msg = EnvError(seq, r.string("message"))
    r.finish()
    return msg


def _only(arrays: Dict[str, np.ndarray], names: Sequence[str], what: str):
    for n in arrays:
        if n not in names:
            raise WireError("value", f"{what}: unknown array {n!r} (expected {', '.join(names)})")
    for n in names:
        if n not in arrays:
            raise WireError("missing", f"missing array {n}")


def _check_array(arrays, name, dtype, ndim) -> np.ndarray:
    a = arrays[name]
    if a.dtype != dtype:
        raise WireError("shape", f"{name}: dtype {_dtype_name(a.dtype)}, expected {_dtype_name(dtype)}")
    if a.ndim != ndim:
        raise WireError("shape", f"{name}: shape {list(a.shape)} has {a.ndim} dimensions, expected {ndim}")
    return a


def _dtype_name(dt) -> str:
    return {1: "u8", 2: "i16", 3: "i32", 4: "f32", 5: "i64"}.get(_CODES.get(np.dtype(dt).str.lstrip("<>|=")), str(dt))


def _spec_from_fields(environment, fields) -> ObservationSpec:
    spec = ObservationSpec(environment, *fields)
    try:
        spec.validate()
    except SpecError as e:
        raise WireError("value", f"observation spec: {e}") from None
    return spec


def _decode_spec(r: _Reader) -> EnvSpec:
    seq = r.u64("sequence")
    environment = r.string("environment")
    task = r.string("task")
    n = r.u32("num_envs")
    if n < 1 or n > r.limits.max_items:
        raise WireError("value", f"num_envs: {n}, expected 1...{r.limits.max_items}")
    fields = [r.u32(f) for f in ("map_rows", "map_columns", "crop_size", "glyph_count", "blstats_count",
                                 "caption_bytes", "action_count")]
    if r.u32("reserved") != 0:
        raise WireError("value", "reserved: not zero")
    spec = _spec_from_fields(environment, fields)
    arrays = r.arrays()
    if arrays:  # none in the reply to EnvDescribe
        _only(arrays, OBSERVATION_ARRAYS, "EnvSpec")
        _check_observations(arrays, spec, n)
    return EnvSpec(seq, environment, task, n, spec, arrays)


def _check_observations(arrays, spec: Optional[ObservationSpec], n: Optional[int]) -> int:
    """Dtypes, shapes and value ranges of the five observation arrays; returns N."""
    for name in OBSERVATION_ARRAYS:
        _check_array(arrays, name, _ARRAY_DTYPES[name], _ARRAY_NDIM[name])
    if n is None:
        n = arrays["glyphs"].shape[0]
        if n < 1:
            raise WireError("shape", "glyphs: no envs (leading dimension 0)")
    if spec is not None:
        expected = {"glyphs": [n, spec.map_rows, spec.map_columns], "crop": [n, spec.crop_size, spec.crop_size],
                    "blstats": [n, spec.blstats_count], "caption": [n, spec.caption_bytes], "caption_length": [n]}
    else:
        g, c, b, cap = (arrays[k].shape for k in ("glyphs", "crop", "blstats", "caption"))
        if c[1] != c[2] or c[1] % 2 == 0:
            raise WireError("shape", f"crop: shape {list(c)}, expected [N, c, c] with c odd")
        expected = {"glyphs": [n, g[1], g[2]], "crop": [n, c[1], c[1]], "blstats": [n, b[1]],
                    "caption": [n, cap[1]], "caption_length": [n]}
    for name, shape in expected.items():
        if list(arrays[name].shape) != shape:
            raise WireError("shape", f"{name}: shape {list(arrays[name].shape)}, expected {shape}")
    limit = spec.glyph_count if spec is not None else 1 << 15
    for name in ("glyphs", "crop"):
        a = arrays[name]
        if a.size and (int(a.min()) < 0 or int(a.max()) >= limit):
            bad = int(a.min()) if int(a.min()) < 0 else int(a.max())
            raise WireError("value", f"{name}: glyph id {bad} is outside 0..<{limit}")
    caption, lengths = arrays["caption"], arrays["caption_length"]
    capacity = caption.shape[1]
    if lengths.size and (int(lengths.min()) < 0 or int(lengths.max()) > capacity):
        i = int(np.argmax((lengths < 0) | (lengths > capacity)))
        raise WireError("value", f"caption_length: {int(lengths[i])} for env {i} is outside 0...{capacity}")
    if capacity:
        pad = np.arange(capacity)[None, :] >= lengths[:, None]
        if caption[pad].any():
            i = int(np.argmax((caption * pad).any(axis=1)))
            raise WireError("value", f"caption: env {i} has non-zero bytes after its {int(lengths[i])} used bytes")
        for i in range(n):
            row = caption[i, :lengths[i]]
            if row.size and row.max() >= 0x80:
                try:
                    row.tobytes().decode("utf-8")
                except UnicodeDecodeError:
                    raise WireError("utf8", f"caption of env {i} is not valid UTF-8") from None
    return n


def _decode_step_result(r: _Reader, spec: Optional[ObservationSpec], num_envs: Optional[int]) -> EnvStepResult:
    seq = r.u64("sequence")
    arrays = r.arrays()
    n = 0
    if arrays:
        _only(arrays, STEP_RESULT_ARRAYS, "EnvStepResult")
        n = _check_observations(arrays, spec, num_envs)
        for name in ("reward", "done", "truncated"):
            a = _check_array(arrays, name, _ARRAY_DTYPES[name], 1)
            if a.shape[0] != n:
                raise WireError("shape", f"{name}: shape {list(a.shape)}, expected [{n}]")
        if not np.isfinite(arrays["reward"]).all():
            i = int(np.argmax(~np.isfinite(arrays["reward"])))
            raise WireError("value", f"reward: {float(arrays['reward'][i])} for env {i} is not finite")
        done, truncated = arrays["done"], arrays["truncated"]
        for name, a in (("done", done), ("truncated", truncated)):
            if a.size and int(a.max()) > 1:
                raise WireError("value", f"{name}: flag {int(a.max())} for env {int(np.argmax(a > 1))}, expected 0 or 1")
        if (truncated > done).any():
            raise WireError("value", f"truncated: env {int(np.argmax(truncated > done))} is truncated but not done")
    # smallest episode: env, return, length (12) + success, truncated (2) + two empty strings (8)
    e = r.count("episode count", 22)
    if e > n:
        raise WireError("value", f"episode count: {e} finished episodes from {n} envs")
    capacity = arrays["caption"].shape[1] if arrays else 0
    episodes: List[Episode] = []
    seen = set()
    for k in range(e):
        env = r.u32(f"episode {k} env")
        ret = r.f32(f"episode {k} return")
        length = r.u32(f"episode {k} length")
        success = r.u8(f"episode {k} success")
        trunc = r.u8(f"episode {k} truncated")
        last = r.string(f"episode {k} last_caption")
        error = r.string(f"episode {k} error")
        if env >= n or env in seen:
            raise WireError("value", f"episode {k}: env {env} is {'repeated' if env in seen else f'outside 0..<{n}'}")
        seen.add(env)
        if success > 1 or trunc > 1:
            raise WireError("value", f"episode {k}: flags success={success} truncated={trunc}, expected 0 or 1")
        if not math.isfinite(ret):
            raise WireError("value", f"episode {k}: return {ret} is not finite")
        if not arrays["done"][env]:
            raise WireError("value", f"episode {k}: env {env} finished an episode but its done flag is 0")
        if trunc != arrays["truncated"][env]:
            raise WireError("value", f"episode {k}: truncated={trunc} disagrees with truncated[{env}]")
        if len(last.encode("utf-8")) > capacity:
            raise WireError("value", f"episode {k}: last_caption is over the caption capacity {capacity}")
        episodes.append(Episode(env, ret, length, bool(success), bool(trunc), last, error))
    if arrays and len(seen) != int(arrays["done"].sum()):
        missing = sorted(set(np.flatnonzero(arrays["done"]).tolist()) - seen)
        raise WireError("value", f"episodes: envs {missing[:8]} are done but have no finished episode")
    return EnvStepResult(seq, arrays, episodes)
