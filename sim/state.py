"""Snapshots of everything that moves on the table, and how a camera samples them.

The physics produces a ``TableState`` every physics step (a fixed rate, 1 kHz by default);
a camera films at its own rate. Frame ``i`` of a clip at ``fps`` frames a second is exposed
over ``[t_i - exposure/2, t_i + exposure/2]`` with ``t_i = i / fps``; its truth is the state
at ``t_i`` (mid-exposure), interpolated between the two physics steps around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class TableState:
    """Everything that moves, at time ``t``.

    Attributes:
        t: s, simulation time.
        ball: (3,) float64, m, ball centre in the table frame.
        ball_vel: (3,) float64, m/s.
        shifts: (8,) float64, m, rod shifts.
        angles: (8,) float64, rad, rod angles, unwrapped.
        in_play: whether the ball is in play (False after a goal, before a serve, off table).
    """

    t: float
    ball: np.ndarray
    ball_vel: np.ndarray
    shifts: np.ndarray
    angles: np.ndarray
    in_play: bool = True


def interpolate_state(a: TableState, b: TableState, t: float) -> TableState:
    """The state at time ``t`` between ``a`` and ``b``, linear in every quantity.

    ``in_play`` is taken from the nearer of the two.
    """
    if b.t == a.t:
        return a
    w = (t - a.t) / (b.t - a.t)
    return TableState(
        t=t,
        ball=a.ball + w * (b.ball - a.ball),
        ball_vel=a.ball_vel + w * (b.ball_vel - a.ball_vel),
        shifts=a.shifts + w * (b.shifts - a.shifts),
        angles=a.angles + w * (b.angles - a.angles),
        in_play=a.in_play if w < 0.5 else b.in_play,
    )


class Filmer(Protocol):
    """What turns states into camera frames (``sim.footage`` implements it).

    The simulation calls ``film`` once per frame, in order, with the states covering the
    frame's exposure (first and last interpolated to the exposure's ends), and writes the
    returned columns (``ball_u``, ``ball_v``, ``ball_visibility``, ``ball_blur_px``, ...)
    into the frame's row.
    """

    exposure: float  # s

    def film(self, frame: int, t: float, states: Sequence[TableState]) -> dict: ...

    def meta(self) -> dict:
        """Entries for the record's ``meta.json`` (``camera``, ``video``, ...)."""
        ...

    def close(self) -> None: ...
