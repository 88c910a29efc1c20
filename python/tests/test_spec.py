"""Spec inference (MiniGrid, MiniHack, synthetic envs), unsupported spaces, and captions."""
import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import helpers_env  # noqa: F401 - registers YendorTest-Grid-v0
from yendor_env.captions import encode_caption, nle_message, truncate_utf8
from yendor_env.inference import infer, infer_from_spaces
from yendor_env.spec import NLE_STONE, Buffers, ObservationSpec, SpecError, UnsupportedSpaceError


class SpaceEnv(gym.Env):
    """An env that is only its spaces (for inference)."""

    def __init__(self, observation_space, action_space=spaces.Discrete(4)):
        self.observation_space = observation_space
        self.action_space = action_space


def gym_env_fixture(name, package, env_id):
    """A module-scoped fixture `name`: the env `env_id`, made once; its tests skip without `package`."""
    @pytest.fixture(scope="module", name=name)
    def fixture():
        pytest.importorskip(package)
        env = gym.make(env_id)
        yield env
        env.close()
    return fixture


# ---------------------------------------------------------------------------------------------- MiniGrid

doorkey = gym_env_fixture("doorkey", "minigrid", "MiniGrid-DoorKey-8x8-v0")


def test_minigrid_spec(doorkey):
    c = infer(doorkey)
    assert c.spec == ObservationSpec("gym:MiniGrid-DoorKey-8x8-v0", 7, 7, 7, 198, 1, 256, 7)
    assert c.task == "MiniGrid-DoorKey-8x8-v0"
    assert c.spec.fingerprint == ("obs-v2 env=gym:MiniGrid-DoorKey-8x8-v0 map=7x7 crop=7 glyphs=198 blstats=1 "
                                  "caption=256 actions=7")


def test_minigrid_observation(doorkey):
    c = infer(doorkey)
    obs, info = doorkey.reset(seed=3)
    o = c(obs, info)
    img = obs["image"].astype(np.int64)
    expected = (img[:, :, 0] * 18 + img[:, :, 1] * 3 + img[:, :, 2]).T  # glyphs[y, x] = image[x, y]
    assert o.glyphs.dtype == np.int16 and np.array_equal(o.glyphs, expected)
    assert np.array_equal(o.crop, o.glyphs)  # the egocentric view is the crop
    assert o.blstats.dtype == np.int32 and o.blstats.tolist() == [obs["direction"]]
    assert o.caption == b""  # MiniGrid has no event messages
    assert int(o.glyphs.max()) < 198
    # the mission, only when asked
    assert infer(doorkey, caption="mission")(obs, info).caption == obs["mission"].encode()
    # or any function of (obs, info)
    assert infer(doorkey, caption=lambda o_, i_: f"facing {o_['direction']}")(obs, info).caption == \
        f"facing {obs['direction']}".encode()


def test_minigrid_smaller_crop_is_cut_around_the_agent(doorkey):
    c = infer(doorkey, crop_size=3)
    assert c.spec.crop_size == 3 and c.spec.map_rows == 7
    obs, info = doorkey.reset(seed=3)
    o = c(obs, info)
    # the agent sits at row 6 (bottom), column 3: the crop's bottom row is off the view (unseen = 0)
    assert np.array_equal(o.crop[:2], o.glyphs[5:7, 2:5]) and (o.crop[2] == 0).all()


# ---------------------------------------------------------------------------------------------- MiniHack / NLE

keyroom = gym_env_fixture("keyroom", "minihack", "MiniHack-KeyRoom-S5-v0")


def test_minihack_spec_and_observation(keyroom):
    c = infer(keyroom)
    assert c.spec == ObservationSpec("gym:MiniHack-KeyRoom-S5-v0", 21, 79, 9, 5976, 27, 256, keyroom.action_space.n)
    obs, info = keyroom.reset(seed=1)
    o = c(obs, info)
    assert np.array_equal(o.glyphs, obs["glyphs"]) and o.glyphs.dtype == np.int16
    # the crop is cut around blstats x, y, at the size of MiniHack's own, and equals it inside the map
    assert np.array_equal(o.crop, obs["glyphs_crop"])
    assert o.blstats.dtype == np.int32 and np.array_equal(o.blstats, obs["blstats"])
    assert o.caption == bytes(obs["message"]).split(b"\0")[0] and o.caption
    mine = infer(keyroom, ignore=["glyphs_crop"])(obs, info)
    assert np.array_equal(mine.crop, obs["glyphs_crop"])
    # another crop size is cut from the map around (x, y), off-map cells stone
    big = infer(keyroom, crop_size=11)
    assert big.spec.crop_size == 11
    x, y = int(obs["blstats"][0]), int(obs["blstats"][1])
    assert np.array_equal(big(obs, info).crop[5], obs["glyphs"][y, x - 5:x + 6])


def nle_like_space(with_crop=False):
    d = {"glyphs": spaces.Box(0, 5976, (21, 79), np.int16),
         "blstats": spaces.Box(-(2 ** 31), 2 ** 31 - 1, (27,), np.int64),
         "message": spaces.Box(0, 255, (256,), np.uint8),
         "chars": spaces.Box(0, 255, (21, 79), np.uint8), "tty_chars": spaces.Box(0, 255, (24, 80), np.uint8)}
    if with_crop:
        d["glyphs_crop"] = spaces.Box(0, 5976, (9, 9), np.int16)
    return spaces.Dict(d)


def test_nle_style_crop_from_blstats_with_stone_off_the_map():
    c = infer_from_spaces(nle_like_space(), spaces.Discrete(23), environment="gym:NetHackScore-v0")
    assert c.spec == ObservationSpec("gym:NetHackScore-v0", 21, 79, 9, 5976, 27, 256, 23)
    glyphs = np.arange(21 * 79, dtype=np.int16).reshape(21, 79)
    blstats = np.zeros(27, np.int64)
    blstats[0], blstats[1] = 1, 20  # x = 1, y = 20: near the bottom-left corner
    blstats[9] = 2 ** 40  # over i32: clamped, as Swift's Int32(clamping:)
    obs = {"glyphs": glyphs, "blstats": blstats, "message": np.zeros(256, np.uint8),
           "chars": np.zeros((21, 79), np.uint8), "tty_chars": np.zeros((24, 80), np.uint8)}
    o = c(obs, {})
    assert o.crop[4, 4] == glyphs[20, 1]
    assert (o.crop[5:] == NLE_STONE).all() and (o.crop[:, :3] == NLE_STONE).all()
    assert np.array_equal(o.crop[:5, 3:], glyphs[16:21, 0:6])
    assert o.blstats[9] == 2 ** 31 - 1
    with pytest.raises(SpecError):
        infer_from_spaces(nle_like_space(), spaces.Discrete(23), crop_size=4)


def test_an_nle_style_env_with_its_own_crop_gets_stone_off_the_map_not_its_zero_padding():
    # MiniHack pads `glyphs_crop` with 0 (a giant ant); Yendor cuts its own crop with stone instead.
    c = infer_from_spaces(nle_like_space(with_crop=True), spaces.Discrete(23), environment="gym:MiniHack-Like-v0")
    assert c.spec.crop_size == 9
    glyphs = np.full((21, 79), 2371, np.int16)  # floor everywhere
    blstats = np.zeros(27, np.int64)
    blstats[0], blstats[1] = 0, 0  # the top-left corner: most of the crop is off the map
    zero_padded = np.zeros((9, 9), np.int16)
    zero_padded[4:, 4:] = 2371
    obs = {"glyphs": glyphs, "blstats": blstats, "message": np.zeros(256, np.uint8), "glyphs_crop": zero_padded,
           "chars": np.zeros((21, 79), np.uint8), "tty_chars": np.zeros((24, 80), np.uint8)}
    o = c(obs, {})
    assert (o.crop[4:, 4:] == 2371).all()
    assert (o.crop[:4] == NLE_STONE).all() and (o.crop[:, :4] == NLE_STONE).all()
    assert not (o.crop == 0).any()


def test_nle_glyph_ids_out_of_range_are_refused():
    c = infer_from_spaces(nle_like_space(), spaces.Discrete(23))
    obs = {"glyphs": np.full((21, 79), 5976, np.int16), "blstats": np.zeros(27, np.int64),
           "message": np.zeros(256, np.uint8)}
    with pytest.raises(ValueError, match="5976 is outside 0..<5976"):
        c(obs, {})


# ---------------------------------------------------------------------------------------------- synthetic envs

def test_synthetic_dict_env():
    env = gym.make("YendorTest-Grid-v0")
    c = infer(env)
    assert c.spec == ObservationSpec("gym:YendorTest-Grid-v0", 3, 5, 9, 10, 3, 16, 4)
    obs, info = env.reset(seed=0)
    o = c(obs, info)
    assert o.caption == b"hello" and np.array_equal(o.glyphs, obs["glyphs"])
    assert o.crop.shape == (9, 9) and o.crop[4, 4] == obs["glyphs"][0, 0]  # around blstats x=0, y=0


def test_plain_box_map_and_vector_and_discrete():
    c = infer(SpaceEnv(spaces.Box(0, 99, (5, 5), np.int32)))
    assert (c.spec.map_rows, c.spec.map_columns, c.spec.crop_size, c.spec.glyph_count, c.spec.blstats_count) == (5, 5, 5, 100, 0)
    grid = np.arange(25, dtype=np.int32).reshape(5, 5)
    o = c(grid, {})
    assert np.array_equal(o.glyphs, grid) and np.array_equal(o.crop, grid) and o.caption == b""
    c = infer(SpaceEnv(spaces.Box(0, 9, (4, 6), np.uint8)), crop_size=3)
    o = c(np.arange(24, dtype=np.uint8).reshape(4, 6) % 10, {})
    assert np.array_equal(o.crop, (np.arange(24).reshape(4, 6) % 10)[1:4, 2:5])  # around the centre (2, 3)
    c = infer(SpaceEnv(spaces.Box(-5, 5, (3,), np.int64)))
    assert (c.spec.map_rows, c.spec.crop_size, c.spec.glyph_count, c.spec.blstats_count) == (1, 1, 1, 3)
    assert c(np.array([1, -2, 3]), {}).blstats.tolist() == [1, -2, 3]
    c = infer(SpaceEnv(spaces.Discrete(16)))  # FrozenLake-like
    assert c(7, {}).blstats.tolist() == [7]
    c = infer(SpaceEnv(spaces.Dict({"map": spaces.Box(0, 3, (2, 2), np.int8), "hp": spaces.Discrete(5),
                                    "pos": spaces.MultiDiscrete([4, 4])})))
    assert c.spec.blstats_count == 3 and c.spec.glyph_count == 4
    assert c({"map": np.ones((2, 2), np.int8), "hp": 3, "pos": np.array([1, 2])}, {}).blstats.tolist() == [3, 1, 2]


def test_a_message_key_is_the_caption_and_not_part_of_the_status_vector():
    space = spaces.Dict({"grid": spaces.Box(0, 9, (7, 7), np.int8), "hp": spaces.Discrete(5),
                         "pos": spaces.MultiDiscrete([7, 7]), "message": spaces.Box(0, 255, (64,), np.uint8)})
    c = infer(SpaceEnv(space))
    assert c.spec.blstats_count == 3 and c.spec.caption_bytes == 64
    message = np.zeros(64, np.uint8)
    message[:5] = list(b"hello")
    o = c({"grid": np.zeros((7, 7), np.int8), "hp": 4, "pos": np.array([2, 3]), "message": message}, {})
    assert o.blstats.tolist() == [4, 2, 3] and o.caption == b"hello"


def test_a_text_message_is_the_caption_too():
    # A custom env writes its message as spaces.Text: it was left out, and --caption message said
    # the key was missing while listing it (trial G).
    space = spaces.Dict({"grid": spaces.Box(0, 9, (7, 7), np.int8), "message": spaces.Text(64)})
    for caption in (None, "message"):
        c = infer(SpaceEnv(space), caption=caption)
        assert c.description.endswith("caption: text")
        o = c({"grid": np.zeros((7, 7), np.int8), "message": "You pick up the key."}, {})
        assert o.caption == b"You pick up the key."
    other = spaces.Dict({"grid": spaces.Box(0, 9, (7, 7), np.int8), "message": spaces.Box(0, 9, (4,), np.int32)})
    with pytest.raises(SpecError, match=r"needs 'message' as uint8 bytes .* or text \(gymnasium.spaces.Text\); it is Box"):
        infer(SpaceEnv(other), caption="message")


def test_fractional_or_non_finite_values_in_integer_observations_are_refused_not_truncated():
    # An env whose space said integers returned floats mid-episode: 1.7 became 1 and NaN became 0
    # (the status vector's NaN, -2147483648) without a word; now the row is refused like a wrong shape.
    space = spaces.Dict({"grid": spaces.Box(0, 9, (3, 3), np.int8), "pos": spaces.MultiDiscrete([3, 3])})
    c = infer(SpaceEnv(space))
    good = {"grid": np.ones((3, 3)), "pos": np.array([1.0, 2.0])}  # whole floats are fine
    assert c(good, {}).blstats.tolist() == [1, 2]
    for obs, says in [({"grid": np.full((3, 3), 1.7), "pos": np.array([1, 2])}, "1.7 is not a whole number"),
                      ({"grid": np.full((3, 3), np.nan), "pos": np.array([1, 2])}, "nan is not a finite number"),
                      ({"grid": np.ones((3, 3), np.int8), "pos": np.array([np.nan, 2.0])}, "nan is not a finite number")]:
        with pytest.raises(ValueError, match=says):
            c(obs, {})
        batch = Buffers(c.spec, 2)
        failures = c.write_batch([good, obs], [{}, {}], batch)
        assert list(failures) == [1] and says in str(failures[1])


def test_boolean_boxes_are_maps_and_flags_of_zeros_and_ones():
    space = spaces.Dict({"walls": spaces.Box(0, 1, (5, 5), np.bool_), "flags": spaces.Box(0, 1, (3,), np.bool_)})
    c = infer(SpaceEnv(space))
    assert (c.spec.map_rows, c.spec.map_columns, c.spec.glyph_count, c.spec.blstats_count) == (5, 5, 2, 3)
    walls = np.eye(5, dtype=np.bool_)
    o = c({"walls": walls, "flags": np.array([True, False, True])}, {})
    assert np.array_equal(o.glyphs, walls.astype(np.int16)) and o.blstats.tolist() == [1, 0, 1]


def test_discrete_actions_with_a_start():
    c = infer(SpaceEnv(spaces.Box(0, 9, (3, 3), np.int16), spaces.Discrete(3, start=-1)))
    assert c.spec.action_count == 3 and c.action_offset == -1


# ---------------------------------------------------------------------------------------------- unsupported

def test_unsupported_spaces_name_the_key_and_the_space():
    pixels = spaces.Dict({"glyphs": spaces.Box(0, 9, (3, 3), np.int16),
                          "pixels": spaces.Box(0, 255, (64, 64, 3), np.uint8)})
    with pytest.raises(UnsupportedSpaceError) as e:
        infer(SpaceEnv(pixels))
    assert str(e.value).startswith("observation key 'pixels': Box(0, 255, (64, 64, 3), uint8) is not supported: ")
    assert "--ignore-key pixels" in str(e.value)
    assert infer(SpaceEnv(pixels), ignore=["pixels"]).spec.map_rows == 3
    with pytest.raises(UnsupportedSpaceError, match=r"observation key 'speed': Box\(.*float32\) is not supported: float"):
        infer(SpaceEnv(spaces.Dict({"glyphs": spaces.Box(0, 9, (3, 3), np.int16),
                                    "speed": spaces.Box(-1.0, 1.0, (2,), np.float32)})))
    with pytest.raises(UnsupportedSpaceError, match=r"observation space: Box\(-1.0, 1.0, \(4,\), float32\) is not supported"):
        infer(SpaceEnv(spaces.Box(-1.0, 1.0, (4,), np.float32)))  # CartPole-like
    with pytest.raises(UnsupportedSpaceError, match=r"observation space: Box\(0, 255, \(64, 64, 3\), uint8\)"):
        infer(SpaceEnv(spaces.Box(0, 255, (64, 64, 3), np.uint8)))
    with pytest.raises(UnsupportedSpaceError, match="observation space: Tuple"):
        infer(SpaceEnv(spaces.Tuple([spaces.Discrete(2), spaces.Discrete(3)])))
    with pytest.raises(UnsupportedSpaceError, match="several 2-D integer Boxes"):
        infer(SpaceEnv(spaces.Dict({"a": spaces.Box(0, 9, (3, 3), np.int16), "b": spaces.Box(0, 9, (3, 3), np.int16)})))
    with pytest.raises(UnsupportedSpaceError, match="observation key 'note': Text"):
        infer(SpaceEnv(spaces.Dict({"glyphs": spaces.Box(0, 9, (3, 3), np.int16), "note": spaces.Text(10)})))
    with pytest.raises(UnsupportedSpaceError, match="glyph ids must be in 0...32767"):
        infer(SpaceEnv(spaces.Box(-1, 9, (3, 3), np.int16)))
    with pytest.raises(UnsupportedSpaceError, match=r"action space Box"):
        infer(SpaceEnv(spaces.Box(0, 9, (3, 3), np.int16), spaces.Box(-1.0, 1.0, (2,), np.float32)))
    with pytest.raises(UnsupportedSpaceError, match="2...4096 actions, the env has 1"):
        infer(SpaceEnv(spaces.Box(0, 9, (3, 3), np.int16), spaces.Discrete(1)))
    with pytest.raises(SpecError, match="caption 'message' needs an observation key 'message'"):
        infer(SpaceEnv(spaces.Dict({"glyphs": spaces.Box(0, 9, (3, 3), np.int16)})), caption="message")
    with pytest.raises(SpecError, match="the observation has no key 'nope'"):
        infer(SpaceEnv(spaces.Dict({"glyphs": spaces.Box(0, 9, (3, 3), np.int16)})), ignore=["nope"])


def test_minigrid_pixels_wrapper_is_refused():
    pytest.importorskip("minigrid")
    from minigrid.wrappers import RGBImgPartialObsWrapper
    env = RGBImgPartialObsWrapper(gym.make("MiniGrid-DoorKey-5x5-v0"))
    with pytest.raises(UnsupportedSpaceError, match="observation key 'image': Box\\(0, 255, \\(56, 56, 3\\), uint8\\)"):
        infer(env)
    env.close()


# ---------------------------------------------------------------------------------------------- captions

def test_nle_message_decoding():
    msg = np.zeros(256, np.uint8)
    text = b"You kill the jackal!"
    msg[:len(text)] = np.frombuffer(text, np.uint8)
    msg[len(text) + 3] = ord("x")  # garbage after the NUL is not part of the message
    assert nle_message(msg) == "You kill the jackal!"
    assert nle_message(np.zeros(256, np.uint8)) == ""
    full = np.full(256, ord("a"), np.uint8)  # no NUL at all: the whole buffer
    assert nle_message(full) == "a" * 256
    bad = np.zeros(8, np.uint8)
    bad[:3] = [0x41, 0xFF, 0x42]  # not UTF-8: replaced, never passed on
    assert nle_message(bad) == "A\ufffdB"


def test_caption_bytes_are_utf8_cut_at_a_character_boundary():
    assert encode_caption("né", 3) == "né".encode()
    assert encode_caption("né", 2) == b"n"  # é is two bytes: not split
    assert encode_caption("日本語", 7) == "日本".encode()
    assert encode_caption("a\0b", 10) == b"a"
    assert encode_caption(None, 10) == b""
    assert encode_caption(b"\xffok", 10) == "\ufffdok".encode()
    assert truncate_utf8("€€".encode(), 4) == "€".encode()
    # through a converter: the message key and a capacity smaller than the message
    c = infer_from_spaces(nle_like_space(), spaces.Discrete(23), caption_bytes=4)
    msg = np.zeros(256, np.uint8)
    raw = "abcé!".encode()
    msg[:len(raw)] = np.frombuffer(raw, np.uint8)
    obs = {"glyphs": np.zeros((21, 79), np.int16), "blstats": np.zeros(27, np.int64), "message": msg}
    assert c(obs, {}).caption == b"abc"


def test_minigrid_fully_observed_crop_follows_the_agent():
    pytest.importorskip("minigrid")
    from minigrid.wrappers import FullyObsWrapper
    env = FullyObsWrapper(gym.make("MiniGrid-DoorKey-8x8-v0"))
    c = infer(env)
    assert (c.spec.map_rows, c.spec.map_columns, c.spec.crop_size, c.spec.glyph_count) == (8, 8, 7, 198)
    obs, info = env.reset(seed=2)
    o = c(obs, info)
    x, y = env.unwrapped.agent_pos
    assert o.glyphs[y, x] == 10 * 18 + 0 * 3 + env.unwrapped.agent_dir  # the agent: red, state = direction
    assert o.crop[3, 3] == o.glyphs[y, x]
    bad = dict(obs, image=obs["image"].copy())
    bad["image"][0, 0] = [3, 9, 0]  # color 9 does not exist
    with pytest.raises(ValueError, match=r"cell \(x=0, y=0\) = \[3, 9, 0\] is not a MiniGrid"):
        c(bad, info)
    env.close()


def test_batch_writes_equal_row_by_row_writes():
    cases = [(lambda: gym.make("YendorTest-Grid-v0"), {})]
    try:
        import minigrid  # noqa: F401
        from minigrid.wrappers import FullyObsWrapper
        cases += [(lambda: gym.make("MiniGrid-DoorKey-8x8-v0"), {}),
                  (lambda: gym.make("MiniGrid-DoorKey-8x8-v0"), {"crop_size": 3, "caption": "mission"}),
                  (lambda: FullyObsWrapper(gym.make("MiniGrid-DoorKey-8x8-v0")), {})]
    except ImportError:
        pass
    try:
        import minihack  # noqa: F401
        cases += [(lambda: gym.make("MiniHack-KeyRoom-S5-v0"), {}),
                  (lambda: gym.make("MiniHack-KeyRoom-S5-v0"), {"ignore": ["glyphs_crop"], "crop_size": 5})]
    except ImportError:
        pass
    for make, options in cases:
        envs = [make() for _ in range(3)]
        c = infer(envs[0], **options)
        pairs = [e.reset(seed=i) for i, e in enumerate(envs)]
        pairs = [e.step(1)[::4] for e in envs]  # (obs, info) after one step
        batch, rows = Buffers(c.spec, 3), Buffers(c.spec, 3)
        assert c.write_batch([o for o, _ in pairs], [inf for _, inf in pairs], batch) == {}
        for i, (o, inf) in enumerate(pairs):
            c.write(o, inf, rows, i)
        for name, a in rows.observations().items():
            assert np.array_equal(a, batch.observations()[name]), (c.spec.environment, options, name)
        # a row that does not fit is named, and the others are still written
        bad = [dict(o) for o, _ in pairs]
        key = c.plan["glyphs_key"]
        bad[1][key] = np.full_like(np.asarray(bad[1][key]), 250 if c.plan["glyphs"] == "minigrid" else 32000)
        failures = c.write_batch(bad, [inf for _, inf in pairs], batch)
        assert list(failures) == [1] and isinstance(failures[1], ValueError)
        assert np.array_equal(batch.glyphs[2], rows.glyphs[2])
        for e in envs:
            e.close()


def test_an_unknown_env_id_says_how_to_import_the_module_that_registers_it(capsys):
    from yendor_env.cli import main
    assert main(["spec", "--env", "YendorNoSuchEnv-v0"]) == 2
    err = capsys.readouterr().err
    assert "NameNotFound" in err
    assert "--env MODULE:YendorNoSuchEnv-v0 or --import MODULE" in err
    assert "--env gym:MODULE:YendorNoSuchEnv-v0" in err
    # Named with its module, the id is gymnasium's to import: no hint about importing it.
    assert main(["spec", "--env", "helpers_env:YendorNoSuchEnv-v0"]) == 2
    assert "needs that module imported" not in capsys.readouterr().err
