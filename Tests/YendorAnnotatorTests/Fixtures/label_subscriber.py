#!/usr/bin/env python3
"""A pyzmq SUB client of the annotator's PUB socket, owned by the YendorAnnotator tests.

Usage: label_subscriber.py <labels endpoint> <count>

Prints "ready" after the first Heartbeat (the subscription is then live), then one line per
AnnotationResult broadcast: "result <request_id> <goal> <caption> <status> <value>" for its first
entry, decoded from the bytes as docs/wire-protocol.md specifies. Exits after <count> results or 600
seconds (a hang guard for a loaded machine, not a wait), so it never outlives the test.
"""
import struct
import sys
import threading
import os

import zmq

HEARTBEAT, ANNOTATION_RESULT = 2, 33


def read_string(frame, offset):
    (length,) = struct.unpack_from("<I", frame, offset)
    offset += 4
    return frame[offset:offset + length].decode("utf-8"), offset + length


def main():
    endpoint, count = sys.argv[1], int(sys.argv[2])
    threading.Timer(600, lambda: os._exit(2)).start()
    socket = zmq.Context().socket(zmq.SUB)
    socket.setsockopt(zmq.SUBSCRIBE, b"")
    socket.connect(endpoint)
    ready = False
    seen = 0
    while seen < count:
        frame = socket.recv()
        assert frame[:4] == b"YNDR", frame[:4]
        version, kind = struct.unpack_from("<HH", frame, 4)
        if kind == HEARTBEAT and not ready:
            ready = True
            print("ready", flush=True)
        if kind != ANNOTATION_RESULT:
            continue
        offset = 24
        (request_id,) = struct.unpack_from("<Q", frame, offset)
        goal, offset = read_string(frame, offset + 8)
        mode = frame[offset]
        labeler, offset = read_string(frame, offset + 1)
        (entries,) = struct.unpack_from("<I", frame, offset)
        caption, offset = read_string(frame, offset + 4)
        status, value = frame[offset], frame[offset + 1]
        print("result %d %s %s %d %d" % (request_id, goal, caption.replace(" ", "_"), status, value), flush=True)
        seen += 1
    os._exit(0)


if __name__ == "__main__":
    main()
