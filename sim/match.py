"""A match: serves, play, goals, dead balls and the events they make.

``Match`` runs two ``Team``s on a ``TablePhysics`` at the physics rate. It serves at
midfield (towards the serving team's 5-bar; first serve random, then the team that
conceded), plays until a goal or a dead ball (the ball at rest out of every man's reach, the
ball off the table, or no kick for ``STALEMATE`` s), takes the ball out of play for
``PAUSE`` s and serves again, and ends after ``goals`` goals or ``duration`` s.

Events (``sim.record.Event``, with ``frame = -1``: the caller fills it in at its camera rate):

- ``serve``: the ball is put in play; ``team`` serves.
- ``kick``: a man touched the ball (``team``, ``rod``, ``man`` of that man, ``speed`` = ball
  speed just after, ``x, y`` where the contact began). Every contact of a man that changes
  the ball's motion or takes control of it is one kick:

  - a **strike**: the ball's velocity changed by at least ``KICK_DV`` m/s within
    ``KICK_WINDOW`` s of the man's contact (a shot, a pass, a hard block); the kick's time is
    the physics step of the largest change;
  - a **soft touch**: a longer or gentler contact with no strike in it (a stop, a trap, a
    block of a slow ball, a pin, a drag or carry): over the whole contact (breaks shorter than
    ``TOUCH_GAP`` s joined) the ball's velocity departed from its velocity before the contact
    by at least ``TOUCH_DV`` m/s, or the ball and the man's rod moved together at least
    ``TOUCH_CARRY`` m along y. It is judged once the contact has lasted ``TOUCH_WINDOW`` s or
    has ended (a strike early in a contact makes it a strike only), and timed, like a
    strike, at the step of the largest change of the ball's velocity in it up to then. A
    contact that begins within ``TOUCH_MERGE`` s of the same man's last kick is part of that
    kick (the ball stopped by a foot meets it again, a trapped ball rolls on under it).

  A contact that leaves the ball's motion as it was (a ball resting against a still man, a
  graze) is no kick.
- ``wall``: the ball bounced off a side or end wall (approach speed at least ``WALL_DV``).
- ``goal``: the whole ball crossed a goal line inside the mouth; ``team`` scored.
- ``out``: the ball left play without a goal (off the table, dead or stalemate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim import tactics as tc
from sim.physics import TablePhysics
from sim.players import Team
from sim.record import Event
from sim.state import TableState

CONTROL_DT = 0.004  # s between two control ticks of the players
PAUSE = 1.0  # s, ball out of play between a goal (or a dead ball) and the next serve
DEAD_TIME = 1.5  # s at rest out of reach before a ball is dead
STALEMATE = 10.0  # s without a kick before the ball is taken out
KICK_DV = 0.5  # m/s, velocity change that makes a man's touch a kick
KICK_WINDOW = 0.02  # s, a contact episode is judged over at most this long
TOUCH_DV = 0.15  # m/s, velocity change over a whole contact that makes it a (soft) touch
TOUCH_CARRY = 0.02  # m, the ball and the man's rod moved together this far along y: a carry
TOUCH_WINDOW = 0.1  # s, a contact without a strike is judged as a touch after this long
TOUCH_GAP = 0.02  # s, breaks of a man's contact shorter than this are one contact
TOUCH_MERGE = 0.1  # s, a soft touch beginning this soon after the same man's kick is that kick
WALL_DV = 0.3  # m/s, approach speed that makes a wall contact a bounce
SERVE_SPEED = (0.25, 0.5)  # m/s, the served ball rolls towards the server's 5-bar


@dataclass
class _Episode:
    """A man's contact with the ball, judged after ``KICK_WINDOW`` or when it ends."""

    rod: int
    man: int
    t0: float
    v0: np.ndarray
    pos: np.ndarray
    last_seen: float
    best_dv: float = 0.0
    t_best: float = 0.0


@dataclass
class _Contact:
    """A man's whole contact with the ball, judged as a soft touch (see the module docstring).

    ``v0`` (3,) m/s is the ball's velocity just before it, ``pos`` (3,) m the ball where it
    began, ``shift0`` m the rod's shift then; ``change`` m/s the largest departure of the
    ball's velocity from ``v0`` at a step of the contact; ``vel`` (3,) m/s, ``y`` m and
    ``shift`` m the ball's velocity, the ball's y and the rod's shift at its last step;
    ``logged`` once a kick (strike or touch) of this contact is logged.
    """

    rod: int
    man: int
    t0: float
    v0: np.ndarray
    pos: np.ndarray
    shift0: float
    last_seen: float
    best_dv: float = 0.0
    t_best: float = 0.0
    change: float = 0.0
    vel: np.ndarray | None = None
    y: float = 0.0
    shift: float = 0.0
    logged: bool = False


@dataclass
class Score:
    goals: list[int] = field(default_factory=lambda: [0, 0])  # by side


class Match:
    """One match on ``physics`` (see the module docstring).

    Args:
        physics: the table's physics (any state: the match serves first).
        skills: skill of side 0 and side 1, 0..1.
        team_names: names of side 0 and side 1.
        rng: the match's generator; each team gets its own stream from it.
        duration: s, the longest the match lasts. goals: end after this many goals (None:
            play the whole duration).
        players: False leaves the rods to the caller and serves only through ``put_ball``
            (scripted scenes: the events are detected all the same).
    """

    def __init__(self, physics: TablePhysics, skills, team_names, rng: np.random.Generator,
                 duration: float, goals: int | None = None, players: bool = True):
        self.ph, self.table = physics, physics.table
        self.names = tuple(team_names)
        self.rng = rng
        team_rngs = rng.spawn(2)
        self.teams = [Team(self.table, s, skills[s], team_rngs[s], CONTROL_DT) for s in (0, 1)]
        self.duration, self.max_goals = float(duration), goals
        self.players = players
        self.score = Score()
        self.in_play = False
        self.finished = False
        self.last_touch: int | None = None
        self._tick = max(1, int(round(CONTROL_DT * physics.rate_hz)))
        self._serve_at = 0.0 if players else math.inf
        self._server = int(rng.integers(2))
        self._episodes: dict[tuple[int, int], _Episode] = {}
        self._touches: dict[tuple[int, int], _Contact] = {}
        self._kicked: dict[tuple[int, int], float] = {}  # s, time of each man's last kick
        self._wall_last = -1.0
        self._still_since: float | None = None
        self._last_kick_t = 0.0
        self._end_at: float | None = None
        self._prev_vel = physics.ball_velocity()
        self.events: list[Event] = []  # every event so far, in the order made

    # ----------------------------------------------------------------------------- step
    def serve_if_due(self) -> list[Event]:
        """Serve now if the pause is over (call before ``step``: it moves the ball)."""
        if not self.in_play and not self.finished and self.ph.t >= self._serve_at - 1e-9:
            event = self._serve()
            self.events.append(event)
            return [event]
        return []

    def step(self) -> list[Event]:
        """Advance one physics step; return the events that step produced (time order)."""
        ph, new = self.ph, []
        if self.players and self.in_play and ph.steps % self._tick == 0:
            state = ph.state(True)
            targets = [None] * 8
            for team in self.teams:
                for i, target in team.control(state, self.last_touch).items():
                    targets[i] = target
            ph.set_rod_targets(targets)
        ph.step()
        if self.in_play:
            new.extend(self._contacts())
            new.extend(self._goal_or_out())
        self._prev_vel = ph.ball_velocity()
        if self._end_at is None and ph.t >= self.duration - 1e-9:
            self._end_at = ph.t
        if self._end_at is not None and ph.t >= self._end_at - 1e-9:
            self.finished = True
        new.sort(key=lambda e: e.t)
        self.events.extend(new)
        return new

    def state(self) -> TableState:
        return self.ph.state(self.in_play)

    def settled_until(self) -> float:
        """s: no event made from now on is timed before this (a contact still being judged
        may yet make a kick timed at or after its start)."""
        return min((c.t0 for c in self._touches.values() if not c.logged), default=self.ph.t)

    # ---------------------------------------------------------------------------- serve
    def _serve(self) -> Event:
        ph, side = self.ph, self._server
        five = [r for r in self.table.rods_of_side(side) if r.role == "midfield"][0]
        y = float(self.rng.uniform(-0.15, 0.15))
        speed = float(self.rng.uniform(*SERVE_SPEED))
        direction = -five.attack_direction  # rolls towards the server's 5-bar
        ph.set_ball((0.0, y, self.table.ball.radius), (direction * speed, 0.0, 0.0))
        for team in self.teams:
            team.reset()
        self.in_play, self.last_touch = True, None
        self._episodes.clear()
        self._touches.clear()
        self._kicked.clear()
        self._still_since, self._last_kick_t = None, ph.t
        self._prev_vel = ph.ball_velocity()
        return Event(-1, ph.t, "serve", self.names[side], x=0.0, y=y, speed=speed)

    def put_ball(self, position, velocity=(0.0, 0.0, 0.0)) -> None:
        """Put the ball in play at ``position`` (3,) m with ``velocity`` (3,) m/s, no serve."""
        self.ph.set_ball(position, velocity)
        for team in self.teams:
            team.reset()
        self.in_play, self.last_touch = True, None
        self._episodes.clear()
        self._touches.clear()
        self._kicked.clear()
        self._still_since, self._last_kick_t = None, self.ph.t
        self._prev_vel = self.ph.ball_velocity()

    def _stop_play(self, next_server: int) -> None:
        self.in_play = False
        self._server = next_server
        self._serve_at = self.ph.t + PAUSE if self.players else math.inf
        for team in self.teams:
            team.reset()

    # ------------------------------------------------------------------------- contacts
    def _contacts(self) -> list[Event]:
        ph, t, out = self.ph, self.ph.t, []
        vel = ph.ball_velocity()
        dv = vel - self._prev_vel
        dv_step = math.sqrt(dv @ dv)
        for c in ph.ball_contacts(floor=False):
            if c.kind == "man":
                key = (c.rod, c.man)
                ep = self._episodes.get(key)
                if ep is None:
                    ep = _Episode(c.rod, c.man, t, self._prev_vel.copy(), ph.ball_position(), t)
                    self._episodes[key] = ep
                ep.last_seen = t
                if dv_step > ep.best_dv:
                    ep.best_dv, ep.t_best = dv_step, t
                whole = self._touches.get(key)
                if whole is None:
                    whole = _Contact(c.rod, c.man, t, self._prev_vel.copy(), ph.ball_position(),
                                     ph.rod_shift(c.rod), t)
                    self._touches[key] = whole
                if dv_step > whole.best_dv:
                    whole.best_dv, whole.t_best = dv_step, t
                if whole.last_seen < t or whole.vel is None:  # once a step
                    d = vel - whole.v0
                    whole.change = max(whole.change, math.sqrt(d @ d))
                    whole.vel, whole.y, whole.shift = vel, float(ph.ball_position()[1]), \
                        ph.rod_shift(c.rod)
                whole.last_seen = t
            elif c.kind == "wall" and t - self._wall_last > 0.03:
                approach = -float(self._prev_vel @ c.normal)
                if approach >= WALL_DV:
                    self._wall_last = t
                    p = ph.ball_position()
                    out.append(Event(-1, t, "wall", speed=float(np.linalg.norm(vel)),
                                     x=float(p[0]), y=float(p[1])))
        for key, ep in list(self._episodes.items()):
            ended = t - ep.last_seen > 2.5 / ph.rate_hz
            if ended or t - ep.t0 >= KICK_WINDOW:
                del self._episodes[key]
                event = self._judge(ep, vel)
                if event is not None:
                    out.append(event)
                    whole = self._touches.get(key)
                    if whole is not None:
                        whole.logged = True  # a strike: the contact is no soft touch
        for key, whole in list(self._touches.items()):
            ended = t - whole.last_seen > TOUCH_GAP
            if not whole.logged and (ended or t - whole.t0 >= TOUCH_WINDOW):
                event = self._judge_touch(whole)
                if event is not None:
                    out.append(event)
            if ended:
                del self._touches[key]
        return out

    def _judge(self, ep: _Episode, vel: np.ndarray) -> Event | None:
        if float(np.linalg.norm(vel - ep.v0)) < KICK_DV:
            return None
        side = self.table.rods[ep.rod].side
        self.last_touch, self._last_kick_t = side, ep.t_best
        self._kicked[ep.rod, ep.man] = ep.t_best
        return Event(-1, ep.t_best, "kick", self.names[side], ep.rod, ep.man,
                     float(np.linalg.norm(vel)), float(ep.pos[0]), float(ep.pos[1]))

    def _judge_touch(self, c: _Contact) -> Event | None:
        """The kick of a soft touch, if contact ``c`` (no strike in it) is one by now.

        The players' ``last_touch`` and the stalemate clock stay with strikes: what the
        simulated players do (and so what a seed plays) does not depend on soft touches.
        """
        changed = c.change >= TOUCH_DV
        moved, shifted = c.y - float(c.pos[1]), c.shift - c.shift0
        carried = abs(moved) >= TOUCH_CARRY and abs(shifted) >= TOUCH_CARRY and moved * shifted > 0
        if not (changed or carried):
            return None
        c.logged = True
        if c.t0 - self._kicked.get((c.rod, c.man), -math.inf) < TOUCH_MERGE:
            return None  # the same man's last kick, going on
        self._kicked[c.rod, c.man] = c.t_best
        side = self.table.rods[c.rod].side
        return Event(-1, c.t_best, "kick", self.names[side], c.rod, c.man,
                     float(np.linalg.norm(c.vel)), float(c.pos[0]), float(c.pos[1]))

    # ---------------------------------------------------------------------- goal / out
    def _goal_or_out(self) -> list[Event]:
        ph, tb, t = self.ph, self.table, self.ph.t
        p, r = ph.ball_position(), tb.ball.radius
        if abs(p[0]) > tb.half_length + r and abs(p[1]) < 0.5 * tb.goal.width:
            scorer = 0 if p[0] > 0 else 1
            self.score.goals[scorer] += 1
            self._stop_play(next_server=1 - scorer)
            self._catch_in_goal(p)
            if self.max_goals is not None and sum(self.score.goals) >= self.max_goals:
                self._end_at = min(t + 0.5, self.duration)
            return [Event(-1, t, "goal", self.names[scorer], x=float(p[0]), y=float(p[1]))]
        off = (abs(p[0]) > tb.half_length + r or abs(p[1]) > tb.half_width + r
               or p[2] > tb.wall_height + r or p[2] < -r)
        if off or self._dead(p) or t - self._last_kick_t > STALEMATE:
            self._stop_play(next_server=int(self.rng.integers(2)))
            return [Event(-1, t, "out", x=float(p[0]), y=float(p[1]))]
        return []

    def _catch_in_goal(self, p) -> None:
        """A scored ball stays in the goal (on a real table it drops into the return chute):
        it is laid at rest at the back of the goal box, under its lid, until the next serve,
        rather than bouncing back onto the field as a ball out of play that a camera sees."""
        tb, r = self.table, self.table.ball.radius
        x = math.copysign(tb.half_length + tb.goal.depth - r - 0.002, p[0])
        y = float(np.clip(p[1], -0.5 * tb.goal.width + r, 0.5 * tb.goal.width - r))
        self.ph.set_ball((x, y, r))

    def _dead(self, p) -> bool:
        """Whether the ball has been at rest out of every man's reach for ``DEAD_TIME``."""
        t = self.ph.t
        v = self.ph.ball_velocity()
        if v[0] * v[0] + v[1] * v[1] > 0.05 ** 2:
            self._still_since = None
            return False
        if self._still_since is None:
            self._still_since = t
        if t - self._still_since < DEAD_TIME:
            return False
        return not any(abs(p[0] - rod.x) < tc.FOOT_REACH_X and tc.reachable(self.table, rod, p[1])
                       for rod in self.table.rods)
