"""Envelope and messages 48–53: round trips and total decoding (every malformed input raises WireError)."""
import struct

import numpy as np
import pytest

import generate
from yendor_env import wire
from yendor_env.spec import ObservationSpec

SPEC = generate.SPEC


def frame_of(kind, payload: bytes) -> bytes:
    return struct.pack("<4sHHIIQ", b"YNDR", 1, kind, 0, wire.crc32c(payload), len(payload)) + payload


def refix(frame: bytes) -> bytes:
    """`frame` with its CRC and length recomputed (so the payload is what gets judged)."""
    kind = struct.unpack_from("<H", frame, 6)[0]
    return frame_of(kind, bytes(frame[24:]))


def canonical(name):
    return generate.canonical()[name]


def step_result(**overrides):
    arrays = {k: np.array(v, copy=True) for k, v in canonical("env_step_result").arrays.items()}
    arrays.update(overrides)
    return arrays


def encode_result(arrays, episodes=None):
    eps = canonical("env_step_result").episodes if episodes is None else episodes
    return wire.encode(wire.EnvStepResult(9, arrays, eps))


def errors(frame, **kw):
    with pytest.raises(wire.WireError) as e:
        wire.decode(frame, **kw)
    return e.value


# ---------------------------------------------------------------------------------------------- round trips

def test_round_trips():
    for name, message in generate.canonical().items():
        frame = wire.encode(message)
        back = wire.decode(frame)
        assert bytes(wire.encode(back)) == bytes(frame), name


def test_round_trip_large_batch_is_exact_and_read_only():
    n = 64
    spec = ObservationSpec("gym:Big-v0", 21, 79, 9, 5976, 27, 256, 23)
    rng = np.random.default_rng(0)
    arrays = {"glyphs": rng.integers(0, 5976, (n, 21, 79)).astype(np.int16),
              "crop": rng.integers(0, 5976, (n, 9, 9)).astype(np.int16),
              "blstats": rng.integers(-5, 5, (n, 27)).astype(np.int32),
              "caption": np.zeros((n, 256), np.uint8), "caption_length": np.zeros(n, np.int32),
              "reward": rng.standard_normal(n).astype(np.float32), "done": np.zeros(n, np.uint8),
              "truncated": np.zeros(n, np.uint8)}
    arrays["caption"][:, :5] = np.frombuffer(b"hello", np.uint8)
    arrays["caption_length"][:] = 5
    frame = wire.encode(wire.EnvStepResult(5, arrays, []))
    back = wire.decode(frame, spec=spec, num_envs=n)
    for k, v in arrays.items():
        assert np.array_equal(back.arrays[k], v), k
    assert not back.glyphs.flags.owndata and not back.glyphs.flags.writeable  # a view into the frame, no copy


def test_decode_accepts_memoryview_bytearray_and_zmq_frames():
    zmq = pytest.importorskip("zmq")
    frame = wire.encode(canonical("env_step"))
    for f in (bytes(frame), bytearray(frame), memoryview(frame), zmq.Frame(bytes(frame))):
        assert wire.decode(f).actions.tolist() == [2, 0]


def test_encoder_refuses_wrong_dtypes():
    with pytest.raises(ValueError):
        wire.encode(wire.EnvStep(1, np.array([1, 2], np.int64)))
    arrays = step_result()
    arrays["reward"] = arrays["reward"].astype(np.float64)
    with pytest.raises(ValueError):
        encode_result(arrays)


# ---------------------------------------------------------------------------------------------- envelope

def test_envelope_errors():
    good = bytes(wire.encode(canonical("env_open")))
    assert errors(good[:10]).kind == "truncated"
    assert errors(b"").kind == "truncated"
    assert errors(b"XNDR" + good[4:]).kind == "bad_magic"
    assert errors(good[:4] + b"\x02\x00" + good[6:]).kind == "bad_version"
    assert errors(good[:6] + b"\x63\x00" + good[8:]).kind == "unknown_kind"
    assert errors(good[:8] + b"\x01\x00\x00\x00" + good[12:]).kind == "bad_flags"
    assert errors(good + b"\x00").kind == "length"
    assert errors(good[:-1]).kind == "length"
    flipped = bytearray(good)
    flipped[-1] ^= 1
    assert errors(bytes(flipped)).kind == "crc"
    assert errors(good, limits=wire.Limits(max_message_bytes=30)).kind == "too_large"


def test_known_kinds_that_are_not_env_messages_are_refused():
    goodbye = bytes.fromhex("59 4e 44 52  01 00  04 00  00 00 00 00  7c d3 98 20  0d 00 00 00 00 00 00 00"
                            "02 00 00 00 77 31  03 00 00 00 62 79 65")  # docs/wire-protocol.md's example
    e = errors(goodbye)
    assert e.kind == "unknown_kind" and "Goodbye" in str(e)


def test_trailing_bytes():
    good = bytes(wire.encode(canonical("env_close")))
    assert errors(refix(good + b"\x00")).kind == "trailing"


def test_every_truncation_of_every_vector_raises_wire_error():
    for name, message in generate.canonical().items():
        frame = bytes(wire.encode(message))
        for cut in range(len(frame)):
            with pytest.raises(wire.WireError):
                wire.decode(frame[:cut])
            if cut >= 24:  # with a consistent header: the body itself is judged
                with pytest.raises(wire.WireError):
                    wire.decode(refix(frame[:cut]))


def test_random_corruptions_decode_or_raise_wire_error():
    rng = np.random.default_rng(1)
    frames = [bytes(wire.encode(m)) for m in generate.canonical().values()]
    decoded = 0
    for trial in range(3000):
        f = bytearray(frames[trial % len(frames)])
        for _ in range(int(rng.integers(1, 4))):
            i = int(rng.integers(24, len(f)))
            f[i] = int(rng.integers(0, 256))
        try:
            wire.decode(refix(bytes(f)))
            decoded += 1
        except wire.WireError:
            pass
    assert decoded < 3000


# ---------------------------------------------------------------------------------------------- payloads

def test_strings_must_be_utf8_and_bounded():
    bad = frame_of(53, struct.pack("<QI", 1, 2) + b"\xff\xfe")
    assert errors(bad).kind == "utf8"
    long = frame_of(53, struct.pack("<QI", 1, 70000) + b"a" * 70000)
    assert errors(long).kind == "too_large"
    assert wire.decode(long, limits=wire.Limits(max_string_bytes=1 << 20)).message == "a" * 70000
    assert errors(frame_of(53, struct.pack("<QI", 1, 5) + b"ab")).kind == "truncated"


def array_record(name, code, shape, data=b"", reserved=0, pad=None, offset=12):
    """One array record whose name starts at payload offset `offset`."""
    n = name.encode()
    head = struct.pack("<I", len(n)) + n + struct.pack("<BBH", code, len(shape), reserved)
    head += b"".join(struct.pack("<I", s) for s in shape)
    p = (-(offset + len(head))) % 8
    return head + (bytes(p) if pad is None else pad) + data


def step_frame(records, count=None):
    payload = struct.pack("<Q", 1) + struct.pack("<I", len(records) if count is None else count)
    return frame_of(50, payload + b"".join(records))


def test_env_step_array_rules():
    ok = step_frame([array_record("actions", 3, [2], struct.pack("<ii", 1, 2))])
    assert wire.decode(ok).actions.tolist() == [1, 2]
    assert errors(step_frame([array_record("actions", 9, [2], struct.pack("<ii", 1, 2))])).kind == "dtype"
    assert errors(step_frame([array_record("actions", 5, [2], struct.pack("<qq", 1, 2))])).kind == "shape"
    assert errors(step_frame([array_record("actions", 3, [1, 2], struct.pack("<ii", 1, 2))])).kind == "shape"
    assert errors(step_frame([array_record("actions", 3, [2], struct.pack("<ii", 1, 2), reserved=1)])).kind == "value"
    rec = array_record("actions", 3, [2], struct.pack("<ii", 1, 2))
    padded = array_record("actions", 3, [2], struct.pack("<ii", 1, 2), pad=b"\x01")
    assert "padding" in str(errors(step_frame([padded])))
    assert errors(step_frame([array_record("actions", 3, [3], struct.pack("<ii", 1, 2))])).kind == "truncated"
    assert errors(step_frame([array_record("actions", 3, [0xFFFFFFFF] * 3)])).kind == "too_large"
    assert errors(step_frame([array_record("actions", 3, [1] * 9)])).kind == "too_large"  # ndim 9 > 8
    assert errors(step_frame([], count=2000)).kind == "truncated"
    assert errors(step_frame([], count=2000), limits=wire.Limits(max_items=100)).kind == "too_large"
    assert errors(step_frame([])).kind == "missing"
    twice = [array_record("actions", 3, [2], struct.pack("<ii", 1, 2)),
             array_record("actions", 3, [2], struct.pack("<ii", 1, 2), offset=12 + len(rec))]
    assert errors(step_frame(twice)).kind == "duplicate"
    other = [rec, array_record("extra", 3, [2], struct.pack("<ii", 1, 2), offset=12 + len(rec))]
    assert "unknown array 'extra'" in str(errors(step_frame(other)))
    neg = step_frame([array_record("actions", 3, [2], struct.pack("<ii", 1, -2))])
    assert "negative" in str(errors(neg))
    assert "outside 0..<3" in str(errors(step_frame([array_record("actions", 3, [2], struct.pack("<ii", 1, 3))]), spec=SPEC))
    assert errors(ok, num_envs=3).kind == "shape"


def test_env_open_protocol_is_1_or_2_with_a_valid_split():
    assert errors(frame_of(48, struct.pack("<QQI", 1, 2, 3))).kind == "value"
    assert wire.decode(frame_of(48, struct.pack("<QQI", 1, 2, 1))).seed == 2
    # protocol 2 carries split and splits; protocol 1 must not
    assert errors(frame_of(48, struct.pack("<QQI", 1, 2, 2))).kind == "truncated"
    assert errors(frame_of(48, struct.pack("<QQIII", 1, 2, 1, 0, 1))).kind == "trailing"
    opened = wire.decode(frame_of(48, struct.pack("<QQIII", 1, 2, 2, 3, 4)))
    assert (opened.split, opened.splits) == (3, 4)
    assert "split 4 of 4" in str(errors(frame_of(48, struct.pack("<QQIII", 1, 2, 2, 4, 4))))
    assert errors(frame_of(48, struct.pack("<QQIII", 1, 2, 2, 0, 0))).kind == "value"


def test_env_spec_rules():
    m = canonical("env_spec")
    good = bytes(wire.encode(m))
    assert wire.decode(good).spec == SPEC
    for field, value in (("crop_size", 2), ("action_count", 1), ("glyph_count", 0), ("map", 0)):
        field, word = ("map_rows", "map") if field == "map" else (field, field)
        bad = ObservationSpec(**{**SPEC.__dict__, field: value})
        with pytest.raises(wire.WireError) as e:
            wire.decode(wire.encode(wire.EnvSpec(1, "gym:Test-v0", "t", 2, bad, m.observations)))
        assert word in str(e.value)
    with pytest.raises(wire.WireError):  # environment with a space
        wire.decode(wire.encode(wire.EnvSpec(1, "gym Test", "t", 2, SPEC, m.observations)))
    obs = dict(m.observations)
    obs["glyphs"] = obs["glyphs"].copy()
    obs["glyphs"][0, 0, 0] = 10  # glyph_count is 10
    assert "glyph id 10" in str(errors(wire.encode(wire.EnvSpec(1, "gym:Test-v0", "t", 2, SPEC, obs))))
    obs = dict(m.observations)
    obs["blstats"] = np.zeros((2, 3), np.int32)
    assert errors(wire.encode(wire.EnvSpec(1, "gym:Test-v0", "t", 2, SPEC, obs))).kind == "shape"
    reserved = bytearray(good)
    off = 24 + 8 + 4 + 11 + 4 + 4 + 4 + 7 * 4
    assert struct.unpack_from("<I", reserved, off)[0] == 0
    reserved[off] = 1
    assert errors(refix(bytes(reserved))).kind == "value"


def test_step_result_rules():
    assert wire.decode(encode_result(step_result()), spec=SPEC, num_envs=2).episodes[0].error == "RuntimeError: boom"
    cases = {
        "done": dict(done=np.array([0, 2], np.uint8)),
        "truncated but not done": dict(truncated=np.array([1, 1], np.uint8)),
        "not finite": dict(reward=np.array([np.nan, 0], np.float32)),
        "caption_length": dict(caption_length=np.array([5, 0], np.int32)),
        "non-zero bytes after": dict(caption=np.array([[0x6F, 0x6B, 0, 1], [0, 0, 0, 0]], np.uint8)),
        "not valid UTF-8": dict(caption=np.array([[0xC3, 0x28, 0, 0], [0, 0, 0, 0]], np.uint8)),
        "glyph id": dict(glyphs=np.full((2, 2, 3), 10, np.int16)),
        "shape": dict(crop=np.zeros((2, 3, 3), np.int16)),
    }
    for what, override in cases.items():
        e = errors(encode_result(step_result(**override)), spec=SPEC, num_envs=2)
        assert what in str(e), (what, str(e))
    # without a spec: consistency only
    even = step_result(crop=np.zeros((2, 2, 2), np.int16))
    assert "c odd" in str(errors(encode_result(even)))
    mixed = step_result(reward=np.zeros(3, np.float32))
    assert errors(encode_result(mixed)).kind == "shape"
    missing = step_result()
    del missing["truncated"]
    with pytest.raises(ValueError):
        encode_result(missing)


def test_step_result_episode_rules():
    ep = canonical("env_step_result").episodes[0]
    E = wire.Episode
    bad = {
        "outside 0..<2": [E(2, 0.0, 1, False, True, "", "")],
        "repeated": [ep, ep],
        "done flag is 0": [E(0, 0.0, 1, False, False, "", ""), ep],
        "disagrees": [E(1, 0.0, 1, False, False, "", "")],
        "not finite": [E(1, float("inf"), 1, False, True, "", "")],
        "caption capacity": [E(1, 0.0, 1, False, True, "toolong", "")],
        "no finished episode": [],
    }
    for what, episodes in bad.items():
        e = errors(encode_result(step_result(), episodes))
        assert what in str(e), (what, str(e))
    closed_with_episode = wire.encode(wire.EnvStepResult(1, {}, [ep]))
    assert "finished episodes from 0 envs" in str(errors(closed_with_episode))


def test_peek_sequence():
    assert wire.peek_sequence(wire.encode(wire.EnvStep(77, np.zeros(2, np.int32)))) == 77
    assert wire.peek_sequence(b"junk") == 0


def test_step_result_frame_is_byte_identical_to_encode():
    spec = SPEC
    frame = wire.StepResultFrame(spec, 2, max_tail_bytes=4096)
    source = canonical("env_step_result")
    for name, a in source.arrays.items():
        frame.arrays[name][...] = a
    for sequence, episodes in ((7, []), (2, source.episodes), (9, source.episodes * 2)):
        got = bytes(frame.finish(sequence, episodes))
        assert got == bytes(wire.encode(wire.EnvStepResult(sequence, source.arrays, episodes)))
    assert bytes(frame.finish(2, source.episodes)) == generate.from_hex(open(generate.HERE + "/env_step_result.hex").read())
    with pytest.raises(ValueError, match="over the 16 reserved"):
        wire.StepResultFrame(spec, 2, max_tail_bytes=16).finish(1, source.episodes)
