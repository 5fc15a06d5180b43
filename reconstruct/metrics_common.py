"""Small statistics shared by the scorers: error summaries, ratios, JSON conversion.

Undefined figures (a precision with no estimates, the median of no errors) are NaN in
memory and ``null`` in JSON.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ErrorStats:
    """Summary of a set of non-negative errors, in the unit named by the owner's field.

    Attributes:
        n: number of errors summarised.
        mean: mean (for absolute errors: the mean absolute error).
        median: 50th percentile.
        rmse: root of the mean square.
        p95: 95th percentile (linear interpolation between order statistics).
    """

    n: int
    mean: float
    median: float
    rmse: float
    p95: float

    def to_dict(self) -> dict:
        return fields_to_dict(self)


def error_stats(errors: np.ndarray) -> ErrorStats:
    """Summarise errors.

    Args:
        errors: (N,) float, non-negative errors in any one unit; NaN entries are ignored.
    """
    e = np.asarray(errors, float).ravel()
    e = e[np.isfinite(e)]
    if len(e) == 0:
        return ErrorStats(0, math.nan, math.nan, math.nan, math.nan)
    return ErrorStats(
        n=len(e),
        mean=float(np.mean(e)),
        median=float(np.median(e)),
        rmse=float(np.sqrt(np.mean(e * e))),
        p95=float(np.percentile(e, 95)),
    )


def ratio(num: float, den: float) -> float:
    """``num / den``, NaN when ``den`` is 0 (an undefined precision or recall)."""
    return float(num) / float(den) if den else math.nan


def f1_score(precision: float, recall: float) -> float:
    """Harmonic mean of precision and recall; NaN if either is undefined, 0 if both are 0."""
    if math.isnan(precision) or math.isnan(recall):
        return math.nan
    s = precision + recall
    return 2.0 * precision * recall / s if s > 0 else 0.0


def to_jsonable(obj):
    """A dataclass (or nested containers of them) as plain JSON types; NaN/inf become None.

    Dataclasses with a ``to_dict`` method are converted through it (so each can add its
    derived figures: precision, recall, ...); fields declared with ``repr=False`` (per-frame
    arrays kept for plots) are left out.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return obj.to_dict() if hasattr(obj, "to_dict") else fields_to_dict(obj)
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    return obj


def fields_to_dict(obj) -> dict:
    """The plain field-by-field conversion of a dataclass (for ``to_dict`` implementations)."""
    return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)
            if f.repr}


def fmt(value: float, digits: int = 1, scale: float = 1.0) -> str:
    """A number for a text table: ``-`` when undefined."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value * scale:.{digits}f}"
