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

from dataclasses import dataclass, field

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
_E1 = np.array([[1.0], [1.0], [-1.0], [-1.0]])
_E2 = np.array([[1.0], [-1.0], [1.0], [-1.0]])
_SIGN = (_E1 * _E2).ravel()  # f = sum e1 e2 Q(t) / (2 L)
_DERIV = np.stack([_SIGN, _E2.ravel(), _E1.ravel()])  # d/dA, d/dH, d/dL of the sum


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
    cu, cv, r, su, sv = map(float, params)
    ln_raw = float(np.hypot(su, sv))
    if ln_raw > 1e-9:
        dx, dy = su / ln_raw, sv / ln_raw
    else:
        dx, dy = 1.0, 0.0
    ln = max(ln_raw, _MIN_HALF_STREAK)
    k = 1.0 / footprint  # a box of width w: w Q(x / w)
    ex, ey = x - cu, y - cv
    # (in place, in the order of the plain formulas in the comments: the same values)
    a = ex * dx  # ex dx + ey dy
    a += ey * dy
    b = ey * dx  # ey dx - ex dy
    b -= ex * dy
    z = b * b  # r^2 - b^2
    np.subtract(r * r, z, out=z)
    root = z * z  # sqrt(z^2 + softness^2)
    root += _EDGE_SOFTNESS**2
    np.sqrt(root, out=root)
    h = z + root  # sqrt(0.5 (z + root)): sqrt of a smooth max(z, 0)
    h *= 0.5
    np.sqrt(h, out=h)
    L = ln * k
    # t = A + e1 H + e2 L for (e1, e2) = (+,+), (+,-), (-,+), (-,-), as one (4, N) array;
    # Q(t) = c^2 / 2 + max(t - 1/2, 0) and Q'(t) = c with c = clip(t + 1/2, 0, 1)
    t = np.empty((4, len(a)))
    ak, hk = (a, h) if k == 1.0 else (a * k, h * k)  # x * 1.0 is x
    np.add(ak, hk, out=t[0])
    t[1] = t[0]
    t[0] += L + 0.5
    t[1] += 0.5 - L
    np.subtract(ak, hk, out=t[2])
    t[3] = t[2]
    t[2] += L + 0.5
    t[3] += 0.5 - L
    c = np.maximum(t, 0.0)  # t holds t + 1/2 here
    np.minimum(c, 1.0, out=c)
    t -= 1.0
    np.maximum(t, 0.0, out=t)
    q = c * c
    q *= 0.5
    q += t
    f = (q[0] - q[1] - q[2] + q[3]) * (1.0 / (2.0 * L))
    if not jacobian:
        return f
    inv = 1.0 / (2.0 * ln)  # d/da etc. in px: (1 / (2 L)) * k = 1 / (2 ln)
    # (in place, in the order of the plain formulas: the same values, fewer temporaries)
    c0, c1, c2, c3 = c
    d01 = c0 - c1
    f_a = d01 - c2  # (c0 - c1 - c2 + c3) * inv
    f_a += c3
    f_a *= inv
    f_h = d01 + c2  # (c0 - c1 + c2 - c3) * inv
    f_h -= c3
    f_h *= inv
    f_l = c0 + c1  # (c0 + c1 - c2 - c3) * inv - f / ln
    f_l -= c2
    f_l -= c3
    f_l *= inv
    f_l -= f / ln
    dh_dz = z / root  # 0.25 * (1 + z / root) / max(h, 1e-9)
    dh_dz += 1.0
    dh_dz *= 0.25
    dh_dz /= np.maximum(h, 1e-9)
    fb = dh_dz * -2.0  # f_h * (-2 dh_dz) * b
    fb *= f_h
    fb *= b
    jac = np.empty((5, len(f)))  # rows: filled contiguously, returned transposed
    j0, j1, j2, j3, j4 = jac
    np.multiply(fb, dy, out=j0)  # -f_a dx + fb dy
    j0 -= f_a * dx
    np.multiply(f_a, -dy, out=j1)  # -f_a dy - fb dx
    j1 -= fb * dx
    np.multiply(f_h, 2.0 * r, out=j2)  # f_h (2 r) dh_dz
    j2 *= dh_dz
    rot = f_a * b  # (f_a b - fb a) / max(l, min)
    rot -= fb * a
    rot /= max(ln_raw, _MIN_HALF_STREAK)
    if ln_raw > _MIN_HALF_STREAK:
        np.multiply(f_l, dx, out=j3)  # -rot dy + f_l dx
        j3 -= rot * dy
        np.multiply(rot, dx, out=j4)  # rot dx + f_l dy
        j4 += f_l * dy
    else:
        np.multiply(rot, -dy, out=j3)
        np.multiply(rot, dx, out=j4)
    return f, jac.T


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
    evals, evecs = np.linalg.eigh(np.array([[cxx, cxy], [cxy, cyy]]))
    r = 2.0 * np.sqrt(max(evals[0], 0.25))
    half = np.sqrt(max(3.0 * (evals[1] - evals[0]), 0.0))
    return np.array([cu, cv, r, half * evecs[0, 1], half * evecs[1, 1]])


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
    fit = _fit_once(x, y, alpha, weight, init, radius_bounds, max_iter, tol, footprint, prior)
    if robust <= 0:
        return fit
    p = np.array([fit.u, fit.v, fit.radius, *fit.half_streak])
    res = alpha - (fit.amplitude * streak_coverage(x, y, p, footprint) + fit.offset)
    w2 = weight / (1.0 + (res / robust) ** 2)
    return _fit_once(x, y, alpha, w2, p, radius_bounds, max_iter, tol, footprint, prior)


_PRIOR_PIXELS = 4.0  # the radius prior weighs like this many pixels off by one matte unit


def _fit_once(x, y, alpha, weight, init, radius_bounds, max_iter, tol, fp, prior
              ) -> StreakFit:
    p = np.asarray(init, float).copy()
    p[2] = np.clip(p[2], *radius_bounds)
    if np.hypot(p[3], p[4]) < 0.5:  # the model is even in the streak: leave s = 0
        p[3:5] = (0.5, 0.0) if np.hypot(p[3], p[4]) < 1e-9 else p[3:5] * 0.5 / np.hypot(
            p[3], p[4])
    lam = 1e-4
    sw = np.sqrt(weight)
    wcol = weight[:, None]
    step = np.inf

    s0 = float(weight.sum()) + 1e-12
    s_y = float(weight @ alpha)

    def linear(f: np.ndarray) -> tuple[np.ndarray, float]:
        # best A, B for a fixed shape: the 2x2 weighted normal equations, solved directly
        wf = weight * f
        s_f, s_ff, s_fy = float(wf.sum()), float(wf @ f), float(wf @ alpha)
        det = s_ff * s0 - s_f * s_f
        if abs(det) < 1e-12 * max(s_ff * s0, 1e-30):
            ab = np.array([0.0, s_y / s0])
        else:
            ab = np.array([(s_fy * s0 - s_f * s_y) / det, (s_ff * s_y - s_f * s_fy) / det])
        res = sw * (alpha - ab[0] * f - ab[1])
        return ab, float(res @ res)

    def penalty(q: np.ndarray) -> float:
        return prior[1] * (q[2] - prior[0]) ** 2

    f0, jf = streak_coverage(x, y, p, fp, jacobian=True)
    ab, cost = linear(f0)
    cost += penalty(p)
    lo, hi = radius_bounds
    jac = np.empty((len(x), 7))
    jac[:, 6] = 1.0
    it = 0
    while it < max_iter:
        it += 1
        np.multiply(jf, ab[0], out=jac[:, :5])
        jac[:, 5] = f0
        res = alpha - (ab[0] * f0 + ab[1])
        jw = jac * wcol
        hess = jac.T @ jw
        grad = jw.T @ res
        hess[2, 2] += prior[1]
        grad[2] -= prior[1] * (p[2] - prior[0])
        diag = hess.diagonal() + 1e-9
        moved = False
        for _ in range(4):
            damp = hess.copy()
            damp.flat[::8] += lam * diag
            try:
                delta = np.linalg.solve(damp, grad)
            except np.linalg.LinAlgError:
                lam *= 10.0
                continue
            q = p + delta[:5]
            q[2] = min(max(q[2], lo), hi)
            last = it == max_iter  # no further step: the derivatives are not needed
            if last:
                fq, jq = streak_coverage(x, y, q, fp), None
            else:
                fq, jq = streak_coverage(x, y, q, fp, jacobian=True)
            ab_q, cost_q = linear(fq)
            cost_q += penalty(q)
            if cost_q <= cost:
                step = float(np.max(np.abs(q - p)))
                p, ab, cost, f0, jf = q, ab_q, cost_q, fq, jq
                lam = max(lam * 0.3, 1e-6)
                moved = True
                break
            lam *= 10.0
        if not moved or step < tol:
            break
    f = f0
    support = f > 0.5 * max(f.max(), 1e-9)
    wsum = max(float(weight.sum()), 1e-9)
    amp = ab[0] if abs(ab[0]) > 1e-9 else 1e-9
    return StreakFit(
        u=float(p[0]), v=float(p[1]), radius=float(p[2]),
        half_streak=(float(p[3]), float(p[4])), amplitude=float(ab[0]), offset=float(ab[1]),
        rms=float(np.sqrt(cost / wsum) / abs(amp)),
        support_weight=float(np.minimum(np.maximum(weight[support], 0), 1).mean())
        if support.any() else 0.0,
        iterations=it, coverage=f,
    )
