"""Replay camera: presets show the whole table the right way round; orbit, pan, zoom, follow."""

from dataclasses import replace

import numpy as np
import pytest

from sim.replaycam import (
    MAX_ELEVATION,
    PRESETS,
    OrbitCamera,
    crop_camera,
    follow_crop,
    preset,
    table_box,
)

W, H = 960, 540


def in_image(cam, pts, margin=0.0):
    uv = cam.table_to_pixel(pts)
    front = cam.table_to_camera(pts)[:, 2] > 0
    return front & (uv[:, 0] >= margin) & (uv[:, 0] <= cam.width - 1 - margin) & \
        (uv[:, 1] >= margin) & (uv[:, 1] <= cam.height - 1 - margin)


@pytest.mark.parametrize("name", [p for p in PRESETS if p != "follow"])
@pytest.mark.parametrize("size", [(W, H), (640, 480), (480, 640)])
def test_fixed_presets_show_the_whole_table(name, size, german):
    view = preset(name, german, *size)
    cam = view.camera(*size)
    box = table_box(german)
    assert in_image(cam, box).all()
    # and fill it: the table spans most of the image along one axis
    uv = cam.table_to_pixel(box)
    span = (uv.max(axis=0) - uv.min(axis=0)) / size
    assert span.max() > 0.8


def test_preset_orientations(german):
    hl = german.half_length
    over = preset("overhead", german, W, H).camera(W, H)
    uv = over.table_to_pixel(np.array([[-hl, 0, 0], [hl, 0, 0], [0, 0.2, 0]]))
    assert uv[1, 0] > uv[0, 0]  # +x to the right
    assert uv[2, 1] < uv[0, 1]  # +y up
    assert over.position[2] > 1.0
    side = preset("side", german, W, H)
    assert side.eye[1] < -german.half_width and side.eye[2] > 0.3
    goal = preset("goal", german, W, H)
    assert goal.eye[0] < -hl and goal.eye[2] > 0.3
    # behind the -x goal: the far (+x) goal is higher in the image than the near one
    uv = goal.camera(W, H).table_to_pixel(np.array([[-hl, 0, 0], [hl, 0, 0]]))
    assert uv[1, 1] < uv[0, 1]


def test_follow_crop_centres_the_ball_inside_the_image(german):
    view = preset("follow", german, W, H)
    assert view.follow and view.zoom > 1
    parent = view.camera(*view.parent_size(W, H))
    box = table_box(german, walls=False)
    for ball in ([0.0, 0.0, 0.017], [0.3, -0.1, 0.017], [-0.55, 0.3, 0.017]):
        x0, y0 = follow_crop(parent, np.array(ball), W, H, box)
        assert 0 <= x0 <= parent.width - W and 0 <= y0 <= parent.height - H
        crop = crop_camera(parent, x0, y0, W, H)
        assert in_image(crop, np.array([ball])).all()
    # in the middle of the table the ball is in the middle of the frame
    x0, y0 = follow_crop(parent, np.array([0.0, 0.0, 0.017]), W, H, box)
    uv = crop_camera(parent, x0, y0, W, H).table_to_pixel(np.array([[0.0, 0.0, 0.017]]))[0]
    assert abs(uv[0] - W / 2) < 2 and abs(uv[1] - H / 2) < 2
    # no ball: the middle part
    x0, y0 = follow_crop(parent, None, W, H)
    assert abs(x0 - (parent.width - W) / 2) <= 1 and abs(y0 - (parent.height - H) / 2) <= 1


def test_crop_camera_is_a_part_of_its_parent(german):
    parent = preset("side", german, 2 * W, 2 * H).camera(2 * W, 2 * H)
    crop = crop_camera(parent, 300, 200, W, H)
    pts = table_box(german)
    np.testing.assert_allclose(crop.table_to_pixel(pts), parent.table_to_pixel(pts) - [300, 200],
                               atol=1e-9)


def test_orbit_pan_and_dolly():
    v = OrbitCamera((0.0, 0.0, 0.0), azimuth=-90.0, elevation=45.0, distance=2.0)
    o = v.orbit(30.0, 100.0)
    assert o.azimuth == pytest.approx(-60.0) and o.elevation == MAX_ELEVATION
    assert np.linalg.norm(o.eye - np.asarray(o.target)) == pytest.approx(2.0)
    # panning right moves the point looked at left in the table, keeping the distance
    p = v.pan(50.0, 0.0, W)
    cam = v.camera(W, H)
    uv = cam.table_to_pixel(np.asarray(p.target)[None])[0]
    assert uv[0] == pytest.approx(W / 2 - 0.5 - 50.0, abs=0.5)
    assert uv[1] == pytest.approx(H / 2 - 0.5, abs=0.5)
    assert v.dolly(0.5).distance == pytest.approx(1.0)
    f = replace(v, follow=True, zoom=2.0)
    assert f.dolly(0.5).zoom == pytest.approx(4.0) and f.dolly(0.5).distance == 2.0
    assert not f.pan(1.0, 1.0, W).follow


def test_overhead_camera_has_a_valid_up():
    cam = OrbitCamera(elevation=90.0).camera(W, H)
    assert np.all(np.isfinite(cam.R)) and abs(np.linalg.det(cam.R) - 1) < 1e-9


def test_unknown_preset(german):
    with pytest.raises(ValueError, match="unknown camera preset"):
        preset("blimp", german, W, H)
