"""Small Gymnasium envs for the tests (registered on import, so `yendor-env serve --import helpers_env`
can host them)."""
import os
import time

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class GridEnv(gym.Env):
    """An NLE-shaped toy: a random 3×5 glyph map (ids 0..9), blstats [x, y, t], a NUL-terminated
    message. The episode terminates after `length` steps with reward 1; action 3 raises."""

    metadata = {"render_modes": []}

    def __init__(self, length=4, raise_on=3, message_bytes=16, bad_glyph_at=None, final_reward=1.0, step_reward=0.0):
        self.length = length
        self.final_reward = final_reward
        self.step_reward = step_reward
        self.raise_on = raise_on
        self.bad_glyph_at = bad_glyph_at  # at this t, a glyph id outside the space (a broken env)
        self.observation_space = spaces.Dict({
            "glyphs": spaces.Box(0, 9, (3, 5), np.int16),
            "blstats": spaces.Box(-(2 ** 31), 2 ** 31 - 1, (3,), np.int64),
            "message": spaces.Box(0, 255, (message_bytes,), np.uint8),
        })
        self.action_space = spaces.Discrete(4)
        self.t = 0

    def _obs(self, text):
        msg = np.zeros(self.observation_space["message"].shape, np.uint8)
        raw = text.encode()[: msg.size]
        msg[: len(raw)] = np.frombuffer(raw, np.uint8)
        glyphs = self.np_random.integers(0, 10, (3, 5)).astype(np.int16)
        if self.t == self.bad_glyph_at:
            glyphs[1, 2] = 99
        return {"glyphs": glyphs,
                "blstats": np.array([self.t % 5, self.t % 3, self.t], np.int64), "message": msg}

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self._obs("hello"), {}

    def step(self, action):
        if action == self.raise_on:
            raise RuntimeError(f"boom at t={self.t}")
        self.t += 1
        done = self.t >= self.length
        return self._obs(f"step {self.t}"), (self.final_reward if done else self.step_reward), done, False, {}


class RaiseOnAction(gym.Wrapper):
    """Raises RuntimeError inside `step` when given `action`."""

    def __init__(self, env, action):
        super().__init__(env)
        self.bad_action = action

    def step(self, action):
        if int(action) == self.bad_action:
            raise RuntimeError(f"boom: action {action} is cursed")
        return self.env.step(action)


def make_raising_doorkey(**kwargs):
    import minigrid  # noqa: F401 - registers MiniGrid's envs
    return RaiseOnAction(gym.make("MiniGrid-DoorKey-5x5-v0", **kwargs), action=6)  # 6: MiniGrid's unused "done"


class FlakyResetEnv(GridEnv):
    """A GridEnv whose resets raise while `failing[0]` > 0, counting down: the list is shared by the
    envs one factory makes, as a server makes an env anew when a reset fails."""

    def __init__(self, failing, **kwargs):
        super().__init__(**kwargs)
        self.failing = failing

    def reset(self, *, seed=None, options=None):
        if self.failing[0] > 0:
            self.failing[0] -= 1
            raise RuntimeError("no reset now")
        return super().reset(seed=seed, options=options)


class GatedGridEnv(GridEnv):
    """A GridEnv whose steps after the first `free_steps` wait until the file `gate` exists: an env
    slower than any timeout, for as long as a test says (it creates the file to let them through).
    A step that waits creates `gate`.held first, so the test knows the wait has begun."""

    def __init__(self, gate, free_steps, **kwargs):
        super().__init__(**kwargs)
        self.gate = gate
        self.free_steps = free_steps
        self.steps = 0

    def step(self, action):
        self.steps += 1
        if self.steps > self.free_steps and not os.path.exists(self.gate):
            open(self.gate + ".held", "w").close()
            while not os.path.exists(self.gate):
                time.sleep(0.005)
        return super().step(action)


def interrupted_while_made(**kwargs):
    """What SIGINT does to a server still making its envs: KeyboardInterrupt."""
    raise KeyboardInterrupt


if "YendorTest-Grid-v0" not in gym.registry:
    gym.register("YendorTest-Grid-v0", entry_point=GridEnv)
    gym.register("YendorTest-RaisingDoorKey-v0", entry_point=make_raising_doorkey)
    gym.register("YendorTest-InterruptedWhileMade-v0", entry_point=interrupted_while_made)
    gym.register("YendorTest-Gated-v0", entry_point=GatedGridEnv)
