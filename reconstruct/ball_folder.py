"""Ball candidates in a folder of stills from one fixed camera, with the folder's background.

Each still is still judged on its own (no tracking, no reasoning from one still to the next),
but the folder as a whole is used once, like a calibration: the per-pixel median of its
images (``FolderBackground``) is the table without the ball wherever the ball sits in fewer
than half of them. Against it the static look-alikes that beat a dim or half-hidden ball in a
still alone (painted spots, the centre logo, white lines, chrome highlights) vanish.

Per still (``FolderBallDetector.detect``):

- **ball foreground** ``F`` (0..1 per pixel): the still's whiteness
  (``reconstruct.ball_still.whiteness``) above both the background's (its 5 x 5 maximum,
  which tolerates a pixel or two of camera shake and the sub-pixel jitter of lines and rods)
  and the field's level (the background's whiteness median-filtered over ~8 ball radii): a man
  that has moved away uncovers the field, which is no whiter than the field; the ball is.
  Over paint (markings, spots: background ``PAINT_MIN`` whiter than the field) the ball is
  darker than the background, so there it counts where it is whiter than the field, darker
  than the paint all around and its colour differs from the background's.
- **seeds**: the local maxima of ``F`` averaged over a ball-sized disc, and the rim-coverage
  seeds of the still detector (``still_seeds``); each is fitted at full resolution by its rim
  (``RimFitter``), which puts the centre on the whole ball, shaded side included.
- **score**: ``min(1, fill / FILL_FULL) * min(1, change / CHANGE_FULL)
  * exp(-spill / SPILL_SCALE) * rim_score ** RIM_POWER * colour``, where ``fill`` is the mean
  ``F`` over the fitted disc, ``change`` the fraction of the disc whose colour differs from the
  background (Lab distance, the least over shifts of up to 2 px), ``spill`` the mean ``F`` in
  the ring from 1.3 to 2 radii (a sleeve, an arm or a rod end continue; a ball ends at its
  rim), ``rim_score`` the still detector's score (``RimFit.score``) and ``colour`` a generic
  prior for a white ball: its lit part has a chroma below ``CHROMA_MAX`` (skin does not).
  Centres closer than ``EDGE_MARGIN`` radii to the playfield's edge are no ball (rod ends and
  bumpers at the walls).

A still that does not show the background's view (another camera of a broadcast, a moved
camera: under ``VIEW_MIN`` of its playfield matches the background) is judged by the still
detector alone, its score rescaled so that ``FOLDER_THRESHOLD`` means what
``STILL_THRESHOLD`` means there.

The tolerances were chosen on the even-numbered files of the labelled real set only (see
``docs/evaluation.md``); the odd-numbered ones are the held-out check.

Pixel coordinates follow OpenCV: u right, v down, pixel centres at integers.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from reconstruct.ball import BallCandidates, BallDetector
from reconstruct.ball_colour import ball_colour_bgr
from reconstruct.ball_still import STILL_THRESHOLD, RimFitter, still_seeds, whiteness
from reconstruct.views import VIEW_MIN, VIEW_TOL, main_view, median_image
from reconstruct.views import to_lab as _lab

__all__ = ["FOLDER_THRESHOLD", "SAMPLE_IMAGES", "MIN_IMAGES", "VIEW_MIN", "VIEW_TOL",
           "FolderBackground", "FolderBallDetector", "folder_score", "median_image"]

FOLDER_THRESHOLD = 0.725  # least score of a ball in a still judged with the folder background
SAMPLE_IMAGES = 64  # images of a folder (spread over it) that make its background
MIN_IMAGES = 8  # fewer images of one view make no background
SHAKE_PX = 2  # camera shake tolerated, px
FIELD_RADII = 8.0  # the field level is a median over this many ball radii
WHITE_MIN = 10.0  # whiteness above background and field where the foreground starts
WHITE_FULL = 30.0  # ... and the extra above it that gives a full foreground (F = 1)
PAINT_MIN = 30.0  # background whiteness above the field's that counts as paint or chrome
CHANGE_MIN = 12.0  # Lab distance to the background where a change starts
CHANGE_FULL = 20.0  # ... and the extra that counts as a full change
FILL_FULL = 0.25  # mean F over the disc of a ball that counts as fully seen
CHANGED_FULL = 0.5  # mean change over the disc that counts as a full change
SPILL_SCALE = 0.2  # mean F in the ring around the ball giving a factor exp(-1)
RIM_POWER = 0.1  # weight of the still detector's rim score
CHROMA_MAX = 20.0  # Lab chroma of a white ball's lit part at most (0..255 scale) ...
CHROMA_SIGMA = 8.0  # ... with this soft tolerance beyond
EDGE_MARGIN = 0.6  # ball radii: least distance of a centre to the playfield's edge
MAX_F_SEEDS = 12  # foreground seeds per still


@dataclass(frozen=True, eq=False)
class FolderBackground:
    """The table without the ball, from the stills of one folder (one fixed camera)."""

    image: np.ndarray  # (H, W, 3) uint8 BGR, per-pixel median of the images of the view
    lab_padded: np.ndarray  # (H + 2 s, W + 2 s, 3) float32 Lab of it, edge-padded by SHAKE_PX
    white_max: np.ndarray  # (H, W) float32: its whiteness, 5 x 5 maximum
    white_min: np.ndarray  # (H, W) float32: its whiteness, 5 x 5 minimum
    field: np.ndarray  # (H, W) float32: the field's whiteness level around each pixel
    n_images: int  # images that made it

    @property
    def paint(self) -> np.ndarray:
        """(H, W) bool: where the background is much whiter than the field (markings, spots,
        chrome): a ball over them is no whiter than they are, only different."""
        return self.white_max > self.field + PAINT_MIN

    @classmethod
    def from_images(cls, images: list[np.ndarray], radius_px: float,
                    roi: np.ndarray | None = None) -> FolderBackground | None:
        """The background of a folder's images (a sample spread over it is enough).

        Args:
            images: (H, W, 3) uint8 BGR images of one size.
            radius_px: px, the ball's typical radius in them.
            roi: optional (H, W) bool, the playfield: where views are compared.

        Returns:
            The background, or None when fewer than ``MIN_IMAGES`` images show one view.
        """
        images = [im for im in images if im is not None]
        images = [im for im in images if im.shape == images[0].shape]
        if len(images) < MIN_IMAGES:
            return None
        keep, first = main_view(images, roi)
        same = [im for im, k in zip(images, keep) if k]
        if len(same) < MIN_IMAGES:
            return None
        med = median_image(same) if len(same) < len(images) else first
        w = whiteness(med)
        k = 4
        h, wd = w.shape
        small = cv2.resize(np.clip(w, 0, 255).astype(np.uint8), (max(1, wd // k),
                                                               max(1, h // k)),
                           interpolation=cv2.INTER_AREA)
        ks = max(3, int(round(FIELD_RADII * radius_px / k)) | 1)
        field = cv2.resize(cv2.medianBlur(small, ks), (wd, h),
                           interpolation=cv2.INTER_LINEAR).astype(np.float32)
        s = SHAKE_PX
        lab = cv2.copyMakeBorder(_lab(med), s, s, s, s, cv2.BORDER_REPLICATE)
        box = np.ones((2 * s + 1, 2 * s + 1), np.uint8)
        return cls(med, lab, cv2.dilate(w, box), cv2.erode(w, box), field, len(same))

    @property
    def shape(self) -> tuple[int, int]:
        return self.image.shape[:2]

    def view_match(self, lab: np.ndarray, roi: np.ndarray | None) -> float:
        """0..1: the fraction of the playfield of a still (its (H, W, 3) float32 Lab) that
        shows the background's view."""
        s = SHAKE_PX
        ref = self.lab_padded[s:-s, s:-s]
        if roi is None:
            d = np.linalg.norm(lab[::4, ::4] - ref[::4, ::4], axis=2)
        else:
            d = np.linalg.norm(lab[roi][::5] - ref[roi][::5], axis=1)
        return float(np.mean(d < VIEW_TOL))

    def change_at(self, lab: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """(N,) float32: as ``change``, at the pixels (``ys``, ``xs``) only."""
        s = SHAKE_PX
        part = lab[ys, xs]
        best = None
        for dy in (-s, 0, s):
            for dx in (-s, 0, s):
                d = np.sqrt(((part - self.lab_padded[ys + s + dy, xs + s + dx]) ** 2).sum(1))
                best = d if best is None else np.minimum(best, d)
        return best

    def change(self, lab: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        """(h, w) float32: Lab distance of the still to the background in ``box`` = (y0, y1,
        x0, x1), the least over shifts of the background of up to ``SHAKE_PX``."""
        y0, y1, x0, x1 = box
        part = lab[y0:y1, x0:x1]
        s = SHAKE_PX
        best = None
        for dy in (-s, 0, s):
            for dx in (-s, 0, s):
                ref = self.lab_padded[y0 + s + dy:y1 + s + dy, x0 + s + dx:x1 + s + dx]
                d = np.sqrt(((part - ref) ** 2).sum(axis=2))
                best = d if best is None else np.minimum(best, d)
        return best


class FolderBallDetector:
    """Ball candidates in stills of one folder: with its background where a still shows its
    view, by the still's look alone (``BallDetector``) where not."""

    def __init__(self, background: FolderBackground | None,
                 expected_radius_px: float | np.ndarray | None = None, ball_colour="white"):
        """Args:
            background: the folder's background, or None (every still judged alone).
            expected_radius_px: the ball's radius in the image, px: a number or an (H, W)
                map; None: width / 80.
            ball_colour: a preset name or BGR (for ``colour_distance`` and the fallback).
        """
        self.background = background
        self.still = BallDetector(ball_colour=ball_colour, expected_radius_px=expected_radius_px,
                                  learn_colour=False)
        self.colour = ball_colour_bgr("white" if ball_colour is None else ball_colour)
        self._edge_key = None
        self._edge = None

    def _edge_distance(self, roi: np.ndarray | None, shape) -> np.ndarray | None:
        if roi is None:
            return None
        key = (roi.ctypes.data, roi.shape, int(roi[::8, ::8].sum()))
        if key != self._edge_key:
            pad = np.pad(roi.astype(np.uint8), 1)
            self._edge = cv2.distanceTransform(pad, cv2.DIST_L2, 3)[1:-1, 1:-1]
            self._edge_key = key
        return self._edge

    def shows_view(self, image: np.ndarray, roi: np.ndarray | None = None) -> bool:
        """Whether a still shows the background's view (True when there is no background:
        nothing tells otherwise). ``roi``: optional (H, W) bool, the playfield."""
        bg = self.background
        if bg is None:
            return True
        if bg.shape != image.shape[:2]:
            return False
        return bg.view_match(_lab(image), roi) >= VIEW_MIN

    def detect(self, image: np.ndarray, roi: np.ndarray | None = None) -> BallCandidates:
        """Ball candidates in one still, best first (scores against ``FOLDER_THRESHOLD``).

        Args:
            image: (H, W, 3) uint8 BGR.
            roi: optional (H, W) bool: where a ball centre may be (the playfield).
        """
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 \
                or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError("frame must be an (H, W, 3) uint8 BGR image")
        if roi is not None:
            roi = np.asarray(roi, bool)
            if roi.shape != image.shape[:2]:
                raise ValueError(f"roi shape {roi.shape} does not match the frame "
                                 f"{image.shape[:2]}")
        lab = _lab(image) if self.shows_view(image, roi) and self.background is not None \
            else None
        if lab is None:
            c = self.still.detect(image, roi=roi)
            return BallCandidates(**{**{f: getattr(c, f) for f in (
                "u", "v", "radius_px", "streak_px", "streak_angle", "colour_distance",
                "amplitude", "fit_rms", "seen")},
                "score": c.score * (FOLDER_THRESHOLD / STILL_THRESHOLD)})
        return self._detect_with_background(image, lab, roi)

    def _detect_with_background(self, image, lab, roi) -> BallCandidates:
        bg = self.background
        shape = image.shape[:2]
        r = self.still.typical_radius(shape, roi)
        w = whiteness(image)
        above_field = np.clip((w - bg.field - WHITE_MIN) / WHITE_FULL, 0.0, 1.0)
        fg = np.minimum(np.clip((w - bg.white_max - WHITE_MIN) / WHITE_FULL, 0.0, 1.0),
                        above_field)
        # over markings the ball is darker than the paint: there it only has to differ
        paint = bg.paint if roi is None else bg.paint & roi
        ys, xs = np.nonzero(paint & (above_field > 0) & (w < bg.white_min - WHITE_MIN))
        if len(ys):
            changed = np.clip((bg.change_at(lab, ys, xs) - CHANGE_MIN) / CHANGE_FULL, 0, 1)
            fg[ys, xs] = np.maximum(fg[ys, xs], above_field[ys, xs] * changed)
        if roi is not None:
            fg *= roi
        d = int(2 * r) | 1
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d)).astype(np.float32)
        fill = cv2.filter2D(fg, -1, disc / disc.sum(), borderType=cv2.BORDER_CONSTANT)
        n = int(r) | 1
        peak = (fill >= cv2.dilate(fill, np.ones((n, n), np.uint8))) & (fill > 0.1)
        ys, xs = np.nonzero(peak)
        order = np.argsort(-fill[ys, xs], kind="stable")[:MAX_F_SEEDS]
        seeds = [(float(xs[i]), float(ys[i])) for i in order]
        seeds += still_seeds(w, r, roi)
        fitter = RimFitter(image, w)
        edge = self._edge_distance(roi, shape)
        fits = []
        for u, v in seeds:
            f = _fit(fitter, u, v, self.still.radius_at(u, v, shape))
            if f is None:
                continue
            iu, iv = int(round(f.u)), int(round(f.v))
            if edge is not None and edge[iv, iu] < EDGE_MARGIN * f.radius:
                continue
            fits.append(f)
        kept: list = []
        for f in sorted(fits, key=lambda f: -f.score):
            if all(np.hypot(f.u - g.u, f.v - g.v) > 0.5 * g.radius for g in kept):
                kept.append(f)
        rows = [self._score(f, fg, lab) for f in kept]
        if not rows:
            return BallCandidates.empty()
        rows.sort(key=lambda t: -t[2])
        return BallCandidates(*np.array(rows, float).T)

    def _score(self, f, fg: np.ndarray, lab: np.ndarray) -> tuple:
        """The candidate's row (``BallCandidates`` field order)."""
        feats = self._features(f, fg, lab)
        dist = np.linalg.norm(np.asarray(f.colour_bgr, float) - self.colour)
        return (f.u, f.v, folder_score(**feats), f.radius, 0.0, 0.0,
                float(dist) if np.isfinite(dist) else np.inf, feats["fill"], f.texture,
                feats["changed"])

    def _features(self, f, fg: np.ndarray, lab: np.ndarray) -> dict[str, float]:
        """What ``folder_score`` takes, for the fitted rim ``f``."""
        h, w = fg.shape
        rr = f.radius
        y0, y1 = max(int(f.v - 2 * rr) - 1, 0), min(int(f.v + 2 * rr) + 2, h)
        x0, x1 = max(int(f.u - 2 * rr) - 1, 0), min(int(f.u + 2 * rr) + 2, w)
        yy, xx = np.mgrid[y0:y1, x0:x1]
        d2 = (xx - f.u) ** 2 + (yy - f.v) ** 2
        inner = d2 < (0.9 * rr) ** 2
        ring = (d2 >= (1.3 * rr) ** 2) & (d2 < (2.0 * rr) ** 2)
        patch = fg[y0:y1, x0:x1]
        fill = float(patch[inner].mean()) if inner.any() else 0.0
        spill = float(patch[ring].mean()) if ring.any() else 0.0
        change = self.background.change(lab, (y0, y1, x0, x1))
        changed = float(np.clip((change[inner] - CHANGE_MIN) / CHANGE_FULL, 0, 1).mean()) \
            if inner.any() else 0.0
        lit = (d2 < (0.8 * rr) ** 2) & (patch > 0.5)
        chroma = 0.0
        if lit.sum() > 3:
            ab = np.median(lab[y0:y1, x0:x1][lit][:, 1:], axis=0) - 128.0
            chroma = float(np.hypot(*ab))
        return {"fill": fill, "spill": spill, "changed": changed, "chroma": chroma,
                "rim": max(float(f.score), 0.0)}


def folder_score(fill: float, spill: float, changed: float, chroma: float, rim: float
                 ) -> float:
    """0..1: ``min(1, fill / FILL_FULL) * min(1, changed / CHANGED_FULL)
    * exp(-spill / SPILL_SCALE) * rim ** RIM_POWER * colour`` (see the module's doc)."""
    colour = np.exp(-0.5 * (max(chroma - CHROMA_MAX, 0.0) / CHROMA_SIGMA) ** 2)
    return float(min(1.0, fill / FILL_FULL) * min(1.0, changed / CHANGED_FULL)
                 * np.exp(-spill / SPILL_SCALE) * rim ** RIM_POWER * colour)


def _fit(fitter: RimFitter, u: float, v: float, radius: float):
    """``fitter.fit`` that gives None where the window holds no edge at all."""
    try:
        return fitter.fit(u, v, radius, search=0.6)
    except cv2.error:  # an empty window (no edge pixel): nothing to fit
        return None
