"""The `yendor-env` command.

    yendor-env serve --env MiniHack-KeyRoom-S5-v0 --num-envs 64 --bind tcp://*:5600 [--seed S]
                     [--crop-size 9] [--caption auto|message|mission|none] [--caption-bytes B]
                     [--ignore-key KEY]... [--env-arg KEY=VALUE]... [--import MODULE]...
    yendor-env spec  --env MiniGrid-DoorKey-8x8-v0 [...]        # print the inferred spec and exit
    yendor-env bench --env MiniHack-KeyRoom-S5-v0 --num-envs 16 # plain loop vs served, same run

`serve` prints one line to stdout when it answers:
    yendor-env ready endpoint=tcp://0.0.0.0:5600 num_envs=64 fingerprint=obs-v2 env=gym:… actions=10
(`--bind tcp://127.0.0.1:*` picks a free port; the line names it). SIGINT or SIGTERM stops it.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional

import numpy as np

_PREFIX_MODULES = (("MiniHack", "minihack"), ("MiniGrid", "minigrid"), ("BabyAI", "minigrid"), ("NetHack", "nle"))


def import_for(env_id: str, extra: List[str] = ()) -> None:
    """Imports the packages that register `env_id` (minihack, minigrid, nle by the id's prefix) and any
    `--import` modules. Ids of the form `module:Id` are left to gymnasium.make, which imports `module`."""
    for name in extra:
        importlib.import_module(name)
    base = env_id.split(":", 1)[-1] if ":" in env_id else env_id
    for prefix, module in _PREFIX_MODULES:
        if base.startswith(prefix):
            try:
                importlib.import_module(module)
            except ImportError as e:
                raise SystemExit(f"yendor-env: {env_id} needs the {module} package ({e}); pip install {module}")


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def env_kwargs(pairs: List[str]) -> Dict[str, Any]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise SystemExit(f"yendor-env: --env-arg {pair!r}: expected KEY=VALUE")
        k, v = pair.split("=", 1)
        out[k] = _parse_value(v)
    return out


def make_factory(args):
    import gymnasium as gym
    import_for(args.env, args.imports)
    kwargs = env_kwargs(args.env_arg)

    def make():
        return gym.make(args.env, **kwargs)
    return make


def _caption(value: str):
    return None if value == "auto" else value


def _add_env_options(p: argparse.ArgumentParser):
    p.add_argument("--env", required=True, help="Gymnasium env id (MiniHack-…, MiniGrid-…, NetHack…, module:Id)")
    p.add_argument("--env-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="keyword argument for gymnasium.make (VALUE read as JSON when it parses, else a string)")
    p.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                   help="import MODULE first (one that registers your env)")
    p.add_argument("--crop-size", type=int, default=None, help="odd crop side (default: the env's own crop or view, else 9)")
    p.add_argument("--caption", choices=("auto", "message", "mission", "none"), default="auto",
                   help="auto: NLE's message if the env has one, else empty")
    p.add_argument("--caption-bytes", type=int, default=None, help="caption capacity (default: the message length, else 256)")
    p.add_argument("--ignore-key", action="append", default=[], metavar="KEY", help="leave this observation key out")
    p.add_argument("--task", default=None, help="task name sent in EnvSpec (default: the env id)")


def cmd_serve(args) -> int:
    from .server import serve
    make = make_factory(args)

    def ready(endpoint, server):
        print(f"yendor-env ready endpoint={endpoint} num_envs={server.num_envs} fingerprint={server.spec.fingerprint}",
              flush=True)

    import zmq
    try:
        serve(make, args.num_envs, args.bind, seed=args.seed, caption=_caption(args.caption), crop_size=args.crop_size,
              caption_bytes=args.caption_bytes, task=args.task, ignore=args.ignore_key, ready=ready,
              parent_pid=args.parent_pid)
    except zmq.ZMQError as e:
        print(f"yendor-env: ZeroMQ: {e} (endpoint {args.bind})", file=sys.stderr)
        return 2
    return 0


def cmd_spec(args) -> int:
    from .inference import infer
    env = make_factory(args)()
    try:
        c = infer(env, caption=_caption(args.caption), crop_size=args.crop_size, caption_bytes=args.caption_bytes,
                  task=args.task, ignore=args.ignore_key)
    finally:
        env.close()
    print(c.spec.fingerprint)
    print(f"task={c.task}")
    print(c.description)
    return 0


def cmd_bench(args) -> int:
    """Steps/s of N envs in a plain Python loop and of the same envs served by `yendor-env serve` and
    stepped by a pyzmq client (this process), alternating, in the same run."""
    from .client import EnvClient
    make = make_factory(args)
    n, steps = args.num_envs, args.steps
    rng = np.random.default_rng(args.seed)

    def plain() -> float:
        envs = [make() for _ in range(n)]
        for i, e in enumerate(envs):
            e.reset(seed=args.seed + i)
        count = envs[0].action_space.n
        actions = rng.integers(0, count, size=(steps, n))
        t = time.perf_counter()
        for s in range(steps):
            for i, e in enumerate(envs):
                _, _, term, trunc, _ = e.step(int(actions[s, i]))
                if term or trunc:
                    e.reset()
        dt = time.perf_counter() - t
        for e in envs:
            e.close()
        return steps * n / dt

    cmd = [sys.executable, "-m", "yendor_env", "serve", "--env", args.env, "--num-envs", str(n),
           "--bind", "tcp://127.0.0.1:*", "--caption", args.caption]
    if args.crop_size is not None:
        cmd += ["--crop-size", str(args.crop_size)]
    for k in args.env_arg:
        cmd += ["--env-arg", k]
    for m in args.imports:
        cmd += ["--import", m]
    import re
    import tempfile
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = proc.stdout.readline()
        if "endpoint=" not in line:
            raise SystemExit(f"yendor-env bench: the server did not start: {line!r}")
        endpoint = line.split("endpoint=", 1)[1].split()[0]
        client = EnvClient(endpoint, timeout=120)

        served_wall = [0.0]

        def served() -> float:
            spec = client.open(seed=args.seed)
            count = spec.spec.action_count
            actions = rng.integers(0, count, size=(steps, n), dtype=np.int32)
            t = time.perf_counter()
            for s in range(steps):
                client.step(actions[s])
            dt = time.perf_counter() - t
            served_wall[0] += dt
            return steps * n / dt

        def in_process() -> float:
            from . import wire
            from .server import EnvServer
            server = EnvServer(make, n, log=lambda line: None, caption=_caption(args.caption), crop_size=args.crop_size)
            server.handle(wire.encode(wire.EnvOpen(0, args.seed)))
            actions = rng.integers(0, server.spec.action_count, size=(steps, n), dtype=np.int32)
            t = time.perf_counter()
            for s in range(steps):
                server.handle(wire.encode(wire.EnvStep(s, actions[s])))
            dt = time.perf_counter() - t
            server.close()
            return steps * n / dt

        results = {"plain": [], "server": [], "served": []}
        for r in range(args.repeats):
            results["plain"].append(plain())
            results["server"].append(in_process())
            results["served"].append(served())
            print(f"round {r + 1}: plain {results['plain'][-1]:,.0f}, server in process {results['server'][-1]:,.0f}, "
                  f"served {results['served'][-1]:,.0f} steps/s", flush=True)
        p, i, s = (float(np.mean(results[k])) for k in ("plain", "server", "served"))
        print(f"{args.env} x {n} envs, {steps} batched steps per round, {args.repeats} rounds (means):\n"
              f"  plain Python loop                          {p:9,.0f} steps/s\n"
              f"  EnvServer.handle in process (no transport) {i:9,.0f} steps/s ({(i / p - 1) * 100:+.1f}%)\n"
              f"  served: yendor-env serve + pyzmq client    {s:9,.0f} steps/s ({(s / p - 1) * 100:+.1f}%)")
        client.close_envs()
        client.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    log.seek(0)
    m = re.search(r"busy ([0-9.]+) s", log.read())
    if m:
        busy = float(m.group(1))  # includes the EnvOpens (resets) and EnvClose
        print(f"  server process busy {busy:.1f} s of {served_wall[0]:.1f} s served wall time (stepping rounds only); "
              f"the rest is the pyzmq client and the transport")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="yendor-env", description="Gymnasium environments served to Yendor's workers")
    sub = parser.add_subparsers(dest="command", required=True)
    # No abbreviated options: `yendor train --serve-arg` refuses the ones train sets itself by name.
    p = sub.add_parser("serve", help="host N envs on a ZeroMQ ROUTER and answer one Yendor worker", allow_abbrev=False)
    _add_env_options(p)
    p.add_argument("--num-envs", type=int, default=16)
    p.add_argument("--bind", default="tcp://*:5600", help="ZeroMQ endpoint (tcp://HOST:PORT, ipc://PATH; port * = any)")
    p.add_argument("--seed", type=int, default=0, help="added to the worker's EnvOpen seed (default 0)")
    p.add_argument("--parent-pid", type=int, default=None, metavar="PID",
                   help="stop when this process, the one that started the server, is gone (yendor train passes its own)")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("spec", help="print the observation spec inferred for an env")
    _add_env_options(p)
    p.set_defaults(func=cmd_spec)
    p = sub.add_parser("bench", help="steps/s: plain Python loop vs served through yendor-env serve, same run")
    _add_env_options(p)
    p.add_argument("--num-envs", type=int, default=16)
    p.add_argument("--steps", type=int, default=500, help="batched steps per round")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_bench)
    args = parser.parse_args(argv)
    try:
        from gymnasium.error import Error as GymError
    except ImportError:  # pragma: no cover
        GymError = ValueError
    try:
        return args.func(args)
    except KeyboardInterrupt:
        # SIGINT before the server takes the signals over (while the envs are made): a stop asked
        # for, not an error, so no traceback.
        print("yendor-env: stopped (SIGINT) before serving", file=sys.stderr)
        return 0
    except (ValueError, ImportError, GymError) as e:
        # spec errors, unknown env ids, bad options: one clear line, no traceback
        if os.environ.get("YENDOR_ENV_TRACEBACK"):
            raise
        print(f"yendor-env: {type(e).__name__}: {e}", file=sys.stderr)
        if type(e).__name__ in ("NameNotFound", "NamespaceNotFound", "VersionNotFound") and ":" not in args.env:
            # Gymnasium knows only the ids registered by what was imported.
            print("yendor-env: an env registered by a module of your own needs that module imported: "
                  f"--env MODULE:{args.env} or --import MODULE (with `yendor train`: --env gym:MODULE:{args.env}), "
                  "the module on PYTHONPATH", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
