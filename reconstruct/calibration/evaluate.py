"""Measure calibration: against exact truth on sketched synthetic views and on rendered
footage, and against the labelled men of real footage.

``python -m reconstruct.calibration.evaluate [--synthetic] [--footage DIR ...] [--real DIR]``
prints, for each synthetic view, the pose error (mm, degrees), focal error (%), k1 error,
reprojection error and time; for each rendered clip (a ``foosball simulate --video`` or
``foosball footage`` folder: ``video.*`` and ``meta.json`` with the true camera), how far the
calibrated camera puts the table's corners and rods from where the true one does (px) and how
far it lifts field points seen by the true camera (mm), and whether the teams were named as
filmed; for a real folder (``frames/*.jpg`` and YOLO ``labels/*.txt``, class 1 = a man), how
far the labelled men's box centres lie from the projected rods and from the projected centres
of hanging men.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from reconstruct.calibration.model import Calibration
from reconstruct.calibration.sketch import SketchStyle, sketch_clip
from reconstruct.calibration.sources import natural_key
from reconstruct.views import main_view_mask, thumbnail
from sim.camera import Camera
from sim.men import man_parts, man_to_table, part_vertices
from sim.table import TableSpec, load_table


def synthetic_cases() -> dict[str, tuple[str, Camera]]:
    """Named test views: (table name, camera with its truth)."""
    return {
        "overhead": ("german", Camera.looking_at(1280, 720, [0.02, 0.01, 1.5], [0, 0, 0], 60,
                                                 roll_deg=2)),
        "broadcast": ("german", Camera.looking_at(1280, 720, [1.1, 0.05, 1.6], [-0.05, 0, 0],
                                                  55, up=(-1, 0, 0))),
        "tilted_off_centre": ("german", Camera.looking_at(1280, 720, [-0.3, -0.6, 1.2],
                                                          [0.05, 0, 0], 70, roll_deg=4)),
        "wide_angle": ("german", Camera.looking_at(1280, 720, [0.05, 0.02, 0.85], [0, 0, 0],
                                                   100, roll_deg=5,
                                                   dist=(-0.3, 0.08, 0, 0, 0))),
        "vga_rotated": ("german", Camera.looking_at(640, 480, [0.1, -0.1, 1.3], [0, 0, 0], 65,
                                                    up=(0, -1, 0))),
        "tornado": ("tornado", Camera.looking_at(1280, 720, [-0.15, 1.0, 1.9], [0, 0.05, 0],
                                                 62, up=(1, 0, 0))),
    }


@dataclass(frozen=True)
class PoseError:
    """How far a calibrated camera is from the truth."""

    position_mm: float
    rotation_deg: float
    focal_percent: float
    k1_error: float


def pose_error(estimate: Camera, truth: Camera) -> PoseError:
    """Position (mm), rotation (degrees), focal (%) and k1 errors of a camera."""
    dR = estimate.R @ truth.R.T
    angle = float(np.degrees(np.arccos(np.clip(0.5 * (np.trace(dR) - 1), -1, 1))))
    return PoseError(float(1000 * np.linalg.norm(estimate.position - truth.position)), angle,
                     float(100 * (estimate.fx / truth.fx - 1)),
                     float(estimate.dist[0] - truth.dist[0]))


def evaluate_synthetic(n_frames: int = 12, seed: int = 0) -> list[dict]:
    """Calibrate every synthetic case and compare with its truth."""
    from reconstruct.calibrate import calibrate_auto

    rows = []
    style = SketchStyle()
    for name, (table_name, cam) in synthetic_cases().items():
        table = load_table(table_name)
        frames = sketch_clip(cam, table, n_frames, seed=seed, style=style)
        t0 = time.perf_counter()
        try:
            cal = calibrate_auto(frames, table, side_colours=("red", "blue"))
        except ValueError as exc:
            rows.append({"case": name, "error": str(exc)})
            continue
        dt = time.perf_counter() - t0
        e = pose_error(cal.camera, cam)
        rows.append({"case": name, "position_mm": e.position_mm, "rotation_deg": e.rotation_deg,
                     "focal_percent": e.focal_percent, "k1_error": e.k1_error,
                     "reprojection_px": cal.reprojection_error, "seconds": dt,
                     "teams": cal.team_names})
    return rows


def table_check_points(table: TableSpec, per_rod: int = 9) -> np.ndarray:
    """(4 + 8 per_rod, 3) m: the playfield's corners, then points along each rod's axis from
    one side wall to the other: where a calibration must put the table."""
    ys = np.linspace(-table.half_width, table.half_width, per_rod)
    rods = np.array([[x, y, table.rod_height] for x in table.rod_x for y in ys])
    return np.concatenate([table.playfield_corners(), rods])


@dataclass(frozen=True)
class Agreement:
    """How closely a calibrated camera agrees with the true one where it matters.

    Attributes:
        reprojection_mean_px, reprojection_max_px: image distance between the table's check
            points (``table_check_points``) projected by the two cameras.
        lift_mean_mm, lift_max_mm: field points at ball-centre height seen by the true
            camera, lifted back to that plane through the calibrated one: the error a
            tracker makes from the calibration alone.
    """

    reprojection_mean_px: float
    reprojection_max_px: float
    lift_mean_mm: float
    lift_max_mm: float


def camera_agreement(estimate: Camera, truth: Camera, table: TableSpec) -> Agreement:
    """Compare a calibrated camera with the true one (same image size) over the table."""
    pts = table_check_points(table)
    d = np.linalg.norm(estimate.table_to_pixel(pts) - truth.table_to_pixel(pts), axis=1)
    xs, ys = np.meshgrid(np.linspace(-0.95, 0.95, 13) * table.half_length,
                         np.linspace(-0.9, 0.9, 7) * table.half_width)
    z = table.ball.radius
    field = np.column_stack([xs.ravel(), ys.ravel(), np.full(xs.size, z)])
    lifted = estimate.pixel_to_table(truth.table_to_pixel(field), z)
    mm = 1000 * np.linalg.norm(lifted[:, :2] - field[:, :2], axis=1)
    return Agreement(float(d.mean()), float(d.max()), float(np.mean(mm)), float(np.max(mm)))


def evaluate_footage(folder: str | Path, n_frames: int = 30) -> dict:
    """Calibrate a rendered clip and compare with the true camera in its ``meta.json``.

    The teams' colours are not given to the calibration: it must find and name them (the
    filmed names are returned beside them), and the +x goal follows the image convention;
    the comparison is made with whichever of the two 180-degree turns of the truth that
    convention picked.
    """
    from reconstruct.calibrate import calibrate_auto, turned_around
    from reconstruct.calibration.sources import sample_frames

    folder = Path(folder)
    meta_file = folder / "meta.json"
    if not meta_file.is_file():
        raise ValueError(f"{folder} is not a rendered clip (no meta.json)")
    meta = json.loads(meta_file.read_text())
    videos = sorted(folder.glob("video.*"))
    if not videos or "camera" not in meta:
        raise ValueError(f"{folder} holds no video or no true camera")
    truth = Camera.from_dict(meta["camera"])
    table = load_table(meta["table"]["name"])
    frames = sample_frames(videos[0], n_frames)
    t0 = time.process_time()
    cal = calibrate_auto(frames, table)
    cpu = time.process_time() - t0
    turned = turned_around(truth)
    agreements = [camera_agreement(cal.camera, t, table) for t in (truth, turned)]
    k = int(np.argmin([a.reprojection_mean_px for a in agreements]))
    filmed = {t["side"]: t["name"] for t in meta.get("teams", [])}
    names = cal.team_names
    if names is not None and k == 1:  # the truth turned: its sides swap
        names = names[::-1]
    return {"agreement": agreements[k], "pose": pose_error(cal.camera, (truth, turned)[k]),
            "k1": cal.camera.dist[0], "k1_true": truth.dist[0],
            "reprojection_px": cal.reprojection_error, "inliers": cal.inlier_fraction,
            "teams": names, "teams_filmed": (filmed.get(0), filmed.get(1)),
            "cpu_seconds": cpu, "frames": len(frames), "calibration": cal}


def man_centre_curves(camera: Camera, table: TableSpec, n: int = 60) -> list[np.ndarray]:
    """Where the centre of a hanging man's image box is, all along each rod.

    Returns:
        8 (n, 2) float64 px curves (y from one side wall to the other).
    """
    shape = np.concatenate([part_vertices(q, 8) for q in man_parts(table)])
    curves = []
    for rod in table.rods:
        R, t0 = man_to_table(table, rod.index, 0, 0.0, 0.0)
        pts = []
        for y in np.linspace(-table.half_width, table.half_width, n):
            uv = camera.table_to_pixel(shape @ R.T + np.array([rod.x, y, t0[2]]))
            pts.append(0.5 * (uv.min(axis=0) + uv.max(axis=0)))
        curves.append(np.array(pts))
    return curves


def rod_curves(camera: Camera, table: TableSpec, n: int = 60) -> list[np.ndarray]:
    """8 (n, 2) px: each rod's axis between the side walls, projected."""
    ys = np.linspace(-table.half_width, table.half_width, n)
    return [camera.table_to_pixel(np.column_stack([np.full(n, x), ys,
                                                   np.full(n, table.rod_height)]))
            for x in table.rod_x]


def distance_to_curves(points: np.ndarray, curves: list[np.ndarray]) -> np.ndarray:
    """(N,) px: distance from each point (N, 2) to the nearest of the polylines."""
    best = np.full(len(points), np.inf)
    for c in curves:
        a, b = c[:-1], c[1:]
        d = b - a
        s = np.clip(((points[:, None, :] - a[None]) * d[None]).sum(-1)
                    / ((d * d).sum(-1)[None] + 1e-12), 0, 1)
        foot = a[None] + s[..., None] * d[None]
        best = np.minimum(best, np.linalg.norm(points[:, None, :] - foot, axis=-1).min(axis=1))
    return best


def read_men_boxes(label_file: Path, size: tuple[int, int]) -> np.ndarray:
    """(N, 2) px: centres of the class-1 (man) boxes of a YOLO label file."""
    w, h = size
    rows = [line.split() for line in label_file.read_text().splitlines() if line.strip()]
    pts = [(float(r[1]) * w, float(r[2]) * h) for r in rows if r[0] == "1"]
    return np.array(pts).reshape(-1, 2)


def label_check(calibration: Calibration, table: TableSpec, folder: Path,
                same_view: np.ndarray | None = None) -> dict:
    """Distances (px) from labelled men's box centres to the projected rods and to the
    projected centres of hanging men, over the frames of the calibrated view."""
    frames = sorted((folder / "frames").glob("*.jpg"), key=natural_key)
    cam = calibration.camera
    men = man_centre_curves(cam, table)
    rods = rod_curves(cam, table)
    d_men, d_rod = [], []
    used = 0
    for i, f in enumerate(frames):
        if same_view is not None and not same_view[i]:
            continue
        label = folder / "labels" / (f.stem + ".txt")
        if not label.is_file():
            continue
        pts = read_men_boxes(label, (cam.width, cam.height))
        if len(pts):
            used += 1
            d_men.append(distance_to_curves(pts, men))
            d_rod.append(distance_to_curves(pts, rods))
    d_men = np.concatenate(d_men) if d_men else np.zeros(0)
    d_rod = np.concatenate(d_rod) if d_rod else np.zeros(0)
    return {"frames": used, "boxes": len(d_men),
            "men_median_px": float(np.median(d_men)) if len(d_men) else float("nan"),
            "men_p95_px": float(np.percentile(d_men, 95)) if len(d_men) else float("nan"),
            "rod_median_px": float(np.median(d_rod)) if len(d_rod) else float("nan"),
            "rod_p95_px": float(np.percentile(d_rod, 95)) if len(d_rod) else float("nan")}


def same_view_mask(paths: list[Path]) -> np.ndarray:
    """(N,) bool: the frames showing the dominant view (cuts to other views dropped)."""
    return main_view_mask([thumbnail(cv2.imread(str(p))) for p in paths])


def evaluate_real(folder: Path, table: TableSpec, n_frames: int = 30) -> dict:
    """Calibrate on ``n_frames`` stills of a real folder, then check against its labels."""
    from reconstruct.calibrate import calibrate_auto

    paths = sorted((folder / "frames").glob("*.jpg"), key=natural_key)
    pick = np.linspace(0, len(paths) - 1, min(n_frames, len(paths))).round().astype(int)
    frames = [cv2.imread(str(paths[i])) for i in pick]
    t0 = time.perf_counter()
    cal = calibrate_auto(frames, table)
    dt = time.perf_counter() - t0
    out = {"reprojection_px": cal.reprojection_error, "inliers": cal.inlier_fraction,
           "seconds": dt, "teams": cal.team_names, "focal_px": cal.camera.fx,
           "k1": cal.camera.dist[0], "position_m": cal.camera.position.round(3).tolist()}
    out.update(label_check(cal, table, folder, same_view_mask(paths)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", action="store_true", help="run the synthetic views")
    parser.add_argument("--footage", type=Path, nargs="+", default=[],
                        help="rendered clips (folders with video.* and meta.json)")
    parser.add_argument("--real", type=Path, default=None, help="a real folder to check")
    parser.add_argument("--table", default="german", help="table of the real folder")
    parser.add_argument("--frames", type=int, default=30, help="frames to calibrate from")
    args = parser.parse_args(argv)
    if args.synthetic:
        print(f"{'case':18s} {'pos mm':>7s} {'rot deg':>7s} {'f %':>6s} {'k1 err':>7s} "
              f"{'rms px':>6s} {'s':>5s}  teams")
        for r in evaluate_synthetic():
            if "error" in r:
                print(f"{r['case']:18s} FAILED: {r['error']}")
                continue
            print(f"{r['case']:18s} {r['position_mm']:7.1f} {r['rotation_deg']:7.3f} "
                  f"{r['focal_percent']:+6.2f} {r['k1_error']:+7.3f} "
                  f"{r['reprojection_px']:6.2f} {r['seconds']:5.1f}  {r['teams']}")
    if args.footage:
        print(f"{'clip':16s} {'mean px':>7s} {'max px':>6s} {'lift mm':>7s} {'max mm':>6s} "
              f"{'pos mm':>6s} {'rot deg':>7s} {'f %':>6s} {'k1':>15s} {'rms px':>6s} "
              f"{'cpu s':>5s}  teams (filmed)")
        for folder in args.footage:
            try:
                r = evaluate_footage(folder, args.frames)
            except ValueError as exc:
                print(f"{folder.name:16s} FAILED: {exc}")
                continue
            a, e = r["agreement"], r["pose"]
            print(f"{folder.name:16s} {a.reprojection_mean_px:7.2f} {a.reprojection_max_px:6.2f} "
                  f"{a.lift_mean_mm:7.2f} {a.lift_max_mm:6.2f} {e.position_mm:6.1f} "
                  f"{e.rotation_deg:7.3f} {e.focal_percent:+6.2f} "
                  f"{r['k1']:+7.3f}/{r['k1_true']:+7.3f} {r['reprojection_px']:6.2f} "
                  f"{r['cpu_seconds']:5.1f}  {r['teams']} ({r['teams_filmed']})")
    if args.real is not None:
        r = evaluate_real(args.real, load_table(args.table), args.frames)
        for k, v in r.items():
            print(f"{k}: {v:.3f}" if isinstance(v, float) else f"{k}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
