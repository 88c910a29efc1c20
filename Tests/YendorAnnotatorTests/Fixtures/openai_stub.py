#!/usr/bin/env python3
"""A stand-in OpenAI-compatible HTTP server owned by the YendorAnnotator tests, with fault modes.

Usage: openai_stub.py '<behaviour JSON>'

The behaviour is either a list (the script) or an object with any of:
  "script": [step, ...]   one step per completion call, in arrival order; once used up, calls
                          get the default answer
  "rules":  [rule, ...]   a rule is a step plus "match" (a substring of the prompt) and "times"
                          (how many matching calls it applies to; absent: every one). A call
                          whose prompt matches a rule with times left takes that rule's step
                          instead of the script's.
  "random": {...}         faults drawn per call (after rules and script), reproducible:
                          "seed", "reset", "drop", "truncate", "bad_json", "status_429",
                          "status_500" (probabilities), "latency" ([min, max] seconds).

A step may set:
  delay        seconds to sleep before answering (to provoke client timeouts; a stall)
  status       HTTP status to answer with (500, 429, ...), with a small JSON error body
  retry_after  value of a Retry-After header (with status)
  body         a raw response body sent as is (e.g. malformed JSON), status 200
  content      the model's text for every prompt of the call
  reset        true: read the request, then reset the connection (RST) without answering
  drop         true: read the request, then close the connection (FIN) without answering
  truncate     true: send the headers and half the body of a normal answer, then close
  chunked      true: send a normal answer with Transfer-Encoding: chunked, in two chunks
The default text is "Answer: A" for ranking prompts (they contain "Caption B:") and
"Answer: helpful" otherwise.

Binds 127.0.0.1 on an ephemeral port and prints "PORT <n> BLACKHOLE <m>" on stdout. The
blackhole port listens but never accepts, and its accept queue is full, so a connection to it
never opens (for connect timeouts). The server exits when its stdin closes, so it never
outlives the test process.

A normal answer is only sent if the client is still connected after the delay (as vLLM aborts a
request whose client went away); it is then counted in "answered" (paid for), otherwise in
"abandoned".

Control endpoints: POST /control {"down": true|false} makes every completion call answer 503
while down, {"rules": [...]} replaces the rules; GET /stats returns {"calls", "active", "max_active", "prompt_counts",
"authorization", "prompts" (every prompt received, in order), "answered" (the prompts of every
complete 200 answer written, in order), "abandoned", "faults" (counts by fault)}.
"""
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
behaviour = json.loads(sys.argv[1]) if len(sys.argv) > 1 else []
if isinstance(behaviour, list):
    behaviour = {"script": behaviour}
script = list(behaviour.get("script", []))
rules = [dict(rule) for rule in behaviour.get("rules", [])]
chaos = behaviour.get("random", {})
rng = random.Random(chaos.get("seed", 1))
state = {"calls": 0, "active": 0, "max_active": 0, "prompt_counts": [], "down": False, "authorization": None,
         "prompts": [], "answered": [], "abandoned": [], "faults": {}}


def default_answer(prompt):
    return "Answer: A" if "Caption B:" in prompt else "Answer: helpful"


def next_step(prompts):
    """The step for a call: a matching rule, else the script, else a random draw. Under lock."""
    for rule in rules:
        if any(rule["match"] in p for p in prompts) and rule.get("times", 1) != 0:
            if "times" in rule:
                rule["times"] -= 1
            return {k: v for k, v in rule.items() if k not in ("match", "times")}
    if script:
        return script.pop(0)
    step = {}
    if chaos:
        latency = chaos.get("latency")
        if latency:
            step["delay"] = rng.uniform(latency[0], latency[1])
        draw = rng.random()
        for fault in ("reset", "drop", "truncate", "bad_json", "status_429", "status_500"):
            p = chaos.get(fault, 0)
            if draw < p:
                if fault == "bad_json":
                    step["body"] = '{"choices": [{"index": 0, "message": {"content": "Answer: hel'
                elif fault.startswith("status_"):
                    step["status"] = int(fault[7:])
                else:
                    step[fault] = True
                break
            draw -= p
    return step


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without this, keep-alive responses wait ~40 ms for Nagle + delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def send_json(self, status, obj=None, raw=None, headers=None, truncate=False, chunked=False):
        data = raw.encode() if raw is not None else json.dumps(obj).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if chunked:
                half = len(data) // 2
                for part in (data[:half], data[half:]):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return True
            if truncate:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return False
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False  # the client gave up (timeout test)

    def client_gone(self):
        """True when the client closed its end (it timed out or was cancelled)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def count(self, fault):
        with lock:
            state["faults"][fault] = state["faults"].get(fault, 0) + 1

    def read_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(length) or b"{}")

    def do_GET(self):
        if self.path == "/stats":
            with lock:
                snapshot = {k: state[k] for k in ("calls", "active", "max_active", "prompt_counts", "authorization",
                                                   "prompts", "answered", "abandoned", "faults")}
            self.send_json(200, snapshot)
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self):
        body = self.read_body()
        if self.path == "/control":
            with lock:
                if "down" in body:
                    state["down"] = bool(body["down"])
                if "rules" in body:
                    rules[:] = [dict(rule) for rule in body["rules"]]
            self.send_json(200, {"ok": True})
            return
        if self.path not in ("/v1/chat/completions", "/v1/completions"):
            self.send_json(404, {"error": "unknown path " + self.path})
            return
        chat = self.path == "/v1/chat/completions"
        prompts = [m["content"] for m in body.get("messages", [])[-1:]] if chat else list(body.get("prompt", []))
        if not prompts:
            self.send_json(400, {"error": {"message": "no prompt"}})
            return
        with lock:
            state["calls"] += 1
            state["active"] += 1
            state["max_active"] = max(state["max_active"], state["active"])
            state["prompt_counts"].append(len(prompts))
            state["prompts"].extend(prompts)
            state["authorization"] = self.headers.get("Authorization")
            step = next_step(prompts)
            down = state["down"]
        try:
            if step.get("delay"):
                time.sleep(step["delay"])
            if step.get("reset"):
                self.count("reset")
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
            elif step.get("drop"):
                self.count("drop")
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
            elif down:
                self.send_json(503, {"error": {"message": "down"}})
            elif "status" in step:
                self.count("status_%d" % step["status"])
                headers = {"Retry-After": str(step["retry_after"])} if "retry_after" in step else {}
                self.send_json(step["status"], {"error": {"message": "scripted"}}, headers=headers)
            elif "body" in step:
                self.count("body")
                self.send_json(200, raw=step["body"])
            else:
                texts = [step.get("content", default_answer(p)) for p in prompts]
                if chat:
                    choices = [{"index": 0, "message": {"role": "assistant", "content": texts[0]}, "finish_reason": "stop"}]
                    kind = "chat.completion"
                else:
                    choices = [{"index": i, "text": t, "finish_reason": "stop"} for i, t in enumerate(texts)]
                    kind = "text_completion"
                answer = {"id": "stub", "object": kind, "model": body.get("model"), "choices": choices}
                if self.client_gone():
                    with lock:
                        state["abandoned"].extend(prompts)
                    self.close_connection = True
                elif step.get("truncate"):
                    self.count("truncate")
                    self.send_json(200, answer, truncate=True)
                elif self.send_json(200, answer, chunked=bool(step.get("chunked"))):
                    with lock:
                        state["answered"].extend(prompts)
        finally:
            with lock:
                state["active"] -= 1


def exit_when_parent_goes():
    """The test holds our stdin open; EOF means it stopped us or died (even by SIGKILL)."""
    sys.stdin.buffer.read()
    os._exit(0)


def blackhole():
    """A port that never accepts: listen with a backlog of 0 and fill the queue ourselves."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(4):
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        try:
            filler.connect(listener.getsockname())
        except BlockingIOError:
            pass
        fillers.append(filler)
    time.sleep(0.05)
    return listener, fillers


def main():
    # A Swift parent may spawn us with SIGTERM blocked (the spawning thread's mask is
    # inherited); unblock it so terminate() works.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=exit_when_parent_goes, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    hole, _fillers = blackhole()
    print("PORT %d BLACKHOLE %d" % (server.server_address[1], hole.getsockname()[1]), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
