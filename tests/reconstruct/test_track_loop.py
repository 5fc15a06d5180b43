"""The tracker's per-frame glue: what it writes must not depend on how it is batched."""

import numpy as np

from reconstruct.lift import frame_row
from reconstruct.paths import OUT, SEEN, UNSEEN
from reconstruct.track import _add_pixels
from sim.camera import Camera

# an action camera 0.7 m above the table, strong lens distortion
WIDE = Camera.looking_at(640, 480, [0.0, 0.0, 0.7], [0.0, 0.0, 0.0], 74.0,
                         dist=(-0.3, 0.09, 0.0004, -0.0003, -0.012))


def test_rows_projected_together_equal_rows_projected_one_by_one(german):
    """``_add_pixels`` gives every placed ball the pixel ``frame_row`` gives it, bit for bit,
    and none to a ball out of play or unknown."""
    rng = np.random.default_rng(3)
    n = 40
    xy = rng.uniform(-1, 1, (n, 2)) * [german.half_length, german.half_width]
    xy[5] = np.nan
    states = rng.choice([SEEN, UNSEEN, OUT], n)
    shifts, angles = rng.normal(0, 0.02, (n, 8)), rng.normal(0, 1.0, (n, 8))
    one_by_one = [frame_row(i, i / 120, xy[i], states[i], shifts[i], angles[i], WIDE, german)
                  for i in range(n)]
    together = [frame_row(i, i / 120, xy[i], states[i], shifts[i], angles[i], None, german)
                for i in range(n)]
    _add_pixels(together, WIDE, german)
    assert together == one_by_one
    assert sum("ball_u" in r for r in together) == ((states != OUT) & (np.arange(n) != 5)).sum()
    _add_pixels([], WIDE, german)  # nothing to place: no projection
