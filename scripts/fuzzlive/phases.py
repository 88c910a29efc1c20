"""The phases of the live fuzzer (hello, bytes, values, structure: their shares of --frames) and
`Generator`, which picks a template from a role's corpus and mutates it as the phase says, resealing the
payload except for the share that gets an envelope mutation."""
import struct

from .frames import seal
from .mutations import BYTE_MUTATORS, VALUE_MUTATORS, envelope_mutation, m_bitflip, weighted

def mutate(r, t, payload, mutators, rounds=(1, 1, 1, 2, 3)):
    b = bytearray(payload)
    labels = []
    for _ in range(r.choice(rounds)):
        if not b:
            b += r.randbytes(r.randint(1, 32))
            labels.append("refill")
            continue
        try:
            labels.append(weighted(r, mutators)(b, r, t))
        except (struct.error, IndexError, ValueError):  # a field map made stale by an earlier round
            labels.append(m_bitflip(b, r, t))
    return b, "+".join(labels)


class Generator:
    """Yields (label, family, frame) for a role and phase."""

    def __init__(self, role, phase, corpus, r, version, fresh_share):
        self.role, self.phase, self.c, self.r, self.version = role, phase, corpus, r, version
        self.fresh_share, self.fresh = fresh_share, False

    def payload(self, t):
        """Trajectories carry policy version 0 (stale once the learner is past learner.max_policy_lag: a
        batch that passes validation is then dropped before it costs an update), or, for a share of
        them, the learner's current version, so that mutated frames that pass validation are trained on."""
        if t.kind != 16:
            return t.payload
        if self.r.random() < self.fresh_share:
            self.fresh = True
            return t.with_version(self.version())
        return t.with_version(0)

    def seal_or_envelope(self, t, b, label, envelope_share=0.04):
        r = self.r
        if r.random() < envelope_share:
            name, frame = envelope_mutation(r, t.kind, bytes(b))
            return name, "envelope", frame
        return label, label.split(":")[0].split("=")[0].split("+")[0], seal(t.kind, b)

    def next(self):
        self.fresh = False
        label, family, frame = self._next()
        return (label + "@fresh" if self.fresh else label), family, frame

    def _next(self):
        r, c = self.r, self.c
        main = c["trajectories"] if self.role == "learner" else c["requests"]
        if self.phase == "hello":
            t = r.choice(c["hellos"])
            if r.random() < 0.15:
                return t.label, "hello-struct", t.frame()
            mut = BYTE_MUTATORS if r.random() < 0.5 else VALUE_MUTATORS
            b, label = mutate(r, t, t.payload, mut)
            return self.seal_or_envelope(t, b, label)
        if self.phase == "bytes":
            x = r.random()
            t = r.choice(main) if x < 0.85 else (r.choice(c["hellos"]) if x < 0.95 else r.choice(c["others"]))
            payload = self.payload(t)
            if r.random() < 0.05:  # splice with another template
                o = self.payload(r.choice(main))
                i, j = r.randrange(len(payload) + 1), r.randrange(len(o) + 1)
                return self.seal_or_envelope(t, payload[:i] + o[j:], "splice", 0.0)
            b, label = mutate(r, t, payload, BYTE_MUTATORS)
            return self.seal_or_envelope(t, b, label, 0.06)
        if self.phase == "values":
            t = r.choice(main)
            b, label = mutate(r, t, self.payload(t), VALUE_MUTATORS, rounds=(1, 1, 1, 1, 2))
            return self.seal_or_envelope(t, b, label, 0.0)
        # structure
        x = r.random()
        if x < (0.004 if self.role == "learner" else 0.03):
            t = r.choice(c["big"])
        elif x < 0.85:
            t = r.choice(c["structural"])
        else:
            t = r.choice(c["others"])
        payload = self.payload(t)
        if r.random() < 0.3:
            b, label = mutate(r, t, payload, BYTE_MUTATORS + VALUE_MUTATORS)
            return self.seal_or_envelope(t, b, t.label + "+" + label, 0.0)
        return t.label, t.label.split(":")[0], seal(t.kind, payload)


PHASES = [("hello", 0.10), ("bytes", 0.35), ("values", 0.40), ("structure", 0.15)]


def split_frames(total):
    counts = [int(total * share) for _, share in PHASES]
    counts[-1] += total - sum(counts)
    return [(name, n) for (name, _), n in zip(PHASES, counts)]

