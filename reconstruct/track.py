"""The tracker: frames in, a game record of the ball, the rods and the events out.

Per frame: the frame brought to the background's brightness when a flickering lamp made it
brighter or darker (``reconstruct.brightness``; the rods are read from the frame as it is),
ball candidates (``reconstruct.ball``) against the empty table
(``reconstruct.background``: primed from frames spread over a video file; the rods and the
field's markings, where a ball shows no contrast and a man moving off them looks like one,
are left out of the search) lifted onto the table, and every rod's shift and angle read
from its men (``reconstruct.rods``). Over time: the most likely ball
path (``reconstruct.paths``, with the men's feet and what they hide from
``reconstruct.men_view``), smoothed (``reconstruct.smooth``), the rods smoothed
(``reconstruct.rod_paths``), and events (``reconstruct.events``).

Two records are written as the video goes, each flushed row by row: the smoothed one in
the output directory (about 1.5 s behind the video) and the online one (no lag) in its
``online/`` folder. Folders of stills are tracked image by image, with no reasoning across
them, and a ``source`` column naming each file.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from reconstruct.background import SnapshotBackground
from reconstruct.ball import BallCandidates, BallDetector
from reconstruct.ball_folder import (
    FOLDER_THRESHOLD,
    SAMPLE_IMAGES,
    FolderBackground,
    FolderBallDetector,
)
from reconstruct.brightness import LampGain
from reconstruct.events import EventDetector
from reconstruct.lift import (
    ball_radius_map,
    frame_row,
    goal_mouth_mask,
    lift_candidates,
    playfield_mask,
    rod_mask,
)
from reconstruct.memory import keep_freed_memory
from reconstruct.men_view import MenView
from reconstruct.paths import OUT, SEEN, BallPathTracker, PathSettings
from reconstruct.playfield import playfield_mask as green_playfield_mask
from reconstruct.rod_paths import RodPathTracker
from reconstruct.rods import RodReader
from reconstruct.smooth import PathSmoother
from reconstruct.sources import Frame
from sim.record import Event, RecordWriter, rods_meta, teams_meta
from sim.table import TableSpec


@dataclass(frozen=True)
class TrackSettings:
    """Tuning of the whole tracker."""

    path: PathSettings = field(default_factory=PathSettings)
    full_search_every: int = 10  # frames between full-frame ball searches while tracking
    lost_search_every: int = 3  # frames between full searches while windows find nothing
    windows: int = 3  # hypotheses searched around each frame
    still_threshold: float | None = None  # least score of a ball in a still (None: the
    # folder detector's FOLDER_THRESHOLD)
    window_radii: float = 5.0  # half size of a search window, ball radii (plus motion)
    background_every: int = 96  # frames between snapshots of the background
    background_snapshots: int = 5  # the background is the median of this many snapshots


@dataclass
class TrackSummary:
    """What a tracking run did."""

    frames: int = 0
    seconds: float = 0.0  # wall-clock, whole run from the first frame (start-up excluded)
    cpu_s: float = 0.0  # CPU time of the same (a rate that a busy machine distorts less)
    decode_s: float = 0.0  # s decoding the frames
    track_s: float = 0.0  # s tracking them and writing the records (all but decoding)
    startup_s: float = 0.0  # s before the first frame: calibration (when the caller timed
    # it), the tracker's set-up and the background's priming; not in the rates
    goals: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)
    out_dir: Path | None = None
    dropped: int = 0

    @property
    def fps(self) -> float:
        return self.frames / max(self.seconds, 1e-9)

    def text(self) -> str:
        goals = ", ".join(f"{k} {v}" for k, v in self.goals.items()) or "none"
        rate = self.frames / max(self.decode_s + self.track_s, 1e-9)  # the bench's figure
        cpu = f"; {self.frames / self.cpu_s:.0f} fps of CPU time" if self.cpu_s > 0 else ""
        startup = (f"; start-up {self.startup_s:.1f} s, not in the rates"
                   if self.startup_s > 0 else "")
        return (f"{self.frames} frames in {self.seconds:.1f} s ({rate:.0f} fps decoding, "
                f"tracking and writing, {self.frames / max(self.track_s, 1e-9):.0f} fps "
                f"without decoding{cpu}{startup}); goals: {goals}; events: "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.events.items())))


# Lab L (8-bit scale): a man's faces turned from the lamp are darker than his top (seen
# 40-120 on one blue man); his team colour is learnt mostly from one shade. Without this
# spread the mask loses the faces an oblique line of sight sees, and the angle fit swings
# every man away from the camera by 2-8 degrees.
SHADE_L_STD = 60.0
MIN_CHROMA_SEPARATION = 4.0  # teams closer in (a, b) are told apart by lightness: no spread
# image px: the outline this mask loses on every side (an edge pixel blending a man with the
# field falls out of the team colour when it is less than about half the man's); the rod
# reader shrinks its predicted silhouettes by as much
MASK_EDGE_LOSS_PX = 0.5


MEN_EDGE_RADII = 0.15  # ball radii (1 px at least) a man's outline is shrunk by when his
# change of the image is told from the ball's (a ball half hidden by him: 30-60 % of its
# matte lay on his unshrunk outline on the full clean match, mostly under 5 % on the
# shrunk one)

UNGHOST_EVERY = 12  # frames between looks for men who left the background's snapshot

MIN_TEAM_CHROMA = 12.0  # Lab (a, b) distance from grey (8-bit scale) of a coloured team
NEUTRAL_L_STD = 20.0  # the smaller lightness spread of a neutral team's mask
# a dark neutral team (black): Lab L (8-bit scale) below which it counts as dark, and how
# much lighter than its mean its lit faces count as fully its colour (the top of a black
# man swung level under the lamp reads about L 105 at neutral chroma; learnt from the darker
# shades, the mask kept only his head and shoes and the angle fit lost him; a larger lift,
# 60 or 95, takes in enough of the rods and walls to cost the goalies and the shifts)
DARK_TEAM_L = 60.0
DARK_LIT_LIFT = 40.0


def _chroma(model) -> float:
    return float(np.hypot(model.lab_mean[1] - 128.0, model.lab_mean[2] - 128.0))


def _team_mask_from(calibration):
    """A team mask for ``RodReader`` from the calibration's team colours, tolerant of
    shading unless the two teams differ only in lightness."""
    models = {t.side: t.colour for t in calibration.teams}
    if len(models) == 2 and models[0].chroma_separation(models[1]) > MIN_CHROMA_SEPARATION:
        # a neutral team (black, white, grey) is its lightness: spreading it as much would
        # take in every shadow, rod and goal of that lightness range
        models = {s: m.with_lightness_spread(SHADE_L_STD if _chroma(m) > MIN_TEAM_CHROMA
                                             else NEUTRAL_L_STD) for s, m in models.items()}

    def mask(bgr, side):
        if side not in models:  # no colour found for this team: none of its men are seen
            return np.zeros(np.asarray(bgr).shape[:-1], np.float32)
        m = models[side]
        if _chroma(m) <= MIN_TEAM_CHROMA and m.lab_mean[0] < DARK_TEAM_L:
            d = _lit_dark_distance(m, bgr)
        else:
            d = m.distance(bgr)
        return np.clip(1.5 - 0.5 * d, 0.0, 1.0)

    return mask


def _lit_dark_distance(model, bgr) -> np.ndarray:
    """(...) Mahalanobis distance of (..., 3) uint8 BGR pixels to a dark neutral colour
    whose lit faces are up to ``DARK_LIT_LIFT`` lighter: a pixel up to that much lighter
    counts as dark as the mean (its chroma must still be the colour's)."""
    from reconstruct.calibration.model import bgr_to_lab

    lab = bgr_to_lab(bgr).reshape(-1, 3) - np.array(model.lab_mean)
    lab[:, 0] -= np.clip(lab[:, 0], 0.0, DARK_LIT_LIFT)
    inv = np.linalg.inv(np.array(model.lab_cov))
    m2 = np.einsum("ni,ij,nj->n", lab, inv, lab)
    return np.sqrt(m2).reshape(np.asarray(bgr).shape[:-1])


class VideoTracker:
    """Tracks one video, frame by frame.

    Args:
        table: the table.
        calibration: a ``reconstruct.calibration.Calibration`` (camera, team colours).
        fps: the video's frame rate.
        settings: tuning.
    """

    def __init__(self, table: TableSpec, calibration, fps: float,
                 settings: TrackSettings | None = None):
        self.table = table
        self.cal = calibration
        self.camera = calibration.camera
        self.fps = float(fps)
        self.s = settings or TrackSettings()
        self.team_names = calibration.team_names or ("side0", "side1")
        self.rods = RodReader(table, self.camera, _team_mask_from(calibration),
                              edge_loss_px=MASK_EDGE_LOSS_PX)
        self.men = MenView(table, self.camera)
        self.radius_map = ball_radius_map(self.camera, table)
        self._men_edge = max(1, round(MEN_EDGE_RADII * float(np.median(self.radius_map))))
        self._bg_men: tuple[int, np.ndarray | None] = (-1, None)  # background version, mask
        # a ball centre stays a radius away from the walls (the goal mouths excepted)
        self.roi = playfield_mask(self.camera, table, margin=0.004 - table.ball.radius)
        from reconstruct.calibration.ball import detector_colour

        ball_colour, score_model = detector_colour(calibration)
        self.detector = BallDetector(ball_colour=ball_colour, expected_radius_px=self.radius_map,
                                     score_model=score_model)
        # what shows on a rod is the rod (a white-grey bar): no ball is looked for there
        self._valid_base = 1.0 - rod_mask(self.camera, table)
        self.detector.set_valid(self._valid_base)
        self.path = BallPathTracker(table, fps, self.s.path)
        self.smoother = PathSmoother(fps)
        self.rod_paths = RodPathTracker(len(table.rods), fps)
        self.events = EventDetector(table, fps, self.team_names)
        self.background = SnapshotBackground(self.s.background_every,
                                             self.s.background_snapshots)
        # where the ball's pixels can be: the centres' region, grown by the largest radius
        # and the snapshot's own growth of ball-like pixels
        ys, xs = np.nonzero(self.roi)
        grow = int(np.ceil(float(self.radius_map.max()))) + 3
        self._ball_box = ((int(ys.min()) - grow, int(ys.max()) + 1 + grow,
                           int(xs.min()) - grow, int(xs.max()) + 1 + grow)
                          if len(ys) else None)
        # mains flicker: each frame brought to the background's brightness for the ball
        self.lamp = LampGain(self._ball_box)
        self._last_pixel = np.array([self.camera.width - 1, self.camera.height - 1], float)
        self._rod_frames: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._online_unwrap: np.ndarray | None = None
        self._last = None  # last online path point
        self._since_full = 0
        # the source's index and time of each frame taken (a live camera drops frames when
        # the tracker falls behind: the n-th frame taken need not be the source's n-th)
        self._clock: dict[int, tuple[int, float]] = {}
        self._taken = 0

    # ------------------------------------------------------------------ per frame
    def _windows(self) -> np.ndarray | None:
        """Search windows (u, v, half size) around where the best few hypotheses expect the
        ball, or None for a full-frame search (no hypothesis in play, or it is time for one:
        a ball the beam has lost must be found again)."""
        if self._since_full >= self.s.full_search_every:
            return None
        preds = self.path.predictions(self.s.windows)
        if not len(preds):
            return None
        r = self.table.ball.radius
        k = len(preds)
        # the predicted centres and where each moves in a frame, projected together
        pts = np.empty((2 * k, 3))
        pts[:k, :2] = preds[:, :2]
        pts[k:, :2] = preds[:, :2] + preds[:, 2:4] / self.fps
        pts[:, 2] = r
        uv = self.camera.table_to_pixel(pts)
        at = np.minimum(np.maximum(np.rint(uv[:k]), 0.0), self._last_pixel).astype(int)
        rad = self.radius_map[at[:, 1], at[:, 0]].astype(float)
        step = uv[k:] - uv[:k]
        out = np.empty((k, 3))
        out[:, :2] = uv[:k]
        out[:, 2] = np.minimum(self.s.window_radii * rad + 1.5 * np.hypot(step[:, 0], step[:, 1])
                               + 3.0 * preds[:, 4] * (rad / r), 0.25 * self.camera.width)
        return out

    def prime_background(self, frames: list[np.ndarray]) -> None:
        """Start the background from frames spread over the video (no ghost of where the
        ball stood in the first frame)."""
        self.background.prime(frames)
        if self.background.image is not None:
            # the markings: where the empty table itself looks like the ball, a ball shows
            # no contrast, and a man moving off them would look like one
            r = float(np.median(self.radius_map))
            self.detector.set_valid(self._valid_base * (1.0 - _markings(
                self.background.image, 1.2 * r)))

    def _men_mask(self, men, shape, box) -> np.ndarray:
        """(h, w) uint8 of ``box`` (y0, y1, x0, x1) px: 1 where a man shows now (``men``,
        ``MenOutlines``) or where the background still shows one: a change of the image
        there is the man's. Both outlines are shrunk by ``_men_edge`` px: the pixels
        blending a man with a ball beside him are the ball's too."""
        m = men.draw(shape, box, shrink=self._men_edge)
        bg = self.background
        if bg.men is not None:
            if self._bg_men[0] != bg.version:
                k = np.ones((2 * self._men_edge + 1,) * 2, np.uint8)
                self._bg_men = (bg.version, cv2.erode(bg.men, k))
            y0, y1, x0, x1 = box
            m |= self._bg_men[1][y0:y1, x0:x1]
        return m

    def process(self, frame: Frame):
        """Take one frame. Returns (online row, smoothed rows, events) ready to write."""
        image = frame.image
        self._clock[self._taken] = (frame.index, frame.t)
        self._taken += 1
        reading = self.rods.read(image)  # first: the whole frame is freshest in the cache
        shifts, angles = self.rod_paths.update(reading)
        image = self.lamp.normalise(image, self.background.image)
        shape = image.shape[:2]
        # the men's silhouettes now (from the online rod estimate): the background leaves
        # no ghost of a man who has left, and a candidate's matte on a man is weighed out
        men = self.men.outlines(shifts, angles)
        # a snapshot of the table leaves out every pixel that looks like the ball (a resting
        # or held ball never enters the background, wherever it is)
        if not self.background.update(image, colour=self.detector.colour, box=self._ball_box,
                                      men=lambda: men.draw(shape)) \
                and self._taken % UNGHOST_EVERY == 0:
            self.background.unghost(men.draw(shape))  # a man who left since the snapshot
        bg = self.background.image
        self.detector.men_mask = lambda box: self._men_mask(men, shape, box)
        windows = self._windows()
        if windows is None:
            cands = self.detector.detect(image, roi=self.roi, background=bg)
            self._since_full = 0
        else:
            cands = self.detector.detect(image, roi=self.roi, background=bg,
                                         search_windows=windows)
            if len(cands) == 0 and self._since_full >= self.s.lost_search_every:
                # lost it (or hidden under a man): look everywhere, every few frames
                cands = self.detector.detect(image, roi=self.roi, background=bg)
                self._since_full = 0
            else:
                self._since_full += 1
        if len(cands) > 1:
            cands = _unique(cands, 0.5 * _median(cands.radius_px))
        lifted = lift_candidates(cands.uv, cands.score, self.camera, self.table)
        # online row: rods unwrapped against the previous online angles
        if self._online_unwrap is None:
            self._online_unwrap = angles.copy()
            spin = None
        else:
            d = (angles - self._online_unwrap + np.pi) % (2 * np.pi) - np.pi
            self._online_unwrap = self._online_unwrap + d
            spin = d * self.fps
        ctx = self.men.context(shifts, angles, spin)
        online = self.path.update(lifted, ctx)
        self._last = online
        online_row = frame_row(frame.index, frame.t, online.xy, online.state, shifts,
                               self._online_unwrap, self.camera, self.table)
        for rf in self.rod_paths.pop_committed():
            self._rod_frames[rf.frame] = (rf.shift, rf.angle)
        rows, events = self._join(self.smoother.push(self.path.pop_committed()))
        return online_row, rows, events

    def _join(self, points) -> tuple[list[dict], list[Event]]:
        rows, events = [], []
        for p in points:
            shifts, angles = self._rod_frames.pop(p.frame)
            events += [self._retime(e) for e in self.events.push(p, shifts, angles)]
            index, t = self._source_clock(p.frame)
            rows.append(frame_row(index, t, p.xy, p.state, shifts, angles, None, self.table))
            self._clock.pop(p.frame - int(10 * self.fps), None)  # long decided
        _add_pixels(rows, self.camera, self.table)
        return rows, events

    def _source_clock(self, k: int) -> tuple[int, float]:
        """The source's frame index and time of the k-th frame taken (beyond the frames
        known, counted on at the source's rate)."""
        if k in self._clock:
            return self._clock[k]
        k0 = max(self._clock) if k > max(self._clock) else min(self._clock)
        index, t = self._clock[k0]
        return index + (k - k0), t + (k - k0) / self.fps

    def _retime(self, event: Event) -> Event:
        """An event of the path search (counted in frames taken) on the source's clock."""
        index, t = self._source_clock(event.frame)
        return replace(event, frame=index, t=t) if index != event.frame else event

    def finish(self) -> tuple[list[dict], list[Event]]:
        """Flush everything still pending (end of the video)."""
        for rf in self.rod_paths.finish():
            self._rod_frames[rf.frame] = (rf.shift, rf.angle)
        points = self.smoother.push(self.path.finish()) + self.smoother.finish()
        rows, events = self._join(points)
        return rows, events + [self._retime(e) for e in self.events.finish()]


def _add_pixels(rows: list[dict], camera, table: TableSpec) -> None:
    """Put the ball's pixel (``ball_u``, ``ball_v``) into every row that places the ball
    (what ``frame_row`` with the camera adds, the rows' balls projected together)."""
    placed = [row for row in rows if "ball_x" in row]
    if not placed:
        return
    r = table.ball.radius
    uv = camera.table_to_pixel(np.array([[row["ball_x"], row["ball_y"], r] for row in placed]))
    for row, (u, v) in zip(placed, uv.tolist(), strict=True):
        row["ball_u"], row["ball_v"] = u, v


def _markings(image: np.ndarray, width_px: float, contrast: float = 20.0) -> np.ndarray:
    """(H, W) float32: 1 on thin bright lines of ``image`` (H, W, 3) uint8 (the field's
    markings: brighter by ``contrast`` grey levels than an opening of ``width_px`` leaves),
    grown by a pixel; else 0."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    k = max(3, int(round(width_px)) | 1)
    opened = cv2.morphologyEx(grey, cv2.MORPH_OPEN,
                              cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    thin = (cv2.subtract(grey, opened) > contrast).astype(np.uint8)
    return cv2.dilate(thin, np.ones((3, 3), np.uint8)).astype(np.float32)


def _median(a: np.ndarray) -> float:
    """The median of a short (N > 0,) float64 array, as ``np.median`` gives it (quicker)."""
    s = np.sort(a)
    n = len(s)
    return float(s[n // 2]) if n % 2 else float((s[n // 2 - 1] + s[n // 2]) / 2.0)


def _unique(cands, tol: float):
    """The candidates without repeats (overlapping windows find a ball twice): of those
    within ``tol`` px of a better one, only the best is kept."""
    if len(cands) < 2:
        return cands
    order = np.argsort(-cands.score, kind="stable")
    keep: list[int] = []
    for i in order:
        if all(np.hypot(cands.u[i] - cands.u[j], cands.v[i] - cands.v[j]) > tol for j in keep):
            keep.append(int(i))
    return cands[np.array(keep)]


# ---------------------------------------------------------------------- records and runs
def _meta(table: TableSpec, calibration, fps: float, source_name: str, kind: str) -> dict:
    names = calibration.team_names or ("side0", "side1")
    colours = [calibration.team_of_side(s).colour.rgb for s in (0, 1)] \
        if calibration.teams else None
    return {
        "fps": fps, "source": kind, "input": source_name, "table": table.to_dict(),
        "rods": rods_meta(table, names), "teams": teams_meta(names, colours),
        "camera": calibration.camera.to_dict(),
        "calibration": {"method": calibration.method,
                        "reprojection_error_px": calibration.reprojection_error},
    }


class _Progress:
    def __init__(self, total: int | None, enabled: bool):
        self.total, self.enabled = total, enabled
        self.t0 = time.perf_counter()
        self.last = 0.0

    def show(self, n: int, extra: str | Callable[[], str] = "", force: bool = False) -> None:
        """Show ``n`` frames done (at most twice a second) and ``extra`` text (or the
        function making it, called only when shown)."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last < 0.5 and not force:
            return
        if callable(extra):
            extra = extra()
        self.last = now
        rate = n / max(now - self.t0, 1e-9)
        if self.total:
            pct = 100.0 * n / self.total
            bar = "#" * int(pct / 5) + "-" * (20 - int(pct / 5))
            msg = f"\rtracking [{bar}] {n}/{self.total} frames ({pct:.0f} %), {rate:.0f} fps"
        else:
            msg = f"\rtracking {n} frames, {rate:.0f} fps"
        print(msg + ("  " + extra if extra else ""), end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.enabled:
            print(file=sys.stderr)


def track_video(source, out_dir: str | Path, table: TableSpec, calibration,
                settings: TrackSettings | None = None, progress: bool = True,
                max_frames: int | None = None,
                calibration_s: float | None = None) -> TrackSummary:
    """Track a temporal source (video file or live camera) into a record at ``out_dir``.

    The records' ``timing`` (and the summary) time each frame from the moment the source
    hands it over to the moment its rows and events are written to both records:
    ``decode_s`` is the source's decoding, ``track_s`` everything else (tracking and
    writing; the end of the video's flush included). The start-up, before the first frame,
    is timed apart (``startup_s``): the tracker's set-up, the background's priming and,
    when the caller gives how long it took (``calibration_s``), the calibration.
    """
    out_dir = Path(out_dir)
    summary = TrackSummary(out_dir=out_dir)
    keep_freed_memory()  # a frame's arrays reuse the last frame's memory
    t_setup = time.perf_counter()
    tracker = VideoTracker(table, calibration, source.fps, settings)
    if source.frame_count:  # a file: the empty table from frames spread over it
        n = 15
        tracker.prime_background(source.sample(n, stride_s=max(
            0.1, source.frame_count / source.fps / n)))
    meta = _meta(table, calibration, source.fps, str(getattr(source, "path", "camera")),
                 "track")
    bar = _Progress(source.frame_count, progress)
    with RecordWriter(out_dir, meta) as rec, \
            RecordWriter(out_dir / "online", {**meta, "source": "track-online"}) as online:
        summary.startup_s = time.perf_counter() - t_setup + (calibration_s or 0.0)
        clock = time.perf_counter
        track_s = 0.0
        t_start, cpu_start = clock(), time.process_time()

        def write(rows, events):
            for r in rows:
                rec.write_frame(r)
            for e in events:
                rec.write_event(e)
                summary.events[e.type] = summary.events.get(e.type, 0) + 1
                if e.type == "goal":
                    summary.goals[e.team] = summary.goals.get(e.team, 0) + 1

        def score_text():
            return _score_text(summary, tracker.team_names)

        for frame in source:
            t0 = clock()
            online_row, rows, events = tracker.process(frame)
            online.write_frame(online_row)
            write(rows, events)
            summary.frames += 1
            summary.decode_s += frame.decode_s
            bar.show(summary.frames, score_text)
            track_s += clock() - t0
            if max_frames is not None and summary.frames >= max_frames:
                break
        t0 = clock()
        write(*tracker.finish())
        summary.track_s = track_s + clock() - t0
        summary.seconds = clock() - t_start
        summary.cpu_s = time.process_time() - cpu_start
        summary.dropped = getattr(source, "dropped", 0)
        timing = {"frames": summary.frames, "decode_s": summary.decode_s,
                  "track_s": summary.track_s, "startup_s": summary.startup_s,
                  "cpu_s": summary.cpu_s, "realtime_fps": source.fps,
                  "lag_s": tracker.path.lag / source.fps + tracker.smoother.s.half_window
                  / source.fps}
        rec.update_meta(timing=timing)
        online.update_meta(timing={**timing, "lag_s": 0.0})
    bar.done()
    if summary.dropped:
        warnings.warn(f"the tracker could not keep up: {summary.dropped} camera frames were "
                      "dropped", stacklevel=2)
    return summary


def _score_text(summary: TrackSummary, names) -> str:
    return " - ".join(f"{n} {summary.goals.get(n, 0)}" for n in names)


def track_stills(source, out_dir: str | Path, table: TableSpec, calibration,
                 settings: TrackSettings | None = None, progress: bool = True,
                 folder_background: bool = True) -> TrackSummary:
    """Track a folder of stills, each image on its own.

    With ``folder_background`` the folder's background (``reconstruct.ball_folder``: the
    per-pixel median of up to ``SAMPLE_IMAGES`` stills spread over the folder) is made once,
    before the first still, like the calibration; each still is then judged against it on its
    own. Stills of another view, and folders too small for a background, are judged by their
    look alone."""
    s = settings or TrackSettings()
    out_dir = Path(out_dir)
    summary = TrackSummary(out_dir=out_dir)
    camera = calibration.camera
    if len(calibration.teams) < 2:
        warnings.warn("the calibration found no colour for one team or both: their rods are "
                      "not read (the ball is)", stacklevel=2)
    rods = RodReader(table, camera, _team_mask_from(calibration),
                     edge_loss_px=MASK_EDGE_LOSS_PX)
    radius = ball_radius_map(camera, table)
    # the playfield alone: a ball in a goal mouth is out of play, and in an oblique view the
    # mouths cover the goal counters' lights
    roi = playfield_mask(camera, table, margin=0.0) & ~goal_mouth_mask(camera, table)
    ball_colour = None
    if calibration.ball is not None:
        ball_colour = np.array(calibration.ball.rgb[::-1]) * 255.0
    t_start = time.perf_counter()
    background = None
    if folder_background:
        background = FolderBackground.from_images(source.sample(SAMPLE_IMAGES),
                                                  float(np.median(radius[roi])), roi)
        if background is not None:  # and on the green field as the folder sees it (a guard
            # against a calibration that places the playfield a little off)
            try:
                roi = roi & green_playfield_mask(background.image)
            except ValueError:
                pass
    detector = FolderBallDetector(background, expected_radius_px=radius,
                                  ball_colour=ball_colour)
    threshold = s.still_threshold if s.still_threshold is not None else FOLDER_THRESHOLD
    meta = _meta(table, calibration, source.fps, str(source.path), "track-stills")
    meta["stills"] = {"folder_background_images": 0 if background is None
                      else background.n_images, "ball_threshold": threshold}
    bar = _Progress(source.frame_count, progress)
    other_view = 0
    with RecordWriter(out_dir, meta, extra_columns=("source", "ball_score")) as rec:
        for frame in source:
            t0 = time.perf_counter()
            if detector.shows_view(frame.image, roi):
                cands = detector.detect(frame.image, roi=roi)
            else:  # another camera: the calibration does not hold, no ball can be placed
                cands = BallCandidates.empty()
                other_view += 1
            lifted = lift_candidates(cands.uv, cands.score, camera, table)
            reading = rods.read(frame.image)
            if len(lifted.xy) and lifted.score[0] >= threshold:
                xy, state, score = lifted.xy[0], SEEN, float(lifted.score[0])
            else:
                xy, state, score = np.full(2, np.nan), OUT, None
            row = frame_row(frame.index, frame.t, xy, state, reading.shift, reading.angle,
                            camera, table)
            if state == SEEN:  # a still's ball is where it was seen, not re-projected
                i = int(np.argmin(np.linalg.norm(cands.uv - camera.table_to_pixel(
                    np.array([[xy[0], xy[1], table.ball.radius]])), axis=1)))
                row.update(ball_u=float(cands.u[i]), ball_v=float(cands.v[i]))
            row.update(source=frame.name, ball_score=score)
            rec.write_frame(row)
            summary.track_s += time.perf_counter() - t0
            summary.decode_s += frame.decode_s
            summary.frames += 1
            bar.show(summary.frames)
        summary.seconds = time.perf_counter() - t_start
        rec.update_meta(timing={"frames": summary.frames, "decode_s": summary.decode_s,
                                "track_s": summary.track_s,
                                "background_s": summary.seconds - summary.track_s
                                - summary.decode_s},
                        stills={**meta["stills"], "other_view": other_view})
    bar.done()
    if other_view:
        warnings.warn(f"{other_view} of {summary.frames} stills show another view than the "
                      "folder's (another camera?): no ball placed in them", stacklevel=2)
    return summary


# ---------------------------------------------------------------------- command line
def load_or_calibrate(source, table: TableSpec, calibration_file: str | None, out_dir: Path,
                      n_frames: int = 30, side_colours: tuple[str, str] | None = None,
                      ball: str | None = None):
    """The calibration to track with: a file (a saved calibration, or clicked points) or
    found automatically from frames spread over the source; its overlay PNG is written to
    ``out_dir/calibration.png`` and the calibration to ``out_dir/calibration.json``.

    ``side_colours`` (the colour names of the teams defending -x and +x) settles which goal
    is which; without it the +x goal is the one on the right (or bottom) of the image.
    ``ball`` (white, yellow, orange) overrides the ball's colour found or saved.
    """
    import cv2

    from reconstruct.calibrate import calibrate_auto, calibrate_from_points, draw_overlay
    from reconstruct.calibration.model import Calibration
    from reconstruct.views import main_view_frames

    frames = main_view_frames(source.sample(n_frames))  # other cameras' views left out
    if calibration_file:
        path = Path(calibration_file)
        if not path.is_file():
            raise ValueError(f"calibration file {path} does not exist")
        try:
            cal = Calibration.load(path)
        except ValueError:
            cal = calibrate_from_points(path, table, frames=frames, ball=ball)
        if (cal.camera.width, cal.camera.height) != tuple(source.size):
            raise ValueError(f"calibration {path} is for {cal.camera.width}x{cal.camera.height} "
                             f"images, the input is {source.size[0]}x{source.size[1]}")
        if not cal.teams:
            raise ValueError(f"calibration {path} names no teams: the men's colours could not "
                             "be found in the footage")
        if ball is not None:
            from reconstruct.calibration.ball import preset_model
            cal = replace(cal, ball=preset_model(ball))
    else:
        cal = calibrate_auto(frames, table, side_colours=side_colours, ball=ball)
    out_dir.mkdir(parents=True, exist_ok=True)
    cal.save(out_dir / "calibration.json")
    cv2.imwrite(str(out_dir / "calibration.png"), draw_overlay(frames[0], cal, table))
    return cal


def track_cli(args) -> int:
    """``foosball track INPUT --out DIR [--table NAME] [--calibration FILE] [--live]``."""
    from reconstruct.sources import open_source
    from sim.table import load_table

    table = load_table(args.table)
    source = open_source(args.input, live=args.live)
    out = Path(args.out)
    t0 = time.perf_counter()
    cal = load_or_calibrate(source, table, args.calibration, out,
                            side_colours=tuple(args.teams) if args.teams else None,
                            ball=getattr(args, "ball", None))
    calibration_s = time.perf_counter() - t0
    print(f"calibration: {cal.method}, reprojection error {cal.reprojection_error:.2f} px; "
          f"teams: {', '.join(cal.team_names or ('unknown', 'unknown'))}; "
          f"overlay: {out / 'calibration.png'}", file=sys.stderr)
    if cal.reprojection_error > 5.0:
        warnings.warn(f"the calibration fits poorly ({cal.reprojection_error:.1f} px): check "
                      f"{out / 'calibration.png'} and consider --calibration FILE", stacklevel=1)
    if source.temporal:
        summary = track_video(source, out, table, cal, progress=not args.quiet,
                              max_frames=args.max_frames, calibration_s=calibration_s)
    else:
        summary = track_stills(source, out, table, cal, progress=not args.quiet)
    print(summary.text())
    if summary.frames == 0:
        raise ValueError("no frame could be tracked")
    return 0
