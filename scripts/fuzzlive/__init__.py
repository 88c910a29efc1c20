"""Live fuzzer for Yendor's roles (issue 14): mutated-but-resealed frames against a real learner and annotator.

It starts a real `yendor learner` (with a real `yendor worker` feeding it) and a real `yendor annotator` on
loopback ports it picks (or attaches to running ones), captures real frames from a real worker to learn the
shapes, and then, in phases, throws mutated frames at each role: bit flips, byte insertions/deletions,
splices, values replaced in numeric fields (actions out of range, NaN/inf rewards, positive log-probs,
glyph ids and caption indices out of range, huge counts and shapes, bad UTF-8, ...) and structural
variants (missing/duplicate/unknown arrays, wrong dtypes, oversized caption tables, kind swaps, ...). Every
mutated payload is resealed (envelope length and CRC-32C recomputed) so the decoder's CRC check does not
stop it; a small share mutates the envelope itself.

Each phase is cut into chunks of --check-every frames. After each chunk (once the role has processed every
frame sent: a marker sent last on the same connection comes back) it checks that the role is alive, that
it still works for a legitimate peer (learner: `learner/updates` +2 and `env_steps` rising in
metrics.jsonl, trained on a real `yendor worker`; annotator: a real AnnotationRequest with an unseen
caption gets its reply and then its label), and that its RSS
(/proc/PID/status) stays bounded. It prints per phase and in total: frames sent, frames/s, the drops the
role counted by reason (learner: `transport/frames_dropped/<reason>`, `membership/hellos_refused`;
annotator: `annotator/malformed/<kind>`, `annotator/invalid_requests` from its Stats broadcast), RSS
start/max/end, PASS/FAIL. If a role dies it prints its last log lines and the mutations in flight, saves
those frames, and replays them one by one against a fresh role to name the frame that kills it.

    scripts/fuzz-live.sh                              # 20,000 frames per role, debug build
    scripts/fuzz-live.sh --frames 1000000 --seed 7 --json fuzz.json
    scripts/fuzz-live.py --only annotator --binary .build/release/yendor

Only 127.0.0.1 is ever targeted. Every loop is bounded; child processes are stopped on exit and Ctrl-C.

How the learner is driven (so that 1,000,000 frames take minutes, not days, on a debug build):
- It runs with `transport.evict_after_bad_batches=0`, so that every fuzzed trajectory reaches the validator
  instead of stopping at `not_admitted` after the fuzzing worker's eviction. The fuzzing worker says a real
  Hello (capabilities copied from the captured one) every 200 frames.
- The real worker is stopped while a chunk is thrown and a new one is started for the check
  (--legit-mode restart); with its outbox always full it would otherwise take every other read of the
  learner's socket and pace the fuzzing to the update rate. --legit-mode pause suspends it instead
  (SIGSTOP/SIGCONT): a stalled worker.
- Fuzzed trajectories carry policy version 0, so one that passes validation is dropped as stale before it
  costs an update (`learner/samples_dropped_lag`) once warm-up has taken the learner past
  `learner.max_policy_lag`; --fresh-share of them (2%) carry the current version and are trained on.
"""
# The docstring above is also the --help text of scripts/fuzz-live.py. The modules:
#   crc.py        CRC-32C (the fastest implementation present) and its throughput
#   frames.py     envelope sealing and the encoders that map every field of a payload (Template, Builder)
#   mutations.py  the byte, value and envelope mutators
#   phases.py     the four phases and the frame generator of each
#   loopback.py   127.0.0.1 ports and endpoints, non-blocking bounded sends
#   processes.py  the child processes (start, stop, log tails), RSS from /proc, metrics.jsonl
#   corpus.py     frames captured from a real worker and the templates to mutate, per role
#   learner.py    the learner under test: its real worker, drain marker, training check
#   annotator.py  the annotator under test: its legitimate client, drain marker, Stats counters
#   run.py        the chunks of each phase: send, drain, check, report, triage of a death
#   cli.py        the options, the run of both roles, the totals and the JSON report
