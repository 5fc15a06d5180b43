"""Plots of an evaluation (PNG, matplotlib's Agg canvas, no display and no global state).

- ``error_vs_visibility.png`` and ``error_vs_speed.png``: top, the table-plane error of every
  frame where the ball is in play and placed (amodal mode), with the median and 95th
  percentile per bin and the 5 / 10 / 17.3 mm thresholds; bottom, the recall at 10 mm per bin.
  Dashed vertical lines mark the protocol's breakdown bins.
- ``rods.png``: per rod, the shift error (mm) and the angle error (degrees), mean absolute
  and 95th percentile.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from reconstruct.metrics import EvaluationReport
from reconstruct.metrics_ball import (
    HEADLINE_MM,
    SPEED_BINS,
    THRESHOLDS_MM,
    VISIBILITY_BINS,
    BallFrames,
)


def _figure(width: float, height: float, rows: int = 1, **kw):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 1, squeeze=False, **kw)[:, 0]
    return fig, axes


def _binned(x: np.ndarray, y: np.ndarray, edges: np.ndarray, q: float) -> np.ndarray:
    """(len(edges) - 1,) float64: the q-th percentile of y per bin of x (NaN if empty)."""
    out = np.full(len(edges) - 1, np.nan)
    idx = np.digitize(x, edges) - 1
    for i in range(len(out)):
        sel = y[idx == i]
        if len(sel):
            out[i] = np.percentile(sel, q)
    return out


def plot_error_against(bf: BallFrames, quantity: str, path: Path) -> Path:
    """Error and recall against ``visibility`` or ``speed``; written to ``path``."""
    if quantity == "visibility":
        x, edges, xlabel = bf.visibility, np.linspace(0.0, 1.0, 11), "truth visibility"
        edges[-1] += 1e-9  # a fully visible ball falls in the last bin
        protocol_bins = VISIBILITY_BINS
    elif quantity == "speed":
        x, xlabel, protocol_bins = bf.speed, "truth ball speed (m/s)", SPEED_BINS
        top = np.nanmax(x[bf.in_play]) if np.isfinite(x[bf.in_play]).any() else 1.0
        edges = np.linspace(0.0, max(top, 1.0) * 1.0001, 13)
    else:
        raise ValueError(f"cannot plot the error against {quantity!r}: use visibility or speed")
    fig, (ax, ax2) = _figure(8.0, 6.0, rows=2, sharex=True, height_ratios=[3, 1])
    placed = bf.in_play & bf.placed_mm & np.isfinite(x)
    err = np.maximum(bf.error_mm[placed], 1e-2)  # log axis: 0 drawn at 0.01 mm
    ax.scatter(x[placed], err, s=4, alpha=0.3, color="tab:blue", label="frame")
    centres = 0.5 * (edges[:-1] + edges[1:])
    ax.plot(centres, _binned(x[placed], err, edges, 50), "o-", color="black", label="median")
    ax.plot(centres, _binned(x[placed], err, edges, 95), "s--", color="tab:red", label="p95")
    for t in THRESHOLDS_MM:
        ax.axhline(t, color="grey", lw=0.8, ls=":")
        ax.text(1.005, t, f"{t:g} mm", va="center", ha="left", fontsize=8, color="grey",
                transform=ax.get_yaxis_transform())
    ax.set_yscale("log")
    ax.set_ylabel("table-plane error (mm)")
    ax.set_title(f"ball error against {quantity} (amodal, {int(placed.sum())} frames placed)")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(True, which="major", alpha=0.3)

    inside = bf.in_play & np.isfinite(x)
    tp = np.zeros(len(x), bool)
    tp[inside & bf.placed_mm] = bf.error_mm[inside & bf.placed_mm] <= HEADLINE_MM
    idx = np.digitize(x[inside], edges) - 1
    recall = [np.mean(tp[inside][idx == i]) if np.any(idx == i) else np.nan
              for i in range(len(edges) - 1)]
    ax2.bar(centres, recall, width=0.9 * np.diff(edges), color="tab:green")
    for a in (ax, ax2):  # the protocol's breakdown bins
        for lo in {lo for _, lo, _ in protocol_bins if np.isfinite(lo)}:
            a.axvline(lo, color="tab:purple", lw=0.8, ls="--", alpha=0.6)
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel(f"recall @{HEADLINE_MM:g} mm")
    ax2.set_xlabel(xlabel)
    ax2.grid(True, axis="y", alpha=0.3)
    fig.savefig(path)
    return path


def plot_rods(report: EvaluationReport, path: Path) -> Path:
    """Per-rod bars of shift and angle error (mean absolute and p95); written to ``path``."""
    rods = report.rods.rods
    fig, (ax1, ax2) = _figure(8.0, 5.5, rows=2)
    idx = np.arange(len(rods))
    labels = [f"{r.index}\n{r.team}\n{r.role}" for r in rods]
    for ax, attr, unit in ((ax1, "shift_mm", "shift error (mm)"),
                           (ax2, "angle_deg", "angle error (deg)")):
        mean = [getattr(r, attr).mean for r in rods]
        p95 = [getattr(r, attr).p95 for r in rods]
        ax.bar(idx - 0.2, mean, width=0.4, label="mean absolute", color="tab:blue")
        ax.bar(idx + 0.2, p95, width=0.4, label="95th percentile", color="tab:orange")
        ax.set_ylabel(unit)
        ax.set_xticks(idx, labels, fontsize=8)
        ax.legend(fontsize=8)
        ax.grid(True, axis="y", alpha=0.3)
    ax1.set_title(f"rods: shift MAE {report.rods.shift_mm.mean:.2f} mm, "
                  f"angle MAE {report.rods.angle_deg.mean:.2f} deg (all rods)")
    fig.savefig(path)
    return path


def plot_report(report: EvaluationReport, out_dir: str | Path) -> list[Path]:
    """Draw every plot of an evaluation into ``out_dir``; returns the PNG paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bf = report.ball.frames
    return [
        plot_error_against(bf, "visibility", out / "error_vs_visibility.png"),
        plot_error_against(bf, "speed", out / "error_vs_speed.png"),
        plot_rods(report, out / "rods.png"),
    ]
