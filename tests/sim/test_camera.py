import cv2
import numpy as np
import pytest

from sim.camera import Camera

CAMERAS = {
    "overhead": Camera.looking_at(640, 480, [0, 0, 1.6], [0, 0, 0], 60),
    "tilted": Camera.looking_at(1280, 720, [-0.3, -0.5, 1.2], [0.05, 0, 0], 75, roll_deg=4),
    "wide": Camera.looking_at(640, 480, [0.02, 0.01, 0.9], [0, 0, 0], 95,
                              dist=(-0.32, 0.11, 0.0008, -0.0005, -0.015)),
}


@pytest.mark.parametrize("name", CAMERAS)
def test_table_point_pixel_ray_table_point(name):
    cam = CAMERAS[name]
    rng = np.random.default_rng(1)
    pts = np.column_stack([rng.uniform(-0.6, 0.6, 200), rng.uniform(-0.34, 0.34, 200),
                           rng.uniform(0, 0.1, 200)])
    uv = cam.table_to_pixel(pts)
    back = cam.pixel_to_table(uv, pts[:, 2])
    assert np.abs(back - pts).max() < 1e-6


@pytest.mark.parametrize("name", CAMERAS)
def test_saved_camera_reprojects_like_opencv(name):
    cam = CAMERAS[name]
    again = Camera.from_dict(cam.to_dict())
    pts = np.array([[0.1, 0.2, 0.0175], [-0.5, 0.3, 0.0]])
    uv, _ = cv2.projectPoints(pts, np.array(again.to_dict()["rvec"]),
                              np.array(again.to_dict()["tvec"]),
                              np.array(again.to_dict()["camera_matrix"]),
                              np.array(again.to_dict()["dist_coeffs"]))
    assert np.allclose(uv.reshape(-1, 2), cam.table_to_pixel(pts), atol=1e-9)


def test_overhead_camera_puts_plus_x_right_and_plus_y_up():
    cam = CAMERAS["overhead"]
    uv = cam.table_to_pixel(np.array([[0, 0, 0], [0.1, 0, 0], [0, 0.1, 0]]))
    assert uv[0] == pytest.approx([319.5, 239.5])
    assert uv[1, 0] > uv[0, 0] and uv[2, 1] < uv[0, 1]
    assert cam.position == pytest.approx([0, 0, 1.6])


def test_with_size_scales_the_image():
    cam = CAMERAS["overhead"]
    big = cam.with_size(1280, 960)
    p = np.array([[0.2, -0.1, 0.0]])
    assert big.table_to_pixel(p) + 0.5 == pytest.approx(2 * (cam.table_to_pixel(p) + 0.5))
