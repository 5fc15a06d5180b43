"""Speed of the ball detector on synthetic frames: CPU ms per frame, full search and windowed.

Run pinned to one core: ``taskset -c 0 python -m reconstruct.ball_bench``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from reconstruct.ball import BallDetector
from reconstruct.ball_synth import BALL_BGR, composite_ball, draw_table


def bench_ball(width: int = 640, height: int = 480, frames: int = 200, seed: int = 0,
               passes: int = 3) -> dict[str, float]:
    """ms per frame of ``BallDetector.detect`` with a background model: full-frame search,
    and a search in one window around a prediction 3 px off (the tracker's usual case).

    The ball's radius is width / 90 px (a table filling the view) and it moves with blur
    streaks up to 2 ball diameters. The time is this process's CPU time (what the detector
    costs on one core, whatever else the machine runs), the fastest of ``passes`` passes.
    """
    rng = np.random.default_rng(seed)
    r = width / 90.0
    table = draw_table(width, height, r, seed=seed)
    truth = np.column_stack([rng.uniform(4 * r, width - 4 * r, frames),
                             rng.uniform(4 * r, height - 4 * r, frames)])
    streaks = rng.uniform(-2 * r, 2 * r, (frames, 2))
    images = [composite_ball(table.image, u, v, r, tuple(s), BALL_BGR, rng=rng)
              for (u, v), s in zip(truth, streaks)]
    det = BallDetector(ball_colour=BALL_BGR, expected_radius_px=r)
    det.detect(images[0], background=table.image)  # build the cached mattes
    out = {}
    for mode in ("full", "window"):
        best = np.inf
        for _ in range(max(1, passes)):
            found = 0
            t0 = time.process_time()
            for img, (u, v) in zip(images, truth):
                win = None if mode == "full" else [(u + 3.0, v - 2.0, 2.5 * r + 6)]
                c = det.detect(img, background=table.image, search_windows=win)
                found += bool(len(c)) and np.hypot(c.u[0] - u, c.v[0] - v) < r
            best = min(best, 1000.0 * (time.process_time() - t0) / frames)
        out[f"{mode}_ms"] = best
        out[f"{mode}_found"] = found / frames
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reconstruct.ball_bench",
                                 description="CPU ms per frame of the ball detector")
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--passes", type=int, default=3, help="the fastest pass counts")
    args = ap.parse_args(argv)
    for w, h in ((640, 480), (1280, 720)):
        res = bench_ball(w, h, args.frames, args.seed, args.passes)
        print(f"{w}x{h}: full search {res['full_ms']:.2f} CPU ms/frame "
              f"(found {res['full_found']:.1%}), windowed {res['window_ms']:.2f} CPU ms/frame "
              f"(found {res['window_found']:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
