"""Per-frame ball candidates: where the ball may be in one image, with sub-pixel positions.

With a background image (video), ``BallDetector.detect`` works on the ball's alpha matte
against it (``reconstruct.ball_colour``; seeds and fit in ``reconstruct.ball_video``), in two
ways:

- full search: the frame is halved while the ball stays ~2 px in radius or more, the matte
  is box-filtered at the ball's size and its strongest local maxima become seeds;
- windowed search: only inside given windows (around the positions a tracker predicts),
  which is what keeps video fast.

Every seed is then refined at full resolution by fitting the blurred-ball model
(``reconstruct.ball_fit``) to the matte, which gives the centre of the blur streak (the
position at mid-exposure), the radius and the streak; the score (0..1) combines how well the
size matches the expected radius, the contrast, the colour, how much of the ball is seen and
how well the model fits. Thin markings, rods and spots fail the size and shape terms.

Without a background (a still image) there is no matte: the ball is found by its rim and its
smooth shading instead (``reconstruct.ball_still``), in the whole frame or in the windows.

Pixel coordinates follow OpenCV: u right, v down, pixel centres at integers.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from reconstruct.ball_colour import ball_colour_bgr
from reconstruct.ball_ghost import GhostTest
from reconstruct.ball_score import ScoreModel
from reconstruct.ball_still import RimFitter, still_seeds, whiteness
from reconstruct.ball_video import MatteSearch


@dataclass(frozen=True)
class BallCandidates:
    """Ball candidates of one frame, best first. Every field is an (N,) float64 array.

    Index with a boolean mask or indices to filter: ``cands[cands.score > 0.5]``.
    """

    u: np.ndarray  # px, centre of the blur streak (the ball at mid-exposure)
    v: np.ndarray  # px
    score: np.ndarray  # 0..1, how ball-like
    radius_px: np.ndarray  # px, fitted radius of the ball's image
    streak_px: np.ndarray  # px, length of the blur streak (displacement during the exposure)
    streak_angle: np.ndarray  # rad in [0, pi), streak direction (u right, v down)
    colour_distance: np.ndarray  # grey levels, the candidate's colour to the ball colour
    amplitude: np.ndarray  # matte value of the ball (1: full contrast against background)
    fit_rms: np.ndarray  # RMS residual of the model fit, in units of the amplitude
    seen: np.ndarray  # 0..1, fraction of the ball's image with usable pixels

    def __post_init__(self):
        n = None
        for name in _field_names():
            a = np.asarray(getattr(self, name), dtype=np.float64)
            if a.ndim != 1:
                raise ValueError(f"BallCandidates.{name} must be 1-D, got shape {a.shape}")
            if n is not None and len(a) != n:
                raise ValueError(f"BallCandidates.{name} has {len(a)} values, expected {n}")
            n = len(a)
            object.__setattr__(self, name, a)

    @classmethod
    def empty(cls) -> BallCandidates:
        return cls(**{f.name: np.zeros(0) for f in fields(cls)})

    @classmethod
    def concatenate(cls, parts: list[BallCandidates]) -> BallCandidates:
        if not parts:
            return cls.empty()
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                      for f in fields(cls)})

    def __len__(self) -> int:
        return len(self.u)

    def __getitem__(self, key) -> BallCandidates:
        if isinstance(key, (int, np.integer)):
            key = [key]
        return BallCandidates(*(getattr(self, name)[key] for name in _field_names()))

    @property
    def uv(self) -> np.ndarray:
        """(N, 2) float64 px."""
        return np.column_stack([self.u, self.v])

    def sorted(self) -> BallCandidates:
        """Best score first."""
        return self[np.argsort(-self.score, kind="stable")]

    def inside(self, mask: np.ndarray) -> BallCandidates:
        """The candidates whose centre falls on a true pixel of ``mask`` (H, W) bool."""
        h, w = mask.shape
        iu, iv = np.rint(self.u).astype(int), np.rint(self.v).astype(int)
        ok = (iu >= 0) & (iu < w) & (iv >= 0) & (iv < h)
        ok[ok] = mask[iv[ok], iu[ok]]
        return self[ok]


def _field_names() -> tuple[str, ...]:
    """``BallCandidates``' field names in order (``dataclasses.fields`` once, not per use:
    candidates are made several times a frame)."""
    global _FIELD_NAMES
    if _FIELD_NAMES is None:
        _FIELD_NAMES = tuple(f.name for f in fields(BallCandidates))
    return _FIELD_NAMES


_FIELD_NAMES: tuple[str, ...] | None = None


class BallDetector:
    """Finds ball candidates in single frames, with or without a background model."""

    def __init__(self, ball_colour="white", expected_radius_px: float | np.ndarray | None = None,
                 max_candidates: int = 3, min_response: float = 0.18,
                 robust_scale: float = 0.0, max_streak_diameters: float = 4.0,
                 learn_colour: bool = True, score_model: ScoreModel | None = None):
        """Args:
            ball_colour: a preset name (white, yellow, orange) or BGR 0-255; None: white.
            expected_radius_px: the ball's radius in the image, px: a number, or an (H, W)
                map of it at each pixel; None: width / 80 (a table filling the view).
            max_candidates: seeds fitted at most per full search against a background (the
                best, and those whose response comes close to it).
            min_response: least box-filtered matte (0..1) that makes a seed.
            robust_scale: matte residual beyond which pixels are down-weighted in the fit
                (Cauchy scale; 0: plain least squares).
            max_streak_diameters: longest blur streak looked for, ball diameters.
            learn_colour: with a background model (video), follow the colour of confident
                detections (a running mean), so the matte stays exact.
            score_model: how features become a score against a background (default
                ``ScoreModel()``); stills are scored by ``reconstruct.ball_still``.
        """
        self.learn_colour = bool(learn_colour)
        self._colour_sum = np.zeros(3)
        self._colour_n = 0.0
        self.colour = ball_colour_bgr("white" if ball_colour is None else ball_colour)
        if expected_radius_px is not None and np.ndim(expected_radius_px) not in (0, 2):
            raise ValueError("expected_radius_px must be a number or an (H, W) map")
        if np.ndim(expected_radius_px) == 0 and expected_radius_px is not None \
                and not expected_radius_px > 0:
            raise ValueError(f"expected_radius_px must be positive, got {expected_radius_px}")
        self.expected_radius = expected_radius_px
        self._radius_map = expected_radius_px if np.ndim(expected_radius_px) == 2 else None
        self.score_model = score_model if score_model is not None else ScoreModel()
        self._matte = MatteSearch(self.colour, min_response, max_candidates, robust_scale,
                                  max_streak_diameters)
        self._typical_r = 1.0
        self._typical_key = None
        # with a background: where a man explains a change of the image (a man now, or a
        # man the background still holds), a function of a box (y0, y1, x0, x1) px giving
        # its (h, w) uint8 0/1 mask; None: nowhere known (``men_mask``)
        self.men_mask = None
        self._ghost = GhostTest()  # field a man uncovered is no ball (``ball_ghost``)

    # ----------------------------------------------------------------------------- helpers
    def set_valid(self, valid: np.ndarray | None) -> None:
        """With a background: weights (H, W) float32 0..1 of where the ball can be seen at
        all (0 on the rods: what shows there is the rod, a ball under it is hidden)."""
        self._matte.set_valid(valid)

    def radius_at(self, u: float, v: float, shape: tuple[int, int]) -> float:
        """px: the expected ball radius at pixel (u, v) of an image of ``shape`` (H, W)."""
        r = self.expected_radius
        if r is None:
            return shape[1] / 80.0
        if self._radius_map is None:
            return float(r)
        h, w = self._radius_map.shape  # (plain floats and ints: a few times per frame)
        iv = min(max(round(float(v)), 0), h - 1)
        iu = min(max(round(float(u)), 0), w - 1)
        return float(self._radius_map[iv, iu])

    def typical_radius(self, shape, roi) -> float:
        """px, the ball's expected radius typical of the search region ``roi`` (H, W) bool
        in an image of ``shape``. Kept per map and roi object: a roi changed in place
        between calls must be passed as a new array."""
        r = self.expected_radius
        if r is None or np.ndim(r) == 0:
            return self.radius_at(0, 0, shape)
        if r.shape != tuple(shape):
            raise ValueError(f"expected radius map {r.shape} does not match the frame {shape}")
        key = self._typical_key
        if key is None or key[0] is not r or key[1] is not roi:  # a median over the map,
            # once per map and roi (the objects are kept, so their ids stay theirs)
            coarse = None if roi is None else roi[::8, ::8]
            sub = r[::8, ::8]
            if coarse is not None and coarse.any():
                sub = sub[coarse]
            self._typical_r, self._typical_key = float(np.median(sub)), (r, roi)
        return self._typical_r

    # ----------------------------------------------------------------------------- detection
    def detect(self, frame_bgr: np.ndarray, roi: np.ndarray | None = None,
               background: np.ndarray | None = None, search_windows=None) -> BallCandidates:
        """Ball candidates in one frame, best first.

        Args:
            frame_bgr: (H, W, 3) uint8 BGR.
            roi: optional (H, W) bool: where a ball centre may be (the playfield).
            background: optional (H, W, 3) uint8 BGR image of the table without the ball
                (video); None: a still, judged by the ball's look alone.
            search_windows: optional (M, 3) array-like of ``u, v, half_size`` px: search only
                inside these windows (around predicted positions); None: the whole frame.

        Returns:
            BallCandidates sorted by score, at most one per seed.
        """
        if not isinstance(frame_bgr, np.ndarray) or frame_bgr.dtype != np.uint8 \
                or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
            raise ValueError("frame must be an (H, W, 3) uint8 BGR image")
        shape = frame_bgr.shape[:2]
        if roi is not None:
            roi = np.asarray(roi, bool)
            if roi.shape != shape:
                raise ValueError(f"roi shape {roi.shape} does not match the frame {shape}")
        r = self.typical_radius(shape, roi)
        if background is None:
            return self._detect_still(frame_bgr, roi, search_windows, r)
        if background.shape != frame_bgr.shape:
            raise ValueError(f"background shape {background.shape} does not match the frame "
                             f"{frame_bgr.shape}")
        if search_windows is not None:
            seeds = self._matte.window_seeds(frame_bgr, background, search_windows,
                                             lambda u, v: self.radius_at(u, v, shape))
        else:
            seeds = [(u, v, None) for u, v in
                     self._matte.full_seeds(frame_bgr, background, r, roi)]
        rows = []
        done: list[tuple[float, float]] = []
        for u0, v0, patch in seeds:
            # overlapping windows seed the same blob: fit it once
            r0 = self.radius_at(u0, v0, shape)
            tol = 0.5 * r0
            if any(abs(u0 - a) < tol and abs(v0 - b) < tol for a, b in done):
                continue
            done.append((u0, v0))
            mf = self._matte.refine(frame_bgr, background, u0, v0, r0, patch, roi)
            row = None if mf is None else self._score(frame_bgr, background, mf, roi)
            if row is not None:
                rows.append(row)
        if not rows:
            return BallCandidates.empty()
        rows.sort(key=lambda t: -t[0][2])
        best, own = rows[0]
        if self.learn_colour and own is not None and best[2] > 0.6 and best[4] < 2 * best[3]:
            self._learn(own)
        return BallCandidates(*np.array([row for row, _ in rows], float).T)

    def _score(self, frame, background, mf, roi) -> tuple | None:
        """The candidate's row (``BallCandidates`` field order) and its own colour (or
        None), or None when it falls outside the frame or the roi."""
        fit = mf.fit
        h, w = frame.shape[:2]
        if not (0 <= fit.u <= w - 1 and 0 <= fit.v <= h - 1):
            return None
        if roi is not None and not roi[int(round(fit.v)), int(round(fit.u))]:
            return None
        if self._ghost(frame, background, roi, fit.u, fit.v, fit.radius, fit.half_streak,
                       self._matte.valid):
            return None  # the change is in the background (a man moved off), not a ball
        r = self.radius_at(fit.u, fit.v, (h, w))
        feats = dict(radius_ratio=fit.radius / r, amplitude=fit.amplitude, offset=fit.offset,
                     rms=fit.rms, seen=fit.support_weight,
                     streak_ratio=fit.streak_length / (2 * r))
        score = self.score_model.score(colour_distance=0.0, **feats)
        if self.men_mask is not None and score > 0.0:
            # the matte a man makes (his body on the field, or the field where the
            # background still shows him) is no ball: only the share off the men counts
            score *= 1.0 - self._matte.share_on(mf, self.men_mask)
        colour_d, own = np.inf, None
        if score > 0.3:  # the colour term can only lower a score: judge it where it matters
            own = self._matte.own_colour(frame, background, mf)
            if own is not None:
                colour_d = float(np.linalg.norm(own - self.colour))
            score *= self.score_model.colour_factor(colour_d)  # 0 where no colour is seen
        return (fit.u, fit.v, score, fit.radius, fit.streak_length, fit.streak_angle,
                colour_d, fit.amplitude, fit.rms, fit.support_weight), own

    def _learn(self, colour: np.ndarray) -> None:
        """Running mean of confident detections' colour; mattes rebuilt when it drifts."""
        self._colour_sum = 0.95 * self._colour_sum + colour
        self._colour_n = 0.95 * self._colour_n + 1.0
        mean = (self._colour_sum / self._colour_n).astype(np.float32)
        if np.abs(mean - self.colour).max() > 3.0:
            self.colour = mean
            self._matte.set_colour(mean)

    def _detect_still(self, frame, roi, search_windows, r: float) -> BallCandidates:
        """A still: seeds from the rim-coverage map (or the windows), rims fitted at full
        resolution (``reconstruct.ball_still``); one candidate per distinct circle."""
        shape = frame.shape[:2]
        white = whiteness(frame)
        fitter = RimFitter(frame, white)
        if search_windows is None:
            seeds = [(u, v, 0.6) for u, v in still_seeds(white, r, roi)]
        else:
            wins = np.asarray(search_windows, float).reshape(-1, 3)
            seeds = [(u, v, max(0.6, half / self.radius_at(u, v, shape))) for u, v, half in wins]
        fits = []
        for u, v, search in seeds:
            f = fitter.fit(u, v, self.radius_at(u, v, shape), search=search)
            if f is None or (roi is not None and not roi[int(round(f.v)), int(round(f.u))]):
                continue
            fits.append(f)
        fits.sort(key=lambda f: -f.score)
        kept: list = []
        for f in fits:
            if all(np.hypot(f.u - g.u, f.v - g.v) > 0.5 * g.radius for g in kept):
                kept.append(f)
        if not kept:
            return BallCandidates.empty()
        colour = np.array([f.colour_bgr for f in kept], float)
        dist = np.linalg.norm(colour - self.colour[None, :], axis=1)
        return BallCandidates(
            u=[f.u for f in kept], v=[f.v for f in kept], score=[f.score for f in kept],
            radius_px=[f.radius for f in kept], streak_px=np.zeros(len(kept)),
            streak_angle=np.zeros(len(kept)),
            colour_distance=np.where(np.isfinite(dist), dist, np.inf),
            amplitude=[f.contrast / 100.0 for f in kept],
            fit_rms=[f.texture for f in kept], seen=[f.coverage for f in kept])
