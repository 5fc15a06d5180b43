"""Game statistics from a game record: score, shots, passes, possession, heatmap, rules.

Everything is computed from a record's frames and events (``sim.record``), so the same
functions describe a simulated match's truth and a tracked game, and their figures can be
compared.

Definitions:

- a **touch** is a ``kick`` event: a man's contact that changed the ball's motion or took
  control of it (a strike, a stop or trap, a block, a drag). A simulated record's truth logs
  every such contact (``sim.match``: strikes, and soft touches judged over the whole
  contact), a tracked record every contact it sees within reach of a man's foot
  (``reconstruct.events``), so possession means the same in both;
- a **shot** is a touch that sends the ball towards the opponents' goal at
  ``shot_speed`` m/s or more; it is **on target** if its straight line crosses the goal
  line inside the mouth;
- a **pass** is a touch followed, within ``pass_gap`` s and with no goal or dead ball in
  between, by a touch of another man of the same team;
- **possession** at a frame in play belongs to the team (and rod) of the last touch since
  the ball came into play;
- the **thirds** of the table are cut at x = -L/6 and +L/6;
- rule checks (ITSF): a rod may keep the ball at most 15 s (10 s on the 5-man rod), time
  counted while the ball stays within its men's reach since its last touch; a rod may not
  turn more than 360 degrees in the half second around its strike.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from sim.record import Record


@dataclass(frozen=True)
class StatsSettings:
    shot_speed: float = 4.0  # m/s, least speed of a shot
    shot_direction: float = 0.3  # least share of the speed along the attack direction
    pass_gap: float = 3.0  # s, longest time from a pass to its reception
    direction_frames: int = 3  # frames after a touch used to measure its direction
    hold_limit: float = 15.0  # s, longest a rod may keep the ball
    hold_limit_five: float = 10.0  # s, on the 5-man rod
    spin_window: float = 0.5  # s, around a strike, in which a rod may turn 360 degrees
    heatmap_bins: tuple[int, int] = (24, 14)  # along x, along y


@dataclass
class Shot:
    frame: int
    t: float
    team: str
    rod: int
    speed: float  # m/s
    on_target: bool


@dataclass
class Violation:
    frame: int
    t: float
    rule: str  # "hold" or "spin"
    team: str
    rod: int
    detail: str


@dataclass
class RodStats:
    rod: int
    team: str
    role: str
    touches: int = 0
    shots: int = 0
    shots_on_target: int = 0
    goals: int = 0
    passes: int = 0
    possession_s: float = 0.0
    max_shot_speed: float = 0.0
    mean_shot_speed: float = 0.0


@dataclass
class GameStats:
    """Everything ``game_stats`` finds. Times in s, speeds in m/s, positions in m."""

    teams: list[str]
    duration_s: float
    in_play_s: float
    score: dict
    goals: list[dict]
    touches: dict
    shots: list[Shot]
    passes: dict
    possession: dict  # team -> fraction of in-play time with a known possessor
    possession_s: dict
    thirds: dict  # "-x", "middle", "+x" -> fraction of in-play time
    heatmap: np.ndarray  # (nx, ny) seconds
    heatmap_edges: tuple[np.ndarray, np.ndarray]
    rods: list[RodStats]
    violations: list[Violation]
    walls: int = 0
    serves: int = 0
    extra: dict = field(default_factory=dict)

    def shots_of(self, team: str) -> list[Shot]:
        return [s for s in self.shots if s.team == team]

    def to_dict(self) -> dict:
        """JSON-ready figures."""
        speeds = [s.speed for s in self.shots]
        return {
            "teams": self.teams,
            "duration_s": self.duration_s,
            "in_play_s": self.in_play_s,
            "score": self.score,
            "goals": self.goals,
            "touches": self.touches,
            "shots": {
                "count": {t: len(self.shots_of(t)) for t in self.teams},
                "on_target": {t: sum(s.on_target for s in self.shots_of(t)) for t in self.teams},
                "speed_mean": float(np.mean(speeds)) if speeds else None,
                "speed_max": float(np.max(speeds)) if speeds else None,
                "list": [asdict(s) for s in self.shots],
            },
            "passes": self.passes,
            "possession": self.possession,
            "possession_s": self.possession_s,
            "thirds": self.thirds,
            "heatmap_s": self.heatmap.tolist(),
            "heatmap_edges_m": [e.tolist() for e in self.heatmap_edges],
            "rods": [asdict(r) for r in self.rods],
            "violations": [asdict(v) for v in self.violations],
            "walls": self.walls,
            "serves": self.serves,
        }


def _kick_motion(rec: Record, frame: int, n: int) -> tuple[np.ndarray, float] | None:
    """Unit direction (2,) and speed (m/s) of the ball's motion over the ``n`` frames just
    after ``frame`` (or after the first frame within ``n`` where the ball is known), from the
    record; None where the ball is unknown or still."""
    xy = rec.ball_xyz[:, :2]
    a = frame
    # a kick in a short gap of the path (the ball blurred or under the striking man): the
    # motion from where the ball is seen again
    while a < min(rec.n_frames - 1, frame + n) and not np.isfinite(xy[a]).all():
        a += 1
    b = min(rec.n_frames - 1, a + n)
    if b <= a or not (np.isfinite(xy[a]).all() and np.isfinite(xy[b]).all()):
        return None
    d = xy[b] - xy[a]
    norm = float(np.linalg.norm(d))
    return (d / norm, norm * rec.fps / (b - a)) if norm > 1e-6 else None


def game_stats(rec: Record, settings: StatsSettings | None = None) -> GameStats:
    """The statistics of one record."""
    s = settings or StatsSettings()
    fps = rec.fps
    dt = 1.0 / fps
    table = rec.meta["table"]
    L = table["playfield"]["length"]
    W = table["playfield"]["width"]
    goal_w = table["goal"]["width"]
    rods_meta = rec.meta["rods"]
    teams = [t["name"] for t in sorted(rec.teams, key=lambda t: t["side"])]
    side_of = {t["name"]: t["side"] for t in rec.teams}
    n = rec.n_frames
    state = rec.ball_state
    xy = rec.ball_xyz[:, :2]
    in_play = (state != "out") & (state != "") & np.isfinite(xy).all(axis=1)

    events = sorted(rec.events, key=lambda e: e.frame)
    kicks = [e for e in events if e.type == "kick" and e.rod is not None]
    goals = [e for e in events if e.type == "goal"]
    breaks = sorted({e.frame for e in events if e.type in ("goal", "serve", "out")})

    rods = [RodStats(i, r["team"], r["role"]) for i, r in enumerate(rods_meta)]
    touches = {t: 0 for t in teams}
    for k in kicks:
        touches[k.team] = touches.get(k.team, 0) + 1
        rods[k.rod].touches += 1

    # shots
    shots: list[Shot] = []
    shot_frames = set()
    for k in kicks:
        motion = _kick_motion(rec, k.frame, s.direction_frames)
        if motion is None:
            continue
        d, measured = motion
        # the kick's own speed (the ball's speed after it: exact in a truth record, fitted
        # over the flight by the tracker) over the record's few frames, whose difference
        # turns a few millimetres of a tracked ball's error into metres per second
        speed = float(k.speed) if k.speed else measured
        if speed < s.shot_speed:
            continue
        attack = 1.0 if side_of.get(k.team, 0) == 0 else -1.0
        if d[0] * attack < s.shot_direction:
            continue
        x0 = k.x if k.x is not None else xy[k.frame, 0]
        y0 = k.y if k.y is not None else xy[k.frame, 1]
        y_at_goal = y0 + d[1] / d[0] * (attack * 0.5 * L - x0)
        on_target = bool(abs(y_at_goal) < 0.5 * goal_w)
        shots.append(Shot(k.frame, k.t, k.team, k.rod, speed, on_target))
        shot_frames.add(k.frame)
        rs = rods[k.rod]
        rs.shots += 1
        rs.shots_on_target += on_target
        rs.max_shot_speed = max(rs.max_shot_speed, speed)
    for rs in rods:
        sp = [sh.speed for sh in shots if sh.rod == rs.rod]
        rs.mean_shot_speed = float(np.mean(sp)) if sp else 0.0

    # goals: credited to the last touch of the scoring team
    score = {t: 0 for t in teams}
    goal_list = []
    for g in goals:
        score[g.team] = score.get(g.team, 0) + 1
        last = [k for k in kicks if k.frame <= g.frame and k.team == g.team]
        rod = last[-1].rod if last else None
        if rod is not None and g.frame - last[-1].frame < 3 * fps:
            rods[rod].goals += 1
        goal_list.append({"frame": g.frame, "t": g.t, "team": g.team, "rod": rod,
                          "score": dict(score)})

    # passes
    passes = {t: 0 for t in teams}
    for a, b in zip(kicks, kicks[1:]):
        if a.team != b.team or (a.rod, a.man) == (b.rod, b.man):
            continue
        if b.t - a.t > s.pass_gap or any(a.frame < f <= b.frame for f in breaks):
            continue
        passes[a.team] += 1
        rods[a.rod].passes += 1

    # possession, frame by frame: the team and rod of the last touch since play began
    owner_team = np.full(n, -1)
    owner_rod = np.full(n, -1)
    kick_at = {}
    for k in kicks:
        kick_at[k.frame] = k
    breaks_set = set(breaks)
    team_i, rod_i = -1, -1
    for f in range(n):
        if f in breaks_set and f not in kick_at:
            team_i, rod_i = -1, -1
        if f in kick_at:
            team_i, rod_i = teams.index(kick_at[f].team), kick_at[f].rod
        if in_play[f]:
            owner_team[f], owner_rod[f] = team_i, rod_i
    known = owner_team >= 0
    total_known = known.sum() * dt
    possession_s = {t: float((owner_team == i).sum() * dt) for i, t in enumerate(teams)}
    possession = {t: (possession_s[t] / total_known if total_known > 0 else 0.0)
                  for t in teams}
    for rs in rods:
        rs.possession_s = float((owner_rod == rs.rod).sum() * dt)

    # where the ball was
    in_xy = xy[in_play]
    thirds = {"-x": 0.0, "middle": 0.0, "+x": 0.0}
    if len(in_xy):
        thirds = {"-x": float(np.mean(in_xy[:, 0] < -L / 6)),
                  "middle": float(np.mean(np.abs(in_xy[:, 0]) <= L / 6)),
                  "+x": float(np.mean(in_xy[:, 0] > L / 6))}
    ex = np.linspace(-L / 2, L / 2, s.heatmap_bins[0] + 1)
    ey = np.linspace(-W / 2, W / 2, s.heatmap_bins[1] + 1)
    heat, _, _ = np.histogram2d(in_xy[:, 0], in_xy[:, 1], bins=(ex, ey)) if len(in_xy) else (
        np.zeros(s.heatmap_bins), None, None)

    violations = _hold_violations(rec, owner_rod, in_play, rods_meta, s, table) + \
        _spin_violations(rec, kicks, s)
    return GameStats(
        teams=teams, duration_s=n * dt, in_play_s=float(in_play.sum() * dt), score=score,
        goals=goal_list, touches=touches, shots=shots, passes=passes, possession=possession,
        possession_s=possession_s, thirds=thirds, heatmap=heat * dt, heatmap_edges=(ex, ey),
        rods=rods, violations=violations,
        walls=sum(e.type == "wall" for e in events), serves=sum(e.type == "serve" for e in events))


def _hold_violations(rec, owner_rod, in_play, rods_meta, s: StatsSettings, table) -> list:
    """Spans where one rod keeps the ball within its men's reach too long."""
    fps = rec.fps
    reach = table["rod"]["height"] - table["man"]["toe_clearance"] + 0.5 * table["ball"]["diameter"]
    x = rec.ball_xyz[:, 0]
    out = []
    start, cur = None, -1
    for f in range(rec.n_frames + 1):
        r = owner_rod[f] if f < rec.n_frames else -1
        held = (f < rec.n_frames and r >= 0 and in_play[f]
                and abs(x[f] - rods_meta[r]["x"]) < reach)
        if held and r == cur:
            continue
        if cur >= 0 and start is not None:
            limit = s.hold_limit_five if rods_meta[cur]["men"] == 5 else s.hold_limit
            if (f - start) / fps > limit:
                fl = start + int(limit * fps)
                out.append(Violation(fl, fl / fps, "hold", rods_meta[cur]["team"], cur,
                                     f"rod {cur} kept the ball {(f - start) / fps:.1f} s "
                                     f"(limit {limit:.0f} s)"))
        cur, start = (r, f) if held else (-1, None)
    return out


def _spin_violations(rec, kicks, s: StatsSettings) -> list:
    """Strikes around which the striking rod turned more than a full turn."""
    out = []
    ang = rec.rod_angles
    w = int(round(s.spin_window * rec.fps))
    for k in kicks:
        a = ang[max(0, k.frame - w): k.frame + w + 1, k.rod]
        a = a[np.isfinite(a)]
        if len(a) and a.max() - a.min() > 2 * np.pi:
            out.append(Violation(k.frame, k.t, "spin", k.team, k.rod,
                                 f"rod {k.rod} turned {np.degrees(a.max() - a.min()):.0f} "
                                 "degrees around its strike"))
    return out


@dataclass(frozen=True)
class StatsAgreement:
    """How well the statistics of a reconstruction agree with those of its truth.

    Attributes:
        goals_equal: the same score, team by team.
        kicks: (truth, estimate) touch counts, both teams.
        shots: (truth, estimate) shot counts, both teams.
        kicks_rel, shots_rel: |estimate - truth| / truth (NaN when the truth has none).
        possession_diff: largest |estimate - truth| possession share over the teams, as a
            fraction of in-play time (0.05 = five percentage points).
    """

    goals_equal: bool
    kicks: tuple[int, int]
    shots: tuple[int, int]
    kicks_rel: float
    shots_rel: float
    possession_diff: float

    def within(self, count_rel: float = 0.10, possession: float = 0.05) -> bool:
        """The bar of the statistics: goals exactly, counts and possession within bounds."""
        rel_ok = all(not np.isfinite(r) or r <= count_rel
                     for r in (self.kicks_rel, self.shots_rel))
        return self.goals_equal and rel_ok and self.possession_diff <= possession

    def text(self) -> str:
        def rel(r):
            return "-" if not np.isfinite(r) else f"{100 * r:.0f} %"
        return (f"goals {'equal' if self.goals_equal else 'DIFFER'}; kicks {self.kicks[1]} "
                f"vs {self.kicks[0]} true ({rel(self.kicks_rel)}); shots {self.shots[1]} vs "
                f"{self.shots[0]} true ({rel(self.shots_rel)}); possession within "
                f"{100 * self.possession_diff:.1f} points")


def stats_agreement(truth: GameStats, estimate: GameStats) -> StatsAgreement:
    """Compare the statistics of a reconstruction with those of its truth (same teams)."""
    def rel(t: int, e: int) -> float:
        return abs(e - t) / t if t else (0.0 if e == 0 else float("inf"))

    kicks = (sum(truth.touches.values()), sum(estimate.touches.values()))
    shots = (len(truth.shots), len(estimate.shots))
    poss = max((abs(estimate.possession.get(t, 0.0) - truth.possession.get(t, 0.0))
                for t in truth.teams), default=0.0)
    return StatsAgreement(
        goals_equal=all(truth.score.get(t, 0) == estimate.score.get(t, 0) for t in truth.teams),
        kicks=kicks, shots=shots, kicks_rel=rel(*kicks) if kicks[0] else float("nan"),
        shots_rel=rel(*shots) if shots[0] else float("nan"), possession_diff=float(poss))
