"""The environment server: protocol logic in process (EnvServer.handle), then a real `yendor-env serve`
process with a real MiniGrid env stepped by a pyzmq client."""
import os
import signal
import subprocess
import sys
import time

import gymnasium as gym
import numpy as np
import pytest

import helpers_env
from yendor_env import wire
from yendor_env.client import EnvClient, ServerError
from yendor_env.server import EnvServer

PEER = (b"worker-1",)


def ask(server, message, peer=PEER):
    return wire.decode(server.handle(wire.encode(message), peer), spec=server.spec, num_envs=server.num_envs)


def step(server, actions, sequence=2, peer=PEER):
    return ask(server, wire.EnvStep(sequence, np.asarray(actions, np.int32)), peer)


@pytest.fixture
def grid():
    server = EnvServer(lambda: helpers_env.GridEnv(length=3), 3, log=lambda line: None)
    yield server
    server.close()


# ---------------------------------------------------------------------------------------------- in process

def test_open_replies_with_the_spec_and_first_observations(grid):
    reply = ask(grid, wire.EnvOpen(7, 100))
    assert isinstance(reply, wire.EnvSpec) and reply.sequence == 7 and reply.num_envs == 3
    assert reply.environment == "gym:GridEnv" and reply.task == "GridEnv"
    assert reply.spec.fingerprint == "obs-v2 env=gym:GridEnv map=3x5 crop=9 glyphs=10 blstats=3 caption=16 actions=4"
    obs = reply.observations
    assert obs["glyphs"].shape == (3, 3, 5) and obs["caption_length"].tolist() == [5, 5, 5]
    assert bytes(obs["caption"][0][:5]) == b"hello"
    # env i's first reset is seeded with 100 + i
    for i in range(3):
        env = helpers_env.GridEnv()
        first, _ = env.reset(seed=100 + i)
        assert np.array_equal(obs["glyphs"][i], first["glyphs"])


def test_batched_step_auto_reset_and_episode_summaries(grid):
    ask(grid, wire.EnvOpen(1, 0))
    for t in (1, 2):
        r = step(grid, [0, 1, 2], sequence=t + 1)
        assert r.sequence == t + 1 and r.done.tolist() == [0, 0, 0] and not r.episodes
        assert bytes(r.caption[0][:r.caption_length[0]]) == f"step {t}".encode()
        assert r.blstats[:, 2].tolist() == [t, t, t]
    r = step(grid, [0, 0, 0], sequence=4)
    assert r.done.tolist() == [1, 1, 1] and r.truncated.tolist() == [0, 0, 0] and r.reward.tolist() == [1, 1, 1]
    assert [(e.env, e.episode_return, e.length, e.success, e.truncated, e.last_caption, e.error) for e in r.episodes] == \
        [(i, 1.0, 3, True, False, "step 3", "") for i in range(3)]
    # auto-reset: the observation is already the next episode's first
    assert r.blstats[:, 2].tolist() == [0, 0, 0]
    assert all(bytes(r.caption[i][:r.caption_length[i]]) == b"hello" for i in range(3))
    r = step(grid, [0, 0, 0], sequence=5)
    assert r.done.tolist() == [0, 0, 0] and r.blstats[:, 2].tolist() == [1, 1, 1]


def test_an_env_that_raises_ends_its_episode_truncated_and_the_others_go_on(grid):
    ask(grid, wire.EnvOpen(1, 0))
    step(grid, [0, 0, 0])
    r = step(grid, [0, 3, 0])  # action 3 makes GridEnv raise
    assert r.done.tolist() == [0, 1, 0] and r.truncated.tolist() == [0, 1, 0] and r.reward[1] == 0
    (e,) = r.episodes
    assert (e.env, e.length, e.success, e.truncated, e.last_caption) == (1, 2, False, True, "")
    assert e.error == "RuntimeError: boom at t=1"
    assert r.blstats[:, 2].tolist() == [2, 0, 2]  # env 1 was made anew and reset
    r = step(grid, [0, 0, 0])
    assert r.done.tolist() == [1, 0, 1] and r.blstats[1, 2] == 1
    assert grid.counters["env_errors"] == 1


def test_an_env_raising_on_every_step_logs_a_bounded_number_of_lines_and_counts_every_error():
    now = [0.0]
    lines = []
    server = EnvServer(lambda: helpers_env.GridEnv(length=3), 2, log=lambda line: lines.append((now[0], line)),
                       clock=lambda: now[0])
    ask(server, wire.EnvOpen(1, 0))
    for t in range(3000):  # 150 s of 2 envs raising on every step
        now[0] = t * 0.05
        step(server, [3, 3])
    assert server.counters["env_errors"] == 6000
    # The first 3 in full (the first with its traceback), then a summary at most every 10 s.
    assert "Traceback" in lines[0][1] and "Traceback" not in lines[1][1]
    assert all(" raised in step: RuntimeError: boom at t=0" in line for _, line in lines[:3])
    summaries = lines[3:]
    assert 3 + len(summaries) <= 3 + 150 / 10 + 1
    assert all(b - a >= 10 for (a, _), (b, _) in zip(summaries, summaries[1:]))
    # Once the errors stop, the last of them are summed up when their interval is over, or at close.
    held = 6000 - 3 - sum(int(line.split(": ")[1].split()[0]) for _, line in summaries)
    assert held > 0
    now[0] += 10
    step(server, [0, 0])
    server.close()
    summaries = lines[3:]
    assert sum(int(line.split(": ")[1].split()[0]) for _, line in summaries) == 6000 - 3
    assert all("(1 distinct); first: env " in line for _, line in summaries), summaries[-1]


def test_a_reward_beyond_float32_ends_its_episode_like_a_non_finite_one():
    # 1e39 is finite as a Python float but inf on the wire (float32): the worker would refuse the reply.
    server = EnvServer(lambda: helpers_env.GridEnv(length=2, final_reward=1e39), 2, log=lambda line: None)
    ask(server, wire.EnvOpen(1, 0))
    step(server, [0, 0])
    r = step(server, [0, 0])
    assert r.done.tolist() == [1, 1] and r.truncated.tolist() == [1, 1] and np.isfinite(r.reward).all()
    assert [e.error for e in r.episodes] == ["ValueError: the env returned a reward 1e+39 that is not a finite float32"] * 2
    r = step(server, [0, 0])
    assert r.done.tolist() == [0, 0] and not r.episodes
    server.close()


def test_an_episode_whose_return_adds_up_beyond_float32_ends_there():
    server = EnvServer(lambda: helpers_env.GridEnv(length=5, step_reward=2e38), 1, log=lambda line: None)
    ask(server, wire.EnvOpen(1, 0))
    assert not step(server, [0]).episodes  # 2e38 fits
    r = step(server, [0])  # 4e38 would not
    assert r.done.tolist() == [1] and np.isfinite(r.reward).all()
    (e,) = r.episodes
    assert e.truncated and "beyond float32" in e.error and np.isfinite(e.episode_return)
    server.close()


def test_more_envs_than_a_worker_takes_are_refused_at_the_start():
    with pytest.raises(ValueError, match=r"num_envs must be in 1\.\.\.16384, got 16385 \(a worker takes at most 16384"):
        EnvServer(lambda: helpers_env.GridEnv(), 16385, log=lambda line: None)


def test_an_env_whose_auto_reset_fails_waits_alone_and_starts_again_when_a_reset_works():
    failing = [0]  # resets still to fail, across the remade envs
    server = EnvServer(lambda: helpers_env.FlakyResetEnv(failing, length=2), 2, log=lambda line: None)
    ask(server, wire.EnvOpen(1, 0))
    step(server, [0, 0])
    failing[0] = 3  # every attempt of env 0's auto-reset; env 1's then works
    r = step(server, [0, 0])
    assert isinstance(r, wire.EnvStepResult), r  # no EnvError for the whole slice
    assert r.done.tolist() == [1, 1] and [(e.env, e.length, e.error) for e in r.episodes] == [(0, 2, ""), (1, 2, "")]
    assert r.blstats[:, 2].tolist() == [2, 0]  # env 0 shows its last observation
    failing[0] = 3
    r = step(server, [3, 0])  # env 0 tries again after 1 step and fails; its action (3 raises) acts on nothing
    assert r.done.tolist() == [0, 0] and not r.episodes and r.blstats[:, 2].tolist() == [2, 1]
    r = step(server, [0, 0])  # then it waits 2 steps before the next try
    assert r.done.tolist() == [0, 1] and [e.env for e in r.episodes] == [1] and r.blstats[0, 2] == 2
    r = step(server, [0, 0])  # the try works: env 0 starts afresh
    assert r.done.tolist() == [0, 0] and r.blstats[:, 2].tolist() == [0, 1]
    r = step(server, [0, 0])
    assert r.blstats[:, 2].tolist() == [1, 0] and r.done.tolist() == [0, 1]  # env 1 ended and was reset
    assert server.counters["env_errors"] == 6
    server.close()


def test_a_pending_reset_ends_when_the_slice_is_opened_again():
    failing = [0]
    server = EnvServer(lambda: helpers_env.FlakyResetEnv(failing, length=1), 1, log=lambda line: None)
    ask(server, wire.EnvOpen(1, 0))
    failing[0] = 3
    assert step(server, [0]).done.tolist() == [1]  # its auto-reset failed: pending
    opened = ask(server, wire.EnvOpen(2, 5))  # the open's reset works, and the env is an ordinary one again
    assert isinstance(opened, wire.EnvSpec)
    r = step(server, [0], sequence=3)
    assert r.done.tolist() == [1] and r.episodes[0].length == 1  # its action acted: a 1-step episode
    server.close()


def test_an_observation_that_does_not_fit_the_spec_ends_the_episode_like_an_error():
    made = []

    def make():
        made.append(len(made))
        return helpers_env.GridEnv(length=5, bad_glyph_at=2 if len(made) == 2 else None)  # env 1's first instance
    server = EnvServer(make, 3, log=lambda line: None)
    ask(server, wire.EnvOpen(1, 0))
    assert not step(server, [0, 0, 0]).episodes
    r = step(server, [0, 0, 0])  # env 1 yields glyph 99 of a 0..<10 space
    assert r.done.tolist() == [0, 1, 0] and r.truncated.tolist() == [0, 1, 0]
    (e,) = r.episodes
    assert (e.env, e.length, e.truncated) == (1, 2, True)
    assert e.error == "ValueError: glyphs 'glyphs': id 99 is outside 0..<10"
    assert int(r.glyphs.max()) < 10 and r.blstats[:, 2].tolist() == [2, 0, 2]  # env 1 made anew and reset
    assert len(made) == 4 and server.counters["env_errors"] == 1
    server.close()


def test_bad_requests_get_env_error_and_the_server_goes_on(grid):
    def error(reply):
        assert isinstance(reply, wire.EnvError), reply
        return reply.message
    assert "before EnvOpen" in error(step(grid, [0, 0, 0], sequence=5))
    assert isinstance(ask(grid, wire.EnvOpen(6, 0)), wire.EnvSpec)
    assert error(step(grid, [0, 0])) == "expected 3 actions, got 2"
    assert error(step(grid, [0, 4, 0])) == "action 4 for env 1 is outside 0..<4"
    reply = wire.decode(grid.handle(b"not a frame", PEER))
    assert reply.sequence == 0 and error(reply).startswith("bad frame: truncated")
    corrupt = bytearray(wire.encode(wire.EnvStep(41, np.zeros(3, np.int32))))
    corrupt[-1] ^= 0xFF
    reply = wire.decode(grid.handle(bytes(corrupt), PEER))
    assert reply.sequence == 41 and "CRC32C mismatch" in error(reply)
    assert "takes EnvOpen (48), EnvStep (50), EnvClose (52) and EnvDescribe (54); got EnvError" in \
        error(ask(grid, wire.EnvError(3, "hi")))
    # another connection may not step or close what this one opened: it has not opened any (as
    # one that stepped this server before a restart) ...
    assert "EnvStep before EnvOpen on this connection" in error(step(grid, [0, 0, 0], peer=(b"worker-2",)))
    assert "EnvClose before EnvOpen on this connection" in error(ask(grid, wire.EnvClose(9), peer=(b"worker-2",)))
    # ... until it sends EnvOpen itself; then the connection whose envs it took is told so, in the
    # words Yendor's worker knows a takeover by (EnvServerConnection.takenOverSign), and only it:
    # a worker stops at a second takeover, so a restart must not read as one.
    assert isinstance(ask(grid, wire.EnvOpen(10, 0), peer=(b"worker-2",)), wire.EnvSpec)
    assert isinstance(step(grid, [0, 0, 0], peer=(b"worker-2",)), wire.EnvStepResult)
    assert "from a connection that did not open these envs" in error(step(grid, [0, 0, 0]))
    assert "before EnvOpen on this connection" in error(step(grid, [0, 0, 0], peer=(b"worker-3",)))
    # Opening again, it is no longer a displaced connection.
    assert isinstance(ask(grid, wire.EnvOpen(11, 0)), wire.EnvSpec)
    assert "from a connection that did not open these envs" in error(step(grid, [0, 0, 0], peer=(b"worker-2",)))
    assert isinstance(ask(grid, wire.EnvOpen(12, 0), peer=(b"worker-2",)), wire.EnvSpec)
    assert "before EnvOpen on this connection" not in error(step(grid, [0, 0, 0]))
    assert grid.counters["bad_requests"] == 12


def test_describe_leaves_the_envs_and_their_owner_alone(grid):
    # before EnvOpen, from anyone
    d = ask(grid, wire.EnvDescribe(1), peer=(b"learner",))
    assert isinstance(d, wire.EnvSpec) and d.sequence == 1 and d.observations == {}
    assert d.spec == grid.spec and d.num_envs == 3
    ask(grid, wire.EnvOpen(2, 7))
    assert step(grid, [0, 0, 0]).blstats[:, 2].tolist() == [1, 1, 1]
    # a describe from another connection between two steps: no reset, and the owner keeps stepping
    assert ask(grid, wire.EnvDescribe(3), peer=(b"learner",)).spec == grid.spec
    after = step(grid, [0, 0, 0])
    assert isinstance(after, wire.EnvStepResult) and after.blstats[:, 2].tolist() == [2, 2, 2]
    assert grid.counters["describes"] == 2 and grid.counters["opens"] == 1


def test_close_then_open_again(grid):
    ask(grid, wire.EnvOpen(1, 5))
    first = step(grid, [0, 0, 0]).glyphs.copy()
    closed = ask(grid, wire.EnvClose(3))
    assert isinstance(closed, wire.EnvStepResult) and closed.closed and closed.sequence == 3 and not closed.episodes
    assert "before EnvOpen" in ask(grid, wire.EnvStep(4, np.zeros(3, np.int32))).message
    ask(grid, wire.EnvOpen(5, 5))  # envs made anew, same seeds: same observations
    assert np.array_equal(step(grid, [0, 0, 0]).glyphs, first)


def open_slice(server, split, splits, seed, peer, sequence=1):
    message = wire.EnvOpen(sequence, seed, wire.ENV_PROTOCOL_SPLIT, split, splits)
    return wire.decode(server.handle(wire.encode(message), peer), spec=server.spec)


def step_slice(server, actions, peer, sequence=2):
    frame = server.handle(wire.encode(wire.EnvStep(sequence, np.asarray(actions, np.int32))), peer)
    return wire.decode(frame, spec=server.spec)


def test_slices_are_opened_seeded_and_stepped_by_their_own_connections():
    server = EnvServer(lambda: helpers_env.GridEnv(length=3), 5, log=lambda line: None)
    a, b = (b"actor-a",), (b"actor-b",)
    # 5 envs in 2 slices: envs 0..<2 and 2..<5; each slice's env i is seeded with its EnvOpen seed + i
    first_a, first_b = open_slice(server, 0, 2, 100, a), open_slice(server, 1, 2, 200, b)
    assert (first_a.num_envs, first_b.num_envs) == (2, 3)
    for reply, seed in ((first_a, 100), (first_b, 200)):
        for i in range(reply.num_envs):
            expected, _ = helpers_env.GridEnv().reset(seed=seed + i)
            assert np.array_equal(reply.observations["glyphs"][i], expected["glyphs"])
    # the slices step independently: a twice, b once
    step_slice(server, [0, 0], a)
    assert step_slice(server, [0, 0], a, sequence=3).blstats[:, 2].tolist() == [2, 2]
    assert step_slice(server, [1, 1, 1], b).blstats[:, 2].tolist() == [1, 1, 1]
    assert step_slice(server, [0, 0, 0], a).message == "expected 2 actions, got 3"
    # a third connection opening the whole server takes every env over
    assert ask(server, wire.EnvOpen(4, 0), peer=(b"whole",)).num_envs == 5
    assert "did not open these envs" in step_slice(server, [0, 0], a).message
    assert "did not open these envs" in step_slice(server, [0, 0, 0], b).message
    server.close()


def test_closing_a_slice_leaves_the_others_stepping():
    made = []

    def make():
        made.append(helpers_env.GridEnv(length=3))
        return made[-1]
    server = EnvServer(make, 4, log=lambda line: None)
    a, b = (b"actor-a",), (b"actor-b",)
    open_slice(server, 0, 2, 1, a)
    open_slice(server, 1, 2, 1, b)
    step_slice(server, [0, 0], b)
    closed = wire.decode(server.handle(wire.encode(wire.EnvClose(3)), a))
    assert closed.closed and len(made) == 4
    assert step_slice(server, [0, 0], b).blstats[:, 2].tolist() == [2, 2]
    assert "EnvStep before EnvOpen on this connection" in step_slice(server, [0, 0], a).message  # closed, not taken
    # reopening a's slice makes its two envs anew; b's are untouched
    assert open_slice(server, 0, 2, 1, a).num_envs == 2 and len(made) == 6
    assert step_slice(server, [0, 0], b).done.tolist() == [1, 1]
    server.close()


def test_a_split_finer_than_the_server_is_refused(grid):
    reply = open_slice(grid, 0, 4, 0, PEER)
    assert isinstance(reply, wire.EnvError) and reply.message == ("cannot open slice 1 of 4: this server hosts 3 envs (a worker cuts each "
        "server into env.server_splits slices: serve at least 4 envs, or set env.server_splits=3)")
    assert not grid.opened


def test_seeds_reproduce_across_servers_and_reopens():
    def trace(seed, server_seed=0):
        server = EnvServer(lambda: helpers_env.GridEnv(length=2), 2, seed=server_seed, log=lambda line: None)
        out = [ask(server, wire.EnvOpen(1, seed)).observations["glyphs"].copy()]
        for t in range(5):  # crosses two auto-resets (unseeded: the env's RNG continues)
            out.append(step(server, [t % 3, 1]).glyphs.copy())
        server.close()
        return np.stack(out)
    a, b, c = trace(11), trace(11), trace(12)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.array_equal(trace(10, server_seed=1), a)  # serve(seed=…) is added to EnvOpen's seed


def test_a_factory_with_another_spec_is_refused():
    envs = iter([helpers_env.GridEnv(message_bytes=16), helpers_env.GridEnv(message_bytes=8)])
    with pytest.raises(ValueError, match="env 1 has other spaces than env 0"):
        EnvServer(lambda: next(envs), 2, log=lambda line: None)


def test_minihack_captions_and_nethack_seeds_reproduce():
    pytest.importorskip("minihack")

    def run(seed):
        server = EnvServer(lambda: gym.make("MiniHack-KeyRoom-S5-v0"), 2, log=lambda line: None)
        spec = ask(server, wire.EnvOpen(1, seed))
        frames = [spec.observations["glyphs"].copy()]
        captions = [bytes(spec.observations["caption"][0][:spec.observations["caption_length"][0]])]
        for t in range(8):
            r = step(server, [t % 8, (t * 3) % 8])
            frames.append(r.glyphs.copy())
            captions.append(bytes(r.caption[1][:r.caption_length[1]]))
        server.close()
        return spec, np.stack(frames), captions
    spec, a, captions = run(3)
    assert spec.spec.fingerprint == "obs-v2 env=gym:MiniHack-KeyRoom-S5-v0 map=21x79 crop=9 glyphs=5976 blstats=27 caption=256 actions=10"
    assert captions[0] and captions[0].decode("utf-8")  # the message line after NLE's reset
    _, b, captions_b = run(3)
    assert np.array_equal(a, b) and captions == captions_b
    _, c, _ = run(4)
    assert not np.array_equal(a[0], c[0])


def test_minihack_minigrid_backed_envs_open_step_and_their_seeds_reproduce():
    # MultiRoom lays out its levels with a MiniGrid env whose old Gym `seed` Gymnasium's MiniGrid lacks:
    # opening the server raised AttributeError in every env before the server seeded it another way.
    pytest.importorskip("minihack")

    def run(seed):
        server = EnvServer(lambda: gym.make("MiniHack-MultiRoom-N2-v0"), 2, log=lambda line: None)
        opened = ask(server, wire.EnvOpen(1, seed))
        assert isinstance(opened, wire.EnvSpec), opened
        frames = [opened.observations["glyphs"].copy()]
        for t in range(45):  # past the 40-step limit: resets are crossed
            frames.append(step(server, [t % 8, (t * 3) % 8]).glyphs.copy())
        assert server.counters["env_errors"] == 0
        server.close()
        return np.stack(frames)
    a, b, c = run(5), run(5), run(6)
    assert np.array_equal(a, b)
    assert not np.array_equal(a[0], c[0])


# ---------------------------------------------------------------------------------------------- a real process

TESTS = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(TESTS)


def start_server(*args, preexec_fn=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([PACKAGE, TESTS, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-m", "yendor_env", "serve", "--bind", "tcp://127.0.0.1:*", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, preexec_fn=preexec_fn)
    line = proc.stdout.readline()
    if "endpoint=" not in line:
        proc.kill()
        raise AssertionError(f"no ready line: {line!r}; stderr: {proc.stderr.read()}")
    return proc, line.split("endpoint=", 1)[1].split()[0], line


def test_a_server_started_with_shutdown_signals_blocked_still_stops_on_sigterm():
    # Swift Foundation's Process starts children with SIGINT and SIGTERM blocked; `yendor train` starts
    # its env servers that way. Blocked, the server ignored SIGTERM and was killed 5 s later.
    def block():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    proc, _, _ = start_server("--env", "YendorTest-Grid-v0", "--import", "helpers_env", "--num-envs", "2",
                              preexec_fn=block)
    proc.send_signal(signal.SIGTERM)
    try:
        assert proc.wait(timeout=120) == 0  # a hang guard: the exit is the event
    finally:
        proc.kill()
    assert "stopped:" in proc.stderr.read()


def test_a_server_stops_when_the_process_that_started_it_is_gone():
    # --parent-pid names the process that started the server; any other parent means it is gone (the
    # server was re-parented): here a pid that is not the test's.
    proc, _, _ = start_server("--env", "YendorTest-Grid-v0", "--import", "helpers_env", "--num-envs", "2",
                              "--parent-pid", str(os.getpid() + 1_000_000))
    try:
        assert proc.wait(timeout=120) == 0
    finally:
        proc.kill()
    err = proc.stderr.read()
    assert "is gone; stopping" in err and "stopped:" in err


@pytest.fixture(scope="module")
def minigrid_server():
    pytest.importorskip("minigrid")
    proc, endpoint, line = start_server("--env", "YendorTest-RaisingDoorKey-v0", "--import", "helpers_env",
                                        "--num-envs", "4", "--env-arg", "max_steps=6", "--caption", "mission")
    yield proc, endpoint, line
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_process_handshake_stepping_auto_reset_and_summaries(minigrid_server):
    proc, endpoint, line = minigrid_server
    fingerprint = "obs-v2 env=gym:YendorTest-RaisingDoorKey-v0 map=7x7 crop=7 glyphs=198 blstats=1 caption=256 actions=7"
    assert line.strip().endswith("num_envs=4 fingerprint=" + fingerprint)
    with EnvClient(endpoint, timeout=30) as client:
        spec = client.open(seed=7)
        assert spec.spec.fingerprint == fingerprint and spec.num_envs == 4 and spec.task == "YendorTest-RaisingDoorKey-v0"
        mission = b"use the key to open the door and then get to the goal"
        assert all(bytes(spec.observations["caption"][i][:spec.observations["caption_length"][i]]) == mission
                   for i in range(4))
        for t in range(5):  # turning left never ends DoorKey; max_steps=6 truncates at step 6
            r = client.step([0, 0, 1, 1])
            assert r.done.sum() == 0 and not r.episodes
            assert r.blstats[:, 0].tolist() == ((spec.observations["blstats"][:, 0] + np.array([-1, -1, 1, 1]) * (t + 1)) % 4).tolist()
        r = client.step([0, 0, 1, 1])
        assert r.done.tolist() == [1] * 4 and r.truncated.tolist() == [1] * 4
        assert [(e.env, e.length, e.truncated, e.success, e.last_caption, e.error) for e in r.episodes] == \
            [(i, 6, True, False, mission.decode(), "") for i in range(4)]
        # auto-reset: a fresh episode goes 5 more steps without ending
        for t in range(5):
            assert client.step([0, 1, 0, 1]).done.sum() == 0


def test_process_env_that_raises_and_the_others_go_on(minigrid_server):
    _, endpoint, _ = minigrid_server
    with EnvClient(endpoint, timeout=30) as client:
        client.open(seed=1)
        client.step([0, 0, 0, 0])
        r = client.step([0, 6, 0, 0])  # action 6 raises in this env
        assert r.done.tolist() == [0, 1, 0, 0] and r.truncated.tolist() == [0, 1, 0, 0]
        (e,) = r.episodes
        assert e.env == 1 and e.length == 2 and e.truncated and e.error == "RuntimeError: boom: action 6 is cursed"
        r = client.step([0, 0, 0, 0])
        assert r.done.tolist() == [0, 0, 0, 0]
        with pytest.raises(ServerError, match="action 7 for env 3 is outside 0..<7"):
            client.step([0, 0, 0, 7])
        assert client.step([0, 0, 0, 0]).done.tolist() == [0, 0, 0, 0]
        assert client.step([0, 0, 0, 0]).done.tolist() == [0, 0, 0, 0]
        r = client.step([0, 0, 0, 0])  # envs 0, 2, 3 reach max_steps=6; env 1 restarted two steps later
        assert r.done.tolist() == [1, 0, 1, 1] and [e.length for e in r.episodes] == [6, 6, 6]


def test_process_seeds_reproduce(minigrid_server):
    _, endpoint, _ = minigrid_server
    rng = np.random.default_rng(5)
    actions = rng.integers(0, 6, (9, 4)).astype(np.int32)  # 0..5: never the raising 6

    def trace(client, seed):
        out = [client.open(seed=seed).observations["glyphs"].copy()]
        for a in actions:  # crosses the auto-reset at step 6
            r = client.step(a)
            out.append(r.glyphs.copy())
        return np.stack(out)
    with EnvClient(endpoint, timeout=30) as client:
        a, b, c = trace(client, 21), trace(client, 21), trace(client, 22)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_process_survives_garbage_and_refuses_a_second_worker(minigrid_server):
    proc, endpoint, _ = minigrid_server
    with EnvClient(endpoint, timeout=30) as owner, EnvClient(endpoint, timeout=30) as other:
        owner.open(seed=0)
        other.socket.send(b"\x00" * 100)
        reply = wire.decode(other.socket.recv())
        assert isinstance(reply, wire.EnvError) and "bad magic" in reply.message
        with pytest.raises(ServerError, match="EnvStep before EnvOpen on this connection"):
            other.step([0, 0, 0, 0])
        assert owner.step([0, 0, 0, 0]).done.sum() == 0
        assert owner.close_envs().closed
    assert proc.poll() is None


def test_process_exits_cleanly_on_sigterm():
    proc, endpoint, _ = start_server("--env", "YendorTest-Grid-v0", "--import", "helpers_env", "--num-envs", "2")
    with EnvClient(endpoint, timeout=30) as client:
        client.open(seed=0)
        client.step([0, 0])
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert "stopped:" in proc.stderr.read()


def test_a_stop_signal_does_not_wait_for_a_step_that_hangs(tmp_path):
    # An env whose step waits for a file that never comes: SIGTERM waited for it (trial C: 40 s, for
    # ever here); the step gets the grace period, then the server leaves, saying so.
    gate = str(tmp_path / "gate")
    proc, endpoint, _ = start_server("--env", "YendorTest-Gated-v0", "--import", "helpers_env", "--num-envs", "1",
                                     "--env-arg", f"gate={gate}", "--env-arg", "free_steps=0")
    try:
        with EnvClient(endpoint, timeout=30) as client:
            client.open(seed=0)
            client.socket.send(wire.encode(wire.EnvStep(client.sequence + 1, np.zeros(1, np.int32))))
            while not os.path.exists(gate + ".held"):  # the step is under way (a hang guard below)
                assert proc.poll() is None
                time.sleep(0.01)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=120) == 0  # a hang guard: the exit is the event
    finally:
        proc.kill()
    err = proc.stderr.read()
    assert "did not return within 5 s of the stop signal" in err and "stopped:" in err, err


def test_cli_names_an_unsupported_space():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([PACKAGE, TESTS]))
    pytest.importorskip("minigrid")
    out = subprocess.run([sys.executable, "-m", "yendor_env", "spec", "--env", "MiniGrid-DoorKey-5x5-v0",
                          "--caption", "message"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 2 and "caption 'message' needs an observation key 'message'" in out.stderr
    out = subprocess.run([sys.executable, "-m", "yendor_env", "spec", "--env", "MiniGrid-DoorKey-5x5-v0"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("obs-v2 env=gym:MiniGrid-DoorKey-5x5-v0 map=7x7 crop=7")


def test_cli_stopped_by_sigint_while_making_its_envs_says_so_without_a_traceback():
    # SIGINT before the server takes the signals over raises KeyboardInterrupt wherever the
    # server is (here: in the env's constructor); it printed a traceback and exited 130.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([PACKAGE, TESTS]))
    out = subprocess.run([sys.executable, "-m", "yendor_env", "serve", "--env", "YendorTest-InterruptedWhileMade-v0",
                          "--import", "helpers_env", "--num-envs", "1", "--bind", "tcp://127.0.0.1:*"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "yendor-env: stopped (SIGINT) before serving" in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_an_ipc_server_removes_its_socket_file_when_it_stops(tmp_path):
    # libzmq leaves the file behind; a run's sockets/ directory kept those of servers long gone.
    path = tmp_path / "env-server"
    proc, endpoint, _ = start_server("--env", "YendorTest-Grid-v0", "--import", "helpers_env", "--num-envs", "1",
                                     "--bind", f"ipc://{path}")
    assert endpoint == f"ipc://{path}" and path.exists()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 0  # a hang guard: the exit is the event
    assert not path.exists()
