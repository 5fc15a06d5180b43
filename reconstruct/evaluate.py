"""Score a reconstruction against its ground truth: ``evaluate(truth_dir, estimate_dir)``.

Two records can be compared when they cover the same frames (the same count, the same
``frame`` indices) at the same frame rate and hold the columns the scorers read: every base
column of the record format in both, and ``ball_visibility`` in the truth. Anything else
raises a ``RecordError`` that says what differs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from reconstruct.metrics import EvaluationReport, score_speed
from reconstruct.metrics_ball import score_ball
from reconstruct.metrics_events import score_events
from reconstruct.metrics_rods import score_rods
from sim.record import BASE_COLUMNS, Record, RecordError, read_record

TRUTH_REQUIRED = (*BASE_COLUMNS, "ball_visibility")
FPS_TOLERANCE = 1e-6  # relative


def check_comparable(truth: Record, estimate: Record) -> None:
    """Raise ``RecordError`` unless the two records can be scored against each other."""
    missing_t = [c for c in TRUTH_REQUIRED if c not in truth.frames]
    missing_e = [c for c in BASE_COLUMNS if c not in estimate.frames]
    if missing_t or missing_e:
        parts = ([f"truth lacks {', '.join(missing_t)}"] if missing_t else []) + \
                ([f"estimate lacks {', '.join(missing_e)}"] if missing_e else [])
        raise RecordError(f"records cannot be compared: {'; '.join(parts)}")
    nt, ne = truth.n_frames, estimate.n_frames
    ft, fe = truth.fps, estimate.fps
    if nt != ne or not math.isclose(ft, fe, rel_tol=FPS_TOLERANCE):
        raise RecordError(
            f"records cannot be compared: truth has {nt} frames at {ft:g} fps, "
            f"estimate {ne} at {fe:g} fps")
    if nt == 0:
        raise RecordError("records cannot be compared: they hold no frames")
    diff = np.flatnonzero(truth.frames["frame"] != estimate.frames["frame"])
    if len(diff):
        i = diff[0]
        raise RecordError(
            f"records cannot be compared: row {i} is frame {truth.frames['frame'][i]} in the "
            f"truth but frame {estimate.frames['frame'][i]} in the estimate")
    tt, te = truth.meta.get("table", {}), estimate.meta.get("table", {})
    if tt.get("name") and te.get("name") and tt["name"] != te["name"]:
        raise RecordError(f"records cannot be compared: truth is on table {tt['name']!r}, "
                          f"estimate on {te['name']!r}")


def compare(truth: Record, estimate: Record) -> EvaluationReport:
    """Score ``estimate`` against ``truth``, both in memory.

    Raises:
        RecordError: the records cannot be compared (see ``check_comparable``).
    """
    check_comparable(truth, estimate)
    return EvaluationReport(
        truth=str(truth.path or ""),
        estimate=str(estimate.path or ""),
        frames=truth.n_frames,
        fps=truth.fps,
        ball=score_ball(truth, estimate),
        rods=score_rods(truth, estimate),
        events=score_events(truth.events, estimate.events),
        speed=score_speed(estimate.meta, estimate.fps),
    )


def evaluate(truth_dir: str | Path, estimate_dir: str | Path) -> EvaluationReport:
    """Read two record directories and score the estimate against the truth.

    Raises:
        RecordError: a record is missing or malformed, or the two cannot be compared.
    """
    truth = read_record(truth_dir, require=())
    estimate = read_record(estimate_dir, require=())
    return compare(truth, estimate)


def write_report_json(report: EvaluationReport, path: str | Path) -> Path:
    """Write the full report as JSON (NaN as null)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    return path


def evaluate_cli(args) -> int:
    """``foosball evaluate``: print the tables, optionally write JSON and plots."""
    report = evaluate(args.truth, args.estimate)
    print(report.format_text())
    if args.json:
        print(f"\nfull figures: {write_report_json(report, args.json)}")
    if args.plots:
        from reconstruct.plots import plot_report

        paths = plot_report(report, args.plots)
        print(f"plots: {', '.join(str(p) for p in paths)}")
    return 0
