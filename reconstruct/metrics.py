"""The scores of a reconstruction against its truth: the report, its headline row, its text.

The scorers are plain functions of two comparable records (``sim.record.Record``, same
frames): ``score_ball`` (``metrics_ball``), ``score_rods`` (``metrics_rods``),
``score_events`` (``metrics_events``) and ``score_speed`` (here). ``reconstruct.evaluate``
checks that two records can be compared and gathers everything into an ``EvaluationReport``;
a benchmark takes one ``HeadlineRow`` per scenario from it and prints them with
``format_headline_table``.

Speed comes from the estimate's ``meta.json`` ``timing`` block, written by the tracker:
``{"frames": N, "decode_s": s, "track_s": s, "realtime_fps": fps}`` (``decode_s`` optional,
``realtime_fps`` defaults to the record's fps). Tracker rate = frames / track_s; with decoding
= frames / (decode_s + track_s); real-time factor = the rate with decoding / the source fps
(> 1: faster than the camera). The tracker's ``track_s`` includes writing the records; its
start-up (``startup_s``, optional) is in neither rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reconstruct.metrics_ball import (
    HEADLINE,
    THRESHOLDS_MM,
    BallModeReport,
    BallReport,
    BallScores,
    score_ball,
    threshold_label,
)
from reconstruct.metrics_common import fields_to_dict, fmt, ratio, to_jsonable
from reconstruct.metrics_events import EventScores, score_events
from reconstruct.metrics_rods import RodReport, score_rods
from sim.record import RecordError

__all__ = [
    "EvaluationReport", "HeadlineRow", "SpeedReport", "format_headline_table", "score_ball",
    "score_events", "score_rods", "score_speed",
]


@dataclass(frozen=True)
class SpeedReport:
    """How fast the tracker ran (from the estimate's ``timing`` block).

    Attributes:
        frames: frames processed.
        decode_s: s spent decoding video (NaN if not reported).
        track_s: s spent tracking.
        fps_track: frames per second of tracking alone.
        fps_total: frames per second with decoding (NaN if decoding time unknown).
        source_fps: the camera's frame rate.
        realtime_factor: fps_total / source_fps (> 1 keeps up with the camera).
    """

    frames: int
    decode_s: float
    track_s: float
    fps_track: float
    fps_total: float
    source_fps: float
    realtime_factor: float

    def to_dict(self) -> dict:
        return fields_to_dict(self)


def score_speed(meta: dict, default_fps: float) -> SpeedReport | None:
    """The speed figures of a ``meta.json`` with a ``timing`` block; None without one.

    Raises:
        RecordError: the timing block is malformed.
    """
    timing = meta.get("timing")
    if timing is None:
        return None

    def number(key: str, default=None, positive=True) -> float:
        v = timing.get(key, default)
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        if not ok or v < 0 or (positive and v == 0):
            raise RecordError(f"meta.json timing: {key} must be a "
                              f"{'positive' if positive else 'non-negative'} number, got {v!r}")
        return float(v)

    if not isinstance(timing, dict):
        raise RecordError("meta.json timing must be an object with frames, decode_s, track_s")
    frames = number("frames")
    track_s = number("track_s")
    decode_s = number("decode_s", positive=False) if "decode_s" in timing else math.nan
    source = number("realtime_fps", default_fps)
    fps_total = ratio(frames, decode_s + track_s) if math.isfinite(decode_s) else math.nan
    return SpeedReport(frames=int(frames), decode_s=decode_s, track_s=track_s,
                       fps_track=frames / track_s, fps_total=fps_total, source_fps=source,
                       realtime_factor=fps_total / source)


@dataclass(frozen=True)
class HeadlineRow:
    """The headline figures of one scenario: one row of the benchmark table.

    Attributes:
        scenario: its name.
        f1: F1 at 10 mm, detection mode.
        f1_radius: F1 at one ball radius (17.3 mm), detection mode: the issue's floor of 0.9
            for every scenario is set at this threshold.
        median_mm: table-plane error median, detection mode, mm.
        amodal_median_mm: the same in amodal mode, mm.
        shift_mae_mm: rod shift mean absolute error over all rods, mm.
        angle_mae_deg: rod angle mean absolute error over all rods, degrees.
        goal_precision, goal_recall, kick_precision, kick_recall: events within ±2 frames.
        fps: tracker frames per second with decoding (tracking alone if decoding unknown).
    """

    scenario: str
    f1: float
    f1_radius: float
    median_mm: float
    amodal_median_mm: float
    shift_mae_mm: float
    angle_mae_deg: float
    goal_precision: float
    goal_recall: float
    kick_precision: float
    kick_recall: float
    fps: float

    def to_dict(self) -> dict:
        return fields_to_dict(self)


_HEADLINE_COLUMNS = (  # header, field, digits, scale
    ("F1@10mm", "f1", 3, 1.0), ("F1@17.3", "f1_radius", 3, 1.0),
    ("med mm", "median_mm", 1, 1.0),
    ("amodal mm", "amodal_median_mm", 1, 1.0), ("shift mm", "shift_mae_mm", 2, 1.0),
    ("angle deg", "angle_mae_deg", 2, 1.0), ("goal P", "goal_precision", 2, 1.0),
    ("goal R", "goal_recall", 2, 1.0), ("kick P", "kick_precision", 2, 1.0),
    ("kick R", "kick_recall", 2, 1.0), ("fps", "fps", 0, 1.0),
)


def format_headline_table(rows: list[HeadlineRow]) -> str:
    """One line per scenario under a header: the benchmark's summary table."""
    width = max([len("scenario"), *(len(r.scenario) for r in rows)])
    head = f"{'scenario':<{width}}" + "".join(f" {h:>9}" for h, *_ in _HEADLINE_COLUMNS)
    lines = [head]
    for r in rows:
        cells = "".join(f" {fmt(getattr(r, f), d, s):>9}" for _, f, d, s in _HEADLINE_COLUMNS)
        lines.append(f"{r.scenario:<{width}}{cells}")
    return "\n".join(lines)


@dataclass(frozen=True)
class EvaluationReport:
    """Everything measured of one estimate against its truth.

    Attributes:
        truth, estimate: where the records came from ("" if built in memory).
        frames: frames compared.
        fps: their frame rate.
        ball: ball scores, detection and amodal modes.
        rods: rod scores.
        events: event type -> scores.
        speed: tracker speed, None when the estimate carries no ``timing``.
    """

    truth: str
    estimate: str
    frames: int
    fps: float
    ball: BallReport
    rods: RodReport
    events: dict[str, EventScores]
    speed: SpeedReport | None

    def to_dict(self) -> dict:
        return to_jsonable({"format": "foosball-evaluation", "version": 1,
                            **fields_to_dict(self)})

    def headline(self, scenario: str = "") -> HeadlineRow:
        """The headline figures, for a benchmark table."""
        det, amo = self.ball.detection.scores, self.ball.amodal.scores
        goal, kick = self.events["goal"], self.events["kick"]
        fps = math.nan
        if self.speed is not None:
            fps = self.speed.fps_total if math.isfinite(self.speed.fps_total) \
                else self.speed.fps_track
        return HeadlineRow(
            scenario=scenario, f1=det.headline.f1,
            f1_radius=det.counts[threshold_label(THRESHOLDS_MM[-1], "mm")].f1,
            median_mm=det.error_mm.median,
            amodal_median_mm=amo.error_mm.median, shift_mae_mm=self.rods.shift_mm.mean,
            angle_mae_deg=self.rods.angle_deg.mean, goal_precision=goal.precision,
            goal_recall=goal.recall, kick_precision=kick.precision, kick_recall=kick.recall,
            fps=fps,
        )

    def format_text(self) -> str:
        """A compact multi-table text summary."""
        return "\n\n".join([
            f"{self.frames} frames at {self.fps:g} fps\n"
            f"truth:    {self.truth or '(memory)'}\nestimate: {self.estimate or '(memory)'}",
            _ball_table(self.ball),
            _breakdown_table(self.ball.amodal, self.ball.detection),
            _rod_table(self.rods),
            _event_table(self.events),
            _speed_text(self.speed),
        ])


def _ball_table(ball: BallReport) -> str:
    lines = ["ball (table plane)   frames    TP wrong  f.al  miss    TN   P@10  R@10 F1@10"
             "  F1@5 F1@17.3 F1@4px  med mm  rmse   p95  med px"]
    for mode in (ball.detection, ball.amodal):
        s = mode.scores
        c = s.headline
        f1s = [fmt(s.counts[k].f1, 3) for k in ("5mm", "17.3mm", "4px")]
        lines.append(
            f"{mode.mode:<20} {s.frames:>6} {c.tp:>5} {c.wrong:>5} {c.false_alarm:>5} "
            f"{c.miss:>5} {c.tn:>5} {fmt(c.precision, 3):>6} {fmt(c.recall, 3):>5} "
            f"{fmt(c.f1, 3):>5} {f1s[0]:>5} {f1s[1]:>8} {f1s[2]:>6} "
            f"{fmt(s.error_mm.median, 1):>7} {fmt(s.error_mm.rmse, 1):>5} "
            f"{fmt(s.error_mm.p95, 1):>5} {fmt(s.error_px.median, 2):>7}")
    return "\n".join(lines)


def _bin_line(label: str, s: BallScores) -> str:
    c = s.headline
    return (f"{label:<34} {s.frames:>6} {fmt(c.recall, 3):>6} {fmt(c.precision, 3):>6} "
            f"{fmt(s.error_mm.median, 1):>7} {fmt(s.error_mm.p95, 1):>6}")


def _breakdown_table(amodal: BallModeReport, detection: BallModeReport) -> str:
    lines = [f"{'breakdown @' + HEADLINE + ' (mode)':<34} frames   R@10   P@10  med mm  p95 mm"]
    for title, mode, bins in (
        ("visibility", amodal, amodal.by_visibility),
        ("blur (diameters)", detection, detection.by_blur),
        ("speed (m/s)", detection, detection.by_speed),
    ):
        if bins is None:
            lines.append(f"{title:<34} (not in the truth)")
            continue
        for label, s in bins.items():
            lines.append(_bin_line(f"{title} {label} ({mode.mode})", s))
    return "\n".join(lines)


def _rod_table(rods: RodReport) -> str:
    lines = ["rod team   role      cover  shift mm  p95  angle deg  p95  spins t/e"]
    for r in rods.rods:
        lines.append(
            f"{r.index:>3} {r.team[:6]:<6} {r.role[:9]:<9} {fmt(r.coverage, 2):>5} "
            f"{fmt(r.shift_mm.mean, 2):>9} {fmt(r.shift_mm.p95, 1):>4} "
            f"{fmt(r.angle_deg.mean, 2):>10} {fmt(r.angle_deg.p95, 1):>4} "
            f"{r.spins_truth:>5}/{r.spins_estimate:<3}")
    lines.append(
        f"all {'':<6} {'':<9} {'':>5} {fmt(rods.shift_mm.mean, 2):>9} "
        f"{fmt(rods.shift_mm.p95, 1):>4} {fmt(rods.angle_deg.mean, 2):>10} "
        f"{fmt(rods.angle_deg.p95, 1):>4} {rods.spins_truth:>5}/{rods.spins_estimate:<3}")
    return "\n".join(lines)


def _event_table(events: dict[str, EventScores]) -> str:
    lines = ["events (±2 frames)  truth  est  matched     P     R  offset"]
    for e in events.values():
        lines.append(f"{e.type:<18} {e.truth:>6} {e.estimate:>4} {e.matched:>8} "
                     f"{fmt(e.precision, 2):>5} {fmt(e.recall, 2):>5} "
                     f"{fmt(e.mean_offset_frames, 2):>7}")
    return "\n".join(lines)


def _speed_text(speed: SpeedReport | None) -> str:
    if speed is None:
        return "speed: the estimate has no timing block"
    return (f"speed: {speed.frames} frames, tracking {fmt(speed.fps_track, 0)} fps, "
            f"with decoding {fmt(speed.fps_total, 0)} fps, "
            f"real-time factor {fmt(speed.realtime_factor, 2)} at {speed.source_fps:g} fps")
