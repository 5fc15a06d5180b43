"""A game record made ready to play back: states at any instant, the ball's trail, and what
the replay's overlay shows (time, score, last shot).

``Timeline.from_record`` reads the frames once into arrays:

| array | shape | unit | unknown cells |
|---|---|---|---|
| ``t`` | (N,) | s | (never unknown) |
| ``ball`` | (N, 3) | m, table frame | NaN: no ball drawn at that frame |
| ``shifts`` | (N, 8) | m | hold the last known value (the first known before it) |
| ``angles`` | (N, 8) | rad, unwrapped | as ``shifts`` |

``state_at(t)`` interpolates between the two frames around ``t`` (rods linearly, angles the
short way round; the ball linearly when both frames know it, else the nearer frame's), so a
replay is smooth at any speed and a frame with an unknown ball shows none.

The overlay comes from the events: the score from ``goal`` events, the last shot from
``kick`` events of ``speed >= shot_speed`` (the caller passes the statistics' threshold).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.record import N_RODS, Record, RecordError
from sim.state import TableState

TRAIL_SECONDS = 0.3  # s, the ball's fading trail


@dataclass(frozen=True)
class Goal:
    t: float  # s
    team: str


@dataclass(frozen=True)
class ShotMark:
    """A shot shown by the overlay: time (s), team, rod (or None) and speed (m/s)."""

    t: float
    team: str
    rod: int | None
    speed: float


@dataclass(frozen=True)
class OverlayInfo:
    """What the overlay shows at one instant.

    Attributes:
        t: s, from the record's start. duration: s.
        teams: names of side 0 and side 1. score: goals of side 0 and side 1 so far.
        last_shot: the latest shot at or before ``t`` (None: none yet).
    """

    t: float
    duration: float
    teams: tuple[str, str]
    score: tuple[int, int]
    last_shot: ShotMark | None

    def time_text(self) -> str:
        return f"{_clock(self.t)} / {_clock(self.duration)}"

    def score_text(self) -> str:
        return f"{self.teams[0]} {self.score[0]} : {self.score[1]} {self.teams[1]}"

    def shot_text(self) -> str:
        s = self.last_shot
        if s is None:
            return "last shot: -"
        who = f" ({s.team}" + (f", rod {s.rod})" if s.rod is not None else ")") if s.team else ""
        return f"last shot: {s.speed:.1f} m/s{who}"


def _clock(t: float) -> str:
    m, s = divmod(max(0.0, t), 60.0)
    return f"{int(m)}:{s:05.2f}"


@dataclass(frozen=True)
class Timeline:
    """A record's motion as arrays (see the module docstring for shapes and units).

    Attributes:
        fps: frames per second of the record. teams: names of side 0 and side 1.
        goals, shots: in time order.
    """

    t: np.ndarray
    ball: np.ndarray
    shifts: np.ndarray
    angles: np.ndarray
    fps: float
    teams: tuple[str, str] = ("red", "blue")
    goals: tuple[Goal, ...] = ()
    shots: tuple[ShotMark, ...] = ()
    _goal_t: np.ndarray = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.t)
        if n == 0:
            raise RecordError("the record has no frames: nothing to replay")
        for name, shape in (("ball", (n, 3)), ("shifts", (n, N_RODS)), ("angles", (n, N_RODS))):
            if getattr(self, name).shape != shape:
                raise ValueError(f"Timeline.{name} must be {shape}, got "
                                 f"{getattr(self, name).shape}")
        if not np.all(np.diff(self.t) > 0):
            raise RecordError("frame times must increase: the record's t column is not sorted")
        object.__setattr__(self, "_goal_t", np.array([g.t for g in self.goals], float))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_record(cls, rec: Record, shot_speed: float = 4.0) -> Timeline:
        """The timeline of ``rec``; shots are kicks of at least ``shot_speed`` m/s."""
        n = rec.n_frames
        if n == 0:
            raise RecordError(f"{rec.path} has no frames: nothing to replay")
        f = rec.frames
        t = np.asarray(f["t"], float) if "t" in f else np.arange(n) / rec.fps
        if not np.all(np.isfinite(t)):
            t = np.arange(n) / rec.fps
        nan = np.full(n, np.nan)
        ball = np.stack([np.asarray(f.get(c, nan), float) for c in ("ball_x", "ball_y", "ball_z")],
                        axis=1)
        ball[~np.all(np.isfinite(ball), axis=1)] = np.nan
        shifts = hold_last(np.stack([np.asarray(f.get(f"rod{i}_shift", nan), float)
                                     for i in range(N_RODS)], axis=1))
        angles = hold_last(np.stack([np.asarray(f.get(f"rod{i}_angle", nan), float)
                                     for i in range(N_RODS)], axis=1))
        teams = _team_names(rec)
        goals = tuple(Goal(e.t, e.team) for e in sorted(rec.events_of("goal"), key=lambda e: e.t))
        shots = tuple(ShotMark(e.t, e.team, e.rod, float(e.speed))
                      for e in sorted(rec.events_of("kick"), key=lambda e: e.t)
                      if e.speed is not None and e.speed >= shot_speed)
        return cls(t, ball, shifts, angles, rec.fps, teams, goals, shots)

    # ------------------------------------------------------------------ time
    @property
    def n_frames(self) -> int:
        return len(self.t)

    @property
    def start(self) -> float:
        """s, the first frame's time."""
        return float(self.t[0])

    @property
    def end(self) -> float:
        """s, the last frame's time."""
        return float(self.t[-1])

    @property
    def duration(self) -> float:
        """s, the time the record covers: one frame period per frame."""
        return self.n_frames / self.fps

    def frame_at(self, t: float) -> int:
        """Index of the last frame at or before ``t`` (0 before the first)."""
        i = int(np.searchsorted(self.t, t, side="right")) - 1
        return min(max(i, 0), self.n_frames - 1)  # (scalars: np.clip is slow)

    def _bracket(self, t: float) -> tuple[int, int, float]:
        i = self.frame_at(t)
        j = min(i + 1, self.n_frames - 1)
        if j == i:
            return i, j, 0.0
        w = min(max(float((t - self.t[i]) / (self.t[j] - self.t[i])), 0.0), 1.0)
        return i, j, w

    # ------------------------------------------------------------------ states
    def state_at(self, t: float) -> TableState:
        """Everything at time ``t`` (s), interpolated; the ball is NaN where unknown."""
        i, j, w = self._bracket(t)
        da = np.angle(np.exp(1j * (self.angles[j] - self.angles[i])))  # the short way round
        ball = self.ball_at(t)
        return TableState(
            t=float(t), ball=ball, ball_vel=np.zeros(3),
            shifts=self.shifts[i] + w * (self.shifts[j] - self.shifts[i]),
            angles=self.angles[i] + w * da, in_play=bool(np.isfinite(ball[0])))

    def ball_at(self, t: float) -> np.ndarray:
        """(3,) m: the ball at ``t``; NaN when the nearer frame does not know it."""
        i, j, w = self._bracket(t)
        a, b = self.ball[i], self.ball[j]
        if np.isfinite(a[0]) and np.isfinite(b[0]):
            return a + w * (b - a)
        return (a if w < 0.5 else b).copy()

    def trail(self, t: float, seconds: float = TRAIL_SECONDS) -> tuple[np.ndarray, np.ndarray]:
        """The ball's path over the last ``seconds`` before ``t``.

        Returns:
            points (K, 3) m, oldest first, ending at ``ball_at(t)``; NaN rows break the
            path where the ball was unknown. ages (K,) s, ``t`` minus each point's time.
        """
        lo = np.searchsorted(self.t, t - seconds, side="left")
        hi = np.searchsorted(self.t, t, side="right")
        times = np.append(self.t[lo:hi], t)
        pts = np.vstack([self.ball[lo:hi], self.ball_at(t)[None]])
        if lo > 0 and lo < self.n_frames:  # start exactly ``seconds`` ago, interpolated
            times = np.insert(times, 0, t - seconds)
            pts = np.vstack([self.ball_at(t - seconds)[None], pts])
        return pts, t - times

    def ball_near(self, t: float, seconds: float = 0.15) -> np.ndarray | None:
        """(3,) m: a steady point to follow the ball by: the known ball positions of the
        frames within ``seconds`` of ``t`` (before and after: no lag), weighted by a
        triangle; the nearest known one when none is that close; None if none at all."""
        lo = np.searchsorted(self.t, t - seconds, side="left")
        hi = np.searchsorted(self.t, t + seconds, side="right")
        pts = self.ball[lo:hi]
        weight = np.clip(1.0 - np.abs(self.t[lo:hi] - t) / seconds, 0.0, None)
        ok = np.isfinite(pts[:, 0]) & (weight > 0)
        if ok.any():
            return (weight[ok, None] * pts[ok]).sum(axis=0) / weight[ok].sum()
        known = np.flatnonzero(np.isfinite(self.ball[:, 0]))
        if len(known) == 0:
            return None
        return self.ball[known[np.argmin(np.abs(self.t[known] - t))]].copy()

    # ------------------------------------------------------------------ overlay
    def score_at(self, t: float) -> tuple[int, int]:
        """Goals of side 0 and side 1 scored at or before ``t``."""
        done = [g for g in self.goals if g.t <= t + 1e-9]
        return (sum(g.team == self.teams[0] for g in done),
                sum(g.team == self.teams[1] for g in done))

    def last_shot(self, t: float) -> ShotMark | None:
        """The latest shot at or before ``t`` (None: none yet)."""
        before = [s for s in self.shots if s.t <= t + 1e-9]
        return before[-1] if before else None

    def overlay(self, t: float) -> OverlayInfo:
        return OverlayInfo(t - self.start, self.duration, self.teams, self.score_at(t),
                           self.last_shot(t))


def hold_last(values: np.ndarray) -> np.ndarray:
    """Fill unknown cells (NaN) down each column with the last known value; cells before a
    column's first known value take that value; a column never known becomes 0.

    Args:
        values: (N, K) float.

    Returns:
        (N, K) float64, all finite.
    """
    v = np.array(values, float)
    n = len(v)
    for k in range(v.shape[1]):
        col = v[:, k]
        ok = np.isfinite(col)
        if not ok.any():
            col[:] = 0.0
            continue
        idx = np.where(ok, np.arange(n), -1)
        np.maximum.accumulate(idx, out=idx)
        idx[idx < 0] = np.flatnonzero(ok)[0]
        v[:, k] = col[idx]
    return v


def _team_names(rec: Record) -> tuple[str, str]:
    names = ["red", "blue"]
    for team in rec.teams:
        side = int(team.get("side", -1))
        if side in (0, 1) and team.get("name"):
            names[side] = str(team["name"])
    return names[0], names[1]
