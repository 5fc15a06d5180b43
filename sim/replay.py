"""Replaying a game record: load it (table, colours, timeline) and export it as a video.

``load_replay`` reads a record into a ``ReplaySource``; ``export_replay`` renders it
headless (EGL) from a preset camera, with the overlay drawn in, optionally with a second
record as a ghost, to an MP4 (mp4v) or AVI (MJPEG) file. The window is ``sim.viewer``.

Frames of an export: by default one per record frame, at the record's frames' times and
frame rate; with ``fps`` (or a ``speed`` other than 1) the record's span is resampled:
``round(duration / speed * fps)`` frames at times ``start + k * speed / fps``, the states
interpolated between record frames.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.look import COLOURS, Look, colour
from sim.playback import Timeline
from sim.record import RecordError, read_record
from sim.replaycam import follow_crop, table_box
from sim.table import TableSpec, table_from_dict

MIN_SPEED, MAX_SPEED = 0.1, 4.0
CONTAINERS = {".mp4": "mp4v", ".avi": "MJPG"}


@dataclass(frozen=True)
class ReplaySource:
    """One record ready to replay: its timeline, table, colours and a short name."""

    timeline: Timeline
    table: TableSpec
    look: Look
    name: str


def load_replay(path: str | Path, shot_speed: float = 4.0) -> ReplaySource:
    """Read the record at ``path`` for replay.

    Args:
        shot_speed: m/s, the least kick speed the overlay calls a shot.

    Raises:
        RecordError: not a record, no frames, or no table in its ``meta.json``.
    """
    rec = read_record(path, require=("t",))
    if "table" not in rec.meta:
        raise RecordError(f"{Path(path) / 'meta.json'} has no table: the replay needs the "
                          "table the record was made on")
    table = table_from_dict(rec.meta["table"])
    timeline = Timeline.from_record(rec, shot_speed=shot_speed)
    return ReplaySource(timeline, table, record_look(rec.meta, timeline.teams),
                        Path(path).name or str(path))


def record_look(meta: dict, teams: tuple[str, str]) -> Look:
    """The replay's look for a record: its filmed colours if it says, else team names that
    are colours, else the teams' ``rgb``, else red and blue; no floor, players or hands
    around (they would hide the table from low views)."""
    filmed = meta.get("look", {})
    names = list(filmed.get("teams", [])) or [None, None]
    by_side = {int(t.get("side", -1)): t for t in meta.get("teams", [])}
    chosen = []
    for side in (0, 1):
        options = [names[side] if side < len(names) else None, teams[side]]
        rgb = by_side.get(side, {}).get("rgb")
        if rgb is not None and len(rgb) == 3:
            options.append("#" + "".join(f"{int(round(255 * float(c))):02x}" for c in rgb))
        options.append(("red", "blue")[side])
        chosen.append(next(o for o in options if _is_colour(o)))
    ball = filmed.get("ball", "white")
    return Look(teams=tuple(chosen), ball=ball if _is_colour(ball) else "white",
                floor_visible=False, hands=False)


def _is_colour(value) -> bool:
    if not isinstance(value, str):
        return False
    if value.strip().lower() in COLOURS:
        return True
    try:
        colour(value)
    except ValueError:
        return False
    return True


def check_ghost(main: ReplaySource, ghost: ReplaySource) -> None:
    """Raise ValueError unless ``ghost`` can be drawn on ``main``'s table."""
    a, b = main.table, ghost.table
    if [r.men for r in a.rods] != [r.men for r in b.rods]:
        raise ValueError(f"cannot compare {main.name} ({a.name}) with {ghost.name} ({b.name}): "
                         "their rods hold different numbers of men")


def export_times(timeline: Timeline, fps: float | None = None, speed: float = 1.0) -> np.ndarray:
    """(F,) s: the instants of an export's frames (module docstring)."""
    if not MIN_SPEED - 1e-9 <= speed <= MAX_SPEED + 1e-9:
        raise ValueError(f"speed must be in {MIN_SPEED:g}..{MAX_SPEED:g}, got {speed:g}")
    if fps is not None and fps <= 0:
        raise ValueError(f"fps must be positive, got {fps:g}")
    if fps is None and speed == 1.0:
        return timeline.t.copy()
    out_fps = fps or timeline.fps
    n = max(1, int(round(timeline.duration / speed * out_fps)))
    return timeline.start + np.arange(n) * speed / out_fps


@dataclass(frozen=True)
class ExportResult:
    path: Path
    frames: int
    fps: float  # of the video
    width: int
    height: int
    seconds: float  # s spent rendering and encoding the frames
    setup_seconds: float  # s spent before the first frame (context, meshes, shaders)
    cpu_seconds: float  # s of this process's CPU time (all threads) over the frames

    @property
    def render_fps(self) -> float:
        """Frames written per second of elapsed time."""
        return self.frames / self.seconds if self.seconds > 0 else float("inf")

    @property
    def cpu_fps(self) -> float:
        """Frames written per second of CPU time (all threads): less sensitive to other
        work on the machine than ``render_fps``."""
        return self.frames / self.cpu_seconds if self.cpu_seconds > 0 else float("inf")


class ReplayFrames:
    """Renders replay frames (BGR images with the overlay) headless or in a window's
    context: the shared part of ``export_replay`` and the tests."""

    def __init__(self, main: ReplaySource, ghost: ReplaySource | None, width: int, height: int,
                 preset: str = "overhead", shadow_taps: int | None = None):
        from sim.replaycam import preset as make_preset
        from sim.replayscene import ReplayRenderer

        if ghost is not None:
            check_ghost(main, ghost)
        self.main, self.ghost = main, ghost
        self.view = make_preset(preset, main.table, width, height)
        # the static table is drawn once (a followed view is a part of a fixed camera's
        # image): its soft shadows cost nothing per frame
        taps = 3 if shadow_taps is None else shadow_taps
        self.renderer = ReplayRenderer(main.table, main.look, width, height,
                                       ghost=ghost is not None, shadow_taps=taps)

    def camera_at(self, t: float):
        """(camera, origin) for ``ReplayRenderer.render`` at ``t`` s: a view following the
        ball is the part of a larger image around the ball's recent position."""
        view = self.view
        w, h = self.renderer.width, self.renderer.height
        if not view.follow:
            return view.camera(w, h), None
        parent = view.camera(*view.parent_size(w, h))
        return parent, follow_crop(parent, self.main.timeline.ball_near(t), w, h,
                                   table_box(self.main.table, walls=False))

    def render(self, t: float) -> None:
        tl = self.main.timeline
        ghost = gtrail = None
        if self.ghost is not None:
            gt = self.ghost.timeline
            ghost, gtrail = gt.state_at(t), gt.trail(t)
        camera, origin = self.camera_at(t)
        self.renderer.render(camera, tl.state_at(t), tl.trail(t), ghost, gtrail, origin)

    def frame(self, t: float, overlay: bool = True) -> np.ndarray:
        """(H, W, 3) uint8 BGR: the replay at ``t`` s."""
        from sim.overlay import draw_overlay

        self.render(t)
        img = self.renderer.read_bgr()
        if overlay:
            tl = self.main.timeline
            look = self.main.look
            draw_overlay(img, tl.overlay(t), (look.team_rgb(0), look.team_rgb(1)),
                         [g.t - tl.start for g in tl.goals],
                         self.ghost.name if self.ghost else None,
                         colour(self.renderer.ghost_look.ball) if self.ghost else None)
        return img


def export_replay(main: ReplaySource, out: str | Path, ghost: ReplaySource | None = None,
                  preset: str = "overhead", fps: float | None = None, speed: float = 1.0,
                  size: tuple[int, int] = (960, 540),
                  progress: Callable[[int, int], None] | None = None) -> ExportResult:
    """Render the replay of ``main`` (with ``ghost``) to the video file ``out`` headless.

    Raises:
        ValueError: a bad extension, speed, fps or size; OSError: the file cannot be written;
        RuntimeError: no offscreen OpenGL.
    """
    import cv2

    from sim.glutil import OffscreenContext

    out = Path(out)
    fourcc = CONTAINERS.get(out.suffix.lower())
    if fourcc is None:
        raise ValueError(f"cannot write {out.name}: the video must end in "
                         f"{' or '.join(CONTAINERS)}")
    times = export_times(main.timeline, fps, speed)
    out_fps = fps or main.timeline.fps
    width, height = (int(v) for v in size)
    context = OffscreenContext()
    writer = None
    t0 = time.perf_counter()
    try:
        frames = ReplayFrames(main, ghost, width, height, preset)
        frames.render(float(times[0]))  # draws the static table, compiles what is lazy
        t1, c1 = time.perf_counter(), time.process_time()
        out.parent.mkdir(parents=True, exist_ok=True)
        api = cv2.CAP_FFMPEG if fourcc == "mp4v" else cv2.CAP_OPENCV_MJPEG
        writer = cv2.VideoWriter(str(out), api, cv2.VideoWriter_fourcc(*fourcc), out_fps,
                                 (width, height))
        if not writer.isOpened():
            raise OSError(f"cannot write the video {out}")
        for k, t in enumerate(times):
            writer.write(frames.frame(float(t)))
            if progress is not None:
                progress(k + 1, len(times))
    finally:
        if writer is not None:
            writer.release()
        context.close()
    return ExportResult(out, len(times), float(out_fps), width, height,
                        time.perf_counter() - t1, t1 - t0, time.process_time() - c1)
