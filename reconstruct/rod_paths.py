"""Rods over time: the most likely angle path (unwrapped, spins counted) and smooth shifts.

Per rod, the angle is a fixed-lag Viterbi search over the angle bins of ``RodReading``'s
cost curves: a rod turns by at most ``max_spin / fps`` per frame, and it prefers to keep
turning as it turned (a swing does not reverse without reason). The chosen path is
unwrapped as it goes, so a full spin reads 2 pi.

A full turn needs evidence. An overhead camera sees a man at angle a and at pi - a alike
(swung forwards and down, or forwards and up), so a strike (back-swing, fast forward swing
past the horizontal, back down) has a twin path that goes over the top one way and reads a
full turn; momentum alone even favours the twin, which never reverses. Two things settle it
for the strike: ``max_spin`` is above a strike's speed (a slower limit leaves the twin as the
only path), and passing over the top (the wrap at +-pi) costs ``top_cost`` once. A real spin
pays that once per turn and wins back more through its momentum when it turns fast (its
twin reverses sharply at every horizontal); a slow single turn seen from overhead is read as
two swings. Where two trace backs meet with a jump no rod makes in a frame, the unwrapped
angle keeps its turn. Shifts are smoothed by a local quadratic
(Savitzky-Golay) fit after dropping readings that disagree with their neighbours.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from reconstruct.rods import N_ANGLES, RodReading, _parabolic, angle_bins

BIN = 2 * np.pi / N_ANGLES
_BINS = angle_bins()
MAX_SPEED_CHANGES = 13  # turning-speed changes tried per frame at most (the search's cost)


@dataclass(frozen=True)
class RodPathSettings:
    coarse: int = 3  # fine angle bins per bin of the search (6 degrees; refined after)
    lag_s: float = 0.12  # s, decisions are at least this late
    block_s: float = 0.05  # s, frames are decided this many at a time (one trace back)
    max_spin: float = 150.0  # rad/s, fastest a rod turns (a strike reaches about 130)
    top_cost: float = 5.0  # cost of passing over the top (angle +-pi): what a full turn takes
    max_accel: float = 6000.0  # rad/s^2, fastest change of turning speed
    turn_weight: float = 0.0  # cost per squared coarse bin of turning in a frame
    accel_weight: float = 0.45  # cost per squared coarse bin of change in turning speed
    data_weight: float = 6.0  # weight of the silhouette mismatch (0..1 per frame)
    hang_prior: float = 0.1  # cost of a man above the rod (|angle| > 100 degrees)
    # cost of a man swung level (times sin^2 of the angle): a rod let go hangs, its men's
    # feet being heavier than their heads. It settles what a view at about 45 degrees of
    # elevation cannot tell: there a man hanging and one swung level towards the camera
    # cast the same silhouette on the plane of the rods. (sin^2 is alike at a and pi - a:
    # it leaves the twin paths of a strike to the other terms.)
    rest_prior: float = 0.03
    shift_window: int = 3  # frames each side of the shift fit
    shift_outlier: float = 0.012  # m, a reading this far from its neighbours' median is dropped


@dataclass(frozen=True)
class RodFrame:
    """The rods at one frame: shifts (8,) m and unwrapped angles (8,) rad."""

    frame: int
    shift: np.ndarray
    angle: np.ndarray


class RodPathTracker:
    """Fixed-lag smoothing of the rods. Feed ``RodReading``s in order with ``update``.

    The angle search runs on coarse bins (``settings.coarse`` fine bins each) with a
    second-order state (bin, turning speed), so a spin, which an overhead camera sees
    exactly like a man swinging up and back down, is told apart by its momentum, and a
    crossing of the top costs ``top_cost``.
    """

    def __init__(self, n_rods: int, fps: float, settings: RodPathSettings | None = None):
        self.s = settings or RodPathSettings()
        self.n = n_rods
        self.fps = float(fps)
        self.lag = max(1, int(round(self.s.lag_s * self.fps)))
        self.block = max(1, int(round(self.s.block_s * self.fps)))
        self.coarse = self.s.coarse
        nb = N_ANGLES // self.coarse
        self._nb = nb
        cbin = 2 * np.pi / nb
        vmax = max(1, int(np.ceil(self.s.max_spin / self.fps / cbin)))
        amax = max(1, int(np.ceil(self.s.max_accel / self.fps ** 2 / cbin)))
        v = np.arange(-vmax, vmax + 1)
        if amax <= MAX_SPEED_CHANGES // 2:
            dv = np.arange(-amax, amax + 1)
        else:  # a low frame rate: speed changes spread wider apart for large changes
            k = np.arange(1, MAX_SPEED_CHANGES // 2 + 1) / (MAX_SPEED_CHANGES // 2)
            pos = np.unique(np.maximum(np.round(amax * k ** 1.5), 1).astype(int))
            dv = np.concatenate([-pos[::-1], [0], pos])
        self._v, self._dv = v, dv
        # predecessor of state (b, v) through a speed change dv: (b - v, v - dv)
        self._pb = ((np.arange(nb)[:, None, None] - v[None, :, None]) % nb
                    + 0 * dv[None, None, :])
        vi = np.arange(len(v))[None, :, None] - dv[None, None, :]
        self._pv_ok = (vi >= 0) & (vi < len(v))
        self._pv = np.clip(vi, 0, len(v) - 1) + 0 * self._pb
        # per state (b, v): the turning cost, and the cost of having come over the top (the
        # step into b from b - v passed the wrap at +-pi)
        came_from = np.arange(nb)[:, None] - v[None, :]
        over_top = (came_from < 0) | (came_from >= nb)
        vpen = (self.s.turn_weight * v.astype(float)[None, :] ** 2
                + self.s.top_cost * over_top).astype(np.float32)  # (nb, V)
        self._vpen = np.ascontiguousarray(vpen.T[:, None, :])  # (V, 1, nb)
        # The costs are held speed first, (V, n, nb), and the search is separable: the best
        # way into speed v at the predecessor bin p (a min over the speed changes, which
        # move along the speed axis only: contiguous blocks) is found first for every
        # (v, p), then sheared onto the bins p + v. Per speed change: its penalty and the
        # speeds it reaches from inside the range (dst) and whence (src).
        self._pen_dv = (self.s.accel_weight * dv.astype(float) ** 2).astype(np.float32)
        nv = len(v)
        self._dv_slices = [(slice(max(0, d), nv + min(0, d)), slice(max(0, -d), nv - max(0, d)))
                           if abs(d) < nv else None for d in dv.tolist()]  # None: reaches none
        # tracing back: per state (b, v) and speed change, the flat index of the predecessor
        # in (V, n, nb) less its rod's part; the penalties, inf for speeds out of range
        self._pred_at = self._pv * (n_rods * nb) + self._pb  # (nb, V, A)
        self._rod_at = (np.arange(n_rods) * nb)[:, None]
        self._pen_ok = (self._pen_dv[None, :]
                        + np.where(self._pv_ok[0], 0.0, np.inf)).astype(np.float32)  # (V, A)
        # cost of (v, rod, b) = best[v, rod, (b - v) % nb]: a flat index into (V, n, nb)
        self._shear = (np.arange(nv)[:, None, None] * (n_rods * nb)
                       + np.arange(n_rods)[None, :, None] * nb
                       + (np.arange(nb)[None, None, :] - v[:, None, None]) % nb)
        bins = angle_bins()[:: self.coarse]
        self._prior = (np.where(np.abs(bins) > np.radians(100), self.s.hang_prior, 0.0)
                       + self.s.rest_prior * np.sin(bins) ** 2)
        self._cost: np.ndarray | None = None  # (len(v), n, nb) float32, the newest frame's
        # per frame of the window: its (len(v), n, nb) float32 costs (the speed change into
        # each state of the next frame is found again from them when tracing back)
        self._costs: deque[np.ndarray] = deque()
        self._best = np.empty((nv, n_rods, nb), np.float32)  # buffer of _best_into
        self._readings: deque[RodReading] = deque()
        self._next_commit = 0
        self._unwrapped: np.ndarray | None = None  # (n,) int, coarse bins, last commit
        self._last_bin: np.ndarray | None = None
        self._buf: deque[tuple[int, np.ndarray, np.ndarray]] = deque()
        self._next_release = 0
        self._out: list[RodFrame] = []

    def _data(self, reading: RodReading) -> np.ndarray:
        """(n, nb) data cost of each coarse bin: its best fine bin."""
        c = reading.angle_cost.reshape(self.n, self._nb, self.coarse).min(axis=2)
        return (self.s.data_weight * c + self._prior[None]).astype(np.float32)

    def update(self, reading: RodReading) -> tuple[np.ndarray, np.ndarray]:
        """Take one frame's reading; return the online (zero-lag) shifts and wrapped
        angles (8,) each."""
        data = self._data(reading)
        if self._cost is None:
            cost = data[None] + self._vpen
        else:
            cost = self._best_into(self._cost)
            cost += data[None] + self._vpen
            cost -= cost.min(axis=(0, 2), keepdims=True)
        self._cost = cost
        self._costs.append(cost)
        self._readings.append(reading)
        if len(self._costs) >= self.lag + self.block:
            self._commit(self.block)
        best = self._best_state()[0]
        return reading.shift.copy(), _BINS[best * self.coarse]

    def _best_state(self) -> tuple[np.ndarray, np.ndarray]:
        """Per rod, the bin and speed index ((n,) int each) of the newest frame's least
        cost (of equal ones, the first in (bin, speed) order)."""
        flat = self._cost.transpose(1, 2, 0).reshape(self.n, -1).argmin(axis=1)
        nv = len(self._v)
        return flat // nv, flat % nv

    def _best_into(self, prev: np.ndarray) -> np.ndarray:
        """(V, n, nb) float32, a new array: the least cost of reaching each state (v, b)
        from the states ``prev`` (V, n, nb) float32 through one speed change (its penalty
        included)."""
        best = self._best
        # min over the speed changes of prev[v - dv, p] + pen(dv), for every (v, p) at once
        # (speeds a change cannot reach from inside the range are left to the others; no
        # change, dv = 0, reaches every speed). Each term is rounded as a float32 sum
        # before the min, as a search over every (state, speed change) pair would.
        zero = len(self._dv) // 2
        np.add(prev, self._pen_dv[zero], out=best)
        for a, slices in enumerate(self._dv_slices):
            if a != zero and slices is not None:
                dst, src = slices
                np.minimum(best[dst], prev[src] + self._pen_dv[a], out=best[dst])
        return best.take(self._shear)

    def _speed_change(self, prev: np.ndarray, b: np.ndarray, vi: np.ndarray) -> np.ndarray:
        """(n,) int: index in dv of the speed change into state (b, vi) (each (n,) int) from
        ``prev`` (V, n, nb) float32 along the best path (the first of equal ones)."""
        tot = prev.take(self._pred_at[b, vi] + self._rod_at) + self._pen_ok[vi]  # (n, A)
        return np.argmin(tot, axis=1)

    def _commit(self, m: int = 1) -> None:
        """Decide the ``m`` oldest frames of the window by tracing back once from the best
        state."""
        b, vi = self._best_state()
        costs = list(self._costs)
        path = [b] * len(costs)
        for k in range(len(costs) - 1, 0, -1):
            d = self._speed_change(costs[k - 1], b, vi)
            b, vi = self._pb[b, vi, d], self._pv[b, vi, d]
            path[k - 1] = b
        readings = [self._readings.popleft() for _ in range(m)]
        unwrapped = np.empty((m, self.n), int)
        h = self._nb // 2
        for j in range(m):
            b = path[j]
            self._costs.popleft()
            if self._last_bin is None:
                self._unwrapped = b - h
            else:
                step = (b - self._last_bin + h) % self._nb - h
                # a step no rod makes in a frame is where two trace backs meet: it keeps the
                # turn it was in (no full turn is counted through a seam)
                seam = np.abs(step) > self._v[-1]
                turn = np.floor_divide(self._unwrapped + h, self._nb)
                self._unwrapped = np.where(seam, turn * self._nb + b - h, self._unwrapped + step)
            self._last_bin = b
            unwrapped[j] = self._unwrapped
        # refine within the coarse bin on the fine cost curve (the coarse bin and half a
        # coarse bin each side), all m frames at once
        c = self.coarse
        offs = np.arange(-(c // 2), c + c // 2)
        curves = np.stack([rd.angle_cost for rd in readings]).reshape(m * self.n, N_ANGLES)
        idx = (np.concatenate(path[:m])[:, None] * c + offs[None, :]) % N_ANGLES  # (m n, O)
        k = np.argmin(np.take_along_axis(curves, idx, axis=1), axis=1)
        fine = np.take_along_axis(idx, k[:, None], axis=1)[:, 0]
        frac = _parabolic(curves, fine) + offs[k]
        angles = (unwrapped.reshape(-1) * self.coarse + frac).reshape(m, self.n) * BIN
        for j in range(m):
            self._buf.append((self._next_commit, readings[j].shift, angles[j].copy()))
            self._next_commit += 1
        self._release(final=False)

    def _release(self, final: bool) -> None:
        """Release committed frames whose shift neighbourhood is known."""
        w = self.s.shift_window
        last = self._next_commit - 1 if final else self._next_commit - 1 - w
        if self._next_release > last:
            return
        buf = self._buf  # consecutive frames, from buf[0][0]
        z = np.array([shift for _, shift, _ in buf])  # (len(buf), n)
        cs = np.arange(self._next_release, last + 1) - buf[0][0]  # rows to release
        shifts = {}
        full = cs[(cs >= w) & (cs + w < len(buf))]  # a whole window each side
        if len(full):
            win = np.lib.stride_tricks.sliding_window_view(z, 2 * w + 1, axis=0)
            fits = self._fit_shifts(win[full - w].transpose(0, 2, 1), w)
            shifts.update(zip(full.tolist(), fits))
        for c in cs.tolist():
            if c not in shifts:  # near either end: fewer readings
                lo, hi = max(0, c - w), min(len(buf), c + w + 1)
                shifts[c] = self._fit_shifts(z[None, lo:hi], c - lo)[0]
        for c in cs.tolist():
            self._out.append(RodFrame(buf[c][0], shifts[c], buf[c][2]))
        self._next_release = last + 1
        while len(buf) > 2 * w + 1 and buf[0][0] < self._next_release - w:
            buf.popleft()

    def _fit_shifts(self, z: np.ndarray, centre: int) -> np.ndarray:
        """Shifts (m, n) at row ``centre`` of m windows of readings z (m, k, n): per window
        and rod, a quadratic through the readings that agree with their median."""
        srt, k = np.sort(z, axis=1), z.shape[1]  # the median (np.median's, without overhead)
        med = srt[:, k // 2] if k % 2 else (srt[:, k // 2 - 1] + srt[:, k // 2]) / 2
        good = np.abs(z - med[:, None]) < self.s.shift_outlier
        out = med.copy()
        clean = good.all(axis=1)  # (m, n)
        if k >= 4 and clean.any():  # the common case: one weighted sum
            out[clean] = z.transpose(0, 2, 1)[clean] @ _quadratic_weights(k, centre)
        for j, i in zip(*np.nonzero(~clean)):
            g = good[j, :, i]
            if g.sum() >= 4:
                out[j, i] = _subset_quadratic_weights(k, centre, g.tobytes()) @ z[j, g, i]
            elif g[centre]:
                out[j, i] = z[j, centre, i]
        return out

    def pop_committed(self) -> list[RodFrame]:
        """Frames smoothed since the last call, in order."""
        out, self._out = self._out, []
        return out

    def finish(self) -> list[RodFrame]:
        """Decide and release every remaining frame (end of the video)."""
        if self._costs:
            self._commit(len(self._costs))
        self._release(final=True)
        return self.pop_committed()


@lru_cache(maxsize=64)
def _quadratic_weights(n: int, centre: int) -> np.ndarray:
    """(n,) weights giving, from n samples, the value at sample ``centre`` of their
    least-squares quadratic."""
    t = np.arange(n, dtype=float) - centre
    return np.linalg.pinv(np.vander(t, 3, increasing=True))[0]


@lru_cache(maxsize=512)
def _subset_quadratic_weights(n: int, centre: int, keep: bytes) -> np.ndarray:
    """(k,) weights giving, from the k samples of n kept (``keep``: n bools as bytes), the
    value at sample ``centre`` of their least-squares quadratic."""
    t = (np.arange(n, dtype=float) - centre)[np.frombuffer(keep, bool)]
    return np.linalg.pinv(np.vander(t, 3, increasing=True))[0]
