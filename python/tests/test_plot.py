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


def test_a_resume_marker_drops_the_lost_records_that_lie_below_the_resumed_sessions_first():
    # Checkpoint at 2000, lost records at 2100 and 2200, the resumed session's first record at 2600:
    # without the learner's marker (resumed_at_env_steps) 2100 and 2200 stood, TensorBoard drops them.
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "metrics.jsonl"), "w") as f:
            for rec in [{"env_steps": 1000, "m": 0.1}, {"env_steps": 2000, "m": 0.2}, {"env_steps": 2100, "m": 0.9},
                        {"env_steps": 2200, "m": 0.9}, {"env_steps": 2000, "resumed_at_env_steps": 2000},
                        {"env_steps": 2600, "m": 0.3}]:
                f.write(json.dumps(rec) + "\n")
        assert plot.read(d, "m", "env_steps") == [(1000.0, 0.1), (2000.0, 0.2), (2600.0, 0.3)]


def test_labels_and_titles_are_escaped_and_bad_series_are_said_without_a_traceback(tmp_path, capsys):
    a = run_dir(tmp_path, "a", [(0, 0.0), (1000, 1.0)])
    out = tmp_path / "curve.svg"
    plot.main_with(["--out", str(out), "--title", "return <score> & more", f"A&B <1>={a}"])
    root = ET.fromstring(out.read_text())  # well-formed XML
    texts = [e.text for e in root.iter() if e.text]
    assert "return <score> & more" in texts and "A&B <1> (1 seed)" in texts
    for bad, said in [("no-equals-sign", "a series is LABEL=RUN_DIR"), (f"x={tmp_path}/nope", "no metrics.jsonl in")]:
        try:
            plot.main_with(["--out", str(out), bad])
            raise AssertionError("accepted " + bad)
        except SystemExit as e:
            assert e.code == 2
        assert said in capsys.readouterr().err


def test_a_curve_spans_what_all_its_runs_cover_and_says_when_it_is_cut(tmp_path, capsys):
    a = run_dir(tmp_path, "a", [(200, 0.0), (1000, 1.0)])
    b = run_dir(tmp_path, "b", [(100, 0.0), (2000, 1.0)])
    out = tmp_path / "curve.svg"
    plot.main_with(["--out", str(out), f"ab={a},{b}"])
    [line] = points(out.read_text(), "polyline")
    # x axis 0..1000 over pixels 70..550: the curve starts at 200 (no value before a's first record)
    assert line[0][0] == 70 + 480 * 200 / 1000 and line[-1][0] == 550.0
    assert "ab: drawn to env_steps 1000, where the shortest of its 2 runs ends (the longest goes to 2000)" in capsys.readouterr().out
    # Runs that do not overlap make no curve of their mean: said, and left out.
    c = run_dir(tmp_path, "c", [(1500, 0.0), (3000, 1.0)])
    plot.main_with(["--out", str(out), f"ab={a},{b}", f"ac={a},{c}"])
    assert "ac: left out, its runs do not overlap in env_steps" in capsys.readouterr().out
    assert "ac (" not in out.read_text() and "ab (2 seeds)" in out.read_text()


def x_tick_labels(svg_text):
    root = ET.fromstring(svg_text)
    return [(float(e.get("x")), e.text) for e in root.iter() if e.get("class") == "x-tick"]


def label_value(label):
    scale = {"K": 1e3, "M": 1e6, "B": 1e9, " s": 1, " min": 60, " h": 3600}
    for suffix, size in scale.items():
        if label.endswith(suffix):
            return float(label[: -len(suffix)]) * size
    return float(label)


def check_x_ticks(svg_text, xmax):
    """Distinct labels, each the value at its position on the axis (x=70 is 0, x=550 is xmax)."""
    ticks = x_tick_labels(svg_text)
    labels = [label for _, label in ticks]
    assert len(ticks) >= 3 and len(set(labels)) == len(labels), labels
    for x, label in ticks:
        assert abs(label_value(label) - (x - 70) / 480 * xmax) <= 1e-9 * xmax, (label, x)
    return labels


def test_x_tick_labels_are_distinct_and_read_as_their_values_at_any_scale(tmp_path):
    for xmax, expected in [(300, ["0", "50", "100", "150", "200", "250", "300"]),
                           (100_000, ["0", "20K", "40K", "60K", "80K", "100K"]),
                           (3_000_000, ["0", "0.5M", "1.0M", "1.5M", "2.0M", "2.5M", "3.0M"])]:
        a = run_dir(tmp_path, f"run{xmax}", [(0, 0.0), (xmax // 3, 0.5), (xmax, 1.0)])
        out = tmp_path / f"{xmax}.svg"
        plot.main_with(["--out", str(out), f"a={a}"])
        assert check_x_ticks(out.read_text(), xmax) == expected


def test_the_time_axis_counts_from_the_runs_start_in_time_units(tmp_path):
    # `time` is Unix seconds: two seeds started a day apart, each running for two hours.
    runs = []
    for k, start in enumerate([1.7e9, 1.7e9 + 86400]):
        d = tmp_path / f"seed{k}"
        d.mkdir()
        with open(d / "metrics.jsonl", "w") as f:
            for minute in range(0, 121, 10):
                f.write(json.dumps({"time": start + 60 * minute, "rollout/success_rate": minute / 120}) + "\n")
        runs.append(str(d))
    out = tmp_path / "time.svg"
    plot.main_with(["--out", str(out), "--x", "time", f"a={','.join(runs)}"])
    text = out.read_text()
    assert check_x_ticks(text, 7200) == ["0", "20 min", "40 min", "60 min", "80 min", "100 min", "120 min"]
    [line] = points(text, "polyline")
    # the seeds line up: their mean climbs from 0 at the left edge (y=370) to 1 at the right (y=40)
    assert line[0] == (70.0, 370.0) and line[-1] == (550.0, 40.0)


def test_a_metric_first_recorded_late_starts_late_on_the_time_axis(tmp_path):
    # The run starts at minute 0; its success rate is first recorded at minute 60 of 120.
    d = tmp_path / "late"
    d.mkdir()
    with open(d / "metrics.jsonl", "w") as f:
        for minute in range(0, 121, 10):
            row = {"time": 1.7e9 + 60 * minute}
            if minute >= 60:
                row["rollout/success_rate"] = 0.5
            f.write(json.dumps(row) + "\n")
    out = tmp_path / "late.svg"
    plot.main_with(["--out", str(out), "--x", "time", f"a={d}"])
    # its last point is at minute 120 of the run, not at minute 60 of its own
    assert check_x_ticks(out.read_text(), 7200)[-1] == "120 min"
