"""Lifting image measurements into the table frame, and results into record rows.

The ball rolls on the playfield, so its centre lies one ball radius above it: a pixel is
lifted through the plane z = r, not the playfield itself (6-15 mm of error otherwise, more
for oblique views).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from reconstruct.paths import OUT, SEEN, Candidates
from sim.camera import Camera
from sim.table import TableSpec

STATE_OF = {SEEN: "visible", 1: "hidden", OUT: "out"}


def lift_candidates(uv: np.ndarray, score: np.ndarray, camera: Camera, table: TableSpec,
                    margin: float = 0.03) -> Candidates:
    """Ball candidates in pixels (K, 2) -> candidates on the table (the ball-centre plane).

    Candidates that land off the playfield (more than ``margin`` m beyond the side walls)
    are dropped: they are hands, shoes and reflections; so are balls past a goal line:
    they are in the goal, out of play (the best of them inside a goal mouth is kept as
    ``Candidates.in_goal``, evidence for 'out').
    """
    if len(uv) == 0:
        return Candidates.empty()
    score = np.asarray(score, float)
    xyz = camera.pixel_to_table(uv, table.ball.radius)
    xy = xyz[:, :2]
    ok = np.isfinite(xy).all(axis=1)
    ok &= np.abs(xy[:, 1]) < table.half_width + margin
    # a ball past the goal line is in the goal: out of play, not a candidate; but a ball in
    # a goal mouth with its centre within a radius past the line is on the line, in play
    # (a goal needs the whole ball past it): a slow ball rolling in is followed to its goal
    mouth = np.abs(xy[:, 1]) < 0.5 * table.goal.width
    line = table.half_length + np.where(mouth, table.ball.radius, 0.0)
    past = ok & (np.abs(xy[:, 0]) >= line)
    # wholly past the line (a ball pinned on the line may be fitted a little beyond it)
    in_goal = (ok & (np.abs(xy[:, 0]) > table.half_length + table.ball.radius)
               & (np.abs(xy[:, 0]) < table.half_length + table.goal.depth)
               & (np.abs(xy[:, 1]) < 0.5 * table.goal.width))
    ok &= ~past
    return Candidates(xy[ok], score[ok],
                      in_goal=float(score[in_goal].max()) if in_goal.any() else 0.0)


def ball_radius_map(camera: Camera, table: TableSpec, step: int = 8) -> np.ndarray:
    """(H, W) float32, px: the ball's radius in the image wherever it could lie.

    Computed on a coarse grid of the image (every ``step`` px) and interpolated.
    """
    h, w = camera.height, camera.width
    us = np.arange(0, w + step, step, dtype=float)
    vs = np.arange(0, h + step, step, dtype=float)
    gu, gv = np.meshgrid(us, vs)
    uv = np.column_stack([gu.ravel(), gv.ravel()])
    r = table.ball.radius
    centre = camera.pixel_to_table(uv, r)
    dist = np.linalg.norm(centre - camera.position, axis=1)
    rad = np.where(np.isfinite(dist), camera.fx * r / np.maximum(dist, 1e-6), np.nan)
    med = np.nanmedian(rad) if np.isfinite(rad).any() else w / 80.0
    rad = np.where(np.isfinite(rad), rad, med).reshape(len(vs), len(us)).astype(np.float32)
    full = cv2.resize(rad, (len(us) * step, len(vs) * step), interpolation=cv2.INTER_LINEAR)
    return full[:h, :w]


def playfield_mask(camera: Camera, table: TableSpec, margin: float = 0.0) -> np.ndarray:
    """(H, W) bool: the image pixels where a ball centre on the table can appear (the
    playfield at ball-centre height, plus both goal mouths)."""
    import cv2

    r = table.ball.radius
    hl, hw = table.half_length + margin, table.half_width + margin
    n = 40
    edge = np.concatenate([
        np.column_stack([np.linspace(-hl, hl, n), np.full(n, -hw)]),
        np.column_stack([np.full(n, hl), np.linspace(-hw, hw, n)]),
        np.column_stack([np.linspace(hl, -hl, n), np.full(n, hw)]),
        np.column_stack([np.full(n, -hl), np.linspace(hw, -hw, n)]),
    ])
    pts = np.column_stack([edge, np.full(len(edge), r)])
    uv = camera.table_to_pixel(pts)
    mask = np.zeros((camera.height, camera.width), np.uint8)
    cv2.fillPoly(mask, [np.round(uv).astype(np.int32)], 1)
    return mask.astype(bool) | goal_mouth_mask(camera, table)


def goal_mouth_mask(camera: Camera, table: TableSpec) -> np.ndarray:
    """(H, W) bool: the goal mouths beyond the goal lines, at ball-centre height (their
    edges bent as the lens bends them)."""
    import cv2

    r = table.ball.radius
    gw, gd = 0.5 * table.goal.width, table.goal.depth
    mask = np.zeros((camera.height, camera.width), np.uint8)
    for sign in (-1, 1):
        x0, x1 = sign * table.half_length, sign * (table.half_length + gd)
        box = np.array([[x0, -gw, r], [x1, -gw, r], [x1, gw, r], [x0, gw, r]])
        uv = camera.table_to_pixel(outline(box, camera))
        cv2.fillPoly(mask, [np.round(uv).astype(np.int32)], 1)
    return mask.astype(bool)


def rod_mask(camera: Camera, table: TableSpec, grow_px: int = 1) -> np.ndarray:
    """(H, W) float32: 1 where a rod covers the image, 0 elsewhere (rods are straight
    cylinders across the table; their silhouette is taken as the union of the strips at the
    top, axis and bottom of each, grown by ``grow_px``). Each strip's long edges are
    projected point by point: a lens's distortion bends a straight rod in the image (by
    ~15 px at the sides of a wide-angle view), and a strip between the ends alone would
    mask the playfield beside the rod and leave the rod itself unmasked."""
    mask = np.zeros((camera.height, camera.width), np.uint8)
    rr = 0.5 * table.rod_diameter
    y = table.half_width + table.wall_thickness
    for rod in table.rods:
        for z in (table.rod_height - rr, table.rod_height, table.rod_height + rr):
            quad = np.array([[rod.x - rr, -y, z], [rod.x + rr, -y, z],
                             [rod.x + rr, y, z], [rod.x - rr, y, z]])
            uv = camera.table_to_pixel(outline(quad, camera))
            if np.isfinite(uv).all():
                cv2.fillPoly(mask, [np.round(uv * 16).astype(np.int32)], 1, shift=4)
    if grow_px > 0:
        mask = cv2.dilate(mask, np.ones((2 * grow_px + 1, 2 * grow_px + 1), np.uint8))
    return mask.astype(np.float32)


def outline(corners: np.ndarray, camera: Camera, step_px: float = 4.0) -> np.ndarray:
    """(N, 3) m: a table-frame polygon's corners (K, 3) with points added along each edge,
    so that its projection follows the curves a lens's distortion makes of straight edges
    (about one point per ``step_px`` of image; the corners alone without distortion)."""
    corners = np.asarray(corners, float)
    if not camera.has_distortion:
        return corners
    ends = np.roll(corners, -1, axis=0)
    uv = camera.table_to_pixel(np.concatenate([corners, ends]))
    span = np.linalg.norm(uv[len(corners):] - uv[:len(corners)], axis=1)
    span = np.where(np.isfinite(span), span, 0.0)
    out = []
    for a, b, px in zip(corners, ends, span):
        n = int(np.clip(np.ceil(px / step_px), 1, 256))
        s = np.arange(n)[:, None] / n
        out.append(a + s * (b - a))
    return np.concatenate(out)


def frame_row(frame: int, t: float, xy: np.ndarray, state: int, shifts: np.ndarray,
              angles: np.ndarray, camera: Camera | None, table: TableSpec) -> dict:
    """One ``frames.csv`` row from a ball estimate (table xy, m) and the rods."""
    row = {"frame": frame, "t": t, "ball_state": STATE_OF[state]}
    if state != OUT and np.isfinite(xy).all():
        r = table.ball.radius
        row.update(ball_x=float(xy[0]), ball_y=float(xy[1]), ball_z=r)
        if camera is not None:
            u, v = camera.table_to_pixel(np.array([[xy[0], xy[1], r]]))[0]
            row.update(ball_u=float(u), ball_v=float(v))
    values = np.column_stack([np.asarray(shifts, float), np.asarray(angles, float)]).ravel()
    row.update(zip(_rod_columns(len(shifts)), values.tolist()))
    return row


@lru_cache(maxsize=8)
def _rod_columns(n: int) -> tuple[str, ...]:
    """The record's rod columns for n rods: rod0_shift, rod0_angle, rod1_shift, ..."""
    return tuple(f"rod{i}_{q}" for i in range(n) for q in ("shift", "angle"))
