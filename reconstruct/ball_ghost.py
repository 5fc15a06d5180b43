"""Ghosts: a change against the background that is in the background, not in the frame.

The background of a video (``reconstruct.background``) is a median of snapshots seconds
apart, so a man who stood still for a few of them is part of it; once he moves, the field he
uncovered differs from the background where he stood for as long as he stays in the median
(up to ~3 snapshots: seconds). That difference (dark blue to green) unmixes as a weak ball in
the matte, steady, of about the ball's size, wherever his silhouette was: a *ghost*. Seen
from an oblique or close camera the men are large and their ghosts common (tilted, full
match: a ghost of a man of blue's 2-bar held the path for 300 frames while the ball was
plainly visible elsewhere).

What tells a ghost from a ball is where the change is: a ball is an object in the frame, its
pixels unlike the frame around them; a ghost's pixels in the frame look like the frame
around them (the field on both sides) while the background there does not. This compares
the changed pixels of a candidate with the frame around it (a ring beyond the ball and its
streak) and with the background under them.
"""

from __future__ import annotations

import numpy as np

INNER_RADII = 0.8  # the candidate's pixels: this many radii of its streak segment
RING_RADII = (1.6, 2.6)  # the frame around it: a ring this many radii from the segment
CHANGED = 0.5  # the changed pixels: a frame-background difference this share of the largest
MIN_CHANGE = 30.0  # grey levels (BGR distance): a smaller change is too faint to judge
GHOST_RATIO = 0.35  # a ghost's pixels differ from the frame around them less than this
# share of how much they differ from the background (seen: ghosts 0.01-0.25, balls ~1)
MIN_PIXELS = 3  # pixels each median is taken over, at least


def local_contrast(frame: np.ndarray, background: np.ndarray, u: float, v: float,
                   radius: float, half_streak: tuple[float, float] = (0.0, 0.0)
                   ) -> tuple[float, float] | None:
    """How a candidate's changed pixels differ from the frame around them and from the
    background under them.

    Args:
        frame, background: (H, W, 3) uint8 BGR.
        u, v: px, the candidate's centre (mid-exposure).
        radius: px, its radius.
        half_streak: px, half its blur streak (u, v).

    Returns:
        (to the frame around, to the background), grey levels (BGR distances of medians),
        or None when the candidate lies too near the image's edge to judge.
    """
    h, w = frame.shape[:2]
    su, sv = float(half_streak[0]), float(half_streak[1])
    reach = RING_RADII[1] * radius + 1.0
    x0, x1 = int(np.floor(u - abs(su) - reach)), int(np.ceil(u + abs(su) + reach)) + 1
    y0, y1 = int(np.floor(v - abs(sv) - reach)), int(np.ceil(v + abs(sv) + reach)) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    ex, ey = xs - u, ys - v
    l2 = su * su + sv * sv
    t = np.clip((ex * su + ey * sv) / l2, -1.0, 1.0) if l2 > 1e-9 else 0.0
    d = np.hypot(ex - t * su, ey - t * sv) / max(radius, 1e-6)
    f = frame[y0:y1, x0:x1].astype(np.float32)
    b = background[y0:y1, x0:x1].astype(np.float32)
    inner = d <= INNER_RADII
    ring = (d >= RING_RADII[0]) & (d <= RING_RADII[1])
    if np.count_nonzero(inner) < MIN_PIXELS or np.count_nonzero(ring) < MIN_PIXELS:
        return None
    change = np.linalg.norm(f[inner] - b[inner], axis=1)
    changed = change >= CHANGED * float(change.max())
    if np.count_nonzero(changed) < MIN_PIXELS:
        changed = np.ones_like(changed)
    f_in = np.median(f[inner][changed], axis=0)
    b_in = np.median(b[inner][changed], axis=0)
    f_ring = np.median(f[ring], axis=0)
    return float(np.linalg.norm(f_in - f_ring)), float(np.linalg.norm(f_in - b_in))


def is_ghost(frame: np.ndarray, background: np.ndarray, u: float, v: float, radius: float,
             half_streak: tuple[float, float] = (0.0, 0.0)) -> bool:
    """Whether the candidate at (u, v) px is a change in the background rather than an
    object in the frame: its changed pixels differ from the background by ``MIN_CHANGE`` or
    more, and from the frame around them by less than ``GHOST_RATIO`` of that."""
    c = local_contrast(frame, background, u, v, radius, half_streak)
    if c is None:
        return False
    to_frame, to_background = c
    return to_background >= MIN_CHANGE and to_frame < GHOST_RATIO * to_background
