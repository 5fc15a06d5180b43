"""The rods' angle-path search against a brute-force search of the same model."""

import numpy as np
import pytest

from reconstruct.rod_paths import RodPathTracker
from reconstruct.rods import N_ANGLES, RodReading


class BruteForceTracker(RodPathTracker):
    """The same tracker, every (state, speed change) pair tried one by one: the least cost
    into each state over all its predecessors, and when tracing back the first speed change
    (in the order of dv) that reaches it."""

    def _best_into(self, prev):
        """Per state (v, b), the least of prev's cost of each predecessor plus the speed
        change's penalty."""
        best = np.full(prev.shape, np.inf, np.float32)
        for a in range(len(self._dv)):
            ok = self._pv_ok[0, :, a]  # (V,) the speeds this change reaches from the range
            pb, pv = self._pb[:, :, a].T, self._pv[:, :, a].T  # (V, nb) predecessors
            tot = prev[pv, :, pb].transpose(0, 2, 1) + self._pen_dv[a]  # (V, n, nb)
            best[ok] = np.minimum(best[ok], tot[ok])
        return best

    def _speed_change(self, prev, b, vi):
        out = np.zeros(self.n, int)
        for i in range(self.n):
            least = np.inf
            for a in range(len(self._dv)):
                if self._pv_ok[0, vi[i], a]:
                    tot = prev[self._pv[b[i], vi[i], a], i, self._pb[b[i], vi[i], a]]
                    tot += self._pen_dv[a]
                    if tot < least:
                        least, out[i] = tot, a
        return out


def _readings(n_frames: int, fps: float, seed: int) -> list[RodReading]:
    """Random cost curves: swings, spins and noise, costs rounded to 1/16 so that equal
    costs (ties) are common."""
    rng = np.random.default_rng(seed)
    bins = -np.pi + np.arange(N_ANGLES) * 2 * np.pi / N_ANGLES
    t = np.arange(n_frames) / fps
    speed = rng.uniform(-140, 140, 8)
    truth = rng.uniform(-np.pi, np.pi, 8) + np.where(
        rng.random(8) < 0.5, speed * t[:, None], 1.2 * np.sin(speed / 20 * t[:, None]))
    out = []
    for k in range(n_frames):
        d = np.abs((bins[None] - truth[k][:, None] + np.pi) % (2 * np.pi) - np.pi)
        # an overhead view: a and pi - a alike
        d2 = np.abs((bins[None] - (np.pi - truth[k][:, None]) + np.pi) % (2 * np.pi) - np.pi)
        cost = np.minimum(d, d2 + rng.uniform(0, 0.3, (8, 1))) / np.pi
        cost += rng.uniform(0, 0.4, cost.shape)
        cost = np.round(np.clip(cost, 0, 1) * 16) / 16
        shift = rng.normal(0, 0.01, 8)
        out.append(RodReading(shift, np.ones(8), cost, bins[cost.argmin(axis=1)], np.ones(8)))
    return out


def _run(tracker: RodPathTracker, readings: list[RodReading]):
    online, frames = [], []
    for r in readings:
        online.append(tracker.update(r)[1])
        frames += tracker.pop_committed()
    frames += tracker.finish()
    return np.array(online), np.array([f.angle for f in frames])


@pytest.mark.parametrize("fps, seed", [(15.0, 4), (60.0, 1), (120.0, 2), (240.0, 3)])
def test_search_finds_the_brute_force_paths(fps, seed):
    readings = _readings(120, fps, seed)
    online, angles = _run(RodPathTracker(8, fps), readings)
    ref_online, ref_angles = _run(BruteForceTracker(8, fps), readings)
    assert angles.shape == (120, 8)
    np.testing.assert_array_equal(online, ref_online)
    np.testing.assert_array_equal(angles, ref_angles)


def test_shift_fits_are_quadratics_through_the_readings_that_agree():
    tracker = RodPathTracker(8, 120.0)
    rng = np.random.default_rng(7)
    for k, centre in [(7, 3), (5, 1), (4, 0), (3, 2)]:
        z = rng.normal(0, 0.004, (20, k, 8)) + np.linspace(-0.01, 0.01, k)[None, :, None]
        z[rng.random(z.shape) < 0.15] += 0.05  # outliers
        got = tracker._fit_shifts(z, centre)
        for j in range(len(z)):
            for i in range(8):
                zi = z[j, :, i]
                med = np.median(zi)
                good = np.abs(zi - med) < tracker.s.shift_outlier
                t = np.arange(k) - centre
                if good.sum() >= 4:
                    want = np.polyval(np.polyfit(t[good], zi[good], 2), 0.0)
                elif good[centre] and not good.all():  # too few to fit: the reading itself
                    want = zi[centre]
                else:  # too few readings in all, or the reading an outlier: their median
                    want = med
                assert got[j, i] == pytest.approx(want, abs=1e-12)
