"""The quick benchmark against its committed baseline, and the comparison itself."""

import copy
import json

import pytest

from reconstruct.bench import BASELINE, QUICK_MATCH, bench, suite, write_results
from reconstruct.bench_baseline import read_json, regressions


def _doc(**headline):
    row = {"f1": 0.95, "median_mm": 2.0, "amodal_median_mm": 12.0, "shift_mae_mm": 1.0,
           "angle_mae_deg": 3.0, "goal_precision": 1.0, "goal_recall": 1.0,
           "kick_precision": 0.8, "kick_recall": 0.7, "fps": 200.0}
    row.update(headline)
    return {"suite": "quick", "calibration": "auto",
            "cases": [{"case": "clean@1-s11-6s", "error": None, "headline": row}]}


def test_equal_runs_have_no_regression():
    assert regressions(_doc(), _doc()) == []


def test_better_figures_and_slower_speed_are_no_regression():
    new = _doc(f1=0.99, median_mm=1.0, fps=10.0)
    assert regressions(new, _doc()) == []


def test_lower_f1_beyond_tolerance_is_a_regression():
    found = regressions(_doc(f1=0.90), _doc())
    assert len(found) == 1 and "f1" in found[0]
    assert regressions(_doc(f1=0.93), _doc()) == []  # within 0.03


def test_larger_error_beyond_relative_tolerance_is_a_regression():
    # median 2.0 mm: limit 2.0 + 0.3 + 0.15 * 2.0 = 2.6 mm
    assert regressions(_doc(median_mm=2.55), _doc()) == []
    assert any("median_mm" in f for f in regressions(_doc(median_mm=2.7), _doc()))


def test_a_lost_goal_is_a_regression():
    assert any("goal_recall" in f for f in regressions(_doc(goal_recall=0.5), _doc()))


def test_undefined_baseline_figure_is_skipped_and_undefined_new_figure_is_not():
    assert regressions(_doc(goal_recall=None), _doc(goal_recall=None)) == []
    assert any("undefined" in f for f in regressions(_doc(goal_recall=None), _doc()))


def test_failed_or_missing_case_is_a_regression_unless_it_failed_in_the_baseline():
    failed = copy.deepcopy(_doc())
    failed["cases"][0].update(error="calibration failed: x", headline=None)
    assert any("calibration failed" in f for f in regressions(failed, _doc()))
    assert regressions(failed, failed) == []
    empty = dict(_doc(), cases=[])
    assert any("not run" in f for f in regressions(empty, _doc()))


def test_a_case_the_baseline_does_not_hold_is_reported():
    new = copy.deepcopy(_doc())
    new["cases"].append(dict(new["cases"][0], case="clean@1-s492-3s"))
    found = regressions(new, _doc())
    assert len(found) == 1 and "clean@1-s492-3s: not in the baseline" in found[0]


def test_the_baseline_holds_every_case_of_the_quick_suite():
    keys = [c.key() for c in suite("quick")]
    assert len(set(keys)) == len(keys) == 11  # ten scenarios of seed 11 and QUICK_MATCH
    assert suite("quick")[-1] == QUICK_MATCH
    assert [c["case"] for c in read_json(BASELINE)["cases"]] == keys


def test_different_calibration_modes_are_not_compared():
    other = dict(_doc(), calibration="truth")
    assert regressions(other, _doc()) and "calibration" in regressions(other, _doc())[0]


def test_quick_suite_does_not_fall_below_the_committed_baseline(tmp_path):
    """The whole quick suite, filmed afresh, tracked and scored: no figure may fall below
    the committed baseline beyond its tolerance (``reconstruct.bench_baseline``)."""
    baseline = read_json(BASELINE)
    assert baseline["suite"] == "quick" and baseline["cases"]
    results = bench("quick", tmp_path / "out", tmp_path / "cache",
                    baseline["calibration"], progress=False)
    doc = json.loads(write_results(results, tmp_path / "bench.json", "quick",
                                   baseline["calibration"]).read_text())
    found = regressions(doc, baseline)
    if found:
        pytest.fail("tracking fell below the baseline:\n" + "\n".join(found))
