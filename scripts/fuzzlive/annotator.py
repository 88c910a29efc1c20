"""The annotator under test: starts (or attaches to) a `yendor annotator`, throws frames from one DEALER
while a second one plays the legitimate client, reads its counters from the Stats it broadcasts, knows when
every fuzzed frame was processed (a marker request answered) and checks that a real request for an unseen
caption gets its reply and then its label."""
import os
import random
import struct
import time

import zmq

import yendor_wire as yw  # the reference client: decode of Stats

from .corpus import annotator_corpus
from .frames import HEADER, annotation_request
from .loopback import free_port, send_until
from .processes import Child

class AnnotatorTarget:
    name = "annotator"

    def __init__(self, args, workdir):
        self.args, self.workdir = args, workdir
        self.fuzz_id = "fuzzlive-client-%d" % args.seed
        self.instance = 0
        self.ctx = zmq.Context.instance()
        self.sock = self.client = self.sub = None
        self.proc = None
        self.check_no = 0
        self.markers = 0
        self.drained_at = 0.0
        self.version = 0
        self.last_stats = {}
        self.replies = 0

    def start(self):
        a = self.args
        self.instance += 1
        if a.annotator_pid:
            self.proc = Child.attach("annotator", a.annotator_pid)
            self.requests, self.labels = a.annotator_requests, a.annotator_labels
        else:
            self.requests, self.labels = "tcp://127.0.0.1:%d" % free_port(), "tcp://127.0.0.1:%d" % free_port()
            argv = [a.binary, "annotator", "--requests", self.requests, "--labels", self.labels,
                    "--store", os.path.join(self.workdir, "annotator-%d.sqlite" % self.instance)] + a.annotator_arg
            self.proc = Child("annotator-%d" % self.instance, argv, self.workdir)
            if not self.proc.wait_for_line(r"annotator ready", 120, stream="out"):
                raise RuntimeError("the annotator did not start:\n" + "\n".join(self.proc.tail()))
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.LINGER, 0)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"")
        self.sub.setsockopt(zmq.RCVHWM, 100000)
        self.sub.connect(self.labels)
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SNDHWM, 256)
        self.sock.setsockopt(zmq.IDENTITY, b"fuzzer-%d" % self.instance)
        self.sock.connect(self.requests)
        self.client = self.ctx.socket(zmq.DEALER)
        self.client.setsockopt(zmq.LINGER, 0)
        self.client.setsockopt(zmq.IDENTITY, b"legit-client-%d" % self.instance)
        self.client.connect(self.requests)
        self.corpus = annotator_corpus(random.Random(self.args.seed), self.fuzz_id)
        ok, why = self.legit_check()
        if not ok:
            raise RuntimeError("the annotator does not answer a legitimate client: %s\n%s" % (why, "\n".join(self.proc.tail())))

    def stop(self):
        for s in (self.sock, self.client, self.sub):
            if s is not None:
                s.close(0)
        self.sock = self.client = self.sub = None
        if self.proc is not None and self.proc.proc is not None:
            self.proc.stop()

    def pause(self):
        pass

    def resume(self):
        pass

    def drain_sub(self, want=None, budget=2000):
        """Reads the PUB stream: keeps the newest Stats; returns the label for caption `want` if seen."""
        found = None
        for _ in range(budget):
            try:
                frame = self.sub.recv(zmq.NOBLOCK)
            except zmq.Again:
                break
            if len(frame) < 24:
                continue
            kind = struct.unpack_from("<H", frame, 6)[0]
            if kind == 3:
                try:
                    _, msg = yw.decode(frame)
                    self.last_stats = dict(msg["values"])
                    self.last_stats["_time"] = msg["time_ns"] / 1e9
                except yw.WireError:
                    pass
            elif kind == 33 and want is not None and want.encode() in frame:
                res = decode_result(frame)
                for item, status, value, message in res["entries"]:
                    if item == want and status == 0:
                        found = value
        return found

    def drain_replies(self, budget=1000):
        for _ in range(budget):
            try:
                self.sock.recv(zmq.NOBLOCK)
                self.replies += 1
            except zmq.Again:
                break

    def counters(self):
        t0 = time.time()
        before = max(self.last_stats.get("_time", 0), self.drained_at)
        while time.time() - t0 < 5:  # a fresh Stats arrives once a second
            self.drain_sub(budget=100000)
            if self.last_stats.get("_time", 0) > before:
                break
            time.sleep(0.1)
        s = self.last_stats
        out = {k[len("annotator/malformed/"):]: v for k, v in s.items() if k.startswith("annotator/malformed/")}
        out["invalid_request"] = s.get("annotator/invalid_requests", 0)
        out["_total"] = sum(v for k, v in out.items())
        out["_requests"] = s.get("annotator/requests", 0)
        out["_dropped_queue_full"] = s.get("annotator/dropped", 0)
        out["_time"] = s.get("_time", 0)
        return out

    def drained(self, timeout=120):
        """Waits for the reply to a request sent after every fuzzed frame (the annotator reads and
        answers one connection in order), then for a Stats broadcast after it."""
        self.markers += 1
        rid = (3 << 60) + self.markers
        t0 = time.time()
        if not self.send(annotation_request(rid, "score", 0, ["fuzz-live marker"]).frame(), wait=timeout):
            return False
        seen = False
        while not seen and time.time() - t0 < timeout and self.proc.alive():
            if not self.sock.poll(200):
                self.drain_sub(budget=100000)
                continue
            while True:
                try:
                    frame = self.sock.recv(zmq.NOBLOCK)
                except zmq.Again:
                    break
                self.replies += 1
                if len(frame) >= 32 and struct.unpack_from("<H", frame, 6)[0] == 33 and struct.unpack_from("<Q", frame, 24)[0] == rid:
                    seen = True
        self.drained_at = time.time()  # counters() then waits for a Stats broadcast taken after this
        return seen

    def legit_check(self):
        """A real AnnotationRequest with a caption never seen: its reply, then its label."""
        self.check_no += 1
        caption = "You kill the jackal! (fuzz-live check %d, seed %d, %d)" % (self.check_no, self.args.seed, time.time_ns())
        rid = (1 << 62) + self.check_no
        t0 = time.time()
        self.client.send(annotation_request(rid, "combat", 0, [caption]).frame())
        reply = None
        while time.time() - t0 < self.args.answer_timeout and self.proc.alive():
            if self.client.poll(200):
                res = decode_result(self.client.recv())
                if res and res["request_id"] == rid:
                    reply = res
                    break
            self.drain_sub(budget=100000)
        if reply is None:
            return False, "no reply to a legitimate request within %d s" % self.args.answer_timeout
        if len(reply["entries"]) != 1 or reply["entries"][0][0] != caption or reply["entries"][0][1] not in (0, 1):
            return False, "wrong reply: %r" % (reply["entries"][:2],)
        reply_s = time.time() - t0
        if reply["entries"][0][1] == 0:
            return True, "reply in %.2f s, labeled %d" % (reply_s, reply["entries"][0][2])
        while time.time() - t0 < self.args.answer_timeout and self.proc.alive():
            value = self.drain_sub(want=caption, budget=100000)
            if value is not None:
                return True, "reply in %.2f s, label broadcast after %.2f s" % (reply_s, time.time() - t0)
            self.sub.poll(100)
        return False, "replied pending in %.2f s but no label within %d s" % (reply_s, self.args.answer_timeout)

    def housekeeping(self, i):
        if i % 64 == 0:
            self.drain_replies()
            self.drain_sub(budget=2000)

    def send(self, frame, wait=0.25):
        parts = [frame]
        if self._multipart_next:
            parts = self._multipart_next + [frame]
            self._multipart_next = None
        # reads the replies while it waits, as housekeeping() does, so that they do not pile up unread
        return send_until(self.sock, parts, wait, while_full=self.drain_replies)

    _multipart_next = None

    def triage_send(self, frame):
        self.send(frame, wait=5)


def decode_result(frame):
    """AnnotationResult (33): u64 id, goal, u8 mode, labeler, u32 n, n x (item, u8 status, u8 value, message)."""
    try:
        magic, version, kind, flags, crc, length = HEADER.unpack_from(frame, 0)
        if kind != 33:
            return None
        r = yw.Reader(memoryview(frame), 24)
        out = dict(request_id=r.u64(), goal=r.string(), mode=r.u8(), labeler=r.string(), entries=[])
        mode = out["mode"]
        for _ in range(r.u32()):
            item = r.string() if mode == 0 else (r.string(), r.string())
            out["entries"].append((item, r.u8(), r.u8(), r.string()))
        return out
    except (yw.WireError, struct.error, UnicodeDecodeError):
        return None

