"""Find the playfield in an image: its colour (learned, not assumed), its mask and outline.

The playfield is the largest region of one colour near the image centre that stays convex once
the rods, men and markings crossing it are closed over. Its outline gives a quadrilateral for
the initial camera pose and boundary points for the final fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from reconstruct.background import median3
from reconstruct.calibration.model import ColourModel, bgr_to_lab

WORK_SIZE = 320  # px, long side of the image the colour clustering runs on
N_CLUSTERS = 8
CLUSTER_WEIGHTS = np.array([0.5, 2.0, 2.0])  # L, a, b
MIN_AREA = 0.02  # the playfield covers at least this share of the image
MIN_SOLIDITY = 0.6


@dataclass(frozen=True)
class Field:
    """The playfield as seen in one (median) image.

    Attributes:
        colour: the playfield's colour model.
        mask: (H, W) bool, the playfield with rods, men and markings closed over.
        quad: (4, 2) float64 px, corners of a quadrilateral fitted to the outline, in the
            image's counter-clockwise order (u right, v down: as drawn on screen).
        outline: (N, 2) float64 px, the closed boundary of ``mask``, in order.
        area_fraction: share of the image the playfield covers.
        on_edge: (N,) bool, outline points that are not on the image border.
    """

    colour: ColourModel
    mask: np.ndarray
    quad: np.ndarray
    outline: np.ndarray
    area_fraction: float
    on_edge: np.ndarray


def median_image(frames: list[np.ndarray]) -> np.ndarray:
    """A per-pixel median of frames (removes the ball, hands and moving men).

    Below 9 frames the exact median; from 9 (27) frames on, a median of medians of three
    (the "ninther") over 9 (27) frames spread through the list, interleaved so that each
    triple mixes frames from far apart: almost as robust, ten times faster.

    Args:
        frames: K (H, W, 3) uint8 BGR images of the same size.

    Returns:
        (H, W, 3) uint8.
    """
    if not frames:
        raise ValueError("no frames to calibrate from: give at least one image")
    shape = frames[0].shape
    if len(shape) != 3 or shape[2] != 3:
        raise ValueError(f"frames must be BGR colour images, got an array of shape {shape}")
    if any(f.shape != shape for f in frames):
        raise ValueError("all frames must have the same size to calibrate from them together")
    k = len(frames)
    if k < 9:
        return np.median(np.stack(frames), axis=0).astype(np.uint8)
    n = 27 if k >= 27 else 9
    level = [frames[i] for i in np.linspace(0, k - 1, n).round().astype(int)]
    while len(level) > 1:
        third = len(level) // 3
        level = [median3(level[i], level[i + third], level[i + 2 * third])
                 for i in range(third)]
    return level[0].copy()


def kmeans(x: np.ndarray, k: int, rng: np.random.Generator, iters: int = 15):
    """Plain k-means (k-means++ seeding).

    Args:
        x: (N, D) float samples.
        k: number of clusters.
        rng: random generator (seeding).

    Returns:
        centres (k, D) float64, labels (N,) int.
    """
    x = np.asarray(x, float)
    centres = [x[rng.integers(len(x))]]
    d2 = ((x - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        centres.append(x[rng.choice(len(x), p=d2 / d2.sum())] if d2.sum() > 0 else x[0])
        d2 = np.minimum(d2, ((x - centres[-1]) ** 2).sum(1))
    c = np.array(centres)
    for _ in range(iters):
        labels = ((x[:, None, :] - c[None]) ** 2).sum(2).argmin(1)
        for j in range(k):
            if np.any(labels == j):
                c[j] = x[labels == j].mean(0)
    labels = ((x[:, None, :] - c[None]) ** 2).sum(2).argmin(1)
    return c, labels


def _largest_component(mask: np.ndarray) -> np.ndarray:
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros_like(mask, bool)
    return lab == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    filled = np.zeros(mask.shape, np.uint8)
    cv2.drawContours(filled, contours, -1, 1, -1)
    return filled.astype(bool)


def _largest_filled_component(mask: np.ndarray) -> np.ndarray:
    return _fill_holes(_largest_component(mask))


def _close(mask: np.ndarray, size: int) -> np.ndarray:
    size = max(3, size | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, kernel).astype(bool)


SHADE_CHROMA = 7.0  # Lab a, b: clusters this close in chroma may be shades of one surface
SHADE_LIGHTNESS = 60.0  # Lab L: ... if no further apart than this in lightness
SHADE_MIN_CHROMA = 12.0  # clusters at least this saturated ...
SHADE_HUE_DEG = 8.0  # ... and this close in hue ...
SHADE_CHROMA_RATIO = 1.6  # ... may differ this much in chroma (a washed-out hot spot)


def _shade_groups(centres: np.ndarray) -> list[np.ndarray]:
    """For each colour cluster (centres (K, 3) Lab), the clusters that may be the same
    surface under uneven light (a lamp's fall-off, vignetting): near it in chroma, not too
    far in lightness. The cluster itself comes first."""
    chroma = centres[:, 1:] - 128.0  # OpenCV's 8-bit Lab: a, b offset by 128
    size = np.linalg.norm(chroma, axis=1)
    hue = np.arctan2(chroma[:, 1], chroma[:, 0])
    groups = []
    for c, s, hh in zip(centres, size, hue):
        near = (np.linalg.norm(centres[:, 1:] - c[1:], axis=1) < SHADE_CHROMA) & \
            (np.abs(centres[:, 0] - c[0]) < SHADE_LIGHTNESS)
        # A saturated surface under a lamp's hot spot washes out: its chroma shrinks
        # with the same hue.
        dhue = np.abs(np.angle(np.exp(1j * (hue - hh))))
        same_hue = (s >= SHADE_MIN_CHROMA) & (size >= SHADE_MIN_CHROMA) & \
            (dhue < np.radians(SHADE_HUE_DEG)) & \
            (np.maximum(size, s) <= SHADE_CHROMA_RATIO * np.minimum(size, s)) & \
            (np.abs(centres[:, 0] - c[0]) < SHADE_LIGHTNESS)
        groups.append(np.flatnonzero(near | same_hue))
    return groups


def _region_score(region: np.ndarray) -> tuple[float, float, float]:
    """(score, area fraction, solidity) of a candidate playfield region."""
    area = float(region.sum())
    if area < 10:
        return 0.0, 0.0, 0.0
    pts = cv2.findNonZero(region.astype(np.uint8))
    hull_area = max(cv2.contourArea(cv2.convexHull(pts)), 1.0)
    solidity = min(area / hull_area, 1.0)
    h, w = region.shape
    ys, xs = np.nonzero(region)
    off = np.hypot(xs.mean() / w - 0.5, ys.mean() / h - 0.5)
    frac = area / (h * w)
    border = np.concatenate([region[0], region[-1], region[:, 0], region[:, -1]]).mean()
    return frac * solidity**4 * (1.0 - off) * (1.0 - border) ** 2, frac, solidity


def find_field(image: np.ndarray, seed: int = 0) -> Field:
    """Segment the playfield of a BGR image and fit a quadrilateral to its outline.

    Args:
        image: (H, W, 3) uint8 BGR, ideally the median of several frames.
        seed: seed of the colour clustering.

    Raises:
        ValueError: when no region looks like a playfield.
    """
    h, w = image.shape[:2]
    scale = WORK_SIZE / max(h, w)
    small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    lab = bgr_to_lab(small).reshape(-1, 3)
    # Chroma weighs more than lightness: materials differ in hue, lighting varies in L.
    rng = np.random.default_rng(seed)
    sample = lab[rng.choice(len(lab), min(len(lab), 12000), replace=False)]
    centres, _ = kmeans(sample * CLUSTER_WEIGHTS, N_CLUSTERS, rng)
    feats = lab * CLUSTER_WEIGHTS
    labels = ((feats[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
    labels = labels.reshape(small.shape[:2])
    close_px = round(0.05 * max(small.shape[:2]))
    best = None
    for members in _shade_groups(centres / CLUSTER_WEIGHTS):
        raw = np.isin(labels, members)
        raw = cv2.morphologyEx(raw.astype(np.uint8), cv2.MORPH_OPEN,
                               np.ones((2, 2), np.uint8)).astype(bool)
        region = _largest_component(_close(raw, close_px))
        score, frac, solidity = _region_score(region)
        if best is None or score > best[0]:
            best = (score, members, region, frac, solidity)
    score, members, region, frac, solidity = best
    region = _fill_holes(region)
    if frac < MIN_AREA or solidity < MIN_SOLIDITY:
        raise ValueError(
            "no playfield found in the image (no large convex region of one colour): "
            "check that the camera sees the whole table, or give a calibration points file")
    colour = ColourModel.from_lab_samples("field", lab.reshape(*small.shape[:2], 3)[
        region & np.isin(labels, members)])
    # Full resolution: pixels of the field's colour, near the low-resolution region.
    near = cv2.resize(cv2.dilate(region.astype(np.uint8), np.ones((5, 5), np.uint8)), (w, h),
                      interpolation=cv2.INTER_NEAREST).astype(bool)
    # A pixel is the field's if it has its colour and no other cluster is nearer (a pale
    # wall next to a pale field may be within the field's spread, not nearest to it).
    full = bgr_to_lab(image).reshape(-1, 3) * CLUSTER_WEIGHTS
    nearest = np.full(len(full), np.inf)
    for c in centres:
        nearest = np.minimum(nearest, ((full - c) ** 2).sum(axis=1))
    own = np.full(len(full), np.inf)
    for c in centres[members]:
        own = np.minimum(own, ((full - c) ** 2).sum(axis=1))
    raw = colour.mask(image, 3.5) & near & (own <= nearest).reshape(h, w)
    mask = _largest_filled_component(_close(raw, round(close_px / scale)))
    area_fraction = float(mask.mean())
    if area_fraction < MIN_AREA:
        raise ValueError("the playfield found is too small to calibrate from "
                         f"({100 * area_fraction:.1f} % of the image)")
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    contour = max(contours, key=len).reshape(-1, 2).astype(float)
    quad = fit_quad(contour)
    # Where the playfield leaves the image, its outline is the image border, not an edge.
    on_border = (contour[:, 0] < 2) | (contour[:, 0] > w - 3) | (contour[:, 1] < 2) | \
        (contour[:, 1] > h - 3)
    return Field(colour, mask, quad, contour, area_fraction, ~on_border)


def _line_intersection(l1: np.ndarray, l2: np.ndarray) -> np.ndarray:
    p = np.cross(l1, l2)
    return p[:2] / p[2]


def fit_quad(outline: np.ndarray) -> np.ndarray:
    """(4, 2) float64: a quadrilateral fitted to a closed outline (N, 2) px.

    Corners from a polygon approximation of the convex hull; each side then refitted (robust
    line fit) to the outline points near it. Counter-clockwise on screen (u right, v down).
    """
    hull = cv2.convexHull(outline.astype(np.float32)).reshape(-1, 2)
    perimeter = cv2.arcLength(hull.reshape(-1, 1, 2), True)
    approx = None
    for eps in np.linspace(0.01, 0.15, 29):
        approx = cv2.approxPolyDP(hull.reshape(-1, 1, 2), eps * perimeter, True).reshape(-1, 2)
        if len(approx) <= 4:
            break
    if approx is None or len(approx) != 4:
        raise ValueError("the playfield's outline is not a quadrilateral: the table may be "
                         "partly out of view or hidden")
    corners = approx.astype(float)
    # Refit each side to the outline points close to it.
    lines = []
    for a, b in zip(corners, np.roll(corners, -1, axis=0)):
        d = b - a
        length = np.linalg.norm(d)
        n = np.array([-d[1], d[0]]) / length
        s = (outline - a) @ d / length**2
        dist = np.abs((outline - a) @ n)
        near = (s > 0.1) & (s < 0.9) & (dist < max(3.0, 0.03 * length))
        pts = outline[near] if near.sum() >= 5 else np.array([a, b])
        vx, vy, x0, y0 = cv2.fitLine(pts.astype(np.float32), cv2.DIST_HUBER, 0, 0.01,
                                     0.01).ravel()
        lines.append(np.cross([x0, y0, 1.0], [x0 + vx, y0 + vy, 1.0]))
    quad = np.array([_line_intersection(lines[i - 1], lines[i]) for i in range(4)])
    if not np.all(np.isfinite(quad)):
        quad = corners
    # Counter-clockwise on screen: negative shoelace area with v pointing down.
    area = 0.5 * np.sum(quad[:, 0] * np.roll(quad[:, 1], -1) - np.roll(quad[:, 0], -1) * quad[:, 1])
    return quad if area < 0 else quad[::-1].copy()


def refine_outline(outline: np.ndarray, gu: np.ndarray, gv: np.ndarray, keep: np.ndarray,
                   step: int = 3, reach: float = 4.0) -> np.ndarray:
    """Move outline points onto the strongest edge across the outline, to sub-pixel precision.

    Args:
        outline: (N, 2) px, a closed contour in order (e.g. from ``cv2.findContours``).
        gu, gv: (H, W, C) float32 image derivatives along u and v.
        keep: (N,) bool, the points to refine (the others only shape the normals).
        step: keep every ``step``-th point.
        reach: search distance either side, px.

    Returns:
        (M, 2) float64 px.
    """
    n = len(outline)
    if n < 20:
        return outline.astype(float)
    k = 5
    tangent = np.roll(outline, -k, axis=0) - np.roll(outline, k, axis=0)
    pts, tangent = outline[::step].astype(float), tangent[::step].astype(float)
    norm = np.linalg.norm(tangent, axis=1)
    keep = (norm > 1e-6) & keep[::step]
    pts, tangent = pts[keep], tangent[keep] / norm[keep, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    off = np.arange(-reach, reach + 0.25, 0.5)
    pos = pts[:, None, :] + off[None, :, None] * normal[:, None, :]
    mu, mv = pos[..., 0].astype(np.float32), pos[..., 1].astype(np.float32)
    su = cv2.remap(gu, mu, mv, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    sv = cv2.remap(gv, mu, mv, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if su.ndim == 2:
        su, sv = su[..., None], sv[..., None]
    d = np.abs(su * normal[:, None, 0, None] + sv * normal[:, None, 1, None]).sum(axis=2)
    j = np.clip(np.argmax(d, axis=1), 1, len(off) - 2)
    rows = np.arange(len(j))
    y0, y1, y2 = d[rows, j - 1], d[rows, j], d[rows, j + 1]
    den = y0 - 2 * y1 + y2
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(den < 0, np.clip(0.5 * (y0 - y2) / den, -0.5, 0.5), 0.0)
    t = off[j] + 0.5 * frac
    h, w = gu.shape[:2]
    out = pts + t[:, None] * normal
    inside = (out[:, 0] > 1) & (out[:, 0] < w - 2) & (out[:, 1] > 1) & (out[:, 1] < h - 2)
    return out[inside]

