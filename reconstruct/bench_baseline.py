"""The committed baseline of the quick benchmark, and the check that tracking never gets
silently worse than it.

The baseline (``assets/bench/baseline_quick.json``) holds the headline figures of every case
of the quick suite, written by ``foosball bench --write-baseline``. ``regressions`` compares
a new run with it, figure by figure, each with its own tolerance (absolute plus relative, in
the direction that is worse). Speed is not checked here: it depends on the machine and its
load, and lives in the benchmark's printed figures.

A case that failed in the baseline (calibration refused, say) is not held against a new run;
a case that succeeded in the baseline and fails now is a regression.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Tolerance:
    """How far a headline figure may move the wrong way before it counts as a regression.

    Attributes:
        field: the ``HeadlineRow`` field.
        higher_is_better: direction of the figure.
        absolute: allowed change in the figure's own unit.
        relative: allowed change as a fraction of the baseline value (added to ``absolute``).
    """

    field: str
    higher_is_better: bool
    absolute: float
    relative: float = 0.0

    def limit(self, base: float) -> float:
        slack = self.absolute + self.relative * abs(base)
        return base - slack if self.higher_is_better else base + slack

    def worse(self, base: float, new: float) -> bool:
        lim = self.limit(base)
        return new < lim if self.higher_is_better else new > lim


# Tracking is deterministic for a given footage, but footage is rendered by Mesa and encoded
# by OpenCV, whose versions may differ between machines: the tolerances absorb that.
TOLERANCES = (
    Tolerance("f1", True, 0.03),
    Tolerance("f1_radius", True, 0.03),
    Tolerance("median_mm", False, 0.3, 0.15),
    Tolerance("amodal_median_mm", False, 1.0, 0.15),
    Tolerance("shift_mae_mm", False, 0.3, 0.15),
    Tolerance("angle_mae_deg", False, 0.5, 0.15),
    Tolerance("goal_precision", True, 0.0),
    Tolerance("goal_recall", True, 0.0),
    Tolerance("kick_precision", True, 0.1),
    Tolerance("kick_recall", True, 0.1),
)


def _number(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def regressions(results: dict, baseline: dict,
                tolerances: tuple[Tolerance, ...] = TOLERANCES) -> list[str]:
    """Every figure of ``results`` worse than ``baseline`` beyond its tolerance, as text.

    Both arguments are ``bench.json`` documents (``write_results``). Cases are matched by
    their key (scenario@version-seed-duration); a baseline case missing from the results is
    reported, since a suite must not shrink silently, and so is a case of the results the
    baseline does not hold (a new case, unchecked until the baseline is renewed). An empty
    list means no regression.
    """
    if results.get("calibration") != baseline.get("calibration"):
        return [f"calibration mode differs: {results.get('calibration')} against the "
                f"baseline's {baseline.get('calibration')}"]
    new = {c["case"]: c for c in results["cases"]}
    found = []
    for base in baseline["cases"]:
        key = base["case"]
        if base.get("error") or base.get("headline") is None:
            continue
        case = new.get(key)
        if case is None:
            found.append(f"{key}: not run (in the baseline)")
            continue
        if case.get("error") or case.get("headline") is None:
            found.append(f"{key}: {case.get('error') or 'no figures'} (succeeded in the "
                         "baseline)")
            continue
        for tol in tolerances:
            b = _number(base["headline"].get(tol.field))
            n = _number(case["headline"].get(tol.field))
            if b is None:
                continue  # undefined in the baseline (no goal in the clip, say)
            if n is None:
                found.append(f"{key}: {tol.field} undefined, baseline {b:.4g}")
            elif tol.worse(b, n):
                found.append(f"{key}: {tol.field} {n:.4g}, baseline {b:.4g} "
                             f"(limit {tol.limit(b):.4g})")
    held = {c["case"] for c in baseline["cases"]}
    found += [f"{key}: not in the baseline (renew it: foosball bench --write-baseline)"
              for key in new if key not in held]
    return found


def read_json(path: str | Path) -> dict:
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"no benchmark figures at {path}: run foosball bench first") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not a benchmark JSON file ({exc})") from None


def baseline_document(results: dict) -> dict:
    """The part of a ``bench.json`` kept as the baseline: headlines, no per-frame detail."""
    return {"suite": results["suite"], "calibration": results["calibration"],
            "cases": [{k: c[k] for k in ("case", "scenario", "seed", "duration", "error",
                                         "headline")} for c in results["cases"]]}
