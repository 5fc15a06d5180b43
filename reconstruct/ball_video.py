"""Ball candidates against a known background (video): matte seeds, then the model fit.

The ball's alpha matte against the background (``reconstruct.ball_colour.AlphaMatte``) is 0
off the ball whatever the table shows there (markings, spots, rods), so seeding is a blob
filter on it:

- full search: the frame is halved (a fast exact box average) while the ball stays at
  least ``SEARCH_RADIUS_PX`` in radius, the matte is box-filtered at the ball's size and
  its local maxima are seeds; the best is fitted, the others only when their response comes
  close to it (``SECOND_SEED``);
- windowed search: the matte of each window (around a position the tracker predicts), shrunk
  by 2 or 4 while the ball stays ``WINDOW_SEED_RADIUS_PX`` there (the fit refines the seed at
  full resolution), else at full resolution and reused by the fit. A window seeds its most
  ball; when that is no whole ball, also the best *part* of one: the box whose usable pixels
  (those not on a rod, a marking or a man) are mostly ball, so a ball half under a rod or a
  man is still fitted (the fit weighs only the usable pixels and keeps the expected radius).

Each seed is refined by fitting the blurred-ball model (``reconstruct.ball_fit``) to the
matte around it, which gives the centre of the blur streak (the position at mid-exposure),
the radius and the streak.

Pixel coordinates follow OpenCV: u right, v down, pixel centres at integers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from reconstruct.ball_colour import AlphaMatte
from reconstruct.ball_fit import StreakFit, fit_streak, moments_params, streak_coverage

SEARCH_RADIUS_PX = 1.75  # px: least ball radius in the shrunk image of the full search
SEED_FULL_ALPHA = 0.5  # matte value that counts fully when seeding (real balls are never
# quite the preset colour: lighting and white balance halve the matte of a cream "white")
SEED_MIN_SUPPORT = 0.3  # least fraction of usable pixels in a seed's box
WHOLE_BALL_MASS = 0.7  # a window seed this strong is a whole ball: no partial one is sought
PART_MEAN = 0.4  # least mean response of a part of a ball (its seen pixels are the ball's)
WINDOW_SEED_RADIUS_PX = 2.5  # px: least ball radius in a window shrunk by 2, 4, ... to seed it
SECOND_SEED = 0.5  # further seeds are fitted when their response is this fraction of the best
FIT_TOL = 0.02  # px: the fit stops when no parameter moves more than this
FIT_ITERATIONS = 3  # Gauss-Newton steps at most (the moments start it close)
FLAT_STEP = 3  # one in this many pixels away from the rim enters the fit (weighted up)
USABLE_WEIGHT = 0.5  # a pixel's matte weight from which it tells the ball's own colour
MIN_COLOUR_PIXELS = 3  # usable pixels a candidate's colour is read from, at least


def near_segment(x, y, params, dist: float) -> np.ndarray:
    """(N,) bool: pixels within ``dist`` px of the streak segment of ``params``."""
    cu, cv, _, su, sv = params
    ex, ey = x - cu, y - cv
    l2 = su * su + sv * sv
    t = np.clip((ex * su + ey * sv) / l2, -1.0, 1.0) if l2 > 1e-12 else 0.0
    return (ex - t * su) ** 2 + (ey - t * sv) ** 2 < dist * dist


def odd(x: float) -> int:
    """The odd integer nearest ``x``, at least 3."""
    return max(3, int(round(x)) | 1)


@dataclass
class MattePatch:
    """The matte and its weight on a box of the frame: (h, w) float32 each."""

    y0: int
    x0: int
    alpha: np.ndarray
    weight: np.ndarray

    def covers(self, y0: int, y1: int, x0: int, x1: int) -> bool:
        h, w = self.alpha.shape
        return self.y0 <= y0 and self.x0 <= x0 and y1 <= self.y0 + h and x1 <= self.x0 + w

    def cut(self, y0: int, y1: int, x0: int, x1: int) -> tuple[np.ndarray, np.ndarray]:
        sl = (slice(y0 - self.y0, y1 - self.y0), slice(x0 - self.x0, x1 - self.x0))
        return self.alpha[sl], self.weight[sl]


@dataclass(frozen=True)
class MatteFit:
    """One refined seed: the model fit and the pixels it used."""

    fit: StreakFit
    x: np.ndarray  # (N,) float64 px, pixel (bin) centres used
    y: np.ndarray
    footprint: float  # px, bin size
    usable: np.ndarray | None = None  # (N,) float64 0..1, the matte's weight at those pixels
    alpha: np.ndarray | None = None  # (N,) float64, the matte at those pixels


class MatteSearch:
    """Seeds and fits against one background image (its mattes are cached)."""

    def __init__(self, colour: np.ndarray, min_response: float, max_seeds: int,
                 robust_scale: float, max_streak_diameters: float):
        self.colour = np.asarray(colour, np.float32)
        self.min_response = float(min_response)
        self.max_seeds = int(max_seeds)
        self.robust_scale = float(robust_scale)
        self.max_streak_diameters = float(max_streak_diameters)
        self._cache: dict = {}
        self.valid: np.ndarray | None = None  # (H, W) float32: where a ball can be seen
        self._valid_small: dict = {}
        self._roi_cache: dict = {}  # the roi shrunk, per factor (the roi object is kept)

    def set_valid(self, valid: np.ndarray | None) -> None:
        """Weights (H, W) float32 0..1 of where the ball can be seen at all (0 on rods)."""
        self.valid = None if valid is None else np.asarray(valid, np.float32)
        self._valid_small = {}
        self._cache = {}

    def set_colour(self, colour: np.ndarray) -> None:
        """Change the ball colour (the cached mattes are rebuilt)."""
        self.colour = np.asarray(colour, np.float32)
        self._cache = {}

    def matte(self, background: np.ndarray, k: int = 1) -> AlphaMatte:
        """The matte of ``background`` shrunk by ``k`` (a power of 2; 1: full), cached."""
        if self._cache.get("background") is not background:  # (kept: its id stays its own)
            self._cache = {"background": background}
        if k not in self._cache:
            # coefficients made tile by tile where asked for (the windows are a small part
            # of the frame; a full search makes those of the roi) and kept while the
            # background and the colour last
            bg = background if k == 1 else _shrink(background, k)
            valid = self.valid
            if valid is not None and valid.shape != background.shape[:2]:
                valid = None  # another image size: no mask
            if valid is not None and k > 1:
                if k not in self._valid_small:
                    self._valid_small[k] = _shrink(valid, k)
                valid = self._valid_small[k]
            self._cache[k] = AlphaMatte(bg, self.colour, precompute=False, valid=valid,
                                        tiles=True)
        return self._cache[k]

    # ------------------------------------------------------------------------- seeds
    def full_seeds(self, frame, background, r: float, roi) -> list[tuple[float, float]]:
        """Seeds of the whole frame, best first (px, full resolution). With a ``roi``, only
        its bounding box (grown by the filters' reach) is searched: the same seeds, as
        nothing outside the roi makes one."""
        k = 1
        while r / (2 * k) >= SEARCH_RADIUS_PX:
            k *= 2
        h, w = frame.shape[:2]
        hs, ws = h // k, w // k
        rs = r / k
        n = odd(1.6 * rs)
        y0, y1, x0, x1 = 0, hs, 0, ws
        if roi is not None:
            roi_small, (ry0, ry1, rx0, rx1) = self._roi_small(roi, k)
            if ry1 <= ry0:
                return []
            grow = n // 2 + 1
            y0, y1 = max(ry0 - grow, 0), min(ry1 + grow, hs)
            x0, x1 = max(rx0 - grow, 0), min(rx1 + grow, ws)
        small = _shrink(frame[y0 * k:y1 * k, x0 * k:x1 * k], k)
        matte = self.matte(background, k)
        a, wgt = matte.alpha_weight(small, (y0, y1, x0, x1), image_box=False)
        resp = _mass(_seed_matte(a, wgt), n)
        if roi is not None:
            resp *= roi_small[y0:y1, x0:x1]
        _, top, _, _ = cv2.minMaxLoc(resp)
        if top <= self.min_response:
            return []
        # the local maxima among the strong enough pixels: the dilation only of the box
        # around those, grown by its reach (the same maxima, a fraction of the work)
        ks = odd(3 * rs)
        strong = resp >= max(self.min_response, SECOND_SEED * top)
        bx, by, bw, bh = cv2.boundingRect(strong.view(np.uint8))
        cy0, cy1 = max(by - ks // 2, 0), min(by + bh + ks // 2, resp.shape[0])
        cx0, cx1 = max(bx - ks // 2, 0), min(bx + bw + ks // 2, resp.shape[1])
        sub = resp[cy0:cy1, cx0:cx1]
        dil = cv2.dilate(sub, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (ks, ks)))
        ys, xs = np.nonzero((sub >= dil) & strong[cy0:cy1, cx0:cx1])
        ys, xs = ys + cy0, xs + cx0
        order = np.argsort(-resp[ys, xs])[:self.max_seeds]
        return [((x0 + xs[i] + 0.5) * k - 0.5, (y0 + ys[i] + 0.5) * k - 0.5) for i in order]

    def _roi_small(self, roi: np.ndarray, k: int) -> tuple[np.ndarray, tuple[int, ...]]:
        """The roi (H, W) bool shrunk by ``k`` as (H / k, W / k) uint8 0/1, and the bounding
        box (y0, y1, x0, x1) of its set pixels there; kept per roi object."""
        key = self._roi_cache.get("roi")
        if key is not roi:
            self._roi_cache = {"roi": roi}
        if k not in self._roi_cache:
            small = _shrink(roi.astype(np.uint8), k, cv2.INTER_NEAREST)
            ys, xs = np.nonzero(small)
            box = ((int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1)
                   if len(ys) else (0, 0, 0, 0))
            self._roi_cache[k] = (small, box)
        return self._roi_cache[k]

    def window_seeds(self, frame, background, windows, radius_at
                     ) -> list[tuple[float, float, MattePatch | None]]:
        """One seed per window (``u, v, half`` px) where the matte shows a blob.

        A large ball is seeded on the window shrunk (by 2, 4, ... as long as the ball's radius
        stays ``WINDOW_SEED_RADIUS_PX`` there; the fit refines it); a small one at full
        resolution, and then the window's matte (grown by a fit's margin) is kept for the fit
        to reuse. Overlapping windows (hypotheses near each other) share one matte of the box
        around them all: the matte of a pixel does not depend on the box it is made in."""
        h, w = frame.shape[:2]
        boxes = []
        for u, v, half in np.asarray(windows, float).reshape(-1, 3).tolist():
            rr = radius_at(u, v)
            k = 1
            while rr / (2 * k) >= WINDOW_SEED_RADIUS_PX:
                k *= 2
            m = 0 if k > 1 else math.ceil(1.3 * rr) + 3
            y0, y1 = max(int(v - half) - m, 0), min(int(v + half) + 1 + m, h)
            x0, x1 = max(int(u - half) - m, 0), min(int(u + half) + 1 + m, w)
            y0, x0 = y0 - y0 % k, x0 - x0 % k
            y1, x1 = y0 + (y1 - y0) // k * k, x0 + (x1 - x0) // k * k
            if y1 - y0 < 3 * k + 2 * m or x1 - x0 < 3 * k + 2 * m:
                continue
            boxes.append((rr, k, m, y0, y1, x0, x1))
        shared = {}  # k: the matte and weight of the box around all windows of that k
        for k in {b[1] for b in boxes}:
            mine = [b[3:] for b in boxes if b[1] == k]
            if len(mine) < 2:
                continue
            y0, x0 = min(b[0] for b in mine), min(b[2] for b in mine)
            y1, x1 = max(b[1] for b in mine), max(b[3] for b in mine)
            if (y1 - y0) * (x1 - x0) < sum((b[1] - b[0]) * (b[3] - b[2]) for b in mine):
                sa, sw = self._window_matte(frame, background, k, y0, y1, x0, x1)
                shared[k] = (y0, x0, sa, sw, _seed_matte(sa, sw))  # (per pixel: cut later)
        seeds = []
        for rr, k, m, y0, y1, x0, x1 in boxes:
            if k in shared:
                sy, sx, sa, sw, sq = shared[k]
                sl = (slice((y0 - sy) // k, (y1 - sy) // k), slice((x0 - sx) // k, (x1 - sx) // k))
                a, wgt, q = sa[sl], sw[sl], sq[sl]
            else:
                a, wgt = self._window_matte(frame, background, k, y0, y1, x0, x1)
                q = None
            patch = None if k > 1 else MattePatch(y0, x0, a, wgt)
            if m:
                inner = (slice(m, a.shape[0] - m), slice(m, a.shape[1] - m))
                a, wgt, q = a[inner], wgt[inner], None if q is None else q[inner]
            n = odd(1.6 * rr / k)
            # the most ball in the window, and, unless that is a whole ball, the best seen
            # part of one (a ball half hidden) where that lies elsewhere: the fit and its
            # score tell them apart
            mass = _mass(_seed_matte(a, wgt) if q is None else q, n)
            _, top, _, (ix, iy) = cv2.minMaxLoc(mass)
            found = [(top, (ix, iy))]
            if top < WHOLE_BALL_MASS:
                _, top2, _, (jx, jy) = cv2.minMaxLoc(_mean(mass, wgt, n))
                if top2 > PART_MEAN:
                    found.append((top2, (jx, jy)))
            for t, (px, py) in found:
                if t > self.min_response:
                    seeds.append((x0 + m + (px + 0.5) * k - 0.5, y0 + m + (py + 0.5) * k - 0.5,
                                  patch))
        return seeds

    def _window_matte(self, frame, background, k: int, y0: int, y1: int, x0: int, x1: int
                      ) -> tuple[np.ndarray, np.ndarray]:
        """The matte and weight of the frame's box (y0, y1, x0, x1) px (multiples of ``k``)
        at 1 / ``k`` resolution: (h / k, w / k) float32 each."""
        if k == 1:
            return self.matte(background).alpha_weight(frame, (y0, y1, x0, x1))
        small = _shrink(frame[y0:y1, x0:x1], k)  # as the background's (halved k times)
        sy, sx = y0 // k, x0 // k
        return self.matte(background, k).alpha_weight(
            small, (sy, sy + small.shape[0], sx, sx + small.shape[1]), image_box=False)

    # ------------------------------------------------------------------------- fit
    def refine(self, frame, background, u0: float, v0: float, r: float,
               patch: MattePatch | None = None, roi: np.ndarray | None = None
               ) -> MatteFit | None:
        """Fit the blurred-ball model near (u0, v0), growing the window while the streak
        reaches its edge. Large balls are fitted on b x b bins (b = radius / 6). With a
        ``roi`` (H, W) bool (where a ball centre may be), a fit centred off it (or off the
        frame) ends the search with None: it is something beyond the playfield (a hand, a
        wall's edge), and a larger window only finds more of it (on the quick suite's ten
        scenarios no such fit came back onto the roi in a larger window)."""
        matte = self.matte(background)
        h, w = frame.shape[:2]
        max_half = self.max_streak_diameters * r + 1.6 * r + 2
        b = max(1, int(r / 6.0))
        half = int(np.ceil(2.3 * r)) + 2
        init = None
        out = None
        for _ in range(3):
            y0 = max(int(round(v0)) - half, 0)
            x0 = max(int(round(u0)) - half, 0)
            y1 = y0 + (min(int(round(v0)) + half + 1, h) - y0) // b * b
            x1 = x0 + (min(int(round(u0)) + half + 1, w) - x0) // b * b
            if y1 - y0 < 2 * b or x1 - x0 < 2 * b:
                return None
            if patch is not None and patch.covers(y0, y1, x0, x1):
                a, wgt = patch.cut(y0, y1, x0, x1)
            else:
                a, wgt = matte.alpha_weight(frame, (y0, y1, x0, x1))
            xs, ys, alpha, weight = _bins(a, wgt, b, y0, x0)
            if init is None:
                init = _moments_near(xs, ys, alpha, weight, u0, v0, r)
                if init is None:
                    return None
                init[2] = r
            x, y, alpha, weight, usable = _fit_pixels(xs, ys, alpha, weight, init, r, b)
            fit = fit_streak(x, y, alpha, weight, init, radius_bounds=(0.35 * r, 2.5 * r),
                             robust=self.robust_scale, footprint=float(b),
                             max_iter=FIT_ITERATIONS, tol=FIT_TOL, radius_prior=(r, 0.15 * r))
            if roi is not None and not _on(roi, fit.u, fit.v):
                return None
            out = MatteFit(fit, x, y, float(b), usable, alpha)
            u0, v0 = fit.u, fit.v
            init = np.array([fit.u, fit.v, fit.radius, *fit.half_streak])
            reach = 0.5 * fit.streak_length + fit.radius + 2
            hopeless = fit.amplitude > 2.0 or not 0.45 < fit.radius / r < 2.2
            if hopeless or reach <= half - b or half >= max_half:
                break
            half = int(np.ceil(min(reach + 0.6 * r + 2, max_half)))
        return out

    @staticmethod
    def share_on(mf: MatteFit, mask) -> float:
        """0..1: the share of the candidate's evidence (its matte, where usable, over the
        fitted ball) that lies on pixels where ``mask(box)`` is 1 (``box`` (y0, y1, x0, x1)
        px; the mask (h, w) uint8 of it)."""
        if mf.alpha is None or not len(mf.x):
            return 0.0
        f = _coverage(mf)
        e = np.minimum(np.maximum(mf.alpha, 0.0), 1.0) * f
        if mf.usable is not None:
            e = e * mf.usable
        total = float(e.sum())
        if total <= 1e-6:
            return 0.0
        xi, yi = np.rint(mf.x).astype(int), np.rint(mf.y).astype(int)
        y0, x0 = int(yi.min()), int(xi.min())
        m = mask((y0, int(yi.max()) + 1, x0, int(xi.max()) + 1))
        return float(e @ m[yi - y0, xi - x0]) / total

    @staticmethod
    def own_colour(frame, background, mf: MatteFit) -> np.ndarray | None:
        """(3,) float32 BGR: the colour the candidate's pixels unmix to, or None."""
        f = _coverage(mf)
        top = float(f.max()) if len(f) else 0.0
        sel = f > 0.6 * top
        if top < 0.05 or not sel.any():
            return None
        if mf.usable is not None:  # a ball partly under a man or a rod: its seen pixels
            seen = sel & (mf.usable > USABLE_WEIGHT)
            if np.count_nonzero(seen) >= MIN_COLOUR_PIXELS:
                sel = seen
        xi, yi = np.rint(mf.x[sel]).astype(int), np.rint(mf.y[sel]).astype(int)
        img = frame[yi, xi].astype(np.float32)
        bg = background[yi, xi].astype(np.float32)
        unmixed = bg + (img - bg) / f[sel, None].astype(np.float32)
        return np.minimum(np.maximum(median_rows(unmixed), 0), 255)  # np.clip, quicker


def _coverage(mf: MatteFit) -> np.ndarray:
    """(N,) float64 0..1: how much of each of the fit's pixels the fitted ball covers."""
    fit = mf.fit
    return fit.coverage if fit.coverage is not None else streak_coverage(
        mf.x, mf.y, np.array([fit.u, fit.v, fit.radius, *fit.half_streak]), mf.footprint)


def _on(mask: np.ndarray, u: float, v: float) -> bool:
    """Whether (u, v) px falls inside the frame on a true pixel of ``mask`` (H, W) bool."""
    h, w = mask.shape
    return 0 <= u <= w - 1 and 0 <= v <= h - 1 and bool(mask[int(round(v)), int(round(u))])


def median_rows(values: np.ndarray) -> np.ndarray:
    """The median over the rows of ``values`` (N > 0, C), as ``np.median(axis=0)`` gives it
    (a sort: quicker on a few dozen rows)."""
    s = np.sort(values, axis=0)
    h = len(s) // 2
    return s[h] if len(s) % 2 else (s[h - 1] + s[h]) * s.dtype.type(0.5)


def _seed_matte(a: np.ndarray, wgt: np.ndarray) -> np.ndarray:
    """(h, w) float32: the matte ``a`` capped at ``SEED_FULL_ALPHA`` (which counts as 1),
    times its weight ``wgt``: what seeds add up."""
    return np.minimum(np.maximum(a, 0.0), SEED_FULL_ALPHA) * wgt


def _mass(q: np.ndarray, n: int) -> np.ndarray:
    """(h, w) float32: how much ball the n x n box around each pixel holds (1: all of it),
    from ``_seed_matte`` values ``q``. The full search ranks and keeps its seeds by it."""
    return cv2.boxFilter(q, -1, (n, n), normalize=False) * np.float32(
        1.0 / (SEED_FULL_ALPHA * n * n))


def _mean(mass: np.ndarray, wgt: np.ndarray, n: int) -> np.ndarray:
    """(h, w) float32: the same over the box's usable pixels only (weights ``wgt``): a ball
    half hidden by a man, under a rod or on a marking has as much of it as a whole one. A box
    needs ``SEED_MIN_SUPPORT`` of usable pixels."""
    den = cv2.boxFilter(wgt, -1, (n, n), normalize=True)
    return mass / np.maximum(den, np.float32(SEED_MIN_SUPPORT))


def _bins(a: np.ndarray, wgt: np.ndarray, k: int, y0: int, x0: int):
    """The matte ``a`` and weight ``wgt`` (h, w) of the box at (y0, x0) averaged over k x k
    bins (h, w multiples of k): bin centres xs (w / k,) and ys (h / k,) px, matte and weight
    (h / k, w / k) float64."""
    if k > 1:
        hb, wb = a.shape[0] // k, a.shape[1] // k
        ws = wgt.reshape(hb, k, wb, k).sum(axis=(1, 3))
        a = (a * wgt).reshape(hb, k, wb, k).sum(axis=(1, 3)) / np.maximum(ws, 1e-6)
        wgt = ws / (k * k)
    ys = y0 + k * np.arange(a.shape[0]) + 0.5 * (k - 1)
    xs = x0 + k * np.arange(a.shape[1]) + 0.5 * (k - 1)
    return xs, ys, a.astype(float), wgt.astype(float)


def _moments_near(xs, ys, alpha, weight, u0: float, v0: float, r: float) -> np.ndarray | None:
    """``matte_moments`` of the matte ``alpha`` (h, w) on the grid of centres ``xs`` (w,),
    ``ys`` (h,) px, seen through a Gaussian of sigma ``r`` px around (u0, v0) (the seed's
    blob, not its neighbours), with the grid's sums done along rows and columns."""
    gx = np.exp((xs - u0) ** 2 * (-0.5 / (r * r)))
    gy = np.exp((ys - v0) ** 2 * (-0.5 / (r * r)))
    m = alpha * gy[:, None]
    m *= gx
    np.maximum(m, 0.0, out=m)
    np.minimum(m, 1.0, out=m)
    m *= weight > 0
    mx, my = m.sum(axis=0), m.sum(axis=1)
    m0 = float(mx.sum())
    if m0 <= 1e-6:
        return None
    cu, cv = float(mx @ xs) / m0, float(my @ ys) / m0
    ex, ey = xs - cu, ys - cv
    cxx, cyy = float(mx @ (ex * ex)) / m0, float(my @ (ey * ey)) / m0
    cxy = float(ey @ m @ ex) / m0
    return moments_params(cu, cv, cxx, cyy, cxy)


def _fit_pixels(xs, ys, alpha, weight, init, r: float, b: int):
    """The pixels a fit needs, of the grid of centres ``xs`` (w,), ``ys`` (h,) px with matte
    ``alpha`` and weight ``weight`` (h, w): all within a few px of the streak's rim (they
    fix its position and size), every ``FLAT_STEP``-th of the others near it (inside: the
    ball's matte; outside: the background's), weighted up to count as all of them. Returns
    their x, y, matte, fit weight and the matte's own weight, (N,) float64 each, row by
    row."""
    cu, cv, _, su, sv = init.tolist()
    ex, ey = xs - cu, (ys - cv)[:, None]
    l2 = su * su + sv * sv
    if l2 > 1e-12:
        t = ex * su + ey * sv
        t *= 1.0 / l2
        np.maximum(t, -1.0, out=t)  # (minimum of maximum: np.clip's values, quicker)
        np.minimum(t, 1.0, out=t)
        d = (ex - t * su) ** 2
        d += (ey - t * sv) ** 2
    else:
        d = ex * ex + ey * ey
    np.sqrt(d, out=d)  # px, distance to the streak
    near = d < 1.3 * r + 1.5 * b + 1
    d -= r
    rim = np.abs(d) < 2.5 + b
    if l2 > r * r:  # a long streak: its matte ramps along it too
        rim |= d < 0
    flat = near & ~rim
    keep = rim & near
    kf = keep.ravel()
    kf[np.flatnonzero(flat)[::FLAT_STEP]] = True
    idx = np.flatnonzero(kf)
    iy, ix = np.divmod(idx, len(xs))
    w = weight.ravel()[idx]
    usable = w.copy()
    w[flat.ravel()[idx]] *= float(FLAT_STEP)
    return xs[ix], ys[iy], alpha.ravel()[idx], w, usable


def _shrink(image: np.ndarray, k: int, interpolation=cv2.INTER_AREA) -> np.ndarray:
    """``image`` shrunk by ``k``, a power of 2 (cropped to a multiple of it): exact box
    averages by halving, OpenCV's fast path."""
    h, w = image.shape[:2]
    image = image[:h // k * k, :w // k * k]
    while k > 1:
        image = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2),
                           interpolation=interpolation)
        k //= 2
    return image
