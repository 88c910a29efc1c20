"""Yendor's environment server: Gymnasium environments served to Yendor's rollout workers over ZeroMQ.

    from yendor_env import serve
    serve(lambda: gymnasium.make("MiniHack-KeyRoom-S5-v0"), num_envs=64, endpoint="tcp://*:5600")

Modules: `wire` (the envelope and messages 48–54 of docs/wire-protocol.md; built from `wire_envelope`,
`wire_messages`, `wire_encode`, `wire_decode` and `crc`), `spec` (the observation spec and its arrays),
`inference` (a Gymnasium env's spec, `infer`), `converter` (the per-step converter), `captions` (caption
bytes), `server` (`serve`, `EnvServer`), `client` (`EnvClient`, a Python worker-side client for tests and
benchmarks), `cli` (the `yendor-env` command), `plot` (`yendor-plot`: learning curves from run directories
as SVG).
"""
from .captions import nle_message
from .inference import infer
from .spec import ObservationSpec, UnsupportedSpaceError, SpecError
from .wire import WireError

__version__ = "0.1.0"


def serve(*args, **kwargs):
    """See `yendor_env.server.serve`."""
    from .server import serve as _serve
    return _serve(*args, **kwargs)


__all__ = ["serve", "infer", "ObservationSpec", "UnsupportedSpaceError", "SpecError", "WireError", "nle_message",
           "__version__"]
