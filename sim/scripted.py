"""Deterministic, scripted table motion: exact states at any instant, for filming without
the physics (tests, benchmarks, looking at scenarios).

A script is a function ``t -> TableState``. ``exposure_states`` samples one the way the
simulator does for a ``Filmer`` (states at the physics rate inside the exposure, the first
and last at its ends), and ``film_script`` writes a whole clip: video plus record.

Scripts (``SCRIPTS``): ``still`` (ball at rest in the open), ``roll`` (1.1 m/s diagonal),
``shot`` (10 m/s along the table under raised men), ``under_man`` (the ball beneath a man
lying flat over it), ``rods`` (rods shifting and swinging, one spinning), ``match`` (a
seeded mix of all of it: the benchmark's load).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from sim.state import TableState
from sim.table import TableSpec

Script = Callable[[float], TableState]


def _state(t, ball, vel, shifts=None, angles=None, in_play=True) -> TableState:
    return TableState(t=float(t), ball=np.asarray(ball, float), ball_vel=np.asarray(vel, float),
                      shifts=np.zeros(8) if shifts is None else np.asarray(shifts, float),
                      angles=np.zeros(8) if angles is None else np.asarray(angles, float),
                      in_play=in_play)


def still(table: TableSpec, seed: int = 0) -> Script:
    """The ball at rest in the open, the rods still."""
    r = table.ball.radius
    gap = 0.5 * (table.rods[3].x + table.rods[4].x)
    return lambda t: _state(t, (gap, 0.06, r), (0, 0, 0))


def roll(table: TableSpec, seed: int = 0, speed: float = 1.1) -> Script:
    """The ball rolling diagonally at ``speed`` m/s under raised men."""
    r = table.ball.radius
    d = np.array([0.9, 0.44, 0.0])
    v = speed * d / np.linalg.norm(d)
    up = _raised(table)
    return lambda t: _state(t, np.array([-0.35, -0.17, r]) + v * t, v, angles=up)


def shot(table: TableSpec, seed: int = 0, speed: float = 10.0) -> Script:
    """A ``speed`` m/s shot along +x under raised men, bouncing back off the end wall."""
    r = table.ball.radius
    x0, hl = -0.45, table.half_length - r
    up = _raised(table)

    def f(t):
        x = x0 + speed * t
        vx = speed
        if x > hl:  # elastic bounce off the end wall beside the goal
            x, vx = 2 * hl - x, -speed
        return _state(t, (x, 0.06, r), (vx, 0, 0), angles=up)

    return f


def under_man(table: TableSpec, seed: int = 0, rod: int = 3, man: int = 2) -> Script:
    """A man lying flat (rod turned a quarter turn) with the ball right under his torso."""
    r = table.ball.radius
    spec = table.rods[rod]
    angles = np.zeros(8)
    angles[rod] = -0.5 * np.pi  # feet towards +x for this side's shooting direction
    torso_x = spec.x + 0.5 * table.man_reach
    y = spec.man_offsets[man]
    return lambda t: _state(t, (torso_x, y, r), (0, 0, 0), angles=angles)


def rods(table: TableSpec, seed: int = 0) -> Script:
    """Rods shifting and swinging; rod 5 kicks (a fast half turn and back) twice a second;
    the ball rests in the open."""
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi, (2, 8))
    freq = rng.uniform(0.7, 2.5, (2, 8))
    travel = np.array([r.travel for r in table.rods])
    ball = still(table)(0.0).ball

    def f(t):
        shifts = 0.8 * travel * np.sin(2 * np.pi * freq[0] * t + phase[0])
        angles = 0.35 * np.sin(2 * np.pi * freq[1] * t + phase[1])
        angles[5] += _kick(t % 0.5, 0.06, 30.0)
        return _state(t, ball, (0, 0, 0), shifts, angles)

    return f


def match(table: TableSpec, seed: int = 0) -> Script:
    """A seeded mix: the ball bouncing round the table at 2-10 m/s, every rod shifting and
    swinging, kicks now and then."""
    rng = np.random.default_rng(seed)
    r = table.ball.radius
    hl, hw = table.half_length - r, table.half_width - r
    phase = rng.uniform(0, 2 * np.pi, (2, 8))
    freq = rng.uniform(0.5, 2.0, (2, 8))
    kick_rod = rng.integers(0, 8, 64)
    travel = np.array([rod.travel for rod in table.rods])
    heading = rng.uniform(0, 2 * np.pi)
    p0 = np.array([rng.uniform(-0.3, 0.3), rng.uniform(-0.2, 0.2)])

    def speed(t):  # m/s, surges to 10 then decays
        return 2.0 + 8.0 * np.exp(-((t % 1.3) / 0.25))

    def distance(t):  # integral of speed
        n, u = np.floor(t / 1.3), t % 1.3
        one = 2.0 * 1.3 + 8.0 * 0.25 * (1 - np.exp(-1.3 / 0.25))
        return n * one + 2.0 * u + 8.0 * 0.25 * (1 - np.exp(-u / 0.25))

    def f(t):
        s = distance(t)
        d = np.array([np.cos(heading), np.sin(heading)])
        xy = _fold(p0 + s * d, hl, hw)
        eps = 1e-4
        vel = (_fold(p0 + (s + eps) * d, hl, hw) - xy) / eps * speed(t)
        shifts = 0.7 * travel * np.sin(2 * np.pi * freq[0] * t + phase[0])
        angles = 0.4 * np.sin(2 * np.pi * freq[1] * t + phase[1])
        k = int(t / 0.4) % len(kick_rod)
        angles[kick_rod[k]] += _kick(t % 0.4, 0.05, 25.0)
        return _state(t, (xy[0], xy[1], r), (vel[0], vel[1], 0.0), shifts, angles)

    return f


def _fold(p: np.ndarray, hl: float, hw: float) -> np.ndarray:
    """Reflect a straight path into the box |x| <= hl, |y| <= hw (wall bounces)."""
    out = np.empty(2)
    for i, h in enumerate((hl, hw)):
        u = (p[i] + h) % (4 * h)
        out[i] = (u if u <= 2 * h else 4 * h - u) - h
    return out


def _kick(u: float, duration: float, peak: float) -> float:
    """Angle (rad) of a kick ``u`` s after it starts: a swing forward and back, peak
    angular speed about ``peak`` rad/s, lasting ``duration`` s."""
    if u >= duration:
        return 0.0
    return -peak * duration / np.pi * np.sin(np.pi * u / duration) ** 2


def _raised(table: TableSpec) -> np.ndarray:
    """Rod angles lifting every man to horizontal, feet towards the attacked goal."""
    return np.array([-0.5 * np.pi * r.attack_direction for r in table.rods])


SCRIPTS: dict[str, Callable[..., Script]] = {
    "still": still, "roll": roll, "shot": shot, "under_man": under_man, "rods": rods,
    "match": match,
}


def make_script(name: str, table: TableSpec, seed: int = 0) -> Script:
    if name not in SCRIPTS:
        raise ValueError(f"unknown script {name!r}: choose one of {', '.join(SCRIPTS)}")
    return SCRIPTS[name](table, seed=seed)


def exposure_states(script: Script, t: float, exposure: float,
                    physics_rate: float = 1000.0) -> list[TableState]:
    """The states the simulator hands a ``Filmer`` for a frame at ``t``: its exposure's ends
    and every physics step inside."""
    t0, t1 = t - 0.5 * exposure, t + 0.5 * exposure
    if exposure <= 0:
        return [script(t)]
    steps = np.arange(np.floor(t0 * physics_rate) + 1, np.ceil(t1 * physics_rate)) / physics_rate
    times = [t0, *[s for s in steps if t0 + 1e-9 < s < t1 - 1e-9], t1]
    return [script(ti) for ti in times]


def film_script(script: Script, table: TableSpec, filmer, out_dir: str | Path, frames: int,
                fps: float, extra_meta: dict | None = None) -> Path:
    """Film ``frames`` frames of ``script`` and write the record (truth) beside the video.

    The filmer is closed here (so the video is complete) even if filming fails.
    """
    from sim.record import TRUTH_COLUMNS, RecordWriter, rods_meta, teams_meta

    teams = list(filmer.look.teams)
    meta = {"fps": fps, "table": table.to_dict(), "rods": rods_meta(table, teams),
            "teams": teams_meta(teams), "source": "scripted", **(extra_meta or {})}
    with RecordWriter(out_dir, meta, extra_columns=TRUTH_COLUMNS) as rec:
        try:
            for i in range(frames):
                t = i / fps
                states = exposure_states(script, t, filmer.exposure)
                mid = script(t)
                row = {"frame": i, "t": t, "ball_x": mid.ball[0], "ball_y": mid.ball[1],
                       "ball_z": mid.ball[2], "ball_vx": mid.ball_vel[0],
                       "ball_vy": mid.ball_vel[1], "ball_vz": mid.ball_vel[2],
                       "ball_state": "visible" if mid.in_play else "out"}
                for k in range(8):
                    row[f"rod{k}_shift"] = mid.shifts[k]
                    row[f"rod{k}_angle"] = mid.angles[k]
                row.update(filmer.film(i, t, states))
                rec.write_frame(row)
        finally:
            filmer.close()
            rec.update_meta(**filmer.meta())
    return Path(out_dir)
