"""Analytic soft shadows of the men, rods and ball."""

import numpy as np
import pytest

from sim import shadows
from sim.men import man_to_table


def test_shadow_boxes_hold_every_part(german):
    from sim.men import man_parts, part_vertices

    boxes = shadows.shadow_boxes(german)
    for part in man_parts(german):
        pts = part_vertices(part)
        inside = [np.all((pts >= b[0] - 1e-12) & (pts <= b[1] + 1e-12), axis=1) for b in boxes]
        assert np.any(inside, axis=0).all(), part.name


def test_a_still_man_shades_the_ground_under_him(german):
    lamp = np.array([0.0, 0.0, 1.3])
    rod, man, angle = 5, 1, 0.4
    shift = 0.03
    R, t = man_to_table(german, rod, man, shift, angle)
    pose = np.array([[[*t, angle]]])
    rects = shadows.men_rects(shadows.part_corners(german), pose, lamp, 0.3)
    # the point on the floor straight "below" the foot as seen from the lamp is covered
    foot = R @ np.array([0.0, 0.0, -german.man_reach + 0.004]) + t
    q = shadows.project_from_lamp(foot, lamp)
    assert shadows.coverage(rects, q[0], q[1]) == pytest.approx(1.0)
    assert shadows.coverage(rects, q[0] + 0.3, q[1]) == 0.0


def test_penumbra_widens_with_height_and_motion(german):
    assert shadows.penumbra(0.10, 1.3, 0.3) > shadows.penumbra(0.02, 1.3, 0.3)
    lamp = np.array([0.0, 0.0, 1.3])
    still = np.zeros((3, 1, 4))
    still[..., :3] = [0.2, 0.0, german.rod_height]
    moving = still.copy()
    moving[:, 0, 1] = [-0.01, 0.0, 0.01]  # the rod slides 20 mm during the exposure
    c = shadows.part_corners(german)
    a = shadows.men_rects(c, still, lamp, 0.3)
    b = shadows.men_rects(c, moving, lamp, 0.3)
    assert np.all(b[:, 5] > a[:, 5] + 0.019) and np.allclose(b[:, 4], a[:, 4])


def test_union_is_the_largest_coverage():
    r = np.array([[0.0, 0.0, 0.1, 0.1, 0.02, 0.02], [0.05, 0.0, 0.2, 0.1, 0.02, 0.02]])
    assert shadows.coverage(r, 0.07, 0.05) == pytest.approx(1.0)
    half = shadows.coverage(r[:1], 0.1, 0.05)
    assert half == pytest.approx(0.5)


def test_ball_shadow_is_a_bit_larger_than_the_ball():
    lamp = np.array([0.1, 0.0, 1.3])
    path = np.array([[0.3, 0.1, 0.0175], [0.35, 0.1, 0.0175]])
    seg, radius, ramp = shadows.ball_shadow(path, 0.0175, lamp, 0.3)
    assert radius > 0.0175 and ramp > 0
    assert seg[1, 0] - seg[0, 0] > 0.05  # the shadow travels a little further than the ball
