"""The matte fit of a ball partly hidden under a rod: a still ball is read as a still disc
centred on its true centre, not as a streak reaching into the hidden part."""

import cv2
import numpy as np
import pytest

from reconstruct.ball_video import MatteSearch

GREEN = (100, 121, 81)
WHITE = (232, 238, 238)


def _scene(centre, radius, rod_u0, shade=1.0):
    """A still ball (drawn 16x supersampled) with a grey rod over the columns
    ``rod_u0 .. rod_u0 + 8``, and the valid map that leaves the rod out."""
    s = 16
    big = np.zeros((60 * s, 80 * s, 3), np.uint8)
    big[:] = GREEN
    colour = tuple(int(g + shade * (w - g)) for g, w in zip(GREEN, WHITE))
    cv2.circle(big, (int((centre[0] + 0.5) * s), int((centre[1] + 0.5) * s)), radius * s,
               colour, -1)
    frame = cv2.resize(big, (80, 60), interpolation=cv2.INTER_AREA)
    frame[:, rod_u0:rod_u0 + 8] = (190, 190, 200)
    valid = np.ones((60, 80), np.float32)
    valid[:, rod_u0 - 1:rod_u0 + 9] = 0.0
    background = np.zeros_like(frame)
    background[:] = GREEN
    return frame, background, valid


@pytest.mark.parametrize("shade", [1.0, 0.6])  # 0.6: in a man's shadow
def test_a_ball_mostly_under_a_rod_is_fitted_as_a_still_disc(shade):
    centre = (30.3, 30.6)
    frame, background, valid = _scene(centre, 7, 28, shade)
    search = MatteSearch(np.array(WHITE, np.float32), 0.18, 3, 0.0, 4.0)
    search.set_valid(valid)
    mf = search.refine(frame, background, 26.0, 30.0, 7.0)
    assert mf is not None
    assert np.hypot(mf.fit.u - centre[0], mf.fit.v - centre[1]) < 0.3
    assert mf.fit.streak_length < 1.0
    assert abs(mf.fit.radius - 7.0) < 0.5
