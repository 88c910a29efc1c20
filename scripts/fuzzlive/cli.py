"""The command of the live fuzzer (scripts/fuzz-live.py): its options, the capture and the run of each
role, the per-phase and total summary, the JSON report and the exit code (0 PASS, 1 FAIL or interrupted)."""
import argparse
import json
import os
import signal
import sys
import tempfile
import time

import numpy as np
import zmq

from . import __doc__ as OVERVIEW  # the package docstring is the --help text
from .annotator import AnnotatorTarget
from .corpus import capture_frames
from .crc import CRC_IMPL, crc_throughput
from .learner import LearnerTarget
from .loopback import loopback_only
from .phases import PHASES
from .processes import Child
from .run import Run, fmt_n

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))  # scripts/fuzzlive/ -> the repository
    default_binary = os.environ.get("YENDOR_BIN") or next(
        (p for p in (os.path.join(repo, ".build", "release", "yendor"), os.path.join(repo, ".build", "debug", "yendor")) if os.path.exists(p)),
        os.path.join(repo, ".build", "debug", "yendor"))
    ap = argparse.ArgumentParser(description=OVERVIEW.splitlines()[0], epilog=OVERVIEW.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=20000, help="fuzzed frames per role, over all phases (default 20,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--binary", default=default_binary, help="the yendor executable (default: %(default)s; env YENDOR_BIN)")
    ap.add_argument("--only", choices=["learner", "annotator"])
    ap.add_argument("--workdir", help="run directories, logs and crash frames (default: a new temporary directory, kept)")
    ap.add_argument("--json", help="write per-phase and total figures to this file")
    ap.add_argument("--worker-envs", type=int, default=4, help="envs of the legitimate `yendor worker` (default 4)")
    ap.add_argument("--capture-envs", type=int, default=2, help="envs of the worker whose frames are mutated (default 2)")
    ap.add_argument("--learner-arg", action="append", default=[], help="extra argument for `yendor learner` (repeatable)")
    ap.add_argument("--worker-arg", action="append", default=[], help="extra argument for both `yendor worker`s (repeatable)")
    ap.add_argument("--annotator-arg", action="append", default=[], help="extra argument for `yendor annotator` (repeatable)")
    ap.add_argument("--train-timeout", type=float, default=180, help="seconds for the learner to make 2 updates from the real worker")
    ap.add_argument("--answer-timeout", type=float, default=30, help="seconds for the annotator to answer and label a real request")
    ap.add_argument("--stall-timeout", type=float, default=120, help="seconds a role may stop reading before the phase fails")
    ap.add_argument("--rss-growth-mib", type=float, default=512, help="FAIL when RSS rises this far over its post-warm-up baseline")
    ap.add_argument("--fresh-share", type=float, default=0.02,
                    help="share of fuzzed trajectories carrying the learner's current policy version (trained on if they pass "
                         "validation); the rest carry version 0 and are dropped as stale after validation (default 0.02)")
    ap.add_argument("--warmup-version", type=int, default=25,
                    help="train on the real worker until this policy version before fuzzing (> learner.max_policy_lag, 20)")
    ap.add_argument("--check-every", type=int, default=100000,
                    help="frames between liveness/training/RSS checks within a phase (default 100,000)")
    ap.add_argument("--legit-mode", choices=["restart", "pause"], default="restart",
                    help="what happens to the real worker during a phase: restart (stopped, and a new one started for the "
                         "check; default) or pause (SIGSTOP, SIGCONT for the check: a stalled worker)")
    ap.add_argument("--suspects", type=int, default=48, help="frames kept (and replayed) when a role dies")
    ap.add_argument("--triage-wait", type=float, default=3.0, help="seconds to watch a fresh role after each replayed frame")
    ap.add_argument("--no-triage", action="store_true", help="do not replay the frames in flight when a role dies")
    ap.add_argument("--learner-pid", type=int, help="attach to a running learner (with --learner-trajectories, --learner-weights, --learner-run-dir)")
    ap.add_argument("--learner-trajectories", help="attached learner's PULL endpoint, tcp://127.0.0.1:PORT")
    ap.add_argument("--learner-weights", help="attached learner's PUB endpoint, tcp://127.0.0.1:PORT")
    ap.add_argument("--learner-run-dir", help="attached learner's run directory (for metrics.jsonl)")
    ap.add_argument("--annotator-pid", type=int, help="attach to a running annotator (with --annotator-requests, --annotator-labels)")
    ap.add_argument("--annotator-requests", help="attached annotator's ROUTER endpoint, tcp://127.0.0.1:PORT")
    ap.add_argument("--annotator-labels", help="attached annotator's PUB endpoint, tcp://127.0.0.1:PORT")
    args = ap.parse_args()
    if args.frames < 0:
        ap.error("--frames must be >= 0")
    if args.learner_pid:
        loopback_only(args.learner_trajectories)
        loopback_only(args.learner_weights)
        if not args.learner_run_dir:
            ap.error("--learner-pid needs --learner-run-dir")
    if args.annotator_pid:
        loopback_only(args.annotator_requests)
        loopback_only(args.annotator_labels)
    if not os.access(args.binary, os.X_OK):
        ap.error("no yendor executable at %s (build it, or pass --binary)" % args.binary)

    workdir = args.workdir or tempfile.mkdtemp(prefix="yendor-fuzz-live-")
    os.makedirs(workdir, exist_ok=True)

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    print("fuzz-live: binary %s, seed %d, %s frames per role, workdir %s" % (args.binary, args.seed, fmt_n(args.frames), workdir))
    print("fuzz-live: CRC-32C %s, %.0f MiB/s; python %s, pyzmq %s, libzmq %s, numpy %s"
          % (CRC_IMPL, crc_throughput(), sys.version.split()[0], zmq.__version__, zmq.zmq_version(), np.__version__), flush=True)
    run = Run(args, workdir)
    started = time.time()
    interrupted = False
    try:
        if args.only != "annotator":
            hello_msg, batches = capture_frames(args.binary, workdir, args.capture_envs, 8, args.seed, args.worker_arg)
            b0 = batches[0][1]
            print("fuzz-live: captured a Hello and %d TrajectoryBatches from a real worker (T=%d, B=%d, %d arrays, %s bytes)"
                  % (len(batches), b0["steps"], b0["envs"], len(b0["arrays"]), fmt_n(len(batches[0][0]))), flush=True)
            run.role(LearnerTarget(args, workdir, hello_msg, batches))
        if args.only != "learner":
            run.role(AnnotatorTarget(args, workdir))
    except KeyboardInterrupt:
        interrupted = True
        print("\nfuzz-live: interrupted; stopping the processes it started", flush=True)
    except (RuntimeError, SystemExit) as e:
        print("fuzz-live: %s" % e, flush=True)
        run.results.append(dict(role="setup", phase="-", result="FAIL", problems=[str(e)], frames=0, seconds=0))
    finally:
        Child.stop_all()
        zmq.Context.instance().destroy(linger=0)
    totals = [t for t in (run.total("learner"), run.total("annotator")) if t]
    per_phase = [t for role in ("learner", "annotator") for phase, _ in PHASES for t in [run.total(role, phase)] if t]
    print("\n== per phase and total (%.0f s wall)" % (time.time() - started))
    for t in [t for role in ("learner", "annotator") for t in per_phase + totals if t["role"] == role]:
        drops = ", ".join("%s %s" % (k, fmt_n(v)) for k, v in list(t["drops"].items())[:20])
        extra = ("accepted %s (trained %s updates, %s samples dropped as stale), hellos refused %s"
                 % (fmt_n(t["accepted"]), fmt_n(t["updates"]), fmt_n(t["samples_dropped_lag"]), fmt_n(t["hellos_refused"]))
                 if t["role"] == "learner" else "requests answered %s" % fmt_n(t["requests_answered"]))
        print("[%s] %-9s %s frames in %.0f s (%s frames/s), %d checks; role counted %s drops: %s; %s; RSS start %.0f, max %.0f, end %.0f MiB (VmHWM %.0f); %s"
              % (t["role"], t["phase"], fmt_n(t["frames"]), t["seconds"], fmt_n(t["rate"]), t["checks"], fmt_n(t["drops_total"]), drops, extra,
                 t["rss_start_mib"], t["rss_max_mib"], t["rss_end_mib"], t["vm_hwm_mib"], t["result"]))
        if t["phase"] == "all":
            print()
    failed = interrupted or any(r["result"] != "PASS" for r in run.results) or not totals
    print("fuzz-live: %s" % ("INTERRUPTED" if interrupted else "FAIL" if failed else "PASS"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(binary=args.binary, seed=args.seed, frames_per_role=args.frames, crc=CRC_IMPL,
                           chunks=run.results, phases=per_phase, totals=totals, result="FAIL" if failed else "PASS",
                           wall_seconds=round(time.time() - started, 1)), f, indent=1)
    return 1 if failed else 0
