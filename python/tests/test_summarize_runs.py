"""scripts/summarize_runs.py: the table of runs' final figures, with what a run did not record shown as "-"."""
import json

import repository_scripts


def load():
    return repository_scripts.load("summarize_runs")


def run_dir(tmp_path, name, rows):
    d = tmp_path / name
    d.mkdir()
    with open(d / "metrics.jsonl", "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    return str(d)


def test_a_run_without_a_success_rate_shows_a_dash_and_a_gauge_is_read_where_it_was_last_set(tmp_path, capsys):
    # A score task records no success rate; the last record (a resume's first) has no sparsity yet.
    score = run_dir(tmp_path, "score", [{"env_steps": 0, "rollout/episodes": 0},
                                        {"env_steps": 300, "rollout/episodes": 2, "rewards/sparsity": 0.5, "rollout/sps": 100},
                                        {"env_steps": 600, "rollout/episodes": 3}])
    stairs = run_dir(tmp_path, "stairs", [{"env_steps": 0},
                                          {"env_steps": 300, "rollout/success_rate": 0.2, "rollout/episodes": 5},
                                          {"env_steps": 600, "rollout/success_rate": 0.4, "rollout/episodes": 9}])
    load().main([score, stairs])
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "| score | 600 | - | - | 3 | 100 | 0 | 0.5000 |"
    assert lines[3] == "| stairs | 600 | 0.400 | 0.400 | 9 | 0 | 0 | - |"


def test_the_mean_rate_counts_the_intervals_that_collected_nothing(tmp_path, capsys):
    # A learner's first update or a full queue: records with 0 env steps/s are part of the run's rate.
    run = run_dir(tmp_path, "slow", [{"env_steps": 0, "rollout/sps": 0}, {"env_steps": 1024, "rollout/sps": 1024},
                                     {"env_steps": 1024, "rollout/sps": 0}, {"env_steps": 2048, "rollout/sps": 512}])
    load().main([run])
    assert capsys.readouterr().out.splitlines()[2].split(" | ")[5] == "384"
