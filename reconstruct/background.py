"""The empty table in video: a per-pixel median of a few sparse snapshots.

Every ``every`` frames the newest frame becomes a snapshot, except where a pixel looks like
the ball (given its colour: anywhere; without it: near where the tracker believes the ball
is, seen or hidden under a man): there the snapshot keeps the current background, so a ball
resting for seconds never enters it, not even one the tracker lost under a man, while the
men moving around it do. What stays ball-like for over ``HOLD_SNAPSHOTS`` snapshots in a
row is the table after all (a marking a man stood on when the background was primed) and is
learned. The background is the median of
the last ``count`` snapshots (5: a median of 5 by min/max, exact and cheap), so anything
that moves within a few snapshots (the ball, a swinging man, a hand) leaves it.

Where the men stood in each snapshot can be given too (their silhouettes, drawn from the rod
readings). Then a man who held a pose for most snapshots and has moved on leaves no ghost:
where the median still holds him, the image shows the field as last seen free of men (the
field he uncovered, a white marking above all, looks like a ball against his ghost), and
``men`` is where the image shows a man who is still there.

A video file can be primed with frames spread over it (``prime``): the ball is then absent
from the very first background instead of leaving a ghost where it stood at the start.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from reconstruct.ball_colour import AlphaMatte

BALLISH_ALPHA = 0.2  # matte above which a pixel near the ball is taken for the ball
BALLISH_WEIGHT = 0.2  # ... when the matte is trustworthy there
_GROW = np.ones((5, 5), np.uint8)  # and 2 px around it (its blurred rim, its shadow)
HOLD_SNAPSHOTS = 6  # snapshots in a row a ball-like pixel is held back at most
MAN_EDGE_PX = 2  # px around a man's drawn outline that may still show him (his blur, the
# rod reading's error)


def median3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Per-pixel median of three uint8 images."""
    return cv2.max(cv2.min(a, b), cv2.min(cv2.max(a, b), c))


def median5(a, b, c, d, e) -> np.ndarray:
    """Per-pixel median of five uint8 images: med3(e, max(min(a,b), min(c,d)),
    min(max(a,b), max(c,d)))."""
    lo = cv2.max(cv2.min(a, b), cv2.min(c, d))
    hi = cv2.min(cv2.max(a, b), cv2.max(c, d))
    return median3(e, lo, hi)


class SnapshotBackground:
    """Background of a video as the median of its last few snapshots.

    Args:
        every: frames between snapshots.
        count: snapshots kept (3 or 5).
    """

    def __init__(self, every: int = 12, count: int = 5):
        if count not in (3, 5):
            raise ValueError(f"a snapshot background keeps 3 or 5 snapshots, not {count}")
        self.every = max(1, int(every))
        self.count = count
        self._snaps: deque[np.ndarray] = deque(maxlen=count)
        self.image: np.ndarray | None = None  # (H, W, 3) uint8, the current background
        self._n = 0
        self._held: np.ndarray | None = None  # (H, W) uint8, snapshots held back in a row
        self.version = 0  # bumped whenever ``image`` changes
        self._men_snaps: deque[np.ndarray | None] = deque(maxlen=count)
        self.men: np.ndarray | None = None  # (H, W) uint8, 1 where ``image`` shows a man
        self._field: np.ndarray | None = None  # (H, W, 3) uint8, the field as last seen
        # free of men

    def _unghost(self, snap: np.ndarray, latest: np.ndarray) -> None:
        """With the men's silhouettes ``latest`` (H, W) uint8 of the newest snapshot
        ``snap``: keep the field as last seen free of men (``_field``), and show it where
        the median still holds a man who has left (a ghost of his old pose: against it the
        field he uncovered, a white marking above all, looks like a ball); ``men`` then is
        where the image shows a man who is still there."""
        grown = _grown(latest)
        if self._field is None or self._field.shape != snap.shape:
            self._field = self.image.copy()
        np.copyto(self._field, snap, where=~grown[..., None])
        ghost = (self.men > 0) & ~grown
        np.copyto(self.image, self._field, where=ghost[..., None])
        self.men &= latest

    def unghost(self, men_now: np.ndarray) -> bool:
        """Between snapshots: where the image shows a man who has left since (``men_now``
        (H, W) uint8 0/1, the men's silhouettes now), show the field as last seen free of
        men instead. Returns whether the image changed (then it is a new array)."""
        if self.men is None or self._field is None:
            return False
        ghost = (self.men > 0) & ~_grown(men_now)
        if not ghost.any():
            return False
        self.image = self.image.copy()
        np.copyto(self.image, self._field, where=ghost[..., None])
        self.men = self.men.copy()
        self.men[ghost] = 0
        self.version += 1
        return True

    def prime(self, frames: list[np.ndarray]) -> None:
        """Start from frames spread over the video (their median fills every snapshot)."""
        if not frames:
            return
        k = len(frames)
        if k >= 5:
            idx = np.linspace(0, k - 1, 5).round().astype(int)
            med = median5(*(frames[i] for i in idx))
        elif k >= 3:
            med = median3(frames[0], frames[k // 2], frames[-1])
        else:
            med = frames[0]
        self._fill(np.ascontiguousarray(med))

    def _fill(self, image: np.ndarray) -> None:
        self._snaps.clear()
        self._men_snaps.clear()
        for _ in range(self.count):
            self._snaps.append(image)
            self._men_snaps.append(None)  # unknown: no man counted
        self.men = None
        self.image = image
        self.version += 1

    def update(self, frame: np.ndarray, keep=(), colour: np.ndarray | None = None,
               box: tuple[int, int, int, int] | None = None, men=None) -> bool:
        """Take a frame (H, W, 3) uint8. With the ball's ``colour`` (BGR), every pixel that
        looks like the ball (its matte against the current background) keeps the
        background's value; without it, only those inside ``keep``: boxes ``(u, v, half)``
        px around where the ball may be. Everything else (a man moving, the light) is
        learned. ``box`` (y0, y1, x0, x1) px: where the ball's pixels can be at all (the
        playfield and a ball radius around it); the colour is only judged there, saving
        the work outside. ``men``: a function giving the men's silhouettes (H, W) uint8 0/1
        in this frame, called only when a snapshot is taken. Returns whether the background
        changed."""
        self._n += 1
        if self.image is None:
            self._fill(frame.copy())
            return True
        if (self._n - 1) % self.every:
            return False
        snap = frame.copy()
        h, w = frame.shape[:2]
        if colour is not None:
            # nowhere does a ball-like pixel enter: a ball resting where the tracker does not
            # believe it is (lost under a man) would become part of the empty table, and leave
            # a ghost where it stood once it rolls on
            y0, y1, x0, x1 = (0, h, 0, w) if box is None else _clip_box(box, h, w)
            old = self.image[y0:y1, x0:x1]
            a, wgt = AlphaMatte(old, colour, precompute=False).alpha_weight(
                frame[y0:y1, x0:x1], (0, y1 - y0, 0, x1 - x0))
            ballish = ((a > BALLISH_ALPHA) & (wgt > BALLISH_WEIGHT)).astype(np.uint8)
            ballish = cv2.dilate(ballish, _GROW)
            # ... for a while: what stays ball-like for longer is the table (a marking a man
            # stood on when the background was primed), and is learned after all
            if self._held is None or self._held.shape != (h, w):
                self._held = np.zeros((h, w), np.uint8)
            held = self._held[y0:y1, x0:x1]
            held[:] = cv2.multiply(cv2.add(held, 1), ballish)
            hold = (ballish > 0) & (held <= HOLD_SNAPSHOTS)
            np.copyto(snap[y0:y1, x0:x1], old, where=hold[..., None])
            keep = ()
        for u, v, half in keep:
            r = int(np.ceil(half))
            y0, y1 = max(0, int(v) - r), min(h, int(v) + r + 2)
            x0, x1 = max(0, int(u) - r), min(w, int(u) + r + 2)
            if y0 >= y1 or x0 >= x1:
                continue
            old = self.image[y0:y1, x0:x1]
            if colour is None:
                snap[y0:y1, x0:x1] = old
                continue
            a, wgt = AlphaMatte(old, colour, precompute=False).alpha_weight(
                frame[y0:y1, x0:x1], (0, y1 - y0, 0, x1 - x0))
            ballish = ((a > BALLISH_ALPHA) & (wgt > BALLISH_WEIGHT)).astype(np.uint8)
            ballish = cv2.dilate(ballish, _GROW)
            np.copyto(snap[y0:y1, x0:x1], old, where=ballish[..., None].astype(bool))
        self._snaps.append(snap)
        s = list(self._snaps)
        self.image = median5(*s) if self.count == 5 else median3(*s)
        if men is not None or any(m is not None for m in self._men_snaps):
            latest = None if men is None else men()
            self._men_snaps.append(latest)
            self.men = _vote([m for m in self._men_snaps if m is not None], self.count)
            if latest is not None:
                self._unghost(snap, latest)
        self.version += 1
        return True


def _grown(mask: np.ndarray) -> np.ndarray:
    """(H, W) bool: ``mask`` (H, W) uint8 0/1 grown by ``MAN_EDGE_PX``."""
    k = 2 * MAN_EDGE_PX + 1
    return cv2.dilate(mask, np.ones((k, k), np.uint8)).view(bool)


def _vote(masks: list[np.ndarray], count: int) -> np.ndarray:
    """(H, W) uint8: 1 where more than half of ``count`` snapshots had a 1 (the median of
    the snapshots shows what most of them show); ``masks`` those known (H, W) uint8 0/1."""
    total = masks[0].copy()
    for m in masks[1:]:
        cv2.add(total, m, dst=total)
    return (total > count // 2).astype(np.uint8)


def _clip_box(box, h: int, w: int) -> tuple[int, int, int, int]:
    """A (y0, y1, x0, x1) box clipped to an (h, w) image (never empty)."""
    y0, y1, x0, x1 = (int(v) for v in box)
    y0, x0 = min(max(y0, 0), h - 1), min(max(x0, 0), w - 1)
    return y0, min(max(y1, y0 + 1), h), x0, min(max(x1, x0 + 1), w)
