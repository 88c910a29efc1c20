#!/usr/bin/env python3
"""A stand-in OpenAI-compatible HTTP server owned by the YendorAnnotator tests.

Usage: openai_stub.py '<behaviour script JSON>'

Binds 127.0.0.1 on an ephemeral port and prints "PORT <n>" on stdout. Serves
POST /v1/chat/completions and POST /v1/completions. Each completion call takes the next
step of the behaviour script (a JSON list); once the script is used up, calls get the
default answer. A step may set:
  delay        seconds to sleep before answering (to provoke client timeouts)
  status       HTTP status to answer with (500, 429, ...), with a small JSON error body
  retry_after  value of a Retry-After header (with status)
  body         a raw response body sent as is (e.g. malformed JSON), status 200
  content      the model's text for every prompt of the call
The default text is "Answer: A" for ranking prompts (they contain "Caption B:") and
"Answer: helpful" otherwise.

The server exits when its stdin closes, so it never outlives the test process.

Control endpoints: POST /control {"down": true|false} makes every completion call answer
503 while down; GET /stats returns {"calls", "max_active", "prompt_counts", "authorization", "prompts"} (every prompt
text received, in order).
"""
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
script = json.loads(sys.argv[1]) if len(sys.argv) > 1 else []
state = {"calls": 0, "active": 0, "max_active": 0, "prompt_counts": [], "down": False, "authorization": None, "prompts": []}


def default_answer(prompt):
    return "Answer: A" if "Caption B:" in prompt else "Answer: helpful"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without this, keep-alive responses wait ~40 ms for Nagle + delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def send_json(self, status, obj=None, raw=None, headers=None):
        data = raw.encode() if raw is not None else json.dumps(obj).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def read_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(length) or b"{}")

    def do_GET(self):
        if self.path == "/stats":
            with lock:
                snapshot = {k: state[k] for k in ("calls", "max_active", "prompt_counts", "authorization", "prompts")}
            self.send_json(200, snapshot)
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self):
        body = self.read_body()
        if self.path == "/control":
            with lock:
                if "down" in body:
                    state["down"] = bool(body["down"])
            self.send_json(200, {"ok": True})
            return
        if self.path not in ("/v1/chat/completions", "/v1/completions"):
            self.send_json(404, {"error": "unknown path " + self.path})
            return
        chat = self.path == "/v1/chat/completions"
        prompts = [m["content"] for m in body.get("messages", [])[-1:]] if chat else list(body.get("prompt", []))
        with lock:
            state["calls"] += 1
            state["active"] += 1
            state["max_active"] = max(state["max_active"], state["active"])
            state["prompt_counts"].append(len(prompts))
            state["prompts"].extend(prompts)
            state["authorization"] = self.headers.get("Authorization")
            step = script.pop(0) if script else {}
            down = state["down"]
        try:
            if step.get("delay"):
                time.sleep(step["delay"])
            if down:
                self.send_json(503, {"error": {"message": "down"}})
            elif "status" in step:
                headers = {"Retry-After": str(step["retry_after"])} if "retry_after" in step else {}
                self.send_json(step["status"], {"error": {"message": "scripted"}}, headers=headers)
            elif "body" in step:
                self.send_json(200, raw=step["body"])
            else:
                texts = [step.get("content", default_answer(p)) for p in prompts]
                if chat:
                    choices = [{"index": 0, "message": {"role": "assistant", "content": texts[0]}, "finish_reason": "stop"}]
                    kind = "chat.completion"
                else:
                    choices = [{"index": i, "text": t, "finish_reason": "stop"} for i, t in enumerate(texts)]
                    kind = "text_completion"
                self.send_json(200, {"id": "stub", "object": kind, "model": body.get("model"), "choices": choices})
        finally:
            with lock:
                state["active"] -= 1


def exit_when_parent_goes():
    """The test holds our stdin open; EOF means it stopped us or died (even by SIGKILL)."""
    sys.stdin.buffer.read()
    os._exit(0)


def main():
    # A Swift parent may spawn us with SIGTERM blocked (the spawning thread's mask is
    # inherited); unblock it so terminate() works.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=exit_when_parent_goes, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
