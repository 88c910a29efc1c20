"""The environment server: N Gymnasium environments stepped in batches for one Yendor worker.

Protocol: docs/wire-protocol.md, "Environment server (48–54)". The server binds a ZeroMQ ROUTER; a
worker connects a DEALER per slice it steps and sends one request at a time on each:

- EnvOpen(seed) → the envs of the opened slice are reset (the slice's env i first with seed
  `seed + offset + i`, where `offset` is `serve(seed=…)`, 0 by default; later resets are unseeded and
  continue the env's RNG) → EnvSpec with the first observations. Protocol 1 opens the whole server;
  protocol 2 opens slice `split` of `splits` (several connections then step disjoint slices, so the
  server steps one slice while the worker computes the next actions of another). The connection that
  sent the last EnvOpen of a slice owns it: EnvStep and EnvClose from any other connection get EnvError
  (two workers must never interleave steps of one env), and an EnvOpen that overlaps another
  connection's slice takes those envs over.
- EnvStep(actions) → the connection's slice steps; where an episode ends the env is reset at once (auto-reset) and
  the finished episode is reported with its return, length, success, truncation and last caption.
  An env that raises inside `step` (or returns an observation that does not fit the spec, or a
  non-finite reward) ends its episode as truncated with the exception text in `error`; it is closed,
  made anew with the factory and reset, and the other envs go on.
- EnvClose → the connection's slice (the whole server when none is open) is closed; the reply is an
  EnvStepResult with no arrays. The next EnvOpen makes those envs anew.
- EnvDescribe → EnvSpec without observations, from any connection, open or not: no reset, no change
  of owner (a learner asks for the spec this way while a worker steps the envs).
- Anything else (a frame that does not decode, a wrong action count, an action out of range, a request
  before EnvOpen, a message kind a server does not take) → EnvError; the server goes on.

NetHack-based envs (NLE, MiniHack) ignore Gymnasium's reset seed for the game itself, so for them the
server also seeds NetHack (core, display) before every reset from a per-env generator seeded like the
env: seeds reproduce there too.
"""
from __future__ import annotations

import math
import os
import faulthandler
import signal
import sys
import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import wire
from .captions import truncate_utf8
from .converter import Converter
from .error_log import ErrorLog
from .inference import infer
from .spec import Buffers

__all__ = ["EnvServer", "serve", "MAX_ERROR_BYTES"]

#: Exception texts are cut to this many UTF-8 bytes.
MAX_ERROR_BYTES = 4096
#: Attempts to make and reset an env anew before the server gives up on it (and answers EnvError).
RESET_ATTEMPTS = 3
U64 = 1 << 64
#: Envs per server a Yendor worker accepts (RemoteVectorEnv.maxEnvsPerServer).
MAX_ENVS = 1 << 14
#: Connections remembered as having had their envs taken over by another's EnvOpen.
MAX_DISPLACED = 1024
#: The largest finite float32, the wire's type for rewards.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def _log_stderr(line: str):
    print(f"yendor-env: {line}", file=sys.stderr, flush=True)


def _error_text(e: BaseException) -> str:
    text = f"{type(e).__name__}: {e}"
    return truncate_utf8(text.encode("utf-8", "replace"), MAX_ERROR_BYTES).decode("utf-8", "replace")


def seed_nethack(env, core: int, disp: int):
    """Seeds NetHack's RNGs for the next reset. MiniHack's MiniGrid-backed envs (MultiRoom, …) lay out
    each level with a MiniGrid env, and their `seed` calls that env's old Gym `seed`, which Gymnasium's
    MiniGrid no longer has: for them the MiniGrid env is seeded through its `reset(seed=…)` (their
    level resets then continue its generator) and NetHack through NLE's own `seed`."""
    u = env.unwrapped
    minigrid = getattr(u, "minigrid_env", None)
    if minigrid is not None and not hasattr(minigrid, "seed"):
        from nle.env.base import NLE
        minigrid.reset(seed=core % (1 << 32))
        NLE.seed(u, core, disp, False)
    else:
        u.seed(core, disp, reseed=False)


def is_nethack(env) -> bool:
    if "nle" not in sys.modules:
        return False
    try:
        from nle.env.base import NLE
    except Exception:  # pragma: no cover
        return False
    return isinstance(getattr(env, "unwrapped", env), NLE)


def _success(terminated: bool, reward: float, info: Dict[str, Any]) -> bool:
    """The env's own word when it gives one (info 'success' / 'is_success', NLE's end_status
    TASK_SUCCESSFUL), else: terminated with a positive reward (MiniGrid's rule)."""
    if isinstance(info, dict):
        for key in ("success", "is_success"):
            if key in info:
                return bool(info[key])
        status = info.get("end_status")
        if status is not None:
            return getattr(status, "name", "") == "TASK_SUCCESSFUL" or (isinstance(status, (int, np.integer)) and int(status) == 2)
    return bool(terminated and reward > 0)


class _Slot:
    """One env and its running episode."""
    __slots__ = ("env", "rng", "episode_return", "length", "nethack", "pending_reset", "retries", "waited")

    def __init__(self, env):
        self.env = env
        # (obs, info) of the episode that ended when its auto-reset failed: shown until a reset works,
        # tried again after 1, 2, 4, ... 64 steps (`retries` failed so far, `waited` steps since the last).
        self.pending_reset: Optional[Tuple[Any, Any]] = None
        self.retries = 0
        self.waited = 0
        self.rng: Optional[np.random.Generator] = None
        self.episode_return = 0.0
        self.length = 0
        self.nethack = is_nethack(env)


class _Session:
    """The slice of envs one connection opened, with its preallocated reply frame."""
    __slots__ = ("start", "count", "frame", "buffers")

    def __init__(self, start: int, count: int, frame, buffers: Buffers):
        self.start, self.count, self.frame, self.buffers = start, count, frame, buffers

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.start + self.count


class EnvServer:
    """The protocol logic without sockets: `handle(frame, peer)` returns the reply frame.

    make_env: a zero-argument factory returning a `gymnasium.Env` (called N times, and again for an env
      that raised or after EnvClose).
    num_envs: N.
    seed: added to EnvOpen's seed (default 0: env i's first reset uses EnvOpen.seed + i).
    caption, crop_size, caption_bytes, environment, task, ignore: as `yendor_env.inference.infer`.
    log: where log lines go; clock: seconds (monotonic) for the env errors' summaries (a test drives it).
    """

    def __init__(self, make_env: Callable[[], Any], num_envs: int, *, seed: int = 0, caption=None,
                 crop_size: Optional[int] = None, caption_bytes: Optional[int] = None,
                 environment: Optional[str] = None, task: Optional[str] = None, ignore: Sequence[str] = (),
                 limits: wire.Limits = wire.DEFAULT_LIMITS, log: Callable[[str], None] = _log_stderr,
                 clock: Callable[[], float] = time.monotonic):
        most = min(limits.max_items, MAX_ENVS)
        if not 1 <= num_envs <= most:
            raise ValueError(f"num_envs must be in 1...{most}, got {num_envs} (a worker takes at most {MAX_ENVS} per server)")
        self.make_env = make_env
        self.num_envs = num_envs
        self.seed_offset = int(seed) % U64
        self.limits = limits
        self.log = log
        self._error_log = ErrorLog(log, clock, _error_text)
        self._infer_args = dict(caption=caption, crop_size=crop_size, caption_bytes=caption_bytes,
                                environment=environment, task=task, ignore=tuple(ignore))
        first = make_env()
        try:
            self.converter: Converter = infer(first, **self._infer_args)
        except Exception:
            _close_quietly(first)
            raise
        self.spec = self.converter.spec
        self.environment = self.spec.environment
        self.task = self.converter.task
        self._spaces = (first.observation_space, first.action_space)
        #: The open slices, by the routing id of the connection that opened each.
        self.sessions: Dict[Tuple[bytes, ...], _Session] = {}
        #: Connections whose slice another connection's EnvOpen took (the newest MAX_DISPLACED): only
        #: they are told their envs were taken over. Any other connection without a slice (one that
        #: stepped a server since restarted) is told to open first: Yendor's worker stops at a second
        #: takeover, so a restart must not read as one.
        self.displaced: "OrderedDict[Tuple[bytes, ...], None]" = OrderedDict()
        # None where an env is not made (after EnvClose); made again by the next EnvOpen of its slice.
        self.slots: List[Optional[_Slot]] = [_Slot(first)] + [None] * (num_envs - 1)
        try:
            self._make(range(num_envs))
        except Exception:
            self.close()
            raise
        per_env = (2 * (self.spec.map_rows * self.spec.map_columns + self.spec.crop_size ** 2)
                   + 4 * self.spec.blstats_count + self.spec.caption_bytes + 14
                   + 22 + self.spec.caption_bytes + MAX_ERROR_BYTES)
        if 4096 + per_env * num_envs > limits.max_message_bytes:
            self.close()
            raise ValueError(f"{num_envs} envs of {self.spec.fingerprint} make replies of up to "
                             f"{4096 + per_env * num_envs} bytes, over the frame limit {limits.max_message_bytes}")
        self.counters = dict(requests=0, steps=0, episodes=0, env_errors=0, bad_requests=0, opens=0, describes=0)
        #: Seconds spent answering requests (stepping, converting, encoding): the server's busy time.
        self.busy_seconds = 0.0

    @property
    def opened(self) -> bool:
        """Whether any slice is open."""
        return bool(self.sessions)

    def _session(self, start: int, count: int) -> _Session:
        """A session over envs start ..< start+count. Its reply frame is allocated once, at EnvOpen; the
        observation arrays are views into it, so the converter's writes are the encoding (only the
        episode summaries, header and CRC are added per step)."""
        frame = wire.StepResultFrame(self.spec, count, 4 + count * (22 + self.spec.caption_bytes + MAX_ERROR_BYTES + 16))
        return _Session(start, count, frame, Buffers(self.spec, count, arrays=frame.arrays))

    # -- env lifecycle

    def _make(self, indices):
        """Makes the envs at `indices` that are not made and checks each has env 0's spaces; on a failure
        closes the ones this call made and raises."""
        made = []
        try:
            for i in indices:
                if self.slots[i] is not None:
                    continue
                env = self.make_env()
                self.slots[i] = _Slot(env)
                made.append(i)
                spaces = (env.observation_space, env.action_space)
                if spaces != self._spaces:
                    raise ValueError(f"env {i} has other spaces than env 0: {spaces[0]} / {spaces[1]} "
                                     f"versus {self._spaces[0]} / {self._spaces[1]}")
        except Exception:
            for i in made:
                _close_quietly(self.slots[i].env)
                self.slots[i] = None
            raise

    def _remake(self, i: int):
        slot = self.slots[i]
        # The new env first: if it cannot be made, the slot keeps its old env rather than a closed one.
        env = self.make_env()
        if (env.observation_space, env.action_space) != self._spaces:
            _close_quietly(env)
            raise ValueError(f"the factory made an env with other spaces: {env.observation_space} / {env.action_space}")
        _close_quietly(slot.env)
        new = _Slot(env)
        new.rng = slot.rng
        self.slots[i] = new

    def _reset(self, i: int, seed: Optional[int], session: Optional[_Session]):
        """Resets env i; writes its first observation into its row of `session` (checked against the spec)
        or, without one, returns it for a batch write."""
        slot = self.slots[i]
        if slot.nethack and slot.rng is not None:
            core, disp = (int(v) for v in slot.rng.integers(0, 1 << 63, size=2))
            seed_nethack(slot.env, core, disp)
        obs, info = slot.env.reset(seed=seed) if seed is not None else slot.env.reset()
        if session is not None:
            self.converter.write(obs, info, session.buffers, i - session.start)
        slot.episode_return = 0.0
        slot.length = 0
        slot.pending_reset = None
        return obs, info

    def _reset_or_remake(self, i: int, seed: Optional[int], why: str, *, session: Optional[_Session] = None,
                         remake: bool = False):
        """Resets env i (after making it anew when `remake`); if that raises, makes it anew (seeded from
        its generator) and tries again, up to RESET_ATTEMPTS times. Returns the first observation."""
        last: Optional[BaseException] = None
        for attempt in range(RESET_ATTEMPTS):
            try:
                if remake or attempt > 0:
                    self._remake(i)
                    seed = int(self.slots[i].rng.integers(0, 1 << 63))
                return self._reset(i, seed, session)
            except Exception as e:  # noqa: BLE001 - any env failure
                last = e
                self._log_env_error(i, f"reset ({why}, attempt {attempt + 1}/{RESET_ATTEMPTS})", e)
        raise _ResetFailed(f"env {i} could not be reset ({why}; {RESET_ATTEMPTS} attempts, the later ones with the env "
                           f"made anew and another seed): {_error_text(last)}")

    def _log_env_error(self, i: int, where: str, e: BaseException):
        self.counters["env_errors"] += 1
        self._error_log.error(f"env {i} raised in {where}: {_error_text(e)}", e)

    def close(self):
        """Closes every env (and logs the env errors not logged yet)."""
        self._error_log.flush()
        self._close_envs(range(len(self.slots)))
        self.sessions.clear()

    def _close_envs(self, indices):
        for i in indices:
            if self.slots[i] is not None:
                _close_quietly(self.slots[i].env)
                self.slots[i] = None

    # -- requests

    def handle(self, frame, peer: Tuple[bytes, ...] = ()) -> bytes:
        """One request frame in, one reply frame out. Never raises for bad input."""
        self.counters["requests"] += 1
        started = time.perf_counter()
        try:
            return self._handle(frame, peer)
        finally:
            self.busy_seconds += time.perf_counter() - started
            # Errors that stopped coming are summed up too, once their interval is over.
            self._error_log.tick()

    def _handle(self, frame, peer) -> bytearray:
        try:
            msg = wire.decode(frame, limits=self.limits)
        except wire.WireError as e:
            return self._error(wire.peek_sequence(frame), f"bad frame: {e}")
        try:
            if isinstance(msg, wire.EnvOpen):
                return self._open(msg, peer)
            if isinstance(msg, wire.EnvStep):
                return self._step(msg, peer)
            if isinstance(msg, wire.EnvClose):
                return self._close(msg, peer)
            if isinstance(msg, wire.EnvDescribe):
                return self._describe(msg)
            return self._error(msg.sequence, f"an environment server takes EnvOpen (48), EnvStep (50), EnvClose "
                                             f"(52) and EnvDescribe (54); got {type(msg).__name__} ({int(msg.KIND)})")
        except _ResetFailed as e:
            self.sessions.pop(tuple(peer), None)
            # Said to a user in Yendor's log: what happened to the envs, not what the protocol allows.
            return self._error(msg.sequence, f"{e}; this connection's envs are closed until it opens them again")

    def _error(self, sequence: int, message: str) -> bytearray:
        self.counters["bad_requests"] += 1
        text = truncate_utf8(message.encode("utf-8", "replace"), MAX_ERROR_BYTES).decode("utf-8", "replace")
        return wire.encode(wire.EnvError(sequence, text))

    def _open(self, msg: wire.EnvOpen, peer) -> bytearray:
        n = self.num_envs
        if msg.splits > n:
            return self._error(msg.sequence, f"cannot open slice {msg.split + 1} of {msg.splits}: this server hosts {n} envs "
                                             f"(a worker cuts each server into env.server_splits slices: serve at least "
                                             f"{msg.splits} envs, or set env.server_splits={n})")
        start, end = n * msg.split // msg.splits, n * (msg.split + 1) // msg.splits
        peer = tuple(peer)
        # The connection's earlier slice ends, and so does any other connection's that overlaps this one.
        for owner in [o for o, s in self.sessions.items() if o == peer or s.overlaps(start, end)]:
            del self.sessions[owner]
            if owner != peer:
                self.displaced[owner] = None
                while len(self.displaced) > MAX_DISPLACED:
                    self.displaced.popitem(last=False)
        self.displaced.pop(peer, None)
        try:
            self._make(range(start, end))
        except Exception as e:  # noqa: BLE001
            self.log(f"could not make the envs: {_error_text(e)}")
            return self._error(msg.sequence, f"could not make the envs: {_error_text(e)}")
        session = self._session(start, end - start)
        firsts = []
        for i in range(start, end):
            env_seed = (msg.seed + self.seed_offset + i - start) % U64
            self.slots[i].rng = np.random.default_rng(env_seed)
            firsts.append(self._reset_or_remake(i, env_seed, "EnvOpen"))
        b = session.buffers
        failures = self.converter.write_batch([o for o, _ in firsts], [inf for _, inf in firsts], b)
        for j, e in failures.items():
            self._log_env_error(start + j, "the first observation", e)
            self._reset_or_remake(start + j, None, "its first observation did not fit the spec", session=session,
                                  remake=True)
        b.reward.fill(0)
        b.done.fill(0)
        b.truncated.fill(0)
        self.sessions[peer] = session
        self.counters["opens"] += 1
        return wire.encode(wire.EnvSpec(msg.sequence, self.environment, self.task, session.count, self.spec,
                                        b.observations()))

    def _describe(self, msg: wire.EnvDescribe) -> bytearray:
        """The spec, without observations: no reset, no change of owner, whether or not the envs are open."""
        self.counters["describes"] += 1
        return wire.encode(wire.EnvSpec(msg.sequence, self.environment, self.task, self.num_envs, self.spec, {}))

    def _session_of(self, sequence: int, peer, what: str):
        """(the connection's open slice, None), or (None, the EnvError to reply)."""
        session = self.sessions.get(tuple(peer))
        if session is not None:
            return session, None
        if tuple(peer) not in self.displaced:
            return None, self._error(sequence, f"{what} before EnvOpen on this connection (a new connection, or the "
                                               f"server restarted since it opened its envs): send EnvOpen first")
        return None, self._error(sequence, f"{what} from a connection that did not open these envs (another "
                                           f"connection sent the last EnvOpen of them): send EnvOpen to take them over")

    def _step(self, msg: wire.EnvStep, peer) -> bytearray:
        session, refused = self._session_of(msg.sequence, peer, "EnvStep")
        if refused is not None:
            return refused
        actions = msg.actions
        n, start, count = session.count, session.start, self.spec.action_count
        if actions.shape != (n,):
            return self._error(msg.sequence, f"expected {n} actions, got {actions.shape[0]}")
        bad = (actions < 0) | (actions >= count)
        if bad.any():
            i = int(np.argmax(bad))
            return self._error(msg.sequence, f"action {int(actions[i])} for env {i} is outside 0..<{count}")
        b = session.buffers
        conv = self.converter
        offset = conv.action_offset
        slots = self.slots
        rewards, dones, truncs = [0.0] * n, [0] * n, [0] * n
        observations: List[Any] = [None] * n
        infos: List[Any] = [None] * n
        # Keyed by the env's index in the slice (what the worker sees); slots by the server's index.
        episodes: Dict[int, wire.Episode] = {}
        for i, action in enumerate(actions.tolist()):
            slot = slots[start + i]
            if slot.pending_reset is not None:
                # Its reset failed when its last episode ended: it shows that episode's last observation
                # and its actions act on nothing (no reward, no episode) until a reset works, tried again
                # after 1, 2, 4, ... 64 steps (a reset can be costly, and the slice's other envs wait).
                shown = observations[i], infos[i] = slot.pending_reset
                slot.waited += 1
                if slot.waited >= min(1 << slot.retries, 64):
                    try:
                        observations[i], infos[i] = self._reset_or_remake(start + i, None, "again, after a failed auto-reset",
                                                                          remake=True)
                    except _ResetFailed:
                        remade = slots[start + i]
                        remade.pending_reset, remade.retries, remade.waited = shown, slot.retries + 1, 0
                continue
            try:
                obs, reward, terminated, truncated, info = slot.env.step(action + offset)
                reward = float(reward)
                # The wire carries float32: a finite float64 beyond its range would arrive as inf.
                if not math.isfinite(reward) or abs(reward) > FLOAT32_MAX:
                    raise ValueError(f"the env returned a reward {reward} that is not a finite float32")
                if abs(slot.episode_return + reward) > FLOAT32_MAX:  # the summary's return is float32 too
                    raise ValueError(f"the episode's return {slot.episode_return + reward} is beyond float32")
                done = bool(terminated) or bool(truncated)
                if done:
                    last_caption = conv.caption(obs, info)
            except Exception as e:  # noqa: BLE001 - the env's failure ends its episode, not the server
                self._log_env_error(start + i, "step", e)
                slot.length += 1
                episodes[i] = wire.Episode(i, slot.episode_return, slot.length, False, True, "", _error_text(e))
                dones[i] = truncs[i] = 1
                observations[i], infos[i] = self._reset_or_remake(start + i, None, "after a failed step", remake=True)
                continue
            slot.episode_return += reward
            slot.length += 1
            rewards[i] = reward
            if done:
                cut = bool(truncated) and not bool(terminated)
                dones[i], truncs[i] = 1, int(cut)
                episodes[i] = wire.Episode(i, slot.episode_return, slot.length, _success(bool(terminated), reward, info),
                                           cut, last_caption.decode("utf-8"), "")
                try:
                    obs, info = self._reset_or_remake(start + i, None, "auto-reset")
                except _ResetFailed:
                    # Only this env waits: it shows its last observation and tries again next step.
                    slots[start + i].pending_reset = (obs, info)
            observations[i], infos[i] = obs, info
        failures = conv.write_batch(observations, infos, b)
        for i, e in failures.items():  # an observation that does not fit the spec: as if the env had raised
            self._log_env_error(start + i, "its observation", e)
            if i not in episodes:
                slot = slots[start + i]
                # At least one step: a reset that just worked may have given the observation that did not fit.
                episodes[i] = wire.Episode(i, slot.episode_return, max(slot.length, 1), False, True, "", _error_text(e))
                dones[i] = truncs[i] = 1
            self._reset_or_remake(start + i, None, "its observation did not fit the spec", session=session, remake=True)
        b.reward[...] = rewards
        b.done[...] = dones
        b.truncated[...] = truncs
        self.counters["steps"] += n
        self.counters["episodes"] += len(episodes)
        ordered = [episodes[i] for i in sorted(episodes)]
        return bytes(session.frame.finish(msg.sequence, ordered))

    def _close(self, msg: wire.EnvClose, peer) -> bytearray:
        if self.sessions:
            session, refused = self._session_of(msg.sequence, peer, "EnvClose")
            if refused is not None:
                return refused
            self._close_envs(range(session.start, session.start + session.count))
            del self.sessions[tuple(peer)]
        else:
            self._close_envs(range(self.num_envs))
        return wire.encode(wire.EnvStepResult(msg.sequence))


class _ResetFailed(Exception):
    pass


def _close_quietly(env):
    try:
        env.close()
    except Exception:  # noqa: BLE001
        pass


# Seconds an env call under way gets after SIGINT or SIGTERM before the server leaves without it.
STOP_GRACE_S = 5.0

def serve(make_env: Callable[[], Any], num_envs: int, endpoint: str, *, seed: int = 0, caption=None,
          crop_size: Optional[int] = None, caption_bytes: Optional[int] = None, environment: Optional[str] = None,
          task: Optional[str] = None, ignore: Sequence[str] = (), limits: wire.Limits = wire.DEFAULT_LIMITS,
          stop: Optional[threading.Event] = None, ready: Optional[Callable[[str, EnvServer], None]] = None,
          handle_signals: bool = True, log: Callable[[str], None] = _log_stderr, poll_ms: int = 100,
          parent_pid: Optional[int] = None) -> EnvServer:
    """Hosts `num_envs` envs made by `make_env` on a ZeroMQ ROUTER bound at `endpoint` and answers
    EnvOpen / EnvStep / EnvClose until SIGINT or SIGTERM (or `stop` is set); then closes the envs and the
    socket and returns the server (its `counters`).

    `endpoint` may use port `*` (e.g. `tcp://127.0.0.1:*`); `ready(endpoint, server)` is called with the
    bound endpoint once the server answers. caption, crop_size, caption_bytes, environment, task, ignore:
    as `yendor_env.inference.infer`; seed: added to every EnvOpen's seed. parent_pid: the process
    that started this one (`yendor train`); the server stops when it is gone, so none outlives a run
    whose parent was killed."""
    import zmq

    if handle_signals and threading.current_thread() is threading.main_thread() and hasattr(signal, "pthread_sigmask"):
        # A parent may start us with them blocked (Swift Foundation's Process does): SIGINT and
        # SIGTERM must reach us, while the envs are made (default action) and while serving.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    server = EnvServer(make_env, num_envs, seed=seed, caption=caption, crop_size=crop_size,
                       caption_bytes=caption_bytes, environment=environment, task=task, ignore=ignore,
                       limits=limits, log=log)
    stop = stop or threading.Event()
    overran = threading.Event()  # the grace after a stop signal passed with an env call under way
    previous = {}
    if handle_signals and threading.current_thread() is threading.main_thread():
        def on_signal(signum, frame):
            if stop.is_set():  # a second signal: leave now
                raise KeyboardInterrupt
            stop.set()
            # An env call under way that hangs in the env's code held the stop for as long as it
            # took (trial C: 40 s): it gets a grace period, then the server leaves without it. The
            # alarm is the stop's alone from here (an env's own alarms before were its business);
            # what still holds the stop after that (an env's close hung in C code, which no Python
            # handler interrupts) ends the process with a traceback of where.
            previous.setdefault(signal.SIGALRM, signal.signal(signal.SIGALRM, on_alarm))
            signal.setitimer(signal.ITIMER_REAL, STOP_GRACE_S)
            faulthandler.dump_traceback_later(STOP_GRACE_S + 5, exit=True)

        def on_alarm(signum, frame):
            overran.set()
            raise KeyboardInterrupt
        for s in (signal.SIGINT, signal.SIGTERM):
            previous[s] = signal.signal(s, on_signal)
    ctx = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    # Requests are small (EnvStep: N i32 actions); anything larger is refused by libzmq, which drops the peer.
    sock.setsockopt(zmq.MAXMSGSIZE, max(1 << 20, 4 * num_envs + 4096))
    sock.setsockopt(zmq.RCVHWM, 64)
    sock.setsockopt(zmq.SNDHWM, 16)  # replies to a worker that stopped reading are dropped beyond this
    sock.setsockopt(zmq.LINGER, 0)
    bound = None
    try:
        sock.bind(endpoint)
        bound = sock.getsockopt_string(zmq.LAST_ENDPOINT)
        if ready is not None:
            ready(bound, server)
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        while not stop.is_set():
            if parent_pid is not None and os.getppid() != parent_pid:
                log(f"the process that started this server (pid {parent_pid}) is gone; stopping")
                break
            try:
                events = dict(poller.poll(poll_ms))
            except zmq.ZMQError as e:
                if e.errno == zmq.EINTR:
                    continue
                raise
            if sock not in events:
                continue
            while not stop.is_set():
                try:
                    parts = sock.recv_multipart(flags=zmq.NOBLOCK, copy=False)
                except zmq.Again:
                    break
                if len(parts) < 2:
                    continue
                routing = [p.bytes for p in parts[:-1]]
                reply = server.handle(parts[-1].buffer, tuple(routing))
                try:
                    sock.send_multipart(routing + [reply], flags=zmq.NOBLOCK, copy=False)
                except zmq.Again:
                    log("a reply was dropped: the worker is not reading (send queue full)")
    except KeyboardInterrupt:
        pass
    finally:
        if signal.SIGALRM in previous:
            signal.signal(signal.SIGALRM, signal.SIG_IGN)  # an alarm now would cut this short
            signal.setitimer(signal.ITIMER_REAL, 0)
        if overran.is_set():
            log(f"an env call did not return within {STOP_GRACE_S:g} s of the stop signal; leaving without it")
        sock.close(linger=0)
        ctx.term()
        server.close()
        faulthandler.cancel_dump_traceback_later()
        for s, h in previous.items():
            signal.signal(s, h)
        if bound and bound.startswith("ipc://"):
            # libzmq leaves an ipc socket's file behind, naming nothing once this server is gone
            # (however it stops: a signal, or the process that started it gone).
            try:
                os.unlink(bound[len("ipc://"):])
            except OSError:
                pass
        log(f"stopped: {server.counters}, busy {server.busy_seconds:.1f} s")
    return server
