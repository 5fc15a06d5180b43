"""Geometry a player reasons with: where the ball will cross a rod, which man covers a y,
which lines to the goal are open. Pure functions of the table and plain arrays.

Sign conventions (``sim.table``): a rod of attack direction ``d`` (+1 for side 0) tilts its
feet forward (towards the goal it attacks) at angle ``-d * phi`` and strikes forward with a
spin of sign ``-d``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from sim.table import RodSpec, TableSpec

FOOT_REACH_X = 0.065  # m, |x - rod x| within which a man can play a ball on the table
HANGING_BLOCK = 0.6  # rad, |wrapped angle| below which a man still blocks a rolling ball


def wrap(angle: float) -> float:
    """Angle folded into (-pi, pi], rad."""
    return math.remainder(angle, 2.0 * math.pi)


def fold(y: float, half: float) -> float:
    """Fold a straight-line y back into [-half, half], as side-wall bounces do, m."""
    period = 4.0 * half
    u = (y + half) % period
    return (u if u <= 2.0 * half else period - u) - half


def predict_crossing(table: TableSpec, pos, vel, x_line: float,
                     horizon: float = 1.0) -> tuple[float, float] | None:
    """When and where a ball rolling straight (bouncing off the side walls) crosses x_line.

    Args:
        pos: (3,) m, ball centre. vel: (3,) m/s.
        x_line: m. horizon: s, ignore crossings later than this.

    Returns:
        (t, y): s from now and m, or None if it does not cross within the horizon.
    """
    vx = vel[0]
    if abs(vx) < 1e-6:
        return None
    t = (x_line - pos[0]) / vx
    if t < 0 or t > horizon:
        return None
    half = table.half_width - table.ball.radius
    return t, fold(pos[1] + vel[1] * t, half)


def rel_x(rod: RodSpec, x: float) -> float:
    """m, how far x lies in front of the rod (towards the goal the rod attacks)."""
    return (x - rod.x) * rod.attack_direction


def man_reach(table: TableSpec, rod: RodSpec) -> float:
    """m, the largest |y| a man of this rod can bring its foot centre to."""
    return man_offsets(rod)[-1] + rod.travel


@lru_cache(maxsize=64)
def man_offsets(rod: RodSpec) -> tuple[float, ...]:
    """The rod's men's y at zero shift, m, as plain floats (cached)."""
    return tuple(float(v) for v in rod.man_offsets)


def best_man(table: TableSpec, rod: RodSpec, y: float, shift: float) -> tuple[int, float]:
    """The man to put at table y, and the shift that does it.

    Prefers a man that reaches y (to 0.1 mm), then the one needing the least rod travel.

    Returns:
        (man index, shift in m, clipped to the rod's travel).
    """
    travel, y, shift = rod.travel, float(y), float(shift)
    best_key, best_m, best_s = None, 0, 0.0
    for m, off in enumerate(man_offsets(rod)):
        want = y - off
        s = max(-travel, min(travel, want))
        key = (int(abs(want - s) * 1e4), abs(s - shift))
        if best_key is None or key < best_key:
            best_key, best_m, best_s = key, m, s
    return best_m, best_s


def reachable(table: TableSpec, rod: RodSpec, y: float) -> bool:
    """Whether some man of ``rod`` can touch a ball at table y."""
    edge = man_reach(table, rod) + 0.5 * table.man.foot_width + 0.6 * table.ball.radius
    return abs(y) <= edge


def line_clearance(table: TableSpec, x0: float, y0: float, x1: float, y1: float,
                   shifts: np.ndarray, angles: np.ndarray, rods: list[int]) -> float:
    """m, the smallest gap between the straight line (x0, y0) -> (x1, y1) and a blocking
    man of the given rods (negative: a man is in the way). Men turned up do not block."""
    gap = np.inf
    half = 0.5 * table.man.foot_width + table.ball.radius
    for i in rods:
        spec = table.rods[i]
        if abs(wrap(angles[i])) > HANGING_BLOCK:
            continue
        if (spec.x - x0) * (x1 - x0) <= 0 or (spec.x - x1) * (x0 - x1) <= 0:
            continue
        y = y0 + (y1 - y0) * (spec.x - x0) / (x1 - x0)
        men = spec.man_offsets + shifts[i]
        gap = min(gap, float(np.min(np.abs(men - y))) - half)
    return float(gap)


def rods_between(table: TableSpec, x0: float, x1: float) -> list[int]:
    """Indices of the rods strictly between x0 and x1."""
    lo, hi = min(x0, x1), max(x0, x1)
    return [r.index for r in table.rods if lo < r.x < hi]


def goal_targets(table: TableSpec, n: int = 9) -> np.ndarray:
    """(n,) float64, m: candidate aiming points across the goal mouth."""
    half = 0.5 * table.goal.width - table.ball.radius - 0.008
    return np.linspace(-half, half, n)


def strike_offset(table: TableSpec, angle: float) -> float:
    """m, lateral offset of the man from the ball that sends a struck ball off at ``angle``
    (rad, from straight ahead; positive towards +y): a hit on the foot's edge pushes the
    ball along the normal from the edge to the ball's centre."""
    if abs(angle) < 0.03:
        return 0.0
    half_foot = 0.5 * table.man.foot_width
    return -math.copysign(half_foot + table.ball.radius * math.sin(min(abs(angle), 0.6)),
                          angle)


def next_bottom(angle: float, spin_sign: int, windup: float = 1.2) -> float:
    """rad: the first hanging angle (a multiple of 2 pi) at least ``windup`` ahead of
    ``angle`` in the direction ``spin_sign``: where a strike started now meets the ball."""
    two_pi = 2.0 * math.pi
    if spin_sign > 0:
        return two_pi * math.ceil((angle + windup) / two_pi)
    return two_pi * math.floor((angle - windup) / two_pi)
