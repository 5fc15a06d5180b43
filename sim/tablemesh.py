"""The whole table as meshes and textures: what does not move, and the moving bodies.

``TableModel`` holds the static mesh (playfield, walls, goals, cabinet, floor, players'
bodies) in the table frame, one mesh of moving bodies (rods, hands, men, ball) each in its
own frame, and ``body_poses`` placing the bodies from a ``TableState``. Dimensions come from
the ``TableSpec``; only the cabinet, floor and clutter come from the ``Look``.

Body indices: rods ``0..7``, hands ``8..15``, men ``16..16+M-1`` (rod by rod, man by man),
the ball last.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from sim import meshes as mh
from sim.look import Look, colour, srgb_to_linear
from sim.state import TableState
from sim.table import TableSpec

N_RODS = 8
HANDS0 = 8
MEN0 = 16


@dataclass(frozen=True)
class Markings:
    """Field markings as fractions of the playfield width ``W`` or length ``L``."""

    line: float = 0.006  # m, line width
    circle: float = 0.15  # centre circle radius / W
    spot: float = 0.006  # m, spot radius
    box_half: float = 0.30  # penalty area half width / W
    box_depth: float = 0.16  # penalty area depth / L
    small_half: float = 0.20  # goal area half width / W
    small_depth: float = 0.075  # goal area depth / L
    penalty_spot: float = 0.20  # penalty spot from the goal line / L


def playfield_texture(table: TableSpec, look: Look, px_per_m: float = 1000.0,
                      markings: Markings = Markings()) -> np.ndarray:
    """The playfield's colour with its markings and a faint felt grain.

    Returns:
        (rows, cols, 3) uint8 sRGB; column = x from -L/2, row = y from -W/2.
    """
    L, W = table.length, table.width
    cols, rows = int(round(L * px_per_m)), int(round(W * px_per_m))
    rng = np.random.default_rng(look.texture_seed)
    grain = cv2.GaussianBlur(rng.standard_normal((rows, cols)).astype(np.float32), (0, 0), 2.0)
    grain = grain / (grain.std() + 1e-9) * 0.02
    base = np.asarray(look.field, np.float32)
    img = np.clip(base[None, None, :] * (1.0 + grain[..., None]), 0, 1)
    img = (img * 255).astype(np.uint8)
    if look.markings:
        _draw_markings(img, table, px_per_m, markings, tuple(int(255 * c) for c in look.lines))
    return img


def _draw_markings(img, table: TableSpec, k: float, m: Markings, col) -> None:
    L, W = table.length, table.width
    shift = 4
    s = 1 << shift

    def px(x, y):  # table metres -> fixed-point pixel coordinates
        return (int(round(((x + L / 2) * k - 0.5) * s)), int(round(((y + W / 2) * k - 0.5) * s)))

    lw = max(1, int(round(m.line * k)))

    def line(a, b):
        cv2.line(img, px(*a), px(*b), col, lw, cv2.LINE_AA, shift)

    def circle(c, r, filled=False):
        cv2.circle(img, px(*c), int(round(r * k * s)), col, -1 if filled else lw, cv2.LINE_AA,
                   shift)

    line((0, -W / 2), (0, W / 2))
    circle((0, 0), m.circle * W)
    circle((0, 0), m.spot, True)
    for e in (-1, 1):
        gx = e * L / 2
        for half, depth in ((m.box_half, m.box_depth), (m.small_half, m.small_depth)):
            x1 = gx - e * depth * L
            line((gx, -half * W), (x1, -half * W))
            line((x1, -half * W), (x1, half * W))
            line((x1, half * W), (gx, half * W))
        circle((gx - e * m.penalty_spot * L, 0), m.spot, True)


def floor_texture(look: Look, size: int = 256) -> np.ndarray:
    """(size, size, 3) uint8 sRGB: a tileable speckled carpet."""
    rng = np.random.default_rng(look.texture_seed + 1)
    n = rng.standard_normal((size, size)).astype(np.float32)
    fine = n * 0.10
    coarse = cv2.GaussianBlur(np.tile(n, (3, 3)), (0, 0), 6.0)[size:2 * size, size:2 * size]
    coarse = coarse / (coarse.std() + 1e-9) * 0.05
    img = np.asarray(look.floor, np.float32)[None, None] * (1 + fine + coarse)[..., None]
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def _lin(rgb) -> np.ndarray:
    return srgb_to_linear(rgb)


def static_parts(table: TableSpec, look: Look) -> dict[str, np.ndarray]:
    """The fixed parts, each (N, 15) float32 in the table frame (``sim.meshes`` layout):

    - ``playfield``: the field quad (textured);
    - ``occluders``: walls, goal boxes, corner ramps, the cabinet's top panels;
    - ``rods``: the middle of every rod, always there whatever its shift;
    - ``scenery``: the cabinet's sides, its legs, the floor, the players' bodies.
    """
    hl, hw, t, wh = table.half_length, table.half_width, table.wall_thickness, table.wall_height
    g = table.goal
    gw = 0.5 * g.width
    walls, dark, inside = _lin(look.walls), _lin(look.cabinet), _lin(look.goal_inside)
    field = mh.quad([[-hl, -hw, 0], [hl, -hw, 0], [hl, hw, 0], [-hl, hw, 0]], _lin((1, 1, 1)),
                    mh.Material(specular=0.25, texture=1), uv=[[0, 0], [1, 0], [1, 1], [0, 1]])
    occ = []
    for s in (-1, 1):  # side walls: white inside, dark on top
        occ.append(mh.box((0, s * (hw + 0.5 * t), 0.5 * wh), (hl + t, 0.5 * t, 0.5 * wh), walls,
                          faces="Y" if s < 0 else "y"))
        occ.append(mh.box((0, s * (hw + 0.5 * t), 0.5 * wh), (hl + t, 0.5 * t, 0.5 * wh), dark,
                          faces="Z"))
    for e in (-1, 1):
        occ += _end_wall(table, look, e)
        gx = e * hl
        back = gx + e * g.depth
        xs = sorted((gx, back))
        cx, hx = 0.5 * (xs[0] + xs[1]), 0.5 * (xs[1] - xs[0])
        # the goal's box, seen from inside: floor, back, sides and roof facing inwards
        occ.append(_inward(mh.box((cx, 0, 0.5 * g.height), (hx, gw, 0.5 * g.height), inside,
                                  faces=("X" if e > 0 else "x") + "yYzZ")))
        cxe = e * (hl + t + 0.5 * look.cabinet_end)  # the cabinet's top panel over the goal
        occ.append(mh.box((cxe, 0, wh), (0.5 * look.cabinet_end, hw + t, 1e-4), dark,
                          faces="Z"))
    if table.corner_ramp > 0:
        c = table.corner_ramp
        for ex in (-1, 1):
            for ey in (-1, 1):
                tri = np.array([[ex * (hl - c), ey * hw, 0], [ex * hl, ey * (hw - c), 0],
                                [ex * hl, ey * hw, c / np.sqrt(2)]])
                n = np.cross(tri[1] - tri[0], tri[2] - tri[0])
                if n[2] < 0:
                    tri, n = tri[::-1], -n
                occ.append(mh.mesh(tri, np.tile(n / np.linalg.norm(n), (3, 1)),
                                   _lin(look.field), mh.MATTE))
    rods = [mh.rod_inner_mesh(table, r, _lin(look.rods)) for r in table.rods]
    return {"playfield": field, "occluders": mh.concat(occ), "rods": mh.concat(rods),
            "scenery": mh.concat(_cabinet(table, look))}


def _inward(m: np.ndarray) -> np.ndarray:
    """Turn a mesh inside out (to be seen from within)."""
    tri = m.reshape(-1, 3, mh.FLOATS_PER_VERTEX)[:, ::-1].copy()
    tri[:, :, 3:6] *= -1
    return tri.reshape(-1, mh.FLOATS_PER_VERTEX)


def _end_wall(table: TableSpec, look: Look, e: int) -> list[np.ndarray]:
    hl, hw, t, wh = table.half_length, table.half_width, table.wall_thickness, table.wall_height
    g = table.goal
    gw = 0.5 * g.width
    walls, dark = _lin(look.walls), _lin(look.cabinet)
    cx = e * (hl + 0.5 * t)
    face = "x" if e > 0 else "X"
    out = []
    for s in (-1, 1):  # beside the goal mouth
        cy = s * 0.5 * (hw + gw)
        half = (0.5 * t, 0.5 * (hw - gw), 0.5 * wh)
        out.append(mh.box((cx, cy, 0.5 * wh), half, walls, faces=face + ("Y" if s < 0 else "y")))
        out.append(mh.box((cx, cy, 0.5 * wh), half, dark, faces="Z"))
    lintel = (0.5 * t, gw, 0.5 * (wh - g.height))
    cz = 0.5 * (wh + g.height)
    out.append(mh.box((cx, 0, cz), lintel, walls, faces=face + "z"))
    out.append(mh.box((cx, 0, cz), lintel, dark, faces="Z"))
    return out


def _cabinet(table: TableSpec, look: Look) -> list[np.ndarray]:
    hl, hw, t, wh = table.half_length, table.half_width, table.wall_thickness, table.wall_height
    dark = _lin(look.cabinet)
    X, Y = hl + t + look.cabinet_end, hw + t
    depth = look.cabinet_depth
    out = [mh.box((0, 0, 0.5 * (wh - depth)), (X, Y, 0.5 * (wh + depth)), dark, faces="xXyY")]
    if look.floor_visible:
        out += _surroundings(table, look, X, Y)
    return out


def _surroundings(table: TableSpec, look: Look, X: float, Y: float) -> list[np.ndarray]:
    dark = _lin(look.cabinet)
    fz = -look.floor_depth
    size = 4.0
    out = [mh.quad([[-size, -size, fz], [size, -size, fz], [size, size, fz], [-size, size, fz]],
                   _lin((1, 1, 1)), mh.Material(texture=2),
                   uv=[[-size, -size], [size, -size], [size, size], [-size, size]])]
    leg = 0.04
    for ex in (-1, 1):
        for ey in (-1, 1):
            c = (ex * (X - 2 * leg), ey * (Y - 2 * leg),
                 0.5 * (fz - look.cabinet_depth))
            out.append(mh.box(c, (leg, leg, 0.5 * (look.floor_depth - look.cabinet_depth)), dark,
                              faces="xXyY"))
    # one player per pair of rods (goalie + defence, midfield + attack), behind the handles
    reach = Y + table.handle_length + 0.30
    for side in (0, 1):
        rods = table.rods_of_side(side)
        sleeve = _lin(look.sleeves[side])
        ys = look.grip_side[side] * reach
        for pair in (rods[:2], rods[2:]):
            x = float(np.mean([r.x for r in pair]))
            body_h = 0.5 * (0.45 + look.floor_depth)
            out.append(mh.box((x, ys, 0.45 - body_h), (0.2, 0.13, body_h), sleeve,
                              faces="xXyYZ"))
            out.append(mh.sphere((x, ys + look.grip_side[side] * 0.02, 0.60), 0.1,
                                 _lin((0.2, 0.15, 0.12)), mh.MATTE, segments=12))
    return out


STATIC_PARTS = ("playfield", "occluders", "rods", "scenery")


class TableModel:
    """Meshes, textures and body poses of one table with one look.

    Attributes:
        static: (N, 15) float32, the fixed parts (``sim.meshes`` layout), in the order of
            ``STATIC_PARTS``; ``static_ranges[name]`` = (first vertex, count).
        bodies: (M, 15) float32, all moving bodies, each in its own frame.
        n_bodies: number of bodies (poses per frame).
        rod_range, man_ranges, ball_range: (first vertex, count) in ``bodies`` of the rods'
            moving ends with the hands, of each rod's men (list of 8), of the ball (an
            impostor square: draw it with the ball program only).
        blur_man_ranges: each rod's men in fewer triangles (legs as one box, a box head),
            for the time samples of motion blur, where detail is lost anyway.
        field_texture, floor_texture: (rows, cols, 3) uint8 sRGB images.
    """

    def __init__(self, table: TableSpec, look: Look | None = None):
        self.table = table
        self.look = look = look or Look()
        parts = static_parts(table, look)
        self.static_ranges = _ranges([parts[k] for k in STATIC_PARTS], STATIC_PARTS)
        self.static = mh.concat([parts[k] for k in STATIC_PARTS])
        self.field_texture = playfield_texture(table, look)
        self.floor_texture = floor_texture(look)
        grip_half = 0.5 * table.rod_length - 0.5 * look.grip_length
        self.grip_offsets = np.array([look.grip_side[r.side] * grip_half for r in table.rods])
        rods = []
        for r in table.rods:
            gs = look.grip_side[r.side]
            m = mh.rod_ends_mesh(table, r, _lin(look.rods), _lin(look.bumpers), _lin(look.grips),
                                 look.grip_length, gs)
            rods.append(mh.with_body(m, r.index))
            if look.hands:
                hand = mh.hand_mesh(_lin(look.skin), _lin(look.sleeves[r.side]),
                                    look.grip_length, gs)
                rods.append(mh.with_body(hand, HANDS0 + r.index))
        men, coarse, man_rod = [], [], []
        body = MEN0
        for r in table.rods:
            team = _lin(colour(look.teams[r.side]))
            for mesh_list, man in ((men, mh.man_mesh(table, team)),
                                   (coarse, mh.man_mesh(table, team, coarse=True))):
                mesh_list.append(mh.concat([mh.with_body(man, body + k) for k in range(r.men)]))
            body += r.men
            man_rod += [r.index] * r.men
        self.ball_body = body
        self.n_bodies = body + 1
        ball = mh.with_body(mh.impostor_quad(_lin(look.ball_rgb)), body)
        pieces = [mh.concat(rods), *men, ball, *coarse]
        ranges = _ranges(pieces)
        self.bodies = mh.concat(pieces)
        self.rod_range, self.man_ranges, self.ball_range = ranges[0], ranges[1:9], ranges[9]
        self.blur_man_ranges = ranges[10:18]
        self.man_rod = np.array(man_rod)
        self.man_y = np.concatenate([r.man_offsets for r in table.rods])
        self.man_corners = mh.man_corners(table)

    def body_poses(self, state: TableState) -> np.ndarray:
        """(n_bodies, 4) float32: x, y, z (m) and rotation about +y (rad) of every body.

        A ball with a non-finite position is parked far below the floor (not seen).
        """
        return self.body_poses_many(np.asarray(state.ball, float)[None],
                                    np.asarray(state.shifts, float)[None],
                                    np.asarray(state.angles, float)[None])[0]

    def body_poses_many(self, ball: np.ndarray, shifts: np.ndarray,
                        angles: np.ndarray) -> np.ndarray:
        """Body poses at T instants.

        Args:
            ball: (T, 3) m. shifts: (T, 8) m. angles: (T, 8) rad.

        Returns:
            (T, n_bodies, 4) float32: x, y, z (m), rotation about +y (rad).
        """
        t = self.table
        n = len(ball)
        poses = np.zeros((n, self.n_bodies, 4), np.float64)
        poses[:, :N_RODS, 0] = t.rod_x
        poses[:, :N_RODS, 1] = shifts
        poses[:, :N_RODS, 2] = t.rod_height
        poses[:, :N_RODS, 3] = angles
        hands = slice(HANDS0, HANDS0 + N_RODS)
        poses[:, hands, 0] = t.rod_x
        poses[:, hands, 1] = shifts + self.grip_offsets
        poses[:, hands, 2] = t.rod_height
        men = slice(MEN0, self.ball_body)
        poses[:, men, 0] = t.rod_x[self.man_rod]
        poses[:, men, 1] = self.man_y + shifts[:, self.man_rod]
        poses[:, men, 2] = t.rod_height
        poses[:, men, 3] = angles[:, self.man_rod]
        ok = np.all(np.isfinite(ball), axis=1)
        poses[:, self.ball_body, :3] = np.where(ok[:, None], ball, (0.0, 0.0, -100.0))
        return poses.astype(np.float32)


def _ranges(pieces, names=None):
    out, start = [], 0
    for p in pieces:
        out.append((start, len(p)))
        start += len(p)
    return dict(zip(names, out)) if names is not None else out
