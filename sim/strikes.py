"""Strikes: how a man hits a held ball where its player wants it, and lateral taps.

A strike is planned once (``plan_strike``, ``plan_tap``) and then driven tick by tick
(``strike_target``, ``tap_target``), which return the rod's target and whether it is over.

A shot or pass is a back-swing and a forward swing, never a spin (ITSF: a rod may not turn
more than 360 degrees around a strike): the man swings back ``windup`` rad (1.2-2.2 for a
shot) and forward through the ball to ``finish`` rad in front of hanging, where the servo
brakes it to a stop (``MAX_FINISH`` < pi caps the swing speed accordingly); then it swings
back to hanging. A foot over the ball, or on the wrong side of it, is first lifted off and
the rod steps aside so that the back-swing passes beside the ball. Pull and push shots on
the attack rod first drag the ball sideways with the side of the foot (``drag``), then
strike it as it rolls.

Contact mechanics, measured in this physics (``tests/sim/test_players.py``,
``tests/sim/test_physics.py``):

- the ball leaves a square hit at about ``BALL_PER_SPIN`` m/s per rad/s of the man's spin;
- a foot moving along y as it hits gives the ball about 2/7 of that speed sideways (a
  sphere's rolling constraint), so a pull or push shot needs ``SWEEP_PER_SIDE_SPEED`` m/s of
  rod sweep per m/s of sideways ball speed;
- a hit off the edge of the foot sends the ball along the normal from the edge to its centre:
  the direction turns with the man-ball offset as in ``EDGE_OFFSETS``/``EDGE_ANGLES``
  (steeply: about 50 rad per metre of offset beyond the foot's half width).

Sign conventions (``sim.tactics``): a rod of attack direction ``d`` strikes forward with a
spin of sign ``-d`` and tilts its feet forward at ``-d * phi``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim import tactics as tc
from sim.physics import BRAKE_FRACTION, RodTarget, nearest_turn
from sim.state import TableState
from sim.table import TableSpec
from sim.world import rod_inertia

BALL_PER_SPIN = 0.092  # m/s of ball speed per rad/s of a striking man
STRAIGHT_ANGLE = 0.08  # rad: aims closer to straight ahead are hit square (the aim is good enough)
SWEEP_PER_SIDE_SPEED = 3.5  # m/s of rod sweep per m/s of sideways ball speed (sphere: 7/2)
SWING_ACCEL = 0.8  # of the drive's torque / inertia: a swing's mean angular acceleration
MAX_SWEEP = 3.0  # m/s, the fastest sweep of a pull or push shot
SERVO_LAG = 0.006  # s a rod takes to reach its sweep speed (about v / a at full force)
# an edge hit: man-ball offset (m) -> the ball's direction (rad), measured with a swing
# from 1.8 rad back at 70-120 rad/s on a ball 35 mm in front of the rod (the foot is 28 mm
# wide: a hit within 14 mm of its middle goes straight)
EDGE_OFFSETS = (0.0142, 0.015, 0.02, 0.025)
EDGE_ANGLES = (0.0, 0.12, 0.38, 0.62)
EDGE_NOISE = 0.25  # of the player's contact noise on an edge hit (a player aims those)
MAX_EDGE_ANGLE = 0.55  # rad
ANGLE_COST = 0.15  # m of clearance a player gives up per radian of shot angle
TAP_SPEED = 0.7  # m/s, rod speed pushing the ball sideways
TAP_DONE = 0.04  # m the ball has moved sideways when a tap lets it go
CONTACT_ANGLE = 0.35  # rad in front of hanging by which a forward swing has met the ball
MIN_FINISH = 0.9  # rad in front of hanging: the least follow-through
MAX_FINISH = 2.6  # rad in front of hanging: the servo stops a swing by here (< pi, so the
#                   man swings back to hanging rather than on round)
BEHIND_REL = 0.015  # m behind the rod: a swing meets such a ball with the foot tilted back
CLEAR_REL = 0.028  # m: a ball this far in front of a hanging foot is clear of its back-swing
STEP_MARGIN = 0.004  # m between foot and ball when the rod steps aside
DRAG_SPEED = 0.6  # m/s, the rod pushing the ball sideways in a pull/push set-up
DRAG_TIMEOUT = 0.6  # s
DRAG_WINDUP = 1.3  # rad, the most back-swing of a pull or push shot
DRAG_WINDUP_TIME = 0.1  # s a dragging rod takes to wind up: the ball rolls on meanwhile
STRIKE_TIMEOUT = 1.2  # s, a strike not over by then is given up
SWING_TIMEOUT = 0.3  # s


@dataclass
class Strike:
    """A strike in progress on one rod.

    Phases of a shot or a pass (``strike_target``): ``drag`` (pull/push shot: the side of
    the foot pushes the ball along the rod to its lane), ``clear`` (a foot over the ball, or
    on the wrong side of it, is lifted off and the rod steps aside so that the back-swing
    passes beside the ball), ``windup`` (the man swings back to ``windup`` rad behind
    hanging; the rod lines the man up with the ball once the foot is clear of it), ``swing``
    (the rod turns forward through the ball to ``finish`` rad in front of hanging, where the
    servo stops it: a strike never spins the rod round).
    """

    rod: int
    kind: str  # "shot", "pass" or "tap"
    style: str  # "straight", "angled", "pull", "push", "pass", "tap"
    spin: float  # rad/s, signed: the top rod speed of the forward swing
    offset: float  # m, man y minus ball y at contact
    sweep: float  # m/s, rod speed along y through the contact (pull/push; tap: push)
    receiver: int | None  # rod meant to receive a pass
    target_y: float  # m, where the ball should cross the receiver or the goal line (tap: start)
    t0: float  # s, start
    windup: float = 1.6  # rad, back-swing behind hanging
    finish: float = 1.0  # rad in front of hanging where the forward swing stops
    man: int = 0  # the striking man
    phase: str = "windup"
    t_phase: float = 0.0  # s, start of the current phase
    hang: float | None = None  # rad, the hanging angle (a multiple of 2 pi) swung through
    step: float = 0.0  # m, signed shift of the rod beside the ball while it winds up
    drag_to: float | None = None  # m, ball y where a pull/push drag ends


def edge_offset(angle: float) -> float:
    """m, man y minus ball y for an edge hit sending the ball off at ``angle`` (rad, towards
    +y if positive), interpolated in ``EDGE_OFFSETS`` / ``EDGE_ANGLES``."""
    off = float(np.interp(abs(angle), EDGE_ANGLES, EDGE_OFFSETS))
    return -math.copysign(off, angle)


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


def brake_angle(table: TableSpec, rod: int, spin: float) -> float:
    """rad the servo needs to stop rod ``rod`` turning at ``spin`` rad/s (it brakes at
    ``physics.BRAKE_FRACTION`` of the drive's torque)."""
    inertia = rod_inertia(table, rod)[1]
    return spin * spin * inertia / (2.0 * BRAKE_FRACTION * table.rod_drive.max_torque)


def plan_strike(table: TableSpec, d: int, side: int, rng: np.random.Generator,
                aim_sigma: float, offset_sigma: float, state: TableState, rod: int, pos,
                kind: str, y_t: float, x_t: float, speed: float,
                receiver: int | None, drag: float = 0.0, man: int | None = None) -> Strike:
    """Plan a strike sending the ball from ``pos`` (3,) m to (x_t, y_t) m at ``speed`` m/s.

    Nearly straight: the man hits the ball square. A few degrees: the rod sweeps along y
    through the strike (a pull or push shot; pull: towards the team's own handles, taken as
    -y for side 0 and +y for side 1). More: the ball is hit off the edge of the foot (an
    angled shot). ``aim_sigma`` (rad) and ``offset_sigma`` (m) are the player's noise.
    ``drag`` (m, signed): first push the ball that far along y with the side of the foot
    (the set-up of a pull or push shot), and aim from where it will be. ``man``: the
    striking man (None: the one that reaches the ball with the least rod travel).

    The forward swing's top speed is capped so that the servo stops the rod within
    ``MAX_FINISH`` rad in front of hanging: back-swing plus follow-through stay within one
    turn.
    """
    y0 = float(pos[1]) + drag
    angle = math.atan2(y_t - y0, (x_t - pos[0]) * d) + rng.normal(0.0, aim_sigma)
    drive = table.rod_drive
    sweep_needed = SWEEP_PER_SIDE_SPEED * math.tan(angle) * speed
    offset, sweep = 0.0, 0.0
    if abs(angle) < STRAIGHT_ANGLE:
        style = "straight"
    elif abs(sweep_needed) <= MAX_SWEEP and kind == "shot":
        sweep = sweep_needed
        style = "pull" if sweep * (1 if side == 0 else -1) < 0 else "push"
    else:
        angle = math.copysign(min(abs(angle), MAX_EDGE_ANGLE), angle)
        style, offset = "angled", edge_offset(angle)
        speed /= 1.0 - 0.6 * abs(angle)  # an edge hit loses speed
        offset_sigma *= EDGE_NOISE
    if drag:  # the ball rolls sideways as it is hit: that is the sweep
        style = "pull" if drag * (1 if side == 0 else -1) < 0 else "push"
        sweep, offset = 0.0, 0.0
    offset += rng.normal(0.0, offset_sigma)
    omega = min(drive.max_spin, speed / BALL_PER_SPIN)
    top = math.sqrt(max(MAX_FINISH - CONTACT_ANGLE, 0.1) * 2.0 * BRAKE_FRACTION *
                    drive.max_torque / rod_inertia(table, rod)[1])
    omega = min(omega, top)
    finish = max(MIN_FINISH, CONTACT_ANGLE + brake_angle(table, rod, omega))
    windup = float(rng.uniform(1.2, 2.2)) if kind == "shot" else float(rng.uniform(0.5, 1.0))
    if drag:  # a short back-swing: the ball is rolling
        windup = min(windup, DRAG_WINDUP)
    if tc.rel_x(table.rods[rod], pos[0]) < -BEHIND_REL:  # the foot meets it tilted back
        windup = float(rng.uniform(1.9, 2.2)) if kind == "shot" else 1.6
    if man is None:
        man, _ = tc.best_man(table, table.rods[rod], y0 + offset, state.shifts[rod])
    beside = 0.5 * table.man.foot_width + table.ball.radius + STEP_MARGIN
    return Strike(rod, kind, style if kind == "shot" else "pass", -d * omega, offset,
                  sweep, receiver, y_t, state.t, windup, finish, man,
                  phase="drag" if drag else "clear", t_phase=state.t,
                  step=-math.copysign(beside, drag) if drag else 0.0,
                  drag_to=y0 if drag else None)


def plan_tap(rod: int, state: TableState, pos, toward: float) -> Strike:
    """A lateral pass towards ``toward`` (+1: +y): the foot's side pushes the ball along the
    rod to the neighbouring man, or into the side wall, off which it comes back."""
    return Strike(rod, "tap", "tap", 0.0, 0.0, toward * TAP_SPEED, None, float(pos[1]),
                  state.t, phase="tap", t_phase=state.t)


def _clear_angle(table: TableSpec, rel: float) -> float:
    """rad of back-swing beyond which the foot is clear, along x, of a ball ``rel`` m in
    front of the rod (negative: behind): its swing back can no longer touch the ball."""
    half_len, reach, r = 0.5 * table.man.foot_length, table.man_reach, table.ball.radius
    need = -rel + r + 0.003  # m the foot's front edge must be behind the rod axis
    for k in range(1, 31):
        phi = 0.05 * k
        if reach * math.sin(phi) - half_len * math.cos(phi) >= need:
            return phi
    return 1.5


def _lined_up(table: TableSpec, s: Strike, pos, vel, lead: float, extra: float = 0.0) -> float:
    """m: the shift that puts the striking man (plus the strike's offset) on the ball's y
    ``lead`` s from now, plus ``extra`` m, within the rod's travel."""
    spec = table.rods[s.rod]
    y = float(pos[1] + vel[1] * lead) + s.offset - tc.man_offsets(spec)[s.man] + extra
    return max(-spec.travel, min(spec.travel, y))


def _beside(table: TableSpec, s: Strike, pos, vel, lead: float) -> float:
    """m: the shift that puts the striking man's foot ``s.step`` beside the ball's y
    ``lead`` s from now (clear of it), within the rod's travel."""
    spec = table.rods[s.rod]
    y = float(pos[1] + vel[1] * lead) - tc.man_offsets(spec)[s.man] + s.step
    return max(-spec.travel, min(spec.travel, y))


def _phase(s: Strike, phase: str, t: float) -> None:
    s.phase, s.t_phase = phase, t


def strike_target(table: TableSpec, d: int, s: Strike, state: TableState, pos, vel,
                  spin_now: float) -> tuple[RodTarget, bool]:
    """The striking rod's target now, and whether the strike is over (see ``Strike``).

    Args:
        pos, vel: (3,) m and m/s, the ball as the player sees it.
        spin_now: rad/s, the rod's spin lately.
    """
    spec = table.rods[s.rod]
    angle, shift, t = state.angles[s.rod], state.shifts[s.rod], state.t
    if s.hang is None:
        s.hang = nearest_turn(angle, 0.0)
    fwd = -d * (angle - s.hang)  # rad the foot is tilted forward of hanging
    rel = tc.rel_x(spec, pos[0])
    if t - s.t0 > STRIKE_TIMEOUT or (s.phase != "swing" and abs(rel) > tc.FOOT_REACH_X + 0.01):
        return RodTarget(shift, s.hang, max_spin=30.0), True
    if s.phase == "drag":
        target = _drag_target(table, d, s, state, pos, vel)
        if target is not None:
            return target, False
    if s.phase == "clear":
        target = _clear_target(table, d, s, state, pos, vel, fwd, rel)
        if target is not None:
            return target, False
    lead = swing_time(table, s.rod, s.windup, abs(s.spin))  # s from swing start to contact
    if s.phase == "windup":
        windup = s.hang + d * s.windup
        clear = -fwd >= _clear_angle(table, rel) - 1e-9
        lined = _lined_up(table, s, pos, vel, lead, -s.sweep * (lead + SERVO_LAG))
        goal = lined if clear else _beside(table, s, pos, vel, lead)
        ready = abs(angle - windup) < 0.2 and abs(shift - lined) < 0.004
        if not (ready or (clear and t - s.t_phase > 0.3)):
            return RodTarget(goal, windup, max_spin=60.0), False
        _phase(s, "swing", t)
    # swing: the servo drives the rod at full torque to ``spin``, through the ball, and
    # brakes to a stop ``finish`` rad in front of hanging
    finish = s.hang - d * s.finish
    if fwd > s.finish - 0.15 or t - s.t_phase > SWING_TIMEOUT:
        return RodTarget(shift, s.hang, max_spin=30.0), True
    omega = abs(s.spin)
    if fwd > CONTACT_ANGLE + 0.3:  # through the ball: the rod's shift as it is
        return RodTarget(shift, finish, max_spin=omega), False
    if not s.sweep:  # the man on the ball's line as it will be at the contact
        to_contact = max(0.0, lead - (t - s.t_phase))
        return RodTarget(_lined_up(table, s, pos, vel, to_contact), finish,
                         max_spin=omega), False
    # pull/push: the rod set off (lead + lag) s before the contact at the sweep speed, from
    # where it was lined up at the end of the windup: it crosses the ball's line as it hits
    return RodTarget(shift + s.sweep * 0.05, finish, max_spin=omega,
                     max_speed=abs(s.sweep)), False


def swing_time(table: TableSpec, rod: int, windup: float, spin: float) -> float:
    """s from the start of a forward swing (at rest, ``windup`` rad behind hanging) to the
    bottom of the swing, driven at full torque up to ``spin`` rad/s."""
    acc = SWING_ACCEL * table.rod_drive.max_torque / rod_inertia(table, rod)[1]
    ramp = spin * spin / (2.0 * acc)
    if windup <= ramp:
        return math.sqrt(2.0 * windup / acc)
    return spin / acc + (windup - ramp) / spin


def _clear_target(table, d, s, state, pos, vel, fwd, rel) -> RodTarget | None:
    """Lift a foot off the ball and step the rod aside, so that the back-swing passes beside
    the ball; None once that is done (or not needed: the foot hangs behind a ball in
    front)."""
    t, shift = state.t, state.shifts[s.rod]
    toward = fwd if rel > 0 else -fwd  # rad the foot leans towards the ball
    if rel > CLEAR_REL and fwd < 0.35:  # hanging or back, ball in front: swing back at once
        _phase(s, "windup", t)
        return None
    if not s.step:
        spec = table.rods[s.rod]
        here = float(pos[1]) - tc.man_offsets(spec)[s.man]
        step = 0.5 * table.man.foot_width + table.ball.radius + STEP_MARGIN
        s.step = step if here + step <= spec.travel else -step
    if rel > 0:  # a foot over the ball goes on up over it; a hanging one lifts back
        lift = s.hang - d * 1.35 if toward > 0.3 else s.hang + d * 0.5
    else:  # ball behind: a foot over it goes on up, back; a hanging one lifts forward
        lift = s.hang + d * 1.35 if toward > 0.3 else s.hang - d * 0.7
    aside = _beside(table, s, pos, vel, 0.03)
    if abs(state.angles[s.rod] - lift) > 0.3 and t - s.t_phase < 0.2:
        return RodTarget(shift, lift, max_spin=40.0)
    if abs(shift - aside) > 0.004 and t - s.t_phase < 0.35:
        return RodTarget(aside, lift, max_spin=40.0)
    _phase(s, "windup", t)
    return None


def _drag_target(table, d, s, state, pos, vel) -> RodTarget | None:
    """Push the ball along the rod with the side of the foot to ``drag_to``; None once it
    is there (the foot is then beside the ball: the back-swing passes it)."""
    spec = table.rods[s.rod]
    angle, shift, t = state.angles[s.rod], state.shifts[s.rod], state.t
    direction = -math.copysign(1.0, s.step)  # the step puts the foot behind the ball
    ahead = DRAG_WINDUP_TIME + swing_time(table, s.rod, s.windup, abs(s.spin))
    reached = direction * (float(pos[1] + vel[1] * ahead) - s.drag_to) >= 0.0
    if reached or t - s.t_phase > DRAG_TIMEOUT:
        _phase(s, "windup", t)
        return None
    off = tc.man_offsets(spec)[s.man]
    behind = float(pos[1]) - direction * (0.5 * table.man.foot_width + table.ball.radius) - off
    phi = math.asin(max(-0.7, min(0.7, tc.rel_x(spec, pos[0]) / table.man_reach)))
    low = s.hang - d * phi
    fwd = -d * (angle - s.hang)
    rel = tc.rel_x(spec, pos[0])
    if direction * (shift - behind) > 0.004:  # on the wrong side: go round, foot lifted
        toward = fwd if rel > 0 else -fwd
        if toward > 0.3:  # over the ball: on up over it
            lift = s.hang - d * math.copysign(1.35, rel)
        else:  # away from it
            lift = s.hang + d * math.copysign(1.3, rel)
        if abs(angle - lift) > 0.3:
            return RodTarget(shift, lift, max_spin=30.0)
        return RodTarget(behind, lift, max_spin=30.0)
    if abs(angle - low) > 0.12:  # lower the foot beside the ball (a little off it)
        return RodTarget(behind - direction * 0.004, low, max_spin=30.0)
    return RodTarget(behind + direction * 0.03, low, max_speed=DRAG_SPEED)


def tap_target(table: TableSpec, d: int, s: Strike, state: TableState,
               pos) -> tuple[RodTarget, bool]:
    """Push the ball sideways with the side of the foot: lift the foot, go round to the far
    side of the ball, lower it level with the ball and push. Over when the ball has moved."""
    spec = table.rods[s.rod]
    angle = state.angles[s.rod]
    if state.t - s.t0 > 0.6 or abs(pos[1] - s.target_y) > TAP_DONE:
        return RodTarget(state.shifts[s.rod], nearest_turn(angle, 0.0), max_spin=30.0), True
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
