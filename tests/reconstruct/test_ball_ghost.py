"""Ghosts: a man who stood still long enough to be in the background moves off; the field he
uncovered differs from the background (dark blue to green) and unmixes as a weak ball. It
is no ball: the change is in the background, not in the frame. A ball rolling over that
very spot still is one."""

import cv2
import numpy as np

from reconstruct.ball import BallDetector
from reconstruct.ball_ghost import field_colour, is_ghost

FIELD = (105, 124, 89)  # BGR, as a rendered field (tilted scenario)
MAN = (100, 30, 12)  # BGR, a blue man
BALL = (205, 214, 220)  # BGR, the white ball
R = 9.0  # px, the ball's radius


def _scene(seed: int = 0):
    """(frame, background): the empty field with noise; the background holds a man (a
    22 x 36 px block) where the frame shows the field."""
    rng = np.random.default_rng(seed)
    h, w = 160, 200
    frame = np.empty((h, w, 3), np.float32)
    frame[:] = FIELD
    frame += rng.normal(0.0, 2.0, frame.shape)
    background = np.empty_like(frame)
    background[:] = FIELD
    background += rng.normal(0.0, 2.0, frame.shape)
    background[60:96, 89:111] = MAN
    return frame, background


def _u8(a):
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def _with_ball(frame, u, v):
    out = frame.copy()
    cv2.circle(out, (int(u * 16), int(v * 16)), int(R * 16), BALL, -1, cv2.LINE_AA, 4)
    return out


def _detect(frame, background):
    det = BallDetector(expected_radius_px=R, learn_colour=False)
    return det.detect(_u8(frame), background=_u8(background))


def test_the_field_a_man_uncovered_is_no_ball_candidate():
    frame, background = _scene()
    cands = _detect(frame, background)
    near = np.hypot(cands.u - 100, cands.v - 78) < 20 if len(cands) else np.zeros(0, bool)
    assert not near.any(), f"a ghost candidate: {cands.uv[near]}, scores {cands.score[near]}"
    assert is_ghost(_u8(frame), _u8(background), 100.0, 78.0, R, (0.0, 0.0),
                    field_colour(_u8(background)))


def test_a_ball_over_a_ghost_and_on_the_plain_field_is_found():
    frame, background = _scene()
    for u, v in ((100.0, 78.0), (40.0, 40.0)):
        cands = _detect(_with_ball(frame, u, v), background)
        assert len(cands) and np.hypot(cands.u[0] - u, cands.v[0] - v) < 1.0
        assert cands.score[0] > 0.5
        assert not is_ghost(_u8(_with_ball(frame, u, v)), _u8(background), u, v, R,
                            (0.0, 0.0), field_colour(_u8(background)))


def test_a_marking_a_man_uncovered_is_no_ball_candidate():
    """The man had hidden a marking (a penalty spot, 3 px in radius) when the background was
    primed: the spot is in the markings mask (no ball is looked for on it), and the field
    around it, which he uncovered too, is a ghost."""
    frame, background = _scene()
    cv2.circle(frame, (100, 80), 3, BALL, -1, cv2.LINE_AA)
    valid = np.ones(frame.shape[:2], np.float32)
    cv2.circle(valid, (100, 80), 5, 0.0, -1)
    field = field_colour(_u8(background))
    assert not is_ghost(_u8(frame), _u8(background), 100.0, 80.0, R, (0.0, 0.0), field)
    assert is_ghost(_u8(frame), _u8(background), 100.0, 80.0, R, (0.0, 0.0), field, valid)
    det = BallDetector(expected_radius_px=R, learn_colour=False)
    det.set_valid(valid)
    cands = det.detect(_u8(frame), background=_u8(background))
    near = np.hypot(cands.u - 100, cands.v - 80) < 20 if len(cands) else np.zeros(0, bool)
    assert not near.any(), f"a ghost candidate: {cands.uv[near]}, scores {cands.score[near]}"
