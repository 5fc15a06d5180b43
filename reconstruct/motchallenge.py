"""Export a record's ball as a one-object MOTChallenge track, for outside MOT scorers.

MOTChallenge 2D box format, one line per frame in which the ball is placed:
``frame, id, bb_left, bb_top, bb_width, bb_height, conf, x, y, z`` with ``frame`` from 1,
``id`` = 1, a square box of ``box_px`` pixels centred on (``ball_u``, ``ball_v``), ``conf`` = 1
and ``x, y, z`` = -1. A frame places the ball when its ``ball_state`` is not ``out`` and its
image position is known (the rule of ``reconstruct.metrics_ball``). With boxes of one size in
both files, the distance between two boxes' top-left corners is the distance between the
ball centres, so a MOT scorer's Euclidean gate of 4 px reproduces our 4 px class counts:
TP = matches, FP = wrong + false alarms, FN = wrong + misses.

``space="table"`` writes the table-plane position in millimetres instead of pixels (``x``
right, ``y`` as the "image" axis), so the same scorer can check the millimetre thresholds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.record import Record


def ball_points(record: Record, space: str = "image") -> np.ndarray:
    """(N, 2) float64: the ball centre in px (``image``) or in table-plane mm (``table``);
    NaN where the record does not place the ball (unknown position or ``out``)."""
    if space == "image":
        p = record.ball_uv.copy()
    elif space == "table":
        p = 1000.0 * record.ball_xyz[:, :2]
    else:
        raise ValueError(f"unknown space {space!r}: use 'image' or 'table'")
    p[record.ball_state == "out"] = np.nan
    return p


def write_motchallenge(record: Record, path: str | Path, box: float,
                       frames: np.ndarray | None = None, space: str = "image") -> Path:
    """Write the ball track of ``record`` in MOTChallenge format.

    Args:
        record: a truth or an estimate.
        path: the text file to write.
        box: side of the square box around the ball centre (e.g. its diameter), px (or mm
            for ``space="table"``).
        frames: (N,) bool, the frames to export (default all); others are left out.
        space: ``image`` (``ball_u``, ``ball_v``, px) or ``table`` (``ball_x``, ``ball_y``,
            mm).

    Returns:
        ``path``.
    """
    if not box > 0:
        raise ValueError(f"box must be positive, got {box}")
    p = ball_points(record, space)
    keep = np.isfinite(p).all(axis=1)
    if frames is not None:
        keep &= np.asarray(frames, bool)
    half = 0.5 * box
    lines = [
        f"{record.frames['frame'][i] + 1},1,{p[i, 0] - half:.4f},{p[i, 1] - half:.4f},"
        f"{box:.4f},{box:.4f},1,-1,-1,-1"
        for i in np.flatnonzero(keep)
    ]
    path = Path(path)
    path.write_text("".join(line + "\n" for line in lines))
    return path
