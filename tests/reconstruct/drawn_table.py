"""A quick OpenCV drawing of the table through a camera, for tests of the readers: flat
colours, painter's order, exact geometry from sim.table and sim.men."""

from __future__ import annotations

import cv2
import numpy as np

from sim.men import man_parts, man_to_table, part_vertices

FIELD = (60, 140, 40)
TEAMS = ((40, 40, 200), (200, 80, 30))  # BGR: red, blue
ROD = (170, 170, 170)


def draw_table(table, camera, shifts, angles, ball=None, field=FIELD, teams=TEAMS):
    """(H, W, 3) uint8 BGR image of the table with rods at ``shifts``/``angles`` (8,)."""
    img = np.zeros((camera.height, camera.width, 3), np.uint8)
    img[:] = (90, 90, 90)
    corners = table.playfield_corners()
    poly = camera.table_to_pixel(corners)
    cv2.fillConvexPoly(img, (poly * 16).astype(np.int32), field, cv2.LINE_AA, 4)
    parts = man_parts(table)
    verts = [part_vertices(p, 10) for p in parts]
    items = []  # (depth, polygon, colour)
    cpos = camera.position
    if ball is not None:
        c = np.asarray(ball, float)
        items.append((np.linalg.norm(c - cpos), ("ball", c), (250, 250, 250)))
    for i, rod in enumerate(table.rods):
        a = np.array([rod.x, -table.half_width, table.rod_height])
        b = np.array([rod.x, table.half_width, table.rod_height])
        items.append((np.linalg.norm(0.5 * (a + b) - cpos) + 0.5, ("rod", a, b), ROD))
        for m in range(rod.men):
            R, t = man_to_table(table, i, m, shifts[i], angles[i])
            for v in verts:
                p = v @ R.T + t
                items.append((np.linalg.norm(p.mean(0) - cpos), ("poly", p),
                              teams[rod.side]))
    for _, geom, colour in sorted(items, key=lambda it: -it[0]):
        if geom[0] == "poly":
            uv = camera.table_to_pixel(geom[1])
            hull = cv2.convexHull((uv * 16).astype(np.int32))
            cv2.fillConvexPoly(img, hull, colour, cv2.LINE_AA, 4)
        elif geom[0] == "rod":
            uv = camera.table_to_pixel(np.linspace(geom[1], geom[2], 20))
            thick = max(1, int(round(_px_per_m(camera, geom[1]) * table.rod_diameter)))
            cv2.polylines(img, [(uv * 16).astype(np.int32)], False, colour, thick,
                          cv2.LINE_AA, 4)
        else:
            c = geom[1]
            uv = camera.table_to_pixel(c[None])[0]
            r = _px_per_m(camera, c) * table.ball.radius
            cv2.circle(img, (int(uv[0] * 16), int(uv[1] * 16)), int(r * 16), colour, -1,
                       cv2.LINE_AA, 4)
    return img


def _px_per_m(camera, p):
    uv = camera.table_to_pixel(np.array([p, p + [0.01, 0, 0]]))
    return np.linalg.norm(uv[1] - uv[0]) / 0.01


def colour_mask(teams=TEAMS, sigma=40.0):
    """A team mask function for RodReader: closeness to each team's flat colour."""
    cols = np.array(teams, np.float32)

    def mask(strip, side):
        d2 = ((strip.astype(np.float32) - cols[side]) ** 2).sum(axis=2)
        return np.exp(-d2 / (2 * sigma ** 2))

    return mask
