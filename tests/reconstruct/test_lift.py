"""Masks drawn from the table through a camera with strong lens distortion."""

import numpy as np

from reconstruct.lift import rod_mask
from sim.camera import Camera
from sim.table import load_table

# an action camera 0.7 m above the table (the ``wide_angle`` scenario's lens)
WIDE = Camera.looking_at(640, 480, [0.0, 0.0, 0.7], [0.0, 0.0, 0.0], 74.0,
                         dist=(-0.3, 0.09, 0.0004, -0.0003, -0.012))


def _axis_pixels(camera: Camera, table, n: int = 60) -> np.ndarray:
    """(k, 2) int px: points of every rod's axis across the playfield, inside the image."""
    ys = np.linspace(-table.half_width, table.half_width, n)
    pts = np.concatenate([np.column_stack([np.full(n, rod.x), ys, np.full(n, table.rod_height)])
                          for rod in table.rods])
    uv = np.rint(camera.table_to_pixel(pts)).astype(int)
    inside = ((uv >= 0) & (uv < [camera.width, camera.height])).all(axis=1)
    return uv[inside]


def test_rod_mask_follows_rods_bent_by_the_lens():
    table = load_table("german")
    mask = rod_mask(WIDE, table, grow_px=0)
    uv = _axis_pixels(WIDE, table)
    # the barrel bends the rods by ~15 px at the image's sides: every point of each axis
    # must be masked, not only the ends
    assert mask[uv[:, 1], uv[:, 0]].all()
    # and the playfield between the rods stays free: half way between the first two rods
    mid = 0.5 * (table.rods[0].x + table.rods[1].x)
    ys = np.linspace(-0.9, 0.9, 30) * table.half_width
    gap = np.rint(WIDE.table_to_pixel(np.column_stack([np.full(30, mid), ys,
                                                         np.full(30, table.ball.radius)])))
    gap = gap.astype(int)
    assert not mask[gap[:, 1], gap[:, 0]].any()
