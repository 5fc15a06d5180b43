import math

import numpy as np
import pytest

from reconstruct.metrics_rods import angle_difference, count_turns, score_rods
from tests.reconstruct.records import estimate_from, truth_rows, write


@pytest.mark.parametrize("a, b, expected", [
    (0.3 + 2 * math.pi, 0.3, 0.0),
    (0.3 - 4 * math.pi, 0.3, 0.0),
    (3.0, -3.0, 6.0 - 2 * math.pi),
    (-3.0, 3.0, 2 * math.pi - 6.0),
    (0.1, 0.0, 0.1),
    (0.0, 0.1, -0.1),
])
def test_angle_difference_is_the_smallest_signed_one(a, b, expected):
    assert angle_difference(a, b) == pytest.approx(expected, abs=1e-12)


def test_rod_errors_per_rod_and_overall(tmp_path, german):
    truth = truth_rows(german, n=20)
    est = estimate_from(truth)
    for r in est:
        r["rod2_shift"] += 0.002  # 2 mm
        r["rod5_angle"] += 2 * math.pi  # the same angle, one turn on
        r["rod7_angle"] -= math.radians(4.0)
    for r in est[:5]:
        r["rod0_shift"] = None  # unknown: scored over the rest
    rep = score_rods(write(tmp_path / "t", german, truth),
                     write(tmp_path / "e", german, est, truth=False))
    rod = rep.rods
    assert rod[2].shift_mm.mean == pytest.approx(2.0, abs=1e-3)
    assert rod[2].shift_mm.p95 == pytest.approx(2.0, abs=1e-3)
    assert rod[5].angle_deg.mean == pytest.approx(0.0, abs=1e-3)
    assert rod[7].angle_deg.mean == pytest.approx(4.0, abs=1e-3)
    assert rod[0].coverage == pytest.approx(0.75) and rod[0].shift_mm.n == 15
    assert rod[1].coverage == 1.0
    assert rep.shift_mm.n == 8 * 20 - 5
    assert rep.shift_mm.mean == pytest.approx(2.0 * 20 / rep.shift_mm.n, abs=1e-4)
    assert rep.angle_deg.mean == pytest.approx(4.0 * 20 / (8 * 20), abs=1e-4)
    assert [r.team for r in rod] == [german_team(german, i) for i in range(8)]


def german_team(table, i):
    return ("red", "blue")[table.rods[i].side]


def test_turns_are_counted_and_swings_are_not():
    t = np.linspace(0.0, 1.0, 1001)
    assert count_turns(3.02 * 2 * math.pi * t) == (3, 0)  # three forward spins
    assert count_turns(-2.5 * 2 * math.pi * t + 0.3) == (0, 2)
    assert count_turns(np.array([0.0, 5.1 * math.pi])) == (2, 0)  # a jump of 2.5 turns
    swing = 0.98 * math.pi * np.sin(2 * math.pi * 10 * t)  # men up and down, never round
    rng = np.random.default_rng(0)
    assert count_turns(swing + rng.normal(0, 0.01, len(t))) == (0, 0)
    # 1.1 turns forward, then 2.1 back
    there_and_back = np.concatenate([np.linspace(0, 2.2 * math.pi, 50),
                                     np.linspace(2.2 * math.pi, -2.0 * math.pi, 100)])
    assert count_turns(there_and_back) == (1, 2)
    assert count_turns(np.array([np.nan, 0.0, np.nan, 2.01 * math.pi])) == (1, 0)


def test_spins_counted_per_rod_and_wrapped_estimates_score_no_error(tmp_path, german):
    truth = truth_rows(german, n=60)
    for i, r in enumerate(truth):
        r["rod3_angle"] = 2.05 * 2 * math.pi * i / 59  # two full turns and a bit
    est = estimate_from(truth)
    for r in est:
        r["rod3_angle"] = float(angle_difference(r["rod3_angle"], 0.0))  # wrapped to [-pi, pi)
    rep = score_rods(write(tmp_path / "t", german, truth),
                     write(tmp_path / "e", german, est, truth=False))
    assert rep.rods[3].spins_truth == 2 and rep.rods[3].spins_estimate == 0
    assert rep.rods[3].angle_deg.p95 == pytest.approx(0.0, abs=1e-3)
    assert rep.spins_truth == 2
