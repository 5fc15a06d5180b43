"""Sub-pixel fit of a motion-blurred ball to its alpha matte.

The camera integrates the ball over the exposure: with the ball's image a disc of radius
``r`` px whose centre moves at constant velocity from ``c - s`` to ``c + s`` (``s`` the half
streak vector, px), the fraction of the exposure a pixel sees the ball is

    f(p) = 1 / (2 l) * |[a - h, a + h] ∩ [-l, l]|,    l = |s|,
    a = (p - c) . s / l,   b = (p - c) x s / l,   h = sqrt(max(r^2 - b^2, 0)),

and the pixel shows ``(1 - f) * background + f * ball_colour``: the alpha matte of the ball
against the background (``reconstruct.ball_colour.AlphaMatte``) is ``f`` itself. ``c`` is
the position at mid-exposure, the centre of the streak, which is what the tracker reports.

The model adds the pixel's own footprint (a 1 px box along the streak), which gives the closed
form ``f = sum(e1 e2 Q(a + e1 h + e2 l)) / (2 l)`` over ``e1, e2 = +-1`` with ``Q`` the twice
integrated unit box. ``fit_streak`` fits ``A f + B`` to the matte by weighted Gauss-Newton
(Levenberg-Marquardt damped), so pixels where the matte means nothing (an occluding man, a
marking of the ball's own colour) get weight 0 instead of biasing a centroid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

_MIN_HALF_STREAK = 0.02  # px: below this the streak is a static disc (the formula's limit)


def _q(x: np.ndarray) -> np.ndarray:
    """The unit box integrated twice: 0 below -1/2, (x + 1/2)^2 / 2 inside, x above 1/2."""
    y = np.minimum(np.maximum(x, -0.5), 0.5) + 0.5
    return 0.5 * y * y + np.maximum(x - 0.5, 0.0)


def _p(x: np.ndarray) -> np.ndarray:
    """The unit box integrated once: the derivative of ``_q``."""
    return np.minimum(np.maximum(x + 0.5, 0.0), 1.0)


_EDGE_SOFTNESS = 0.125  # px^2: rounds h = sqrt(r^2 - b^2) at the disc's rim (finite slope)
_SIGN = np.array([1.0, -1.0, -1.0, 1.0])  # e1 e2 over (e1, e2) = (+,+), (+,-), (-,+), (-,-)
# d/dL, d/dH, d/dA of the sum e1 e2 Q(A + e1 H + e2 L), rows in that order (times Q' = c)
_DERIV = np.array([[1.0, 1.0, -1.0, -1.0], [1.0, -1.0, 1.0, -1.0], [1.0, -1.0, -1.0, 1.0]])


def streak_coverage(x: np.ndarray, y: np.ndarray, params: np.ndarray,
                    footprint: float = 1.0, jacobian: bool = False):
    """Fraction of the exposure each pixel sees the ball.

    Args:
        x, y: (N,) float64, px: pixel centres.
        params: (5,) float64: ``cu, cv`` (px, mid-exposure centre), ``r`` (px, ball
            radius), ``su, sv`` (px, half the displacement during the exposure).
        footprint: px, the width of a pixel (of a bin of pixels) along the streak.
        jacobian: also return the derivatives.

    Returns:
        (N,) float64 in [0, 1]; with ``jacobian``, also (N, 5) float64, d f / d params.
    """
    out = _coverage(_homogeneous(x, y), np.asarray(params, float), footprint, jacobian)
    return (out[0], out[1].T) if jacobian else out


def _homogeneous(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(7, N) float64, what ``_coverage`` takes: rows x, y, 1 (pixel centres, px), then
    its scratch rows (b, a, h) and 1 again."""
    xy1 = np.empty((7, len(x)))
    xy1[0] = x
    xy1[1] = y
    xy1[2] = 1.0
    xy1[6] = 1.0
    return xy1


def _coverage(xy1: np.ndarray, params: np.ndarray, footprint: float, jacobian: bool):
    """``streak_coverage`` of the pixel centres ``xy1`` (7, N) (``_homogeneous``; its
    scratch rows are overwritten); the derivatives, if asked for, as (5, N) float64, one row
    per parameter.

    Written for few numpy calls (a fit calls it on a few hundred pixels, where each call's
    own overhead is most of its cost): the coordinates along and across the streak in one
    product, the four terms of the sum as one (4, N) array."""
    cu, cv, r, su, sv = params.tolist()
    ln_raw = math.hypot(su, sv)
    if ln_raw > 1e-9:
        dx, dy = su / ln_raw, sv / ln_raw
    else:
        dx, dy = 1.0, 0.0
    ln = max(ln_raw, _MIN_HALF_STREAK)
    k = 1.0 / footprint  # a box of width w: w Q(x / w)
    n = xy1.shape[1]
    # rows: b (across the streak), a (along it), h, 1
    g = xy1[3:7]
    np.matmul(np.array([[-dy, dx, dy * cu - dx * cv], [dx, dy, -dx * cu - dy * cv]]), xy1[:3],
              out=g[0:2])
    b, a, h, _ = g
    z = b * b  # r^2 - b^2
    np.subtract(r * r, z, out=z)
    root = z * z  # sqrt(z^2 + softness^2)
    root += _EDGE_SOFTNESS**2
    np.sqrt(root, out=root)
    np.add(z, root, out=h)  # sqrt(0.5 (z + root)): sqrt of a smooth max(z, 0)
    h *= 0.5
    np.sqrt(h, out=h)
    L = ln * k
    # t + 1/2 = k a + e1 k h + e2 L + 1/2 for (e1, e2) = (+,+), (+,-), (-,+), (-,-);
    # Q(t) = c^2 / 2 + max(t - 1/2, 0) and Q'(t) = c with c = clip(t + 1/2, 0, 1)
    t = np.array([[k, k, L + 0.5], [k, k, 0.5 - L], [k, -k, L + 0.5], [k, -k, 0.5 - L]]
                 ) @ g[1:4]
    c = np.maximum(t, 0.0)
    np.minimum(c, 1.0, out=c)
    t -= 1.0
    np.maximum(t, 0.0, out=t)
    q = c * c
    q *= 0.5
    q += t
    f = (_SIGN * (1.0 / (2.0 * L))) @ q
    if not jacobian:
        return f
    # rows: rot, f_l, f_h, f_a, e (the pairs each derivative mixes lie side by side)
    w = np.empty((5, n))
    np.matmul(_DERIV * (1.0 / (2.0 * ln)), c, out=w[1:4])  # d/da etc. in px: 1 / (2 ln)
    rot, f_l, f_h, f_a, e = w
    f_l -= f * (1.0 / ln)
    # dh/dz = 0.25 (1 + z / root) / h = h / (2 root), so d f / d r = f_h (h / root) r and
    # d f / d b = f_h dh/dz (-2 b) = -e with e = f_h (h / root) b
    np.divide(h, root, out=e)
    e *= f_h
    jac = np.empty((5, n))
    np.multiply(e, r, out=jac[2])
    e *= b
    np.multiply(f_a, b, out=rot)  # rot max(l, min) = f_a b + e a
    rot += e * a
    np.matmul(np.array([[-dx, -dy], [-dy, dx]]), w[3:5], out=jac[0:2])
    s = 1.0 / max(ln_raw, _MIN_HALF_STREAK)
    m34 = (np.array([[-dy * s, dx], [dx * s, dy]]) if ln_raw > _MIN_HALF_STREAK
           else np.array([[-dy * s, 0.0], [dx * s, 0.0]]))
    np.matmul(m34, w[0:2], out=jac[3:5])
    return f, jac


@dataclass(frozen=True)
class StreakFit:
    """A fitted blurred ball (px, in the coordinates of the pixels given to the fit)."""

    u: float  # px, mid-exposure centre
    v: float  # px
    radius: float  # px
    half_streak: tuple[float, float]  # px, half the displacement during the exposure
    amplitude: float  # matte value of the ball itself (1 when the colour is right)
    offset: float  # matte value of the local background (0 when the background is right)
    rms: float  # weighted RMS residual, matte units
    support_weight: float  # mean weight (clipped to 0..1) over the model's support (f > max/2)
    iterations: int
    coverage: np.ndarray | None = field(default=None, repr=False, compare=False)
    # (N,) float64: the fitted model's ``streak_coverage`` at the pixels given to the fit

    @property
    def streak_length(self) -> float:
        """px, the displacement during the exposure (0 for a still ball)."""
        return 2.0 * float(np.hypot(*self.half_streak))

    @property
    def streak_angle(self) -> float:
        """rad, direction of the streak in the image, in [0, pi) (u right, v down)."""
        return float(np.arctan2(self.half_streak[1], self.half_streak[0]) % np.pi)


def matte_moments(x: np.ndarray, y: np.ndarray, alpha: np.ndarray, weight: np.ndarray
                  ) -> np.ndarray | None:
    """Initial streak parameters from the moments of the matte.

    A disc of radius r swept over 2 l has variance r^2/4 across the streak and
    r^2/4 + l^2/3 along it.

    Args:
        x, y, alpha, weight: (N,) float64: pixel centres (px), matte, weights.

    Returns:
        (5,) float64 ``cu, cv, r, su, sv``, or None when the matte is empty.
    """
    m = np.minimum(np.maximum(alpha, 0.0), 1.0) * (weight > 0)  # np.clip, quicker
    m0 = m.sum()
    if m0 <= 1e-6:
        return None
    cu, cv = (m @ x) / m0, (m @ y) / m0
    ex, ey = x - cu, y - cv
    cxx, cyy, cxy = (m @ (ex * ex)) / m0, (m @ (ey * ey)) / m0, (m @ (ex * ey)) / m0
    return moments_params(cu, cv, cxx, cyy, cxy)


def moments_params(cu: float, cv: float, cxx: float, cyy: float, cxy: float) -> np.ndarray:
    """(5,) float64 ``cu, cv, r, su, sv`` of a streak from its matte's centroid (px) and
    second central moments (px^2)."""
    # the eigenvalues of [[cxx, cxy], [cxy, cyy]] and the unit eigenvector of the larger, in
    # closed form (its sign as numpy.linalg.eigh gives it; the model is even in it anyway)
    mean, dev = 0.5 * (cxx + cyy), math.hypot(0.5 * (cxx - cyy), cxy)
    lo, hi = mean - dev, mean + dev
    if cxy == 0.0:
        ex, ey = (1.0, 0.0) if cxx > cyy else (0.0, 1.0)
    else:
        ex, ey = (hi - cyy, cxy) if cxx >= cyy else (cxy, hi - cxx)
        norm = math.hypot(ex, ey)
        ex, ey = ex / norm, ey / norm
        if (ex > 0.0) if cxx > cyy else (ey < 0.0):
            ex, ey = -ex, -ey
    r = 2.0 * math.sqrt(max(lo, 0.25))
    half = math.sqrt(max(3.0 * (hi - lo), 0.0))
    return np.array([cu, cv, r, half * ex, half * ey])


def fit_streak(x: np.ndarray, y: np.ndarray, alpha: np.ndarray, weight: np.ndarray,
               init: np.ndarray, radius_bounds: tuple[float, float] = (0.5, 1e3),
               max_iter: int = 8, tol: float = 2e-3, robust: float = 0.0,
               footprint: float = 1.0, radius_prior: tuple[float, float] | None = None
               ) -> StreakFit:
    """Weighted least-squares fit of ``A * streak_coverage + B`` to a matte.

    Args:
        x, y: (N,) float64, px: pixel centres.
        alpha: (N,) float64: the ball's alpha matte at those pixels.
        weight: (N,) float64 >= 0: confidence of each matte value (0: ignore the pixel).
        init: (5,) float64: starting ``cu, cv, r, su, sv`` (e.g. from ``matte_moments``).
        radius_bounds: px, the radius is kept inside.
        max_iter: Gauss-Newton iterations at most.
        tol: px, stop when no parameter moves more than this.
        footprint: px, size of one sample (pixels binned b x b: b).
        radius_prior: ``(r0, sigma)`` px: a Gaussian prior on the radius (the expected size),
            which keeps a partly hidden ball from being fitted as a smaller one.
        robust: after converging, down-weight pixels the model does not explain (Cauchy
            weights with this scale, matte units) and fit again; 0: plain least squares.
    """
    prior = (0.0, 0.0) if radius_prior is None else (
        radius_prior[0], _PRIOR_PIXELS / radius_prior[1] ** 2)
    xy = _homogeneous(x, y)
    fit = _fit_once(xy, alpha, weight, init, radius_bounds, max_iter, tol, footprint, prior)
    if robust <= 0:
        return fit
    p = np.array([fit.u, fit.v, fit.radius, *fit.half_streak])
    res = alpha - (fit.amplitude * _coverage(xy, p, footprint, False) + fit.offset)
    w2 = weight / (1.0 + (res / robust) ** 2)
    return _fit_once(xy, alpha, w2, p, radius_bounds, max_iter, tol, footprint, prior)


_PRIOR_PIXELS = 4.0  # the radius prior weighs like this many pixels off by one matte unit


def _fit_once(xy, alpha, weight, init, radius_bounds, max_iter, tol, fp, prior
              ) -> StreakFit:
    """One damped Gauss-Newton fit on the pixel centres ``xy`` (2, N) px."""
    lo, hi = radius_bounds
    p = np.array(init, float)  # a copy
    p[2] = min(max(p[2], lo), hi)
    s_len = math.hypot(p[3], p[4])
    if s_len < 0.5:  # the model is even in the streak: leave s = 0
        p[3:5] = (0.5, 0.0) if s_len < 1e-9 else p[3:5] * 0.5 / s_len
    lam = 1e-4
    n = len(alpha)
    step = np.inf
    # the weighted sums the best A, B of a shape need: rows 1, f, alpha (f filled per shape)
    rows = np.empty((3, n))
    rows[0] = 1.0
    rows[2] = alpha
    s0 = float(weight.sum()) + 1e-12
    wa = weight * alpha
    s_y = float(wa.sum())
    s_yy = float(wa @ alpha)
    prior_r, prior_k = prior

    def linear(f: np.ndarray) -> tuple[float, float, float]:
        # best A, B for a fixed shape: the 2x2 weighted normal equations, solved directly;
        # the cost sum w (alpha - A f - B)^2 from the same sums
        rows[1] = f
        s_f, s_ff, s_fy = (rows @ (weight * f)).tolist()
        det = s_ff * s0 - s_f * s_f
        if abs(det) < 1e-12 * max(s_ff * s0, 1e-30):
            amp, off = 0.0, s_y / s0
        else:
            amp, off = (s_fy * s0 - s_f * s_y) / det, (s_ff * s_y - s_f * s_fy) / det
        cost = (s_yy - 2.0 * (amp * s_fy + off * s_y) + amp * amp * s_ff
                + 2.0 * amp * off * s_f + off * off * s0)
        return amp, off, max(cost, 0.0)

    f0, jf = _coverage(xy, p, fp, True)
    amp, off, cost = linear(f0)
    cost += prior_k * (p[2] - prior_r) ** 2
    # rows 0-6: d model / d (cu, cv, r, su, sv, A, B); row 7: the matte, so that one product
    # gives the normal matrix and the gradient: J^T W (alpha - A f - B) = J^T W alpha
    # - A J^T W f - B J^T W 1, with f and 1 rows 5 and 6 of J
    jac = np.empty((8, n))
    jac[6] = 1.0
    jac[7] = alpha
    it = 0
    while it < max_iter:
        it += 1
        np.multiply(jf, amp, out=jac[:5])
        jac[5] = f0
        prod = (jac[:7] * weight) @ jac.T
        hess = prod[:, :7]
        grad = prod[:, 5:8] @ np.array([-amp, -off, 1.0])
        hess[2, 2] += prior_k
        grad[2] -= prior_k * (p[2] - prior_r)
        diag = hess.diagonal() + 1e-9
        moved = False
        for _ in range(4):
            damp = hess.copy()
            damp.flat[::8] += lam * diag
            solved, delta = cv2.solve(damp, grad[:, None])  # (LU: numpy's, less overhead)
            if not solved:  # singular
                lam *= 10.0
                continue
            q = p + delta[:5, 0]
            q[2] = min(max(q[2], lo), hi)
            last = it == max_iter  # no further step: the derivatives are not needed
            if last:
                fq, jq = _coverage(xy, q, fp, False), None
            else:
                fq, jq = _coverage(xy, q, fp, True)
            amp_q, off_q, cost_q = linear(fq)
            cost_q += prior_k * (q[2] - prior_r) ** 2
            if cost_q <= cost:
                step = max(abs(v) for v in (q - p).tolist())
                p, amp, off, cost, f0, jf = q, amp_q, off_q, cost_q, fq, jq
                lam = max(lam * 0.3, 1e-6)
                moved = True
                break
            lam *= 10.0
        if not moved or step < tol:
            break
    f = f0
    support = f > 0.5 * max(float(f.max()), 1e-9)
    sw = weight[support]
    wsum = max(s0 - 1e-12, 1e-9)
    a = amp if abs(amp) > 1e-9 else 1e-9
    return StreakFit(
        u=float(p[0]), v=float(p[1]), radius=float(p[2]),
        half_streak=(float(p[3]), float(p[4])), amplitude=float(amp), offset=float(off),
        rms=float(math.sqrt(cost / wsum) / abs(a)),
        support_weight=float(np.minimum(np.maximum(sw, 0), 1).mean()) if len(sw) else 0.0,
        iterations=it, coverage=f,
    )
