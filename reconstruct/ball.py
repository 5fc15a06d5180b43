"""Per-frame ball candidates: where the ball may be in one image, with sub-pixel positions.

With a background image (video), ``BallDetector.detect`` works on the ball's alpha matte
against it (``reconstruct.ball_colour``), in two ways:

- full search: the frame is shrunk by an integer factor so the ball is ~3 px in radius, the
  matte is box-filtered at the ball's size and its strongest local maxima become seeds;
- windowed search: only inside given windows (around the positions a tracker predicts), at
  full resolution, which is what keeps video fast.

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

import cv2
import numpy as np

from reconstruct.ball_colour import AlphaMatte, ball_colour_bgr
from reconstruct.ball_fit import fit_streak, matte_moments, streak_coverage
from reconstruct.ball_score import ScoreModel
from reconstruct.ball_still import RimFitter, still_seeds, whiteness

SEARCH_RADIUS_PX = 3.5  # px: the ball's radius in the shrunk image of the full search
SEED_FULL_ALPHA = 0.5  # matte value that counts fully when seeding (real balls are never
# quite the preset colour: lighting and white balance halve the matte of a cream "white")


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
        for f in fields(self):
            a = np.asarray(getattr(self, f.name), dtype=np.float64)
            if a.ndim != 1:
                raise ValueError(f"BallCandidates.{f.name} must be 1-D, got shape {a.shape}")
            if n is not None and len(a) != n:
                raise ValueError(f"BallCandidates.{f.name} has {len(a)} values, expected {n}")
            n = len(a)
            object.__setattr__(self, f.name, a)

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
        return BallCandidates(**{f.name: getattr(self, f.name)[key] for f in fields(self)})

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


def _near_segment(x, y, params, dist: float) -> np.ndarray:
    """(N,) bool: pixels within ``dist`` px of the streak segment of ``params``."""
    cu, cv, _, su, sv = params
    ex, ey = x - cu, y - cv
    l2 = su * su + sv * sv
    t = np.clip((ex * su + ey * sv) / l2, -1.0, 1.0) if l2 > 1e-12 else 0.0
    return (ex - t * su) ** 2 + (ey - t * sv) ** 2 < dist * dist


def _odd(x: float) -> int:
    return max(3, int(round(x)) | 1)


class BallDetector:
    """Finds ball candidates in single frames, with or without a background model."""

    def __init__(self, ball_colour="white", expected_radius_px: float | np.ndarray | None = None,
                 max_candidates: int = 10, min_response: float = 0.18,
                 robust_scale: float = 0.0, max_streak_diameters: float = 4.0,
                 learn_colour: bool = True, score_model: ScoreModel | None = None):
        """Args:
            ball_colour: a preset name (white, yellow, orange) or BGR 0-255; None: white.
            expected_radius_px: the ball's radius in the image, px: a number, or an (H, W)
                map of it at each pixel; None: width / 80 (a table filling the view).
            max_candidates: seeds refined per full search (best first).
            min_response: least box-filtered matte (0..1) that makes a seed.
            robust_scale: matte residual beyond which pixels are down-weighted in the fit
                (Cauchy scale; 0: plain least squares).
            max_streak_diameters: longest blur streak looked for, ball diameters.
            learn_colour: with a background model (video), follow the colour of confident
                detections (a running mean), so the matte stays exact.
            score_model: how features become a score (default ``ScoreModel()``).
        """
        self.learn_colour = bool(learn_colour)
        self._colour_sum = np.zeros(3)
        self._colour_n = 0.0
        self.robust_scale = float(robust_scale)
        self.max_streak_diameters = float(max_streak_diameters)
        self.colour = ball_colour_bgr("white" if ball_colour is None else ball_colour)
        if expected_radius_px is not None and np.ndim(expected_radius_px) not in (0, 2):
            raise ValueError("expected_radius_px must be a number or an (H, W) map")
        if np.ndim(expected_radius_px) == 0 and expected_radius_px is not None \
                and not expected_radius_px > 0:
            raise ValueError(f"expected_radius_px must be positive, got {expected_radius_px}")
        self.expected_radius = expected_radius_px
        self.max_candidates = int(max_candidates)
        self.min_response = float(min_response)
        self.score_model = score_model if score_model is not None else ScoreModel()
        self._cache: dict = {}
        self._typical_r = 1.0

    # ----------------------------------------------------------------------------- helpers
    def radius_at(self, u: float, v: float, shape: tuple[int, int]) -> float:
        """px: the expected ball radius at pixel (u, v) of an image of ``shape`` (H, W)."""
        r = self.expected_radius
        if r is None:
            return shape[1] / 80.0
        if np.ndim(r) == 0:
            return float(r)
        iv = int(np.clip(round(v), 0, r.shape[0] - 1))
        iu = int(np.clip(round(u), 0, r.shape[1] - 1))
        return float(r[iv, iu])

    def _typical_radius(self, shape, roi) -> float:
        r = self.expected_radius
        if r is None or np.ndim(r) == 0:
            return self.radius_at(0, 0, shape)
        if r.shape != tuple(shape):
            raise ValueError(f"expected radius map {r.shape} does not match the frame {shape}")
        sub = r[::8, ::8]
        if roi is not None and roi[::8, ::8].any():
            sub = sub[roi[::8, ::8]]
        return float(np.median(sub))

    def _background_mattes(self, background: np.ndarray, size=None
                           ) -> tuple[AlphaMatte, AlphaMatte | None]:
        """Full-resolution and shrunk mattes of a fixed background, cached across frames."""
        key = (id(background), background.ctypes.data, background.shape)
        if self._cache.get("key") != key:
            self._cache = {"key": key, "full": AlphaMatte(background, self.colour), None: None}
        if size not in self._cache:
            small_bg = cv2.resize(background, size, interpolation=cv2.INTER_AREA)
            self._cache[size] = AlphaMatte(small_bg, self.colour)
        return self._cache["full"], self._cache[size]

    def _prepare(self, frame, background, r):
        """The full-resolution matte, the shrunk matte and frame, and the shrink factor."""
        h, w = frame.shape[:2]
        k = max(1.0, r / SEARCH_RADIUS_PX)
        size = (max(8, round(w / k)), max(8, round(h / k)))
        small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        full, small_m = self._background_mattes(background, size)
        return full, small_m, small, k

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
        r = self._typical_radius(shape, roi)
        self._typical_r = r
        if background is None:
            return self._detect_still(frame_bgr, roi, search_windows)
        if background.shape != frame_bgr.shape:
            raise ValueError(f"background shape {background.shape} does not match the frame "
                             f"{frame_bgr.shape}")
        if search_windows is not None:
            full, _ = self._background_mattes(background)
            seeds = self._window_seeds(frame_bgr, full, search_windows)
        else:
            full, small_m, small, k = self._prepare(frame_bgr, background, r)
            seeds = self._full_seeds(small, small_m, k, roi)
        fits = [self._refine(frame_bgr, full, su, sv, roi) for su, sv in seeds]
        fits = [f for f in fits if f is not None]
        out = BallCandidates.concatenate([c for c, _ in fits]).sorted()
        if self.learn_colour and len(out) and out.score[0] > 0.6:
            best = max(fits, key=lambda f: f[0].score[0])
            if best[0].streak_px[0] < 2 * best[0].radius_px[0]:
                self._learn(best[1])
        return out

    def _detect_still(self, frame, roi, search_windows) -> BallCandidates:
        """A still: seeds from the rim-coverage map (or the windows), rims fitted at full
        resolution (``reconstruct.ball_still``); one candidate per distinct circle."""
        shape = frame.shape[:2]
        white = whiteness(frame)
        fitter = RimFitter(frame, white)
        if search_windows is None:
            seeds = [(u, v, 0.6) for u, v in still_seeds(white, self._typical_r, roi)]
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

    def _learn(self, colour: np.ndarray | None) -> None:
        """Running mean of confident detections' colour; mattes rebuilt when it drifts."""
        if colour is None:
            return
        self._colour_sum = 0.95 * self._colour_sum + colour
        self._colour_n = 0.95 * self._colour_n + 1.0
        mean = (self._colour_sum / self._colour_n).astype(np.float32)
        if np.abs(mean - self.colour).max() > 3.0:
            self.colour = mean
            self._cache = {}

    def _full_seeds(self, small, matte, k, roi) -> list[tuple[float, float]]:
        a, wgt = matte.alpha_weight(small, (0, small.shape[0], 0, small.shape[1]))
        q = np.clip(a * (1.0 / SEED_FULL_ALPHA), 0.0, 1.0) * wgt
        rs = self._typical_r / k
        resp = self._blob_response(q, rs, surround=False)
        if roi is not None:
            roi_s = cv2.resize(roi.astype(np.uint8), (small.shape[1], small.shape[0]),
                               interpolation=cv2.INTER_NEAREST)
            resp *= roi_s
        dil = cv2.dilate(resp, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                         (_odd(3 * rs), _odd(3 * rs))))
        ys, xs = np.nonzero((resp >= dil) & (resp > self.min_response))
        # against a known background few seeds are needed
        order = np.argsort(-resp[ys, xs])[:min(self.max_candidates, 3)]
        return [((xs[i] + 0.5) * k - 0.5, (ys[i] + 0.5) * k - 0.5) for i in order]

    @staticmethod
    def _blob_response(q: np.ndarray, r: float, surround: bool) -> np.ndarray:
        """Mean of ``q`` over a ball-sized box, minus (``surround``) its mean over the ring
        around it: then high for a ball-sized blob, low for lines, edges and large areas.

        Against a known background the matte is 0 off the ball, so the plain mean keeps long
        blur streaks (whose ends fill the ring); a still needs the surround.
        """
        n_in, n_out = _odd(1.6 * r), _odd(3.2 * r)
        inner = cv2.boxFilter(q, -1, (n_in, n_in))
        if not surround:
            return inner
        outer = cv2.boxFilter(q, -1, (n_out, n_out))
        ring = (outer * n_out**2 - inner * n_in**2) / (n_out**2 - n_in**2)
        return inner - ring

    def _window_seeds(self, frame, matte: AlphaMatte, windows) -> list[tuple[float, float]]:
        wins = np.asarray(windows, float).reshape(-1, 3)
        h, w = frame.shape[:2]
        seeds = []
        for u, v, half in wins:
            y0, y1 = max(int(v - half), 0), min(int(v + half) + 1, h)
            x0, x1 = max(int(u - half), 0), min(int(u + half) + 1, w)
            if y1 - y0 < 3 or x1 - x0 < 3:
                continue
            a, wgt = matte.alpha_weight(frame, (y0, y1, x0, x1))
            q = np.clip(a * (1.0 / SEED_FULL_ALPHA), 0.0, 1.0) * wgt
            rr = self.radius_at(u, v, (h, w))
            resp = self._blob_response(q, rr, surround=False)
            iy, ix = np.unravel_index(int(np.argmax(resp)), resp.shape)
            if resp[iy, ix] > self.min_response:
                seeds.append((x0 + ix, y0 + iy))
        return seeds

    def _fit_at(self, frame, matte: AlphaMatte, u0, v0, r, init, max_half: float,
                robust: float):
        """Fit in a window around (u0, v0), growing it while the streak reaches its edge.

        Large balls are fitted on b x b bins of the matte (b = radius / 6) for speed.
        """
        h, w = frame.shape[:2]
        b = max(1, int(r / 6.0))
        half = int(np.ceil(2.3 * r)) + 2
        fit = xy = None
        for _ in range(3):
            y0 = max(int(round(v0)) - half, 0)
            x0 = max(int(round(u0)) - half, 0)
            y1 = y0 + (min(int(round(v0)) + half + 1, h) - y0) // b * b
            x1 = x0 + (min(int(round(u0)) + half + 1, w) - x0) // b * b
            if y1 - y0 < 2 * b or x1 - x0 < 2 * b:
                return None, None
            a, wgt = matte.alpha_weight(frame, (y0, y1, x0, x1))
            if b > 1:
                hb, wb = (y1 - y0) // b, (x1 - x0) // b
                ws = wgt.reshape(hb, b, wb, b).sum(axis=(1, 3))
                a = (a * wgt).reshape(hb, b, wb, b).sum(axis=(1, 3)) / np.maximum(ws, 1e-6)
                wgt = ws / (b * b)
            ys = y0 + b * np.arange(a.shape[0]) + 0.5 * (b - 1)
            xs = x0 + b * np.arange(a.shape[1]) + 0.5 * (b - 1)
            x = np.tile(xs, len(ys))
            y = np.repeat(ys, len(xs))
            alpha, weight = a.ravel().astype(float), wgt.ravel().astype(float)
            if init is None:
                near = np.exp(-((x - u0) ** 2 + (y - v0) ** 2) / (2 * r * r))
                init = matte_moments(x, y, alpha * near, weight * near)
                if init is None:
                    return None, None
                init[2] = r
            near = _near_segment(x, y, init, 1.5 * r + 2 * b + 1)
            x, y, alpha, weight = x[near], y[near], alpha[near], weight[near]
            fit = fit_streak(x, y, alpha, weight, init, radius_bounds=(0.35 * r, 2.5 * r),
                             robust=robust, footprint=float(b), max_iter=5,
                             tol=0.01, radius_prior=(r, 0.15 * r))
            xy = (x, y, float(b))
            u0, v0 = fit.u, fit.v
            init = np.array([fit.u, fit.v, fit.radius, *fit.half_streak])
            reach = 0.5 * fit.streak_length + fit.radius + 2
            hopeless = fit.amplitude > 2.0 or not 0.45 < fit.radius / r < 2.2
            if hopeless or reach <= half - b or half >= max_half:
                break
            half = int(np.ceil(min(reach + 0.6 * r + 2, max_half)))
        return fit, xy

    def _refine(self, frame, matte: AlphaMatte, u0: float, v0: float, roi
                ) -> tuple[BallCandidates, np.ndarray | None] | None:
        """Fit one seed against the background's matte."""
        h, w = frame.shape[:2]
        r = self.radius_at(u0, v0, (h, w))
        max_half = self.max_streak_diameters * r + 1.6 * r + 2
        fit, xy = self._fit_at(frame, matte, u0, v0, r, None, max_half, self.robust_scale)
        if fit is None:
            return None
        own = self._own_colour(frame, matte, *xy, fit)
        colour_d = float(np.linalg.norm(own - self.colour)) if own is not None else np.inf
        if not (0 <= fit.u <= w - 1 and 0 <= fit.v <= h - 1):
            return None
        if roi is not None and not roi[int(round(fit.v)), int(round(fit.u))]:
            return None
        r = self.radius_at(fit.u, fit.v, (h, w))
        feats = dict(radius_ratio=fit.radius / r, amplitude=fit.amplitude, offset=fit.offset,
                     rms=fit.rms, seen=fit.support_weight, colour_distance=colour_d,
                     streak_ratio=fit.streak_length / (2 * r))
        score = self.score_model.score(**feats)
        return BallCandidates(
            u=[fit.u], v=[fit.v], score=[score], radius_px=[fit.radius],
            streak_px=[fit.streak_length], streak_angle=[fit.streak_angle],
            colour_distance=[colour_d], amplitude=[fit.amplitude], fit_rms=[fit.rms],
            seen=[fit.support_weight]), own

    @staticmethod
    def _own_colour(frame, matte: AlphaMatte, x, y, footprint, fit) -> np.ndarray | None:
        """(3,) float32 BGR: the colour the candidate's pixels unmix to, or None."""
        f = streak_coverage(x, y, np.array([fit.u, fit.v, fit.radius, *fit.half_streak]),
                            footprint)
        sel = f > 0.6 * max(float(f.max()), 1e-9)
        if not sel.any() or f.max() < 0.05:
            return None
        xi, yi = np.rint(x[sel]).astype(int), np.rint(y[sel]).astype(int)
        img = frame[yi, xi].astype(np.float32)
        bg = np.asarray(matte.background)[yi, xi].astype(np.float32)
        unmixed = bg + (img - bg) / f[sel, None].astype(np.float32)
        return np.clip(np.median(unmixed, axis=0), 0, 255)
