"""scripts/bench_vs_sf_report.py: the ceiling a machine sets for a network, checked against hand-computed values."""
import math

import repository_scripts


def load():
    return repository_scripts.load("bench_vs_sf_report")


def test_the_ceiling_adds_the_matrix_products_time_and_the_games_time_per_step():
    r = load()
    # 4 MFLOP at 200 GFLOP/s: 20 us; a game at 100K steps/s per core on 2 cores: 5 us; 25 us per step.
    assert math.isclose(r.ceiling(4e6, 200e9, 100_000, 2), 40_000)


def test_the_share_of_the_peak_needed_is_what_is_left_after_the_games():
    r = load()
    # 32,000 steps/s leaves 31.25 us per step; minus 5 us of games, 26.25 us for 20 us of work at peak.
    assert math.isclose(r.share_of_peak_needed(32_000, 4e6, 200e9, 100_000, 2), 20 / 26.25)
    # 50,000 steps/s leaves 20 - 5 = 15 us for 20 us of work: more than the peak.
    assert r.share_of_peak_needed(50_000, 4e6, 200e9, 100_000, 2) > 1
    # Games alone at 200K steps/s leave no time at all.
    assert r.share_of_peak_needed(250_000, 4e6, 200e9, 100_000, 2) == math.inf


def test_the_limits_are_read_from_the_benchmarks_own_output():
    r = load()
    sgemm = """yendor bench learner — default policy on the Dungeon's observations: 1116566 parameters, 3.91 MFLOP forward per sample
OPENBLAS_CORETYPE=Haswell, cores: 2

threads  measure      batch      samples/s    GFLOP/s  % of peak
1        sgemm         1024              -      130.1          -
2        sgemm         1024              -      256.2          -
2        train         1024          11258      132.0        52%
2        appo-train    1024          10907      131.9        51%
2        inference       64          36937      144.3        56%
"""
    games = """NLE env benchmark: task score, random actions, one core, 300000 steps per measurement, 1 round
round 1: Yendor-hosted   110853 steps/s   nle Python env    70852 steps/s   ratio 1.56
median:  Yendor-hosted   110853 steps/s   nle Python env    70852 steps/s   ratio 1.56x
"""
    limits = r.machine_limits(sgemm, games)
    assert limits == dict(threads=2, peak=256.2e9, game_rate=110853.0, games_in_turn=None, game_rate_in_turn=None,
                          train_share=0.52, inference_share=0.56)
    # With --vector: the second median row is the games stepped in turn; the first stays one game alone.
    in_turn = """NLE env benchmark: task score, random actions, one core, 100000 steps per measurement, 1 round
1 game:
round 1: Yendor-hosted    91531 steps/s   nle Python env    64982 steps/s   ratio 1.41
median:  Yendor-hosted    91531 steps/s   nle Python env    64982 steps/s   ratio 1.41x   (Yendor 10.9 us per step)
32 games, stepped in turn:
round 1: Yendor-hosted    42114 steps/s   nle Python env    27828 steps/s   ratio 1.51
median:  Yendor-hosted    42114 steps/s   nle Python env    27828 steps/s   ratio 1.51x   (Yendor 23.7 us per step)
"""
    limits = r.machine_limits(sgemm, in_turn)
    assert (limits["game_rate"], limits["games_in_turn"], limits["game_rate_in_turn"]) == (91531.0, 32, 42114.0)


def test_the_ceiling_takes_the_games_at_what_they_cost_while_training_when_the_run_said():
    r = load()
    limits = dict(threads=2, peak=200e9, game_rate=400_000.0, train_share=None, inference_share=None)
    # 1 MFLOP forward: 4 MFLOP per env step, 20 us at the peak; games at 10 us per step on 2 cores: 5 us.
    out = r.print_ceiling(1.0, 8_000, limits, training_game_us=10.0)
    assert math.isclose(out["ceiling_sps"], 40_000)
    assert out["game_rate_per_core"] == 100_000 and out["game_rate_alone_per_core"] == 400_000
    # Without the run's figure, bench env's single game: 1.25 us per step on 2 cores.
    assert math.isclose(r.print_ceiling(1.0, 8_000, limits, training_game_us=None)["ceiling_sps"], 1 / 21.25e-6)


def test_the_ceiling_line_names_the_games_stepped_in_turn_when_bench_env_measured_them(capsys):
    r = load()
    limits = dict(threads=2, peak=200e9, game_rate=400_000.0, games_in_turn=32, game_rate_in_turn=150_000.0,
                  train_share=None, inference_share=None)
    out = r.print_ceiling(1.0, 8_000, limits, training_game_us=10.0)
    assert out["game_rate_in_turn_per_core"] == 150_000
    assert "one game alone, random actions: 400,000; 32 stepped in turn, no network: 150,000" in capsys.readouterr().out
