"""Game events from the ball's path and the rods: serves, kicks, wall bounces, goals.

- a **serve** is the ball coming into play after being out;
- a **goal** is the ball leaving play through a goal mouth (the team attacking that goal
  scores; the frame is when the whole ball was past the goal line): its course from where
  it was last in play crosses the goal line inside the mouth (a ball lost at rest before the
  goal, or rolling into the end wall beside it, is no goal), last seen near the mouth or a
  shot too fast to be seen again aimed into it; it stands when no ball is in play for
  ``goal_out_s`` or the next ball in play is a new one (a serve, or a false ball the path
  took: not where the lost ball could have come back to);
- a **kick** is a contact (a change of the ball's velocity) within reach of a man's foot: the
  event names his team, rod and man and the ball's speed after it; one kick per touch (a
  catch and the strike from his foot, a drag and its release, are one kick, at the larger
  change), as the simulator logs them;
- a **wall** bounce is a contact against a side or end wall.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from reconstruct.paths import OUT, SEEN
from reconstruct.smooth import SmoothPoint
from sim.men import foot_position
from sim.record import Event
from sim.table import TableSpec


class EventDetector:
    """Turns the smoothed path, frame by frame, into events.

    A kick is looked for where the smoothed path marks a contact, among the last
    ``kick_lookback_s`` seconds (the path marks a contact where the ball's new motion shows,
    often a few frames after the foot met it, under the man): the frame and man of the
    closest approach of a foot low enough to touch the ball. A ball lost for fewer than
    ``min_out_frames`` frames (blurred by the strike, or under the striking man) and found
    again moving otherwise (its velocity changed by ``gap_kick_dv`` m/s or more) was struck
    in the gap when a man of a rod that swung (by ``gap_swing`` rad or more) reached it.

    Args:
        table: the table.
        fps: frames per second.
        team_names: names of side 0 and side 1.
        kick_reach: m, how close to a man's foot a contact must be to be his kick.
        min_out_frames: frames the ball must stay out for its return to be a serve.
        goal_out_s: s the ball must stay out of play for a goal to stand (unless the ball
            found next is a new one, see ``_new_ball``).
        goal_reach_s: s, a shot lost short of the goal mouth is a goal when, at its speed
            and heading, it would have crossed the line within this (one or two frames of
            an unseen streak).
        goal_shot_speed: m/s, least speed towards the goal of such a shot.
        back_reach: m, a ball found this close to where it was lost at the goal, or within
            this of where it could have rolled back at its own speed, is the lost ball.
        goal_in_speed: m/s, a ball lost at the goal must have been seen going in this fast
            for the next ball in play to be a new one (a false sighting near the goal for a
            frame, its speed unknown, is no ball going in).
        kick_lookback_s: s before a marked contact searched for the foot that made it.
        gap_kick_dv: m/s, least velocity change across a short gap that makes a kick.
        gap_swing: rad, least angle swing of the striking rod across a short gap.
        rest_speed: m/s, a ball slower than this over the lookback and at a marked contact
            was not struck (the path marks contacts on a resting ball's jitter).
        settle_s: s after a marked contact whose motion tells what it was (the events of
            a contact come this late).
        merge_s: s, a kick marked this close after the contact of the last kick is that kick.
        touch_reach: m, a ball this close to the foot of the man who last kicked it is still
            at his foot: his next kick before it leaves him (a catch, then a strike; a drag,
            then its release) is the same touch, timed at the larger velocity change of the
            two (as the simulator logs one kick per contact).
        hold_s: s, longest touch whose kick waits for the ball to leave the man.
        wall_band: m, a ball this close to a side wall (its centre a radius and this from
            it) whose motion across the table reverses there bounced off the wall: no kick.
        bounce_keep: m/s, most change of the velocity along the wall in such a bounce.
        strike_dv: m/s, a contact changing the ball's velocity this much with no foot read
            within reach is a strike whose rod's swing was read late: the man of a rod that
            swung (by ``gap_swing`` or more) through the vertical around it, his foot taken
            at its lowest, is looked for.
    """

    def __init__(self, table: TableSpec, fps: float, team_names, kick_reach: float = 0.06,
                 min_out_frames: int = 3, goal_out_s: float = 0.15, goal_reach_s: float = 0.03,
                 goal_shot_speed: float = 2.0, back_reach: float = 0.05,
                 goal_in_speed: float = 0.1,
                 kick_lookback_s: float = 0.035,
                 gap_kick_dv: float = 1.5, gap_swing: float = 0.3, rest_speed: float = 0.1,
                 settle_s: float = 0.02, merge_s: float = 0.02, touch_reach: float = 0.045,
                 hold_s: float = 1.0, wall_band: float = 0.01, bounce_keep: float = 0.3,
                 strike_dv: float = 1.0):
        self.table = table
        self.fps = float(fps)
        self.teams = list(team_names)
        self.kick_reach = kick_reach
        self.min_out = min_out_frames
        # a goal stands once the ball has stayed out this long (a ball lost for a moment at
        # the goal line and found again is no goal)
        self.goal_out = max(1, int(round(goal_out_s * self.fps)))
        self.goal_reach_s = goal_reach_s
        self.goal_shot_speed = goal_shot_speed
        self.back_reach = back_reach
        self.goal_in_speed = goal_in_speed
        self.lookback = max(1, int(round(kick_lookback_s * self.fps)))
        self.settle = max(1, int(round(settle_s * self.fps)))
        self.merge = int(round(merge_s * self.fps))
        self.gap_dv = gap_kick_dv
        self.gap_swing = gap_swing
        self.rest_speed = rest_speed
        self.wall_band = wall_band
        self.strike_dv = strike_dv
        self.bounce_keep = bounce_keep
        self.touch_reach = touch_reach
        self.hold = max(1, int(round(hold_s * self.fps)))
        # the last kick while the ball is still at its man's foot: (kick, velocity change
        # m/s); it waits for the ball to leave him
        self._touch: tuple[Event, float] | None = None
        self._pending: Event | None = None  # a goal waiting to stand
        self._exit: tuple[int, np.ndarray, np.ndarray] | None = None  # of that goal: the
        # last frame in play, the ball there (2,) m and its velocity (2,) m/s
        self._prev: SmoothPoint | None = None
        self._out_run = 0
        self._last_in_play: SmoothPoint | None = None
        self._last_seen: SmoothPoint | None = None  # the last point the ball was seen at
        # the last frames: (frame, ball xy (2,) m, shifts (8,) m, angles (8,) rad, ball
        # velocity (2,) m/s); the ball's NaN when out
        self._hist: deque = deque(maxlen=self.lookback + self.settle + min_out_frames + 4)
        self._contacts: list[SmoothPoint] = []  # contacts marked, waiting for the motion after
        self._last_kick = -1  # frame of the last kick (no two kicks at one frame)
        self._last_contact = -(10 ** 9)  # frame of the last marked contact that made a kick
        self.score = [0, 0]

    def push(self, p: SmoothPoint, shifts: np.ndarray, angles: np.ndarray) -> list[Event]:
        """Events at the frame of ``p`` (the ball) given the rods at that frame."""
        out: list[Event] = []
        t = p.frame / self.fps
        prev = self._prev
        xy = np.full(2, np.nan) if p.state == OUT else np.asarray(p.xy, float)
        vel = np.full(2, np.nan) if p.state == OUT else np.asarray(p.vel, float)
        self._hist.append((p.frame, xy, np.asarray(shifts, float), np.asarray(angles, float),
                           vel))
        out += self._settle(p.frame)
        if self._touch is not None:
            c = self._touch[0]
            # (a ball moving off after a contact still settling may be his next kick)
            if (p.state == OUT or p.frame - c.frame > self.hold
                    or (not self._contacts and self._left_foot(c, xy, shifts, angles))):
                out.append(c)  # the ball left him: his touch is over
                self._touch = None
        if p.state == OUT:
            self._out_run += 1
            if prev is not None and prev.state != OUT and self._last_in_play is not None:
                self._pending = self._goal(self._last_in_play)
            if self._pending is not None and self._out_run >= self.goal_out:
                out.append(self._stand())
        else:
            # the lost ball went in, and a new one is in play (served)
            served = self._pending is not None and self._new_ball(p)
            if served:
                out.append(self._stand())
            self._pending = None
            short_gap = (prev is not None and prev.state == OUT and self._out_run < self.min_out
                         and self._last_in_play is not None and not served)
            if prev is None or served or (prev.state == OUT and self._out_run >= self.min_out):
                out.append(Event(p.frame, t, "serve", x=float(p.xy[0]), y=float(p.xy[1])))
            self._out_run = 0
            ev = None
            if short_gap:
                ev = self._gap_kick(self._last_in_play, p)
            elif p.contact and prev is not None and prev.state != OUT:
                self._contacts.append(p)  # decided once the motion after it is known
            if ev is not None:
                out.append(ev)
                self._last_kick, self._last_contact = ev.frame, p.frame
            self._last_in_play = p
            if p.state == SEEN:
                self._last_seen = p
        self._prev = p
        return out

    def finish(self) -> list[Event]:
        """Events still pending at the end of the video (a contact or a goal in its last
        moments)."""
        out = self._settle(None)
        if self._touch is not None:
            out.append(self._touch[0])
            self._touch = None
        if self._pending is None:
            return out
        return out + [self._stand()]

    def _stand(self) -> Event:
        """The pending goal, counted."""
        ev, self._pending = self._pending, None
        self.score[self.teams.index(ev.team)] += 1
        return ev

    def _settle(self, now: int | None) -> list[Event]:
        """Decide the contacts whose following frames are known by frame ``now`` (all of
        them when None)."""
        out = []
        while self._contacts and (now is None or now - self._contacts[0].frame >= self.settle):
            c = self._contacts.pop(0)
            found = self._contact(c)
            if found is None:
                continue
            ev, dv = found
            if ev.type != "kick":
                out.append(ev)
                continue
            if c.frame - self._last_contact <= self.merge:
                continue  # the same kick, marked twice
            self._last_kick, self._last_contact = ev.frame, c.frame
            if self._touch is not None:
                held, held_dv = self._touch
                if held.rod == ev.rod and held.man == ev.man:
                    # the ball never left him: one touch, at its larger change
                    self._touch = (ev, dv) if dv >= held_dv else self._touch
                    continue
                out.append(held)
            self._touch = (ev, dv)  # waits until the ball leaves him
        return out

    def _left_foot(self, kick: Event, xy: np.ndarray, shifts, angles) -> bool:
        """Whether the ball at ``xy`` (2,) m is away from the foot of the man of ``kick``
        (rods at ``shifts``, ``angles`` (8,))."""
        f = foot_position(self.table, kick.rod, kick.man, float(shifts[kick.rod]),
                          float(angles[kick.rod]))
        return bool(np.hypot(f[0] - xy[0], f[1] - xy[1]) > self.touch_reach)

    def _goal(self, last: SmoothPoint) -> Event | None:
        """A goal if the ball, last in play at ``last``, left play through a goal mouth:
        seen last near the mouth heading in, or shot at it too fast to be seen again
        (``_shot_in``). Keeps where it left for ``_new_ball``."""
        tb = self.table
        x, y = last.xy
        vel = self._exit_velocity(last)
        vx = vel[0]
        near_end = abs(x) > tb.half_length - 0.1
        in_mouth = abs(y) < 0.5 * tb.goal.width + tb.ball.radius
        heading = vx * np.sign(x) > -0.05
        near = near_end and in_mouth and heading and self._enters_mouth(last.xy, vel)
        if not near and not self._shot_in(last.xy, vel):
            return None
        self._exit = (last.frame, np.asarray(last.xy, float).copy(), vel)
        side_defending = 1 if x > 0 else 0
        scorer = 1 - side_defending
        frame, y_line = self._goal_frame(last, vel)
        return Event(frame, frame / self.fps, "goal", team=self.teams[scorer],
                     x=float(np.sign(x) * tb.half_length),
                     y=float(np.clip(y_line, -0.5 * tb.goal.width, 0.5 * tb.goal.width)))

    def _shot_in(self, xy: np.ndarray, vel: np.ndarray) -> bool:
        """Whether a ball at ``xy`` (2,) m moving at ``vel`` (2,) m/s, lost from there on,
        is a shot into a goal: at ``goal_shot_speed`` or more towards an end, its straight
        line crossing that goal line inside the mouth within ``goal_reach_s`` (a shot at
        10 m/s covers 170 mm between two frames at 60 fps, and a blurred streak is often
        not found: its last sighting may be mid-table)."""
        tb = self.table
        vx = float(vel[0])
        if abs(vx) < self.goal_shot_speed:
            return False
        dt = (tb.half_length - float(xy[0]) * np.sign(vx)) / abs(vx)
        if not 0.0 <= dt <= self.goal_reach_s:
            return False
        return bool(abs(xy[1] + vel[1] * dt) < 0.5 * tb.goal.width + tb.ball.radius)

    def _exit_velocity(self, last: SmoothPoint) -> np.ndarray:
        """(2,) m/s: the ball's velocity as it was lost at ``last``: the smoothed one, or
        the step from the frame before when that is much faster and the step before it
        went the same way (a shot seen twice in flight after a strike makes pieces of
        flight too short for the smoother to measure; one sighting far from a ball at rest
        is no shot)."""
        vel = np.asarray(last.vel, float)
        step, before = self._step(last), self._step(last, 1)
        if step is None or before is None:
            return vel
        s, s0 = float(np.hypot(*step)), float(np.hypot(*before))
        if s <= np.hypot(*vel) + self.goal_shot_speed:
            return vel
        # the step before may be shorter: the ball left the foot during that frame
        same_way = s0 >= s / 3 and float(np.dot(step, before)) >= 0.9 * s * s0
        return step if same_way else vel

    def _step(self, last: SmoothPoint, back: int = 0) -> np.ndarray | None:
        """(2,) m/s: the ball's displacement into frame ``last.frame - back`` from the
        frame before, times the frame rate; None when either frame has no ball."""
        f = last.frame - back
        known = {h[0]: h[1] for h in self._hist
                 if f - 1 <= h[0] <= f and np.isfinite(h[1]).all()}
        if back == 0:
            known[f] = np.asarray(last.xy, float)
        if f - 1 not in known or f not in known:
            return None
        return (known[f] - known[f - 1]) * self.fps

    def _new_ball(self, p: SmoothPoint) -> bool:
        """Whether the ball in play at ``p``, after the path lost one at a goal mouth (the
        pending goal), is another ball: not near where that one was lost (``back_reach``),
        nor where it could have rolled back to at its own speed, nor moving away from there
        fast enough to have come from it. A ball that goes in stays out until a serve, but
        the path may take a false ball (clutter on a man) a few frames after the goal."""
        if self._exit is None:
            return False
        f0, xy0, v0 = self._exit
        if v0[0] * np.sign(xy0[0]) < self.goal_in_speed:
            return False  # not seen going in: lost near the goal, no more
        gap = (p.frame - f0) / self.fps
        off = np.asarray(p.xy, float) - xy0
        d = float(np.hypot(*off))
        if d <= self.back_reach + float(np.hypot(*v0)) * gap:
            return False
        away = float(np.dot(np.asarray(p.vel, float), off)) / d  # m/s, away from the mouth
        return bool(away < 0.5 * d / gap)

    def _enters_mouth(self, xy: np.ndarray, vel: np.ndarray) -> bool:
        """Whether the ball last in play at ``xy`` (2,) m, moving at ``vel`` (2,) m/s, goes
        into the goal at its end of the table: its centre at the goal line already, or
        moving towards it (faster than ``rest_speed``) on a course that crosses the line
        between the posts. A ball the path lost at rest short of the goal (under the goalie,
        or a steady false sighting), or one rolling into the end wall beside the mouth, did
        not score."""
        tb = self.table
        x, y = (float(v) for v in xy)
        vx, vy = (float(v) for v in vel)
        half_mouth = 0.5 * tb.goal.width
        dist = tb.half_length - tb.ball.radius - abs(x)  # to where it touches the line
        if dist <= 0.0:
            return abs(y) < half_mouth
        towards = vx * np.sign(x)
        if towards < self.rest_speed:
            return False
        return abs(y + vy * dist / towards) < half_mouth

    def _goal_frame(self, last: SmoothPoint, vel: np.ndarray) -> tuple[int, float]:
        """The frame a goal scored by the ball last in play at ``last`` (moving at ``vel``
        (2,) m/s, ``_exit_velocity``) counts at, and where it crosses the goal line (y, m):
        when the whole ball is past the goal line (as the simulator and the rules count
        it), a radius after its centre reaches the line. Timed from the last sighting when
        the path went on unseen for at most ``goal_out`` frames after it: unseen points are
        the path's guess (wide_angle, full match: one carried the ball 36 mm a frame where
        it was seen moving 23 mm and then slowed at the mouth, and timed the goal 3 frames
        early)."""
        tb = self.table
        seen = self._last_seen
        if (last.state != SEEN and seen is not None and seen.state == SEEN
                and 0 < last.frame - seen.frame <= self.goal_out):
            last, vel = seen, np.asarray(seen.vel, float)
        x, y = (float(v) for v in last.xy)
        vx = float(vel[0])
        dist = tb.half_length + tb.ball.radius - abs(x)
        dt = max(dist, 0.0) / abs(vx) if abs(vx) > 0.2 else 0.0
        dt = min(dt, 0.1)
        # the first frame at which the whole ball is past the line (not the nearest one)
        return (last.frame + int(np.ceil(dt * self.fps - 1e-6)),
                y + float(vel[1]) * dt if abs(vx) > 0.2 else y)

    def _frames(self, first: int, last: int) -> list[tuple]:
        """History entries of frames ``first``..``last`` after the last kick, with the ball
        positions of a gap filled in a straight line between the known ones."""
        rows = [h for h in self._hist if max(first, self._last_kick + 1) <= h[0] <= last]
        known = [i for i, h in enumerate(rows) if np.isfinite(h[1]).all()]
        if not known:
            return []
        f = np.array([h[0] for h in rows], float)
        kf = f[known]
        kxy = np.array([rows[i][1] for i in known])
        xy = np.column_stack([np.interp(f, kf, kxy[:, 0]), np.interp(f, kf, kxy[:, 1])])
        return [(h[0], xy[i], h[2], h[3]) for i, h in enumerate(rows)]

    def _closest_foot(self, rows, reach: float, rods=None):
        """(frame, rod, man, ball xy) of the closest approach, within ``reach`` m, of a
        man's foot low enough to touch the ball, over history ``rows``; the later frame on a
        tie; None when no foot came that close."""
        tb = self.table
        best, best_d = None, reach
        for frame, (x, y), shifts, angles in rows:
            for i, rod in enumerate(tb.rods):
                if (rods is not None and i not in rods) or abs(rod.x - x) > tb.man_reach + 0.05:
                    continue
                for m in range(rod.men):
                    f = foot_position(tb, i, m, float(shifts[i]), float(angles[i]))
                    if f[2] - 0.5 * tb.man.foot_height > tb.ball.diameter + 0.01:
                        continue  # foot too high to touch the ball
                    d = np.hypot(f[0] - x, f[1] - y)
                    if d <= best_d:
                        best, best_d = (frame, i, m, (x, y)), d
        return best

    def _swung_foot(self, rows, frame: int):
        """For a strike marked at ``frame`` that no foot was read within reach of: the
        closest approach, over history ``rows``, of a man of a rod that swung around it
        (from the lookback before it to the settling after it), his foot taken at its lowest
        in the swing, as it passed the ball (the read angles of a fast swing lag it
        and may never show the foot at the ball); the latest frame within reach. None when
        no swung rod reached the ball."""
        span = [h[3] for h in self._hist
                if frame - self.lookback - 2 <= h[0] <= frame + self.settle]
        if len(span) < 2 or not rows:
            return None
        span = np.array(span)
        lo, hi = span.min(axis=0), span.max(axis=0)
        rods = np.flatnonzero(hi - lo >= self.gap_swing)
        if not len(rods):
            return None
        # the lowest the foot went: the angle of the swing nearest a vertical
        mid = 2 * np.pi * np.round(0.5 * (lo + hi) / (2 * np.pi))
        vertical = np.clip(mid, lo, hi)
        swept = []
        for f, xy, shifts, angles in rows:
            a = np.array(angles, float)
            a[rods] = vertical[rods]
            swept.append((f, xy, shifts, a))
        found = None
        for row in swept:  # the latest frame with a swung foot within reach
            found = self._closest_foot([row], self.kick_reach, rods=set(rods.tolist())) or found
        return found

    def _kick(self, found, speed: float) -> Event:
        frame, i, m, (x, y) = found
        return Event(frame, frame / self.fps, "kick", team=self.teams[self.table.rods[i].side],
                     rod=i, man=m, speed=speed, x=float(x), y=float(y))

    def _contact(self, p: SmoothPoint) -> tuple[Event, float] | None:
        """The kick (or wall bounce) of a contact the path marked at ``p`` and the ball's
        velocity change there, m/s."""
        tb = self.table
        x, y = p.xy
        before = [h[4] for h in self._hist if p.frame - self.lookback <= h[0] < p.frame]
        after = [h[4] for h in self._hist if p.frame <= h[0] <= p.frame + self.settle]
        before = np.array([v for v in before if np.isfinite(v).all()]).reshape(-1, 2)
        after = np.array([v for v in after if np.isfinite(v).all()]).reshape(-1, 2)
        speeds = np.linalg.norm(np.vstack([before, after]), axis=1)
        if not len(speeds) or speeds.max() < self.rest_speed:
            return None  # at rest before and after: nothing struck it
        speed = float(np.linalg.norm(after, axis=1).max()) if len(after) else 0.0
        dv = (float(np.linalg.norm(after.mean(axis=0) - before.mean(axis=0)))
              if len(after) and len(before) else speed)
        r = tb.ball.radius
        wall = Event(p.frame, p.frame / self.fps, "wall", speed=speed, x=float(x), y=float(y))
        if len(after) and len(before) and self._bounced(x, y, before[-1], after[-1]):
            return wall, dv  # a bounce off the wall it was at, whoever stood near
        rows = self._frames(p.frame - self.lookback, p.frame)
        if rows and rows[-1][0] == p.frame:
            # at the marked frame the ball already moved on for up to a frame: it was met
            # a frame back along its new motion
            f, xy_c, sh, an = rows[-1]
            rows[-1] = (f, np.asarray(xy_c) - np.asarray(p.vel) / self.fps, sh, an)
        found = self._closest_foot(rows, self.kick_reach)
        if found is None and dv >= self.strike_dv:
            found = self._swung_foot(rows, p.frame)
        if found is not None:
            return self._kick(found, speed), dv
        if abs(y) > tb.half_width - r - 0.02 or abs(x) > tb.half_length - r - 0.02:
            return wall, dv
        return None

    def _bounced(self, x: float, y: float, v0: np.ndarray, v1: np.ndarray) -> bool:
        """Whether velocity ``v0`` (2,) m/s turning into ``v1`` at ``(x, y)`` m is a bounce
        off a side wall: the ball at the wall, its motion across the table reversed there
        (into the wall before, away from it after) and along the wall about kept."""
        tb = self.table
        if abs(y) <= tb.half_width - tb.ball.radius - self.wall_band:
            return False
        side = np.sign(y)
        return bool(v0[1] * side > 0.0 and v1[1] * side < 0.0
                    and abs(v1[0] - v0[0]) < self.bounce_keep)

    def _gap_kick(self, before: SmoothPoint, after: SmoothPoint) -> Event | None:
        """A kick in a short gap of the path between ``before`` and ``after``: the ball's
        velocity changed across it, next to a man of a rod that swung."""
        if np.linalg.norm(np.asarray(after.vel) - np.asarray(before.vel)) < self.gap_dv:
            return None
        rows = self._frames(before.frame, after.frame)
        span = [h[3] for h in self._hist if before.frame - 2 <= h[0] <= after.frame]
        if not rows or len(span) < 2:
            return None
        span = np.array(span)
        swung = np.flatnonzero(span.max(axis=0) - span.min(axis=0) >= self.gap_swing)
        found = self._closest_foot(rows, self.kick_reach, rods=set(swung.tolist()))
        return None if found is None else self._kick(found, float(np.linalg.norm(after.vel)))
