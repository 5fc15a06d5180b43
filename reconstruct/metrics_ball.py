"""Ball scores: each frame classified against the truth, in table millimetres and in pixels.

The protocol (``shared/reference/tracking.md``), made exact:

- **Truth.** A frame's ball is *in play* when the truth's ``ball_state`` is ``visible`` or
  ``hidden`` (and its position is known), *out* when it is ``out``. Frames whose truth state
  is unknown are not scored.
- **Estimate.** The estimate *places* the ball in a frame when its ``ball_state`` is not
  ``out`` and its position is known: ``ball_x``, ``ball_y`` for the millimetre thresholds,
  ``ball_u``, ``ball_v`` for the pixel one. A ``hidden`` state with a position places it
  (an amodal guess); ``hidden`` without one does not.
- **Error.** The distance in the table plane, ``hypot(dx, dy)``, in mm: the headline. Height
  is left out because the ball rolls on the playfield nearly all the time and a monocular
  tracker lifts it through a plane: ``z`` would add noise, not information. The image error
  is ``hypot(du, dv)`` in px.
- **Classes** at a threshold τ: true positive (in play, placed, error <= τ), wrong location
  (in play, placed, error > τ: a false positive *and* a miss), miss (in play, not placed),
  false alarm (out, placed), true negative (out, not placed).
  precision = TP / (TP + wrong + false alarms), recall = TP / (TP + wrong + misses).
- **Modes.** *detection* leaves out the in-play frames where the truth's
  ``ball_visibility`` < 0.1; *amodal* scores every frame. Out frames count in both.
- **Breakdowns** (in-play frames of the mode): visibility (>= 0.9, 0.1-0.9, < 0.1), blur
  length in ball diameters (< 0.5, 0.5-2, > 2) and speed (< 1, 1-5, 5-10, > 10 m/s); each
  bin holds ``lo <= value < hi``.
- **Blur length** = ``ball_blur_px`` (the distance the ball's centre travels in the image
  during the exposure: the streak beyond a still ball) over the ball's diameter in pixels,
  taken from a truth column ``ball_diameter_px`` if present, else from the camera in
  ``meta.json``: ``f * D / depth`` (pinhole, ``f`` the mean focal length, ``depth`` the
  ball centre's distance along the optical axis; lens distortion is ignored, a few per cent
  at the image corners).
- **Speed** = ``|(ball_vx, ball_vy, ball_vz)|`` from the truth, else finite differences of
  the truth position over ``t``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from reconstruct.metrics_common import (
    ErrorStats,
    error_stats,
    f1_score,
    fields_to_dict,
    ratio,
    to_jsonable,
)
from sim.record import Record

THRESHOLDS_MM = (5.0, 10.0, 17.3)  # mm; 17.3 is the protocol's ball radius, fixed for all tables
THRESHOLD_PX = 4.0  # px, as in TrackNet's papers
HEADLINE_MM = 10.0
DETECTION_MIN_VISIBILITY = 0.1  # detection mode leaves out in-play frames seen less than this

INF = math.inf
VISIBILITY_BINS = ((">=0.9", 0.9, INF), ("0.1-0.9", 0.1, 0.9), ("<0.1", -INF, 0.1))
BLUR_BINS = (("<0.5", -INF, 0.5), ("0.5-2", 0.5, 2.0), (">2", 2.0, INF))  # ball diameters
SPEED_BINS = (("<1", -INF, 1.0), ("1-5", 1.0, 5.0), ("5-10", 5.0, 10.0), (">10", 10.0, INF))  # m/s


def threshold_label(value: float, unit: str) -> str:
    """``10mm``, ``17.3mm``, ``4px``: the key of a threshold in the results."""
    return f"{value:g}{unit}"


HEADLINE = threshold_label(HEADLINE_MM, "mm")


@dataclass(frozen=True)
class Counts:
    """Frames of each class at one threshold."""

    tp: int
    wrong: int  # placed farther than the threshold: a false positive and a miss
    false_alarm: int  # placed while the truth says out
    miss: int  # in play, not placed
    tn: int  # out, not placed

    @property
    def frames(self) -> int:
        return self.tp + self.wrong + self.false_alarm + self.miss + self.tn

    @property
    def precision(self) -> float:
        return ratio(self.tp, self.tp + self.wrong + self.false_alarm)

    @property
    def recall(self) -> float:
        return ratio(self.tp, self.tp + self.wrong + self.miss)

    @property
    def f1(self) -> float:
        return f1_score(self.precision, self.recall)

    def to_dict(self) -> dict:
        d = fields_to_dict(self)
        d.update(to_jsonable({"frames": self.frames, "precision": self.precision,
                              "recall": self.recall, "f1": self.f1}))
        return d


@dataclass(frozen=True)
class BallFrames:
    """Per-frame facts the scores are built from; all arrays (N,), N = frames.

    Attributes:
        in_play: bool, truth ball in play with its table position known.
        out: bool, truth says ``out``.
        in_play_px: bool, truth ball in play with its image position known.
        placed_mm: bool, the estimate places the ball (table position known, not ``out``).
        placed_px: bool, the same with an image position.
        error_mm: float64, mm, table-plane distance where in play and placed, else NaN.
        error_px: float64, px, image distance where in play and placed (px), else NaN.
        visibility: float64, 0..1, truth visibility (``visible`` = 1 / ``hidden`` = 0 where
            the column is empty).
        blur_diameters: float64, blur streak length in ball diameters (NaN = unknown).
        speed: float64, m/s, truth ball speed (NaN = unknown).
    """

    in_play: np.ndarray
    out: np.ndarray
    in_play_px: np.ndarray
    placed_mm: np.ndarray
    placed_px: np.ndarray
    error_mm: np.ndarray
    error_px: np.ndarray
    visibility: np.ndarray
    blur_diameters: np.ndarray
    speed: np.ndarray

    @property
    def detection_frames(self) -> np.ndarray:
        """(N,) bool: the frames detection mode scores."""
        return ~(self.in_play & (self.visibility < DETECTION_MIN_VISIBILITY))

    def mode_frames(self, mode: str) -> np.ndarray:
        """(N,) bool: the frames a mode (``detection`` or ``amodal``) scores."""
        if mode == "detection":
            return self.detection_frames
        if mode == "amodal":
            return np.ones_like(self.in_play)
        raise ValueError(f"unknown scoring mode {mode!r}: use 'detection' or 'amodal'")


@dataclass(frozen=True)
class BallScores:
    """Scores over one set of frames.

    Attributes:
        frames: frames in the set (in play or out; unlabelled ones excluded).
        counts: threshold label (``5mm``, ``10mm``, ``17.3mm``, ``4px``) -> Counts.
        error_mm: table-plane error (mm) over the frames where the ball is in play and placed.
        error_px: image error (px), the same.
    """

    frames: int
    counts: dict[str, Counts]
    error_mm: ErrorStats
    error_px: ErrorStats

    @property
    def headline(self) -> Counts:
        """The counts at the headline threshold (10 mm)."""
        return self.counts[HEADLINE]

    def to_dict(self) -> dict:
        return fields_to_dict(self)


@dataclass(frozen=True)
class BallModeReport:
    """One scoring mode: the overall scores and the breakdowns (bin label -> scores).

    A breakdown is None when the truth does not tell its quantity (``by_blur``: no blur
    length or no ball diameter in pixels).
    """

    mode: str
    scores: BallScores
    by_visibility: dict[str, BallScores] | None
    by_blur: dict[str, BallScores] | None
    by_speed: dict[str, BallScores] | None

    def to_dict(self) -> dict:
        return fields_to_dict(self)


def classify(truth_in: np.ndarray, truth_out: np.ndarray, placed: np.ndarray,
             error: np.ndarray, threshold: float, frames: np.ndarray) -> Counts:
    """Count the frames of each class.

    Args:
        truth_in: (N,) bool, ball in play (position known).
        truth_out: (N,) bool, ball out of play.
        placed: (N,) bool, the estimate places the ball.
        error: (N,) float, distance where ``truth_in & placed`` (any unit).
        threshold: same unit as ``error``; an error equal to it is a true positive.
        frames: (N,) bool, the frames to count.
    """
    inside = truth_in & frames
    hit = inside & placed
    close = np.zeros_like(hit)
    close[hit] = error[hit] <= threshold
    return Counts(
        tp=int(np.count_nonzero(close)),
        wrong=int(np.count_nonzero(hit & ~close)),
        false_alarm=int(np.count_nonzero(truth_out & frames & placed)),
        miss=int(np.count_nonzero(inside & ~placed)),
        tn=int(np.count_nonzero(truth_out & frames & ~placed)),
    )


def score_frames(bf: BallFrames, frames: np.ndarray) -> BallScores:
    """Scores over the frames selected by ``frames`` ((N,) bool)."""
    counts = {threshold_label(t, "mm"): classify(bf.in_play, bf.out, bf.placed_mm,
                                                   bf.error_mm, t, frames)
              for t in THRESHOLDS_MM}
    counts[threshold_label(THRESHOLD_PX, "px")] = classify(
        bf.in_play_px, bf.out, bf.placed_px, bf.error_px, THRESHOLD_PX, frames)
    both_mm = frames & bf.in_play & bf.placed_mm
    both_px = frames & bf.in_play_px & bf.placed_px
    return BallScores(
        frames=int(np.count_nonzero(frames & (bf.in_play | bf.out))),
        counts=counts,
        error_mm=error_stats(bf.error_mm[both_mm]),
        error_px=error_stats(bf.error_px[both_px]),
    )


def _breakdown(bf: BallFrames, frames: np.ndarray, values: np.ndarray, bins) -> dict | None:
    if not np.isfinite(values[bf.in_play]).any():
        return None
    return {label: score_frames(bf, frames & bf.in_play & (values >= lo) & (values < hi))
            for label, lo, hi in bins}


def score_mode(bf: BallFrames, mode: str) -> BallModeReport:
    """The overall scores and the breakdowns of one mode (``detection`` or ``amodal``)."""
    frames = bf.mode_frames(mode)
    return BallModeReport(
        mode=mode,
        scores=score_frames(bf, frames),
        by_visibility=_breakdown(bf, frames, bf.visibility, VISIBILITY_BINS),
        by_blur=_breakdown(bf, frames, bf.blur_diameters, BLUR_BINS),
        by_speed=_breakdown(bf, frames, bf.speed, SPEED_BINS),
    )


def ball_frames(truth: Record, estimate: Record) -> BallFrames:
    """The per-frame facts of two comparable records (same frames)."""
    t_state, e_state = truth.ball_state, estimate.ball_state
    t_xy, e_xy = truth.ball_xyz[:, :2], estimate.ball_xyz[:, :2]
    t_uv, e_uv = truth.ball_uv, estimate.ball_uv
    state_in = (t_state == "visible") | (t_state == "hidden")
    in_play = state_in & np.isfinite(t_xy).all(axis=1)
    in_play_px = state_in & np.isfinite(t_uv).all(axis=1)
    placed_mm = (e_state != "out") & np.isfinite(e_xy).all(axis=1)
    placed_px = (e_state != "out") & np.isfinite(e_uv).all(axis=1)
    with np.errstate(invalid="ignore"):
        err_mm = np.where(in_play & placed_mm, 1000.0 * np.hypot(*(e_xy - t_xy).T), np.nan)
        err_px = np.where(in_play_px & placed_px, np.hypot(*(e_uv - t_uv).T), np.nan)
    return BallFrames(
        in_play=in_play, out=t_state == "out", in_play_px=in_play_px,
        placed_mm=placed_mm, placed_px=placed_px, error_mm=err_mm, error_px=err_px,
        visibility=truth_visibility(truth), blur_diameters=blur_in_diameters(truth),
        speed=truth_speed(truth),
    )


def truth_visibility(truth: Record) -> np.ndarray:
    """(N,) float64, 0..1: ``ball_visibility``, or 1/0 from ``visible``/``hidden`` where empty."""
    state = truth.ball_state
    from_state = np.where(state == "visible", 1.0, np.where(state == "hidden", 0.0, np.nan))
    vis = truth.frames.get("ball_visibility")
    return from_state if vis is None else np.where(np.isfinite(vis), vis, from_state)


def ball_diameter_px(truth: Record) -> np.ndarray | None:
    """(N,) float64, px: the ball's diameter in the image, or None if nothing tells it.

    From a ``ball_diameter_px`` column if the truth has one, else ``f * D / depth`` from
    ``meta.json``'s camera and table (see the module docstring).
    """
    if "ball_diameter_px" in truth.frames:
        return truth.frames["ball_diameter_px"]
    cam_meta, table_meta = truth.meta.get("camera"), truth.meta.get("table")
    if not cam_meta or not table_meta:
        return None
    from sim.camera import Camera
    from sim.table import table_from_dict

    camera = Camera.from_dict(cam_meta)
    diameter = table_from_dict(table_meta).ball.diameter
    depth = camera.table_to_camera(truth.ball_xyz)[:, 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(depth > 0, 0.5 * (camera.fx + camera.fy) * diameter / depth, np.nan)


def blur_in_diameters(truth: Record) -> np.ndarray:
    """(N,) float64: blur streak length in ball diameters (NaN = unknown)."""
    n = truth.n_frames
    blur = truth.frames.get("ball_blur_px")
    diameter = ball_diameter_px(truth)
    if blur is None or diameter is None:
        return np.full(n, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(diameter > 0, blur / diameter, np.nan)


def truth_speed(truth: Record) -> np.ndarray:
    """(N,) float64, m/s: the ball's speed, from ``ball_v*`` or finite differences."""
    cols = ("ball_vx", "ball_vy", "ball_vz")
    if all(c in truth.frames for c in cols):
        v = np.stack([truth.frames[c] for c in cols], axis=1)
        speed = np.linalg.norm(v, axis=1)
        if np.isfinite(speed).any():
            return speed
    xyz, t = truth.ball_xyz, truth.t
    if len(t) < 2 or not np.all(np.diff(t) > 0):
        return np.full(len(t), np.nan)
    return np.linalg.norm(np.gradient(xyz, t, axis=0), axis=1)


@dataclass(frozen=True)
class BallReport:
    """Both modes, plus the per-frame facts (kept for plots, not serialised)."""

    detection: BallModeReport
    amodal: BallModeReport
    frames: BallFrames = field(repr=False, compare=False)

    def to_dict(self) -> dict:
        return fields_to_dict(self)


def score_ball(truth: Record, estimate: Record) -> BallReport:
    """Score the ball of ``estimate`` against ``truth`` (comparable records) in both modes."""
    bf = ball_frames(truth, estimate)
    return BallReport(detection=score_mode(bf, "detection"), amodal=score_mode(bf, "amodal"),
                      frames=bf)
