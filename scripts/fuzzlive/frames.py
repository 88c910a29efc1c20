"""Frames for the live fuzzer: the envelope (`seal`, with a correct length and CRC-32C) and encoders of
every message the roles may meet that remember where each field is (`Builder` -> `Template`), so that
mutations can target integer fields, strings and array data by name."""
import struct
import time

import numpy as np

from .crc import crc32c

HEADER = struct.Struct("<4sHHIIQ")


def seal(kind, payload):
    """Envelope with a correct length and CRC-32C: what makes a mutated payload reach the decoder."""
    return HEADER.pack(b"YNDR", 1, kind, 0, crc32c(payload), len(payload)) + bytes(payload)


DTYPE_CODES = {np.dtype("u1"): 1, np.dtype("<i2"): 2, np.dtype("<i4"): 3, np.dtype("<f4"): 4, np.dtype("<i8"): 5}
FMT = {1: "B", 2: "h", 3: "i", 4: "f", 5: "q"}  # element struct formats by dtype code


class Template:
    """A valid (or deliberately invalid) payload plus a map of its fields."""

    def __init__(self, kind, builder, label, **info):
        self.kind = kind
        self.payload = bytes(builder.b)
        self.ints = builder.ints          # (name, offset, struct fmt) of every integer field
        self.strings = builder.strings    # (name, data offset, byte length) of every string's bytes
        self.arrays = builder.arrays      # name -> (data offset, dtype code, element count)
        self.label = label
        self.info = info
        self._versioned = (None, None)

    def frame(self):
        return seal(self.kind, self.payload)

    def with_version(self, v):
        """Payload with header policy_version and every policy_versions entry set to v (cached)."""
        if "policy_version" not in self.info:
            return self.payload
        if self._versioned[0] == v:
            return self._versioned[1]
        b = bytearray(self.payload)
        for name, off, fmt in self.ints:
            if name == "policy_version":
                struct.pack_into("<Q", b, off, v + self.info.get("version_offset", 0))
        if "policy_versions" in self.arrays:
            off, code, count = self.arrays["policy_versions"]
            np.frombuffer(b, dtype="<i4", count=count, offset=off)[:] = min(v, 2**31 - 1)
        self._versioned = (v, bytes(b))
        return self._versioned[1]


class Builder:
    def __init__(self):
        self.b = bytearray()
        self.ints, self.strings, self.arrays = [], [], {}

    def int(self, fmt, v, name):
        self.ints.append((name, len(self.b), fmt))
        self.b += struct.pack("<" + fmt, v)

    def string(self, s, name):
        data = s if isinstance(s, (bytes, bytearray)) else s.encode("utf-8")
        self.int("I", len(data), name + ".len")
        self.strings.append((name, len(self.b), len(data)))
        self.b += data

    def array(self, name, a, code=None):
        a = np.ascontiguousarray(a)
        code = code or DTYPE_CODES[np.dtype(a.dtype.str.replace(">", "<"))]
        self.string(name, "name:" + name)
        self.int("B", code, name + ".dtype")
        self.int("B", a.ndim, name + ".ndim")
        self.int("H", 0, name + ".reserved")
        for i, extent in enumerate(a.shape):
            self.int("I", extent, "%s.shape[%d]" % (name, i))
        pad = -len(self.b) % 8
        if pad:
            self.ints.append((name + ".padding", len(self.b), "B"))
        self.b += bytes(pad)
        self.arrays[name] = (len(self.b), code, int(a.size))
        self.b += a.tobytes()


def trajectory(t, label="trajectory"):
    """t: dict(worker_id, task, policy_version, steps, envs, arrays=[(name, ndarray)], captions=[str|bytes])."""
    w = Builder()
    w.string(t["worker_id"], "worker_id")
    w.string(t["task"], "task")
    w.int("Q", t["policy_version"], "policy_version")
    w.int("I", t["steps"], "steps")
    w.int("I", t["envs"], "envs")
    w.int("I", len(t["arrays"]), "array_count")
    for name, a in t["arrays"]:
        w.array(name, a)
    w.int("I", len(t["captions"]), "caption_count")
    for i, c in enumerate(t["captions"]):
        w.string(c, "caption[%d]" % i)
    return Template(16, w, label, policy_version=True, ncaptions=len(t["captions"]))


def hello(role, ident, capabilities, version=1, label="hello"):
    w = Builder()
    w.string(role, "role")
    w.string(ident, "id")
    w.int("H", version, "protocol_version")
    w.int("I", len(capabilities), "capability_count")
    for i, (k, v) in enumerate(capabilities):
        w.string(k, "cap[%d].key" % i)
        w.string(v, "cap[%d].value" % i)
    return Template(1, w, label)


def annotation_request(request_id, goal, mode, items, count=None, label="request"):
    """items: strings for mode 0, (first, second) pairs for mode 1 (flattened as is)."""
    w = Builder()
    w.int("Q", request_id, "request_id")
    w.string(goal, "goal")
    w.int("B", mode, "mode")
    w.int("I", len(items) if count is None else count, "item_count")
    for i, item in enumerate(items):
        if isinstance(item, tuple):
            w.string(item[0], "item[%d].first" % i)
            w.string(item[1], "item[%d].second" % i)
        else:
            w.string(item, "item[%d]" % i)
    return Template(32, w, label)


def annotation_result(request_id, goal, mode, labeler, entries, label="result"):
    w = Builder()
    w.int("Q", request_id, "request_id")
    w.string(goal, "goal")
    w.int("B", mode, "mode")
    w.string(labeler, "labeler")
    w.int("I", len(entries), "entry_count")
    for i, (item, status, value, message) in enumerate(entries):
        w.string(item, "entry[%d].item" % i)
        w.int("B", status, "entry[%d].status" % i)
        w.int("B", value, "entry[%d].value" % i)
        w.string(message, "entry[%d].message" % i)
    return Template(33, w, label)


def heartbeat(ident, seq, label="heartbeat"):
    w = Builder()
    w.string(ident, "id")
    w.int("Q", seq, "sequence")
    w.int("Q", int(time.time() * 1e9), "time_ns")
    w.int("Q", 0, "policy_version")
    return Template(2, w, label)


def stats(ident, role, values, label="stats"):
    w = Builder()
    w.string(ident, "id")
    w.string(role, "role")
    w.int("Q", int(time.time() * 1e9), "time_ns")
    w.int("I", len(values), "value_count")
    for i, (k, v) in enumerate(values):
        w.string(k, "name[%d]" % i)
        w.int("d", v, "value[%d]" % i)
    return Template(3, w, label)


def goodbye(ident, reason, label="goodbye"):
    w = Builder()
    w.string(ident, "id")
    w.string(reason, "reason")
    return Template(4, w, label)


def policy_update(version, signature, tensors, label="policy_update"):
    w = Builder()
    w.int("Q", version, "version")
    w.string(signature, "model_signature")
    w.int("I", len(tensors), "array_count")
    for name, a in tensors:
        w.array(name, a)
    return Template(17, w, label)


def env_messages():
    """Valid environment-server messages (48-53): no Yendor learner or annotator takes them."""
    out = []
    w = Builder(); w.int("Q", 1, "sequence"); w.int("Q", 7, "seed"); w.int("I", 1, "protocol")
    out.append(Template(48, w, "other:env_open"))
    w = Builder(); w.int("Q", 2, "sequence"); w.int("I", 1, "array_count"); w.array("actions", np.zeros(4, "<i4"))
    out.append(Template(50, w, "other:env_step"))
    w = Builder(); w.int("Q", 3, "sequence"); out.append(Template(52, w, "other:env_close"))
    w = Builder(); w.int("Q", 4, "sequence"); w.string("no such env", "message"); out.append(Template(53, w, "other:env_error"))
    return out

