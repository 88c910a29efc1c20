#!/usr/bin/env python3
"""STAND-IN for the LLM server of cluster/slurm/yendor-hetjob.sbatch, for tests on machines
without a GPU (cluster/slurm/test-local-hetjob.sh). Not a language model.

It serves the repository's OpenAI-compatible test stub
(Tests/YendorAnnotatorTests/Fixtures/openai_stub.py: every caption is answered "helpful", every
ranking "A") on a fixed address, the way `vllm serve MODEL --port PORT` would, and adds the one
route a job script probes before it starts the annotator: GET /v1/models.

    llm-stub-server.py --port 8000 [--host 127.0.0.1] [--model NAME]

Differences from running openai_stub.py directly: a fixed port instead of an ephemeral one, and it
runs until SIGTERM/SIGINT instead of until its stdin closes (srun gives a task /dev/null as stdin).
"""
import argparse
import importlib.util
import json
import os
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STUB = os.path.join(HERE, "..", "..", "Tests", "YendorAnnotatorTests", "Fixtures", "openai_stub.py")


def load_stub():
    # The stub reads its behaviour script from sys.argv[1] when imported: give it an empty one.
    saved, sys.argv = sys.argv, [STUB, "[]"]
    try:
        spec = importlib.util.spec_from_file_location("openai_stub", STUB)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.argv = saved
    return module


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", default="stub")
    args = parser.parse_args()
    stub = load_stub()

    class Handler(stub.Handler):
        def do_GET(self):
            if self.path.rstrip("/") == "/v1/models":
                self.send_json(200, {"object": "list", "data": [{"id": args.model, "object": "model", "owned_by": "yendor-stub"}]})
            else:
                super().do_GET()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server = stub.ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print("llm-stub-server: STAND-IN OpenAI-compatible server (no model) on http://%s:%d/v1, model %s"
          % (args.host, args.port, json.dumps(args.model)), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
