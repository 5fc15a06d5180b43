"""The replay's overlay drawn onto an image with OpenCV (exported videos): time, score,
last shot, a progress bar with the goals marked, and the ghost's legend.

The window (``sim.viewer``) shows the same texts (``OverlayInfo``'s) with pyglet labels.
"""

from __future__ import annotations

import cv2
import numpy as np

from sim.playback import OverlayInfo

FONT = cv2.FONT_HERSHEY_SIMPLEX
WHITE = (245, 245, 245)
SHADOW = (20, 20, 20)


def _bgr(rgb) -> tuple[int, int, int]:
    r, g, b = (int(round(255 * float(c))) for c in rgb)
    return b, g, r


def _text(img: np.ndarray, text: str, org, scale: float, colour=WHITE, anchor: str = "left"):
    """Outlined text with its baseline at ``org`` (x is the left, centre or right end)."""
    thick = max(1, int(round(2 * scale)))
    (w, _), _ = cv2.getTextSize(text, FONT, scale, thick)
    x, y = int(org[0]), int(org[1])
    if anchor == "centre":
        x -= w // 2
    elif anchor == "right":
        x -= w
    d = thick // 2 + 1  # an outline: the same strokes shifted (a thicker stroke would
    for dx, dy in ((-d, -d), (d, -d), (-d, d), (d, d)):  # advance further per letter)
        cv2.putText(img, text, (x + dx, y + dy), FONT, scale, SHADOW, thick, cv2.LINE_AA)
    cv2.putText(img, text, (x, y), FONT, scale, colour, thick, cv2.LINE_AA)
    return w


def draw_overlay(img: np.ndarray, info: OverlayInfo, team_rgb=((0.8, 0.1, 0.1),
                 (0.12, 0.25, 0.75)), goal_times=(), ghost_label: str | None = None,
                 ghost_rgb=None, status: str | None = None) -> np.ndarray:
    """Draw the overlay in place.

    Args:
        img: (H, W, 3) uint8 BGR.
        info: what to show (``Timeline.overlay``).
        team_rgb: sRGB 0..1 colours of side 0 and side 1 (the score's swatches).
        goal_times: s from the start, marked on the progress bar.
        ghost_label: the ghost record's name, shown with ``ghost_rgb`` (None: no ghost).
        status: extra text at the top right (speed, paused), or None.

    Returns:
        ``img``.
    """
    h, w = img.shape[:2]
    s = h / 540.0
    scale = 0.62 * s
    pad = int(round(14 * s))
    line = int(round(28 * s))
    _text(img, info.time_text(), (pad, pad + line - 8 * s), scale)
    # score, with a swatch of each team's colour beside its name
    score = info.score_text()
    cx, y = w // 2, int(pad + line - 8 * s)
    width = _text(img, score, (cx, y), scale * 1.15, anchor="centre")
    r = int(round(7 * s))
    for side, x in ((0, cx - width // 2 - 2 * r - 4), (1, cx + width // 2 + 4)):
        c = (x + r, int(y - 0.4 * line + 2))
        cv2.circle(img, c, r + 1, SHADOW, -1, cv2.LINE_AA)
        cv2.circle(img, c, r, _bgr(team_rgb[side]), -1, cv2.LINE_AA)
    if status:
        _text(img, status, (w - pad, pad + line - 8 * s), scale, anchor="right")
    # progress bar with the goals
    bar_h = max(3, int(round(6 * s)))
    y1 = h - pad
    x0, x1 = pad, w - pad
    cv2.rectangle(img, (x0, y1 - bar_h), (x1, y1), (70, 70, 70), -1)
    frac = min(max(info.t / info.duration, 0.0), 1.0) if info.duration > 0 else 0.0
    cv2.rectangle(img, (x0, y1 - bar_h), (int(x0 + frac * (x1 - x0)), y1), (230, 230, 230), -1)
    for g in goal_times:
        gx = int(x0 + np.clip(g / info.duration, 0, 1) * (x1 - x0)) if info.duration > 0 else x0
        cv2.line(img, (gx, y1 - 2 * bar_h), (gx, y1 + bar_h // 2), (40, 200, 255), max(1, r // 3))
    _text(img, info.shot_text(), (pad, y1 - bar_h - pad // 2 - 2), scale)
    if ghost_label:
        x = w - pad
        wl = _text(img, f"ghost: {ghost_label}", (x, y1 - bar_h - pad // 2 - 2), scale,
                   anchor="right")
        if ghost_rgb is not None:
            c = (x - wl - 2 * r, int(y1 - bar_h - pad // 2 - 2 - 0.4 * line + 2))
            cv2.circle(img, c, r, _bgr(ghost_rgb), -1, cv2.LINE_AA)
    return img
