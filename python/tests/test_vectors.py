"""The byte vectors shared with the Swift tests: files == encoder(documented inputs), and they decode
back to those inputs."""
import os

import numpy as np
import pytest

import generate
from yendor_env import wire

NAMES = ["env_open", "env_open_split", "env_spec", "env_step", "env_step_result", "env_close", "env_close_result", "env_error",
         "env_describe", "env_describe_spec"]


def read(name):
    with open(os.path.join(generate.HERE, name + ".hex")) as f:
        return generate.from_hex(f.read())


def test_every_vector_is_there():
    assert sorted(generate.canonical()) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_vector_is_the_encoders_output(name):
    frame = read(name)
    assert bytes(wire.encode(generate.canonical()[name])) == frame
    # the CRC in the header, recomputed by the pure-Python reference and the C extension
    crc = int.from_bytes(frame[12:16], "little")
    assert wire.crc32c_python(frame[24:]) == crc == wire.crc32c(frame[24:])
    assert int.from_bytes(frame[16:24], "little") == len(frame) - 24


@pytest.mark.parametrize("name", NAMES)
def test_vector_decodes_to_its_inputs_and_reencodes(name):
    frame = read(name)
    message = wire.decode(frame)
    expected = generate.canonical()[name]
    assert type(message) is type(expected)
    assert message.sequence == expected.sequence
    assert bytes(wire.encode(message)) == frame


def test_vector_fields():
    spec = wire.decode(read("env_spec"))
    assert (spec.environment, spec.task, spec.num_envs) == ("gym:Test-v0", "test", 2)
    assert spec.spec == generate.SPEC
    assert spec.observations["blstats"].tolist() == [[1, -1], [2147483647, -2147483648]]
    assert bytes(spec.observations["caption"][0][:3]).decode() == "né"
    result = wire.decode(read("env_step_result"), spec=generate.SPEC, num_envs=2)
    assert result.reward.tolist() == [0.5, -1.0]
    assert result.done.tolist() == [0, 1] and result.truncated.tolist() == [0, 1]
    assert result.episodes == [wire.Episode(1, -1.5, 3, False, True, "ok", "RuntimeError: boom")]
    assert wire.decode(read("env_close_result")).closed
    described = wire.decode(read("env_describe_spec"))
    assert described.spec == generate.SPEC and described.num_envs == 2 and described.observations == {}
    opened = wire.decode(read("env_open_split"))
    assert (opened.protocol, opened.seed, opened.split, opened.splits) == (2, 42, 1, 2)
    step = wire.decode(read("env_step"))
    assert step.actions.dtype == np.int32 and step.actions.tolist() == [2, 0]


def test_array_data_is_8_byte_aligned_from_the_payload_start():
    frame = read("env_step_result")
    # the first array's data: payload offset 8 (sequence) + 4 (count) + 4+6 ("glyphs") + 4 + 12 (shape) = 38 -> 40
    assert frame[24 + 38:24 + 40] == b"\0\0"
    assert np.frombuffer(frame, "<i2", 6, 24 + 40).tolist() == [1, 2, 3, 4, 5, 6]


def test_documented_crc_check_value():
    assert wire.crc32c_python(b"123456789") == 0xE3069283 == wire.crc32c(b"123456789")


def test_readme_byte_walkthroughs_match_the_files():
    import re
    with open(os.path.join(generate.HERE, "README.md")) as f:
        text = f.read()
    for name in ("env_open", "env_step"):
        block = re.search(rf"`{name}\.hex`[^\n]*\n\n```\n(.*?)```", text, re.S).group(1)
        tokens = []
        for line in block.splitlines():
            for tok in line.split():
                if not re.fullmatch(r"[0-9a-f]{2}", tok):
                    break
                tokens.append(tok)
        assert bytes.fromhex("".join(tokens)) == read(name), name
