"""Ball candidates in a single image without a background model (stills, first frames).

Without a background, the ball must be told apart by its look alone. On real tables it is a
dull off-white sphere, shaded on one side, often touching or partly behind a man or a rod; the
look-alikes are painted spots (flat, about half its size), the centre logo (textured inside),
white lines (straight), chrome highlights on rods and bumpers (small or elongated) and men
(green or dark). Two properties single the ball out with few assumptions:

- **rim**: on a whiteness map (``whiteness``: bright and colourless is high) the ball's lit
  part is bounded by a circular edge of the ball's radius with the bright side inside. The
  *rim coverage* is the fraction of the circle's directions (of ``N_BINS``) where such an
  edge is found. A spot's rim has half the radius, a line gives two opposite directions, a
  highlight a small or elongated outline; a partly hidden ball keeps its visible arc.
- **a smooth, whole, bounded disc**: the ball's visible pixels follow a smooth shading (a
  plane fits them; ``texture`` is the fit's RMS residual over the contrast: the logo and
  cluttered corners fail it); what hides part of a ball reaches in from outside its rim, so
  dark islands enclosed by bright pixels are a printed pattern (``holes``); the bright region
  ends at the rim (``spill``: how much of the ring around it is as bright: lines, rods and
  panels continue); a good part of the disc is bright (``seen``: a spot inside a ball-sized
  circle fills little of it) and what is bright is thick (``thickness``, the radius of the
  largest disc inside it: a marking line crossing the circle is thin).

The score is ``min(1, coverage / COVERAGE_FULL) * min(1, seen / SEEN_FULL) * min(1,
thickness / THICKNESS_FULL) * exp(-(texture + holes) / TEXTURE_SCALE - spill / SPILL_SCALE)``:
each tolerance says what a ball must show; ``STILL_THRESHOLD`` is the detection threshold.

Candidates come from a rim-coverage map over the whole image at reduced scale (each edge pixel
votes for the centres one radius away on its bright side, one vote per direction bin); the best
few are then fitted at full resolution: a local vote over centre and radius, then a least
squares circle through the sub-pixel rim points (with a prior on the radius).

Pixel coordinates follow OpenCV: u right, v down, pixel centres at integers.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

CHROMA_WEIGHT = 2.0  # whiteness = L - this * chroma (Lab, 0..255): coloured things are dark
N_BINS = 24  # direction bins around the rim (full-resolution fit)
N_BINS_SEARCH = 16  # direction bins of the whole-image candidate map
RADIUS_RANGE = (0.85, 1.3)  # fitted radius, in expected radii (painted spots are ~0.55)
SEARCH_RADIUS_PX = 6.0  # px: the ball's radius in the shrunk image of the candidate map
EDGE_MIN = 3.0  # whiteness units per px: weakest edge that votes (full resolution)
EDGE_FULL = 15.0  # whiteness units per px: an edge this strong gives a full vote
COVERAGE_FULL = 0.5  # a ball shows at least half of its rim (the lit side) when unhidden
SEEN_FULL = 0.4  # a ball shows at least this much of its disc as bright
THICKNESS_FULL = 0.5  # and a disc of at least half its radius fits in what it shows
TEXTURE_SCALE = 0.3  # texture + holes giving a factor exp(-1)
STILL_THRESHOLD = 0.5  # least score of a ball in a still
SPILL_SCALE = 0.6  # spill giving a factor exp(-1) (a ball touching a line spills ~0.2-0.3)
MAX_SEEDS = 24  # candidates fitted at full resolution per image


def whiteness(image_bgr: np.ndarray) -> np.ndarray:
    """(H, W) float32: Lab lightness minus ``CHROMA_WEIGHT`` times chroma (0..255 scale).

    High for white and light grey, low for dark and for coloured things (green men, field).
    """
    lab = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2Lab).astype(np.float32)
    chroma = cv2.magnitude(lab[..., 1] - 128.0, lab[..., 2] - 128.0)
    return lab[..., 0] - np.float32(CHROMA_WEIGHT) * chroma


def _gradients(w: np.ndarray, sigma: float = 1.0):
    ws = cv2.GaussianBlur(w, (0, 0), sigma)
    gx = cv2.Sobel(ws, cv2.CV_32F, 1, 0, ksize=3) * np.float32(0.125)
    gy = cv2.Sobel(ws, cv2.CV_32F, 0, 1, ksize=3) * np.float32(0.125)
    return ws, gx, gy


def _box3(a: np.ndarray) -> np.ndarray:
    """Sum over the 3 x 3 neighbourhood of the last two axes (zero outside)."""
    p = np.pad(a, [(0, 0)] * (a.ndim - 2) + [(1, 1), (1, 1)])
    rows = p[..., :-2, :] + p[..., 1:-1, :] + p[..., 2:, :]
    return rows[..., :-2] + rows[..., 1:-1] + rows[..., 2:]


def rim_coverage_map(w: np.ndarray, radius: float, n_bins: int = N_BINS_SEARCH,
                     edge_min: float = 6.0, edge_full: float = 20.0) -> np.ndarray:
    """How much of a bright disc's rim of ``radius`` surrounds each pixel, 0..1.

    Every pixel with an edge votes, in the bin of its direction, for the centres at
    ``RADIUS_RANGE`` radii on its bright side; a centre's coverage is the number of bins
    holding a vote (within one pixel) over ``n_bins``.

    Args:
        w: (H, W) float32 whiteness (any scale).
        radius: px, the ball's radius at that scale.

    Returns:
        (H, W) float32.
    """
    h, wd = w.shape
    _, gx, gy = _gradients(w)
    mag = cv2.magnitude(gx, gy)
    ys, xs = np.nonzero(mag > edge_min)
    m = mag[ys, xs]
    nx, ny = gx[ys, xs] / m, gy[ys, xs] / m
    weight = np.minimum(1.0, m / edge_full)
    b = (((np.arctan2(-ny, -nx) + np.pi) / (2 * np.pi) * n_bins).astype(np.int64)) % n_bins
    radii = np.linspace(RADIUS_RANGE[0] * radius, RADIUS_RANGE[1] * radius, 4)
    px = np.rint(xs[None, :] + nx[None, :] * radii[:, None]).astype(np.int64)
    py = np.rint(ys[None, :] + ny[None, :] * radii[:, None]).astype(np.int64)
    ok = (px >= 0) & (px < wd) & (py >= 0) & (py < h)
    idx = (np.broadcast_to(b, px.shape)[ok] * h + py[ok]) * wd + px[ok]
    acc = np.bincount(idx, weights=np.broadcast_to(weight, px.shape)[ok],
                      minlength=n_bins * h * wd).astype(np.float32).reshape(n_bins, h, wd)
    cov = np.zeros((h, wd), np.float32)
    full = np.float32(0.5 * len(radii))
    for plane in acc:
        cov += np.minimum(cv2.boxFilter(plane, -1, (3, 3), normalize=False,
                                        borderType=cv2.BORDER_CONSTANT) / full, 1.0)
    return cov / n_bins


@dataclass(frozen=True)
class RimFit:
    """A ball fitted to its rim in one image (px)."""

    u: float  # px, centre
    v: float  # px
    radius: float  # px
    coverage: float  # 0..1, fraction of the rim's directions with a bright-inside edge
    texture: float  # RMS residual of a plane through the visible ball pixels / contrast
    holes: float  # 0..1, fraction of the disc dark but enclosed by bright (not occlusion)
    spill: float  # 0..1, fraction of the ring around the rim as bright as the ball
    thickness: float  # radius of the largest disc inside the visible part, in radii
    contrast: float  # whiteness inside minus outside the rim
    seen: float  # 0..1, fraction of the disc brighter than halfway to the inside level
    colour_bgr: tuple[float, float, float]  # median colour of the visible ball pixels

    @property
    def score(self) -> float:
        """0..1: ``min(1, coverage / COVERAGE_FULL) * min(1, seen / SEEN_FULL)
        * min(1, thickness / THICKNESS_FULL) * exp(-(texture + holes) / TEXTURE_SCALE
        - spill / SPILL_SCALE)``."""
        return float(min(1.0, self.coverage / COVERAGE_FULL) * min(1.0, self.seen / SEEN_FULL)
                     * min(1.0, self.thickness / THICKNESS_FULL)
                     * np.exp(-(self.texture + self.holes) / TEXTURE_SCALE
                              - self.spill / SPILL_SCALE))


class RimFitter:
    """Fits balls to their rims in one image: ``fit(u0, v0, expected_radius)``."""

    def __init__(self, image_bgr: np.ndarray, white: np.ndarray | None = None):
        """Args:
            image_bgr: (H, W, 3) uint8 BGR.
            white: its (H, W) float32 ``whiteness``, if already computed.
        """
        self.image = image_bgr
        self.white = whiteness(image_bgr) if white is None else white
        self.shape = self.white.shape

    def _window(self, u0: float, v0: float, half: int):
        h, w = self.shape
        y0, y1 = max(int(round(v0)) - half, 0), min(int(round(v0)) + half + 1, h)
        x0, x1 = max(int(round(u0)) - half, 0), min(int(round(u0)) + half + 1, w)
        return y0, y1, x0, x1

    def _edges(self, box):
        """Thin edges of the whiteness in ``box``, with a margin for the filters:
        sub-pixel positions (px), unit normals towards the bright side, weights."""
        h, w = self.shape
        y0, y1, x0, x1 = box
        m = 4
        yy0, yy1, xx0, xx1 = max(y0 - m, 0), min(y1 + m, h), max(x0 - m, 0), min(x1 + m, w)
        ws, gx, gy = _gradients(self.white[yy0:yy1, xx0:xx1])
        mag = cv2.magnitude(gx, gy)
        inner = (slice(y0 - yy0, y1 - yy0), slice(x0 - xx0, x1 - xx0))
        ws, gx, gy, mag = ws[inner], gx[inner], gy[inner], mag[inner]
        ys, xs = np.nonzero(mag > EDGE_MIN)
        mm = mag[ys, xs]
        nx, ny = gx[ys, xs] / mm, gy[ys, xs] / mm
        # non-maximum suppression along the normal, and the sub-pixel peak (parabola)
        pts = np.stack([xs + nx, xs - nx, ys + ny, ys - ny]).astype(np.float32)
        fwd = cv2.remap(mag, pts[0][None], pts[2][None], cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REPLICATE).ravel()
        bwd = cv2.remap(mag, pts[1][None], pts[3][None], cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REPLICATE).ravel()
        keep = (mm >= fwd) & (mm > bwd)
        den = fwd - 2.0 * mm + bwd
        off = np.where(den < -1e-6, 0.5 * (bwd - fwd) / np.minimum(den, -1e-6), 0.0)
        off = np.clip(off, -0.5, 0.5)
        xs_f = xs + x0 + off * nx
        ys_f = ys + y0 + off * ny
        wgt = np.minimum(1.0, mm / EDGE_FULL)
        return (xs_f[keep], ys_f[keep], nx[keep], ny[keep], wgt[keep]), ws, (y0, x0)

    def fit(self, u0: float, v0: float, radius: float, search: float = 0.6) -> RimFit | None:
        """The best ball rim near (u0, v0).

        Args:
            u0, v0: px, where to look (the centre may move by ``search`` radii).
            radius: px, the ball's expected radius there.

        Returns:
            The fit, or None where there is nothing to fit (no edges, image border).
        """
        half = int(np.ceil((search + RADIUS_RANGE[1]) * radius + 2))
        box = self._window(u0, v0, half)
        (ex, ey, nx, ny, wgt), ws, (oy, ox) = self._edges(box)
        if len(ex) < 5:
            return None
        # vote over (radius, direction bin, centre) on a 1 px grid around the seed
        gs = int(np.ceil(search * radius))
        g = 2 * gs + 1
        cu0, cv0 = int(round(u0)) - gs, int(round(v0)) - gs
        radii = np.arange(RADIUS_RANGE[0] * radius, RADIUS_RANGE[1] * radius + 1e-6, 0.5)
        b = (((np.arctan2(-ny, -nx) + np.pi) / (2 * np.pi) * N_BINS).astype(np.int64)) % N_BINS
        ix = np.rint(ex[None, :] + nx[None, :] * radii[:, None] - cu0).astype(np.int64)
        iy = np.rint(ey[None, :] + ny[None, :] * radii[:, None] - cv0).astype(np.int64)
        ir = np.broadcast_to(np.arange(len(radii))[:, None], ix.shape)
        ok = (ix >= 0) & (ix < g) & (iy >= 0) & (iy < g)
        idx = ((ir[ok] * N_BINS + np.broadcast_to(b, ix.shape)[ok]) * g + iy[ok]) * g + ix[ok]
        acc = np.bincount(idx, weights=np.broadcast_to(wgt, ix.shape)[ok],
                          minlength=len(radii) * N_BINS * g * g)
        acc = _box3(acc.reshape(len(radii), N_BINS, g, g).astype(np.float32))
        acc[1:] += acc[:-1].copy()  # a radius step either side
        acc[:-1] += acc[1:].copy()
        cov = np.minimum(1.0, acc / 1.5).sum(axis=1) / N_BINS
        kr, ky, kx = np.unravel_index(int(np.argmax(cov)), cov.shape)
        coverage = float(cov[kr, ky, kx])
        cu, cv, rr = float(cu0 + kx), float(cv0 + ky), float(radii[kr])
        cu, cv, rr = _refine_circle(ex, ey, nx, ny, wgt, cu, cv, rr, radius)
        h, w = self.shape
        if not (0 <= cu <= w - 1 and 0 <= cv <= h - 1):
            return None
        return self._appearance(cu, cv, rr, coverage, ex, ey, nx, ny)

    def _appearance(self, cu, cv, rr, coverage, ex, ey, nx, ny) -> RimFit | None:
        """Contrast, texture, visible fraction and colour of the fitted disc."""
        d = np.hypot(ex - cu, ey - cv)
        toward = ((cu - ex) * nx + (cv - ey) * ny) / np.maximum(d, 1e-6)
        rim = (np.abs(d - rr) < 1.6) & (toward > 0.9)
        if rim.sum() < 3:
            return None
        wp = self.white
        inside = _sample(wp, ex[rim] + 2.5 * nx[rim], ey[rim] + 2.5 * ny[rim])
        outside = _sample(wp, ex[rim] - 2.5 * nx[rim], ey[rim] - 2.5 * ny[rim])
        w_in, w_out = float(np.median(inside)), float(np.median(outside))
        contrast = w_in - w_out
        y0, y1, x0, x1 = self._window(cu, cv, int(np.ceil(1.2 * rr)) + 1)
        yy, xx = np.mgrid[y0:y1, x0:x1]
        d2 = (xx - cu) ** 2 + (yy - cv) ** 2
        disc = d2 < (0.85 * rr) ** 2
        patch = wp[y0:y1, x0:x1]
        bright = patch > w_out + 0.5 * contrast
        visible = disc & bright
        seen = float(visible.sum() / max(disc.sum(), 1))
        # how thick the visible part is: the radius of the largest disc inside it
        inside_vis = np.pad((bright & (d2 < rr * rr)).astype(np.uint8), 1)
        thickness = float(cv2.distanceTransform(inside_vis, cv2.DIST_L2, 3).max()) / rr
        # what hides part of a ball reaches in from outside its rim; dark islands enclosed by
        # the bright disc are not occlusion but a pattern (a printed logo, a spot's ring)
        n_lab, lab = cv2.connectedComponents((~bright & (d2 < (1.1 * rr) ** 2)).astype(np.uint8))
        outer = np.unique(lab[(d2 >= rr * rr) & (d2 < (1.1 * rr) ** 2)])
        holes = float(np.mean(~np.isin(lab[disc], outer) & (lab[disc] > 0))) if n_lab > 1 else 0.0
        ring = (d2 >= (1.15 * rr) ** 2) & (d2 < (1.5 * rr) ** 2)
        spill = float(np.mean(bright[ring])) if ring.any() else 0.0
        if visible.sum() < 6 or contrast <= 1.0:
            texture = np.inf
            colour = (np.nan, np.nan, np.nan)
        else:
            a = np.column_stack([np.ones(visible.sum()), xx[visible] - cu, yy[visible] - cv])
            z = patch[visible].astype(np.float64)
            coef = np.linalg.lstsq(a, z, rcond=None)[0]
            texture = float(np.sqrt(np.mean((z - a @ coef) ** 2)) / contrast)
            colour = tuple(float(c) for c in np.median(self.image[y0:y1, x0:x1][visible],
                                                       axis=0))
        return RimFit(u=cu, v=cv, radius=rr, coverage=coverage, texture=texture, holes=holes,
                      spill=spill, thickness=thickness, contrast=contrast, seen=seen,
                      colour_bgr=colour)


def _sample(img: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return cv2.remap(img, np.asarray(x, np.float32)[None], np.asarray(y, np.float32)[None],
                     cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).ravel()


def _refine_circle(ex, ey, nx, ny, wgt, cu, cv, rr, r0, iters: int = 4):
    """Least-squares circle through the rim points near (cu, cv, rr), bright side inside,
    with a Gaussian prior on the radius (sigma 0.15 r0); Gauss-Newton."""
    p = np.array([cu, cv, rr], float)
    lam = 4.0 / (0.15 * r0) ** 2
    for _ in range(iters):
        dx, dy = ex - p[0], ey - p[1]
        d = np.maximum(np.hypot(dx, dy), 1e-6)
        toward = -(dx * nx + dy * ny) / d
        e = d - p[2]
        sel = (np.abs(e) < 1.6) & (toward > 0.9)
        if sel.sum() < 3:
            break
        w = wgt[sel] / (1.0 + (e[sel] / 1.0) ** 2)
        jac = np.column_stack([-dx[sel] / d[sel], -dy[sel] / d[sel], -np.ones(sel.sum())])
        hess = jac.T @ (jac * w[:, None])
        grad = jac.T @ (w * e[sel])
        hess[2, 2] += lam
        grad[2] += lam * (p[2] - r0)
        try:
            step = np.linalg.solve(hess + 1e-9 * np.eye(3), grad)
        except np.linalg.LinAlgError:
            break
        p -= step
        if np.abs(step).max() < 0.01:
            break
    return float(p[0]), float(p[1]), float(p[2])


def still_seeds(white: np.ndarray, radius: float, roi: np.ndarray | None,
                max_seeds: int = MAX_SEEDS) -> list[tuple[float, float]]:
    """The most ball-like places of a whole image: peaks of the rim coverage map at reduced
    scale, best first, inside ``roi`` (H, W) bool if given. px, full resolution."""
    h, w = white.shape
    y0, y1, x0, x1 = 0, h, 0, w
    if roi is not None:  # only the region's bounding box (and a margin for the filters)
        ys, xs = np.nonzero(roi[::4, ::4])
        if len(ys) == 0:
            return []
        m = int(2 * radius) + 4
        y0, y1 = max(4 * ys.min() - m, 0), min(4 * ys.max() + 4 + m, h)
        x0, x1 = max(4 * xs.min() - m, 0), min(4 * xs.max() + 4 + m, w)
    k = max(1.0, radius / SEARCH_RADIUS_PX)
    size = (max(8, round((x1 - x0) / k)), max(8, round((y1 - y0) / k)))
    small = cv2.resize(white[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
    cov = rim_coverage_map(small, radius / k)
    if roi is not None:
        cov *= cv2.resize(roi[y0:y1, x0:x1].astype(np.uint8), size,
                          interpolation=cv2.INTER_NEAREST)
    n = 2 * int(0.7 * SEARCH_RADIUS_PX) + 1
    peak = (cov >= cv2.dilate(cov, np.ones((n, n), np.uint8))) & (cov > 0)
    ys, xs = np.nonzero(peak)
    order = np.argsort(-cov[ys, xs], kind="stable")[:max_seeds]
    sx, sy = (x1 - x0) / size[0], (y1 - y0) / size[1]
    return [(x0 + (xs[i] + 0.5) * sx - 0.5, y0 + (ys[i] + 0.5) * sy - 0.5) for i in order]
