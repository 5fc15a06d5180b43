"""When the smoothed path says the ball's motion changed: a soft touch the path search
followed as a curve for a few frames before it marked a jump is timed where the motion
changed, at any frame rate."""

import numpy as np
import pytest

from reconstruct.paths import SEEN, PathPoint
from reconstruct.smooth import smooth_points

V_IN, V_OUT = np.array([-0.03, -0.54]), np.array([-0.28, 0.23])  # m/s, a soft touch


def _touched(fps: float, k0: int, marked: int, n: int = 80, seed: int = 3):
    """Sightings (0.4 mm noise) of a ball rolling at V_IN turned to V_OUT at frame k0, the
    contact marked at frame ``marked``."""
    rng = np.random.default_rng(seed)
    pts = []
    for f in range(n):
        dt = (f - k0) / fps
        xy = np.array([-0.35, 0.084]) + (V_IN if dt < 0 else V_OUT) * dt
        meas = xy + rng.normal(0.0, 0.0004, 2)
        pts.append(PathPoint(f, meas, V_IN if f < marked else V_OUT, SEEN, 0, f == marked,
                             meas))
    return pts


@pytest.mark.parametrize("fps, late", [(240.0, 5), (120.0, 3)])
def test_a_contact_marked_late_is_moved_to_where_the_motion_changed(fps, late):
    k0 = 40
    hits = [p.frame for p in smooth_points(_touched(fps, k0, k0 + late), fps) if p.contact]
    assert len(hits) == 1 and abs(hits[0] - k0) <= 1


def test_a_contact_marked_in_time_stays():
    k0 = 40
    hits = [p.frame for p in smooth_points(_touched(240.0, k0, k0), 240.0) if p.contact]
    assert hits == [k0]
