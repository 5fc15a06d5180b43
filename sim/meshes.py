"""Triangle meshes of a foosball table, built from its ``TableSpec``.

Every dimension of the playing parts comes from the table (``sim.table``) and the men's
parts (``sim.men``), the same primitives the physics collides; only what the physics never
touches (the cabinet around the walls, the floor, the players' hands and bodies) is sized by
the look (``sim.look.Look``).

A mesh is a flat list of triangles: an (N, 15) float32 array, one row a vertex:

| columns | meaning |
|---|---|
| 0:3 | position in the body's own frame, m |
| 3:6 | outward unit normal |
| 6:9 | colour, linear RGB 0..1 |
| 9 | specular strength 0..1 |
| 10 | chrome (mirror) amount 0..1 |
| 11 | texture: 0 none, 1 playfield, 2 floor |
| 12:14 | texture coordinates |
| 14 | body index (-1: fixed in the table frame) |

Moving things are *bodies*: a body's vertices are given in its own frame and placed by a
pose (translation, rotation about +y) each frame, so one draw call moves all of them.
Triangles wind counter-clockwise seen from outside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.men import man_parts

FLOATS_PER_VERTEX = 15


@dataclass(frozen=True)
class Material:
    """How a surface reflects light: ``specular`` highlight strength 0..1, ``chrome`` 0 matte
    .. 1 a mirror of the room, ``texture`` 0 none, 1 playfield, 2 floor."""

    specular: float = 0.04
    chrome: float = 0.0
    texture: int = 0


MATTE = Material()
PLASTIC = Material(specular=0.35)
CHROME = Material(specular=1.0, chrome=1.0)


def mesh(pos, nrm, colour, material: Material = MATTE, uv=None, body: int = -1) -> np.ndarray:
    """Pack vertices into mesh rows.

    Args:
        pos: (N, 3) m. nrm: (N, 3) unit normals. colour: (3,) linear RGB.
        uv: (N, 2) texture coordinates or None. body: the body index (-1 fixed).

    Returns:
        (N, 15) float32.
    """
    pos = np.asarray(pos, float).reshape(-1, 3)
    data = np.zeros((len(pos), FLOATS_PER_VERTEX), np.float32)
    data[:, 0:3] = pos
    data[:, 3:6] = nrm
    data[:, 6:9] = colour
    data[:, 9] = material.specular
    data[:, 10] = material.chrome
    data[:, 11] = material.texture
    if uv is not None:
        data[:, 12:14] = uv
    data[:, 14] = body
    return data


def concat(parts) -> np.ndarray:
    """Concatenate meshes (each (N_i, 15))."""
    parts = [p for p in parts if len(p)]
    return np.concatenate(parts) if parts else np.zeros((0, FLOATS_PER_VERTEX), np.float32)


def with_body(m: np.ndarray, body: int) -> np.ndarray:
    """A copy of mesh ``m`` assigned to ``body``."""
    out = m.copy()
    out[:, 14] = body
    return out


def quad(corners, colour, material: Material = MATTE, uv=None) -> np.ndarray:
    """A planar quad from its 4 corners (4, 3) m, counter-clockwise seen from its front."""
    c = np.asarray(corners, float)
    n = np.cross(c[1] - c[0], c[2] - c[0])
    n /= np.linalg.norm(n)
    idx = [0, 1, 2, 0, 2, 3]
    return mesh(c[idx], np.tile(n, (6, 1)), colour, material,
                None if uv is None else np.asarray(uv, float)[idx])


def box(centre, half, colour, material: Material = MATTE, faces: str = "xXyYzZ") -> np.ndarray:
    """An axis-aligned box of half extents ``half`` (3,) m; ``faces`` keeps some faces only
    (``x`` the -x face, ``X`` the +x face, and so on)."""
    c, h = np.asarray(centre, float), np.asarray(half, float)
    out = []
    for axis in range(3):
        a1, a2 = (axis + 1) % 3, (axis + 2) % 3
        for sign, key in ((-1, "xyz"[axis]), (1, "XYZ"[axis])):
            if key not in faces:
                continue
            corners = []
            for s1, s2 in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                p = np.zeros(3)
                p[axis], p[a1], p[a2] = sign, s1, s2
                corners.append(c + p * h)
            corners = np.array(corners if sign > 0 else corners[::-1])
            out.append(quad(corners, colour, material))
    return concat(out)


def oriented_box(centre, axes, half, colour, material: Material = MATTE) -> np.ndarray:
    """A box with edges along the rows of ``axes`` (3, 3) (orthonormal) and half extents
    ``half`` (3,) m along them."""
    R = np.asarray(axes, float)
    m = box((0, 0, 0), half, colour, material)
    m[:, 0:3] = m[:, 0:3] @ R + np.asarray(centre, float)
    m[:, 3:6] = m[:, 3:6] @ R
    return m


def _orient(tri: np.ndarray, nrm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reverse the triangles (M, 3, 3) whose winding disagrees with their normals."""
    geo = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    flip = np.einsum("ij,ij->i", geo, nrm.mean(axis=1)) < 0
    tri, nrm = tri.copy(), nrm.copy()
    tri[flip], nrm[flip] = tri[flip][:, ::-1], nrm[flip][:, ::-1]
    return tri.reshape(-1, 3), nrm.reshape(-1, 3)


def sphere(centre, radius: float, colour, material: Material = MATTE,
           segments: int = 16) -> np.ndarray:
    """A latitude-longitude sphere with smooth normals."""
    lat = np.linspace(-0.5 * np.pi, 0.5 * np.pi, segments // 2 + 1)
    lon = np.linspace(0.0, 2 * np.pi, segments + 1)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    p = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], -1)
    tris = []
    for i in range(len(lat) - 1):
        for j in range(segments):
            a, b, c, d = p[i, j], p[i, j + 1], p[i + 1, j + 1], p[i + 1, j]
            if i > 0:
                tris.append([a, b, c])
            if i < len(lat) - 2:
                tris.append([a, c, d])
    nrm = np.array(tris)
    pos, n = _orient(nrm, nrm)
    return mesh(np.asarray(centre, float) + radius * pos, n, colour, material)


def cylinder(centre, radius: float, half_length: float, colour, material: Material = MATTE,
             segments: int = 16, caps: str = "-+") -> np.ndarray:
    """A cylinder along y (the rods' axis) with smooth sides; ``caps`` says which ends are
    closed (``-`` the -y end, ``+`` the +y end)."""
    ang = np.linspace(0.0, 2 * np.pi, segments + 1)
    ring = np.stack([np.sin(ang), np.zeros_like(ang), np.cos(ang)], axis=1)
    lo, hi = np.array([0.0, -half_length, 0.0]), np.array([0.0, half_length, 0.0])
    tris, nrms = [], []
    for j in range(segments):
        a, b = ring[j], ring[j + 1]
        ra, rb = radius * a, radius * b
        tris += [[ra + lo, rb + lo, rb + hi], [ra + lo, rb + hi, ra + hi]]
        nrms += [[a, b, b], [a, b, a]]
        if "+" in caps:
            tris.append([hi, ra + hi, rb + hi])
            nrms.append([[0, 1, 0]] * 3)
        if "-" in caps:
            tris.append([lo, rb + lo, ra + lo])
            nrms.append([[0, -1, 0]] * 3)
    pos, n = _orient(np.array(tris), np.array(nrms, float))
    return mesh(np.asarray(centre, float) + pos, n, colour, material)


def man_mesh(table, colour, segments: int = 6, coarse: bool = False) -> np.ndarray:
    """One man in his own frame (``sim.men``), built from the physics' parts.

    Boxes stacked exactly on each other (hips under torso) become one box, and the head is a
    coarse sphere: llvmpipe pays per triangle. ``coarse`` (for motion-blur samples) also
    joins the legs into one box and makes the head a box. Parts are ordered head first, foot
    last: seen from above the nearer parts come first (the motion blur keeps the first
    surface drawn at a pixel within one time sample).
    """
    order = {"head": 0, "torso": 1, "hips": 2, "leg_left": 3, "leg_right": 3, "foot": 4}
    parts = sorted(man_parts(table), key=lambda p: order.get(p.name, 5))
    boxes = [(np.asarray(p.centre) - p.size, np.asarray(p.centre) + p.size)
             for p in parts if p.kind == "box"]
    if coarse:
        legs = [b for p, b in zip([p for p in parts if p.kind == "box"], boxes)
                if p.name.startswith("leg")]
        if legs:
            boxes = [b for b in boxes if not any(b is leg for leg in legs)]
            boxes.append((np.min([b[0] for b in legs], axis=0), np.max([b[1] for b in legs],
                                                                        axis=0)))
        out = [box(p.centre, np.full(3, 0.9 * p.size[0]), colour, PLASTIC)
               for p in parts if p.kind == "sphere"]
    else:
        out = [sphere(p.centre, p.size[0], colour, PLASTIC, segments=segments)
               for p in parts if p.kind == "sphere"]
    for lo, hi in _merge_stacked(boxes):
        out.append(box(0.5 * (lo + hi), 0.5 * (hi - lo), colour, PLASTIC))
    return concat(out)


def _merge_stacked(boxes, tol: float = 1e-9):
    """Join boxes (lo, hi) with the same x and y extent that touch along z."""
    boxes = [(np.array(lo, float), np.array(hi, float)) for lo, hi in boxes]
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(len(boxes)):
                a, b = boxes[i], boxes[j]
                if i != j and np.allclose(a[0][:2], b[0][:2], atol=tol) and \
                        np.allclose(a[1][:2], b[1][:2], atol=tol) and abs(a[1][2] - b[0][2]) < tol:
                    boxes[i] = (a[0], b[1])
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return boxes


def man_corners(table) -> np.ndarray:
    """(8, 3) float64, m: the corners of a box around one man, in his own frame."""
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    for p in man_parts(table):
        h = np.asarray(p.size) if p.kind == "box" else np.full(3, p.size[0])
        lo = np.minimum(lo, np.asarray(p.centre) - h)
        hi = np.maximum(hi, np.asarray(p.centre) + h)
    return np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                     for z in (lo[2], hi[2])])


def ball_mesh(table, colour, segments: int = 16) -> np.ndarray:
    """The ball as a sphere mesh, centred on its own origin."""
    return sphere((0, 0, 0), table.ball.radius, colour, PLASTIC, segments=segments)


def impostor_quad(colour) -> np.ndarray:
    """Two triangles with corners (-1, -1) .. (1, 1) in x, y: the square a ray-traced
    sphere is drawn in (``sim.shaders.BALL_VS``)."""
    c = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, -1, 0], [1, 1, 0], [-1, 1, 0]], float)
    return mesh(c, np.tile([0.0, 0.0, 1.0], (6, 1)), colour, PLASTIC)


def rod_inner_mesh(table, rod, chrome, segments: int = 10) -> np.ndarray:
    """The part of a rod that is always there, whatever its shift: between the outer faces
    of the side walls, in the table frame. A cylinder looks the same turned and slid along
    its axis, so this part is drawn once with the static table."""
    y = table.half_width + table.wall_thickness
    return cylinder((rod.x, 0.0, table.rod_height), 0.5 * table.rod_diameter, y, chrome, CHROME,
                    segments=segments)


def rod_ends_mesh(table, rod, chrome, bumper, grip, grip_length: float, grip_side: int,
                  segments: int = 6) -> np.ndarray:
    """What moves with a rod, in its own frame (origin on the axis at the rod's centre): the
    two ends outside the side walls (from where they may slide into view to the rod's end,
    ``table.rod_length`` apart), the handle's grip at the ``grip_side`` (-1 or +1) end, and a
    rubber bumper on each side, placed to touch the side wall at full travel. Coarse on
    purpose: llvmpipe pays per triangle."""
    r = 0.5 * table.rod_diameter
    half = 0.5 * table.rod_length
    y_in = table.half_width + table.wall_thickness - rod.travel - 0.002
    g = 0.5 * grip_length
    y_bumper = table.half_width - rod.travel
    b = 0.6 * table.rod_diameter
    out = [cylinder((0, s * 0.5 * (y_in + half), 0), r, 0.5 * (half - y_in), chrome, CHROME,
                    segments=segments, caps="+" if s > 0 else "-") for s in (-1, 1)]
    out.append(cylinder((0, grip_side * (half - g), 0), 1.7 * r, g, grip, PLASTIC,
                        segments=segments))
    out += [cylinder((0, s * (y_bumper - 0.5 * b), 0), 1.6 * r, 0.5 * b, bumper, MATTE,
                     segments=segments) for s in (-1, 1)]
    return concat(out)


def hand_mesh(skin, sleeve, grip_length: float, side_sign: int) -> np.ndarray:
    """A fist round a handle and the forearm behind it, in the handle's frame (origin at the
    grip's middle on the rod axis; the forearm reaches outwards, ``side_sign`` -1 or +1 in
    y, and down towards the player at 30 degrees)."""
    fist = box((0.0, 0.0, 0.004), (0.028, 0.4 * grip_length, 0.026), skin, MATTE)
    d = np.array([0.0, side_sign * np.cos(np.radians(30)), -np.sin(np.radians(30))])
    axes = np.array([[1.0, 0.0, 0.0], d, np.cross([1.0, 0.0, 0.0], d)])
    arm = oriented_box(0.4 * grip_length * abs(d[1]) * d / abs(d[1]) + 0.15 * d, axes,
                       (0.03, 0.13, 0.026), sleeve, MATTE)
    return concat([fist, arm])
