"""`yendor-plot`: curves from run directories' metrics.jsonl, averaged over seeds, as an SVG."""
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

from yendor_env import plot

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts")


def run_dir(tmp_path, name, rows):
    d = tmp_path / name
    d.mkdir()
    with open(d / "metrics.jsonl", "w") as f:
        for steps, value in rows:
            f.write(json.dumps({"time": steps / 1000, "env_steps": steps, "rollout/success_rate": value}) + "\n")
        f.write("not json: a line cut by a crash is skipped\n")
    return str(d)


def points(svg_text, tag):
    root = ET.fromstring(svg_text)
    shapes = [e for e in root.iter() if e.tag.endswith(tag)]
    return [[tuple(float(v) for v in p.split(",")) for p in s.get("points").split()] for s in shapes]


def test_two_seeds_are_averaged_and_drawn_with_their_band(tmp_path):
    a = run_dir(tmp_path, "a", [(0, 0.0), (1000, 1.0)])
    b = run_dir(tmp_path, "b", [(0, 0.0), (1000, 0.5)])
    out = tmp_path / "curve.svg"
    plot.main_with(["--out", str(out), f"oni={a},{b}"])
    text = out.read_text()
    assert "oni (2 seeds)" in text
    [line] = points(text, "polyline")
    [band] = points(text, "polygon")
    assert len(line) == 101 and len(band) == 202
    # the y axis spans 0 (bottom, y=370) to 1 (top, y=40); the mean ends at 0.75, the band at 0.5 and 1
    bottom, top = 370.0, 40.0
    assert line[0][1] == bottom
    assert abs(line[-1][1] - (bottom + (top - bottom) * 0.75)) < 0.1
    assert abs(band[100][1] - top) < 0.1 and abs(band[101][1] - (bottom + (top - bottom) * 0.5)) < 0.1


def test_the_script_runs_without_installing_anything(tmp_path):
    a = run_dir(tmp_path, "a", [(0, 0.2), (500, 0.4)])
    out = tmp_path / "s.svg"
    done = subprocess.run([sys.executable, "-S", os.path.join(SCRIPTS, "plot_curves.py"), "--out", str(out), f"x={a}"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert re.search(r"x \(1 seed\)", out.read_text())


def test_no_data_is_an_error_naming_the_metric(tmp_path):
    a = run_dir(tmp_path, "a", [(0, 0.2)])
    try:
        plot.main_with(["--out", str(tmp_path / "n.svg"), "--metric", "learner/loss/policy", f"x={a}"])
    except SystemExit as e:
        assert "learner/loss/policy" in str(e)
    else:
        raise AssertionError("no error")


def test_a_resumed_run_is_read_as_the_timeline_it_resumed():
    # Crashed at 3000 after a checkpoint at 2000: the resumed run's records replace the lost ones.
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "metrics.jsonl"), "w") as f:
            for steps, value in [(0, 0.0), (1000, 0.1), (2000, 0.2), (3000, 0.9), (2000, 0.2), (2500, 0.3), (4000, 0.5)]:
                f.write(json.dumps({"env_steps": steps, "rollout/success_rate": value}) + "\n")
        assert plot.read(d, "rollout/success_rate", "env_steps") == [
            (0.0, 0.0), (1000.0, 0.1), (2000.0, 0.2), (2000.0, 0.2), (2500.0, 0.3), (4000.0, 0.5)]
        assert plot.interpolate(plot.read(d, "rollout/success_rate", "env_steps"), 3000) == 0.3 + 0.2 * 500 / 1500
