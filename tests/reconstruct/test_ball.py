"""Ball candidates against synthetic truth: sub-pixel accuracy, blur, rejection, windows."""

import cv2
import numpy as np
import pytest

from reconstruct.ball import BallCandidates, BallDetector
from reconstruct.ball_fit import streak_coverage
from reconstruct.ball_still import STILL_THRESHOLD
from reconstruct.ball_synth import BALL_BGR, composite_ball, draw_table

R = 7.0


@pytest.fixture(scope="module")
def table():
    return draw_table(640, 480, R, seed=3)


def _balls(n, seed, margin=60):
    rng = np.random.default_rng(seed)
    return rng, np.column_stack([rng.uniform(margin, 640 - margin, n),
                                 rng.uniform(margin, 480 - margin, n)])


def _errors(table, streak_len, n, seed, **detect):
    rng, uv = _balls(n, seed)
    det = BallDetector(ball_colour=BALL_BGR, expected_radius_px=R)
    errs, lengths = [], []
    for u, v in uv:
        ang = rng.uniform(0, np.pi)
        st = (streak_len * np.cos(ang), streak_len * np.sin(ang))
        img = composite_ball(table.image, u, v, R, st, rng=rng)
        c = det.detect(img, background=table.image, **detect)
        assert len(c) >= 1
        errs.append((c.u[0] - u, c.v[0] - v))
        lengths.append(c.streak_px[0])
    return np.array(errs), np.array(lengths)


def test_still_ball_sub_pixel(table):
    e, _ = _errors(table, 0.0, 25, seed=1)
    assert np.abs(e.mean(axis=0)).max() < 0.03  # bias
    assert np.abs(e).max() < 0.15


@pytest.mark.parametrize("diameters", [1.0, 2.0, 3.0])
def test_blur_streak_centre_and_length(table, diameters):
    # displacement of 1..3 diameters: streaks 2..4 diameters long
    e, lengths = _errors(table, diameters * 2 * R, 15, seed=2)
    assert np.abs(e.mean(axis=0)).max() < 0.05
    assert np.hypot(*e.T).max() < 0.3
    assert np.abs(lengths - diameters * 2 * R).max() < 1.0


def test_still_mode_without_background(table):
    # no background model: the ball is found by its rim and smooth inside, best first
    rng, uv = _balls(10, seed=4)
    det = BallDetector(ball_colour="white", expected_radius_px=R)
    errs = []
    for u, v in uv:
        c = det.detect(composite_ball(table.image, u, v, R, rng=rng))
        assert c.score[0] > STILL_THRESHOLD
        errs.append(np.hypot(c.u[0] - u, c.v[0] - v))
    assert max(errs) < 1.0 and np.median(errs) < 0.2, errs


@pytest.mark.parametrize("with_background", [False, True])
def test_empty_table_has_no_ball(table, with_background):
    det = BallDetector(ball_colour="white", expected_radius_px=R)
    img = composite_ball(table.image, 0, 0, 0.0, noise=2.0)  # no ball, just noise
    bg = table.image if with_background else None
    c = det.detect(img, background=bg)
    assert (c.score < (0.3 if with_background else STILL_THRESHOLD)).all(), c.score


def test_markings_and_spots_score_low(table):
    # a circle fitted on a spot or a marking line is no ball (still mode: no background)
    det = BallDetector(ball_colour="white", expected_radius_px=R)
    seeds = np.vstack([table.spot_points, table.marking_points[::6]])
    wins = np.column_stack([seeds, np.full(len(seeds), 0.6 * R)])
    c = det.detect(table.image, search_windows=wins)
    assert len(c) and c.score.max() < STILL_THRESHOLD, c.score


@pytest.mark.xfail(strict=True, reason="a third of the ball hidden: the fit shifts by up to "
                   "2-4 px towards the visible part despite the radius prior (open)")
def test_partly_hidden_ball(table):
    rng, uv = _balls(10, seed=5)
    det = BallDetector(ball_colour=BALL_BGR, expected_radius_px=R)
    for u, v in uv:
        img = composite_ball(table.image, u, v, R, rng=rng)
        iu, iv = int(round(u)), int(round(v))
        img[iv - 10: iv + 10, iu + 2: iu + 12] = (30, 28, 32)  # a dark man over a third
        c = det.detect(img, background=table.image)
        assert np.hypot(c.u[0] - u, c.v[0] - v) < 0.5


def test_windowed_search(table):
    det = BallDetector(ball_colour=BALL_BGR, expected_radius_px=R)
    img = composite_ball(table.image, 200.3, 150.7, R, (6.0, 3.0))
    near = det.detect(img, background=table.image, search_windows=[(204, 147, 25)])
    assert np.hypot(near.u[0] - 200.3, near.v[0] - 150.7) < 0.2
    far = det.detect(img, background=table.image, search_windows=[(500, 400, 25)])
    assert len(far) == 0 or far.score.max() < 0.3
    still = det.detect(composite_ball(table.image, 200.3, 150.7, R),
                       search_windows=[(204, 147, 25)])  # a still ball, no background
    assert still.score[0] > STILL_THRESHOLD
    assert np.hypot(still.u[0] - 200.3, still.v[0] - 150.7) < 0.5


def test_candidates_are_checked_and_filterable():
    c = BallCandidates(u=[1, 2], v=[3, 4], score=[0.2, 0.9], radius_px=[7, 7],
                       streak_px=[0, 5], streak_angle=[0, 1], colour_distance=[1, 2],
                       amplitude=[1, 1], fit_rms=[0.1, 0.1], seen=[1, 1])
    assert len(c[c.score > 0.5]) == 1 and c.sorted().u[0] == 2
    mask = np.zeros((10, 10), bool)
    mask[4, 2] = True
    assert list(c.inside(mask).u) == [2]
    with pytest.raises(ValueError):
        BallCandidates(u=[1], v=[1, 2], score=[1], radius_px=[1], streak_px=[1],
                       streak_angle=[1], colour_distance=[1], amplitude=[1], fit_rms=[1],
                       seen=[1])


def test_bad_input_is_a_clear_error():
    det = BallDetector()
    with pytest.raises(ValueError, match="uint8"):
        det.detect(np.zeros((10, 10), np.float32))
    with pytest.raises(ValueError, match="ball colour"):
        BallDetector(ball_colour="purple")


def test_model_jacobian_matches_finite_differences():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-15, 15, 500), rng.uniform(-15, 15, 500)
    for p in ([0.3, -0.2, 7, 0.1, 0.05], [0.3, -0.2, 7, 8, 3], [1, 2, 5, -4, 6]):
        p = np.array(p, float)
        _, jac = streak_coverage(x, y, p, 2.0, jacobian=True)
        num = np.stack([(streak_coverage(x, y, p + d, 2.0) - streak_coverage(x, y, p - d, 2.0))
                        / 2e-5 for d in np.eye(5) * 1e-5], axis=1)
        assert np.abs(jac - num).max() < 1e-3


def test_ball_half_under_a_rod_is_found_in_its_window(table):
    """A rod (no ball looked for on it: weight 0) across the ball's middle leaves two
    crescents: the window still seeds it and the fit, constrained by the radius, finds the
    centre between them."""
    rng, uv = _balls(8, seed=7)
    for u, v in uv:
        det = BallDetector(ball_colour=BALL_BGR, expected_radius_px=R)
        x0 = int(round(u)) - 4
        bg = table.image.copy()
        bg[:, x0:x0 + 8] = (170, 170, 170)
        valid = np.ones(bg.shape[:2], np.float32)
        valid[:, x0 - 1:x0 + 9] = 0.0
        det.set_valid(valid)
        img = composite_ball(table.image, u, v, R, rng=rng)
        img[:, x0:x0 + 8] = (170, 170, 170)
        c = det.detect(img, background=bg, search_windows=[(u + 3, v - 2, 30)])
        assert len(c) >= 1
        assert np.hypot(c.u - u, c.v - v).min() < 0.5


def _mask_of(region):
    """A ``BallDetector.men_mask`` function: 1 inside ``region`` (y0, y1, x0, x1) px."""
    def mask(box):
        y0, y1, x0, x1 = box
        m = np.zeros((y1 - y0, x1 - x0), np.uint8)
        ry0, ry1, rx0, rx1 = region
        m[max(ry0 - y0, 0):max(ry1 - y0, 0), max(rx0 - x0, 0):max(rx1 - x0, 0)] = 1
        return m
    return mask


def test_a_marking_a_man_uncovered_is_no_ball_where_the_men_are_known():
    """The background still holds a man lying on a white line; he has swung away, and the
    stretch of line he uncovered is ball-coloured against him: a ball-like blob. Where the
    men's silhouettes (now and in the background) are known, it is no candidate; a real ball
    half hidden by a man now keeps its score."""
    field = np.zeros((480, 640, 3), np.uint8)
    field[:] = (115, 135, 103)
    frame = field.copy()
    cv2.line(frame, (320, 100), (320, 380), (240, 236, 238), 3)
    bg = frame.copy()
    man = (200, 213, 300, 346)  # y0, y1, x0, x1 px: the man the background holds
    bg[man[0]:man[1], man[2]:man[3]] = (20, 20, 170)
    det = BallDetector(ball_colour=(235, 238, 238), expected_radius_px=R)
    det._ghost = lambda *args, **kw: False  # the ghost test (ball_ghost) drops it too
    ghost = det.detect(frame, background=bg)
    assert len(ghost) and ghost.score.max() > 0.3  # without the men: a fair ball
    det.men_mask = _mask_of(man)
    ghost = det.detect(frame, background=bg)
    assert len(ghost) == 0 or ghost.score.max() < 0.02, ghost.score
    # a ball rolling under a man standing now at x 130-150: its visible half counts
    ball = composite_ball(field, 125.0, 300.0, R)
    now = (280, 320, 128, 150)
    ball[now[0]:now[1], now[2]:now[3]] = (170, 80, 50)
    det = BallDetector(ball_colour=BALL_BGR, expected_radius_px=R)
    plain = det.detect(ball, background=field)
    det.men_mask = _mask_of(now)
    known = det.detect(ball, background=field)
    assert plain.score[0] > 0.3
    assert known.score[0] > 0.9 * plain.score[0]
    assert np.hypot(known.u[0] - 125.0, known.v[0] - 300.0) < 1.5
