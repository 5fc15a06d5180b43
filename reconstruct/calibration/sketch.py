"""A quick OpenCV sketch of a table seen through a ``Camera``, with exact ground truth.

Not the project's renderer (``sim.render``): a painter's-algorithm drawing, enough to test
calibration on images whose camera is known exactly: coloured playfield with white markings,
light inner walls, dark wall tops, goal mouths, chrome rods of the right thickness, men as
coloured blobs, a ball, a textured floor and optional hand-like clutter. Lens distortion is
applied by projecting densely subdivided outlines.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from sim.camera import Camera
from sim.men import man_parts, man_to_table, part_vertices
from sim.table import TableSpec

BGR = tuple[int, int, int]
_SHIFT = 4  # fixed-point bits for sub-pixel drawing
_SCALE = 1 << _SHIFT


@dataclass(frozen=True)
class SketchStyle:
    """Colours (BGR, 0..255) of the sketch."""

    field: BGR = (55, 135, 40)
    marking: BGR = (235, 240, 235)
    inner_wall: BGR = (205, 210, 210)
    wall_top: BGR = (70, 40, 35)
    goal: BGR = (25, 25, 25)
    rod_edge: BGR = (70, 70, 75)
    rod_shine: BGR = (215, 215, 220)
    floor: BGR = (110, 115, 120)
    ball: BGR = (240, 240, 240)
    teams: tuple[BGR, BGR] = ((40, 40, 200), (190, 90, 30))  # side 0 red, side 1 blue


def _fixed(uv: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(uv) * _SCALE).astype(np.int32).reshape(-1, 1, 2)


def _fill_outline(uv: np.ndarray) -> np.ndarray:
    """Fixed-point polygon for ``cv2.fillPoly`` covering exactly the polygon ``uv`` (N, 2) px.

    OpenCV fills the pixel rows round(top)..round(bottom) and in each the columns
    round(left)..round(right): half a pixel more than the polygon on every side. Move every
    vertex half a pixel inwards along u and along v.
    """
    uv = np.asarray(uv, float).reshape(-1, 2)
    if len(uv) < 3:
        return _fixed(uv)
    nxt = np.roll(uv, -1, axis=0)
    d = nxt - np.roll(uv, 1, axis=0)
    area = 0.5 * np.sum(uv[:, 0] * nxt[:, 1] - nxt[:, 0] * uv[:, 1])
    inward = np.column_stack([-d[:, 1], d[:, 0]]) * (1.0 if area > 0 else -1.0)
    return _fixed(uv + 0.5 * np.sign(np.round(inward, 9)))


def _subdivide(corners: np.ndarray, n: int) -> np.ndarray:
    """(K, 3) polygon corners -> (K * n, 3) points along its closed outline."""
    pts = []
    for a, b in zip(corners, np.roll(corners, -1, axis=0)):
        s = np.linspace(0.0, 1.0, n, endpoint=False)[:, None]
        pts.append(a + s * (b - a))
    return np.concatenate(pts)


class _Painter:
    def __init__(self, camera: Camera, image: np.ndarray, segments: int = 24):
        self.camera = camera
        self.image = image
        self.segments = segments
        self.eye = camera.position

    def depth(self, p: np.ndarray) -> float:
        return float(np.linalg.norm(np.asarray(p, float) - self.eye))

    def polygon(self, corners: np.ndarray, colour: BGR) -> None:
        corners = np.asarray(corners, float)
        uv = self.camera.table_to_pixel(_subdivide(corners, self.segments))
        cv2.fillPoly(self.image, [_fill_outline(uv)], colour, cv2.LINE_8, _SHIFT)

    def polyline(self, points: np.ndarray, colour: BGR, width_m: float) -> None:
        """A line of ``width_m`` metres through table-frame points (N, 3)."""
        pts = np.asarray(points, float)
        uv = self.camera.table_to_pixel(pts)
        mid = pts[len(pts) // 2]
        px = max(1, int(round(width_m * self.camera.fx / self.depth(mid))))
        cv2.polylines(self.image, [_fixed(uv)], False, colour, px, cv2.LINE_8, _SHIFT)

    def convex(self, points: np.ndarray, colour: BGR) -> None:
        uv = self.camera.table_to_pixel(points).astype(np.float32)
        hull = cv2.convexHull(uv)
        cv2.fillConvexPoly(self.image, _fill_outline(hull.reshape(-1, 2)), colour, cv2.LINE_8,
                           _SHIFT)

    def tube(self, a: np.ndarray, b: np.ndarray, radius: float, edge: BGR, shine: BGR) -> None:
        """A cylinder from ``a`` to ``b`` (table frame, m): its silhouette and a highlight."""
        s = np.linspace(0.0, 1.0, 4 * self.segments)[:, None]
        axis = a + s * (b - a)
        uv = self.camera.table_to_pixel(axis)
        depth = np.linalg.norm(axis - self.eye, axis=1)
        r_px = radius * self.camera.fx / depth
        tangent = np.gradient(uv, axis=0)
        normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        for frac, colour in ((1.0, edge), (0.4, shine)):
            off = normal * (frac * r_px)[:, None]
            outline = np.concatenate([uv + off, (uv - off)[::-1]])
            cv2.fillPoly(self.image, [_fill_outline(outline)], colour, cv2.LINE_8, _SHIFT)


def _markings(p: _Painter, table: TableSpec, colour: BGR) -> None:
    """Centre line, centre circle and goal areas. Sizes are decorative fractions of the
    table (they are distractors for the calibration, not table facts)."""
    hl, hw = table.half_length, table.half_width
    line = 0.01
    p.polyline(np.array([[0.0, -hw, 0.0], [0.0, hw, 0.0]]), colour, line)
    a = np.linspace(0, 2 * np.pi, 73)
    r = 0.085 * table.length
    p.polyline(np.column_stack([r * np.cos(a), r * np.sin(a), 0 * a]), colour, line)
    depth, half = 0.06 * table.length, 0.5 * table.width * 0.55
    for sx in (-1, 1):
        x0, x1 = sx * hl, sx * (hl - depth)
        p.polyline(np.array([[x0, -half, 0], [x1, -half, 0], [x1, half, 0], [x0, half, 0]]),
                   colour, line)


def _walls(table: TableSpec) -> list[dict]:
    """The four walls: inner face, top and outer face quads, and where the camera must be
    for the inner / outer face to face it."""
    hl, hw, t, h = table.half_length, table.half_width, table.wall_thickness, table.wall_height
    out = []
    for axis, sign in ((1, 1), (1, -1), (0, 1), (0, -1)):
        half_in = hw if axis == 1 else hl
        half_along = hl + t if axis == 1 else hw + t

        def pt(across, along, z, axis=axis, sign=sign):
            return [along, sign * across, z] if axis == 1 else [sign * across, along, z]

        inner = np.array([pt(half_in, -half_along, 0), pt(half_in, half_along, 0),
                          pt(half_in, half_along, h), pt(half_in, -half_along, h)])
        top = np.array([pt(half_in, -half_along, h), pt(half_in, half_along, h),
                        pt(half_in + t, half_along, h), pt(half_in + t, -half_along, h)])
        outer = inner.copy()
        outer[:, axis] = sign * (half_in + t)
        outer[:, 2] = [-0.1, -0.1, h, h]
        out.append({"axis": axis, "sign": sign, "inner": inner, "top": top, "outer": outer,
                    "plane": half_in, "outer_plane": half_in + t})
    return out


def sketch_table(camera: Camera, table: TableSpec, shifts: np.ndarray | None = None,
                 angles: np.ndarray | None = None, ball: np.ndarray | None = None,
                 style: SketchStyle = SketchStyle(), rng: np.random.Generator | None = None,
                 clutter: int = 0, noise: float = 2.0, supersample: int = 3) -> np.ndarray:
    """Draw one frame of a table seen by ``camera``.

    Args:
        camera: the camera (image size, intrinsics, distortion, pose in the table frame).
        table: the table.
        shifts: (8,) m, rod shifts (default 0).
        angles: (8,) rad, rod angles (default 0).
        ball: (3,) m, ball centre in the table frame, or None for no ball.
        style: colours.
        rng: random generator for the floor texture, clutter and noise (default seed 0).
        clutter: number of skin-coloured blobs (hands, arms) drawn outside the playfield.
        noise: standard deviation of the pixel noise, grey levels.
        supersample: drawn at this many times the resolution, then averaged down (exact
            sub-pixel edges: OpenCV's anti-aliased fills grow shapes by about 0.65 px).

    Returns:
        (height, width, 3) uint8 BGR image.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    shifts = np.zeros(8) if shifts is None else np.asarray(shifts, float)
    angles = np.zeros(8) if angles is None else np.asarray(angles, float)
    final_camera = camera
    camera = camera.with_size(camera.width * supersample, camera.height * supersample)
    img = np.empty((camera.height, camera.width, 3), np.uint8)
    img[:] = style.floor
    texture = cv2.resize(rng.normal(0, 12, (camera.height // 48 + 1, camera.width // 48 + 1)),
                         (camera.width, camera.height), interpolation=cv2.INTER_CUBIC)
    img[:] = np.clip(img + texture[..., None], 0, 255).astype(np.uint8)
    p = _Painter(camera, img)
    eye = p.eye
    hl, hw = table.half_length, table.half_width

    p.polygon(table.playfield_corners(), style.field)
    _markings(p, table, style.marking)
    walls = _walls(table)
    for w in walls:  # inner faces the camera can see
        if abs(eye[w["axis"]]) < w["plane"] or np.sign(eye[w["axis"]]) != w["sign"]:
            p.polygon(w["inner"], style.inner_wall)
    for sx in (-1, 1):  # goal mouths in the end walls
        g = table.goal
        p.polygon(np.array([[sx * hl, -g.width / 2, 0], [sx * hl, g.width / 2, 0],
                            [sx * hl, g.width / 2, g.height], [sx * hl, -g.width / 2, g.height]]),
                  style.goal)
    if ball is not None:
        uv = camera.table_to_pixel(np.asarray(ball, float)[None])[0]
        r_px = table.ball.radius * camera.fx / p.depth(ball)
        cv2.circle(img, tuple(_fixed(uv).ravel()), int(r_px * _SCALE), style.ball, -1,
                   cv2.LINE_8, _SHIFT)

    parts = man_parts(table)
    half_rod = 0.5 * table.rod_length
    out_y = hw + table.wall_thickness
    radius = 0.5 * table.rod_diameter

    def handles(after_walls: bool) -> None:
        for i, rod in enumerate(table.rods):
            for sy in (-1, 1):
                if (sy * eye[1] > out_y) == after_walls:
                    end = sy * half_rod + shifts[i]
                    if sy * end > out_y:
                        p.tube(np.array([rod.x, sy * out_y, table.rod_height]),
                               np.array([rod.x, end, table.rod_height]), radius,
                               style.rod_edge, style.rod_shine)

    handles(after_walls=False)
    order = np.argsort([-p.depth([r.x, 0, table.rod_height]) for r in table.rods])
    for i in order:
        rod = table.rods[i]
        p.tube(np.array([rod.x, -hw, table.rod_height]), np.array([rod.x, hw, table.rod_height]),
               radius, style.rod_edge, style.rod_shine)
        colour = np.array(style.teams[rod.side], float)
        for m in range(rod.men):
            R, t = man_to_table(table, i, m, shifts[i], angles[i])
            solids = sorted(parts, key=lambda q: -p.depth(R @ np.array(q.centre) + t))
            for q in solids:
                shade = 0.75 if q.name.startswith("leg") else 1.0
                pts = part_vertices(q) @ R.T + t
                p.convex(pts, tuple(int(c) for c in np.clip(colour * shade, 0, 255)))

    for w in walls:  # wall tops, then the outer faces the camera can see
        p.polygon(w["top"], style.wall_top)
    for w in walls:
        if np.sign(eye[w["axis"]]) == w["sign"] and abs(eye[w["axis"]]) > w["outer_plane"]:
            p.polygon(w["outer"], tuple(int(0.7 * c) for c in style.wall_top))
    handles(after_walls=True)

    for _ in range(clutter):  # hands and arms beside the table
        side = rng.choice([-1, 1])
        x = rng.uniform(-hl, hl)
        y = side * (hw + table.wall_thickness + rng.uniform(0.05, table.handle_length + 0.1))
        uv = camera.table_to_pixel(np.array([[x, y, table.rod_height]]))[0]
        r = 0.05 * camera.fx / p.depth([x, y, table.rod_height])
        axes = (int(r * rng.uniform(0.6, 1.6)), int(r * rng.uniform(0.4, 0.9)))
        cv2.ellipse(img, (int(uv[0]), int(uv[1])), axes, rng.uniform(0, 180), 0, 360,
                    (int(rng.uniform(90, 140)), int(rng.uniform(120, 160)),
                     int(rng.uniform(170, 220))), -1, cv2.LINE_8)

    img = cv2.resize(img, (final_camera.width, final_camera.height),
                     interpolation=cv2.INTER_AREA)
    if noise > 0:
        img = np.clip(img + rng.normal(0, noise, img.shape), 0, 255).astype(np.uint8)
    return img


def sketch_clip(camera: Camera, table: TableSpec, n: int, seed: int = 0,
                style: SketchStyle = SketchStyle(), clutter: int = 3,
                supersample: int = 3) -> list[np.ndarray]:
    """``n`` frames with random rod shifts and angles, a random ball and clutter.

    Returns:
        n (height, width, 3) uint8 BGR images.
    """
    rng = np.random.default_rng(seed)
    frames = []
    travel = np.array([r.travel for r in table.rods])
    for _ in range(n):
        shifts = rng.uniform(-1, 1, 8) * travel
        angles = rng.normal(0, 0.35, 8)
        ball = np.array([rng.uniform(-0.9, 0.9) * table.half_length,
                         rng.uniform(-0.9, 0.9) * table.half_width, table.ball.radius])
        frames.append(sketch_table(camera, table, shifts, angles, ball, style, rng, clutter,
                                   supersample=supersample))
    return frames
