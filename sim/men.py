"""The men's 3D shape (head, torso, hips, legs, foot) and where they are on the table.

One description of the men, built from a table's ``ManSpec``, feeds the physics (collision
shapes), the renderer (meshes) and the tracker (the silhouette a camera sees), so they can
never disagree.

A man's own frame: origin on the rod axis at the man's centre, axes parallel to the table
frame when the rod angle is 0 (x along the table, y along the rod, z up; the man hangs
towards -z).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.table import TableSpec


@dataclass(frozen=True)
class Part:
    """One solid of a man, in the man's own frame.

    ``kind`` is ``"box"`` (``size`` holds the half extents along x, y, z, m) or ``"sphere"``
    (``size[0]`` is the radius, m). ``centre`` is (x, y, z), m.
    """

    name: str
    kind: str
    centre: tuple[float, float, float]
    size: tuple[float, float, float]


def man_parts(table: TableSpec) -> tuple[Part, ...]:
    """The solids making up one man of ``table``, in the man's own frame."""
    m = table.man
    reach = table.man_reach
    sole = -reach
    foot_top = sole + m.foot_height
    hip_bottom = m.torso_bottom - m.hip_height
    leg_half_h = 0.5 * (hip_bottom - foot_top)
    leg_y = 0.5 * (m.torso_width - m.leg_width)
    parts = [
        Part("foot", "box", (0.0, 0.0, sole + 0.5 * m.foot_height),
             (0.5 * m.foot_length, 0.5 * m.foot_width, 0.5 * m.foot_height)),
        Part("hips", "box", (0.0, 0.0, 0.5 * (hip_bottom + m.torso_bottom)),
             (0.5 * m.torso_thickness, 0.5 * m.torso_width, 0.5 * m.hip_height)),
        Part("torso", "box", (0.0, 0.0, 0.5 * (m.torso_bottom + m.torso_top)),
             (0.5 * m.torso_thickness, 0.5 * m.torso_width, 0.5 * (m.torso_top - m.torso_bottom))),
        Part("head", "sphere", (0.0, 0.0, m.head_centre), (m.head_radius, 0.0, 0.0)),
    ]
    if leg_half_h > 1e-4:
        for name, y in (("leg_left", -leg_y), ("leg_right", leg_y)):
            parts.append(Part(name, "box", (0.0, y, foot_top + leg_half_h),
                              (0.5 * m.leg_thickness, 0.5 * m.leg_width, leg_half_h)))
    return tuple(parts)


def rod_rotation(angle: float) -> np.ndarray:
    """(3, 3) float64: rotation by ``angle`` (rad) about +y, right-hand rule.

    Maps a man's own frame to table-frame directions. A positive angle swings the foot
    (at -z) towards -x.
    """
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def man_to_table(table: TableSpec, rod: int, man: int, shift: float, angle: float):
    """Pose of one man: the transform from the man's own frame to the table frame.

    Returns:
        (R, t): R (3, 3) rotation and t (3,) m, with p_table = R @ p_man + t.
    """
    spec = table.rods[rod]
    t = np.array([spec.x, spec.man_offsets[man] + shift, table.rod_height])
    return rod_rotation(angle), t


def foot_position(table: TableSpec, rod: int, man: int, shift: float, angle: float) -> np.ndarray:
    """(3,) float64, m: centre of a man's sole in the table frame."""
    R, t = man_to_table(table, rod, man, shift, angle)
    return R @ np.array([0.0, 0.0, -table.man_reach]) + t


def part_vertices(part: Part, segments: int = 12) -> np.ndarray:
    """(N, 3) float64, m: points on the surface of ``part`` in the man's own frame.

    Boxes give their 8 corners; spheres a latitude-longitude grid. Enough to project a
    silhouette's convex outline.
    """
    c = np.asarray(part.centre)
    if part.kind == "box":
        h = np.asarray(part.size)
        signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
        return c + signs * h
    r = part.size[0]
    lat = np.linspace(-0.5 * np.pi, 0.5 * np.pi, segments // 2 + 1)
    lon = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    la, lo = np.meshgrid(lat, lon)
    pts = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], -1)
    return c + r * pts.reshape(-1, 3)
