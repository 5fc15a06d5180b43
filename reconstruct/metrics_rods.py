"""Rod scores: shift and angle errors per rod and overall, and full turns (spins) counted.

- **Shift error** = ``|shift_est - shift_truth|`` in mm.
- **Angle error** = the smallest difference modulo 2π, ``|wrap(angle_est - angle_truth)|``
  with ``wrap`` into [-π, π), in degrees: an estimate 2π away from the truth is exact, so a
  tracker may report wrapped angles.
- Errors are summarised (mean absolute, median, RMSE, 95th percentile) per rod over the
  frames where both records know the value, and overall over every (frame, rod) pair.
  ``coverage`` is the fraction of frames where the estimate knows the value.
- **Spins.** A full turn is counted when the unwrapped angle has risen 2π above its lowest
  value since the last counted turn (a forward turn), or fallen 2π below its highest (a
  backward one). Swings of less than a full turn never count, whatever the noise; counting
  needs an unwrapped estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reconstruct.metrics_common import ErrorStats, error_stats, fields_to_dict
from sim.record import N_RODS, Record

TWO_PI = 2.0 * math.pi


def angle_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest signed difference ``a - b`` modulo 2π.

    Args:
        a, b: (...) float, rad.

    Returns:
        (...) float64, rad, in [-π, π).
    """
    return np.mod(np.asarray(a, float) - np.asarray(b, float) + math.pi, TWO_PI) - math.pi


def count_turns(angle: np.ndarray) -> tuple[int, int]:
    """Full turns of an unwrapped angle: (forward, backward).

    Args:
        angle: (N,) float, rad, unwrapped; NaN entries are skipped.
    """
    a = np.asarray(angle, float)
    a = a[np.isfinite(a)]
    forward = backward = 0
    if len(a) == 0:
        return 0, 0
    low = high = a[0]  # extremes since the last counted turn
    for x in a[1:]:
        low, high = min(low, x), max(high, x)
        while x - low >= TWO_PI:  # risen a full turn above the lowest point
            forward += 1
            low += TWO_PI  # the reference moves one exact turn: no drift from sampling
            high = x
        while high - x >= TWO_PI:
            backward += 1
            high -= TWO_PI
            low = x
    return forward, backward


@dataclass(frozen=True)
class RodScores:
    """One rod's scores.

    Attributes:
        index: rod 0..7.
        team: team owning the rod (from the truth's meta).
        role: goalie, defence, midfield or attack ("" if unknown).
        coverage: fraction of frames in which the estimate knows both shift and angle.
        shift_mm: absolute shift error, mm.
        angle_deg: absolute angle error modulo 2π, degrees.
        spins_truth: full turns in the truth (forward + backward).
        spins_estimate: full turns in the estimate (forward + backward).
    """

    index: int
    team: str
    role: str
    coverage: float
    shift_mm: ErrorStats
    angle_deg: ErrorStats
    spins_truth: int
    spins_estimate: int

    def to_dict(self) -> dict:
        return fields_to_dict(self)


@dataclass(frozen=True)
class RodReport:
    """Per-rod scores and the pooled ones (every frame and rod together)."""

    rods: list[RodScores]
    shift_mm: ErrorStats
    angle_deg: ErrorStats
    spins_truth: int
    spins_estimate: int

    def to_dict(self) -> dict:
        return fields_to_dict(self)


def rod_errors(truth: Record, estimate: Record) -> tuple[np.ndarray, np.ndarray]:
    """Absolute rod errors of two comparable records.

    Returns:
        shift (N, 8) float64, mm, and angle (N, 8) float64, degrees; NaN where either record
        does not know the value.
    """
    shift = 1000.0 * np.abs(estimate.rod_shifts - truth.rod_shifts)
    angle = np.degrees(np.abs(angle_difference(estimate.rod_angles, truth.rod_angles)))
    return shift, angle


def score_rods(truth: Record, estimate: Record) -> RodReport:
    """Score the rods of ``estimate`` against ``truth`` (comparable records)."""
    shift, angle = rod_errors(truth, estimate)
    known = np.isfinite(estimate.rod_shifts) & np.isfinite(estimate.rod_angles)
    rods_meta = truth.meta.get("rods") or [{}] * N_RODS
    rods = []
    for i in range(N_RODS):
        meta = rods_meta[i] if i < len(rods_meta) else {}
        rods.append(RodScores(
            index=i,
            team=str(meta.get("team", "")),
            role=str(meta.get("role", "")),
            coverage=float(np.mean(known[:, i])) if len(known) else math.nan,
            shift_mm=error_stats(shift[:, i]),
            angle_deg=error_stats(angle[:, i]),
            spins_truth=sum(count_turns(truth.rod_angles[:, i])),
            spins_estimate=sum(count_turns(estimate.rod_angles[:, i])),
        ))
    return RodReport(
        rods=rods,
        shift_mm=error_stats(shift),
        angle_deg=error_stats(angle),
        spins_truth=sum(r.spins_truth for r in rods),
        spins_estimate=sum(r.spins_estimate for r in rods),
    )
