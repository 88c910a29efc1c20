"""Yendor's wire protocol, version 1: the envelope and the environment-server messages (kinds 48–53).

Byte-exact to docs/wire-protocol.md ("Envelope header", "Primitive encodings", "Environment server
(48–53)", "Decoding rules"). Encoding takes numpy arrays; decoding maps array data straight out of the
received frame (read-only numpy views, no copy) and is total: any bytes either decode or raise
`WireError` naming the problem.

    frame = encode(EnvStep(sequence=7, actions=np.array([0, 3], np.int32)))
    message = decode(frame)            # -> EnvStep(sequence=7, actions=array([0, 3], dtype=int32))

The pieces live in `wire_envelope` (header, kinds, dtypes, `WireError`, `Limits`), `crc` (CRC-32C),
`wire_messages` (the dataclasses), `wire_encode` and `wire_decode`; this module is the one to import.
"""
from __future__ import annotations

from .crc import crc32c, crc32c_python
from .wire_decode import decode, peek_sequence
from .wire_encode import StepResultFrame, encode
from .wire_envelope import (DTYPES, ENV_PROTOCOL, ENV_PROTOCOL_SPLIT, HEADER_SIZE, MAGIC, VERSION, Kind, Limits,
                            WireError)
from .wire_messages import (OBSERVATION_ARRAYS, STEP_RESULT_ARRAYS, EnvClose, EnvDescribe, EnvError, EnvOpen,
                            EnvSpec, EnvStep, EnvStepResult, Episode)
# Public before the split though not in __all__: still reachable as wire.X.
from .wire_envelope import DEFAULT_LIMITS, ENV_PROTOCOLS, HEADER, KIND_NAMES  # noqa: F401
from .wire_messages import Message  # noqa: F401

__all__ = [
    "MAGIC", "VERSION", "HEADER_SIZE", "ENV_PROTOCOL", "ENV_PROTOCOL_SPLIT", "Kind", "WireError", "Limits", "DTYPES",
    "EnvOpen", "EnvSpec", "EnvStep", "EnvStepResult", "EnvClose", "EnvError", "EnvDescribe", "Episode",
    "OBSERVATION_ARRAYS", "STEP_RESULT_ARRAYS",
    "encode", "decode", "peek_sequence", "crc32c", "crc32c_python", "StepResultFrame",
]
