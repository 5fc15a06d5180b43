"""The game record: one directory format for simulated truth and for reconstructions.

A record is a directory holding

- ``frames.csv``: one row per video frame (columns below), empty cell = unknown;
- ``events.csv``: ``frame, t, type, team, rod, man, speed, x, y`` (types: ``serve``,
  ``kick``, ``wall``, ``goal``, ...; ``team`` of a goal is the team that scored);
- ``meta.json``: format version, fps, frame count, table, rods, teams, camera.

The format is specified in ``docs/record.md`` and readable without this code (a spreadsheet,
pandas). Writers stream: every row is flushed as it is written, ``meta.json`` is written first
with ``"complete": false`` and rewritten on close, so a crash keeps everything written so far
and the reader accepts a truncated last line.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FORMAT_NAME = "foosball-record"
FORMAT_VERSION = 1
N_RODS = 8
BALL_STATES = ("visible", "hidden", "out")

ROD_COLUMNS = tuple(f"rod{i}_{q}" for i in range(N_RODS) for q in ("shift", "angle"))
BASE_COLUMNS = (
    "frame", "t", "ball_x", "ball_y", "ball_z", "ball_u", "ball_v", "ball_state", *ROD_COLUMNS,
)
TRUTH_COLUMNS = ("ball_visibility", "ball_blur_px", "ball_vx", "ball_vy", "ball_vz")
EVENT_COLUMNS = ("frame", "t", "type", "team", "rod", "man", "speed", "x", "y")
EVENT_TYPES = ("serve", "kick", "wall", "goal", "out")

# Decimal places written per column: fixed, so the same values give the same bytes.
_DECIMALS = {"t": 6, "ball_u": 3, "ball_v": 3, "ball_visibility": 4, "ball_blur_px": 3,
             "speed": 4}
_DEFAULT_DECIMALS = 6
_STRING_COLUMNS = {"ball_state", "type", "team", "source"}
_INT_COLUMNS = {"frame", "rod", "man"}


class RecordError(ValueError):
    """A record that is missing, malformed or cannot be compared."""


def format_value(column: str, value) -> str:
    """The CSV text of one cell: fixed decimals for floats, empty for unknown (None/NaN)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if column in _INT_COLUMNS:
        return str(int(value))
    v = float(value)
    if math.isnan(v):
        return ""
    text = f"{v:.{_DECIMALS.get(column, _DEFAULT_DECIMALS)}f}"
    return text[1:] if text.startswith("-") and float(text) == 0.0 else text  # no "-0.000"


def cell_formatter(column: str):
    """``format_value`` for one column, as a function of the value alone: the same text
    for every value, about twice as quick (the writers call it for every cell)."""
    if column in _INT_COLUMNS:
        def cell(value) -> str:
            if value is None:
                return ""
            if isinstance(value, str):
                return value
            return str(int(value))
        return cell
    spec = f".{_DECIMALS.get(column, _DEFAULT_DECIMALS)}f"

    def cell(value) -> str:
        if value is None:
            return ""
        if value.__class__ is not float:
            if isinstance(value, str):
                return value
            value = float(value)
        if value != value:  # NaN
            return ""
        text = format(value, spec)
        return text[1:] if text[0] == "-" and float(text) == 0.0 else text  # no "-0.000"
    return cell


@dataclass(frozen=True)
class Event:
    """One game event. ``rod``/``man`` are None when they do not apply."""

    frame: int
    t: float  # s
    type: str
    team: str = ""
    rod: int | None = None
    man: int | None = None
    speed: float | None = None  # m/s, ball speed just after the event where it applies
    x: float | None = None  # m, ball position at the event, table frame
    y: float | None = None  # m
    extra: dict = field(default_factory=dict, compare=False)

    def as_row(self) -> dict:
        """Column name -> value."""
        row = {c: getattr(self, c) for c in EVENT_COLUMNS}
        row.update(self.extra)
        return row


class RecordWriter:
    """Writes a record row by row. Use as a context manager.

    Args:
        out_dir: the record directory (created if needed).
        meta: the ``meta.json`` content; ``format``, ``version``, ``frames``, ``columns`` and
            ``complete`` are filled in here.
        extra_columns: frame columns after the base ones (e.g. ``TRUTH_COLUMNS``).
    """

    def __init__(self, out_dir: str | Path, meta: dict, extra_columns: Sequence[str] = ()):
        self.path = Path(out_dir)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / ".write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise RecordError(f"cannot write to {self.path}: {exc.strerror or exc}") from exc
        self.columns = (*BASE_COLUMNS, *[c for c in extra_columns if c not in BASE_COLUMNS])
        # "frame" first (it defaults to the running count), then the others
        self._frame_cell = cell_formatter("frame")
        self._cells = [(c, cell_formatter(c)) for c in self.columns[1:]]
        self._event_cells = [(c, cell_formatter(c)) for c in EVENT_COLUMNS]
        self.meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, **meta,
                     "frames": 0, "columns": list(self.columns), "complete": False}
        self.n_frames = 0
        self.n_events = 0
        self._write_meta()
        self._frames = open(self.path / "frames.csv", "w", newline="")
        self._events = open(self.path / "events.csv", "w", newline="")
        self._frames.write(",".join(self.columns) + "\n")
        self._events.write(",".join(EVENT_COLUMNS) + "\n")
        self._flush()
        self._closed = False

    def _write_meta(self) -> None:
        tmp = self.path / "meta.json.tmp"
        tmp.write_text(json.dumps(self.meta, indent=2, sort_keys=False) + "\n")
        os.replace(tmp, self.path / "meta.json")

    def _flush(self) -> None:
        self._frames.flush()
        self._events.flush()

    def write_frame(self, row: dict) -> None:
        """Append one frame. Missing columns are written as unknown; ``frame`` defaults to
        the running count."""
        get = row.get
        state = get("ball_state")
        if state is not None and state not in BALL_STATES:
            raise RecordError(f"ball_state must be one of {BALL_STATES}, got {state!r}")
        cells = [cell(get(c)) for c, cell in self._cells]
        frame = self._frame_cell(row["frame"] if "frame" in row else self.n_frames)
        self._frames.write(frame + "," + ",".join(cells) + "\n")
        self.n_frames += 1
        self._frames.flush()

    def write_event(self, event: Event) -> None:
        """Append one event."""
        get = event.as_row().get
        self._events.write(",".join([cell(get(c)) for c, cell in self._event_cells]) + "\n")
        self.n_events += 1
        self._events.flush()

    def update_meta(self, **items) -> None:
        """Change ``meta.json`` entries (written now, so a crash keeps them)."""
        self.meta.update(items)
        self._write_meta()

    def close(self, complete: bool = True, **meta_updates) -> None:
        """Finish the record: frame count and ``complete`` into ``meta.json``."""
        if self._closed:
            return
        self._closed = True
        self._frames.close()
        self._events.close()
        self.meta.update(meta_updates)
        self.meta["frames"] = self.n_frames
        self.meta["complete"] = complete
        self._write_meta()

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.close(complete=False, error=f"{exc_type.__name__}: {exc}")


@dataclass
class Record:
    """A record read into memory.

    ``frames`` maps each column to a (N,) array: float64 (NaN = unknown) for numbers,
    int64 for ``frame``, str for ``ball_state`` and other text columns.
    """

    path: Path | None
    meta: dict
    frames: dict[str, np.ndarray]
    events: list[Event]

    @property
    def n_frames(self) -> int:
        return len(self.frames["frame"])

    @property
    def fps(self) -> float:
        return float(self.meta["fps"])

    @property
    def t(self) -> np.ndarray:
        """(N,) float64, s: mid-exposure time of each frame."""
        return self.frames["t"]

    @property
    def ball_xyz(self) -> np.ndarray:
        """(N, 3) float64, m: ball centre in the table frame (NaN = unknown)."""
        return np.stack([self.frames[c] for c in ("ball_x", "ball_y", "ball_z")], axis=1)

    @property
    def ball_uv(self) -> np.ndarray:
        """(N, 2) float64, px: ball centre in the image (NaN = unknown)."""
        return np.stack([self.frames["ball_u"], self.frames["ball_v"]], axis=1)

    @property
    def ball_state(self) -> np.ndarray:
        """(N,) str: ``visible``, ``hidden``, ``out`` or ``""`` (unknown)."""
        return self.frames["ball_state"]

    @property
    def rod_shifts(self) -> np.ndarray:
        """(N, 8) float64, m."""
        return np.stack([self.frames[f"rod{i}_shift"] for i in range(N_RODS)], axis=1)

    @property
    def rod_angles(self) -> np.ndarray:
        """(N, 8) float64, rad, unwrapped."""
        return np.stack([self.frames[f"rod{i}_angle"] for i in range(N_RODS)], axis=1)

    @property
    def teams(self) -> list[dict]:
        """``meta.json``'s teams: dicts with ``name``, ``side`` (0 defends -x), ``defends``."""
        return list(self.meta.get("teams", []))

    def team_of_rod(self, rod: int) -> str:
        """Name of the team owning rod ``rod``."""
        return self.meta["rods"][rod]["team"]

    def events_of(self, kind: str) -> list[Event]:
        """The events of one type, in order."""
        return [e for e in self.events if e.type == kind]

    def columns(self) -> list[str]:
        return list(self.frames)


def _parse_column(name: str, values: list[str]) -> np.ndarray:
    if name in _STRING_COLUMNS:
        return np.array(values, dtype=object).astype(str)
    if name in _INT_COLUMNS:
        return np.array([int(v) if v else -1 for v in values], dtype=np.int64)
    try:
        return np.array([float(v) if v else np.nan for v in values], dtype=np.float64)
    except ValueError:
        return np.array(values, dtype=object).astype(str)


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as f:
        text = f.read()
    if not text.endswith("\n") and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # a crash cut the last line: drop it
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise RecordError(f"{path} is empty: it has no header row")
    header, body = rows[0], rows[1:]
    body = [r for r in body if len(r) == len(header)]
    return header, body


def read_record(path: str | Path, require: Iterable[str] = BASE_COLUMNS) -> Record:
    """Read a record directory.

    Args:
        path: the record directory.
        require: frame columns that must be present.

    Raises:
        RecordError: the directory, a file or a required column is missing.
    """
    path = Path(path)
    if not path.is_dir():
        raise RecordError(f"{path} is not a record directory")
    for name in ("frames.csv", "meta.json"):
        if not (path / name).is_file():
            raise RecordError(f"{path} is not a record: {name} is missing")
    try:
        meta = json.loads((path / "meta.json").read_text())
    except json.JSONDecodeError as exc:
        raise RecordError(f"{path / 'meta.json'} is not valid JSON: {exc}") from exc
    if "fps" not in meta:
        raise RecordError(f"{path / 'meta.json'} has no fps")
    header, body = _read_csv(path / "frames.csv")
    missing = [c for c in require if c not in header]
    if missing:
        raise RecordError(f"{path / 'frames.csv'} lacks columns: {', '.join(missing)}")
    cols = list(zip(*body, strict=True)) if body else [()] * len(header)
    frames = {name: _parse_column(name, list(col)) for name, col in zip(header, cols, strict=True)}
    events: list[Event] = []
    if (path / "events.csv").is_file():
        eheader, ebody = _read_csv(path / "events.csv")
        for r in ebody:
            d = dict(zip(eheader, r, strict=True))

            def num(key, cast=float, d=d):
                return cast(d[key]) if d.get(key, "") != "" else None

            events.append(Event(
                frame=int(d["frame"]), t=float(d["t"]), type=d["type"], team=d.get("team", ""),
                rod=num("rod", int), man=num("man", int), speed=num("speed"),
                x=num("x"), y=num("y"),
                extra={k: v for k, v in d.items() if k not in EVENT_COLUMNS},
            ))
    return Record(path=path, meta=meta, frames=frames, events=events)


def write_record(record: Record, out_dir: str | Path) -> Path:
    """Write a whole in-memory record to ``out_dir`` (the inverse of ``read_record``)."""
    meta = {k: v for k, v in record.meta.items()
            if k not in ("format", "version", "frames", "columns", "complete")}
    extra = [c for c in record.frames if c not in BASE_COLUMNS]
    with RecordWriter(out_dir, meta, extra_columns=extra) as w:
        for i in range(record.n_frames):
            row = {}
            for c, arr in record.frames.items():
                v = arr[i]
                if isinstance(v, str):
                    row[c] = v
                elif c in _INT_COLUMNS:
                    row[c] = None if v < 0 else int(v)
                else:
                    row[c] = float(v)
            w.write_frame(row)
        for e in record.events:
            w.write_event(e)
    return Path(out_dir)


def rods_meta(table, team_names: Sequence[str]) -> list[dict]:
    """``meta.json``'s rods: index, x, team, role, men, spacing, travel.

    Args:
        table: a ``TableSpec``.
        team_names: the names of side 0 and side 1.
    """
    return [
        {"index": r.index, "x": r.x, "team": team_names[r.side], "side": r.side, "role": r.role,
         "men": r.men, "spacing": r.spacing, "travel": r.travel}
        for r in table.rods
    ]


def teams_meta(team_names: Sequence[str], colours: Sequence[Sequence[float]] | None = None):
    """``meta.json``'s teams: name, side, the goal each defends and (optionally) its RGB."""
    out = []
    for side, name in enumerate(team_names):
        entry = {"name": name, "side": side, "defends": "-x" if side == 0 else "+x"}
        if colours is not None:
            entry["rgb"] = [round(float(c), 4) for c in colours[side]]
        out.append(entry)
    return out
