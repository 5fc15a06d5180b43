import math

import numpy as np
import pytest

from reconstruct.metrics_ball import (
    Counts,
    ball_diameter_px,
    blur_in_diameters,
    score_ball,
    truth_speed,
)
from sim.camera import Camera
from tests.reconstruct.records import estimate_from, truth_rows, write


def _score(tmp_path, table, truth, est):
    t = write(tmp_path / "truth", table, truth)
    e = write(tmp_path / "est", table, est, truth=False)
    return score_ball(t, e)


@pytest.mark.parametrize("offset_mm, tp_at", [
    (3.0, {"5mm": True, "10mm": True, "17.3mm": True}),
    (12.0, {"5mm": False, "10mm": False, "17.3mm": True}),
])
def test_offset_estimate_is_tp_or_wrong_location_by_threshold(tmp_path, german, offset_mm,
                                                              tp_at):
    truth = truth_rows(german, n=40)
    d = offset_mm / 1000 / math.sqrt(2)  # split over x and y: the error is in the plane
    rep = _score(tmp_path, german, truth, estimate_from(truth, dx=d, dy=-d))
    s = rep.detection.scores
    assert s.frames == 40
    for label, is_tp in tp_at.items():
        c = s.counts[label]
        if is_tp:
            assert (c.tp, c.wrong, c.miss, c.false_alarm) == (40, 0, 0, 0)
            assert c.precision == c.recall == c.f1 == 1.0
        else:  # wrong location: a false positive and a miss
            assert (c.tp, c.wrong, c.miss, c.false_alarm) == (0, 40, 0, 0)
            assert c.precision == c.recall == 0.0
    assert s.error_mm.median == pytest.approx(offset_mm, abs=2e-3)
    assert s.error_mm.rmse == pytest.approx(offset_mm, abs=2e-3)
    assert s.error_mm.p95 == pytest.approx(offset_mm, abs=2e-3)


def test_height_is_not_part_of_the_error(tmp_path, german):
    truth = truth_rows(german, n=10)
    est = estimate_from(truth)
    for r in est:
        r["ball_z"] += 0.02
    assert _score(tmp_path, german, truth, est).amodal.scores.error_mm.median == 0.0


def test_pixel_threshold_is_4px(tmp_path, german):
    truth = truth_rows(german, n=10)
    est = estimate_from(truth, du=3.0)
    for r in est[5:]:
        r["ball_u"] += 2.0  # 5 px off
    s = _score(tmp_path, german, truth, est).detection.scores
    assert (s.counts["4px"].tp, s.counts["4px"].wrong) == (5, 5)
    assert s.error_px.median == pytest.approx(4.0, abs=1e-6)


def test_ball_placed_while_truth_says_out_is_a_false_alarm(tmp_path, german):
    truth = truth_rows(german, n=20)
    for r in truth[10:]:
        r.update(ball_state="out", ball_visibility=0.0)
    est = estimate_from(truth)
    for r in est[10:15]:
        r["ball_state"] = "visible"  # a ball where there is none
    for r in est[15:]:
        r.update(ball_x=None, ball_y=None)  # nothing placed: true negatives
    rep = _score(tmp_path, german, truth, est)
    for mode in (rep.detection, rep.amodal):  # out frames count in both modes
        c = mode.scores.headline
        assert (c.tp, c.false_alarm, c.tn, c.wrong, c.miss) == (10, 5, 5, 0, 0)
        assert c.precision == pytest.approx(10 / 15) and c.recall == 1.0


def test_an_out_estimate_with_a_position_places_nothing(tmp_path, german):
    truth = truth_rows(german, n=10)
    est = estimate_from(truth)
    for r in est[:4]:
        r["ball_state"] = "out"
    c = _score(tmp_path, german, truth, est).detection.scores.headline
    assert (c.tp, c.miss, c.false_alarm) == (6, 4, 0)


def test_detection_mode_leaves_out_hidden_frames_and_amodal_scores_them(tmp_path, german):
    truth = truth_rows(german, n=30)
    for r in truth[10:20]:
        r.update(ball_state="hidden", ball_visibility=0.0)
    truth[20]["ball_visibility"] = 0.05  # visible state but under 10 % seen: left out too
    est = estimate_from(truth)
    for r in est[10:21]:
        r.update(ball_state="hidden", ball_x=None, ball_y=None)  # the tracker lost it
    for r in est[15:21]:
        r.update(ball_x=truth[15]["ball_x"], ball_y=truth[15]["ball_y"])  # amodal guesses
    rep = _score(tmp_path, german, truth, est)
    det, amo = rep.detection.scores, rep.amodal.scores
    assert det.frames == 19 and det.headline.tp == 19 and det.headline.recall == 1.0
    assert amo.frames == 30
    assert amo.headline.miss == 5  # frames 10-14: hidden, not placed
    # frames 15-20 placed at frame 15's position: within 10 mm only while the ball is near it
    moved_mm = [1000 * abs(truth[i]["ball_x"] - truth[15]["ball_x"]) for i in range(15, 21)]
    assert amo.headline.tp == 19 + sum(m <= 10 for m in moved_mm)
    assert amo.headline.wrong == sum(m > 10 for m in moved_mm)
    assert rep.amodal.by_visibility["<0.1"].frames == 11
    assert rep.detection.by_visibility["<0.1"].frames == 0


def test_breakdowns_put_frames_in_their_bins(tmp_path, german):
    truth = truth_rows(german, n=12)
    vis = [1.0, 0.95, 0.9, 0.5, 0.1, 0.09, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    speeds = [0.5, 0.99, 1.0, 4.0, 5.0, 9.0, 10.0, 12.0, 0.0, 3.0, 7.0, 30.0]
    for r, v, s in zip(truth, vis, speeds):
        r.update(ball_visibility=v, ball_vx=s)
    rep = _score(tmp_path, german, truth, estimate_from(truth))
    by_vis = rep.amodal.by_visibility
    assert [by_vis[k].frames for k in (">=0.9", "0.1-0.9", "<0.1")] == [8, 2, 2]
    by_speed = rep.amodal.by_speed
    assert [by_speed[k].frames for k in ("<1", "1-5", "5-10", ">10")] == [3, 3, 3, 3]
    assert rep.amodal.by_blur is None  # no camera in meta.json: no pixel diameter


def test_blur_in_diameters_uses_the_camera(tmp_path, german):
    cam = Camera.looking_at(1280, 720, eye=(0.0, 0.0, 1.2), target=(0.0, 0.0, 0.0),
                            hfov_deg=60.0)
    truth = truth_rows(german, n=6)
    for r, blur in zip(truth, [1.0, 10.0, 20.0, 60.0, 80.0, 200.0]):
        r["ball_blur_px"] = blur
    rec = write(tmp_path / "t", german, truth, camera=cam.to_dict())
    diam = ball_diameter_px(rec)
    # against the camera model: the image distance between two opposite edges of the ball,
    # taken perpendicular to the optical axis
    centre = rec.ball_xyz[0]
    r = german.ball.radius
    edges = cam.table_to_pixel(np.array([centre - [r, 0, 0], centre + [r, 0, 0]]))
    assert diam[0] == pytest.approx(np.linalg.norm(edges[1] - edges[0]), rel=0.02)
    blur = blur_in_diameters(rec)
    assert blur == pytest.approx(rec.frames["ball_blur_px"] / diam)
    est = write(tmp_path / "e", german, estimate_from(truth), truth=False)
    by_blur = score_ball(rec, est).detection.by_blur
    expected = [np.sum(blur < 0.5), np.sum((blur >= 0.5) & (blur < 2)), np.sum(blur >= 2)]
    assert [by_blur[k].frames for k in ("<0.5", "0.5-2", ">2")] == expected
    assert min(expected) > 0  # the blurs were chosen to fill every bin


def test_speed_falls_back_on_finite_differences(tmp_path, german):
    truth = truth_rows(german, n=10, speed=3.0)
    for r in truth:
        r.update(ball_vx=None, ball_vy=None, ball_vz=None)
    rec = write(tmp_path / "t", german, truth)
    assert truth_speed(rec) == pytest.approx(np.full(10, 3.0), rel=1e-3)


def test_counts_ratios_are_undefined_without_frames():
    c = Counts(tp=0, wrong=0, false_alarm=0, miss=0, tn=7)
    assert math.isnan(c.precision) and math.isnan(c.recall) and math.isnan(c.f1)
    assert c.to_dict()["precision"] is None and c.to_dict()["frames"] == 7
