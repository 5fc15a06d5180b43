"""Ball detection scored on labelled real stills (YOLO boxes), one image at a time.

The data set is a folder with ``frames/N.jpg`` and ``labels/N.txt`` (YOLO lines
``class cx cy w h``, normalised; class 0 is the ball). A ball counts as found when the best
candidate above the score threshold lies within one ball radius (half the box's larger side)
of the box centre; on a still without a ball box any candidate above threshold is a false
alarm. A detection at the wrong place counts as a false positive and a miss.

Each image is taken on its own: the region of interest is the playfield found in it by colour
(``reconstruct.playfield``: the convex hull of the green components around the largest), and
the expected ball radius comes from the playfield's width and the table's size. Calibration
replaces both when it exists.

Run: ``python -m reconstruct.ball_eval DATA_DIR [--threshold T] [--crops OUT_DIR]``; with
``--record DIR`` it scores the balls of a ``foosball track DATA_DIR/frames --out DIR`` record
instead (the tracker's own calibration and playfield).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from reconstruct.ball import BallDetector
from reconstruct.ball_folder import (
    FOLDER_THRESHOLD,
    MIN_IMAGES,
    SAMPLE_IMAGES,
    VIEW_MIN,
    FolderBackground,
    FolderBallDetector,
    median_image,
)
from reconstruct.ball_still import STILL_THRESHOLD
from reconstruct.playfield import ball_radius_map, playfield_mask
from sim.table import load_table


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


def folder_background(frames: list[Path], table) -> FolderBackground | None:
    """The background of a folder of stills (``reconstruct.ball_folder``), from up to
    ``SAMPLE_IMAGES`` of them spread over it; None when there is none to be had."""
    idx = np.unique(np.linspace(0, len(frames) - 1, min(SAMPLE_IMAGES, len(frames))
                                ).astype(int))
    images = [cv2.imread(str(frames[i])) for i in idx]
    images = [im for im in images if im is not None]
    if len(images) < MIN_IMAGES:
        return None
    first = median_image(images)
    try:
        roi = playfield_mask(first)
        radius = ball_radius_map(first, roi, table)
    except ValueError:
        return None
    return FolderBackground.from_images(images, float(np.median(radius[roi])), roi)


def evaluate_stills(data_dir: str | Path, detector_kwargs: dict | None = None,
                    table_name: str = "german", background: bool = True) -> list[StillResult]:
    """Run the detector on every still of ``data_dir`` (each on its own).

    With ``background``, the folder's background (``reconstruct.ball_folder``) is made once
    from the stills, like a calibration, and each still is judged against it
    (``FolderBallDetector``, scores against ``FOLDER_THRESHOLD``); without it, by its look
    alone (``BallDetector``, scores against ``STILL_THRESHOLD``)."""
    data_dir = Path(data_dir)
    frames = sorted((data_dir / "frames").glob("*.jpg"), key=_natural_key)
    if not frames:
        raise ValueError(f"no frames/*.jpg under {data_dir}")
    table = load_table(table_name)
    bg = folder_background(frames, table) if background else None
    if bg is not None:  # the background's playfield serves every still of its view
        bg_roi = playfield_mask(bg.image)
        bg_radius = ball_radius_map(bg.image, bg_roi, table)
    results = []
    for f in frames:
        img = cv2.imread(str(f))
        if img is None:
            raise ValueError(f"cannot read {f}")
        h, w = img.shape[:2]
        try:
            if bg is not None and bg.shape == (h, w) and bg.view_match(
                    cv2.cvtColor(img, cv2.COLOR_BGR2Lab).astype(np.float32), bg_roi) >= VIEW_MIN:
                roi, radius = bg_roi, bg_radius
            else:
                roi = playfield_mask(img)
                radius = ball_radius_map(img, roi, table)
        except ValueError:  # no table in view: no ball can be found in it
            results.append(StillResult(f.stem, read_ball_label(
                data_dir / "labels" / (f.stem + ".txt"), w, h), None, float("nan")))
            continue
        r = float(np.median(radius[roi]))
        if background:
            det = FolderBallDetector(bg, expected_radius_px=radius, **(detector_kwargs or {}))
        else:
            det = BallDetector(expected_radius_px=radius, **(detector_kwargs or {}))
        cands = det.detect(img, roi=roi)
        best = (float(cands.u[0]), float(cands.v[0]), float(cands.score[0])) if len(cands) \
            else None
        truth = read_ball_label(data_dir / "labels" / (f.stem + ".txt"), w, h)
        results.append(StillResult(f.stem, truth, best, r))
    return results


def record_results(data_dir: str | Path, record_dir: str | Path) -> list[StillResult]:
    """The stills of a ``foosball track FOLDER`` record (``record_dir/frames.csv``: its
    ``source``, ``ball_state``, ``ball_u``, ``ball_v`` and ``ball_score`` columns) as results
    against the labels of ``data_dir``: the ball the tracker placed in each still is its best
    candidate (a still where it placed none has none)."""
    data_dir, path = Path(data_dir), Path(record_dir) / "frames.csv"
    if not path.exists():
        raise ValueError(f"no frames.csv in {record_dir}")
    results = []
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if "source" not in row:
                raise ValueError(f"{path} is not a record of stills (no source column)")
            stem = Path(row["source"]).stem
            img = cv2.imread(str(data_dir / "frames" / row["source"]))
            if img is None:
                raise ValueError(f"cannot read {data_dir / 'frames' / row['source']}")
            h, w = img.shape[:2]
            best = None
            if row["ball_state"] != "out" and row.get("ball_u") and row.get("ball_score"):
                best = (float(row["ball_u"]), float(row["ball_v"]), float(row["ball_score"]))
            results.append(StillResult(stem, read_ball_label(
                data_dir / "labels" / f"{stem}.txt", w, h), best, float("nan")))
    return results


def precision_recall(results: list[StillResult], threshold: float = FOLDER_THRESHOLD
                     ) -> dict[str, float]:
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


def split(results: list[StillResult], part: str) -> list[StillResult]:
    """The stills of one fixed split by file number: ``even``, ``odd`` or ``all``. The
    tolerances of ``reconstruct.ball_folder`` were chosen on the even ones only."""
    if part == "all":
        return list(results)
    want = 0 if part == "even" else 1
    return [r for r in results if r.name.isdigit() and int(r.name) % 2 == want]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reconstruct.ball_eval",
                                 description="Ball precision/recall on labelled real stills.")
    ap.add_argument("data_dir", help="folder with frames/*.jpg and labels/*.txt")
    ap.add_argument("--threshold", type=float, default=None,
                    help=f"score threshold (default: the detector's, {FOLDER_THRESHOLD} with "
                    f"the folder background, {STILL_THRESHOLD} without)")
    ap.add_argument("--no-background", action="store_true",
                    help="judge each still by its look alone (no folder background)")
    ap.add_argument("--crops", default=None, help="write PNG crops of failures here")
    ap.add_argument("--record", default=None,
                    help="score this record of `foosball track DATA_DIR/frames` instead of "
                    "running the detector")
    args = ap.parse_args(argv)
    background = not args.no_background
    threshold = args.threshold if args.threshold is not None else (
        FOLDER_THRESHOLD if background else STILL_THRESHOLD)
    try:
        t0 = time.process_time()
        results = record_results(args.data_dir, args.record) if args.record else \
            evaluate_stills(args.data_dir, background=background)
        cpu = time.process_time() - t0
    except ValueError as exc:
        print(f"ball_eval: error: {exc}", file=sys.stderr)
        return 2
    if not args.record:
        print(f"{len(results)} stills, {cpu / max(len(results), 1) * 1000:.0f} ms CPU each "
              f"(background included)")
    for t in sorted({threshold, *np.round(np.arange(0.3, 0.91, 0.05), 2)}):
        pr = precision_recall(results, t)
        print(f"threshold {t:.3f}: precision {pr['precision']:.3f} recall {pr['recall']:.3f} "
              f"(tp {pr['tp']} wrong {pr['wrong']} false alarm {pr['fa']} miss {pr['miss']} "
              f"tn {pr['tn']})")
    for part in ("even", "odd", "all"):
        pr = precision_recall(split(results, part), threshold)
        f1 = 2 * pr["precision"] * pr["recall"] / max(pr["precision"] + pr["recall"], 1e-9)
        print(f"{part:>4} stills at {threshold:.3f}: precision {pr['precision']:.3f} recall "
              f"{pr['recall']:.3f} F1 {f1:.3f} (tp {pr['tp']} wrong {pr['wrong']} false alarm "
              f"{pr['fa']} miss {pr['miss']} tn {pr['tn']})")
    if args.crops:
        n = save_failure_crops(Path(args.data_dir), results, threshold, Path(args.crops))
        print(f"{n} failure crops in {args.crops}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
