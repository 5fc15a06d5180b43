"""Find the eight rods in an image: long straight bars across the playfield.

Two steps. ``find_rods`` rectifies the image through a rough playfield homography and looks
for the rods' pattern (eight bars at the table's known pitch, stretched by the unknown
parallax) in a profile taken along the table; ``trace_rod`` then follows one rod across the
image and measures its centre line to sub-pixel precision with a matched filter for its two
edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from sim.table import TableSpec

RECT_PX_PER_M = 500.0  # resolution of the rectified top view
MARGIN = 0.2  # the rectified view reaches this share of the length beyond each goal line
PARALLAX = (0.85, 1.6)  # range of the rods' stretch in the field-plane rectification
ROW_PERCENTILE = 25  # profile statistic over the rows of the rectified view
TEMPLATE_PERCENTILE = 25  # edge strength statistic over a rod's aligned samples


@dataclass(frozen=True)
class RodGuess:
    """Where the rods seem to be, from the rectified view.

    Attributes:
        x_plane: (8,) float64, m: where each rod appears on the playfield plane.
        score: contrast of the rods' pattern (mean profile at the rods over the median
            profile): above about 2 when the rods are really there.
        strength: the mean profile at the rods (colour gradient, 8-bit levels per px):
            compares hypotheses on one image (a noise-free rendering's median profile can
            be near zero, which makes ``score`` meaningless across hypotheses).
    """

    x_plane: np.ndarray
    score: float
    strength: float = 0.0


@dataclass(frozen=True)
class RodTrace:
    """Sub-pixel points on one rod's centre line.

    Attributes:
        rod: rod index 0..7.
        points: (N, 2) float64 px.
        strength: (N,) float64, normalised cross-correlation with the rod's template.
    """

    rod: int
    points: np.ndarray
    strength: np.ndarray


def gradients(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel image derivatives (Scharr, float32): (H, W, C) along u, along v."""
    img = image.astype(np.float32)
    gu = cv2.Scharr(img, cv2.CV_32F, 1, 0) / 32.0
    gv = cv2.Scharr(img, cv2.CV_32F, 0, 1) / 32.0
    if gu.ndim == 2:
        gu, gv = gu[..., None], gv[..., None]
    return gu, gv


def _rectifier(table_to_image: np.ndarray, table: TableSpec):
    """Homography rectified-view pixel -> image pixel, and the rectified view's size."""
    x0 = -(0.5 + MARGIN) * table.length
    y0 = -0.45 * table.width
    w = int(round((1 + 2 * MARGIN) * table.length * RECT_PX_PER_M))
    h = int(round(0.9 * table.width * RECT_PX_PER_M))
    s = 1.0 / RECT_PX_PER_M
    rect_to_table = np.array([[s, 0, x0], [0, s, y0], [0, 0, 1.0]])
    return table_to_image @ rect_to_table, (w, h), x0


def find_rods(image: np.ndarray, table_to_image: np.ndarray, table: TableSpec) -> RodGuess:
    """Locate the rods' pattern along the table.

    Args:
        image: (H, W, 3) uint8 BGR (a median image).
        table_to_image: (3, 3) homography from playfield-plane (x, y) in m to pixels.
        table: the table (rod positions).
    """
    H, (w, h), x0 = _rectifier(table_to_image, table)
    rect = cv2.warpPerspective(image, H, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REPLICATE)
    gu, _ = gradients(rect)
    edge = np.abs(gu).sum(axis=2)
    # A rod crosses every row; a goal-area line or a man only some: a low percentile keeps
    # the rods and drops them.
    edges = np.percentile(edge, ROW_PERCENTILE, axis=0)
    # A rod is a bar: two edges a rod's width apart (its width grows with the parallax).
    # A single step (a wall, the frame) is not.
    profile = np.zeros_like(edges)
    for half in range(max(1, int(0.4 * table.rod_diameter * RECT_PX_PER_M)),
                      int(0.5 * PARALLAX[1] * table.rod_diameter * RECT_PX_PER_M) + 2):
        bar = np.zeros_like(edges)
        bar[half:-half] = np.minimum(edges[:-2 * half], edges[2 * half:])
        profile = np.maximum(profile, bar)
    profile = cv2.blur(profile.reshape(1, -1), (5, 1)).ravel()
    base = float(np.median(profile)) + 1e-6
    xs = x0 + np.arange(w) / RECT_PX_PER_M
    # The rods' pattern on the plane: x' = a + b x + c x^3 (b: the parallax stretch; c: what
    # lens distortion does to a homography fitted to a curved outline). Square roots keep a
    # few very strong edges (walls, frame) from outweighing the eight rods.
    root = np.sqrt(profile / base)
    rod_x = table.rod_x / table.half_length
    b = np.arange(PARALLAX[0], PARALLAX[1], 0.004) * table.half_length
    a = np.arange(-0.25, 0.25, 0.002)
    best = (-np.inf, 0.0, 0.0, 0.0)
    for c in np.arange(-0.25, 0.1001, 0.025) * table.half_length:
        pred = a[:, None, None] + b[None, :, None] * rod_x + c * rod_x**3
        idx = np.round((pred - x0) * RECT_PX_PER_M).astype(int)
        score = np.where((idx >= 0) & (idx < w), root[np.clip(idx, 0, w - 1)], 0.0).sum(axis=2)
        ia, ib = np.unravel_index(np.argmax(score), score.shape)
        if score[ia, ib] > best[0]:
            best = (score[ia, ib], a[ia], b[ib], c)
    _, a, b, c = best
    x_plane = a + b * rod_x + c * rod_x**3
    # Each rod on its own: the highest profile value near the pattern's prediction.
    reach = 0.15 * float(np.min(np.diff(rod_x)))
    refined = []
    for x in x_plane:
        sel = np.abs(xs - x) <= reach
        if not sel.any():  # predicted outside the rectified view: no rod to refine on
            refined.append(x)
            continue
        j = np.flatnonzero(sel)[np.argmax(profile[sel])]
        if 0 < j < len(profile) - 1:  # parabolic peak
            y0, y1, y2 = profile[j - 1:j + 2]
            den = y0 - 2 * y1 + y2
            j = j + (0.5 * (y0 - y2) / den if den < 0 else 0.0)
        refined.append(x0 + j / RECT_PX_PER_M)
    x_plane = np.array(refined)
    strength = float(np.interp(x_plane, xs, profile).mean())
    return RodGuess(x_plane, strength / base, strength)


def trace_rod(gu: np.ndarray, gv: np.ndarray, rod: int, curve: np.ndarray, width_px: float,
              half_window: float, step: float = 3.0) -> RodTrace:
    """Measure a rod's centre line near a predicted image curve.

    Along the curve every ``step`` px, the colour gradient across the rod is sampled. The
    rod looks the same all along its length while its surroundings change, so the median
    of these profiles is a clean template of the rod: every sample is aligned to it by
    normalised cross-correlation within ``half_window`` px of the curve (three rounds, the
    template re-made each time), and the rod's centre is located once, in the template,
    halfway between its two silhouette edges.

    Args:
        gu, gv: (H, W, C) float32 image derivatives (``gradients``).
        rod: rod index (carried into the result).
        curve: (K, 2) px, the predicted centre line, densely sampled, in order.
        width_px: predicted apparent rod width, px.
        half_window: search distance either side of the curve, px.
        step: distance between measurements along the rod, px.
    """
    h, w = gu.shape[:2]
    # Only the part of the curve in the image, and a bounded search (a wild model must not
    # make the sampling explode).
    curve = np.asarray(curve, float)
    curve = curve[np.all(np.isfinite(curve), axis=1)]
    curve = curve[(curve[:, 0] > -w) & (curve[:, 0] < 2 * w) & (curve[:, 1] > -h)
                  & (curve[:, 1] < 2 * h)]
    half_window = float(min(half_window, 0.05 * np.hypot(w, h)))
    width_px = float(min(width_px, 0.05 * np.hypot(w, h)))
    # A wild model (a rod behind the camera) predicts no width: nothing to trace.
    if len(curve) < 2 or not width_px > 0 or not half_window >= 0:
        return RodTrace(rod, np.zeros((0, 2)), np.zeros(0))
    seg = np.diff(curve, axis=0)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(seg, axis=1))])
    if arc[-1] < 10 * step:
        return RodTrace(rod, np.zeros((0, 2)), np.zeros(0))
    s = np.arange(0.0, arc[-1], step)
    centre = np.column_stack([np.interp(s, arc, curve[:, 0]), np.interp(s, arc, curve[:, 1])])
    tangent = np.column_stack([np.gradient(centre[:, 0]), np.gradient(centre[:, 1])])
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True) + 1e-12
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    inside = (centre[:, 0] > half_window) & (centre[:, 0] < w - 1 - half_window) & \
             (centre[:, 1] > half_window) & (centre[:, 1] < h - 1 - half_window)
    centre, normal = centre[inside], normal[inside]
    if len(centre) < 5:
        return RodTrace(rod, np.zeros((0, 2)), np.zeros(0))
    dt = 0.5
    tk = int(np.ceil(0.65 * width_px / dt)) + int(round(3.0 / dt))  # template half length
    reach = half_window + (tk + 2) * dt
    off = np.arange(-reach, reach + dt / 2, dt)
    n_off = len(off)
    pos = centre[:, None, :] + off[None, :, None] * normal[:, None, :]
    mu, mv = pos[..., 0].astype(np.float32), pos[..., 1].astype(np.float32)
    su = cv2.remap(gu, mu, mv, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    sv = cv2.remap(gv, mu, mv, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if su.ndim == 2:
        su, sv = su[..., None], sv[..., None]
    g = su * normal[:, None, 0, None] + sv * normal[:, None, 1, None]  # (N, n_off, C) signed
    allowed = np.abs(off) <= half_window
    # The rod looks the same all along its length, its surroundings do not: average the
    # samples' gradient profiles around the prediction into a template, align every sample
    # to it (normalised cross-correlation), and repeat with the template sharpened.
    j = np.full(len(centre), int(np.argmin(np.abs(off))))
    u = np.arange(-tk, tk + 1)
    rows = np.arange(len(j))
    lo, hi = tk, n_off - tk - 1
    shifts = np.flatnonzero(allowed & (np.arange(n_off) >= lo) & (np.arange(n_off) <= hi))
    if len(shifts) < 3:
        return RodTrace(rod, np.zeros((0, 2)), np.zeros(0))
    strip = np.ascontiguousarray(g, dtype=np.float32)
    for _ in range(3):
        jc = np.clip(j, lo, hi)
        template = np.median(g[rows[:, None], jc[:, None] + u[None, :], :], axis=0)
        # Each row of the strip against the one-row template: NCC at every shift.
        ncc_all = cv2.matchTemplate(strip, template[None].astype(np.float32),
                                    cv2.TM_CCOEFF_NORMED)  # (N, n_off - 2 tk)
        ncc = ncc_all[:, shifts - tk]
        k = np.argmax(ncc, axis=1)
        j = shifts[k]
    best = ncc[rows, k]
    kk = np.clip(k, 1, len(shifts) - 2)
    y0, y1, y2 = ncc[rows, kk - 1], ncc[rows, kk], ncc[rows, kk + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        den = y0 - 2 * y1 + y2
        frac = np.where((den < 0) & (k == kk), np.clip(0.5 * (y0 - y2) / den, -0.5, 0.5), 0.0)
    # Where the rod's centre is in the template: find the window of the rod's width holding
    # the most edge strength, then take halfway between the outermost points in it where
    # the strength reaches a sixth of its peak (the silhouette's two edges: weaker than the
    # highlights inside a chrome rod, but further out). The strength is a low percentile
    # over the aligned samples, not the template's: a marking running beside the rod along
    # part of its length (a penalty area's line) shows in the median, not in every sample.
    good = best > 0.5
    aligned = np.abs(g[rows[good, None], np.clip(j[good], lo, hi)[:, None] + u[None, :], :])
    td = np.percentile(aligned.sum(axis=2), TEMPLATE_PERCENTILE, axis=0) if good.sum() >= 5 \
        else np.abs(template).sum(axis=1)
    half_w = 0.5 * width_px / dt
    box = int(round(1.2 * half_w))
    energy = np.convolve(td, np.ones(2 * box + 1), mode="same")
    core = np.abs(u) <= tk // 2
    c = int(np.flatnonzero(core)[np.argmax(energy[core])])
    a0, b0 = max(1, c - int(round(1.5 * half_w))), min(len(td) - 2, c + int(round(1.5 * half_w)))
    thr = td[a0:b0 + 1].max() / 6.0
    above = a0 + np.flatnonzero(td[a0:b0 + 1] >= thr)
    a, b = int(above[0]), int(above[-1])
    left = a - (td[a] - thr) / (td[a] - td[a - 1]) if td[a - 1] < thr else float(a)
    right = b + (td[b] - thr) / (td[b] - td[b + 1]) if td[b + 1] < thr else float(b)
    if not 0.5 * width_px <= (right - left) * dt <= 2.0 * width_px + 3.0:
        return RodTrace(rod, np.zeros((0, 2)), np.zeros(0))
    centre_in_template = (0.5 * (left + right) - tk) * dt
    t = off[j] + frac * dt + centre_in_template
    ok = (best > 0.5) & (np.abs(t) <= half_window + 2.0)
    pts = centre + t[:, None] * normal
    return RodTrace(rod, pts[ok], best[ok])

