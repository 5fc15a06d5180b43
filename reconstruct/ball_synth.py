"""Synthetic frames with an exactly known ball, for testing and benchmarking the detector.

A drawn table (green field with a brightness gradient and texture, white markings, chrome
rods with highlights, green and black men) and a ball composited over it as the camera would
integrate it: each pixel is ``(1 - f) * background + f * ball_colour`` with ``f`` the
fraction of the exposure the ball covers the pixel, computed on an 8 x 8 sub-pixel grid with
the exposure integrated exactly. The truth is the ball's centre at mid-exposure.

Pixel coordinates follow OpenCV: u right, v down, pixel centres at integers.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

FIELD_BGR = (96, 150, 70)
MARKING_BGR = (245, 248, 248)
ROD_BGR = (120, 120, 125)
HIGHLIGHT_BGR = (250, 252, 252)
TEAM_BGR = ((60, 200, 70), (35, 30, 35))
BALL_BGR = (225, 235, 235)


@dataclass(frozen=True)
class SyntheticTable:
    """A drawn empty table and where its parts are (px)."""

    image: np.ndarray  # (H, W, 3) uint8 BGR, no ball
    ball_radius: float  # px, the ball's radius at this scale
    rod_v: tuple[float, ...]  # px, image rows of the (horizontal) rods
    marking_points: np.ndarray  # (M, 2) float64 px: points on the white markings
    spot_points: np.ndarray  # (S, 2) float64 px: centres of the penalty/centre spots


def draw_table(width: int = 640, height: int = 480, ball_radius: float = 7.0,
               seed: int = 0) -> SyntheticTable:
    """An empty table seen from above, rods horizontal, the field filling most of the view.

    Args:
        width, height: px.
        ball_radius: px; markings, rods and men are drawn to scale with it (a 35 mm ball).
        seed: texture and men placement.
    """
    rng = np.random.default_rng(seed)
    mm = ball_radius / 17.5  # px per mm
    img = np.empty((height, width, 3), np.float32)
    img[:] = FIELD_BGR
    gy, gx = np.mgrid[0:height, 0:width].astype(np.float32)
    img *= (0.85 + 0.3 * gx / width)[..., None] * (1.05 - 0.1 * gy / height)[..., None]
    tex = cv2.GaussianBlur(rng.normal(0, 6, (height, width)).astype(np.float32), (0, 0), 2)
    img += tex[..., None]
    lw = max(1, round(10 * mm))
    shift = 4
    s = 1 << shift

    def P(u, v):
        return (round(u * s), round(v * s))

    cu, cv = 0.5 * (width - 1), 0.5 * (height - 1)
    white = MARKING_BGR
    cv2.line(img, P(0, cv), P(width - 1, cv), white, lw, cv2.LINE_AA, shift)
    circle_r = 100 * mm
    cv2.circle(img, P(cu, cv), round(circle_r * s), white, lw, cv2.LINE_AA, shift)
    spots = [(cu, cv), (cu, cv - 0.33 * height), (cu, cv + 0.33 * height)]
    for su, sv in spots:
        cv2.circle(img, P(su, sv), round(7 * mm * s), white, -1, cv2.LINE_AA, shift)
    box_w, box_h = 0.45 * width, 0.12 * height
    for v0, v1 in ((0, box_h), (height - 1, height - 1 - box_h)):
        cv2.rectangle(img, P(cu - box_w / 2, v0 - 5), P(cu + box_w / 2, v1), white, lw,
                      cv2.LINE_AA, shift)
    marks = [(u, cv) for u in np.linspace(0, width - 1, 40)]
    marks += [(cu + circle_r * np.cos(t), cv + circle_r * np.sin(t))
              for t in np.linspace(0, 2 * np.pi, 40, endpoint=False)]
    rod_v = tuple(float(v) for v in np.linspace(0.06, 0.94, 8) * height)
    rod_w = max(2, round(16 * mm))
    for i, v in enumerate(rod_v):
        cv2.line(img, P(-10, v), P(width + 10, v), ROD_BGR, rod_w, cv2.LINE_AA, shift)
        cv2.line(img, P(-10, v - 0.15 * rod_w), P(width + 10, v - 0.15 * rod_w), HIGHLIGHT_BGR,
                 max(1, rod_w // 4), cv2.LINE_AA, shift)
        n_men = (1, 2, 3, 5, 5, 3, 2, 1)[i]
        gap = width / (n_men + 1)
        colour = TEAM_BGR[i % 2 == 1]
        for k in range(n_men):
            u = gap * (k + 1) + rng.uniform(-0.3, 0.3) * gap
            cv2.rectangle(img, P(u - 12 * mm, v - 20 * mm), P(u + 12 * mm, v + 30 * mm),
                          colour, -1, cv2.LINE_AA, shift)
    image = np.clip(img, 0, 255).astype(np.uint8)
    return SyntheticTable(image, float(ball_radius), rod_v, np.array(marks, float),
                          np.array(spots, float))


def streak_coverage_exact(width: int, height: int, u: float, v: float, radius: float,
                          streak: tuple[float, float] = (0.0, 0.0), supersample: int = 8
                          ) -> tuple[tuple[int, int, int, int], np.ndarray]:
    """Exposure fraction of a ball moving from ``(u, v) - streak/2`` to ``(u, v) + streak/2``.

    Returns:
        ``(y0, y1, x0, x1)`` the pixel box, and ``(y1 - y0, x1 - x0)`` float64 coverage in it.
    """
    du, dv = 0.5 * streak[0], 0.5 * streak[1]
    half = np.hypot(du, dv)
    x0 = max(int(np.floor(u - abs(du) - radius)) - 1, 0)
    x1 = min(int(np.ceil(u + abs(du) + radius)) + 2, width)
    y0 = max(int(np.floor(v - abs(dv) - radius)) - 1, 0)
    y1 = min(int(np.ceil(v + abs(dv) + radius)) + 2, height)
    n = supersample
    offs = (np.arange(n) + 0.5) / n - 0.5
    ys = (np.arange(y0, y1)[:, None] + offs[None, :]).ravel()
    xs = (np.arange(x0, x1)[:, None] + offs[None, :]).ravel()
    ex = xs[None, :] - u
    ey = ys[:, None] - v
    if half < 1e-9:
        f = (ex * ex + ey * ey < radius * radius).astype(float)
    else:
        dx, dy = du / half, dv / half
        a = ex * dx + ey * dy
        b = ey * dx - ex * dy
        h = np.sqrt(np.maximum(radius * radius - b * b, 0.0))
        overlap = np.minimum(a + h, half) - np.maximum(a - h, -half)
        f = np.where(h > 0, np.clip(overlap, 0.0, None), 0.0) / (2 * half)
    f = f.reshape(y1 - y0, n, x1 - x0, n).mean(axis=(1, 3))
    return (y0, y1, x0, x1), f


def composite_ball(background: np.ndarray, u: float, v: float, radius: float,
                   streak: tuple[float, float] = (0.0, 0.0), colour=BALL_BGR,
                   noise: float = 2.0, rng: np.random.Generator | None = None,
                   occluder: np.ndarray | None = None) -> np.ndarray:
    """The background with a (blurred) ball over it, plus Gaussian noise.

    Args:
        background: (H, W, 3) uint8 BGR.
        u, v: px, the ball's centre at mid-exposure.
        radius: px.
        streak: px, the displacement during the exposure.
        colour: BGR of the ball.
        noise: standard deviation of the added noise, grey levels.
        rng: for the noise (default: a generator seeded with 0).
        occluder: optional (H, W) bool: pixels where something in front hides the ball.

    Returns:
        (H, W, 3) uint8 BGR.
    """
    h, w = background.shape[:2]
    (y0, y1, x0, x1), f = streak_coverage_exact(w, h, u, v, radius, streak)
    out = background.astype(np.float32)
    if occluder is not None:
        f = f * ~occluder[y0:y1, x0:x1]
    patch = out[y0:y1, x0:x1]
    out[y0:y1, x0:x1] = patch + f[..., None].astype(np.float32) * (
        np.asarray(colour, np.float32) - patch)
    if noise > 0:
        rng = rng if rng is not None else np.random.default_rng(0)
        out += rng.normal(0.0, noise, out.shape).astype(np.float32)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
