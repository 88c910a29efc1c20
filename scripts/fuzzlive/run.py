"""A run of the live fuzzer: for each role, every phase cut into chunks of --check-every frames; per chunk
it sends (bounded by --stall-timeout), waits until the role processed them, checks liveness, the
legitimate peer and RSS growth, and reports frames, rate, the role's drop counters and RSS. If the role
dies it saves the frames in flight and replays them against a fresh role to name the one that kills it."""
import collections
import json
import os
import random
import time

from .phases import Generator, split_frames
from .processes import RSS, proc_status

def fmt_n(x):
    return "{:,}".format(int(x))


def diff_counters(a, b):
    return {k: b.get(k, 0) - a.get(k, 0) for k in set(a) | set(b) if not k.startswith("_") and b.get(k, 0) - a.get(k, 0)}


class Run:
    def __init__(self, args, workdir):
        self.args, self.workdir = args, workdir
        self.results = []

    def save_suspects(self, target, phase, recent):
        d = os.path.join(self.workdir, "crash-%s-%s-%d" % (target.name, phase, target.instance))
        os.makedirs(d, exist_ok=True)
        index = []
        for k, (i, label, frame) in enumerate(recent):
            path = os.path.join(d, "%03d-frame%d.bin" % (k, i))
            with open(path, "wb") as f:
                f.write(frame)
            index.append(dict(file=os.path.basename(path), frame=i, mutation=label, bytes=len(frame)))
        with open(os.path.join(d, "index.json"), "w") as f:
            json.dump(index, f, indent=1)
        return d

    def triage(self, target, recent):
        """Replays the frames in flight one by one against a fresh role; returns the first that kills it."""
        if self.args.no_triage or target.proc.proc is None:
            return None
        print("  triage: replaying the last %d frames one at a time against a fresh %s" % (len(recent), target.name), flush=True)
        killer = None
        try:
            target.stop()
            target.start()
            for i, label, frame in reversed(recent):  # newest first: the likeliest culprit
                target.triage_send(frame)
                t0 = time.time()
                while time.time() - t0 < self.args.triage_wait and target.proc.alive():
                    time.sleep(0.1)
                if not target.proc.alive():
                    killer = (i, label, target.proc.exit_status(), target.proc.tail(15))
                    break
        except RuntimeError as e:
            print("  triage: could not restart the role: %s" % e)
        return killer

    def phase(self, target, phase, n, gen_rng, chunk=(1, 1)):
        a = self.args
        gen = Generator(target.name, phase, target.corpus, gen_rng, lambda: target.version, a.fresh_share)
        target.pause()
        before = target.counters()
        rss = RSS(target.proc.pid)
        recent = collections.deque(maxlen=a.suspects)
        families = collections.Counter()
        sent = stalled = longest_stall = 0
        t0 = last_obs = time.time()
        dead = False
        for i in range(n):
            label, family, frame = gen.next()
            if target.name == "annotator" and gen_rng.random() < 0.01:
                target._multipart_next = [gen_rng.choice([b"", b"\x00", gen_rng.randbytes(8), frame[:24]])]
                label += "+multipart"
            target.housekeeping(i)
            ok = target.send(frame)
            if not ok:  # backpressure: the role is not reading (training, or stuck); bounded by --stall-timeout
                stall0 = time.time()
                while not ok and time.time() - stall0 < a.stall_timeout:
                    if not target.proc.alive():
                        dead = True
                        break
                    rss.sample()
                    ok = target.send(frame)
                stalled += time.time() - stall0
                longest_stall = max(longest_stall, time.time() - stall0)
            if dead or not ok:
                break
            recent.append((i, label, frame))
            families[family] += 1
            sent += 1
            now = time.time()
            if now - last_obs > 0.5:
                last_obs = now
                if not rss.sample() or not target.proc.alive():
                    dead = True
                    break
                if target.name == "learner":
                    target.metrics()  # the policy version fuzzed trajectories carry
        send_s = time.time() - t0
        drained = False
        if not dead:
            drained = target.drained()
            dead = not target.proc.alive()
        total_s = time.time() - t0
        rss.sample()
        after = target.counters()
        drops = diff_counters(before, after)
        result = dict(role=target.name, phase=phase, chunk=chunk, frames=sent, planned=n, seconds=round(total_s, 2), send_seconds=round(send_s, 2),
                      rate=round(sent / total_s, 1) if total_s > 0 else 0, families=dict(families.most_common()),
                      drops=dict(sorted(drops.items(), key=lambda kv: -kv[1])), drops_total=sum(drops.values()),
                      rss_start_mib=round(rss.start, 1), rss_max_mib=round(rss.max, 1), rss_end_mib=round(rss.end, 1),
                      vm_hwm_mib=round(rss.hwm, 1), blocked_seconds=round(stalled, 1), longest_block_seconds=round(longest_stall, 1))
        if target.name == "learner":
            result["accepted"] = after.get("_inserted", 0) - before.get("_inserted", 0)
            result["hellos_refused"] = after.get("_hellos_refused", 0) - before.get("_hellos_refused", 0)
            result["updates"] = after.get("_updates", 0) - before.get("_updates", 0)
            result["samples_dropped_lag"] = after.get("_samples_dropped_lag", 0) - before.get("_samples_dropped_lag", 0)
        else:
            result["requests_answered"] = after.get("_requests", 0) - before.get("_requests", 0)
            result["replies_received"] = target.replies
        problems = []
        if dead:
            status = target.proc.exit_status() or "gone"
            problems.append("%s died (%s)" % (target.name, status))
            result["last_log"] = target.proc.tail(25)
            result["in_flight"] = [label for _, label, _ in list(recent)[-16:]]
            result["suspects_dir"] = self.save_suspects(target, phase, list(recent))
            print("\n!! %s died during phase %s (%s). Last log lines:" % (target.name, phase, status))
            for line in result["last_log"]:
                print("   " + line)
            print("   mutations in flight (newest last): %s" % ", ".join(result["in_flight"]))
            print("   frames saved in %s" % result["suspects_dir"])
            killer = self.triage(target, list(recent))
            if killer:
                i, label, st, tail = killer
                result["killer"] = dict(frame=i, mutation=label, exit=st, log=tail)
                print("   KILLER: frame %d, mutation %s, %s; its last log lines:" % (i, label, st))
                for line in tail:
                    print("     " + line)
            elif not a.no_triage:
                print("   triage: no single frame of those killed a fresh %s" % target.name)
        else:
            if not ok:
                problems.append("stalled: the role stopped reading for %.0f s" % longest_stall)
            if not drained:
                problems.append("the frames sent were not all processed within 120 s")
            target.resume()
            ok_legit, why = target.legit_check()
            result["legit"] = why
            if not ok_legit:
                problems.append("legitimate peer: " + why)
            rss.sample()
            result["rss_end_mib"], result["rss_max_mib"], result["vm_hwm_mib"] = round(rss.end, 1), round(rss.max, 1), round(rss.hwm, 1)
            if rss.max - target.rss_baseline > a.rss_growth_mib:
                problems.append("RSS grew %.0f MiB over its baseline %.0f MiB (limit %d)" % (rss.max - target.rss_baseline, target.rss_baseline, a.rss_growth_mib))
        result["result"] = "FAIL" if problems else "PASS"
        result["problems"] = problems
        self.report(result)
        self.results.append(result)
        return not dead

    def report(self, r):
        drops = ", ".join("%s %s" % (k, fmt_n(v)) for k, v in list(r["drops"].items())[:12]) or "none"
        extra = ("accepted %s (trained %s updates, %s samples dropped as stale), hellos refused %s"
                 % (fmt_n(r["accepted"]), fmt_n(r["updates"]), fmt_n(r["samples_dropped_lag"]), fmt_n(r["hellos_refused"]))
                 if r["role"] == "learner" else "requests answered %s" % fmt_n(r.get("requests_answered", 0)))
        print("[%s] %-15s %s frames in %.1f s (%s frames/s) | role counted %s drops: %s | %s | RSS %.0f -> max %.0f -> %.0f MiB (VmHWM %.0f) | %s | %s%s"
              % (r["role"], r["phase"] + (" %d/%d" % tuple(r["chunk"]) if r.get("chunk", (1, 1))[1] > 1 else ""), fmt_n(r["frames"]), r["seconds"], fmt_n(r["rate"]), fmt_n(r["drops_total"]), drops, extra,
                 r["rss_start_mib"], r["rss_max_mib"], r["rss_end_mib"], r["vm_hwm_mib"], r.get("legit", "-"), r["result"],
                 (": " + "; ".join(r["problems"])) if r["problems"] else ""), flush=True)

    def role(self, target):
        a = self.args
        print("== %s: starting" % target.name, flush=True)
        self.start(target)
        print("   pid %d, RSS %.0f MiB after warm-up" % (target.proc.pid, target.rss_baseline), flush=True)
        rng = random.Random("%d-%s" % (a.seed, target.name))
        for phase, n in split_frames(a.frames):
            if n <= 0:
                continue
            if not self.revive(target):
                break
            chunks = max(1, -(-n // a.check_every))
            for k in range(chunks):
                m = n // chunks + (1 if k < n % chunks else 0)
                if not self.revive(target):
                    break
                self.phase(target, phase, m, rng, (k + 1, chunks))
        if target.proc.alive():
            print("== %s: stopping (SIGTERM)" % target.name, flush=True)
        target.stop()
        return target

    def start(self, target):
        target.start()
        target.rss_baseline = (proc_status(target.proc.pid) or (0, 0))[0]  # RSS growth is measured from here

    def revive(self, target):
        """Starts afresh a role that died in an earlier chunk. False when it is dead and was attached to
        (not ours to start): the role's run ends."""
        if target.proc.alive():
            return True
        if target.proc.proc is None:
            return False
        target.stop()
        self.start(target)
        return True

    def total(self, role, phase=None):
        rs = [r for r in self.results if r["role"] == role and (phase is None or r["phase"] == phase)]
        if not rs:
            return None
        drops = collections.Counter()
        for r in rs:
            drops.update(r["drops"])
        frames, secs = sum(r["frames"] for r in rs), sum(r["seconds"] for r in rs)
        t = dict(role=role, phase=phase or "all", frames=frames, seconds=round(secs, 1), rate=round(frames / secs, 1) if secs else 0,
                 drops=dict(drops.most_common()), drops_total=sum(drops.values()),
                 rss_start_mib=rs[0]["rss_start_mib"], rss_max_mib=max(r["rss_max_mib"] for r in rs),
                 rss_end_mib=rs[-1]["rss_end_mib"], vm_hwm_mib=max(r["vm_hwm_mib"] for r in rs),
                 result="PASS" if all(r["result"] == "PASS" for r in rs) else "FAIL")
        if role == "learner":
            t["accepted"] = sum(r["accepted"] for r in rs)
            t["hellos_refused"] = sum(r["hellos_refused"] for r in rs)
            t["updates"] = sum(r["updates"] for r in rs)
            t["samples_dropped_lag"] = sum(r["samples_dropped_lag"] for r in rs)
        else:
            t["requests_answered"] = sum(r.get("requests_answered", 0) for r in rs)
        t["problems"] = [p for r in rs for p in r.get("problems", [])]
        t["checks"] = len(rs)
        return t
