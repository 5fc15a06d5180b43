"""Soft shadows of the moving bodies on the playfield, as analytic shapes.

The lamp is a disc of radius ``R`` at ``L`` (``Look.light_radius``, ``light_height``). A part
of a man is a box; its shadow on the playfield plane (z = 0) is taken as the bounding
rectangle of its corners projected from the lamp's centre, with soft edges: a linear ramp as
wide as the penumbra, ``2 R h / (L_z - h)`` for a part at height ``h``, widened by how far
the edge moves during the exposure (the time average of a moving edge is a ramp as wide as
its travel). Rods are rectangles across the field, the ball a soft disc stretched along its
path.

Coverage of a rectangle ``[x0, x1]`` with ramp width ``w`` is the box convolved with a box
of width ``w``: ``(clamp(x - x0 + w/2, 0, w) - clamp(x - x1 + w/2, 0, w)) / w``, per axis;
shadows of overlapping parts take the maximum (their union).
"""

from __future__ import annotations

import numpy as np

from sim.men import man_parts
from sim.table import TableSpec

MIN_RAMP = 0.003  # m, the sharpest edge drawn
NO_RECT = np.array([1e3, 1e3, 1e3, 1e3, 1.0, 1.0], np.float32)  # a shadow far off the table


def shadow_boxes(table: TableSpec) -> np.ndarray:
    """(4, 2, 3) float64, m: low and high corners of the boxes casting a man's shadow, in his
    own frame: foot, legs (both in one), hips and torso, head."""
    parts = {p.name: p for p in man_parts(table)}

    def lohi(p):
        c = np.asarray(p.centre)
        h = np.asarray(p.size) if p.kind == "box" else np.full(3, p.size[0])
        return np.stack([c - h, c + h])

    def union(*names):
        boxes = np.stack([lohi(parts[n]) for n in names if n in parts])
        return np.stack([boxes[:, 0].min(axis=0), boxes[:, 1].max(axis=0)])

    legs = [n for n in ("leg_left", "leg_right") if n in parts]
    out = [lohi(parts["foot"])]
    if legs:
        out.append(union(*legs))
    out += [union("hips", "torso"), lohi(parts["head"])]
    return np.stack(out)


def part_corners(table: TableSpec) -> np.ndarray:
    """(P, 8, 3) float64, m: corners of the boxes casting a man's shadow (``shadow_boxes``)."""
    return _corners(shadow_boxes(table))


def _corners(boxes: np.ndarray) -> np.ndarray:
    """(P, 2, 3) low/high -> (P, 8, 3) corners."""
    idx = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)])
    return np.stack([boxes[:, idx[:, a], a] for a in range(3)], axis=-1)


def project_from_lamp(p: np.ndarray, lamp: np.ndarray) -> np.ndarray:
    """Points (..., 3) m -> their shadows (..., 2) m on the plane z = 0, cast from ``lamp``."""
    s = lamp[2] / np.maximum(lamp[2] - p[..., 2], 1e-3)
    return lamp[:2] + (p[..., :2] - lamp[:2]) * s[..., None]


def penumbra(height, lamp_height: float, lamp_radius: float):
    """m, width of the soft edge of a shadow cast from ``height`` m."""
    h = np.maximum(height, 0.0)
    return np.maximum(2 * lamp_radius * h / np.maximum(lamp_height - h, 1e-3), MIN_RAMP)


def men_rects(corners: np.ndarray, men_poses: np.ndarray, lamp: np.ndarray,
              lamp_radius: float) -> np.ndarray:
    """Soft shadow rectangles of every man's parts over an exposure.

    Args:
        corners: (P, 8, 3) from ``part_corners``.
        men_poses: (T, M, 4) float, poses (x, y, z m, angle rad) of the M men at T instants
            spread over the exposure (first and last at its ends; T = 1: a still frame).
        lamp: (3,) m, the lamp's centre.

    Returns:
        (M * P, 6) float32: x0, y0, x1, y1 (m, at mid-exposure), ramp widths wx, wy (m).
    """
    boxes = corners
    poses = np.asarray(men_poses, float)
    c, s = np.cos(poses[..., 3]), np.sin(poses[..., 3])  # (T, M)
    bx, by, bz = boxes[..., 0], boxes[..., 1], boxes[..., 2]  # (P, 8)
    x = c[..., None, None] * bx + s[..., None, None] * bz + poses[..., 0, None, None]
    z = -s[..., None, None] * bx + c[..., None, None] * bz + poses[..., 2, None, None]
    y = np.broadcast_to(by, x.shape) + poses[..., 1, None, None]
    q = project_from_lamp(np.stack([x, y, z], axis=-1), lamp)  # (T, M, P, 8, 2)
    lo, hi = q.min(axis=-2), q.max(axis=-2)  # (T, M, P, 2)
    mid = len(poses) // 2
    h = z.mean(axis=-1)[mid]  # (M, P) height of each part
    ramp = penumbra(h, lamp[2], lamp_radius)
    move = np.maximum(np.abs(lo[-1] - lo[0]), np.abs(hi[-1] - hi[0]))  # (M, P, 2)
    out = np.concatenate([lo[mid], hi[mid], ramp[..., None] + move], axis=-1)
    return out.reshape(-1, 6).astype(np.float32)


def rod_rects(table: TableSpec, lamp: np.ndarray, lamp_radius: float) -> np.ndarray:
    """(8, 6) float32: the rods' shadow rectangles across the playfield (see
    ``men_rects``)."""
    r, h, hw = 0.5 * table.rod_diameter, table.rod_height, table.half_width
    out = []
    for rod in table.rods:
        lo = project_from_lamp(np.array([rod.x - r, -hw / 1.0, h]), lamp)
        hi = project_from_lamp(np.array([rod.x + r, hw, h]), lamp)
        w = float(penumbra(h, lamp[2], lamp_radius))
        out.append([lo[0], max(lo[1], -hw), hi[0], min(hi[1], hw), w, w])
    return np.array(out, np.float32)


def ball_shadow(ball_path: np.ndarray, radius: float, lamp: np.ndarray,
                lamp_radius: float) -> tuple[np.ndarray, float, float]:
    """The ball's shadow: a soft disc swept along the shadow of its path.

    Args:
        ball_path: (T, 3) m, ball centres over the exposure (finite).

    Returns:
        (segment (2, 2) m: start and end of the disc centre's path on the plane,
         radius m, ramp width m).
    """
    q = project_from_lamp(ball_path, lamp)
    z = float(np.mean(ball_path[:, 2]))
    scale = lamp[2] / max(lamp[2] - z, 1e-3)
    return np.stack([q[0], q[-1]]), radius * scale, float(penumbra(z, lamp[2], lamp_radius))


def coverage(rects: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Shadow coverage (0..1) of the union of soft rectangles at points (x, y) m — the same
    formula the GPU draws (for tests and checks)."""
    x = np.asarray(x, float)[..., None]
    y = np.asarray(y, float)[..., None]
    x0, y0, x1, y1, wx, wy = (rects[:, k] for k in range(6))

    def ramp(u, a, b, w):
        return (np.clip(u - a + 0.5 * w, 0, w) - np.clip(u - b + 0.5 * w, 0, w)) / w

    return (ramp(x, x0, x1, wx) * ramp(y, y0, y1, wy)).max(axis=-1)


def field_quads(part_rects: np.ndarray, rod_rects: np.ndarray) -> np.ndarray:
    """Vertices of one playfield quad per caster holding its part rectangles (the layout of
    ``sim.shaders.FIELD_VS``).

    Args:
        part_rects: (C, 4, 6) float, four soft rectangles per caster (repeat one to use
            fewer).
        rod_rects: (C, 6) float, the rod shadow each caster may overlap (``NO_RECT``: none).

    Returns:
        (6 C, 32) float32.
    """
    pr = np.asarray(part_rects, np.float32)
    rr = np.asarray(rod_rects, np.float32)
    lo = (pr[..., 0:2] - 0.5 * pr[..., 4:6]).min(axis=1)
    hi = (pr[..., 2:4] + 0.5 * pr[..., 4:6]).max(axis=1)
    attrs = np.concatenate([pr[..., :4].reshape(-1, 16), pr[..., 4:6].reshape(-1, 8), rr], axis=1)
    x = np.stack([lo[:, 0], hi[:, 0], hi[:, 0], lo[:, 0], hi[:, 0], lo[:, 0]], axis=1)
    y = np.stack([lo[:, 1], lo[:, 1], hi[:, 1], lo[:, 1], hi[:, 1], hi[:, 1]], axis=1)
    out = np.concatenate([x[..., None], y[..., None],
                          np.repeat(attrs[:, None, :], 6, axis=1)], axis=-1)
    return out.reshape(-1, 32).astype(np.float32)


def lamp_share(point: np.ndarray, rects: np.ndarray, lamp: np.ndarray) -> float:
    """Share (0..1) of the lamp seen from ``point`` (3,) m past the casters ``rects``
    (N, 6) (their shadows on the plane, so only casters above the point count: the point
    is projected from the lamp onto the plane first)."""
    q = project_from_lamp(np.asarray(point, float), lamp)
    return float(1.0 - coverage(rects, q[0], q[1]))
