"""The undistorted render and the remap that makes the distorted image."""

import numpy as np
import pytest

from sim.camerasettings import CameraSettings
from sim.lens import pinhole_for

WIDE = (-0.30, 0.09, 0.0004, -0.0003, -0.012)


def test_remap_points_each_pixel_at_its_ray_in_the_pinhole_image():
    cam = CameraSettings(width=320, height_px=240, height=0.7, hfov_deg=74.0, dist=WIDE).camera()
    pin, remap = pinhole_for(cam)
    rng = np.random.default_rng(0)
    uv = np.column_stack([rng.integers(0, 320, 50), rng.integers(0, 240, 50)]).astype(float)
    pts = cam.pixel_to_table(uv, 0.0)
    assert pin.table_to_pixel(pts) == pytest.approx(remap[uv[:, 1].astype(int),
                                                          uv[:, 0].astype(int)], abs=1e-3)
    # the pinhole image holds every ray, with the same focal length
    assert remap.min() >= 0 and remap[..., 0].max() < pin.width - 1
    assert remap[..., 1].max() < pin.height - 1 and pin.fx == cam.fx


def test_no_distortion_needs_no_remap():
    cam = CameraSettings().camera()
    pin, remap = pinhole_for(cam)
    assert remap is None and pin == cam


def test_distortion_that_folds_over_is_refused():
    cam = CameraSettings(hfov_deg=100.0, dist=WIDE).camera()
    with pytest.raises(ValueError, match="cannot be inverted"):
        pinhole_for(cam)
