"""Small records for the replay tests, written with ``RecordWriter`` from a scripted motion."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.record import Event, RecordWriter, rods_meta, teams_meta
from sim.scripted import make_script

TEAMS = ("red", "blue")


def write_record(path: Path, table, frames: int = 24, fps: float = 60.0, script: str = "match",
                 seed: int = 0, hidden=(), unknown_rods=(), events=(), offset=(0.0, 0.0),
                 shift_offset: float = 0.0) -> Path:
    """A record of ``script`` at ``fps``.

    Args:
        hidden: frame indices whose ball is unknown (empty cells, state ``hidden``).
        unknown_rods: (frame, rod) cells left empty (shift and angle).
        events: ``Event``s to write.
        offset: (dx, dy) m added to the ball (a reconstruction's error).
        shift_offset: m added to every rod shift.
    """
    scr = make_script(script, table, seed)
    meta = {"fps": fps, "table": table.to_dict(), "rods": rods_meta(table, TEAMS),
            "teams": teams_meta(TEAMS), "source": "test"}
    with RecordWriter(path, meta) as w:
        for i in range(frames):
            s = scr(i / fps)
            row = {"t": i / fps, "ball_state": "visible"}
            if i in hidden:
                row["ball_state"] = "hidden"
            else:
                row.update(ball_x=s.ball[0] + offset[0], ball_y=s.ball[1] + offset[1],
                           ball_z=s.ball[2])
            for k in range(8):
                if (i, k) not in unknown_rods:
                    row[f"rod{k}_shift"] = s.shifts[k] + shift_offset
                    row[f"rod{k}_angle"] = s.angles[k]
            w.write_frame(row)
        for e in events:
            w.write_event(e)
    return Path(path)


def goal(frame: int, team: str, fps: float = 60.0) -> Event:
    return Event(frame=frame, t=frame / fps, type="goal", team=team)


def kick(frame: int, team: str, rod: int, speed: float, fps: float = 60.0) -> Event:
    return Event(frame=frame, t=frame / fps, type="kick", team=team, rod=rod, man=0, speed=speed)


def script_state(table, t: float, script: str = "match", seed: int = 0):
    return make_script(script, table, seed)(t)


def finite(a) -> bool:
    return bool(np.all(np.isfinite(a)))
