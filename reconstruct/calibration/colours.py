"""Tell the teams apart by the colour of their men, and name each colour in plain words.

The men of one team sit on four of the eight rods. Pixels are gathered, in every frame,
from the band each rod's men can occupy (their projected silhouettes swept along the rod),
leaving out the playfield's colour; the pixels of all rods are clustered by colour, and the
team colours are the clusters found far more on one side's rods than on the other's.
"""

from __future__ import annotations

import colorsys

import cv2
import numpy as np

from reconstruct.calibration.field import kmeans
from reconstruct.calibration.model import ColourModel, Team, bgr_to_lab, lab_to_rgb
from sim.camera import Camera
from sim.men import man_parts, man_to_table, part_vertices
from sim.table import TableSpec

N_CLUSTERS = 6
MAX_PIXELS_PER_ROD = 6000
MIN_CONTRAST = 0.08  # share of a rod's pixels: own rods minus the other side's
FOREGROUND_DIFF = 60  # sum over B, G, R of the difference from the background


def colour_name(rgb: tuple[float, float, float]) -> str:
    """A plain word for an RGB colour (each 0..1): black, white, grey, red, orange, yellow,
    green, blue, purple or pink."""
    h, s, v = colorsys.rgb_to_hsv(*[float(np.clip(c, 0, 1)) for c in rgb])
    if v < 0.25 or (v < 0.4 and s < 0.35):
        return "black"
    if s < 0.2:
        return "white" if v > 0.75 else "grey"
    hue = 360 * h
    if hue < 15 or hue >= 330:
        return "pink" if v > 0.8 and s < 0.5 else "red"
    if hue < 40:
        return "orange"
    if hue < 70:
        return "yellow"
    if hue < 165:
        return "green"
    if hue < 260:
        return "blue"
    return "purple"


def rod_bands(camera: Camera, table: TableSpec, step: float = 0.01) -> list[np.ndarray]:
    """Where each rod's men can appear in the image.

    Returns:
        8 (H, W) bool masks: the silhouettes of a man hanging at every position along the
        rod between the side walls.
    """
    parts = man_parts(table)
    shape = np.concatenate([part_vertices(q, 8) for q in parts])
    bands = []
    ys = np.arange(-table.half_width, table.half_width + 1e-9, step)
    for rod in table.rods:
        mask = np.zeros((camera.height, camera.width), np.uint8)
        R, t0 = man_to_table(table, rod.index, 0, 0.0, 0.0)
        for y in ys:
            t = np.array([rod.x, y, t0[2]])
            uv = camera.table_to_pixel(shape @ R.T + t).astype(np.float32)
            hull = cv2.convexHull(uv).reshape(-1, 2)
            cv2.fillConvexPoly(mask, np.round(hull).astype(np.int32), 1)
        bands.append(mask.astype(bool))
    return bands


def find_teams(frames: list[np.ndarray], camera: Camera, table: TableSpec,
               field: ColourModel | None = None, background: np.ndarray | None = None,
               seed: int = 0) -> tuple[Team, ...]:
    """The two teams' colours, from the men seen on their rods.

    Args:
        frames: K (H, W, 3) uint8 BGR frames of the calibrated camera.
        camera: the calibrated camera.
        table: the table (which rods belong to which side).
        field: the playfield's colour, whose pixels are left out.
        background: (H, W, 3) uint8, the median of the frames: where enough frames differ
            from it, only the pixels that do (moving men, not markings or chrome) count.
        seed: seed of the sampling and clustering.

    Returns:
        (side 0's team, side 1's team), or () when the men's colours cannot be told apart.
    """
    rng = np.random.default_rng(seed)
    bands = rod_bands(camera, table)
    samples = []
    per_frame = max(1, MAX_PIXELS_PER_ROD // max(1, len(frames)))
    for band in bands:
        idx = np.flatnonzero(band.ravel())
        pix = []
        for f in frames:
            if not len(idx):
                break
            take = idx
            if background is not None:
                diff = np.abs(f.reshape(-1, 3)[idx].astype(np.int16)
                              - background.reshape(-1, 3)[idx]).sum(axis=1)
                moved = idx[diff > FOREGROUND_DIFF]
                if len(moved) > 0.02 * len(idx):
                    take = moved
            pix.append(f.reshape(-1, 3)[rng.choice(take, min(per_frame, len(take)),
                                                   replace=False)])
        pix = np.concatenate(pix) if pix else np.zeros((0, 3), np.uint8)
        if field is not None and len(pix):
            pix = pix[field.distance(pix) > 3.0]
        samples.append(pix)
    counts = np.array([len(s) for s in samples])
    if np.count_nonzero(counts > 50) < 6:
        return ()
    lab = bgr_to_lab(np.concatenate(samples))
    centres, labels = kmeans(lab, N_CLUSTERS, rng)
    rod_of = np.repeat(np.arange(8), counts)
    frac = np.zeros((N_CLUSTERS, 8))
    for i in range(8):
        if counts[i]:
            frac[:, i] = np.bincount(labels[rod_of == i], minlength=N_CLUSTERS) / counts[i]
    sides = np.array([r.side for r in table.rods])
    seen = counts > 50
    contrast = np.array([frac[:, seen & (sides == s)].mean(axis=1)
                         - frac[:, seen & (sides != s)].mean(axis=1) for s in (0, 1)])
    best = contrast.argmax(axis=1)
    if best[0] == best[1] or np.any(contrast[[0, 1], best] < MIN_CONTRAST):
        return ()
    teams = []
    for side in (0, 1):
        c = best[side]
        own = (labels == c) & np.isin(rod_of, np.flatnonzero(sides == side))
        teams.append((side, lab[own]))
    names = [colour_name(tuple(lab_to_rgb(s.mean(axis=0)))) for _, s in teams]
    if names[0] == names[1]:  # two shades of one colour: say which is lighter
        light = int(np.argmax([s[:, 0].mean() for _, s in teams]))
        names[light] = "light " + names[light]
        names[1 - light] = "dark " + names[1 - light]
    return tuple(Team(name, side, ColourModel.from_lab_samples(name, s))
                 for (side, s), name in zip(teams, names))
