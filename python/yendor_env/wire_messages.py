"""The environment-server messages of the wire protocol (kinds 48–54, docs/wire-protocol.md,
"Environment server (48–53)") as dataclasses, and the names, dtypes and ranks of their arrays."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Union

import numpy as np

from .spec import ObservationSpec
from .wire_envelope import DTYPES, ENV_PROTOCOL, Kind

__all__ = [
    "OBSERVATION_ARRAYS", "STEP_RESULT_ARRAYS", "EnvOpen", "EnvSpec", "EnvStep", "Episode", "EnvStepResult",
    "EnvClose", "EnvDescribe", "EnvError", "Message",
]

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
