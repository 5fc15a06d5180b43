"""Ghosts: a change against the background that is in the background, not in the frame.

The background of a video (``reconstruct.background``) is a median of snapshots seconds
apart, so a man who stood still for a few of them is part of it; once he moves, the field he
uncovered differs from the background where he stood for as long as he stays in the median
(up to ~3 snapshots: seconds). That difference (dark blue to green) unmixes as a weak ball in
the matte, steady, of about the ball's size, wherever his silhouette was: a *ghost*. Seen
from an oblique or close camera the men are large and their ghosts common (tilted, full
match: a ghost of a man of blue's 2-bar held the path for 300 frames while the ball was
plainly visible elsewhere).

What tells a ghost from a ball is where the change is: a ball is an object in the frame; a
ghost's pixels in the frame look like the field (what the man uncovered) while the
background there does not. A ball, even one blurred thin across the field, differs from the
field by about as much as from the background under it (the field). The frame around a ball
may look like the ball (by a wall, on a marking), so the candidate's changed pixels are
compared with the field's own colour (the background's, over the playfield).
"""

from __future__ import annotations

import numpy as np

from reconstruct.ball_video import median_rows, near_segment

INNER_RADII = 0.8  # the candidate's pixels: this many radii of its streak segment
CHANGED = 0.5  # the changed pixels: a frame-background difference this share of the largest
MIN_CHANGE = 30.0  # grey levels (BGR distance): a smaller change is too faint to judge
GHOST_RATIO = 0.35  # a ghost's pixels differ from the field less than this share of how
# much they differ from the background (seen: ghosts 0.05-0.25, balls over 1)
MIN_PIXELS = 3  # pixels a median is taken over, at least
GHOST_SHARE = 0.5  # share of a ghost's changed pixels that each look like the field
FIELD_STEP = 4  # the field's colour: from every this many pixels of the roi, each way


def changed_pixels(frame: np.ndarray, background: np.ndarray, u: float, v: float,
                   radius: float, half_streak: tuple[float, float] = (0.0, 0.0),
                   valid: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """The colours, in the frame and in the background, of a candidate's changed pixels
    (those within ``INNER_RADII`` radii of its streak segment, where a ball can be
    seen, whose frame-background difference is at least ``CHANGED`` of the largest there).

    Args:
        frame, background: (H, W, 3) uint8 BGR.
        u, v: px, the candidate's centre (mid-exposure).
        radius: px, its radius.
        half_streak: px, half its blur streak (u, v).
        valid: (H, W) float32 0..1, where a ball can be seen (0 on the rods and the field's
            markings: a marking a man uncovered is white like the ball, and says nothing
            of what the change is); None: everywhere.

    Returns:
        ((N, 3), (N, 3)) float32 BGR, or None when too few of its pixels lie in the image.
    """
    h, w = frame.shape[:2]
    su, sv = float(half_streak[0]), float(half_streak[1])
    reach = INNER_RADII * radius + 1.0
    du, dv = abs(su) + reach, abs(sv) + reach
    x0, x1 = max(int(np.floor(u - du)), 0), min(int(np.ceil(u + du)) + 1, w)
    y0, y1 = max(int(np.floor(v - dv)), 0), min(int(np.ceil(v + dv)) + 1, h)
    if x1 <= x0 or y1 <= y0:
        return None
    ex = np.arange(x0, x1, dtype=np.float32)[None, :] - np.float32(u)  # (1, w) and (h, 1):
    ey = np.arange(y0, y1, dtype=np.float32)[:, None] - np.float32(v)  # broadcast, no grid
    inner = near_segment(ex, ey, (0.0, 0.0, radius, su, sv), INNER_RADII * max(radius, 1e-6))
    if valid is not None and valid.shape == (h, w):
        inner &= valid[y0:y1, x0:x1] > 0.5
    if np.count_nonzero(inner) < MIN_PIXELS:
        return None
    f = frame[y0:y1, x0:x1][inner].astype(np.float32)
    b = background[y0:y1, x0:x1][inner].astype(np.float32)
    change = np.linalg.norm(f - b, axis=1)
    changed = change >= CHANGED * float(change.max())
    if np.count_nonzero(changed) < MIN_PIXELS:
        changed[:] = True
    return f[changed], b[changed]


def field_colour(background: np.ndarray, roi: np.ndarray | None = None) -> np.ndarray:
    """(3,) float32 BGR: the field's colour, the median of the background over the
    playfield ``roi`` (H, W) bool (the whole image without one), every ``FIELD_STEP``
    pixels: the field covers most of the playfield, the men, markings and ball little."""
    bg = background[::FIELD_STEP, ::FIELD_STEP].reshape(-1, 3)
    if roi is not None:
        sel = np.asarray(roi, bool)[::FIELD_STEP, ::FIELD_STEP].reshape(-1)
        if np.count_nonzero(sel) >= MIN_PIXELS:
            bg = bg[sel]
    return np.median(bg.astype(np.float32), axis=0)


def is_ghost(frame: np.ndarray, background: np.ndarray, u: float, v: float, radius: float,
             half_streak: tuple[float, float], field: np.ndarray,
             valid: np.ndarray | None = None) -> bool:
    """Whether the candidate at (u, v) px is field uncovered rather than an object: its
    changed pixels differ from the background by ``MIN_CHANGE`` or more, and in the frame
    look like the ``field`` (3,) BGR colour (``field_colour``): they differ from it by less
    than ``GHOST_RATIO`` of their change (their median, and ``GHOST_SHARE`` of them each).
    A ball, even one blurred thin over the field,
    differs from the field by as much as it changed. Only pixels where ``valid`` (H, W)
    (``changed_pixels``) lets a ball be seen are judged."""
    c = changed_pixels(frame, background, u, v, radius, half_streak, valid)
    if c is None:
        return False
    f, b = c
    f_in, b_in = median_rows(f), median_rows(b)
    change = float(np.linalg.norm(f_in - b_in))
    if change < MIN_CHANGE or float(np.linalg.norm(f_in - field)) >= GHOST_RATIO * change:
        return False
    # ... and nearly all of them: a ball partly seen beside a ghost (its sliver a few of
    # the changed pixels) is a ball
    like = (np.linalg.norm(f - field, axis=1)
            < GHOST_RATIO * np.maximum(np.linalg.norm(f - b, axis=1), MIN_CHANGE))
    return float(np.mean(like)) >= GHOST_SHARE


class GhostTest:
    """``is_ghost`` with the field's colour kept per background image (a video's
    background changes every few dozen frames; the field's colour is taken once for each)."""

    def __init__(self):
        self._key: tuple | None = None
        self._field: np.ndarray | None = None

    def __call__(self, frame, background, roi, u: float, v: float, radius: float,
                 half_streak: tuple[float, float], valid: np.ndarray | None = None) -> bool:
        key = (id(background), id(roi))
        if self._key != key or self._field is None:
            self._field, self._key = field_colour(background, roi), key
        return is_ghost(frame, background, u, v, radius, half_streak, self._field, valid)
