"""Plots learning curves from Yendor run directories as an SVG (no third-party packages needed).

    yendor-plot --metric rollout/success_rate --out docs/img/curve.svg \
        "none=runs/a,runs/b" "retrieval=runs/c,runs/d"

(`yendor-plot` is installed into .venv by `make deps`; `python3 scripts/plot_curves.py …` runs the
same code without installing anything.) Any metric of `metrics.jsonl` works, against `env_steps` or
another column (`--x time`: seconds since the run's first record, as `time` is a Unix time).

Each argument is LABEL=RUN_DIR[,RUN_DIR...]; runs with the same label are averaged (mean over seeds
at each env-step, by linear interpolation) and drawn with a band from their min to their max.
"""
import argparse
import json
import math
import os
from xml.sax.saxutils import escape

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def read(run, metric, x_key):
    points = []
    start = None
    with open(os.path.join(run, "metrics.jsonl")) as f:
        for line in f:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if x_key == "time" and start is None and rec.get("time") is not None:
                # Unix seconds: from 0 to the run's start would squeeze the curve to the right edge,
                # and seeds started at different times would not line up. The run's first record,
                # not the metric's: a metric first set late starts late.
                start = float(rec["time"])
            resumed = rec.get("resumed_at_env_steps")
            if resumed is not None and x_key == "env_steps":
                # The learner resumed from a checkpoint taken at this step: points beyond it describe
                # training lost with the crash (its records may all lie below the resumed session's).
                while points and points[-1][0] > float(resumed):
                    points.pop()
            if rec.get(metric) is not None and rec.get(x_key) is not None:
                x = float(rec[x_key])
                if x_key == "time":
                    x -= start
                # A resume from a checkpoint goes back in env steps: the points beyond it describe
                # training lost with the crash, and the resumed run's points replace them.
                while points and points[-1][0] > x:
                    points.pop()
                points.append((x, float(rec[metric])))
    return points


def columns_of(run):
    """The metric names a run's metrics.jsonl has (for saying what there is when a metric is not)."""
    names = set()
    with open(os.path.join(run, "metrics.jsonl")) as f:
        for line in f:
            try:
                names.update(json.loads(line).keys())
            except ValueError:
                continue
    return names


def interpolate(points, x):
    if not points:
        return None
    if x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]


#: Units of the x tick labels, largest first: (size, suffix, the smallest axis that uses it).
NUMBER_UNITS = [(1e9, "B", 1e9), (1e6, "M", 1e6), (1e3, "K", 1e4), (1, "", 0)]
TIME_UNITS = [(3600, " h", 3 * 3600), (60, " min", 3 * 60), (1, " s", 0)]


def nice_step(span, intervals=6):
    """The smallest 1, 2 or 5 × 10^k that cuts `span` into at most `intervals` pieces."""
    raw = span / intervals
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))


def x_ticks(xmax, time=False):
    """[(value, label)] at multiples of a nice step from 0 to xmax. The unit comes from the axis' length
    and the decimals from the step, so consecutive labels always differ (100K steps: 0, 20K, …, 100K)."""
    unit, suffix = next((u, s) for u, s, least in (TIME_UNITS if time else NUMBER_UNITS) if xmax >= least)
    step = nice_step(xmax / unit) * unit
    decimals = max(0, -math.floor(math.log10(step / unit) + 1e-9))
    values = [i * step for i in range(int(xmax / step + 1e-9) + 1)]
    return [(v, "0" if i == 0 else f"{v / unit:.{decimals}f}{suffix}") for i, v in enumerate(values)]


def main():
    main_with(None)


def main_with(argv):
    """`main` with explicit arguments (None: the command line)."""
    ap = argparse.ArgumentParser(prog="yendor-plot", description=__doc__.splitlines()[0])
    ap.add_argument("series", nargs="+", help="LABEL=RUN_DIR[,RUN_DIR...]: one curve, the mean over its runs (seeds)")
    ap.add_argument("--metric", default="rollout/success_rate",
                    help="a metrics.jsonl column (default rollout/success_rate; score tasks have rollout/mean_return)")
    ap.add_argument("--x", default="env_steps", help="x axis: env_steps (default), time, or another column")
    ap.add_argument("--title", default="", help="title (default: the metric)")
    ap.add_argument("--out", required=True, help="SVG file to write")
    args = ap.parse_args(argv)

    curves = []
    for spec in args.series:
        label, sep, runs = spec.partition("=")
        if not sep or not label or not runs:
            ap.error(f"{spec!r}: a series is LABEL=RUN_DIR[,RUN_DIR...]")
        missing = [r for r in runs.split(",") if not os.path.isfile(os.path.join(r, "metrics.jsonl"))]
        if missing:
            ap.error(f"{label}: no metrics.jsonl in {', '.join(missing)} (give yendor run directories)")
        data = [read(r, args.metric, args.x) for r in runs.split(",")]
        data = [d for d in data if d]
        if not data:
            continue
        # A curve spans what all its runs cover (the mean needs them all): from the latest first
        # point, not from 0 (no value before any record), to the shortest run's end, said if cut.
        xmin, xmax = max(d[0][0] for d in data), min(d[-1][0] for d in data)
        if xmin > xmax:
            print(f"{label}: left out, its runs do not overlap in {args.x} (one ends at {xmax:g} before another starts at {xmin:g}): "
                  "give them labels of their own")
            continue
        longest = max(d[-1][0] for d in data)
        if longest > 1.05 * xmax:  # seeds end a few records apart; a cut worth saying is larger
            print(f"{label}: drawn to {args.x} {xmax:g}, where the shortest of its {len(data)} runs ends (the longest goes to {longest:g})")
        xs = [xmin + (xmax - xmin) * i / 100 for i in range(101)]
        ys = [[interpolate(d, x) for d in data] for x in xs]
        curves.append((label, xs, [sum(v) / len(v) for v in ys], [min(v) for v in ys], [max(v) for v in ys], len(data)))
    if not curves:
        columns = sorted({k for spec in args.series for r in spec.partition("=")[2].split(",") for k in columns_of(r)})
        raise SystemExit(f"no data: no run has both {args.metric} and {args.x} in its metrics.jsonl "
                         f"(its columns: {', '.join(c for c in columns if '/' in c) or 'none'})")

    W, H, L, R, T, B = 720, 420, 70, 170, 40, 50
    xmax = max(c[1][-1] for c in curves)
    if not xmax > 0:  # one point per run, or a column never above 0: an axis of 1 rather than a division by 0
        xmax = 1
    ymin = min(min(c[3]) for c in curves)
    ymax = max(max(c[4]) for c in curves)
    if ymax == ymin:
        ymax = ymin + 1
    sx = lambda x: L + (W - L - R) * x / xmax
    sy = lambda y: H - B - (H - T - B) * (y - ymin) / (ymax - ymin)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W/2}" y="22" text-anchor="middle" font-size="15">{escape(args.title or args.metric)}</text>',
           f'<line x1="{L}" y1="{H-B}" x2="{W-R}" y2="{H-B}" stroke="black"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H-B}" stroke="black"/>']
    for x, label in x_ticks(xmax, time=args.x == "time"):
        out.append(f'<text class="x-tick" x="{sx(x)}" y="{H-B+18}" text-anchor="middle">{label}</text>')
    for i in range(6):
        y = ymin + (ymax - ymin) * i / 5
        out.append(f'<text x="{L-6}" y="{sy(y)+4}" text-anchor="end">{y:.2f}</text>')
        out.append(f'<line x1="{L}" y1="{sy(y)}" x2="{W-R}" y2="{sy(y)}" stroke="#ddd"/>')
    x_title = "time since the run's start" if args.x == "time" else args.x
    out.append(f'<text x="{(L+W-R)/2}" y="{H-12}" text-anchor="middle">{escape(x_title)}</text>')
    for k, (label, xs, mean, lo, hi, n) in enumerate(curves):
        c = COLORS[k % len(COLORS)]
        band = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, hi)) + " " + \
               " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in reversed(list(zip(xs, lo))))
        out.append(f'<polygon points="{band}" fill="{c}" fill-opacity="0.15" stroke="none"/>')
        line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, mean))
        out.append(f'<polyline points="{line}" fill="none" stroke="{c}" stroke-width="2"/>')
        out.append(f'<text x="{W-R+10}" y="{T+20+18*k}" fill="{c}">{escape(label)} ({n} seed{"s" if n > 1 else ""})</text>')
    out.append("</svg>")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
