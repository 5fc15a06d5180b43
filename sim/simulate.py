"""Simulate a match and write its ground-truth record as it runs.

The match runs at the fixed physics rate (1 kHz by default) whatever the camera rate: the
camera only samples it. A match of ``duration`` s gives frames ``0 .. duration * fps - 1``
(fewer if it ends early on goals). Frame ``i`` is exposed around ``t_i = i / fps``; its row
holds the state at ``t_i``, interpolated between the two physics steps around it
(``sim.state.interpolate_state``), with the truth columns ``ball_vx/vy/vz``. ``ball_state``
is ``out`` while the ball is not in play, otherwise ``visible``.

The camera hook (a ``sim.state.Filmer``, e.g. ``sim.footage``): if one is given, for every
frame ``simulate`` calls ``filmer.film(i, t_i, states)`` with the physics states covering
the exposure ``[t_i - e/2, t_i + e/2]`` (``e = filmer.exposure``; the first and last states
interpolated to the exposure's ends, the ones between as the physics made them), in frame
order, and merges the columns it returns (``ball_u``, ``ball_v``, ``ball_visibility``,
``ball_blur_px``, and ``ball_state`` to say ``hidden``; a value of None leaves the column as
it was) into the frame's row; ``filmer.meta()``
goes into ``meta.json`` as ``camera``, and ``filmer.close()`` is called at the end, also
after an error. The loop needs nothing else from the filmer.
"""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import replace
from pathlib import Path

import numpy as np

from sim.match import Match
from sim.physics import TablePhysics
from sim.record import TRUTH_COLUMNS, RecordWriter, rods_meta, teams_meta
from sim.state import Filmer, TableState, interpolate_state
from sim.table import TableSpec, load_table
from sim.world import surface_height

DEFAULT_TEAMS = ("red", "blue")
# The match a seed gives: bump it whenever the physics or the players change what a seed
# plays, or the truth it writes changes, so footage cached by seed (``foosball bench``) is
# made afresh. 3: soft touches (stops, traps, drags) are kicks too.
SIMULATOR_VERSION = 3
COLOUR_RGB = {  # team names that are colours: the men's colour in pybullet's images
    "red": (0.8, 0.1, 0.1), "blue": (0.1, 0.25, 0.85), "black": (0.08, 0.08, 0.08),
    "white": (0.92, 0.92, 0.92), "yellow": (0.95, 0.8, 0.1), "green": (0.1, 0.6, 0.2),
    "orange": (0.95, 0.5, 0.1), "grey": (0.5, 0.5, 0.5), "silver": (0.75, 0.75, 0.78),
}
OFF_PLAYFIELD = 0.005  # m, a ball higher than this above the surface is "off the playfield"


def frame_row(state: TableState, frame: int) -> dict:
    """The truth columns of one frame from the state at its mid-exposure time."""
    row = {"frame": frame, "t": state.t, "ball_x": state.ball[0], "ball_y": state.ball[1],
           "ball_z": state.ball[2], "ball_state": "visible" if state.in_play else "out",
           "ball_vx": state.ball_vel[0], "ball_vy": state.ball_vel[1],
           "ball_vz": state.ball_vel[2]}
    for i in range(len(state.shifts)):
        row[f"rod{i}_shift"] = state.shifts[i]
        row[f"rod{i}_angle"] = state.angles[i]
    return row


def exposure_states(states, t0: float, t1: float) -> list[TableState]:
    """The states covering [t0, t1], the first and last interpolated to t0 and t1.

    Args:
        states: physics states in time order, covering [t0, t1].
    """
    states = list(states)
    out = []
    for a, b in zip(states, states[1:]):
        if b.t < t0 or a.t > t1:
            continue
        if not out:
            out.append(interpolate_state(a, b, t0) if a.t < t0 else a)
        if t0 < b.t < t1:
            out.append(b)
        if b.t >= t1:
            out.append(interpolate_state(a, b, t1))
            break
    return out or [states[-1]]


def _team_rgba(names):
    return tuple((*COLOUR_RGB.get(n, (0.6, 0.6, 0.6)), 1.0) for n in names)


def simulate(table: TableSpec, out_dir, seed: int = 0, duration: float = 60.0,
             fps: float = 120.0, skills=(0.7, 0.7), team_names=DEFAULT_TEAMS,
             goals: int | None = None, filmer: Filmer | None = None,
             rate_hz: float = 1000.0) -> dict:
    """Simulate one match and write its record to ``out_dir``.

    Args:
        table: the table. out_dir: the record directory (created).
        seed: the match's seed: the same seed gives the same record, byte for byte.
        duration: s, match length limit. fps: camera frames per second of the record.
        skills: skill of side 0 and side 1 (0..1). team_names: names of side 0 and side 1.
        goals: end after this many goals (None: play the whole duration).
        filmer: the camera (see the module docstring), or None for truth only.
        rate_hz: physics steps per second.

    Returns:
        a summary: frames, simulated, wall and CPU time, real-time factors (simulated s per
        wall s, per CPU s), goals by team, kicks, shot speeds, wall bounces, serves, the
        fraction of in-play frames with the ball more than 5 mm off the playfield.
    """
    if not duration > 0:
        raise ValueError(f"duration must be positive, got {duration}")
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if len(team_names) != 2 or team_names[0] == team_names[1]:
        raise ValueError(f"need two different team names, got {list(team_names)}")
    skills = tuple(float(s) for s in skills)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    exposure = float(getattr(filmer, "exposure", 0.0)) if filmer is not None else 0.0
    meta = {"source": "simulate", "seed": int(seed), "fps": float(fps),
            "physics_rate": float(rate_hz), "duration": float(duration),
            "table": table.to_dict(), "rods": rods_meta(table, team_names),
            "teams": teams_meta(team_names, [c[:3] for c in _team_rgba(team_names)]),
            "skills": {team_names[0]: skills[0], team_names[1]: skills[1]}}
    if filmer is not None:
        meta.update(filmer.meta())  # camera, video, exposure: as the footage docs say
    physics = TablePhysics(table, rate_hz=rate_hz, visual=False)
    match = Match(physics, skills, team_names, np.random.default_rng(seed), duration, goals)
    stats = {"frames": 0, "in_play": 0, "off": 0}
    try:
        with RecordWriter(out_dir, meta, extra_columns=TRUTH_COLUMNS) as writer:
            _run(match, writer, fps, exposure, filmer, stats)
            writer.update_meta(score={n: g for n, g in zip(team_names, match.score.goals)})
    finally:
        physics.close()
        if filmer is not None:
            filmer.close()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return _summary(match, stats, wall, cpu, team_names, Path(out_dir))


def _run(match: Match, writer: RecordWriter, fps, exposure, filmer, stats) -> None:
    """Step the match, keep the physics states a frame's exposure needs (from the step just
    before it opens), write each frame once the physics has passed its exposure, and write
    the events in time order (kicks are judged after they happen: a strike within a few ms,
    a soft touch once its contact has lasted ``sim.match.TOUCH_WINDOW`` or ended: an event
    waits until no contact still being judged began before it)."""
    table, ph = match.table, match.ph
    dt = ph.dt
    history: deque[TableState] = deque()
    pending = match.serve_if_due()
    history.append(match.state())
    frame = 0
    while not match.finished:
        served = match.serve_if_due()
        if served:  # the ball jumped: the state at this instant is the served one
            pending.extend(served)
            if history and abs(history[-1].t - ph.t) < 0.5 * dt:
                history.pop()
            history.append(match.state())
        pending.extend(match.step())
        opens = frame / fps - 0.5 * exposure  # the next frame's exposure opens
        if ph.t >= opens - dt - 1e-9:
            history.append(match.state())
        while frame / fps + 0.5 * exposure <= ph.t + 1e-12:
            t_i = frame / fps
            if t_i > match.duration - 0.5 / fps:  # frames 0 .. duration * fps - 1
                break
            states = exposure_states(history, t_i - 0.5 * exposure, t_i + 0.5 * exposure)
            mid = exposure_states(history, t_i, t_i)[0]
            row = frame_row(mid, frame)
            if filmer is not None:
                row.update({k: v for k, v in filmer.film(frame, t_i, states).items()
                            if v is not None})
            writer.write_frame(row)
            _count(table, mid, stats)
            frame += 1
            opens = frame / fps - 0.5 * exposure
            while len(history) > 1 and history[1].t <= opens + 1e-9:
                history.popleft()  # keep one state at or before the next window opens
        settled = min(ph.t - 0.05, match.settled_until())
        if pending and pending[0].t < settled:
            pending.sort(key=lambda e: e.t)
            while pending and pending[0].t < settled:
                e = pending.pop(0)
                writer.write_event(replace(e, frame=int(round(e.t * fps))))
    for e in sorted(pending, key=lambda e: e.t):
        writer.write_event(replace(e, frame=int(round(e.t * fps))))


def _count(table: TableSpec, state: TableState, stats: dict) -> None:
    stats["frames"] += 1
    if state.in_play:
        stats["in_play"] += 1
        height = state.ball[2] - table.ball.radius - surface_height(table, state.ball[0],
                                                                    state.ball[1])
        stats["off"] += int(height > OFF_PLAYFIELD)


def _summary(match: Match, stats, wall, cpu, names, out_dir) -> dict:
    kicks = [e for e in match.events if e.type == "kick"]
    speeds = [e.speed for e in kicks]
    return {
        "out_dir": str(out_dir), "frames": stats["frames"], "simulated_s": match.ph.t,
        "wall_s": wall, "realtime_factor": match.ph.t / wall if wall > 0 else float("inf"),
        "cpu_s": cpu, "cpu_realtime_factor": match.ph.t / cpu if cpu > 0 else float("inf"),
        "goals": {n: g for n, g in zip(names, match.score.goals)},
        "kicks": len(kicks), "kick_speed_max": max(speeds, default=0.0),
        "shots_over_5": sum(s >= 5.0 for s in speeds),
        "shot_speeds": sorted(s for s in speeds if s >= 5.0),
        "walls": sum(e.type == "wall" for e in match.events),
        "serves": sum(e.type == "serve" for e in match.events),
        "outs": sum(e.type == "out" for e in match.events),
        "off_playfield": stats["off"] / max(stats["in_play"], 1),
        "in_play_frames": stats["in_play"], "launch_clips": match.ph.launch_clips,
    }


def simulate_cli(args) -> int:
    """``foosball simulate``: run ``simulate`` from parsed arguments and print a summary."""
    table = load_table(args.table)
    if args.duration is not None and args.duration <= 0:
        raise ValueError(f"--duration must be positive, got {args.duration}")
    names = tuple(args.teams) if args.teams else DEFAULT_TEAMS
    filmer = None
    shot = getattr(args, "shot", None)
    if shot is not None:  # --video: film the match as it is simulated
        from sim.filming import open_footage

        filmer = open_footage(shot, args.out, table)
    try:
        s = simulate(table, args.out, seed=args.seed, duration=args.duration, fps=args.fps,
                     skills=tuple(args.skill), team_names=names, goals=args.goals,
                     filmer=filmer)
    finally:
        if filmer is not None:
            filmer.close()
    if shot is not None:
        meta_path = Path(args.out) / "meta.json"
        meta = json.loads(meta_path.read_text())
        meta.update(shot.meta())
        meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    speeds = s["shot_speeds"]
    shot_range = f"{speeds[0]:.1f}-{speeds[-1]:.1f} m/s" if speeds else "none"
    goals = ", ".join(f"{n} {g}" for n, g in s["goals"].items())
    print(f"wrote {s['frames']} frames ({s['simulated_s']:.1f} s at {args.fps:g} fps) to "
          f"{s['out_dir']}")
    print(f"goals: {goals}; kicks: {s['kicks']} (max {s['kick_speed_max']:.1f} m/s); "
          f"shots >= 5 m/s: {len(speeds)} ({shot_range}); wall bounces: {s['walls']}; "
          f"serves: {s['serves']}")
    print(f"ball off the playfield (> 5 mm): {100 * s['off_playfield']:.2f} % of in-play frames")
    print(f"speed: {s['realtime_factor']:.2f}x real time ({s['simulated_s']:.1f} s simulated "
          f"in {s['wall_s']:.1f} s; {s['cpu_realtime_factor']:.2f}x per second of CPU time)")
    return 0
