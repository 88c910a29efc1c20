#!/usr/bin/env python3
"""A reference client for Yendor's wire protocol (docs/wire-protocol.md), in Python with pyzmq + numpy.

It exists to show the protocol can be spoken without Swift, and the test suite runs it against the
Swift encoder. Use it as a library (`decode`, `encode_heartbeat`, ...) or from the command line:

    python3 scripts/yendor_wire.py pull --endpoint tcp://127.0.0.1:5555 --count 10
"""
import argparse
import json
import struct
import sys

import numpy as np

MAGIC = b"YNDR"
VERSION = 1
HEADER = struct.Struct("<4sHHIIQ")  # magic, version, kind, flags, crc32c, payload length
KINDS = {1: "Hello", 2: "Heartbeat", 3: "Stats", 4: "Goodbye", 16: "TrajectoryBatch",
         17: "PolicyUpdate", 32: "AnnotationRequest", 33: "AnnotationResult"}
DTYPES = {1: np.uint8, 2: np.int16, 3: np.int32, 4: np.float32, 5: np.int64}


def _load_crc():
    # The one CRC-32C of the Python side (python/yendor_env/crc.py: the `crc32c` package, else pure
    # Python), loaded by path so that this client needs neither the package installed nor its deps.
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python", "yendor_env", "crc.py")
    spec = importlib.util.spec_from_file_location("yendor_wire_crc", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_CRC = _load_crc()
crc32c = _CRC.crc32c


class WireError(ValueError):
    pass


class Reader:
    def __init__(self, frame, offset):
        self.frame, self.offset, self.start = frame, offset, offset

    def take(self, n, what):
        if self.offset + n > len(self.frame):
            raise WireError(f"truncated: {what}")
        b = self.frame[self.offset:self.offset + n]
        self.offset += n
        return b

    def u8(self): return self.take(1, "u8")[0]
    def u16(self): return struct.unpack("<H", self.take(2, "u16"))[0]
    def u32(self): return struct.unpack("<I", self.take(4, "u32"))[0]
    def u64(self): return struct.unpack("<Q", self.take(8, "u64"))[0]
    def f64(self): return struct.unpack("<d", self.take(8, "f64"))[0]
    def string(self): return bytes(self.take(self.u32(), "string")).decode("utf-8")

    def array(self):
        name = self.string()
        dtype, ndim, reserved = self.u8(), self.u8(), self.u16()
        if dtype not in DTYPES or reserved != 0:
            raise WireError(f"{name}: bad dtype {dtype} or reserved {reserved}")
        shape = tuple(self.u32() for _ in range(ndim))
        pad = (-(self.offset - self.start)) % 8
        self.take(pad, "padding")
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        dt = np.dtype(DTYPES[dtype]).newbyteorder("<")
        data = np.frombuffer(self.frame, dtype=dt, count=count, offset=self.offset).reshape(shape)
        self.take(count * dt.itemsize, f"{name} data")
        return name, data

    def arrays(self):
        return dict(self.array() for _ in range(self.u32()))


def decode(frame):
    """Returns (kind name, dict of fields); raises WireError on anything malformed."""
    frame = memoryview(frame).cast("B")
    if len(frame) < HEADER.size:
        raise WireError("truncated header")
    magic, version, kind, flags, crc, length = HEADER.unpack_from(frame, 0)
    if magic != MAGIC or version != VERSION or flags != 0 or kind not in KINDS:
        raise WireError(f"bad header: {magic!r} v{version} kind {kind} flags {flags}")
    if length != len(frame) - HEADER.size or crc32c(frame[HEADER.size:]) != crc:
        raise WireError("length or checksum mismatch")
    r = Reader(frame, HEADER.size)
    name = KINDS[kind]
    if name == "Heartbeat":
        out = dict(id=r.string(), sequence=r.u64(), time_ns=r.u64(), policy_version=r.u64())
    elif name == "Hello":
        out = dict(role=r.string(), id=r.string(), protocol_version=r.u16())
        out["capabilities"] = [(r.string(), r.string()) for _ in range(r.u32())]
    elif name == "Goodbye":
        out = dict(id=r.string(), reason=r.string())
    elif name == "Stats":
        out = dict(id=r.string(), role=r.string(), time_ns=r.u64())
        out["values"] = {r.string(): r.f64() for _ in range(r.u32())}
    elif name == "TrajectoryBatch":
        out = dict(worker_id=r.string(), task=r.string(), policy_version=r.u64(), steps=r.u32(), envs=r.u32())
        out["arrays"] = r.arrays()
        out["captions"] = [r.string() for _ in range(r.u32())]
    elif name == "PolicyUpdate":
        out = dict(version=r.u64(), model_signature=r.string(), tensors=r.arrays())
    else:
        raise WireError(f"{name}: this reference client decodes membership, batches and weights only")
    if r.offset != len(frame):
        raise WireError("trailing bytes")
    return name, out


def _string(s):
    b = s.encode("utf-8")
    return struct.pack("<I", len(b)) + b


def envelope(kind, payload):
    return HEADER.pack(MAGIC, VERSION, kind, 0, crc32c(payload), len(payload)) + payload


def encode_heartbeat(ident, sequence, time_ns, policy_version):
    return envelope(2, _string(ident) + struct.pack("<QQQ", sequence, time_ns, policy_version))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    pull = sub.add_parser("pull", help="bind a PULL socket, decode COUNT batches, print a JSON summary of each")
    pull.add_argument("--endpoint", required=True)
    pull.add_argument("--count", type=int, default=1)
    pull.add_argument("--reply", help="after decoding, PUSH one Heartbeat per batch to this endpoint")
    args = parser.parse_args()

    import zmq
    ctx = zmq.Context()
    sock = ctx.socket(zmq.PULL)
    sock.bind(args.endpoint)
    reply = None
    if args.reply:
        reply = ctx.socket(zmq.PUSH)
        reply.connect(args.reply)
    print("ready", flush=True)
    for i in range(args.count):
        kind, msg = decode(sock.recv(copy=False).buffer)
        a = msg["arrays"]
        summary = dict(kind=kind, steps=msg["steps"], envs=msg["envs"], task=msg["task"],
                       actions_sum=int(a["actions"].astype(np.int64).sum()),
                       rewards_sum=float(a["rewards"].astype(np.float64).sum()),
                       crop_shape=list(a["obs/crop"].shape), crop_sum=int(a["obs/crop"].astype(np.int64).sum()),
                       first_caption=msg["captions"][int(a["caption_index"].flat[0])] if a["caption_index"].size else None,
                       episodes=int(a["episode/env"].shape[0]))
        print(json.dumps(summary, ensure_ascii=False), flush=True)
        if reply is not None:
            reply.send(encode_heartbeat("python-client", i, 0, msg["policy_version"]))
    sock.close(linger=0)
    if reply is not None:
        reply.close(linger=5000)
    ctx.term()


if __name__ == "__main__":
    sys.exit(main())
