"""Calibration from a few clicked points: named table landmarks (or explicit table
coordinates) and where each is in the image. The file format is described in
``docs/calibration.md``.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from reconstruct.calibration import solve
from sim.table import TableSpec

MIN_POINTS = 4
MAX_ERROR_PX = 10.0  # RMS above this: the points disagree (a wrong name or a slip)
_HFOV_GRID_DEG = (25, 35, 45, 55, 65, 75, 90, 105, 120)


def landmarks(table: TableSpec) -> dict[str, np.ndarray]:
    """Named points of a table, in the table frame (m).

    ``-x`` / ``+x`` name the two ends (goals), ``-y`` / ``+y`` the two side walls; looking
    from the ``-x`` goal towards the ``+x`` goal, ``+y`` is on the left.

    Returns:
        name -> (3,) float64, m.
    """
    hl, hw, h = table.half_length, table.half_width, table.wall_height
    gw, gh = 0.5 * table.goal.width, table.goal.height
    out = {"centre": np.zeros(3)}
    for sy, ny in ((-1, "-y"), (1, "+y")):
        out[f"centre_line_{ny}"] = np.array([0.0, sy * hw, 0.0])
        for sx, nx in ((-1, "-x"), (1, "+x")):
            out[f"corner_{nx}{ny}"] = np.array([sx * hl, sy * hw, 0.0])
            out[f"wall_top_{nx}{ny}"] = np.array([sx * hl, sy * hw, h])
            out[f"goal_{nx}_post{ny}"] = np.array([sx * hl, sy * gw, 0.0])
            out[f"goal_{nx}_bar{ny}"] = np.array([sx * hl, sy * gw, gh])
        for rod in table.rods:
            out[f"rod{rod.index}_{ny}"] = np.array([rod.x, sy * hw, table.rod_height])
    return out


def read_points(path: str | Path, table: TableSpec):
    """Parse a points file.

    Returns:
        (table points (N, 3) m, pixels (N, 2) px, image size (w, h) or None, fixed focal
        length px or None, fixed distortion (k1, k2) or None).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"calibration points file {path} does not exist")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"calibration points file {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("points"), list):
        raise ValueError(f"calibration points file {path} needs a list under \"points\"")
    if data.get("table") not in (None, table.name):
        raise ValueError(f"calibration points file {path} is for table {data['table']!r}, "
                         f"not {table.name!r}: pass --table {data['table']}")
    names = landmarks(table)
    obj, img = [], []
    for k, item in enumerate(data["points"]):
        try:
            pixel = np.asarray(item["pixel"], float).reshape(2)
            if "name" in item:
                if item["name"] not in names:
                    raise ValueError(
                        f"point {k}: unknown landmark {item['name']!r}; known: "
                        + ", ".join(sorted(names)))
                xyz = names[item["name"]]
            else:
                xyz = np.asarray(item["table"], float).reshape(3)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"point {k} of {path} needs \"pixel\" [u, v] and either \"name\" "
                             f"or \"table\" [x, y, z] (m)") from exc
        obj.append(xyz)
        img.append(pixel)
    if len(obj) < MIN_POINTS:
        raise ValueError(f"calibration points file {path} has {len(obj)} points; at least "
                         f"{MIN_POINTS} are needed (6 or more recommended)")
    size = data.get("image_size")
    size = None if size is None else (int(size[0]), int(size[1]))
    focal = data.get("focal_px")
    dist = data.get("distortion")
    return (np.array(obj), np.array(img), size, None if focal is None else float(focal),
            None if dist is None else (float(dist[0]), float(dist[1]) if len(dist) > 1 else 0.0))


def point_residuals(p: np.ndarray, size, obj: np.ndarray, img: np.ndarray) -> np.ndarray:
    """(2N,) px: projected minus clicked pixels."""
    cam = solve.params_to_camera(p, *size)
    return (cam.table_to_pixel(obj) - img).ravel()


def fit_points(obj: np.ndarray, img: np.ndarray, size: tuple[int, int],
               focal: float | None = None, dist: tuple[float, float] | None = None):
    """The camera that best maps table points (N, 3) m onto pixels (N, 2).

    The focal length is searched then fitted unless given; radial distortion k1 is fitted
    when there are at least 8 points and no distortion is given.

    Returns:
        (parameters (9,), RMS error px).
    """
    w, h = size
    fun = lambda x: point_residuals(x, size, obj, img)  # noqa: E731
    k = (0.0, 0.0) if dist is None else dist
    free = solve.POSE.copy() if focal is not None else solve.POSE_FOCAL.copy()
    fit_k1 = dist is None and len(obj) >= 8
    focals = [focal] if focal is not None else \
        [0.5 * w / np.tan(0.5 * np.radians(a)) for a in _HFOV_GRID_DEG]
    best = None
    for f in focals:
        K = np.array([[f, 0, 0.5 * (w - 1)], [0, f, 0.5 * (h - 1)], [0, 0, 1.0]])
        ok, rv, tv = cv2.solvePnP(obj, img, K, np.array([k[0], k[1], 0, 0, 0.0]),
                                  flags=cv2.SOLVEPNP_SQPNP)
        if not ok:
            continue
        p = np.concatenate([rv.ravel(), tv.ravel(), [np.log(f), k[0], k[1]]])
        p, _ = solve.robust_lm(fun, p, free, scale=1e6, iters=50)
        if fit_k1:
            p, _ = solve.robust_lm(fun, p, free | np.eye(9, dtype=bool)[7], scale=1e6,
                                   iters=50)
        err = float(np.sqrt(np.mean(fun(p) ** 2)))
        if np.isfinite(err) and (best is None or err < best[1]):
            best = (p, err)
    if best is None:
        raise ValueError("no camera fits the calibration points: check their pixels")
    return best
