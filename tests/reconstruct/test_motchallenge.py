"""Cross-check: our 4 px ball counts against a maintained MOT scorer (py-motmetrics).

The ball is exported as a one-object MOTChallenge track from the truth and from the estimate,
and scored by motmetrics' CLEAR MOT with a 4 px Euclidean gate: its matches, false positives
and misses must be our TP, wrong + false alarms and wrong + misses, in both modes.
"""

import numpy as np
import pytest

from reconstruct.metrics_ball import ball_frames, score_frames
from reconstruct.motchallenge import write_motchallenge
from tests.reconstruct.records import estimate_from, truth_rows, write


def _messy_pair(tmp_path, table, n=400, seed=7):
    """A truth with hidden and out spells, and an estimate with errors around 4 px, misses,
    false alarms and amodal guesses."""
    rng = np.random.default_rng(seed)
    truth = truth_rows(table, n=n, speed=0.5)
    for r in truth[100:140]:
        r.update(ball_state="hidden", ball_visibility=0.0)
    for r in truth[140:160]:
        r.update(ball_visibility=0.5)
    for r in truth[300:340]:
        r.update(ball_state="out", ball_visibility=0.0)
    est = estimate_from(truth)
    for i, r in enumerate(est):
        e = rng.normal(0.0, 3.0, 2)  # px, about a third of the frames beyond 4 px
        r["ball_u"] += e[0]
        r["ball_v"] += e[1]
        e = rng.normal(0.0, 0.006, 2)  # m: errors on both sides of 5, 10 and 17.3 mm
        r["ball_x"] += e[0]
        r["ball_y"] += e[1]
        roll = rng.random()
        if roll < 0.1:
            r.update(ball_u=None, ball_v=None, ball_x=None, ball_y=None,
                     ball_state="hidden")  # a miss
        elif 300 <= i < 340:
            r["ball_state"] = "visible" if roll < 0.4 else "out"  # false alarms / negatives
    t = write(tmp_path / "truth", table, truth)
    e = write(tmp_path / "est", table, est, truth=False)
    return t, e


def test_motchallenge_export_has_one_box_per_placed_frame(tmp_path, german):
    t, e = _messy_pair(tmp_path, german)
    path = write_motchallenge(t, tmp_path / "gt.txt", box=35.0)
    lines = path.read_text().splitlines()
    assert len(lines) == 400 - 40  # every frame but the out ones
    f, oid, left, top, w, h, *_ = (float(x) for x in lines[0].split(","))
    assert (f, oid, w, h) == (1, 1, 35.0, 35.0)
    assert (left + 17.5, top + 17.5) == pytest.approx(t.ball_uv[0], abs=1e-3)


@pytest.mark.filterwarnings("ignore:Operation with tuple is deprecated")
@pytest.mark.parametrize("mode", ["detection", "amodal"])
@pytest.mark.parametrize("space, threshold, label", [
    ("image", 4.0, "4px"), ("table", 5.0, "5mm"), ("table", 10.0, "10mm"),
    ("table", 17.3, "17.3mm"),
])
def test_motmetrics_counts_equal_ours(tmp_path, german, mode, space, threshold, label):
    mm = pytest.importorskip("motmetrics")
    t, e = _messy_pair(tmp_path, german)
    bf = ball_frames(t, e)
    frames = bf.mode_frames(mode)
    ours = score_frames(bf, frames).counts[label]
    gt = write_motchallenge(t, tmp_path / "gt.txt", 35.0, frames, space)
    dt = write_motchallenge(e, tmp_path / "dt.txt", 35.0, frames, space)
    # boxes of one size: the distance of the top-left corners is the centres' distance
    acc = mm.utils.compare_to_groundtruth(
        mm.io.loadtxt(gt, fmt="mot15-2D"), mm.io.loadtxt(dt, fmt="mot15-2D"),
        "euc", distfields=["X", "Y"], distth=threshold)
    theirs = mm.metrics.create().compute(
        acc, metrics=["num_matches", "num_false_positives", "num_misses"]).iloc[0]
    print(f"\n{mode} @{label}: ours TP {ours.tp} wrong {ours.wrong} FA {ours.false_alarm} "
          f"miss {ours.miss} TN {ours.tn}; motmetrics matches {theirs['num_matches']} "
          f"FP {theirs['num_false_positives']} FN {theirs['num_misses']}")
    assert ours.false_alarm > 5 and ours.miss > 20  # every class occurs
    assert ours.wrong > 10 or label == "17.3mm"
    assert int(theirs["num_matches"]) == ours.tp
    assert int(theirs["num_false_positives"]) == ours.wrong + ours.false_alarm
    assert int(theirs["num_misses"]) == ours.wrong + ours.miss
