"""Plain functions behind the filming commands: choose a camera and a look from a scenario
plus overrides, film a scripted clip, and measure rendering speed.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path

from sim.camerasettings import CameraSettings
from sim.look import Look
from sim.scenarios import Scenario, get_scenario

CAMERA_FIELDS = {f.name for f in fields(CameraSettings)}
LOOK_FIELDS = {f.name for f in fields(Look)}


@dataclass(frozen=True)
class Shot:
    """Everything needed to film: the scenario it came from, the table name, the camera and
    the look (the scenario's, with overrides applied)."""

    scenario: Scenario
    table: str
    camera: CameraSettings
    look: Look

    def meta(self) -> dict:
        """For ``meta.json``: the scenario and whether anything was changed from it."""
        s = self.scenario
        return {"scenario": {**s.to_dict(),
                             "modified": (self.camera != s.camera or self.look != s.look
                                          or self.table != s.table)}}


def make_shot(scenario: str = "clean", table: str | None = None, teams=None,
              camera: dict | None = None, look: dict | None = None) -> Shot:
    """A scenario with some settings replaced.

    Args:
        scenario: a name from ``sim.scenarios.SCENARIOS``.
        table: a table name or JSON path replacing the scenario's.
        teams: two colour names (side 0, side 1) replacing the scenario's.
        camera: ``CameraSettings`` fields to replace (None values are ignored).
        look: ``Look`` fields to replace (None values are ignored).

    Raises:
        ValueError: unknown scenario or field, or a bad value.
    """
    s = get_scenario(scenario)
    cam = {k: v for k, v in (camera or {}).items() if v is not None}
    lk = {k: v for k, v in (look or {}).items() if v is not None}
    for name, given, allowed in (("camera", cam, CAMERA_FIELDS), ("look", lk, LOOK_FIELDS)):
        unknown = set(given) - allowed
        if unknown:
            raise ValueError(f"unknown {name} settings: {', '.join(sorted(unknown))}")
    if teams is not None:
        lk["teams"] = tuple(teams)
    cam = {k: tuple(v) if isinstance(v, list) else v for k, v in cam.items()}
    return Shot(s, table or s.table, replace(s.camera, **cam), replace(s.look, **lk))


def video_path(out_dir: str | Path, settings: CameraSettings) -> Path:
    """``out_dir/video.mp4`` (or ``.avi`` for MJPEG)."""
    return Path(out_dir) / f"video{settings.container}"


def open_footage(shot: Shot, out_dir: str | Path, table_spec=None, context=None):
    """A ``sim.footage.Footage`` writing ``video.*`` into ``out_dir`` (a ``Filmer``)."""
    from sim.footage import Footage
    from sim.table import load_table

    table_spec = table_spec or load_table(shot.table)
    return Footage(video_path(out_dir, shot.camera), table_spec, shot.camera, shot.look,
                   context=context)


def film_scripted(shot: Shot, out_dir: str | Path, script: str = "match", seconds: float = 1.0,
                  seed: int = 0) -> Path:
    """Film a scripted clip (``sim.scripted``): ``video.*`` and the truth record in
    ``out_dir``. Returns ``out_dir``."""
    from sim.scripted import film_script, make_script
    from sim.table import load_table

    table = load_table(shot.table)
    footage = open_footage(shot, out_dir, table)
    frames = max(1, int(round(seconds * shot.camera.fps)))
    return film_script(make_script(script, table, seed), table, footage, out_dir, frames,
                       shot.camera.fps, extra_meta={**shot.meta(), "script": script,
                                                    "seed": seed})


@dataclass(frozen=True)
class BenchResult:
    """Rendering speed of one configuration (encoding included)."""

    label: str
    width: int
    height: int
    frames: int
    wall_fps: float  # frames per second of elapsed time
    cpu_fps: float  # frames per second of this process's CPU time (all its threads)

    def line(self) -> str:
        return (f"{self.label:>14} {self.width}x{self.height}: {self.wall_fps:7.1f} fps wall, "
                f"{self.cpu_fps:7.1f} fps cpu ({self.frames} frames)")


def benchmark(shot: Shot, frames: int = 240, script: str = "match", out_dir=None,
              label: str | None = None) -> BenchResult:
    """Film ``frames`` frames of a scripted match and time it (states prepared beforehand,
    the first frames, which compile shaders, not timed).

    The video goes to ``out_dir`` (a temporary directory by default).
    """
    import tempfile

    from sim.scripted import exposure_states, make_script
    from sim.table import load_table

    table = load_table(shot.table)
    fps = shot.camera.fps
    scr = make_script(script, table, 0)
    warm = 5
    states = [exposure_states(scr, i / fps, shot.camera.exposure) for i in range(frames + warm)]
    with tempfile.TemporaryDirectory() as tmp:
        footage = open_footage(shot, out_dir or tmp, table)
        try:
            for i in range(warm):
                footage.film(i, i / fps, states[i])
            t0, c0 = time.perf_counter(), time.process_time()
            for i in range(warm, warm + frames):
                footage.film(i, i / fps, states[i])
            footage.close()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        finally:
            footage.close()
    return BenchResult(label or shot.scenario.name, shot.camera.width, shot.camera.height_px,
                       frames, frames / wall, frames / cpu)


def bench_environment() -> dict:
    """What the speed depends on: CPUs this process may use, llvmpipe threads, load."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = []
    return {"cpus": cpus, "LP_NUM_THREADS": os.environ.get("LP_NUM_THREADS", "(default)"),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def bench_sizes(sizes, base: Shot, frames: int, script: str) -> list[BenchResult]:
    """``benchmark`` at several image sizes (``(width, height)`` pairs) of one shot."""
    out = []
    for w, h in sizes:
        hfov = base.camera.hfov_deg
        shot = replace(base, camera=replace(base.camera, width=int(w), height_px=int(h),
                                            hfov_deg=hfov))
        out.append(benchmark(shot, frames, script, label=f"{base.scenario.name}"))
    return out

