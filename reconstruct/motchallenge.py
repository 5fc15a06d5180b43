"""Export a record's ball as a one-object MOTChallenge track, for outside MOT scorers.

MOTChallenge 2D box format, one line per frame in which the ball is placed:
``frame, id, bb_left, bb_top, bb_width, bb_height, conf, x, y, z`` with ``frame`` from 1,
``id`` = 1, a square box of ``box_px`` pixels centred on (``ball_u``, ``ball_v``), ``conf`` = 1
and ``x, y, z`` = -1. A frame places the ball when its ``ball_state`` is not ``out`` and its
image position is known (the rule of ``reconstruct.metrics_ball``). With boxes of one size in
both files, the distance between two boxes' top-left corners is the distance between the
ball centres, so a MOT scorer's Euclidean gate of 4 px reproduces our 4 px class counts:
TP = matches, FP = wrong + false alarms, FN = wrong + misses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.record import Record


def placed_px(record: Record) -> np.ndarray:
    """(N,) bool: frames in which the record places the ball in the image."""
    return (record.ball_state != "out") & np.isfinite(record.ball_uv).all(axis=1)


def write_motchallenge(record: Record, path: str | Path, box_px: float,
                       frames: np.ndarray | None = None) -> Path:
    """Write the ball track of ``record`` in MOTChallenge format.

    Args:
        record: a truth or an estimate.
        path: the text file to write.
        box_px: px, side of the square box around the ball centre (e.g. its diameter).
        frames: (N,) bool, the frames to export (default all); others are left out.

    Returns:
        ``path``.
    """
    if not box_px > 0:
        raise ValueError(f"box_px must be positive, got {box_px}")
    keep = placed_px(record)
    if frames is not None:
        keep &= np.asarray(frames, bool)
    uv = record.ball_uv
    half = 0.5 * box_px
    lines = [
        f"{record.frames['frame'][i] + 1},1,{uv[i, 0] - half:.4f},{uv[i, 1] - half:.4f},"
        f"{box_px:.4f},{box_px:.4f},1,-1,-1,-1"
        for i in np.flatnonzero(keep)
    ]
    path = Path(path)
    path.write_text("".join(line + "\n" for line in lines))
    return path
