"""A tiny 2D ball world for testing path inference: kicks, wall bounces, holds under a man,
misses and clutter, with exact truth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reconstruct.paths import Candidates, Context


@dataclass
class Scene:
    truth: np.ndarray  # (N, 2) m, NaN when out
    hidden: np.ndarray  # (N,) bool
    cands: list  # Candidates per frame
    ctx: list  # Context per frame
    kicks: np.ndarray  # frames of velocity changes at a man


def make_scene(table, fps=120.0, seconds=12.0, seed=0, clutter=1.0, noise=0.002,
               p_detect=0.97) -> Scene:
    rng = np.random.default_rng(seed)
    n = int(seconds * fps)
    dt = 1 / fps
    r = table.ball.radius
    xw, yw = table.half_length - r, table.half_width - r
    truth = np.full((n, 2), np.nan)
    hidden = np.zeros(n, bool)
    feet = np.full((n, 2), np.nan)
    kicks = []
    p = np.zeros(2)
    v = rng.normal(size=2)
    v *= 2.0 / np.linalg.norm(v)
    start = int(0.3 * fps)
    next_kick = start + int(rng.uniform(0.3, 1.2) * fps)
    hold_until = -1
    for i in range(start, n):
        if i == next_kick:
            if rng.random() < 0.4:  # stop and hold the ball under a man for a while
                hold_until = i + int(rng.uniform(0.3, 1.5) * fps)
                v = np.zeros(2)
            else:
                d = rng.normal(size=2)
                v = d / np.linalg.norm(d) * rng.uniform(1.0, 12.0)
                kicks.append(i)
            next_kick = i + int(rng.uniform(0.3, 1.2) * fps)
            if hold_until > i:
                next_kick = hold_until
        if i == hold_until:
            d = rng.normal(size=2)
            v = d / np.linalg.norm(d) * rng.uniform(4.0, 12.0)
            kicks.append(i)
        p = p + v * dt
        for k, lim in ((0, xw), (1, yw)):
            if abs(p[k]) > lim:
                p[k] = np.sign(p[k]) * (2 * lim - abs(p[k]))
                v[k] *= -0.7
        truth[i] = p
        if hold_until >= i:
            hidden[i] = True
            feet[i] = p + np.array([0.005, 0.0])
        elif kicks and i - kicks[-1] < 2:
            feet[i] = truth[kicks[-1]]
    cands, ctx = [], []
    marking = np.array([0.1, -0.15])
    for i in range(n):
        xy, sc = [], []
        if not np.isnan(truth[i, 0]) and not hidden[i] and rng.random() < p_detect:
            xy.append(truth[i] + rng.normal(scale=noise, size=2))
            sc.append(rng.uniform(0.7, 0.99))
        for _ in range(rng.poisson(clutter)):
            xy.append([rng.uniform(-xw, xw), rng.uniform(-yw, yw)])
            sc.append(rng.uniform(0.05, 0.6))
        if rng.random() < 0.3:
            xy.append(marking + rng.normal(scale=0.001, size=2))
            sc.append(0.3)  # a static spot: the background model keeps its score low
        cands.append(Candidates(np.array(xy).reshape(-1, 2), np.array(sc)))
        f = feet[i][None] if not np.isnan(feet[i, 0]) else np.zeros((0, 2))
        ctx.append(Context(feet=f, feet_low=np.ones(len(f), bool)))
    return Scene(truth, hidden, cands, ctx, np.array(kicks))
