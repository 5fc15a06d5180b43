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
- **ball colour** (learned once per folder, ``FolderBackground.with_ball_colour``): the
  median Lab (a, b) of the lit part of the balls found with a score of at least
  ``COLOUR_SCORE`` by whiteness alone in a sample of the folder. Real balls are not neutral
  (leonhart-02's is cream: (122, 141.5), the field (115, 130), chrome and highlights on men
  (128, 128)), and a surface keeps its chromaticity in the shade, where it is no whiter than
  the field.
- **colour foreground** ``G`` (0..1 per pixel, only with a learned colour): changed from the
  background (Lab distance above ``CHANGE_MIN``) * not dark (Lab L above ``DARK_L``) *
  ``exp(-|ab - ball_ab|^2 / (2 AB_SIGMA^2))`` * (1 - the same for the background's colour:
  where the background is of the ball's colour already, a cream goal area or paint in the
  shade, a change of light is no sign of the ball).
- **seeds**: the local maxima of ``F`` averaged over a ball-sized disc, and the rim-coverage
  seeds of the still detector (``still_seeds``); each is fitted at full resolution by its rim
  (``RimFitter``), which puts the centre on the whole ball, shaded side included. With a
  learned colour, the maxima of ``G`` over the disc are seeds too, and are candidates
  themselves: a disc of the known radius where most of ``G`` is (``_DiscFit``; a ball half
  under a man shows no rim to fit).
- **score** (``folder_score``): ``seen * min(1, change / CHANGE_FULL)
  * exp(-spill / SPILL_SCALE) * rim_factor * colour``, where ``seen`` is
  ``min(1, fill / FILL_FULL)`` (``fill`` the mean ``F`` over the disc) or, with a learned
  colour, the better of that and ``min(1, gfill / GFILL_FULL) * exp(-gspill / GSPILL_SCALE)
  * min(1, fill / FILL_LIT)`` (``gfill``, ``gspill``: the mean ``G`` over the disc and in the
  ring from 1.3 to 2 radii; a ball's top catches some light), times ``min(1, gfill /
  GFILL_MIN)`` (a white thing not of the ball's colour is no ball); ``change`` the fraction of
  the disc whose colour differs from the background (Lab distance, the least over shifts of up
  to 2 px), ``spill`` the mean ``F`` in the ring from 1.3 to 2 radii (a sleeve, an arm or a
  rod end continue; a ball ends at its rim), ``rim_factor`` the still detector's score
  (``RimFit.score``) to the power ``RIM_POWER``, or ``DISC_RIM`` for a disc of the known
  radius, and ``colour`` a generic prior for a white ball: its lit part has a chroma below
  ``CHROMA_MAX`` (skin does not). Centres closer than ``EDGE_MARGIN`` radii to the
  playfield's edge are no ball (rod ends and bumpers at the walls). Of candidates closer than
  half a radius the best scored is kept.

A still that does not show the background's view (another camera of a broadcast, a moved
camera: under ``VIEW_MIN`` of its playfield matches the background) is judged by the still
detector alone, its score rescaled so that ``FOLDER_THRESHOLD`` means what
``STILL_THRESHOLD`` means there.

The tolerances were chosen on the even-numbered files of the labelled real set only (see
``docs/evaluation.md``); the odd-numbered ones are the held-out check.

Pixel coordinates follow OpenCV: u right, v down, pixel centres at integers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
EDGE_MARGIN = 1.0  # ball radii: least distance of a centre to the playfield's edge (a ball
# touches the wall at one radius; rod ends and bumpers sit closer)
MAX_F_SEEDS = 12  # foreground seeds per still
AB_SIGMA = 5.0  # Lab a-b distance to the ball's chromaticity giving a factor exp(-1/2)
DARK_L = 80.0  # Lab lightness (0..255) below which a pixel is no ball (a black man) ...
DARK_FULL = 40.0  # ... and the extra above it that counts fully
GFILL_FULL = 0.2  # mean colour foreground G over the disc that counts as fully seen ...
GFILL_MIN = 0.15  # ... and below which even a white disc is no ball of the learned colour
GSPILL_SCALE = 0.2  # mean G in the ring around the ball giving a factor exp(-1)
FILL_LIT = 0.02  # least mean F (lit part) of a ball seen by its colour: the top catches light
MAX_G_SEEDS = 6  # colour foreground seeds per still
DISC_RIM = 0.8  # rim factor of a disc of the known radius (no rim fitted)
COLOUR_IMAGES = 16  # sample images whose confident balls give the ball's chromaticity
COLOUR_SCORE = 0.9  # least score of a ball whose colour is learned
COLOUR_MIN_BALLS = 4  # fewer confident balls learn no chromaticity


@dataclass(frozen=True, eq=False)
class FolderBackground:
    """The table without the ball, from the stills of one folder (one fixed camera)."""

    image: np.ndarray  # (H, W, 3) uint8 BGR, per-pixel median of the images of the view
    lab_padded: np.ndarray  # (H + 2 s, W + 2 s, 3) float32 Lab of it, edge-padded by SHAKE_PX
    white_max: np.ndarray  # (H, W) float32: its whiteness, 5 x 5 maximum
    white_min: np.ndarray  # (H, W) float32: its whiteness, 5 x 5 minimum
    field: np.ndarray  # (H, W) float32: the field's whiteness level around each pixel
    n_images: int  # images that made it
    ball_ab: tuple[float, float] | None = None  # Lab (a, b) of the ball's visible surface

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
        bg = cls(med, lab, cv2.dilate(w, box), cv2.erode(w, box), field, len(same))
        return bg.with_ball_colour(same, radius_px, roi)

    def with_ball_colour(self, images: list[np.ndarray], radius_px: float,
                         roi: np.ndarray | None = None) -> FolderBackground:
        """The background with the ball's chromaticity learned from the folder: the median
        Lab (a, b) of the lit part of the balls found with a score of at least
        ``COLOUR_SCORE`` (whiteness alone) in up to ``COLOUR_IMAGES`` of ``images``. The
        chromaticity of a surface stays when it is shaded, so it finds a ball in the shade of
        a man, where it is no whiter than the field. Unchanged when fewer than
        ``COLOUR_MIN_BALLS`` balls are found."""
        det = FolderBallDetector(replace(self, ball_ab=None), expected_radius_px=radius_px)
        idx = np.unique(np.linspace(0, len(images) - 1, min(COLOUR_IMAGES, len(images))
                                    ).astype(int))
        abs_ = []
        for i in idx:
            im = images[i]
            if im.shape[:2] != self.shape:
                continue
            c = det.detect(im, roi=roi)
            if not len(c) or c.score[0] < COLOUR_SCORE:
                continue
            lab = _lab(im)
            r = float(c.radius_px[0])
            h, w = self.shape
            y0, y1 = max(int(c.v[0] - r), 0), min(int(c.v[0] + r) + 2, h)
            x0, x1 = max(int(c.u[0] - r), 0), min(int(c.u[0] + r) + 2, w)
            yy, xx = np.mgrid[y0:y1, x0:x1]
            inner = (xx - c.u[0]) ** 2 + (yy - c.v[0]) ** 2 < (0.7 * r) ** 2
            wp = whiteness(im[y0:y1, x0:x1])
            lit = inner & (wp > self.white_max[y0:y1, x0:x1] + WHITE_MIN)
            if lit.sum() > 3:
                abs_.append(np.median(lab[y0:y1, x0:x1][lit][:, 1:], axis=0))
        if len(abs_) < COLOUR_MIN_BALLS:
            return self
        a, b = np.median(np.array(abs_), axis=0)
        return replace(self, ball_ab=(float(a), float(b)))

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
        g = self._colour_foreground(lab, roi)
        seeds = _disc_peaks(fg, r, MAX_F_SEEDS)
        fits = []
        if g is not None:  # disc-shaped blobs of the ball's colour: fits of the known radius
            g_seeds = _disc_peaks(g, r, MAX_G_SEEDS)
            for u, v in g_seeds:
                rr = self.still.radius_at(u, v, shape)
                fits.append(_DiscFit(*_disc_centre(g, u, v, rr), rr))
            seeds += g_seeds
        seeds += still_seeds(w, r, roi)
        fitter = RimFitter(image, w)
        for u, v in seeds:
            f = _fit(fitter, u, v, self.still.radius_at(u, v, shape))
            if f is not None:
                fits.append(f)
        edge = self._edge_distance(roi, shape)
        if edge is not None:
            fits = [f for f in fits
                    if edge[int(round(f.v)), int(round(f.u))] >= EDGE_MARGIN * f.radius]
        rows = sorted((self._score(f, fg, g, lab) for f in fits), key=lambda t: -t[2])
        kept: list = []
        for t in rows:
            if all(np.hypot(t[0] - k[0], t[1] - k[1]) > 0.5 * k[3] for k in kept):
                kept.append(t)
        if not kept:
            return BallCandidates.empty()
        return BallCandidates(*np.array(kept, float).T)

    def _colour_foreground(self, lab: np.ndarray, roi: np.ndarray | None
                           ) -> np.ndarray | None:
        """(H, W) float32 0..1, the ball by its colour: changed from the background, of the
        ball's chromaticity (``FolderBackground.ball_ab``) and not dark; None without a
        learned chromaticity. Zero outside ``roi``'s bounding box."""
        bg = self.background
        if bg.ball_ab is None:
            return None
        h, w = lab.shape[:2]
        box = (0, h, 0, w)
        if roi is not None:
            ys, xs = np.nonzero(roi[::4, ::4])
            if not len(ys):
                return np.zeros((h, w), np.float32)
            box = (4 * ys.min(), min(4 * ys.max() + 4, h), 4 * xs.min(), min(4 * xs.max() + 4, w))
        y0, y1, x0, x1 = box
        part = lab[y0:y1, x0:x1]
        changed = np.clip((bg.change(lab, box) - CHANGE_MIN) / CHANGE_FULL, 0, 1)
        a, b = np.float32(bg.ball_ab[0]), np.float32(bg.ball_ab[1])
        k = np.float32(-0.5 / AB_SIGMA ** 2)
        ref = bg.lab_padded[y0 + SHAKE_PX:y1 + SHAKE_PX, x0 + SHAKE_PX:x1 + SHAKE_PX]
        match = np.exp(((part[..., 1] - a) ** 2 + (part[..., 2] - b) ** 2) * k)
        # where the background has the ball's colour itself (a cream goal area, a white
        # line in the shade) a change of lightness is no sign of the ball
        match_bg = np.exp(((ref[..., 1] - a) ** 2 + (ref[..., 2] - b) ** 2) * k)
        light = np.clip((part[..., 0] - DARK_L) / DARK_FULL, 0, 1)
        out = np.zeros((h, w), np.float32)
        out[y0:y1, x0:x1] = changed * light * match * (1.0 - match_bg)
        if roi is not None:
            out *= roi
        return out

    def _score(self, f, fg: np.ndarray, g: np.ndarray | None, lab: np.ndarray) -> tuple:
        """The candidate's row (``BallCandidates`` field order)."""
        feats = self._features(f, fg, g, lab)
        dist = np.linalg.norm(np.asarray(f.colour_bgr, float) - self.colour)
        return (f.u, f.v, folder_score(**feats), f.radius, 0.0, 0.0,
                float(dist) if np.isfinite(dist) else np.inf, feats["fill"], f.texture,
                feats["changed"])

    def _features(self, f, fg: np.ndarray, g: np.ndarray | None, lab: np.ndarray
                  ) -> dict[str, float]:
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
        gfill, gspill = None, 0.0
        if g is not None:
            gp = g[y0:y1, x0:x1]
            gfill = float(gp[inner].mean()) if inner.any() else 0.0
            gspill = float(gp[ring].mean()) if ring.any() else 0.0
        spill = float(patch[ring].mean()) if ring.any() else 0.0
        change = self.background.change(lab, (y0, y1, x0, x1))
        changed = float(np.clip((change[inner] - CHANGE_MIN) / CHANGE_FULL, 0, 1).mean()) \
            if inner.any() else 0.0
        lit = (d2 < (0.8 * rr) ** 2) & (patch > 0.5)
        chroma = 0.0
        if lit.sum() > 3:
            ab = np.median(lab[y0:y1, x0:x1][lit][:, 1:], axis=0) - 128.0
            chroma = float(np.hypot(*ab))
        return {"fill": fill, "gfill": gfill, "gspill": gspill, "spill": spill, "changed": changed,
                "chroma": chroma, "rim": max(float(f.score), 0.0),
                "disc": isinstance(f, _DiscFit)}


def folder_score(fill: float, spill: float, changed: float, chroma: float, rim: float,
                 gfill: float | None = None, gspill: float = 0.0, disc: bool = False
                 ) -> float:
    """0..1, the product of (see the module's doc):

    - seen: ``max(min(1, fill / FILL_FULL), colour_seen)`` with ``colour_seen
      = min(1, gfill / GFILL_FULL) * exp(-gspill / GSPILL_SCALE) * min(1, fill / FILL_LIT)``,
      then ``* min(1, gfill / GFILL_MIN)``; without a learned ball colour (``gfill`` None)
      only ``min(1, fill / FILL_FULL)``;
    - ``min(1, changed / CHANGED_FULL) * exp(-spill / SPILL_SCALE) * colour`` (chroma of the
      lit part);
    - the rim: ``rim ** RIM_POWER``, or ``DISC_RIM`` for a disc of the known radius (``disc``).
    """
    colour = np.exp(-0.5 * (max(chroma - CHROMA_MAX, 0.0) / CHROMA_SIGMA) ** 2)
    seen = min(1.0, fill / FILL_FULL)
    if gfill is not None:
        colour_seen = (min(1.0, gfill / GFILL_FULL) * np.exp(-gspill / GSPILL_SCALE)
                       * min(1.0, fill / FILL_LIT))
        seen = max(seen, colour_seen) * min(1.0, gfill / GFILL_MIN)
    rim_factor = DISC_RIM if disc else rim ** RIM_POWER
    return float(seen * min(1.0, changed / CHANGED_FULL)
                 * np.exp(-spill / SPILL_SCALE) * rim_factor * colour)


@dataclass(frozen=True)
class _DiscFit:
    """A ball placed where a disc of the known radius holds most of the ball's colour (a
    ball hidden in part, whose rim does not show): no rim fitted."""

    u: float  # px
    v: float  # px
    radius: float  # px
    score: float = 0.0
    texture: float = 0.0
    colour_bgr: tuple[float, float, float] = (np.nan, np.nan, np.nan)


def _disc_peaks(fg: np.ndarray, radius: float, max_peaks: int, least: float = 0.1
                ) -> list[tuple[float, float]]:
    """Where a disc of ``radius`` px holds most of the (H, W) float32 foreground ``fg``: the
    local maxima (over one radius) of its mean over the disc above ``least``, best first,
    (u, v) px. Computed at half resolution (the fits that follow refine the centre)."""
    h, w = fg.shape
    small = cv2.resize(fg, ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA)
    d = int(radius) | 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d)).astype(np.float32)
    fill = cv2.filter2D(small, -1, disc / disc.sum(), borderType=cv2.BORDER_CONSTANT)
    n = int(radius / 2) | 1
    peak = (fill >= cv2.dilate(fill, np.ones((n, n), np.uint8))) & (fill > least)
    ys, xs = np.nonzero(peak)
    order = np.argsort(-fill[ys, xs], kind="stable")[:max_peaks]
    sx, sy = w / small.shape[1], h / small.shape[0]
    return [(float((xs[i] + 0.5) * sx - 0.5), float((ys[i] + 0.5) * sy - 0.5)) for i in order]


def _disc_centre(fg: np.ndarray, u: float, v: float, radius: float, search: int = 2
                 ) -> tuple[float, float]:
    """(u, v) px: the centre within ``search`` px of (u, v) where a disc of ``radius`` holds
    the most of the (H, W) float32 ``fg`` (full resolution)."""
    h, w = fg.shape
    m = int(np.ceil(radius)) + search
    iu, iv = int(round(u)), int(round(v))
    y0, y1, x0, x1 = max(iv - m, 0), min(iv + m + 1, h), max(iu - m, 0), min(iu + m + 1, w)
    d = 2 * int(radius) + 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d)).astype(np.float32)
    fill = cv2.filter2D(fg[y0:y1, x0:x1], -1, disc, borderType=cv2.BORDER_CONSTANT)
    cy, cx = iv - y0, iu - x0
    win = fill[max(cy - search, 0):cy + search + 1, max(cx - search, 0):cx + search + 1]
    ky, kx = np.unravel_index(int(np.argmax(win)), win.shape)
    return float(x0 + max(cx - search, 0) + kx), float(y0 + max(cy - search, 0) + ky)


def _fit(fitter: RimFitter, u: float, v: float, radius: float):
    """``fitter.fit`` that gives None where the window holds no edge at all."""
    try:
        return fitter.fit(u, v, radius, search=0.6)
    except cv2.error:  # an empty window (no edge pixel): nothing to fit
        return None
