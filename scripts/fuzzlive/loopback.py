"""Loopback networking for the live fuzzer: free 127.0.0.1 ports for the roles it starts, the check that
an attached role's endpoint is on 127.0.0.1 (nothing else is ever targeted), and a non-blocking send bounded
in time, so that a role that stops reading shows as backpressure instead of hanging the fuzzer."""
import re
import socket
import sys
import time

import zmq

def send_until(sock, parts, wait, while_full=None):
    """Sends one message without blocking, retrying until `wait` seconds have passed: a role that stops
    reading shows as False (backpressure the caller bounds) instead of hanging the fuzzer. `while_full`
    runs between retries."""
    deadline = time.time() + wait
    while True:
        try:
            sock.send_multipart(parts, zmq.NOBLOCK)
            return True
        except zmq.Again:
            if time.time() > deadline:
                return False
            if while_full is not None:
                while_full()
            sock.poll(50, zmq.POLLOUT)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loopback_only(endpoint):
    m = re.fullmatch(r"tcp://127\.0\.0\.1:(\d+)", endpoint or "")
    if not m:
        sys.exit("fuzz-live: only tcp://127.0.0.1:PORT endpoints are allowed, got %r" % endpoint)
    return endpoint

