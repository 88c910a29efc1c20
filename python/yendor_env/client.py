"""A worker-side client for an environment server, in Python (pyzmq): for tests, benchmarks and for
driving a server by hand. Yendor's own workers speak the same protocol from Swift.

    with EnvClient("tcp://127.0.0.1:5600") as c:
        spec = c.open(seed=1)                      # EnvSpec: spec, num_envs, first observations
        result = c.step(np.zeros(spec.num_envs, np.int32))
        result.glyphs, result.reward, result.done, result.episodes
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from . import wire

__all__ = ["EnvClient", "ServerError", "ServerTimeout"]


class ServerError(RuntimeError):
    """The server answered EnvError."""


class ServerTimeout(TimeoutError):
    """No reply within the timeout."""


class EnvClient:
    """A DEALER connected to one env server; one request at a time, replies matched by sequence."""

    def __init__(self, endpoint: str, *, timeout: float = 30.0, context=None):
        import zmq
        self._zmq = zmq
        self._own_context = context is None
        self.context = context or zmq.Context()
        self.socket = self.context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)
        self.timeout = timeout
        self.sequence = 0
        self.spec: Optional[wire.EnvSpec] = None

    def request(self, message) -> object:
        """Sends `message` (its sequence is set here) and returns the decoded reply with that sequence;
        raises ServerError for EnvError, ServerTimeout when none comes in time."""
        zmq = self._zmq
        self.sequence += 1
        message.sequence = self.sequence
        self.socket.send(wire.encode(message), copy=False)
        remaining_ms = int(self.timeout * 1000)
        while True:
            if not self.socket.poll(remaining_ms, zmq.POLLIN):
                raise ServerTimeout(f"no reply to {type(message).__name__} #{self.sequence} within {self.timeout} s")
            frame = self.socket.recv(copy=False)
            spec = self.spec.spec if self.spec is not None else None
            n = self.spec.num_envs if self.spec is not None else None
            reply = wire.decode(frame, spec=spec, num_envs=n)
            if reply.sequence != self.sequence:
                continue  # a reply to an older request
            if isinstance(reply, wire.EnvError):
                raise ServerError(reply.message)
            return reply

    def open(self, seed: int = 0, split: int = 0, splits: int = 1) -> wire.EnvSpec:
        """Opens the whole server, or slice `split` of `splits` (protocol 2)."""
        self.spec = None
        protocol = wire.ENV_PROTOCOL if splits == 1 else wire.ENV_PROTOCOL_SPLIT
        reply = self.request(wire.EnvOpen(0, seed, protocol, split, splits))
        if not isinstance(reply, wire.EnvSpec):
            raise ServerError(f"EnvOpen answered with {type(reply).__name__}")
        self.spec = reply
        return reply

    def step(self, actions) -> wire.EnvStepResult:
        reply = self.request(wire.EnvStep(0, np.asarray(actions, dtype=np.int32)))
        if not isinstance(reply, wire.EnvStepResult) or reply.closed:
            raise ServerError(f"EnvStep answered with {type(reply).__name__}")
        return reply

    def close_envs(self) -> wire.EnvStepResult:
        reply = self.request(wire.EnvClose(0))
        self.spec = None
        return reply

    def close(self):
        self.socket.close(linger=0)
        if self._own_context:
            self.context.term()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
