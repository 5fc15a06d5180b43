"""Fit a camera to image evidence of the table: robust Levenberg-Marquardt over the pose, the
focal length and radial distortion.

Parameters ``p = (rvec[3], tvec[3], log f, k1, k2)``; square pixels, principal point at the
image centre, no tangential distortion. Evidence is points measured on known 3D lines of the
table (rod axes, playfield edges, wall tops); the residual of a point is its distance to the
image of its line, in undistorted image coordinates scaled to pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.camera import Camera

N_PARAMS = 9
POSE = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0], bool)
POSE_FOCAL = np.array([1, 1, 1, 1, 1, 1, 1, 0, 0], bool)
POSE_FOCAL_K1 = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0], bool)
ALL = np.ones(N_PARAMS, bool)


def rodrigues(rvec: np.ndarray) -> np.ndarray:
    """(3,) rotation vector -> (3, 3) rotation matrix."""
    rvec = np.asarray(rvec, float)
    theta = np.linalg.norm(rvec)
    if theta < 1e-12:
        return np.eye(3)
    k = rvec / theta
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(theta) * kx + (1 - np.cos(theta)) * kx @ kx


def params_to_camera(p: np.ndarray, width: int, height: int) -> Camera:
    """The ``Camera`` of a parameter vector (9,)."""
    f = float(np.exp(p[6]))
    return Camera(width, height, f, f, 0.5 * (width - 1), 0.5 * (height - 1),
                  (float(p[7]), float(p[8]), 0.0, 0.0, 0.0),
                  tuple(float(v) for v in p[:3]), tuple(float(v) for v in p[3:6]))


def camera_to_params(camera: Camera) -> np.ndarray:
    """(9,) parameters of a camera (its fx is used as the focal length)."""
    return np.array([*camera.rvec, *camera.tvec, np.log(camera.fx), camera.dist[0],
                     camera.dist[1]], float)


def undistort(uv: np.ndarray, f: float, c: np.ndarray, k1: float, k2: float) -> np.ndarray:
    """Distorted pixels (N, 2) -> undistorted normalised coordinates (N, 2) (radial model,
    Newton's method on the radius)."""
    xd = (np.asarray(uv, float) - c) / f
    rd = np.linalg.norm(xd, axis=1)
    if k1 == 0 and k2 == 0:
        return xd
    r = rd.copy()
    with np.errstate(all="ignore"):  # absurd parameters give NaN, which the solver rejects
        for _ in range(8):
            r2 = r * r
            g = r * (1 + k1 * r2 + k2 * r2 * r2) - rd
            dg = 1 + 3 * k1 * r2 + 5 * k2 * r2 * r2
            r = r - g / np.where(dg > 0.2, dg, 0.2)
        scale = np.where(rd > 1e-12, r / np.maximum(rd, 1e-12), 1.0)
    return xd * scale[:, None]


def distort(xy: np.ndarray, f: float, c: np.ndarray, k1: float, k2: float) -> np.ndarray:
    """Undistorted normalised coordinates (N, 2) -> distorted pixels (N, 2)."""
    r2 = (xy**2).sum(axis=1, keepdims=True)
    return xy * (1 + k1 * r2 + k2 * r2 * r2) * f + c


MAX_DISTORTION = 0.6  # |radial scale - 1| allowed at the image corners


def plausible_lens(p: np.ndarray, size: tuple[int, int], radius_px: float | None = None) -> bool:
    """Whether the radial distortion of parameters (9,) is monotonic and moderate out to
    ``radius_px`` from the image centre (default: the corners); else a fit has wandered into a
    folded, meaningless lens."""
    radius_px = 0.5 * float(np.hypot(*size)) if radius_px is None else radius_px
    r = radius_px / np.exp(p[6])
    rr = np.linspace(0.0, r, 16) ** 2
    k1, k2 = p[7], p[8]
    scale = 1 + k1 * rr + k2 * rr * rr
    slope = 1 + 3 * k1 * rr + 5 * k2 * rr * rr
    return bool(np.all(np.abs(scale - 1) <= MAX_DISTORTION) and np.all(slope > 0.3))


@dataclass(frozen=True)
class LineEvidence:
    """Points measured on known 3D lines.

    Attributes:
        points: (N, 2) float64 px, distorted image positions.
        line: (N,) int, index into the ``segments`` the residual function is given.
        weight: (N,) float64, relative weight (1 = a normal measurement).
    """

    points: np.ndarray
    line: np.ndarray
    weight: np.ndarray

    def __len__(self) -> int:
        return len(self.points)

    def subset(self, keep: np.ndarray) -> LineEvidence:
        return LineEvidence(self.points[keep], self.line[keep], self.weight[keep])

    @staticmethod
    def concat(parts: list[LineEvidence]) -> LineEvidence:
        parts = [p for p in parts if len(p)]
        if not parts:
            return LineEvidence(np.zeros((0, 2)), np.zeros(0, int), np.zeros(0))
        return LineEvidence(np.concatenate([p.points for p in parts]),
                            np.concatenate([p.line for p in parts]),
                            np.concatenate([p.weight for p in parts]))


def line_residuals(p: np.ndarray, size: tuple[int, int], segments: np.ndarray,
                   ev: LineEvidence) -> np.ndarray:
    """Signed distances, px, of evidence points to the images of their 3D lines.

    Args:
        p: (9,) camera parameters.
        size: (width, height) px.
        segments: (M, 2, 3) float64, m: two table-frame points on each line.
        ev: the points and which line each belongs to.

    Returns:
        (N,) float64 px.
    """
    f = np.exp(p[6])
    c = 0.5 * (np.asarray(size, float) - 1)
    reach = float(np.sqrt(((ev.points - c) ** 2).sum(axis=1).max())) if len(ev) else 0.0
    if not plausible_lens(p, size, reach):
        return np.full(len(ev), np.nan)
    R = rodrigues(p[:3])
    a = segments[:, 0] @ R.T + p[3:6]
    b = segments[:, 1] @ R.T + p[3:6]
    n = np.cross(a, b)  # normal of the plane through the camera centre and the line
    n /= np.linalg.norm(n[:, :2], axis=1, keepdims=True) + 1e-15
    xy = undistort(ev.points, f, c, p[7], p[8])
    nn = n[ev.line]
    with np.errstate(all="ignore"):  # absurd parameters give NaN, which the solver rejects
        return f * (nn[:, 0] * xy[:, 0] + nn[:, 1] * xy[:, 1] + nn[:, 2])


def pixel_distances(p: np.ndarray, size: tuple[int, int], segments: np.ndarray,
                    ev: LineEvidence) -> np.ndarray:
    """Unsigned distances in distorted pixels (N,) from each point to its projected line:
    the foot of the perpendicular in undistorted coordinates, distorted back."""
    f = np.exp(p[6])
    c = 0.5 * (np.asarray(size, float) - 1)
    R = rodrigues(p[:3])
    a = segments[:, 0] @ R.T + p[3:6]
    b = segments[:, 1] @ R.T + p[3:6]
    n = np.cross(a, b)
    n /= np.linalg.norm(n[:, :2], axis=1, keepdims=True) + 1e-15
    xy = undistort(ev.points, f, c, p[7], p[8])
    nn = n[ev.line]
    d = nn[:, 0] * xy[:, 0] + nn[:, 1] * xy[:, 1] + nn[:, 2]
    foot = xy - d[:, None] * nn[:, :2]
    return np.linalg.norm(distort(foot, f, c, p[7], p[8]) - ev.points, axis=1)


def cauchy_weights(r: np.ndarray, scale: float) -> np.ndarray:
    """IRLS weights of the Cauchy loss."""
    return 1.0 / (1.0 + (r / scale) ** 2)


def cauchy_cost(r: np.ndarray, w: np.ndarray, scale: float) -> float:
    """The Cauchy loss of residuals (N,) with weights (N,); inf if any residual is not
    finite."""
    with np.errstate(all="ignore"):
        c = float(0.5 * scale**2 * np.sum(w * np.log1p((r / scale) ** 2)))
    return c if np.isfinite(c) else np.inf


def robust_lm(fun: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, free: np.ndarray,
              scale: float, weights: np.ndarray | None = None, iters: int = 40,
              prior: Callable[[np.ndarray], np.ndarray] | None = None) -> tuple[np.ndarray, float]:
    """Minimise a Cauchy-robust sum of squared residuals by Levenberg-Marquardt (IRLS).

    Args:
        fun: x (P,) -> residuals (N,).
        x0: (P,) start.
        free: (P,) bool, which parameters move.
        scale: the Cauchy loss' scale, in residual units.
        weights: (N,) per-residual weights (default 1).
        iters: maximum iterations.
        prior: optional x -> extra residuals (plain least squares, e.g. regularisers).

    Returns:
        (x, cost) at the end.
    """
    x = np.asarray(x0, float).copy()
    idx = np.flatnonzero(free)

    def total(x):
        r = fun(x)
        w = np.ones_like(r) if weights is None else weights
        c = cauchy_cost(r, w, scale)
        if prior is not None:
            c += 0.5 * float(np.sum(prior(x) ** 2))
        return r, c

    r, cost = total(x)
    if not np.isfinite(cost):
        return x, cost
    lam = 1e-3
    for _ in range(iters):
        w = cauchy_weights(r, scale) * (1.0 if weights is None else weights)
        J = np.empty((len(r), len(idx)))
        for k, i in enumerate(idx):
            h = 1e-6 * max(1.0, abs(x[i]))
            xh = x.copy()
            xh[i] += h
            J[:, k] = (fun(xh) - r) / h
        A = J.T @ (w[:, None] * J)
        g = J.T @ (w * r)
        if prior is not None:
            pr = prior(x)
            Jp = np.empty((len(pr), len(idx)))
            for k, i in enumerate(idx):
                h = 1e-6 * max(1.0, abs(x[i]))
                xh = x.copy()
                xh[i] += h
                Jp[:, k] = (prior(xh) - pr) / h
            A += Jp.T @ Jp
            g += Jp.T @ pr
        improved = False
        for _ in range(8):
            try:
                step = np.linalg.solve(A + lam * np.diag(np.diag(A) + 1e-12), -g)
            except np.linalg.LinAlgError:
                lam *= 10
                continue
            xn = x.copy()
            xn[idx] += step
            rn, cn = total(xn)
            if np.isfinite(cn) and cn < cost:
                x, r, done = xn, rn, (cost - cn) < 1e-9 * max(cost, 1e-12)
                cost = cn
                lam = max(lam / 3, 1e-9)
                improved = True
                break
            lam *= 10
        if not improved or done:
            break
    return x, cost
