"""The processes of the live fuzzer: `Child`, a role or worker it started (in its own session, stopped on
exit, with its stdout/stderr in the workdir for log tails) or attached to (never stopped); `proc_status` and
`RSS`, VmRSS/VmHWM from /proc; and the last record of a learner's metrics.jsonl."""
import json
import os
import re
import signal
import subprocess
import time

def proc_status(pid):
    """(VmRSS, VmHWM) in MiB, or None when the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            text = f.read()
    except OSError:
        return None
    if re.search(r"^State:\s+Z", text, re.M):
        return None
    rss = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
    hwm = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
    return (int(rss.group(1)) / 1024 if rss else 0.0, int(hwm.group(1)) / 1024 if hwm else 0.0)


class Child:
    """A process this script started (own session; stopped on exit) or one it attached to (never stopped)."""
    children = []

    def __init__(self, name, argv, workdir, env=None):
        self.name, self.argv = name, argv
        self.out_path = os.path.join(workdir, name + ".out")
        self.err_path = os.path.join(workdir, name + ".err")
        self.out, self.err = open(self.out_path, "ab"), open(self.err_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL,
                                     start_new_session=True, env=env)
        self.pid = self.proc.pid
        Child.children.append(self)

    @classmethod
    def attach(cls, name, pid):
        c = cls.__new__(cls)
        c.name, c.argv, c.proc, c.pid = name, None, None, pid
        c.out_path = c.err_path = None
        return c

    def alive(self):
        if self.proc is not None:
            return self.proc.poll() is None
        return proc_status(self.pid) is not None

    def exit_status(self):
        if self.proc is None or self.proc.poll() is None:
            return None
        rc = self.proc.returncode
        return "signal %s" % signal.Signals(-rc).name if rc < 0 else "exit %d" % rc

    def wait_for_line(self, pattern, timeout, stream="err"):
        path = self.err_path if stream == "err" else self.out_path
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.alive():
                return None
            try:
                with open(path, errors="replace") as f:
                    m = re.search(pattern, f.read())
                if m:
                    return m
            except OSError:
                pass
            time.sleep(0.1)
        return None

    def tail(self, n=25):
        lines = []
        for path in (self.out_path, self.err_path):
            if path and os.path.exists(path):
                with open(path, "rb") as f:
                    f.seek(max(0, os.path.getsize(path) - 65536))
                    lines += [("%s: " % os.path.basename(path)) + l.decode("utf-8", "replace")
                              for l in f.read().splitlines()[-n:]]
        return lines

    def stop(self, timeout=20):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            os.killpg(self.proc.pid, signal.SIGCONT)  # a paused worker handles SIGTERM once continued
        except OSError:
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait(5)

    @classmethod
    def stop_all(cls):
        for c in reversed(cls.children):
            c.stop()
        cls.children.clear()


def read_last_metrics(path):
    """The last complete JSON line of a metrics.jsonl, or {}."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            f.seek(max(0, size - 65536))
            lines = f.read().splitlines()
    except OSError:
        return {}
    for line in reversed(lines):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return {}


class RSS:
    def __init__(self, pid):
        self.pid = pid
        s = proc_status(pid) or (0.0, 0.0)
        self.start = self.max = self.end = s[0]
        self.hwm = s[1]

    def sample(self):
        s = proc_status(self.pid)
        if s:
            self.end = s[0]
            self.max = max(self.max, s[0])
            self.hwm = max(self.hwm, s[1])
        return s is not None

