"""Players: one team drives its four rods from what it sees of the ball.

A ``Team`` sees the ball late (its reaction delay) and partly predicts it forward
(anticipation), both from its skill (0..1, ``skill_params``). Every control tick it gives each
of its rods a ``RodTarget``:

- **block** (men down, a man on the line the ball will take or the line from the ball to the
  own goal; the goalie covers the middle of the goal, the defence the far side);
- **receive/cover** (men tilted forward over the ball with a light torque: a rolling ball is
  trapped under the heel of the foot and a stopped one is held there; to get over a ball at
  rest the foot is lifted away from it, the rod steps aside, the foot is tilted over beside
  the ball and slid onto it);
- **raise** (men turned up so a team-mate's shot passes under them);
- **strike** (``sim.strikes``): once a ball has been held a while, a shot at the goal
  (straight, angled off the edge of the foot, or a pull/push shot: on the attack rod the
  foot drags the ball along the rod first, elsewhere the rod sweeps sideways through the
  strike), a pass to the next own rod (which receives it), or a lateral tap to a
  neighbouring man on the same rod. A struck rod swings back to hanging before the player
  takes it again.

No rod ever spins: every target angle is taken into the rod's home turn, within
``HOME_RANGE`` of the hanging angle it started at (ITSF forbids turning a rod more than
360 degrees around a strike).

All random choices come from the team's ``numpy.random.Generator``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, replace

import numpy as np

from sim import strikes as sk
from sim import tactics as tc
from sim.physics import RodTarget, nearest_turn
from sim.state import TableState
from sim.strikes import Strike
from sim.table import TableSpec

COVER_TORQUE = 0.3  # N m, pressing a held ball lightly
TRAP_TILT = 0.85  # rad, a man tilted this far traps a ball rolling under it (0.15-3 m/s)
TRAP_TORQUE = 0.5  # N m
TRAP_GOING = 0.1  # m/s along the table: a ball rolling faster is trapped, not covered
TRAP_KEEP = 0.2  # s a receiving man stays in the trap beyond the player's reaction time
BLOCK_TORQUE = 1.5  # N m, holding the men down to block
BLOCK_DEADBAND = 0.008  # m, a blocking rod ignores smaller changes of its target
CENTRE_MISS = 0.008  # m, a ball further than this from the nearest man's centre is not held
TAP_WIDE_ROLES = ("midfield", "attack")  # rods that bring an out-wide ball in first
PIN_REL = 0.045  # m in front of the rod: a ball further out is pinned, not kicked
TRAP_SPEED = 1.5  # m/s, below this a ball in front of a rod is taken under control
HELD_SPEED = 0.2  # m/s, a ball this slow under a covering man is held
HOLD_LIMIT = {"midfield": 9.0}  # s, ITSF: 10 s on the 5-bar, 15 s elsewhere (with margin)
HOLD_LIMIT_OTHER = 13.0
WALL_GAP = 0.003  # m: a ball this close to a side wall is on it
FAST_SPIN = 8.0  # rad/s: a rod turning faster is braked at full torque
HOME_RANGE = 2.9  # rad either side of a rod's hanging angle its targets stay within
SETTLE_TIME = 0.3  # s at most a rod takes, after a strike, to swing back to hanging
SETTLE_ANGLE = 0.6  # rad from hanging where it is left to the player again
STOP_SPEED = 1.5  # m/s, the most a rod moves to put a foot in the way of a sideways ball
UNDER_REL = 0.03  # m: a ball this close to a rod's axis is within its hanging feet
OVER_TILT = 1.0  # rad: a foot tilted this far towards the ball is above it (slides onto it)
STEP_MARGIN = 0.004  # m between foot and ball when a rod steps aside
DRAG_ROLES = ("attack",)  # rods that drag the ball sideways before a shot (pull/push shots)
DRAG_SHARE = 0.5  # of their shots
DRAG_LENGTH = (0.05, 0.13)  # m


@dataclass(frozen=True)
class SkillParams:
    """What a skill level means (SI units)."""

    reaction: float  # s, delay of the ball a player sees
    anticipation: float  # 0..1, fraction of the delay predicted forward
    move_speed: float  # m/s, rod speed when positioning
    aim_sigma: float  # rad, shot direction noise
    offset_sigma: float  # m, strike contact noise along the rod
    shot_speed: tuple[float, float]  # m/s, range of shot speeds
    pass_speed: tuple[float, float]  # m/s
    hold: tuple[float, float]  # s, range of hold times before acting
    choice: float  # probability of choosing the best-looking target


def _pose(angle: float, phi: float) -> float:
    """rad: the tilt ``phi`` (|phi| < pi) from the hanging position nearest to ``angle``:
    a man leaning forward or back is brought there through the bottom of its swing, never
    round over the top (a rod is never spun round)."""
    return nearest_turn(angle, 0.0) + phi


def skill_params(skill: float) -> SkillParams:
    """The parameters of a skill in [0, 1] (0: beginner, 1: top player)."""
    if not 0.0 <= skill <= 1.0:
        raise ValueError(f"skill must be between 0 and 1, got {skill}")
    s = float(skill)
    return SkillParams(
        reaction=0.14 - 0.09 * s, anticipation=0.3 + 0.6 * s, move_speed=1.6 + 2.2 * s,
        aim_sigma=0.12 - 0.09 * s, offset_sigma=0.008 - 0.005 * s,
        shot_speed=(7.0 + 3.0 * s, 11.0 + 4.0 * s), pass_speed=(1.8, 2.6 + 1.2 * s),
        hold=(0.6, 1.5 + 2.0 * s), choice=0.4 + 0.55 * s,
    )


class Team:
    """One side's players.

    Args:
        table: the table. side: 0 (defends -x) or 1. skill: 0..1.
        rng: this team's random generator. control_dt: s between two control ticks.
    """

    def __init__(self, table: TableSpec, side: int, skill: float, rng: np.random.Generator,
                 control_dt: float):
        self.table, self.side, self.rng = table, side, rng
        self.p = skill_params(skill)
        self.rods = [r.index for r in table.rods_of_side(side)]
        self.d = table.rods[self.rods[0]].attack_direction
        self.goal_x = table.goal_x(1 - side)  # the goal attacked
        self.own_goal_x = table.goal_x(side)
        self._seen = deque(maxlen=max(2, int(round(self.p.reaction / control_dt)) + 2))
        self.strike: Strike | None = None
        self.holder: int | None = None  # rod holding the ball
        self.held_since = 0.0
        self.hold_for = 0.0
        self._block_y: dict[int, float] = {}  # y each blocking rod covers now, m
        self._prev_angles = None  # (t, (8,) angles) at the last control tick
        self._receiving: dict[int, tuple[float, float]] = {}  # rod -> (t, shift) of a trap
        self._stopping: dict[int, float] = {}  # rod -> y where a foot waits for a ball
        self._seen_vel = np.zeros(3)  # m/s, the ball's velocity as seen at this tick
        self._settling: dict[int, tuple[float, RodTarget]] = {}  # rod -> (until, target)
        self._home: dict[int, float] = {}  # rod -> its hanging angle (a multiple of 2 pi)

    # ---------------------------------------------------------------------------- seeing
    def _perceive(self, state: TableState) -> tuple[np.ndarray, np.ndarray]:
        """The ball as this team sees it: ``reaction`` s late, partly predicted forward."""
        self._seen.append((state.t, state.ball, state.ball_vel))
        t_seen = state.t - self.p.reaction
        old = next((s for s in self._seen if s[0] >= t_seen), self._seen[-1])
        lag = state.t - old[0]
        pos = old[1] + old[2] * lag * self.p.anticipation
        return pos, old[2]

    def reset(self) -> None:
        """Forget the ball (after a goal or a re-serve)."""
        self._seen.clear()
        self.strike, self.holder = None, None
        self._receiving.clear()
        self._stopping.clear()
        self._settling.clear()
        self._home.clear()

    # --------------------------------------------------------------------------- control
    def control(self, state: TableState, last_touch_side: int | None) -> dict[int, RodTarget]:
        """Targets for this team's rods now."""
        pos, vel = self._perceive(state)
        self._seen_vel = vel
        out = {}
        prev = self._prev_angles
        if self.strike is not None:
            rod = self.strike.rod
            out[rod] = self._strike_target(state, pos)
            if self.strike is None:  # just over: the rod swings back to hanging first
                self._settling[rod] = (state.t + SETTLE_TIME, out[rod])
        for rod, (until, target) in list(self._settling.items()):
            if state.t >= until or abs(state.angles[rod] - target.angle) < SETTLE_ANGLE:
                del self._settling[rod]
            else:
                out[rod] = target
        holder = None if self.strike else self._front_rod(pos, vel)
        if holder is not None and holder not in out:
            out[holder] = self._cover(state, holder, pos, vel)
        else:
            self.holder = None
        for i in self.rods:
            if i not in out:
                out[i] = self._position(state, i, pos, vel, last_touch_side)
        out = {i: self._at_home(state, i, target) for i, target in out.items()}
        if prev is self._prev_angles:
            self._prev_angles = (state.t, state.angles.copy())
        return out

    def _at_home(self, state: TableState, i: int, target: RodTarget) -> RodTarget:
        """The target with its angle taken into the rod's home turn: within ``HOME_RANGE``
        rad of the hanging angle the rod started at. However a target was worked out, a
        rod never turns round (ITSF: no spinning). A rod still turning fast gets the full
        torque, whatever the target's cap: a light touch cannot stop it."""
        home = self._home.get(i)
        if home is None:
            home = self._home[i] = nearest_turn(state.angles[i], 0.0)
        if target.angle is None:
            return target
        angle = home + math.remainder(target.angle - home, 2.0 * math.pi)
        angle = max(home - HOME_RANGE, min(home + HOME_RANGE, angle))
        torque = target.torque
        if torque is not None and abs(self._spin_estimate(state, i)) > FAST_SPIN:
            torque = None
        if angle == target.angle and torque == target.torque:
            return target
        return replace(target, angle=angle, torque=torque)

    def _front_rod(self, pos, vel) -> int | None:
        """The own rod with the ball under its control range, if the ball is slow enough."""
        if math.hypot(vel[0], vel[1]) > TRAP_SPEED:
            return None
        for i in self.rods:
            spec = self.table.rods[i]
            if abs(tc.rel_x(spec, pos[0])) < tc.FOOT_REACH_X and \
                    tc.reachable(self.table, spec, pos[1]):
                return i
        return None

    def _cover(self, state: TableState, i: int, pos, vel) -> RodTarget:
        """Take a slow ball under control and hold it; strike once it has been held.

        A rolling ball is trapped: the man tilts towards where the ball is going, the ball
        runs under the foot and is wedged against the playfield. A ball at rest is covered
        from above: the man lifts its foot away from the ball, slides over it and comes down
        on it (a ball just in front of the foot is covered by the tilted man, one further
        out in front or behind is pinned under the foot); one right under or just behind the
        foot is hit at once (a roll-over).
        """
        spec, now = self.table.rods[i], state.t
        rel = tc.rel_x(spec, pos[0])
        side = 1 if rel > 0 else -1  # ball in front of (+1) or behind (-1) the rod
        going = vel[0] * self.d  # m/s, + towards the front
        if self.holder != i:
            self.holder, self.held_since = i, now
            self.hold_for = float(self.rng.uniform(*self.p.hold))
        angle = state.angles[i]
        tilt = -self.d * side * tc.wrap(angle)  # tilt towards the ball, rad
        man, shift = tc.best_man(self.table, spec, pos[1], state.shifts[i])
        on_line = abs(state.shifts[i] - shift) < 0.012  # the man is on the ball's line
        under = abs(rel) <= PIN_REL and tilt > 0.7 and on_line  # the foot is over the ball
        if abs(going) > TRAP_GOING and not (under and abs(going) < 0.6):
            self.held_since = now
            return self._trap(state, i, pos, vel, 1 if going > 0 else -1)
        if abs(vel[1]) > 0.25 and not under:  # rolling along the rod: stop it with a foot
            self.held_since = now
            return self._stop_sideways(state, i, pos, vel)
        self._stopping.pop(i, None)
        if abs(pos[1] - shift - tc.man_offsets(spec)[man]) > CENTRE_MISS:
            rel = min(rel, 0.0) if rel < PIN_REL else rel  # no man can get over it: hit it
        off = abs(state.shifts[i] - shift)
        if self.held_since < now:  # held already: a little slack
            off = max(0.0, off - 0.01)
        held = off < 0.008 and math.hypot(vel[0], vel[1]) < HELD_SPEED
        if -PIN_REL <= rel < 0.012 and held:  # under or just behind the foot: hit it now
            self.strike = self._plan(state, i, pos)
            return self._strike_target(state, pos)
        if not held:
            self.held_since = now
        limit = HOLD_LIMIT.get(spec.role, HOLD_LIMIT_OTHER)
        if held and now - self.held_since >= min(self.hold_for, limit):
            self.strike = self._plan(state, i, pos)
            return self._strike_target(state, pos)
        spin = 4.0
        step = 0.5 * self.table.man.foot_width + self.table.ball.radius + STEP_MARGIN
        here = state.shifts[i]
        sign = 1.0 if here >= shift else -1.0  # step aside on the side the foot is on
        crossing = abs(shift + sign * step) > spec.travel  # no room there: past the ball
        aside = shift - sign * step if crossing else shift + sign * step
        if under:  # trapped under the foot: keep it there
            target = _pose(angle, -self.d * side * max(TRAP_TILT, min(tilt, 1.05)))
        elif tilt >= OVER_TILT:  # the foot is up over the ball's height: onto it, from above
            phi = 1.05 if abs(rel) > PIN_REL else 0.9
            target = _pose(angle, -self.d * side * phi)
            spin = 4.0 if abs(target - angle) < 0.4 else 15.0
        elif abs(here - shift) < step - STEP_MARGIN or crossing:  # the foot is on the
            # ball's line (or must pass it): lift it away from the ball and step aside (the
            # foot is never swung into the ball, nor round over the top)
            target, spin = _pose(angle, self.d * side * 1.3), 25.0
            shift = aside if -tilt > 0.5 or (tilt < 0.3 and abs(rel) > 0.035) else here
        else:  # beside the ball: tilt the foot over, then slide onto it
            target, spin = _pose(angle, -self.d * side * (OVER_TILT + 0.1)), 25.0
            shift = aside if abs(rel) < 0.07 else shift
        return RodTarget(shift, target, torque=COVER_TORQUE,
                         max_speed=self.p.move_speed, max_spin=spin)

    def _stop_sideways(self, state: TableState, i: int, pos, vel) -> RodTarget:
        """Put a foot, level with the ball, in the way of a ball rolling along the rod, and
        keep it there until the ball has run into it."""
        spec = self.table.rods[i]
        direction = math.copysign(1.0, vel[1])
        y_stop = self._stopping.get(i)
        if y_stop is None or direction * (y_stop - pos[1]) < 0.01:
            y_stop = float(pos[1] + direction * max(0.06, abs(vel[1]) * 0.15))
            self._stopping[i] = y_stop
        step = 0.5 * self.table.man.foot_width + self.table.ball.radius
        shift, best = state.shifts[i], None  # a man ahead of the ball: none crosses it
        for off in tc.man_offsets(spec):
            if direction * (off + state.shifts[i] - pos[1]) < step:
                continue
            s = max(-spec.travel, min(spec.travel, y_stop - off))
            move = abs(s - state.shifts[i])
            if direction * (off + s - pos[1]) >= step and (best is None or move < best):
                best, shift = move, s
        phi = math.asin(max(-0.7, min(0.7, tc.rel_x(spec, pos[0]) / self.table.man_reach)))
        return RodTarget(shift, _pose(state.angles[i], -self.d * phi), torque=TRAP_TORQUE,
                         max_speed=min(self.p.move_speed, STOP_SPEED), max_spin=20.0)

    def _trap(self, state: TableState, i: int, pos, vel, dest: int) -> RodTarget:
        """Tilt a man towards the side ``dest`` (+1 front, -1 behind) the ball is rolling to,
        on the ball's line, so that it runs under the foot and is wedged there."""
        spec = self.table.rods[i]
        cross = tc.predict_crossing(self.table, pos, vel, spec.x, horizon=0.5)
        y = cross[1] if cross is not None else float(pos[1])
        man, shift = tc.best_man(self.table, spec, y, state.shifts[i])
        if abs(y - shift - tc.man_offsets(spec)[man]) > CENTRE_MISS:  # (by a wall) block it
            return self._block(state, i, y)
        return RodTarget(shift, _pose(state.angles[i], -self.d * dest * TRAP_TILT),
                         torque=TRAP_TORQUE, max_speed=self.p.move_speed, max_spin=20.0)

    def _position(self, state: TableState, i: int, pos, vel, last_touch) -> RodTarget:
        """Block, receive or get out of the way."""
        spec = self.table.rods[i]
        rel = tc.rel_x(spec, pos[0])
        along = vel[0] * self.d  # ball speed towards the goal we attack
        speed = float(math.hypot(vel[0], vel[1]))
        s = self.strike
        if s is not None and s.kind != "tap":
            ahead = (spec.x - self.table.rods[s.rod].x) * self.d > 0
            if i == s.receiver:
                return self._receive(state, i, s.target_y)
            short = s.receiver is None or (spec.x - self.table.rods[s.receiver].x) * self.d < 0
            if ahead and short:
                return self._raise(state, i)
        if abs(rel) < UNDER_REL and abs(vel[1]) > 0.4 and abs(vel[0]) < 0.3:
            # the ball runs along right under the rod: men still, or they would bat it
            return RodTarget(state.shifts[i], _pose(state.angles[i], 0.0), max_speed=0.3)
        if rel < tc.FOOT_REACH_X and along > 0.3 and last_touch == self.side:
            if speed >= 5.0:
                return self._raise(state, i)
            if rel > 0:  # under the foot already: keep the trap on it
                return self._receive(state, i, float(pos[1]))
            cross = tc.predict_crossing(self.table, pos, vel, spec.x + 0.03 * self.d)
            if cross is not None:
                return self._receive(state, i, cross[1])
        if i in self._receiving:  # a trap just set: keep it until the player sees the result
            t0, shift = self._receiving[i]
            if state.t - t0 < self.p.reaction + TRAP_KEEP:
                return RodTarget(shift, _pose(state.angles[i], -self.d * TRAP_TILT),
                                 torque=TRAP_TORQUE, max_speed=self.p.move_speed)
            del self._receiving[i]
        if rel > 0 and along < -0.3:
            cross = tc.predict_crossing(self.table, pos, vel, spec.x)
            if cross is not None:
                return self._block(state, i, cross[1])
        return self._block(state, i, self._guard_y(spec, pos))

    def _guard_y(self, spec, pos) -> float:
        """y this rod covers when nothing is coming: the line from the ball to the own goal
        (goalie: its middle; defence: the far side), or the ball's y behind the rod."""
        if tc.rel_x(spec, pos[0]) < 0:
            return float(pos[1])
        aim = 0.0
        if spec.role == "defence":
            aim = -math.copysign(0.3 * self.table.goal.width, pos[1])
        x0, y0 = pos[0], pos[1]
        return float(y0 + (aim - y0) * (spec.x - x0) / (self.own_goal_x - x0))

    def _block(self, state, i, y) -> RodTarget:
        """Men down, a man on ``y``. Small corrections are not worth making (a player's
        hands rest), and a man resting on the ball does not crush it."""
        spec = self.table.rods[i]
        last = self._block_y.get(i)
        if last is not None and abs(y - last) < BLOCK_DEADBAND:
            y = last
        self._block_y[i] = y
        _, shift = tc.best_man(self.table, spec, y, state.shifts[i])
        return RodTarget(shift, _pose(state.angles[i], 0.0), torque=BLOCK_TORQUE,
                         max_speed=self.p.move_speed)

    def _receive(self, state, i, y) -> RodTarget:
        """Trap a ball coming from behind: the man tilted forward on its line. The trap is
        kept a while (``_position``): the player does not see at once that it worked."""
        spec = self.table.rods[i]
        _, shift = tc.best_man(self.table, spec, y, state.shifts[i])
        self._receiving[i] = (state.t, shift)
        return RodTarget(shift, _pose(state.angles[i], -self.d * TRAP_TILT),
                         torque=TRAP_TORQUE, max_speed=self.p.move_speed, max_spin=20.0)

    def _raise(self, state, i) -> RodTarget:
        """Men turned up, to the side they lean to."""
        angle = state.angles[i]
        lean = 1.0 if angle - nearest_turn(angle, 0.0) >= 0 else -1.0
        return RodTarget(state.shifts[i], _pose(angle, lean * 1.45), max_spin=40.0)

    # --------------------------------------------------------------------------- strikes
    def _plan(self, state: TableState, i: int, pos) -> Strike:
        """Choose what to do with a held ball: shoot, pass forward or tap to a neighbour.

        A ball out wide (beyond the goal mouth) on the attack or midfield rod is first
        tapped towards the middle by a good player (the attack rod drags it in before its
        shot), or, if no man can get to its outside, tapped into the wall so that it comes
        off it; a ball right on the wall is played forward along it.
        """
        spec, rng = self.table.rods[i], self.rng
        forward = [j for j in self.rods if (self.table.rods[j].x - spec.x) * self.d > 0]
        wide = abs(pos[1]) > 0.5 * self.table.goal.width + 0.01
        room = abs(pos[1]) + 0.5 * self.table.man.foot_width + self.table.ball.radius < \
            tc.man_reach(self.table, spec)  # a man can get to the outside of the ball
        inward = -math.copysign(1.0, pos[1])
        if wide and spec.role in TAP_WIDE_ROLES and rng.random() < self.p.choice:
            if room and spec.men >= 2 and spec.role not in DRAG_ROLES:  # (those drag it in)
                return sk.plan_tap(i, state, pos, inward)
            on_wall = abs(pos[1]) > self.table.half_width - self.table.ball.radius - WALL_GAP
            if not room and not on_wall:  # (a ball on the wall is played along it)
                return sk.plan_tap(i, state, pos, -inward)
        p_shot = {"attack": 1.0, "midfield": 0.3, "defence": 0.4, "goalie": 0.4}[spec.role]
        p_tap = 0.25 if spec.men >= 3 else 0.0
        u = rng.random()
        if u < p_shot or not forward:
            return self._plan_shot(state, i, pos)
        if u < p_shot + p_tap and room:
            side = inward if abs(pos[1]) > 0.05 else float(rng.choice([-1.0, 1.0]))
            return sk.plan_tap(i, state, pos, side)
        return self._plan_pass(state, i, pos, forward[0])

    def _plan_shot(self, state, i, pos) -> Strike:
        x0, y0 = float(pos[0]), float(pos[1])
        drag, man = self._drag(i, y0)
        others = [j for j in tc.rods_between(self.table, x0, self.goal_x) if j not in self.rods]
        y_t = sk.aim(self.table, self.rng, self.p.choice, state, x0, y0 + drag, self.goal_x,
                     tc.goal_targets(self.table), others)
        speed = float(self.rng.uniform(*self.p.shot_speed))
        return self._strike(state, i, pos, "shot", y_t, self.goal_x, speed, None, drag, man)

    def _drag(self, i: int, y0: float) -> tuple[float, int | None]:
        """m along y the attack rod pushes the ball before it shoots (a pull or push shot),
        0 for a shot from where the ball is. The ball is taken across the goal mouth, to a
        lane the man pushing it can reach (a ball out wide is always brought in). Returns
        the drag (m) and the man that drags and shoots (None: no drag)."""
        spec, rng = self.table.rods[i], self.rng
        half = 0.5 * self.table.goal.width
        wide = abs(y0) > half  # out wide: always brought in front of the goal first
        if spec.role not in DRAG_ROLES or (not wide and rng.random() > DRAG_SHARE):
            return 0.0, None
        direction = -math.copysign(1.0, y0) if abs(y0) > 0.3 * half else \
            float(rng.choice([-1.0, 1.0]))
        if wide:
            end = math.copysign(float(rng.uniform(0.0, 0.6 * half)), y0)
        else:
            end = y0 + direction * float(rng.uniform(*DRAG_LENGTH))
        end = max(-half, min(half, end))
        beside = 0.5 * self.table.man.foot_width + self.table.ball.radius
        start = y0 - direction * beside  # where the pushing foot starts
        man, _ = tc.best_man(self.table, spec, start, 0.0)  # the man that pushes and shoots
        off = tc.man_offsets(spec)[man]
        lo, hi = off - spec.travel, off + spec.travel  # the y that man reaches
        if not lo - 1e-4 <= start <= hi + 1e-4:  # it cannot get behind the ball
            return 0.0, None
        end = max(lo + direction * beside, min(hi + direction * beside, end))
        drag = end - y0
        return (drag, man) if drag * direction > 0.03 else (0.0, None)

    def _plan_pass(self, state, i, pos, receiver) -> Strike:
        spec_r = self.table.rods[receiver]
        x0, y0 = float(pos[0]), float(pos[1])
        reach = tc.man_reach(self.table, spec_r)
        ys = np.clip(y0 + np.linspace(-0.12, 0.12, 9), -reach, reach)
        others = [j for j in tc.rods_between(self.table, x0, spec_r.x) if j not in self.rods]
        y_t = sk.aim(self.table, self.rng, self.p.choice, state, x0, y0, spec_r.x, ys, others)
        speed = float(self.rng.uniform(*self.p.pass_speed))
        return self._strike(state, i, pos, "pass", y_t, spec_r.x, speed, receiver)

    def _strike(self, state, i, pos, kind, y_t, x_t, speed, receiver, drag=0.0,
                man=None) -> Strike:
        return sk.plan_strike(self.table, self.d, self.side, self.rng, self.p.aim_sigma,
                              self.p.offset_sigma, state, i, pos, kind, y_t, x_t, speed,
                              receiver, drag, man)

    def _strike_target(self, state: TableState, pos) -> RodTarget:
        """The striking rod's target; the strike is forgotten once it is over."""
        s = self.strike
        if s.kind == "tap":
            target, done = sk.tap_target(self.table, self.d, s, state, pos)
        else:
            target, done = sk.strike_target(self.table, self.d, s, state, pos,
                                            self._seen_vel, self._spin_estimate(state, s.rod))
        if done:
            self.strike, self.holder = None, None
        return target

    def _spin_estimate(self, state: TableState, i: int) -> float:
        """rad/s, rod ``i``'s spin from its angles at the last two control ticks."""
        prev = self._prev_angles
        if prev is None or state.t <= prev[0]:
            return 0.0
        return (state.angles[i] - prev[1][i]) / (state.t - prev[0])
