"""Yendor's environment server: Gymnasium environments served to Yendor's rollout workers over ZeroMQ.

    from yendor_env import serve
    serve(lambda: gymnasium.make("MiniHack-KeyRoom-S5-v0"), num_envs=64, endpoint="tcp://*:5600")

Modules: `wire` (the envelope and messages 48–54 of docs/wire-protocol.md), `spec` (observation spec
inference and the per-step converter), `server` (`serve`, `EnvServer`), `client` (`EnvClient`, a Python
worker-side client for tests and benchmarks), `cli` (the `yendor-env` command), `plot` (`yendor-plot`:
learning curves from run directories as SVG).
"""
from .spec import ObservationSpec, UnsupportedSpaceError, SpecError, infer, nle_message
from .wire import WireError

__version__ = "0.1.0"


def serve(*args, **kwargs):
    """See `yendor_env.server.serve`."""
    from .server import serve as _serve
    return _serve(*args, **kwargs)


__all__ = ["serve", "infer", "ObservationSpec", "UnsupportedSpaceError", "SpecError", "WireError", "nle_message",
           "__version__"]
