"""How the features of a fitted candidate become a ball score (0..1).

Each feature gives a factor in [0, 1] from what a ball must look like; the score is their
product, so one clear failure (half the expected size, no contrast) is enough to reject.
The scales are physical tolerances, not values fitted to a data set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ScoreModel:
    """Tolerances of the ball score."""

    radius_log_sigma: float = 0.35  # spread of ln(fitted / expected radius)
    amplitude_full: float = 0.6  # matte amplitude that counts as full contrast
    amplitude_max: float = 1.25  # a ball's coverage is at most 1: more is a larger bright thing
    offset_sigma: float = 0.3  # spread of the local background's matte level
    rms_scale: float = 0.25  # model-fit RMS residual (amplitude units) giving factor exp(-1)
    seen_full: float = 0.6  # fraction of the ball seen that counts as fully seen
    colour_sigma: float = 90.0  # grey levels: spread of the colour distance
    streak_max: float = 5.0  # ball diameters: longer streaks are not a ball

    def factors(self, radius_ratio: float, amplitude: float, offset: float, rms: float,
                seen: float, colour_distance: float, streak_ratio: float) -> dict[str, float]:
        """The factor of each feature (names as the arguments)."""
        lr = math.log(max(float(radius_ratio), 1e-6))
        return {
            "radius_ratio": math.exp(-0.5 * (lr / self.radius_log_sigma) ** 2),
            "amplitude": min(max(amplitude / self.amplitude_full, 0.0), 1.0)
            * math.exp(-0.5 * (max(amplitude - self.amplitude_max, 0.0) / 0.15) ** 2),
            "offset": math.exp(-0.5 * (offset / self.offset_sigma) ** 2),
            "rms": math.exp(-min((rms / self.rms_scale) ** 2, 700.0)),
            "seen": min(max(seen / self.seen_full, 0.0), 1.0),
            "colour_distance": self.colour_factor(colour_distance),
            "streak_ratio": float(streak_ratio <= self.streak_max),
        }

    def colour_factor(self, colour_distance: float) -> float:
        """The colour term alone (1 at distance 0, 0 for an unknown (inf) distance)."""
        if not math.isfinite(colour_distance):
            return 0.0 if colour_distance > 0 else 1.0
        return math.exp(-0.5 * (colour_distance / self.colour_sigma) ** 2)

    def score(self, **features: float) -> float:
        """Product of the factors, 0..1."""
        return float(math.prod(self.factors(**features).values()))
