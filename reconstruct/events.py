"""Game events from the ball's path and the rods: serves, kicks, wall bounces, goals.

- a **serve** is the ball coming into play after being out;
- a **goal** is the ball leaving play through a goal mouth (the team attacking that goal
  scores; the frame is when it crossed the goal line);
- a **kick** is a contact (a change of the ball's velocity) within reach of a man's foot: the
  event names his team, rod and man and the ball's speed after it;
- a **wall** bounce is a contact against a side or end wall.
"""

from __future__ import annotations

import numpy as np

from reconstruct.paths import OUT
from reconstruct.smooth import SmoothPoint
from sim.men import foot_position
from sim.record import Event
from sim.table import TableSpec


class EventDetector:
    """Turns the smoothed path, frame by frame, into events.

    Args:
        table: the table.
        fps: frames per second.
        team_names: names of side 0 and side 1.
        kick_reach: m, how close to a man's foot a contact must be to be his kick.
    """

    def __init__(self, table: TableSpec, fps: float, team_names, kick_reach: float = 0.06,
                 min_out_frames: int = 3, goal_out_s: float = 0.15):
        self.table = table
        self.fps = float(fps)
        self.teams = list(team_names)
        self.kick_reach = kick_reach
        self.min_out = min_out_frames
        # a goal stands once the ball has stayed out this long (a ball lost for a moment at
        # the goal line and found again is no goal)
        self.goal_out = max(1, int(round(goal_out_s * self.fps)))
        self._pending: Event | None = None
        self._prev: SmoothPoint | None = None
        self._out_run = 0
        self._last_in_play: SmoothPoint | None = None
        self.score = [0, 0]

    def push(self, p: SmoothPoint, shifts: np.ndarray, angles: np.ndarray) -> list[Event]:
        """Events at the frame of ``p`` (the ball) given the rods at that frame."""
        out: list[Event] = []
        t = p.frame / self.fps
        prev = self._prev
        if p.state == OUT:
            self._out_run += 1
            if prev is not None and prev.state != OUT and self._last_in_play is not None:
                self._pending = self._goal(self._last_in_play)
            if self._pending is not None and self._out_run >= self.goal_out:
                out.append(self._pending)
                self.score[self.teams.index(self._pending.team)] += 1
                self._pending = None
        else:
            self._pending = None
            if prev is None or (prev.state == OUT and self._out_run >= self.min_out):
                out.append(Event(p.frame, t, "serve", x=float(p.xy[0]), y=float(p.xy[1])))
            self._out_run = 0
            if p.contact and prev is not None and prev.state != OUT:
                ev = self._contact(p, t, shifts, angles)
                if ev is not None:
                    out.append(ev)
            self._last_in_play = p
        self._prev = p
        return out

    def finish(self) -> list[Event]:
        """Events still pending at the end of the video (a goal in its last moments)."""
        if self._pending is None:
            return []
        ev, self._pending = self._pending, None
        self.score[self.teams.index(ev.team)] += 1
        return [ev]

    def _goal(self, last: SmoothPoint) -> Event | None:
        """A goal if the ball left play through a goal mouth."""
        tb = self.table
        x, y = last.xy
        vx = last.vel[0]
        near_end = abs(x) > tb.half_length - 0.1
        in_mouth = abs(y) < 0.5 * tb.goal.width + tb.ball.radius
        heading = vx * np.sign(x) > -0.05
        if not (near_end and in_mouth and heading):
            return None
        side_defending = 1 if x > 0 else 0
        scorer = 1 - side_defending
        dist = tb.half_length - abs(x)
        dt = dist / abs(vx) if abs(vx) > 0.2 else 0.0
        frame = last.frame + int(round(min(dt, 0.1) * self.fps))
        return Event(frame, frame / self.fps, "goal", team=self.teams[scorer],
                     x=float(np.sign(x) * tb.half_length), y=float(y))

    def _contact(self, p: SmoothPoint, t: float, shifts, angles) -> Event | None:
        tb = self.table
        x, y = p.xy
        speed = float(np.linalg.norm(p.vel))
        best, best_d = None, self.kick_reach
        for i, rod in enumerate(tb.rods):
            if abs(rod.x - x) > tb.man_reach + 0.05:
                continue
            for m in range(rod.men):
                f = foot_position(tb, i, m, float(shifts[i]), float(angles[i]))
                if f[2] - 0.5 * tb.man.foot_height > tb.ball.diameter + 0.01:
                    continue  # foot too high to touch the ball
                d = np.hypot(f[0] - x, f[1] - y)
                if d < best_d:
                    best, best_d = (i, m), d
        if best is not None:
            i, m = best
            return Event(p.frame, t, "kick", team=self.teams[tb.rods[i].side], rod=i, man=m,
                         speed=speed, x=float(x), y=float(y))
        r = tb.ball.radius
        if abs(y) > tb.half_width - r - 0.02 or abs(x) > tb.half_length - r - 0.02:
            return Event(p.frame, t, "wall", speed=speed, x=float(x), y=float(y))
        return None
