"""Yendor's wire protocol, version 1: the envelope and the environment-server messages (kinds 48–53).

Byte-exact to docs/wire-protocol.md ("Envelope header", "Primitive encodings", "Environment server
(48–53)", "Decoding rules"). Encoding takes numpy arrays; decoding maps array data straight out of the
received frame (read-only numpy views, no copy) and is total: any bytes either decode or raise
`WireError` naming the problem.

    frame = encode(EnvStep(sequence=7, actions=np.array([0, 3], np.int32)))
    message = decode(frame)            # -> EnvStep(sequence=7, actions=array([0, 3], dtype=int32))
"""
from __future__ import annotations

import enum
import math
import struct
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .spec import ObservationSpec, SpecError

__all__ = [
    "MAGIC", "VERSION", "HEADER_SIZE", "ENV_PROTOCOL", "ENV_PROTOCOL_SPLIT", "Kind", "WireError", "Limits", "DTYPES",
    "EnvOpen", "EnvSpec", "EnvStep", "EnvStepResult", "EnvClose", "EnvError", "EnvDescribe", "Episode",
    "OBSERVATION_ARRAYS", "STEP_RESULT_ARRAYS",
    "encode", "decode", "peek_sequence", "crc32c", "crc32c_python", "StepResultFrame",
]

MAGIC = b"YNDR"
VERSION = 1
HEADER = struct.Struct("<4sHHIIQ")  # magic, version, kind, flags, crc32c, payload length
HEADER_SIZE = HEADER.size  # 24
ENV_PROTOCOL = 1  # EnvOpen's `protocol` field for a whole server
ENV_PROTOCOL_SPLIT = 2  # EnvOpen's `protocol` field when it opens one slice (it then carries split, splits)
ENV_PROTOCOLS = (ENV_PROTOCOL, ENV_PROTOCOL_SPLIT)


class Kind(enum.IntEnum):
    HELLO = 1
    HEARTBEAT = 2
    STATS = 3
    GOODBYE = 4
    TRAJECTORY_BATCH = 16
    POLICY_UPDATE = 17
    ANNOTATION_REQUEST = 32
    ANNOTATION_RESULT = 33
    ENV_OPEN = 48
    ENV_SPEC = 49
    ENV_STEP = 50
    ENV_STEP_RESULT = 51
    ENV_CLOSE = 52
    ENV_ERROR = 53
    ENV_DESCRIBE = 54


_ENV_KINDS = frozenset(range(48, 55))
_ALL_KINDS = frozenset(int(k) for k in Kind)
KIND_NAMES = {1: "Hello", 2: "Heartbeat", 3: "Stats", 4: "Goodbye", 16: "TrajectoryBatch", 17: "PolicyUpdate",
              32: "AnnotationRequest", 33: "AnnotationResult", 48: "EnvOpen", 49: "EnvSpec", 50: "EnvStep",
              51: "EnvStepResult", 52: "EnvClose", 53: "EnvError", 54: "EnvDescribe"}

# dtype codes of the `array` encoding; all little-endian.
DTYPES: Dict[int, np.dtype] = {1: np.dtype("u1"), 2: np.dtype("<i2"), 3: np.dtype("<i4"),
                               4: np.dtype("<f4"), 5: np.dtype("<i8")}
_CODES: Dict[str, int] = {dt.str.lstrip("<>|="): code for code, dt in DTYPES.items()}


def _code(dtype: np.dtype) -> int:
    key = np.dtype(dtype).newbyteorder("<").str.lstrip("<>|=")
    try:
        return _CODES[key]
    except KeyError:
        raise ValueError(f"dtype {np.dtype(dtype)} has no wire code (u8, i16, i32, f32, i64)") from None


class WireError(ValueError):
    """Bytes that did not decode. `kind` is a short machine-readable reason (`truncated`, `bad_magic`,
    `bad_version`, `unknown_kind`, `bad_flags`, `length`, `crc`, `too_large`, `utf8`, `dtype`, `shape`,
    `missing`, `duplicate`, `value`, `trailing`); the message says what and where."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Limits:
    """Upper bounds checked before anything is allocated (Swift: `WireLimits`)."""
    max_message_bytes: int = 256 << 20
    max_arrays: int = 1024
    max_dimensions: int = 8
    max_string_bytes: int = 64 << 10
    max_items: int = 1 << 20


DEFAULT_LIMITS = Limits()

# ---------------------------------------------------------------------------------------------- CRC-32C

_TABLE: Optional[List[int]] = None


def crc32c_python(data) -> int:
    """CRC-32C (Castagnoli, reflected 0x82F63B78, init and final xor 0xFFFFFFFF), in pure Python.
    Slow (~1 MB/s): for tests and byte vectors; `crc32c` uses the C extension."""
    global _TABLE
    if _TABLE is None:
        table = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
        _TABLE = table
    t = _TABLE
    crc = 0xFFFFFFFF
    for b in memoryview(data).cast("B"):
        crc = (crc >> 8) ^ t[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFFFFFF


try:
    from crc32c import crc32c as _crc32c_c  # the `crc32c` PyPI package (C, SSE4.2 where available)
except ImportError:  # pragma: no cover - the package is a dependency
    _crc32c_c = None


def crc32c(data) -> int:
    """CRC-32C of `data` (any buffer), by the `crc32c` C extension."""
    if _crc32c_c is not None:
        return _crc32c_c(data)
    warnings.warn("yendor_env.wire: the crc32c package is missing; using the pure-Python CRC-32C "
                  "(about 1 MB/s): pip install crc32c", RuntimeWarning, stacklevel=2)
    return crc32c_python(data)


# ---------------------------------------------------------------------------------------------- messages

#: The per-env observation arrays (EnvSpec's first observations; the first five of EnvStepResult).
OBSERVATION_ARRAYS = ("glyphs", "crop", "blstats", "caption", "caption_length")
#: EnvStepResult's arrays, in the order this encoder writes them.
STEP_RESULT_ARRAYS = OBSERVATION_ARRAYS + ("reward", "done", "truncated")

_ARRAY_DTYPES = {"glyphs": DTYPES[2], "crop": DTYPES[2], "blstats": DTYPES[3], "caption": DTYPES[1],
                 "caption_length": DTYPES[3], "reward": DTYPES[4], "done": DTYPES[1], "truncated": DTYPES[1]}
_ARRAY_NDIM = {"glyphs": 3, "crop": 3, "blstats": 2, "caption": 2, "caption_length": 1, "reward": 1,
               "done": 1, "truncated": 1}


@dataclass
class EnvOpen:
    """Kind 48, worker → server: reset the envs of one slice (env i of the slice with seed `seed + i`)
    and reply with EnvSpec. Protocol 1 opens the whole server; protocol 2 opens slice `split` of
    `splits` equal slices (the server's envs N·split/splits ..< N·(split+1)/splits)."""
    sequence: int
    seed: int
    protocol: int = ENV_PROTOCOL
    split: int = 0
    splits: int = 1
    KIND = Kind.ENV_OPEN


@dataclass
class EnvSpec:
    """Kind 49, server → worker: the observation spec, N, and the first observations
    (`observations` maps each name of OBSERVATION_ARRAYS to an array with leading dimension N; it is
    empty in the reply to EnvDescribe)."""
    sequence: int
    environment: str
    task: str
    num_envs: int
    spec: ObservationSpec
    observations: Dict[str, np.ndarray]
    reserved: int = 0
    KIND = Kind.ENV_SPEC


@dataclass
class EnvStep:
    """Kind 50, worker → server: `actions` i32 [N]."""
    sequence: int
    actions: np.ndarray
    KIND = Kind.ENV_STEP


@dataclass
class Episode:
    """One finished episode in an EnvStepResult."""
    env: int
    episode_return: float
    length: int
    success: bool
    truncated: bool
    last_caption: str = ""
    error: str = ""


@dataclass
class EnvStepResult:
    """Kind 51, server → worker. `arrays` maps each name of STEP_RESULT_ARRAYS to an array with
    leading dimension N; it is empty (and `episodes` too) in the reply to EnvClose."""
    sequence: int
    arrays: Dict[str, np.ndarray] = field(default_factory=dict)
    episodes: List[Episode] = field(default_factory=list)
    KIND = Kind.ENV_STEP_RESULT

    @property
    def closed(self) -> bool:
        """True for the reply to EnvClose (no arrays)."""
        return not self.arrays

    def __getattr__(self, name):  # result.glyphs, result.reward, ...
        arrays = self.__dict__.get("arrays")
        if arrays is not None and name in STEP_RESULT_ARRAYS and name in arrays:
            return arrays[name]
        raise AttributeError(name)


@dataclass
class EnvClose:
    """Kind 52, worker → server: close the envs; the reply is an EnvStepResult with no arrays."""
    sequence: int
    KIND = Kind.ENV_CLOSE


@dataclass
class EnvDescribe:
    """Kind 54, anyone → server: describe the envs without touching them (no reset, no ownership);
    the reply is an EnvSpec without observations."""
    sequence: int
    KIND = Kind.ENV_DESCRIBE


@dataclass
class EnvError:
    """Kind 53, server → worker: the request could not be served; `message` says why."""
    sequence: int
    message: str
    KIND = Kind.ENV_ERROR


Message = Union[EnvOpen, EnvSpec, EnvStep, EnvStepResult, EnvClose, EnvError, EnvDescribe]

# ---------------------------------------------------------------------------------------------- encoding

_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_F32 = struct.Struct("<f")
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


# ---------------------------------------------------------------------------------------------- decoding

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
    if flags != 0:
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
