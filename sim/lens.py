"""From a distorting camera to the pinhole image the renderer draws, and back.

The renderer draws an undistorted (pinhole) image; the lens is applied afterwards by a
remap: each output pixel looks up the pinhole pixel its ray hits. The pinhole image is made
wide enough to hold every ray of the output image, at the output's focal length (so the
image centre keeps its sharpness).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sim.camera import Camera, distort

MAX_PINHOLE_SCALE = 3.0  # the pinhole image may be at most this much wider/taller


def pinhole_for(camera: Camera, margin_px: int = 2) -> tuple[Camera, np.ndarray | None]:
    """The pinhole camera to render for ``camera``, and the remap from output to pinhole.

    Returns:
        pinhole: a ``Camera`` without distortion, same pose and focal length.
        remap: (height, width, 2) float32, px: for each output pixel (row v, column u) the
            pinhole pixel (u_p, v_p) its ray passes through; None without distortion.

    Raises:
        ValueError: the distortion folds over (not monotonic) inside the image, or it would
            need a pinhole image more than ``MAX_PINHOLE_SCALE`` times the output's size.
    """
    if not camera.has_distortion:
        return camera, None
    W, H = camera.width, camera.height
    u, v = np.meshgrid(np.arange(W, dtype=np.float64), np.arange(H, dtype=np.float64))
    uv = np.stack([u, v], axis=-1).reshape(-1, 2)
    xy = camera.undistort_pixels(uv)  # normalised pinhole coordinates
    _check_inverse(camera, xy, uv)
    xp = xy[:, 0] * camera.fx
    yp = xy[:, 1] * camera.fy
    x0, x1 = np.floor(xp.min()) - margin_px, np.ceil(xp.max()) + margin_px
    y0, y1 = np.floor(yp.min()) - margin_px, np.ceil(yp.max()) + margin_px
    pw, ph = int(x1 - x0) + 1, int(y1 - y0) + 1
    if pw > MAX_PINHOLE_SCALE * W or ph > MAX_PINHOLE_SCALE * H:
        raise ValueError(
            f"lens distortion {camera.dist} is too strong: the undistorted view would need "
            f"{pw}x{ph} px for a {W}x{H} image; reduce the distortion or the field of view")
    pin = replace(camera, width=pw, height=ph, cx=-x0, cy=-y0, dist=(0.0,) * 5)
    remap = np.stack([xp - x0, yp - y0], axis=-1).reshape(H, W, 2).astype(np.float32)
    return pin, remap


def _check_inverse(camera: Camera, xy: np.ndarray, uv: np.ndarray) -> None:
    """Undistortion must invert the distortion everywhere in the image (no fold-over)."""
    xd, yd = distort(camera.dist, xy[:, 0], xy[:, 1])
    back = np.stack([xd * camera.fx + camera.cx, yd * camera.fy + camera.cy], axis=1)
    err = np.abs(back - uv).max()
    if not np.isfinite(err) or err > 0.01:
        raise ValueError(
            f"lens distortion {camera.dist} cannot be inverted over the whole image (the "
            f"model folds over, error {err:.3g} px): use smaller coefficients")
