#!/usr/bin/env python3
"""Reference trace of the real `nle` package (NLE 1.3.0), for Yendor's NLE equivalence test.

Runs one NLE task from the `nle` Python package with fixed seeds and a given action sequence, and writes
every observation, reward and done flag to a binary file. A Swift test runs the same seeds and actions
through Yendor's own host of libnethack.so and compares the two step by step.

Run it with the project virtualenv that `make deps` makes:

    .venv/bin/python scripts/nle_reference.py --task score --core-seed 1 --disp-seed 2 \\
        --actions actions.txt --out trace.bin [--max-episode-steps N]
    .venv/bin/python scripts/nle_reference.py --task challenge --print-actions [--out keys.txt]

Options
  --task NAME            an NLE env id (NetHackScore-v0, NetHackStaircase-v0, NetHackStaircasePet-v0,
                         NetHackOracle-v0, NetHackGold-v0, NetHackEat-v0, NetHackScout-v0,
                         NetHackChallenge-v0) or a short name (score, staircase, pet, oracle, gold, eat,
                         scout, challenge).
  --core-seed N, --disp-seed N
                         NetHack's core and display RNG seeds (unsigned 64-bit). Reseeding is always off.
  --actions FILE         one action per line: an index into the task's action set (23 actions for every
                         task but challenge, 121 for challenge). Blank lines and lines starting with '#'
                         are skipped.
  --out FILE             where the trace goes.
  --max-episode-steps N  the task's step limit (default: the task's own, 5000; challenge 1,000,000).
  --no-progress-timeout N
                         challenge only: NetHackChallenge's no_progress_timeout (default its own, 10,000).
  --print-actions        write the task's action keys (NetHack key codes, one per line, in action-index
                         order) to --out, or to stdout without --out, and exit; no other option is needed.
  --episode-seeds MODE   increment (default) or same; see "Seeds and resets".
  --no-fix-moon-phase    let NetHack read the wall clock (NLE's default); see "Seeds and resets".

Environment construction
  The task class is built directly (nle.env.tasks.NetHackScore(...) etc.), as gym.make would build it,
  with observation_keys=("glyphs", "blstats", "message"). Not through gym.make: gymnasium's make takes a
  max_episode_steps argument for itself and wraps the env in a TimeLimit, which would replace NLE's own
  step limit (NLE's limit quits the game and reports terminated=True, truncated=False).

Seeds and resets
  NLE's env.seed(core, disp, reseed) only stores the seeds for the *next* reset, and the reset clears
  them again: a later reset without a new env.seed(...) gets fresh random seeds from the OS.
  env.reset(seed=...) does not seed NetHack at all. So this script seeds explicitly before every reset:
  episode k (k = 0 for the first one) uses
      increment: core = core_seed + k, disp = disp_seed + k   (mod 2**64)
      same:      core = core_seed,     disp = disp_seed
  with reseed = False and no level-generator seed. With fix_moon_phase (the default here; NLE's own
  default is off) NetHack's moon phase, Friday-13th, night and midnight come from time_seed = core + 1
  instead of the wall clock, so a trace does not depend on the day or hour it is made.
  NetHackChallenge refuses env.seed(); the script seeds it through the same underlying call
  (env.nethack._pynethack.set_initial_seeds) that env.seed() uses for the other tasks.
  When a step ends the episode (terminated or truncated), the script resets at once, with the next
  episode's seeds, and records the reset observation (see the format).

Output format (all little-endian, no padding, no alignment)
  header, 12 bytes:
      u8[8]  magic "NLEREF01"
      u32    step_count               the number of actions, i.e. of step records
  then an observation record (O) for the first reset, then for every action a step record (S);
  a step record whose done byte is 1 is followed immediately by an O record for the reset that follows
  it (also after the last step).
  O record, 3790 bytes:
      i16[21*79] glyphs               row-major, 21 rows of 79 columns
      i64[27]    blstats
      u8[256]    message              NUL-padded
  S record, 3796 bytes:
      f32        reward               the env's reward (a double) rounded to f32
      u8         done                 1 if terminated or truncated
      u8         truncated            1 if truncated (NLE's own limit never sets this; see above)
      then the observation the step returned, as in an O record. On a done step that observation is
      the state after NLE quit the game (glyphs 2359, blstats and message zero) when the episode ended
      by the task or the step limit, and the after-death state when the game ended by itself.
  File size = 12 + 3790 * (1 + number_of_done_steps) + 3796 * step_count.
"""

import argparse
import struct
import sys

import numpy as np

MAGIC = b"NLEREF01"
ROWS, COLS = 21, 79
BLSTATS = 27
MESSAGE = 256

TASKS = {
    "score": "NetHackScore",
    "staircase": "NetHackStaircase",
    "pet": "NetHackStaircasePet",
    "oracle": "NetHackOracle",
    "gold": "NetHackGold",
    "eat": "NetHackEat",
    "scout": "NetHackScout",
    "challenge": "NetHackChallenge",
}


def task_class_name(name):
    """Maps a short name or an env id (NetHackScore-v0) to the class name in nle.env.tasks."""
    key = name.strip()
    if key.lower() in TASKS:
        return TASKS[key.lower()]
    for cls in TASKS.values():
        if key in (cls, cls + "-v0"):
            return cls
    raise SystemExit(
        "nle_reference: unknown task %r (use one of %s, or their -v0 env ids)"
        % (name, ", ".join(TASKS))
    )


def read_actions(path, action_count):
    actions = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            try:
                index = int(text)
            except ValueError:
                raise SystemExit("nle_reference: %s:%d: not an integer: %r" % (path, number, text))
            if not 0 <= index < action_count:
                raise SystemExit(
                    "nle_reference: %s:%d: action %d is outside the task's %d actions"
                    % (path, number, index, action_count)
                )
            actions.append(index)
    return actions


def observation_bytes(obs):
    glyphs = np.asarray(obs["glyphs"])
    blstats = np.asarray(obs["blstats"])
    message = np.asarray(obs["message"])
    assert glyphs.shape == (ROWS, COLS) and blstats.shape == (BLSTATS,) and message.shape == (MESSAGE,)
    return (
        glyphs.astype("<i2", copy=False).tobytes()
        + blstats.astype("<i8", copy=False).tobytes()
        + message.astype("u1", copy=False).tobytes()
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--task", required=True)
    parser.add_argument("--core-seed", type=int)
    parser.add_argument("--disp-seed", type=int)
    parser.add_argument("--actions")
    parser.add_argument("--out")
    parser.add_argument("--max-episode-steps", type=int, default=None)
    parser.add_argument("--no-progress-timeout", type=int, default=None)
    parser.add_argument("--print-actions", action="store_true")
    parser.add_argument("--episode-seeds", choices=("increment", "same"), default="increment")
    parser.add_argument("--no-fix-moon-phase", action="store_true")
    args = parser.parse_args(argv)
    if not args.print_actions:
        missing = [o for o in ("core_seed", "disp_seed", "actions", "out") if getattr(args, o) is None]
        if missing:
            parser.error("missing " + ", ".join("--" + o.replace("_", "-") for o in missing))

    from nle.env import tasks  # imported late so that --help works without nle

    cls = getattr(tasks, task_class_name(args.task))
    kwargs = dict(observation_keys=("glyphs", "blstats", "message"))
    kwargs["fix_moon_phase"] = not args.no_fix_moon_phase
    if args.max_episode_steps is not None:
        kwargs["max_episode_steps"] = args.max_episode_steps
    if args.no_progress_timeout is not None:
        if cls is not tasks.NetHackChallenge:
            parser.error("--no-progress-timeout is NetHackChallenge's option")
        kwargs["no_progress_timeout"] = args.no_progress_timeout
    env = cls(**kwargs)
    if args.print_actions:
        text = "".join("%d\n" % int(key) for key in env.actions)
        if args.out:
            with open(args.out, "w") as out:
                out.write(text)
        else:
            sys.stdout.write(text)
        env.close()
        return
    actions = read_actions(args.actions, len(env.actions))

    mask = (1 << 64) - 1

    def seed_and_reset(episode):
        k = episode if args.episode_seeds == "increment" else 0
        core = (args.core_seed + k) & mask
        disp = (args.disp_seed + k) & mask
        # The call env.seed() makes (base.NLE.seed -> Nethack.set_initial_seeds); NetHackChallenge blocks
        # the Python-level wrappers, not this one.
        env.nethack._pynethack.set_initial_seeds(core, disp, False, None)
        obs, _ = env.reset()
        return obs

    episode = 0
    with open(args.out, "wb") as out:
        out.write(MAGIC + struct.pack("<I", len(actions)))
        out.write(observation_bytes(seed_and_reset(episode)))
        for index in actions:
            obs, reward, terminated, truncated, _ = env.step(index)
            done = bool(terminated or truncated)
            out.write(struct.pack("<fBB", float(reward), int(done), int(bool(truncated))))
            out.write(observation_bytes(obs))
            if done:
                episode += 1
                out.write(observation_bytes(seed_and_reset(episode)))
    env.close()
    print(
        "nle_reference: %s, %d steps, %d episodes ended -> %s"
        % (cls.__name__, len(actions), episode, args.out),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
