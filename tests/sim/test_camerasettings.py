"""Camera settings: validation and the pose they describe."""

import numpy as np
import pytest

from sim.camerasettings import CameraSettings


def test_round_trip_table_pixel_ray_table_with_distortion():
    cam = CameraSettings(width=640, height_px=480, height=0.7, hfov_deg=74.0, tilt_deg=10,
                         yaw_deg=20, dist=(-0.30, 0.09, 0.0004, -0.0003, -0.012)).camera()
    rng = np.random.default_rng(4)
    pts = np.column_stack([rng.uniform(-0.4, 0.4, 100), rng.uniform(-0.25, 0.25, 100),
                           rng.uniform(0.0, 0.1, 100)])
    uv = cam.table_to_pixel(pts)
    assert np.abs(cam.pixel_to_table(uv, pts[:, 2]) - pts).max() < 1e-6


def test_pose_parameters():
    base = CameraSettings(height=1.0)
    cam = base.camera()
    centre = cam.table_to_pixel(np.array([[0.0, 0.0, 0.0], [0.1, 0.0, 0.0]]))
    assert centre[0] == pytest.approx([cam.cx, cam.cy])
    assert centre[1, 0] > centre[0, 0]  # yaw 0: +x to the right
    turned = CameraSettings(height=1.0, yaw_deg=90).camera()
    down, right = turned.table_to_pixel(np.array([[0.1, 0, 0], [0, 0.1, 0]]))
    assert down[1] > cam.cy + 10 and right[0] > cam.cx + 10  # yaw 90: +x down, +y right
    tilted = CameraSettings(height=1.0, tilt_deg=30, look_at=(0.1, 0.05)).camera()
    assert tilted.position[2] == pytest.approx(1.0)
    # looking at (0.1, 0.05) from below it in the image: the camera moved towards -y
    assert tilted.position[1] == pytest.approx(0.05 - np.tan(np.radians(30)))
    assert tilted.table_to_pixel(np.array([[0.1, 0.05, 0.0]]))[0] == pytest.approx(
        [tilted.cx, tilted.cy])


@pytest.mark.parametrize("bad, message", [
    ({"exposure": 0.02}, "exposure"),
    ({"fps": 0}, "fps"),
    ({"codec": "h264"}, "codec"),
    ({"tilt_deg": 85}, "tilt"),
    ({"dist": (0.1, 0.0)}, "5 coefficients"),
    ({"vignetting": 1.5}, "vignetting"),
])
def test_bad_settings_say_what_is_wrong(bad, message):
    with pytest.raises(ValueError, match=message):
        CameraSettings(**bad)


def test_automatic_gain_brings_white_to_the_target():
    s = CameraSettings(illuminance=60.0, exposure=1 / 240)
    assert s.auto_gain() * s.illuminance * s.exposure == pytest.approx(s.auto_target)
    assert CameraSettings(gain=2.0).auto_gain() == 2.0
    assert CameraSettings.from_dict(s.to_dict()) == s
