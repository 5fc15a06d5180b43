"""Ball detection scored on labelled real stills (YOLO boxes), one image at a time.

The data set is a folder with ``frames/N.jpg`` and ``labels/N.txt`` (YOLO lines
``class cx cy w h``, normalised; class 0 is the ball). A ball counts as found when the best
candidate above the score threshold lies within one ball radius (half the box's larger side)
of the box centre; on a still without a ball box any candidate above threshold is a false
alarm. A detection at the wrong place counts as a false positive and a miss.

The region of interest is the playfield, found by a plain colour segmentation (the dominant
chroma of the image centre, closed, largest component, convex hull); the expected ball radius
comes from its area and the table's size. Calibration replaces both when it exists.

Run: ``python -m reconstruct.ball_eval DATA_DIR [--threshold T] [--crops OUT_DIR]``.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from reconstruct.ball import BallDetector
from sim.table import load_table


def playfield_mask_by_colour(image: np.ndarray) -> np.ndarray:
    """The playfield as the convex region of the dominant colour of the image centre.

    Args:
        image: (H, W, 3) uint8 BGR.

    Returns:
        (H, W) bool.
    """
    h, w = image.shape[:2]
    k = 4
    small = cv2.resize(image, (w // k, h // k), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (5, 5), 0), cv2.COLOR_BGR2Lab).astype(np.int32)
    sh, sw = lab.shape[:2]
    centre = lab[sh // 4: 3 * sh // 4, sw // 4: 3 * sw // 4].reshape(-1, 3)
    hist = np.zeros((64, 64), np.int64)
    np.add.at(hist, (centre[:, 1] // 4, centre[:, 2] // 4), 1)
    ia, ib = np.unravel_index(int(np.argmax(cv2.GaussianBlur(hist.astype(np.float32),
                                                             (3, 3), 0))), hist.shape)
    a0, b0 = 4 * ia + 2, 4 * ib + 2
    chroma = np.hypot(lab[..., 1] - a0, lab[..., 2] - b0)
    near = chroma < 7
    c_near = near[sh // 4: 3 * sh // 4, sw // 4: 3 * sw // 4]
    c_ell = lab[sh // 4: 3 * sh // 4, sw // 4: 3 * sw // 4, 0][c_near]
    ell = np.median(c_ell) if len(c_ell) else 128
    mask = (near & (lab[..., 0] > 0.7 * ell) & (lab[..., 0] < 1.5 * ell)).astype(np.uint8)
    # close across rods, men and markings first, then cut thin bridges to look-alike clothes
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((9, 9), np.uint8))
    n, lbl, stats, _ = cv2.connectedComponentsWithStats(mask)
    if n < 2:
        raise ValueError("no playfield found in the image: is there a table in view?")
    big = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    comp = lbl == big
    # drop thin appendages (look-alike clothes touching the table): keep rows and columns
    # where the region is wide
    rows = comp.sum(axis=1)
    cols = comp.sum(axis=0)
    comp &= (rows > 0.4 * rows.max())[:, None] & (cols > 0.4 * cols.max())[None, :]
    pts = np.column_stack(np.nonzero(comp)[::-1]).astype(np.int32)
    hull = cv2.convexHull(pts)
    out = np.zeros((sh, sw), np.uint8)
    cv2.fillConvexPoly(out, hull, 1)
    return cv2.resize(out, (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)


def ball_radius_from_playfield(image: np.ndarray, mask: np.ndarray,
                               table_name: str = "german") -> np.ndarray:
    """(H, W) float32 px: the ball's expected radius at each pixel, from the playfield mask.

    A tilted camera foreshortens the table along the tilt, not along the image rows across
    it, and a ball (a sphere) is not foreshortened: its radius follows the scale across the
    tilt. The rods give the direction: the playfield's extent along them, row by row (or
    column by column), is the table's width at that row's distance.
    """
    table = load_table(table_name)
    grey = cv2.cvtColor(cv2.resize(image, None, fx=0.25, fy=0.25,
                                   interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    small_mask = cv2.resize(mask.astype(np.uint8), (grey.shape[1], grey.shape[0]),
                            interpolation=cv2.INTER_NEAREST).astype(bool)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0)[small_mask]
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1)[small_mask]
    rods_horizontal = float(gy @ gy) > float(gx @ gx)
    m = mask if rods_horizontal else mask.T
    extent = m.sum(axis=1).astype(float)  # px of playfield along the rods, per row
    rows = np.nonzero(extent > 0.5 * extent.max())[0]
    if len(rows) < 2:
        raise ValueError("the playfield is too small to measure the ball's size")
    slope, icpt = np.polyfit(rows, extent[rows], 1)
    per_row = np.clip(slope * np.arange(m.shape[0]) + icpt, 0.3 * extent.max(), None)
    radius = (table.ball.radius / table.width * per_row).astype(np.float32)
    full = np.repeat(radius[:, None], m.shape[1], axis=1)
    return full if rods_horizontal else np.ascontiguousarray(full.T)


@dataclass(frozen=True)
class StillResult:
    """One still: the label and the best candidate."""

    name: str
    truth: tuple[float, float, float] | None  # u, v, radius px; None: no ball labelled
    best: tuple[float, float, float] | None  # u, v, score of the best candidate
    expected_radius: float

    def outcome(self, threshold: float) -> str:
        """tp, wrong (false positive + miss), fa (false alarm), miss or tn."""
        found = self.best is not None and self.best[2] >= threshold
        if self.truth is None:
            return "fa" if found else "tn"
        if not found:
            return "miss"
        d = np.hypot(self.best[0] - self.truth[0], self.best[1] - self.truth[1])
        return "tp" if d <= self.truth[2] else "wrong"


def _natural_key(p: Path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)]


def read_ball_label(path: Path, width: int, height: int) -> tuple[float, float, float] | None:
    """The ball box of a YOLO label file as (u, v, radius) px, or None."""
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        p = line.split()
        if len(p) >= 5 and p[0] == "0":
            cx, cy, bw, bh = (float(t) for t in p[1:5])
            return cx * width - 0.5, cy * height - 0.5, 0.5 * max(bw * width, bh * height)
    return None


def evaluate_stills(data_dir: str | Path, detector_kwargs: dict | None = None,
                    table_name: str = "german") -> list[StillResult]:
    """Run the detector on every still of ``data_dir`` (each on its own)."""
    data_dir = Path(data_dir)
    frames = sorted((data_dir / "frames").glob("*.jpg"), key=_natural_key)
    if not frames:
        raise ValueError(f"no frames/*.jpg under {data_dir}")
    results = []
    for f in frames:
        img = cv2.imread(str(f))
        if img is None:
            raise ValueError(f"cannot read {f}")
        h, w = img.shape[:2]
        field = playfield_mask_by_colour(img)
        radius = ball_radius_from_playfield(img, field, table_name)
        r = float(np.median(radius[field]))
        grow = 2 * int(np.ceil(2 * r)) + 1  # a ball touching the wall may overlap it
        roi = cv2.dilate(field.astype(np.uint8), np.ones((grow, grow), np.uint8)).astype(bool)
        det = BallDetector(expected_radius_px=radius, **(detector_kwargs or {}))
        cands = det.detect(img, roi=roi)
        best = (float(cands.u[0]), float(cands.v[0]), float(cands.score[0])) if len(cands) \
            else None
        truth = read_ball_label(data_dir / "labels" / (f.stem + ".txt"), w, h)
        results.append(StillResult(f.stem, truth, best, r))
    return results


def precision_recall(results: list[StillResult], threshold: float) -> dict[str, float]:
    """Counts of each outcome, precision and recall."""
    counts = {k: 0 for k in ("tp", "wrong", "fa", "miss", "tn")}
    for r in results:
        counts[r.outcome(threshold)] += 1
    fp = counts["wrong"] + counts["fa"]
    fn = counts["wrong"] + counts["miss"]
    tp = counts["tp"]
    return {**counts, "precision": tp / max(tp + fp, 1), "recall": tp / max(tp + fn, 1)}


def save_failure_crops(data_dir: Path, results: list[StillResult], threshold: float,
                       out_dir: Path, half: int = 48) -> int:
    """Write a PNG crop (truth green, detection red) for each failure; returns how many."""
    out_dir.mkdir(parents=True, exist_ok=True)
    n = 0
    for r in results:
        kind = r.outcome(threshold)
        if kind in ("tp", "tn"):
            continue
        img = cv2.imread(str(data_dir / "frames" / f"{r.name}.jpg"))
        centre = r.truth[:2] if r.truth is not None else r.best[:2]
        if r.truth is not None:
            cv2.circle(img, (round(r.truth[0]), round(r.truth[1])), round(r.truth[2]),
                       (0, 255, 0), 1)
        if r.best is not None:
            cv2.drawMarker(img, (round(r.best[0]), round(r.best[1])), (0, 0, 255),
                           cv2.MARKER_CROSS, 10, 1)
        cu, cv_ = int(centre[0]), int(centre[1])
        pad = cv2.copyMakeBorder(img, half, half, half, half, cv2.BORDER_CONSTANT)
        crop = cv2.resize(pad[cv_: cv_ + 2 * half, cu: cu + 2 * half], None, fx=2, fy=2,
                          interpolation=cv2.INTER_NEAREST)
        score = f"{r.best[2]:.2f}" if r.best is not None else "-"
        cv2.putText(crop, f"{r.name} {kind} {score}", (2, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    (0, 0, 255), 1)
        cv2.imwrite(str(out_dir / f"{kind}_{r.name}.png"), crop)
        n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reconstruct.ball_eval",
                                 description="Ball precision/recall on labelled real stills.")
    ap.add_argument("data_dir", help="folder with frames/*.jpg and labels/*.txt")
    ap.add_argument("--threshold", type=float, default=0.5, help="score threshold")
    ap.add_argument("--crops", default=None, help="write PNG crops of failures here")
    args = ap.parse_args(argv)
    try:
        results = evaluate_stills(args.data_dir)
    except ValueError as exc:
        print(f"ball_eval: error: {exc}", file=sys.stderr)
        return 2
    for t in sorted({args.threshold, 0.3, 0.4, 0.5, 0.6, 0.7}):
        pr = precision_recall(results, t)
        print(f"threshold {t:.2f}: precision {pr['precision']:.3f} recall {pr['recall']:.3f} "
              f"(tp {pr['tp']} wrong {pr['wrong']} false alarm {pr['fa']} miss {pr['miss']} "
              f"tn {pr['tn']})")
    if args.crops:
        n = save_failure_crops(Path(args.data_dir), results, args.threshold, Path(args.crops))
        print(f"{n} failure crops in {args.crops}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
