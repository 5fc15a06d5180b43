"""Sampling what happens during one exposure: states at any instant, and how finely to
sample each moving body so its motion blur looks continuous.

Motion blur is rendered by averaging the image of the moving bodies over ``N`` instants
spread evenly over the exposure (the midpoints of ``N`` equal slices), ``N`` chosen from how
far the body moves across the image, so the copies lie at most ``step_px`` apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.state import TableState, interpolate_state


def state_at(states: Sequence[TableState], t: float) -> TableState:
    """The state at ``t`` (s), linear between the two states around it (clamped to the
    first and last)."""
    if t <= states[0].t:
        return states[0]
    if t >= states[-1].t:
        return states[-1]
    times = np.fromiter((s.t for s in states), float, len(states))
    i = int(np.searchsorted(times, t, side="right"))
    return interpolate_state(states[i - 1], states[i], t)


class StateTrack:
    """The states of one exposure as arrays, for sampling many instants at once.

    Attributes:
        t: (K,) s. ball: (K, 3) m. shifts: (K, 8) m. angles: (K, 8) rad. in_play: (K,) bool.
    """

    def __init__(self, states: Sequence[TableState]):
        if not states:
            raise ValueError("an exposure needs at least one state")
        self.t = np.array([s.t for s in states], float)
        if np.any(np.diff(self.t) < 0):
            raise ValueError("the states of an exposure must be in time order")
        self.ball = np.array([s.ball for s in states], float).reshape(-1, 3)
        self.ball_vel = np.array([s.ball_vel for s in states], float).reshape(-1, 3)
        self.shifts = np.array([s.shifts for s in states], float).reshape(-1, 8)
        self.angles = np.array([s.angles for s in states], float).reshape(-1, 8)
        self.in_play = np.array([s.in_play for s in states], bool)

    @property
    def start(self) -> float:
        return float(self.t[0])

    @property
    def end(self) -> float:
        return float(self.t[-1])

    def _weights(self, times: np.ndarray):
        times = np.minimum(np.maximum(np.asarray(times, float), self.t[0]), self.t[-1])
        if len(self.t) == 1:
            z = np.zeros(len(times), int)
            return z, z, np.zeros(len(times))
        i = np.minimum(np.maximum(np.searchsorted(self.t, times, side="right"), 1),
                       len(self.t) - 1)
        dt = self.t[i] - self.t[i - 1]
        w = np.where(dt > 0, (times - self.t[i - 1]) / np.where(dt > 0, dt, 1.0), 0.0)
        return i - 1, i, w

    def sample(self, times) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ball (T, 3) m, shifts (T, 8) m and angles (T, 8) rad at ``times`` (T,) s, linear
        between states (clamped to the exposure)."""
        a, b, w = self._weights(np.atleast_1d(times))
        wc = w[:, None]

        def lerp(x):
            return x[a] + wc * (x[b] - x[a])

        return lerp(self.ball), lerp(self.shifts), lerp(self.angles)

    def state(self, t: float) -> TableState:
        """The state at ``t`` (s): ``in_play`` from the nearer state."""
        a, b, w = self._weights(np.array([t]))
        wc = w[:, None]
        near = b[0] if w[0] >= 0.5 else a[0]
        return TableState(
            t=float(t),
            ball=(self.ball[a] + wc * (self.ball[b] - self.ball[a]))[0],
            ball_vel=(self.ball_vel[a] + wc * (self.ball_vel[b] - self.ball_vel[a]))[0],
            shifts=(self.shifts[a] + wc * (self.shifts[b] - self.shifts[a]))[0],
            angles=(self.angles[a] + wc * (self.angles[b] - self.angles[a]))[0],
            in_play=bool(self.in_play[near]))


def sample_times(t0: float, t1: float, n: int) -> np.ndarray:
    """(n,) float64, s: midpoints of ``n`` equal slices of ``[t0, t1]``."""
    return t0 + (np.arange(n) + 0.5) / n * (t1 - t0)


def path_length(points: np.ndarray) -> np.ndarray:
    """Length of polylines: ``points`` (K, ..., 2) px, K instants -> (...,) px."""
    if len(points) < 2:
        return np.zeros(points.shape[1:-1])
    return np.linalg.norm(np.diff(points, axis=0), axis=-1).sum(axis=0)


def samples_for(length_px: float, step_px: float, max_samples: int) -> int:
    """How many instants draw a blur ``length_px`` long with copies ``step_px`` apart
    (1: the body looks still: it moves less than a pixel, or half a step)."""
    if not np.isfinite(length_px) or length_px < max(0.5 * step_px, 1.0):
        return 1
    return int(min(max_samples, max(2, np.ceil(length_px / step_px) + 1)))


def samples_many(lengths_px: np.ndarray, step_px: float, max_samples: int) -> np.ndarray:
    """``samples_for`` of each of ``lengths_px`` (N,) px: (N,) int."""
    length = np.asarray(lengths_px, float)
    ok = np.isfinite(length) & (length >= max(0.5 * step_px, 1.0))
    n = np.ceil(np.where(ok, length, 0.0) / step_px) + 1
    return np.where(ok, np.minimum(max_samples, np.maximum(2, n)), 1).astype(int)


@dataclass
class BlurGroup:
    """Bodies blurred together in one screen rectangle.

    Attributes:
        rods: rod indices whose men move.
        ball: whether the ball moves (is in this group).
        rect: (x0, y0, x1, y1) px, pinhole image, x1/y1 exclusive.
        samples: number of instants averaged.
    """

    rods: list[int]
    ball: bool
    rect: tuple[int, int, int, int]
    samples: int


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def merge_groups(groups: list[BlurGroup]) -> list[BlurGroup]:
    """Merge groups whose rectangles overlap (repeatedly), so no two groups share pixels."""
    groups = list(groups)
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                a, b = groups[i], groups[j]
                if _overlap(a.rect, b.rect):
                    rect = (min(a.rect[0], b.rect[0]), min(a.rect[1], b.rect[1]),
                            max(a.rect[2], b.rect[2]), max(a.rect[3], b.rect[3]))
                    groups[i] = BlurGroup(sorted(set(a.rods + b.rods)), a.ball or b.ball, rect,
                                          max(a.samples, b.samples))
                    del groups[j]
                    merged = True
                    break
            if merged:
                break
    return groups


def bounding_rect(uv: np.ndarray, pad: float, width: int, height: int):
    """(x0, y0, x1, y1) int px around points ``uv`` (..., 2) with ``pad`` px, clipped to the
    image; None when empty or outside."""
    pts = uv.reshape(-1, 2)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if not len(pts):
        return None
    x0 = max(int(np.floor(pts[:, 0].min() - pad)), 0)
    y0 = max(int(np.floor(pts[:, 1].min() - pad)), 0)
    x1 = min(int(np.ceil(pts[:, 0].max() + pad)) + 1, width)
    y1 = min(int(np.ceil(pts[:, 1].max() + pad)) + 1, height)
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1, y1)


def flicker_gain(t0: float, t1: float, mains_hz: float, depth: float,
                 phase: float = 0.0) -> float:
    """Mean brightness of a lamp on AC mains over an exposure ``[t0, t1]`` s.

    The light pulses at twice the mains frequency: ``1 + depth * cos(2 pi 2 f t + phase)``.
    A zero-length exposure samples the instant.
    """
    if mains_hz <= 0 or depth <= 0:
        return 1.0
    w = 2 * np.pi * 2 * mains_hz
    if t1 - t0 < 1e-9:
        return float(1 + depth * np.cos(w * t0 + phase))
    # mean of cos over [t0, t1] = (sin(w t1 + p) - sin(w t0 + p)) / (w (t1 - t0))
    return float(1 + depth * (np.sin(w * t1 + phase) - np.sin(w * t0 + phase)) / (w * (t1 - t0)))
