"""Strikes: how a man hits a held ball where its player wants it, and lateral taps.

A strike is planned once (``plan_strike``, ``plan_tap``) and then driven tick by tick
(``strike_target``, ``tap_target``), which return the rod's target and whether it is over.

Contact mechanics, measured in this physics (``tests/sim/test_players.py``,
``tests/sim/test_physics.py``):

- the ball leaves a square hit at about ``BALL_PER_SPIN`` m/s per rad/s of the man's spin;
- a foot moving along y as it hits gives the ball about 2/7 of that speed sideways (a
  sphere's rolling constraint), so a pull or push shot needs ``SWEEP_PER_SIDE_SPEED`` m/s of
  rod sweep per m/s of sideways ball speed;
- a hit off the edge of the foot sends the ball along the normal from the edge to its centre:
  the direction turns by ``EDGE_TURN`` rad per metre of man-ball offset beyond
  ``EDGE_START``, give or take 0.15 rad.

Sign conventions (``sim.tactics``): a rod of attack direction ``d`` strikes forward with a
spin of sign ``-d`` and tilts its feet forward at ``-d * phi``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim import tactics as tc
from sim.physics import RodTarget, nearest_turn
from sim.state import TableState
from sim.table import TableSpec

BALL_PER_SPIN = 0.092  # m/s of ball speed per rad/s of a striking man
STRAIGHT_ANGLE = 0.035  # rad: aims closer to straight ahead are hit square
SWEEP_PER_SIDE_SPEED = 3.5  # m/s of rod sweep per m/s of sideways ball speed (sphere: 7/2)
SWEEP_TIME = 0.03  # s of rod sweep before the contact of a pull or push shot
SERVO_LAG = 0.006  # s a rod takes to reach its sweep speed (about v / a at full force)
EDGE_START = 0.016  # m, man-ball offset where an edge hit starts to turn the ball
EDGE_TURN = 80.0  # rad/m, how fast the ball's direction turns with the offset beyond that
MAX_EDGE_ANGLE = 0.6  # rad
ANGLE_COST = 0.05  # m of clearance a player gives up per radian of shot angle
SET_REL = 0.045  # m: a ball pinned further out is pressed back to here before the strike
PRESS_TORQUE = 0.3  # N m, pressing a pinned ball back towards the rod
TAP_SPEED = 0.7  # m/s, rod speed pushing the ball sideways
TAP_DONE = 0.04  # m the ball has moved sideways when a tap lets it go
FOLLOW_THROUGH = 0.9  # rad past the contact before the man is brought back down


@dataclass
class Strike:
    """A strike in progress on one rod."""

    rod: int
    kind: str  # "shot", "pass" or "tap"
    style: str  # "straight", "angled", "pull", "push", "pass", "tap"
    bottom: float | None  # rad, rod angle at which the foot meets the ball (None: set-up)
    spin: float  # rad/s, signed
    offset: float  # m, man y minus ball y at contact
    sweep: float  # m/s, rod speed along y through the contact (pull/push; tap: push)
    receiver: int | None  # rod meant to receive a pass
    target_y: float  # m, where the ball should cross the receiver or the goal line (tap: start)
    t0: float  # s, start
    windup: float = 1.6  # rad, back-swing of a strike from a hanging man
    sweeping: bool = False  # a pull/push rod is on its way through the ball


def edge_offset(angle: float) -> float:
    """m, man y minus ball y for an edge hit sending the ball off at ``angle`` (rad, towards
    +y if positive); ``tactics.strike_offset`` is the pure-geometry value for a foot that
    does not turn during the contact."""
    return -math.copysign(EDGE_START + abs(angle) / EDGE_TURN, angle)


def aim(table: TableSpec, rng: np.random.Generator, choice: float, state: TableState,
        x0: float, y0: float, x1: float, ys: np.ndarray, rods: list[int]) -> float:
    """An aiming y among ``ys`` (m) on the line x = x1 for a ball at (x0, y0): the best one
    (open past the men of ``rods``, and straight rather than angled: straight shots are the
    accurate ones), or, with probability 1 - ``choice``, a random one."""
    ys = np.append(ys, np.clip(y0, ys.min(), ys.max()))  # straight ahead, if it is on
    gaps = np.array([tc.line_clearance(table, x0, y0, x1, y, state.shifts, state.angles, rods)
                     for y in ys])
    angles = np.abs(np.arctan2(ys - y0, abs(x1 - x0)))
    score = np.minimum(gaps, 0.03) - ANGLE_COST * angles
    k = int(np.argmax(score)) if rng.random() < choice else int(rng.integers(len(ys)))
    return float(ys[k])


def plan_strike(table: TableSpec, d: int, side: int, rng: np.random.Generator,
                aim_sigma: float, offset_sigma: float, state: TableState, rod: int, pos,
                kind: str, y_t: float, x_t: float, speed: float,
                receiver: int | None) -> Strike:
    """Plan a strike sending the ball from ``pos`` (3,) m to (x_t, y_t) m at ``speed`` m/s.

    Nearly straight: the man hits the ball square. A few degrees: the rod sweeps along y
    through the strike (a pull or push shot; pull: towards the team's own handles, taken as
    -y for side 0 and +y for side 1). More: the ball is hit off the edge of the foot (an
    angled shot). ``aim_sigma`` (rad) and ``offset_sigma`` (m) are the player's noise.
    """
    angle = math.atan2(y_t - pos[1], (x_t - pos[0]) * d) + rng.normal(0.0, aim_sigma)
    drive = table.rod_drive
    sweep_needed = SWEEP_PER_SIDE_SPEED * math.tan(angle) * speed
    offset, sweep = 0.0, 0.0
    if abs(angle) < STRAIGHT_ANGLE:
        style = "straight"
    elif abs(sweep_needed) <= drive.max_speed:
        sweep = sweep_needed
        style = "pull" if sweep * (1 if side == 0 else -1) < 0 else "push"
    else:
        angle = math.copysign(min(abs(angle), MAX_EDGE_ANGLE), angle)
        style, offset = "angled", edge_offset(angle)
        speed /= 1.0 - 0.6 * abs(angle)  # an edge hit loses speed
    offset += rng.normal(0.0, offset_sigma)
    omega = min(drive.max_spin, speed / BALL_PER_SPIN)
    windup = float(rng.uniform(1.2, 2.2)) if kind == "shot" else float(rng.uniform(0.5, 1.0))
    return Strike(rod, kind, style if kind == "shot" else "pass", None, -d * omega, offset,
                  sweep, receiver, y_t, state.t, windup)


def plan_tap(rod: int, state: TableState, pos, toward: float) -> Strike:
    """A lateral pass towards ``toward`` (+1: +y): the foot's side pushes the ball along the
    rod to the neighbouring man, or into the side wall, off which it comes back."""
    return Strike(rod, "tap", "tap", state.angles[rod], 0.0, 0.0, toward * TAP_SPEED, None,
                  float(pos[1]), state.t)


def strike_target(table: TableSpec, d: int, s: Strike, state: TableState, pos,
                  spin_now: float) -> tuple[RodTarget, bool]:
    """The striking rod's target now, and whether the strike is over.

    A man tilted over the ball (or a ball behind the rod) rolls over it and hits it at the
    bottom of the swing; a hanging man swings back, then through. A ball pinned far out is
    first pressed back to the foot. ``spin_now``: rad/s, the rod's spin lately.
    """
    spec = table.rods[s.rod]
    angle = state.angles[s.rod]
    if s.bottom is None:
        tilt = -d * tc.wrap(angle)
        rel = tc.rel_x(spec, pos[0])
        side = 1 if rel > 0 else -1
        if side * tilt > 0.5 and abs(rel) > SET_REL and state.t - s.t0 < 0.4:
            _, shift = tc.best_man(table, spec, pos[1], state.shifts[s.rod])
            return RodTarget(shift, nearest_turn(angle, -d * side * 0.3), torque=PRESS_TORQUE,
                             max_spin=3.0), False
        if side * tilt > 0.5 or side < 0:  # foot over the ball, or ball behind: roll over
            s.bottom = tc.next_bottom(angle, int(math.copysign(1, s.spin)))
        else:  # swing back, then through
            windup = nearest_turn(angle, d * s.windup)
            if abs(windup - angle) > 0.15 and state.t - s.t0 < 0.4:
                man, _ = tc.best_man(table, spec, pos[1] + s.offset, state.shifts[s.rod])
                start = pos[1] + s.offset - tc.man_offsets(spec)[man] - s.sweep * SWEEP_TIME
                return RodTarget(start, windup, max_spin=60.0), False
            s.bottom = nearest_turn(angle, 0.0)
        s.t0 = state.t
    to_go = (s.bottom - angle) * math.copysign(1.0, s.spin)  # rad to the contact
    if to_go < -FOLLOW_THROUGH or state.t - s.t0 > 0.6:  # done: hang again
        return RodTarget(state.shifts[s.rod], s.bottom, max_spin=40.0), True
    if to_go < 0:  # through the ball: keep sweeping
        return RodTarget(state.shifts[s.rod] + s.sweep * 0.02, None, spin=s.spin,
                         max_speed=abs(s.sweep) or None), False
    man, _ = tc.best_man(table, spec, pos[1] + s.offset, state.shifts[s.rod])
    aligned = pos[1] + s.offset - tc.man_offsets(spec)[man]
    if not s.sweep:
        return RodTarget(aligned, None, spin=s.spin), False
    # pull/push: wait SWEEP_TIME of sweep before the aligned shift, then cruise through it at
    # the sweep speed, starting when the remaining distance matches the time to go
    tau = to_go / max(abs(spin_now), 0.5 * abs(s.spin), 10.0)  # s to the contact
    gap = (aligned - state.shifts[s.rod]) * math.copysign(1.0, s.sweep)
    if not s.sweeping and gap <= abs(s.sweep) * (tau + SERVO_LAG):
        s.sweeping = True
    if s.sweeping:
        return RodTarget(aligned + s.sweep * 0.05, None, spin=s.spin,
                         max_speed=abs(s.sweep)), False
    return RodTarget(aligned - s.sweep * SWEEP_TIME, None, spin=s.spin), False


def tap_target(table: TableSpec, d: int, s: Strike, state: TableState,
               pos) -> tuple[RodTarget, bool]:
    """Push the ball sideways with the side of the foot: lift the foot, go round to the far
    side of the ball, lower it level with the ball and push. Over when the ball has moved."""
    spec = table.rods[s.rod]
    angle = state.angles[s.rod]
    if state.t - s.t0 > 0.6 or abs(pos[1] - s.target_y) > TAP_DONE:
        return RodTarget(state.shifts[s.rod], nearest_turn(angle, 0.0)), True
    side = math.copysign(1.0, s.sweep)
    man, _ = tc.best_man(table, spec, pos[1], state.shifts[s.rod])
    behind = pos[1] - side * (0.5 * table.man.foot_width + table.ball.radius)
    shift = behind - tc.man_offsets(spec)[man]
    if abs(state.shifts[s.rod] - shift) > 0.006 and side * (shift - state.shifts[s.rod]) < 0:
        return RodTarget(shift, nearest_turn(angle, -d * 1.3), max_spin=25.0), False
    # the foot beside the ball, level with its centre along x: the push is sideways
    phi = math.asin(max(-0.7, min(0.7, tc.rel_x(spec, pos[0]) / table.man_reach)))
    low = nearest_turn(angle, -d * phi)
    if abs(low - angle) > 0.1:
        return RodTarget(shift, low, max_spin=25.0), False
    return RodTarget(shift + side * 0.03, low, max_speed=abs(s.sweep)), False
