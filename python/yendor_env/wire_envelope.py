"""The envelope of Yendor's wire protocol, version 1, and what every message shares: the header, the
message kinds, the array dtype codes, the primitive encodings, `WireError` and `Limits`
(docs/wire-protocol.md, "Envelope header" and "Primitive encodings")."""
from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import Dict

import numpy as np

__all__ = [
    "MAGIC", "VERSION", "HEADER", "HEADER_SIZE", "ENV_PROTOCOL", "ENV_PROTOCOL_SPLIT", "ENV_PROTOCOLS", "Kind",
    "KIND_NAMES", "DTYPES", "WireError", "Limits", "DEFAULT_LIMITS",
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


# Header flag bits a kind may carry (docs/wire-protocol.md): bit 0, "redelivered", on a
# TrajectoryBatch a replay role sends again; every other bit, and any bit on another kind, is refused.
FLAG_REDELIVERED = 1
ALLOWED_FLAGS = {int(Kind.TRAJECTORY_BATCH): FLAG_REDELIVERED}

_ENV_KINDS = frozenset(range(48, 55))
_ALL_KINDS = frozenset(int(k) for k in Kind)
KIND_NAMES = {1: "Hello", 2: "Heartbeat", 3: "Stats", 4: "Goodbye", 16: "TrajectoryBatch", 17: "PolicyUpdate",
              32: "AnnotationRequest", 33: "AnnotationResult", 48: "EnvOpen", 49: "EnvSpec", 50: "EnvStep",
              51: "EnvStepResult", 52: "EnvClose", 53: "EnvError", 54: "EnvDescribe"}

# dtype codes of the `array` encoding; all little-endian.
DTYPES: Dict[int, np.dtype] = {1: np.dtype("u1"), 2: np.dtype("<i2"), 3: np.dtype("<i4"),
                               4: np.dtype("<f4"), 5: np.dtype("<i8"), 6: np.dtype("<f2")}
_CODES: Dict[str, int] = {dt.str.lstrip("<>|="): code for code, dt in DTYPES.items()}


def _code(dtype: np.dtype) -> int:
    key = np.dtype(dtype).newbyteorder("<").str.lstrip("<>|=")
    try:
        return _CODES[key]
    except KeyError:
        raise ValueError(f"dtype {np.dtype(dtype)} has no wire code (u8, i16, i32, f32, i64, f16)") from None


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

# Primitive encodings, one place for the encoder and the decoder.
_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_F32 = struct.Struct("<f")
