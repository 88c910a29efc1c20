"""Mutations of the live fuzzer. Byte mutators (bit flips, insertions, deletions, truncations, zero runs,
...) and value mutators (integer fields set to interesting values, out-of-range / non-finite numbers in
named arrays, wrong TrajectoryBatch header scalars, bad UTF-8) each take (payload bytearray, rng, template),
mutate in place and return a short label; `envelope_mutation` makes a frame whose envelope itself is wrong."""
import re
import struct

from .crc import crc32c
from .frames import FMT, HEADER

INTERESTING = {
    "B": [0, 1, 2, 3, 7, 8, 9, 16, 127, 128, 254, 255],
    "H": [0, 1, 2, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF],
    "h": [-32768, -1, 0, 1, 320, 32767],
    "I": [0, 1, 2, 3, 8, 31, 33, 64, 255, 4096, 4097, 65535, 65536, 65537, 0x100000, 0x100001,
          0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF],
    "i": [-2**31, -1, 0, 1, 2**31 - 1],
    "Q": [0, 1, 2**31, 2**32, 2**63 - 1, 2**63, 2**64 - 1],
    "d": [float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1e308, -1e308, 5e-324],
}
BYTE_PATTERNS = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\xff\xff\xff\x7f",
                 b"\x00\x00\x00\x80", b"\x00\x00\xc0\x7f", b"\x00\x00\x80\x7f", b"\x00\x00\x80\xff",
                 b"\xff\xff\xff\xff\xff\xff\xff\xff", b"\x01\x00\x00\x00\x00\x00\x00\x00", b"\x00\x01\x00\x00"]
BAD_UTF8 = [b"\xff", b"\xfe", b"\xc0\x80", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xe2\x82", b"\x80", b"\xf4\x90\x80\x80"]
NAN, INF = float("nan"), float("inf")


def _pick_len(r, n, most=16):
    return max(1, min(n, int(r.expovariate(1 / 4)) + 1, most))


def m_bitflip(b, r, t):
    k = r.choice((1, 1, 1, 2, 3, 8))
    for _ in range(k):
        i = r.randrange(len(b))
        b[i] ^= 1 << r.randrange(8)
    return "bitflip"


def m_byteset(b, r, t):
    pat = r.choice(BYTE_PATTERNS)
    i = r.randrange(len(b))
    b[i:i + len(pat)] = pat[:len(b) - i]
    return "byteset"


def m_randbytes(b, r, t):
    k = _pick_len(r, len(b))
    i = r.randrange(len(b))
    b[i:i + k] = r.randbytes(min(k, len(b) - i))
    return "randbytes"


def m_insert(b, r, t):
    i = r.randrange(len(b) + 1)
    b[i:i] = r.randbytes(_pick_len(r, 64, 64)) if r.random() < 0.7 else r.choice(BYTE_PATTERNS)
    return "insert"


def m_delete(b, r, t):
    i = r.randrange(len(b))
    del b[i:i + _pick_len(r, 64, 64)]
    return "delete"


def m_truncate(b, r, t):
    del b[r.randrange(len(b)):]
    return "truncate"


def m_append(b, r, t):
    b += r.randbytes(_pick_len(r, 64, 64))
    return "append"


def m_duplicate_chunk(b, r, t):
    i = r.randrange(len(b))
    chunk = b[i:i + r.randint(1, 256)]
    j = r.randrange(len(b) + 1)
    b[j:j] = chunk
    return "duplicate_chunk"


def m_zero_run(b, r, t):
    i = r.randrange(len(b))
    k = r.randint(1, 512)
    b[i:i + k] = bytes(min(k, len(b) - i))
    return "zero_run"


BYTE_MUTATORS = [(m_bitflip, 30), (m_byteset, 15), (m_randbytes, 10), (m_insert, 12), (m_delete, 12),
                 (m_truncate, 6), (m_append, 4), (m_duplicate_chunk, 5), (m_zero_run, 6)]


def m_field(b, r, t):
    """An integer field (count, length, shape, dtype, ndim, header scalar) set to an interesting value."""
    name, off, fmt = r.choice(t.ints)
    size = struct.calcsize("<" + fmt)
    if off + size > len(b):
        return m_bitflip(b, r, t)
    old = struct.unpack_from("<" + fmt, b, off)[0]
    cands = list(INTERESTING.get(fmt, [0]))
    if fmt in "BHIQ":
        cands += [v for v in (old + 1, old - 1, old * 2, old + 8) if 0 <= v < 2 ** (8 * size)]
    v = r.choice(cands)
    struct.pack_into("<" + fmt, b, off, v)
    base = re.sub(r"\[\d+\]", "[]", name)
    return "field:%s=%s" % (base, v)


def m_bad_utf8(b, r, t):
    cands = [s for s in t.strings if s[2] > 0 and s[1] + s[2] <= len(b)]
    if not cands:
        return m_bitflip(b, r, t)
    name, off, n = r.choice(cands)
    seq = r.choice(BAD_UTF8)
    i = off + r.randrange(n)
    seq = seq[:off + n - i]
    b[i:i + len(seq)] = seq
    return "utf8:%s" % re.sub(r"\[\d+\]", "[]", name)


def semantic_values(t):
    """Per-array values a hostile worker might send; True marks the ones the learner must accept."""
    n = t.info.get("ncaptions", 1)
    return {
        "actions": [(21, False), (22, False), (99, False), (-1, False), (-5, False), (2**31 - 1, False), (-2**31, False), (20, True)],
        "rewards": [(NAN, False), (INF, False), (-INF, False), (1.5e6, False), (-1e7, False), (3.4e38, False),
                    (1e6, True), (-1e6, True), (1e-45, True), (-0.0, True)],
        "behaviour_logp": [(NAN, False), (INF, False), (-INF, False), (0.5, False), (1e-30, False), (3e38, False),
                           (-1e30, True), (-3.4e38, True), (0.0, True), (-0.0, True)],
        "values": [(NAN, False), (INF, False), (-INF, False), (3e38, True), (-3e38, True)],
        "obs/crop": [(320, False), (321, False), (30000, False), (-1, False), (-7, False), (-32768, False), (32767, False), (319, True)],
        "obs/blstats": [(2**31 - 1, True), (-2**31, True), (0, True)],
        "obs/caption_index": [(n, False), (n + 1, False), (-1, False), (2**31 - 1, False), (-2**31, False), (0, True)],
        "caption_index": [(n, False), (n + 7, False), (-1, False), (2**31 - 1, False), (0, True)],
        "caption_count": [(0, False), (-1, False), (-2**31, False), (2**31 - 1, True)],
        "dones": [(2, False), (255, False), (1, True)],
        "truncated": [(2, False), (255, False), (1, True)],
        "policy_versions": [(-1, False), (-2**31, False)],
        "env_ids": [(-1, True), (2**31 - 1, True)],
        "episode/return": [(NAN, False), (INF, False), (-INF, False)],
        "episode/length": [(0, False), (-1, False), (-2**31, False)],
        "episode/success": [(2, False), (255, False)],
        "episode/env": [(-1, True), (99, True)],
        "behaviour_logits": [(NAN, False), (INF, True), (-INF, True)],
        "obs/core_state": [(NAN, False), (1e4, False)],
    }


def m_semantic(b, r, t):
    """A numeric value in a named array replaced by an out-of-range / non-finite / extreme one."""
    table = t.info.get("_semantic")
    if table is None:
        def fits(value, code):
            if code == 4:
                return True
            if not isinstance(value, int):
                return False
            bits = {1: 8, 2: 16, 3: 32, 5: 64}[code]
            return 0 <= value < 2 ** bits if code == 1 else -2 ** (bits - 1) <= value < 2 ** (bits - 1)
        table = {}
        for k, values in semantic_values(t).items():
            if k in t.arrays and t.arrays[k][2] > 0:
                ok = [(v, valid) for v, valid in values if fits(v, t.arrays[k][1])]
                if ok:
                    table[k] = ok
        t.info["_semantic"] = table
    if not table:
        return m_field(b, r, t)
    name = r.choice(sorted(table))
    value, ok = r.choice(table[name])
    off, code, count = t.arrays[name]
    k = 1 if count < 2 or r.random() < 0.7 else r.randint(2, min(count, 16))
    for _ in range(k):
        i = r.randrange(count)
        struct.pack_into("<" + FMT[code], b, off + i * struct.calcsize(FMT[code]), value)
    return "value:%s=%r%s" % (name, value, "(valid)" if ok else "")


def m_header_scalar(b, r, t):
    """steps / envs / policy_version of a TrajectoryBatch set to a wrong value."""
    cands = [(n, o, f) for n, o, f in t.ints if n in ("steps", "envs", "policy_version")]
    if not cands:
        return m_field(b, r, t)
    name, off, fmt = r.choice(cands)
    old = struct.unpack_from("<" + fmt, b, off)[0]
    v = r.choice([0, 1, old - 1, old + 1, old * 2, 2**32 - 1] if fmt == "I" else [old + 1, 2**63, 2**64 - 1, 0])
    v = max(0, min(v, 2 ** (8 * struct.calcsize(fmt)) - 1))
    struct.pack_into("<" + fmt, b, off, v)
    return "header:%s=%d" % (name, v)


VALUE_MUTATORS = [(m_semantic, 55), (m_field, 25), (m_header_scalar, 8), (m_bad_utf8, 12)]


def weighted(r, table):
    total = sum(w for _, w in table)
    x = r.random() * total
    for item, w in table:
        x -= w
        if x < 0:
            return item
    return table[-1][0]


KNOWN_KINDS = [1, 2, 3, 4, 16, 17, 32, 33, 48, 49, 50, 51, 52, 53]


def envelope_mutation(r, kind, payload):
    """A frame whose envelope itself is wrong (most of these are not resealed on purpose)."""
    choice = r.randrange(10)
    crc, n = crc32c(payload), len(payload)
    if choice == 0:
        return "envelope:crc", HEADER.pack(b"YNDR", 1, kind, 0, crc ^ (1 << r.randrange(32)), n) + payload
    if choice == 1:
        return "envelope:length", HEADER.pack(b"YNDR", 1, kind, 0, crc, r.choice([0, n - 1, n + 1, 2**32, 2**64 - 1])) + payload
    if choice == 2:
        return "envelope:magic", HEADER.pack(r.choice([b"YNDr", b"\0\0\0\0", b"RDNY"]), 1, kind, 0, crc, n) + payload
    if choice == 3:
        return "envelope:version", HEADER.pack(b"YNDR", r.choice([0, 2, 0xFFFF]), kind, 0, crc, n) + payload
    if choice == 4:
        return "envelope:flags", HEADER.pack(b"YNDR", 1, kind, r.choice([1, 2, 0x80000000, 0xFFFFFFFF]), crc, n) + payload
    if choice in (5, 6):  # resealed with another kind: the payload meets another message's decoder
        k = r.choice([x for x in KNOWN_KINDS if x != kind] + [0, 5, 15, 999, 0xFFFF])
        return "envelope:kind=%d" % k, HEADER.pack(b"YNDR", 1, k, 0, crc, n) + payload
    if choice == 7:
        return "envelope:short", HEADER.pack(b"YNDR", 1, kind, 0, crc, n)[:r.randrange(24)]
    if choice == 8:
        return "envelope:header_only", HEADER.pack(b"YNDR", 1, kind, 0, crc32c(b""), 0)
    return "envelope:empty", b""

