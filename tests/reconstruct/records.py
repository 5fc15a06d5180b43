"""Hand-made records for the scorer tests: a truth row per frame, edited per test."""

from __future__ import annotations

import copy
from pathlib import Path

from sim.record import TRUTH_COLUMNS, Event, RecordWriter, read_record, rods_meta, teams_meta

FPS = 120.0
TEAMS = ("red", "blue")
PX_PER_M = 1000.0  # the hand-made image: 1 px per mm, centred at (640, 360)


def meta(table, **extra) -> dict:
    return {"fps": FPS, "table": table.to_dict(), "rods": rods_meta(table, TEAMS),
            "teams": teams_meta(TEAMS), **extra}


def truth_rows(table, n: int = 60, speed: float = 2.0) -> list[dict]:
    """A ball rolling along +x at ``speed`` m/s, fully visible; rods still, angles 0.1*i."""
    rows = []
    for i in range(n):
        x, y = -0.3 + speed * i / FPS, 0.05
        row = {"t": i / FPS, "ball_x": x, "ball_y": y, "ball_z": table.ball.radius,
               "ball_u": 640.0 + PX_PER_M * x, "ball_v": 360.0 - PX_PER_M * y,
               "ball_state": "visible", "ball_visibility": 1.0, "ball_blur_px": 1.0,
               "ball_vx": speed, "ball_vy": 0.0, "ball_vz": 0.0}
        for r in range(8):
            row[f"rod{r}_shift"] = 0.001 * r
            row[f"rod{r}_angle"] = 0.1 * r
        rows.append(row)
    return rows


def estimate_from(truth: list[dict], dx: float = 0.0, dy: float = 0.0,
                  du: float = 0.0, dv: float = 0.0) -> list[dict]:
    """The truth's base columns, the ball moved by (dx, dy) m and (du, dv) px."""
    rows = []
    for t in truth:
        r = {k: v for k, v in copy.deepcopy(t).items() if k not in TRUTH_COLUMNS}
        if r["ball_x"] is not None:
            r["ball_x"] += dx
            r["ball_y"] += dy
        if r["ball_u"] is not None:
            r["ball_u"] += du
            r["ball_v"] += dv
        rows.append(r)
    return rows


def write(path: Path, table, rows: list[dict], events=(), truth: bool = True, **meta_extra):
    """Write rows (and events) as a record at ``path``; returns the record read back."""
    extra = TRUTH_COLUMNS if truth else ()
    with RecordWriter(path, meta(table, **meta_extra), extra_columns=extra) as w:
        for row in rows:
            w.write_frame(row)
        for e in events:
            w.write_event(e)
    return read_record(path, require=())


def goal(frame: int, team: str) -> Event:
    return Event(frame=frame, t=frame / FPS, type="goal", team=team)


def kick(frame: int, rod: int, team: str = "") -> Event:
    return Event(frame=frame, t=frame / FPS, type="kick", team=team, rod=rod)
