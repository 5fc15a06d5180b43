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


def test_a_ball_on_the_goal_line_is_a_candidate_and_one_past_it_is_in_the_goal():
    """A ball in a goal mouth whose centre is less than a radius past the line is on the
    line, still in play (a goal needs the whole ball past it): a candidate, where a slow
    ball rolling in is followed to its goal; wholly past the line it is evidence for out;
    beyond the end wall outside the mouth there is no ball."""
    from reconstruct.lift import lift_candidates

    table = load_table("german")
    cam = Camera.looking_at(640, 480, [0.0, 0.0, 1.35], [0.0, 0.0, 0.0], 62)
    r = table.ball.radius
    on_line = [table.half_length + 0.4 * r, 0.02, r]
    in_goal = [-table.half_length - 1.5 * r, -0.02, r]
    beside = [table.half_length + 0.4 * r, 0.5 * table.goal.width + 0.03, r]
    c = lift_candidates(cam.table_to_pixel(np.array([on_line, in_goal, beside])),
                        np.array([0.8, 0.7, 0.9]), cam, table)
    assert len(c.xy) == 1 and np.allclose(c.xy[0], on_line[:2], atol=1e-3)
    assert abs(c.in_goal - 0.7) < 1e-9
