"""The learner under test: starts (or attaches to) a `yendor learner`, feeds it a real `yendor worker`
and warms it up past the policy-lag limit, keeps the fuzzing worker admitted, reads its counters from
metrics.jsonl, knows when every fuzzed frame was processed (a marker Hello) and checks that it still trains
on the real worker (2 updates, env steps rising)."""
import os
import random
import signal
import time

import zmq

from .corpus import learner_corpus
from .frames import goodbye, hello
from .loopback import free_port, send_until
from .processes import Child, read_last_metrics

class LearnerTarget:
    name = "learner"

    def __init__(self, args, workdir, caps_hello, batches):
        self.args, self.workdir = args, workdir
        self.fuzz_id = "fuzzlive-%d" % args.seed
        self.instance = 0
        self.caps_hello, self.batches = caps_hello, batches
        self.proc = self.worker = None
        self.ctx = zmq.Context.instance()
        self.sock = None

    # -- lifecycle
    def start(self):
        a = self.args
        self.instance += 1
        if a.learner_pid:
            self.proc = Child.attach("learner", a.learner_pid)
            self.trajectories, self.weights = a.learner_trajectories, a.learner_weights
            self.run_dir = a.learner_run_dir
        else:
            p1, p2 = free_port(), free_port()
            self.trajectories, self.weights = "tcp://127.0.0.1:%d" % p1, "tcp://127.0.0.1:%d" % p2
            self.run_dir = os.path.join(self.workdir, "learner-%d" % self.instance)
            argv = [a.binary, "learner", "--run-dir", self.run_dir, "--steps", str(10**12), "--seed", str(a.seed),
                    "--set", "transport.trajectories=" + self.trajectories, "--set", "transport.weights=" + self.weights,
                    "--set", "run.log_interval=1", "--set", "transport.evict_after_bad_batches=0"] + a.learner_arg
            self.proc = Child("learner-%d" % self.instance, argv, self.workdir)
            if not self.proc.wait_for_line(r"workers must say Hello with trajectory", 120):
                raise RuntimeError("the learner did not start:\n" + "\n".join(self.proc.tail()))
        self.metrics_path = os.path.join(self.run_dir, "metrics.jsonl")
        self.workers_started = 0
        self.start_worker()
        self.sock = self.ctx.socket(zmq.PUSH)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SNDHWM, 64)
        self.sock.connect(self.trajectories)
        self.corpus = learner_corpus(self.caps_hello, self.batches, self.fuzz_id, random.Random(self.args.seed))
        self.hello_frame = self.corpus["fuzz_hello"].frame()
        self.sock.send(self.hello_frame)
        self.version = 0
        self.markers = 0
        self.last_metrics = {}
        # Warm-up: the real worker is trained on until the policy version is past the lag limit, so
        # that fuzzed trajectories carrying version 0 count as stale once they pass validation.
        t0 = time.time()
        while self.metrics().get("learner/policy_version", 0) < a.warmup_version:
            if time.time() - t0 > a.train_timeout * 3 or not self.proc.alive() or not self.worker.alive():
                raise RuntimeError("the learner does not train from the real worker (policy version %s after %.0f s):\n%s"
                                   % (self.last_metrics.get("learner/policy_version"), time.time() - t0,
                                      "\n".join(self.proc.tail() + self.worker.tail(10))))
            time.sleep(0.5)

    def start_worker(self):
        a = self.args
        self.workers_started += 1
        name = "legit-worker-%d-%d" % (self.instance, self.workers_started)
        self.worker = Child(name, [a.binary, "worker", "--id", "fuzzlive-legit", "--envs", str(a.worker_envs), "--actors", "1",
                                   "--seed", str(a.seed + self.workers_started), "--run-dir", os.path.join(self.workdir, name),
                                   "--set", "transport.trajectories=" + self.trajectories, "--set", "transport.weights=" + self.weights]
                            + a.worker_arg, self.workdir)

    def pause(self):
        """The real worker is out of the way while frames are thrown: with its outbox always full it would
        take every other read of the learner's socket and pace the fuzzing to the update rate. `restart`
        (default) stops it (SIGTERM: it says Goodbye) and starts a new one for the check; `pause`
        suspends it (SIGSTOP/SIGCONT), a worker stalled while the learner trains on."""
        if self.worker is None or not self.worker.alive():
            return
        if self.args.legit_mode == "pause":
            os.kill(self.worker.pid, signal.SIGSTOP)
        else:
            self.worker.stop()
        # Its trajectories still in flight (socket buffers) are read after it stopped: let them settle
        # so that the phase counts only what the fuzzer sent (after a Goodbye they count as not_admitted).
        last, t0 = None, time.time()
        while time.time() - t0 < 30 and self.proc.alive():
            m = self.metrics()
            key = (m.get("transport/frames_dropped"), m.get("replay/inserted"))
            if last is not None and m.get("time", 0) > last[1] + 1.5:
                if key == last[0]:
                    break
                last = (key, m.get("time", 0))
            elif last is None:
                last = (key, m.get("time", 0))
            time.sleep(0.25)

    def resume(self):
        if self.args.legit_mode == "pause" and self.worker is not None and self.worker.alive():
            os.kill(self.worker.pid, signal.SIGCONT)
        elif self.args.legit_mode != "pause":
            self.start_worker()

    def stop(self):
        if self.sock is not None:
            self.sock.close(0)
            self.sock = None
        for c in (self.worker, self.proc):
            if c is not None and c.proc is not None:
                c.stop()

    # -- observation
    def metrics(self):
        m = read_last_metrics(self.metrics_path)
        if m:
            self.last_metrics = m
            self.version = int(m.get("learner/policy_version", self.version))
        return self.last_metrics

    def counters(self):
        m = self.metrics()
        out = {k[len("transport/frames_dropped/"):]: v for k, v in m.items() if k.startswith("transport/frames_dropped/")}
        out["_samples_dropped_lag"] = m.get("learner/samples_dropped_lag", 0)
        out["_updates"] = m.get("learner/updates", 0)
        out["_total"] = m.get("transport/frames_dropped", 0)
        out["_hellos_refused"] = m.get("membership/hellos_refused", 0)
        out["_inserted"] = m.get("replay/inserted", 0)
        out["_time"] = m.get("time", 0)
        return out

    def drained(self, timeout=120):
        """Waits until every fuzzed frame sent so far has been processed: frames from one PUSH arrive in
        order, so a Hello from a fresh id sent last is read after all of them, and the learner logs
        `worker <id> joined`. Then waits for a metrics record written after that."""
        self.markers += 1
        marker = "fuzzlive-marker-%d-%d" % (self.instance, self.markers)
        size = os.path.getsize(self.proc.err_path) if self.proc.err_path else 0
        t0 = time.time()
        if not self.send_raw(hello("worker", marker, self.caps_hello["capabilities"]).frame(), wait=timeout):
            return False
        seen = self.proc.err_path is None
        while not seen and time.time() - t0 < timeout and self.proc.alive():
            with open(self.proc.err_path, "rb") as f:
                f.seek(size)
                seen = ("worker %s joined" % marker).encode() in f.read()
            if not seen:
                time.sleep(0.2)
        self.send_raw(goodbye(marker, "marker").frame(), wait=5)
        t1 = time.time()
        while time.time() - t1 < 5 and self.proc.alive() and self.metrics().get("time", 0) < t1:
            time.sleep(0.2)
        return seen

    def wait_training(self, timeout):
        """Legitimate peer check: updates +2 and env steps rising (fuzz frames drained first)."""
        m0 = self.metrics()
        u0, s0, t0 = m0.get("learner/updates", 0), m0.get("env_steps", 0), time.time()
        while time.time() - t0 < timeout:
            if not self.proc.alive() or not self.worker.alive():
                break
            m = self.metrics()
            if m.get("learner/updates", 0) >= u0 + 2 and m.get("env_steps", 0) > s0:
                return True, "updates %d->%d, env steps +%d in %.1f s" % (u0, m["learner/updates"], m["env_steps"] - s0, time.time() - t0)
            time.sleep(0.5)
        m = self.metrics()
        why = "learner dead" if not self.proc.alive() else ("legit worker dead (%s)" % self.worker.exit_status()) if not self.worker.alive() else "no progress"
        stale = m.get("learner/samples_dropped_lag", 0) - m0.get("learner/samples_dropped_lag", 0)
        if why == "no progress" and stale > 0 and m.get("learner/updates", 0) == u0:
            why = ("no update: the real worker's batches were all dropped as stale (learner/samples_dropped_lag +%d, "
                   "policy version %s): it acts with weights more than learner.max_policy_lag versions old, and the learner "
                   "publishes weights only after an update or when a worker joins" % (stale, m.get("learner/policy_version")))
        return False, "%s: updates %s->%s, env steps %s->%s in %.0f s" % (why, u0, m.get("learner/updates"), s0, m.get("env_steps"), time.time() - t0)

    def legit_check(self):
        return self.wait_training(self.args.train_timeout)

    def housekeeping(self, i):
        if i % 200 == 0:
            self.send_raw(self.hello_frame, wait=1.0)  # keeps the fuzzing worker admitted

    def send_raw(self, frame, wait):
        return send_until(self.sock, [frame], wait)

    def send(self, parts):
        return self.send_raw(parts, wait=0.25)

    def triage_send(self, frame):
        self.send_raw(self.hello_frame, 5)
        self.send_raw(frame, 5)

