"""Draw a calibration over an image: what the camera should see if the calibration is right.

Playfield outline and markings, wall tops, goal mouths, the rods across their whole length
and the men at zero shift, each projected through the calibrated camera (distortion
included), with the reprojection error and the teams written in a corner.
"""

from __future__ import annotations

import cv2
import numpy as np

from reconstruct.calibration.model import Calibration
from sim.camera import Camera
from sim.men import man_parts, man_to_table, part_vertices
from sim.table import TableSpec

FIELD = (0, 255, 255)  # BGR
WALL = (255, 255, 0)
GOAL = (0, 0, 255)
ROD = (255, 255, 255)
MEN = ((0, 165, 255), (255, 0, 255))  # side 0, side 1 when their colours are unknown


def _polyline(img: np.ndarray, cam: Camera, pts: np.ndarray, colour, thickness: int,
              closed: bool = False, n: int = 40) -> None:
    """Draw table-frame points (K, 3) as a line, densely resampled so distortion shows."""
    pts = np.asarray(pts, float)
    if closed:
        pts = np.vstack([pts, pts[:1]])
    dense = np.concatenate([a + np.linspace(0, 1, n, endpoint=False)[:, None] * (b - a)
                            for a, b in zip(pts[:-1], pts[1:])] + [pts[-1:]])
    in_front = cam.table_to_camera(dense)[:, 2] > 1e-3
    uv = cam.table_to_pixel(dense)
    # Split where points go behind the camera.
    start = 0
    for i in range(1, len(dense) + 1):
        if i == len(dense) or not in_front[i]:
            seg = uv[start:i][in_front[start:i]]
            if len(seg) >= 2 and np.all(np.abs(seg) < 1e5):
                cv2.polylines(img, [np.round(seg * 16).astype(np.int32).reshape(-1, 1, 2)],
                              False, colour, thickness, cv2.LINE_AA, 4)
            start = i + 1


def _team_bgr(cal: Calibration, side: int):
    team = cal.team_of_side(side)
    if team is None:
        return MEN[side]
    r, g, b = team.colour.rgb
    return (int(255 * b), int(255 * g), int(255 * r))


def draw_overlay(image: np.ndarray, calibration: Calibration, table: TableSpec) -> np.ndarray:
    """The image with the table drawn over it as the calibration projects it.

    Args:
        image: (H, W, 3) uint8 BGR, a frame of the calibrated camera (any size: the camera
            is rescaled to it).
        calibration: the calibration.
        table: the table it was calibrated against.

    Returns:
        (H, W, 3) uint8 BGR, a new image.
    """
    img = image.copy()
    h, w = img.shape[:2]
    cam = calibration.camera
    if (cam.width, cam.height) != (w, h):
        cam = cam.with_size(w, h)
    lw = max(1, round(max(w, h) / 900))
    hl, hw, wh = table.half_length, table.half_width, table.wall_height
    _polyline(img, cam, table.playfield_corners(), FIELD, lw, closed=True)
    _polyline(img, cam, np.array([[0, -hw, 0], [0, hw, 0]]), FIELD, lw)
    top = table.playfield_corners()
    top[:, 2] = wh
    _polyline(img, cam, top, WALL, lw, closed=True)
    gw, gh = 0.5 * table.goal.width, table.goal.height
    for sx in (-1, 1):
        x = sx * hl
        _polyline(img, cam, np.array([[x, -gw, 0], [x, -gw, gh], [x, gw, gh], [x, gw, 0]]),
                  GOAL, lw + 1)
    half_rod = 0.5 * table.rod_length
    parts = man_parts(table)
    for rod in table.rods:
        _polyline(img, cam, np.array([[rod.x, -half_rod, table.rod_height],
                                      [rod.x, half_rod, table.rod_height]]), ROD, lw)
        colour = _team_bgr(calibration, rod.side)
        for m in range(rod.men):
            R, t = man_to_table(table, rod.index, m, 0.0, 0.0)
            pts = np.concatenate([part_vertices(q, 8) @ R.T + t for q in parts])
            uv = cam.table_to_pixel(pts).astype(np.float32)
            hull = cv2.convexHull(uv).reshape(-1, 2)
            cv2.polylines(img, [np.round(hull * 16).astype(np.int32).reshape(-1, 1, 2)], True,
                          colour, lw, cv2.LINE_AA, 4)
    lines = [f"{calibration.table} table, {calibration.method} calibration, "
             f"reprojection error {calibration.reprojection_error:.2f} px",
             f"f = {cam.fx:.0f} px, k1 = {cam.dist[0]:+.3f}, camera at "
             + ", ".join(f"{v:+.2f}" for v in cam.position) + " m"]
    if calibration.teams:
        lines.append("teams: " + "; ".join(
            f"{t.name} defends {'-x' if t.side == 0 else '+x'}"
            for t in sorted(calibration.teams, key=lambda t: t.side)))
    scale = max(0.4, max(w, h) / 2000)
    for i, text in enumerate(lines):
        org = (10, int(25 * scale / 0.6 * (i + 1)))
        # a dark halo grown from the text itself: a second, thicker putText lays its glyphs
        # at other advances (OpenCV 5's fonts), which garbles the line
        ink = np.zeros(img.shape[:2], np.uint8)
        cv2.putText(ink, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, 255, lw, cv2.LINE_AA)
        img[cv2.dilate(ink, np.ones((3, 3), np.uint8), iterations=lw) > 0] = 0
        cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), lw,
                    cv2.LINE_AA)
    return img
