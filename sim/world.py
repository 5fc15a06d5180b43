"""The table's solids in pybullet, built from a ``TableSpec`` and nothing else.

``build_world`` creates, in a given pybullet client:

- ``floor`` (static): the playfield, extended under the goal boxes;
- ``ramps`` (static): the corner ramps, if the table has them;
- ``walls`` (static): side walls, end walls with the goal mouths cut out, lintels over them;
- ``goals`` (static): the boxes behind the goal lines that catch a scored ball;
- ``rods`` (one multibody with a fixed base): per rod a prismatic joint along +y on the rod
  axis (the shift), a revolute joint about +y (the angle) carrying the rod, and a fixed link
  per man (``RodLinks``);
- ``ball`` (rigid body, maximal coordinates, continuous collision detection).

Collision groups keep the work small: the ball meets everything, nothing else meets
anything (rods pass through the walls as real ones do; men of neighbouring rods never touch).

Contact coefficients in the table file are values *for a pair with the ball*. pybullet
combines two bodies' restitution and friction by multiplying them, so the ball carries 1 and
each surface carries its pair value (``_set_contact``). Rolling and spinning friction are
combined as ``a.rolling * b.friction + a.friction * b.rolling``: the ball carries 0 and the
surfaces carry the ball's rolling and spinning friction.

Corner ramps (``corner_ramp > 0``): in each corner a wedge cut at 45 degrees across it, with
legs of ``corner_ramp`` along both walls, rising from the playfield to ``corner_ramp`` in the
corner, so a ball pushed into a corner rolls out of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pybullet as pb

from sim.men import Part, man_parts
from sim.table import TableSpec

GROUP_BALL, GROUP_TABLE, GROUP_RODS = 1, 2, 4
FLOOR_THICKNESS = 0.02  # m, the playfield board below z = 0
BALL_LINEAR_DAMPING = 0.02  # 1/s, air drag, roughly
BALL_ANGULAR_DAMPING = 0.02  # 1/s
GOAL_BOX_RESTITUTION = 0.2  # a scored ball drops dead in the box
SLIDER_MASS_FRACTION = 0.5  # of the sliding mass carried by the prismatic link itself
_IDENTITY = (0.0, 0.0, 0.0, 1.0)
_ROD_ALONG_Y = pb.getQuaternionFromEuler((-0.5 * math.pi, 0.0, 0.0))  # cylinder z -> +y

COLOURS = {  # RGBA of the solids in pybullet's own images
    "floor": (0.12, 0.45, 0.18, 1.0),
    "ramp": (0.16, 0.52, 0.22, 1.0),
    "walls": (0.35, 0.25, 0.18, 1.0),
    "goals": (0.2, 0.2, 0.2, 1.0),
    "rod": (0.75, 0.75, 0.78, 1.0),
    "ball": (0.97, 0.97, 0.92, 1.0),
}


@dataclass(frozen=True)
class World:
    """Ids of the bodies ``build_world`` made, in one pybullet client."""

    client: int
    floor: int
    ramps: tuple[int, ...]
    walls: int
    goals: int
    rods: int  # one multibody holding all eight rods (see RodLinks)
    rod_links: RodLinks
    ball: int

    @property
    def static_bodies(self) -> tuple[int, ...]:
        return (self.floor, *self.ramps, self.walls, self.goals)


def _box(centre, half) -> tuple[str, tuple, tuple]:
    return ("box", tuple(float(c) for c in centre), tuple(float(h) for h in half))


def _static_boxes(table: TableSpec) -> dict[str, list]:
    """Boxes (kind, centre, half extents) of the floor, walls and goal boxes, m."""
    hl, hw, t, h = table.half_length, table.half_width, table.wall_thickness, table.wall_height
    g, depth = table.goal, table.goal.depth
    outer = hl + depth + t  # x of the goal boxes' back faces
    floor = [_box((0, 0, -0.5 * FLOOR_THICKNESS), (outer, hw + t, 0.5 * FLOOR_THICKNESS))]
    walls, goals = [], []
    for sy in (-1, 1):
        walls.append(_box((0, sy * (hw + 0.5 * t), 0.5 * h), (outer, 0.5 * t, 0.5 * h)))
    side_half = 0.5 * (hw - 0.5 * g.width)
    for sx in (-1, 1):
        x = sx * (hl + 0.5 * t)
        for sy in (-1, 1):
            walls.append(_box((x, sy * (0.5 * g.width + side_half), 0.5 * h), (0.5 * t, side_half,
                                                                                 0.5 * h)))
        walls.append(_box((x, 0, 0.5 * (g.height + h)), (0.5 * t, 0.5 * g.width,
                                                          0.5 * (h - g.height))))
        box_len = depth - t  # behind the end wall
        xb = sx * (hl + t + 0.5 * box_len)
        for sy in (-1, 1):
            goals.append(_box((xb, sy * (0.5 * g.width + 0.5 * t), 0.5 * g.height),
                              (0.5 * box_len, 0.5 * t, 0.5 * g.height)))
        goals.append(_box((sx * (hl + depth + 0.5 * t), 0, 0.5 * g.height),
                          (0.5 * t, 0.5 * g.width + t, 0.5 * g.height)))
        goals.append(_box((xb, 0, g.height + 0.5 * t), (0.5 * box_len, 0.5 * g.width + t, 0.5 * t)))
    return {"floor": floor, "walls": walls, "goals": goals}


def ramp_vertices(table: TableSpec) -> list[np.ndarray]:
    """(5, 3) float64 vertices, m, of each corner ramp; empty without ramps.

    A ramp is cut at 45 degrees across the corner, with legs of ``corner_ramp`` along both
    walls, and rises from the playfield at its foot to ``corner_ramp`` in the corner.
    """
    h = d = table.corner_ramp
    if h <= 0:
        return []
    out = []
    for sx in (-1, 1):
        for sy in (-1, 1):
            cx, cy = sx * table.half_length, sy * table.half_width
            out.append(np.array([
                [cx, cy, 0.0], [cx - sx * d, cy, 0.0], [cx, cy - sy * d, 0.0], [cx, cy, h],
                [cx, cy, -0.5 * FLOOR_THICKNESS],
            ]))
    return out


def surface_height(table: TableSpec, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Height of the playing surface (playfield or corner ramp), m, at table (x, y), m."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    h = table.corner_ramp
    if h <= 0:
        return np.zeros(np.broadcast(x, y).shape)
    # how far inside the ramp's foot line, along the corner's diagonal, over its full depth
    depth = h / math.sqrt(2.0)
    into = (np.abs(x) - table.half_length + np.abs(y) - table.half_width) / math.sqrt(2.0) + depth
    return np.clip(into / depth, 0.0, 1.0) * h


def _box_mesh(centre, half) -> tuple[list, list]:
    """Vertices and normals (24 each, one quad per face) and triangle indices of a box."""
    c, h = np.asarray(centre, float), np.asarray(half, float)
    verts, normals, idx = [], [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            n = np.zeros(3)
            n[axis] = sign
            u, v = np.eye(3)[(axis + 1) % 3], np.eye(3)[(axis + 2) % 3]
            base = len(verts)
            for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                verts.append(c + h * (n + a * u + b * v))
                normals.append(n)
            quad = [0, 1, 2, 0, 2, 3] if sign > 0 else [0, 2, 1, 0, 3, 2]
            idx.extend(base + q for q in quad)
    return verts, normals, idx


def _sphere_mesh(centre, radius, segments: int = 10) -> tuple[list, list, list]:
    """A latitude-longitude sphere: vertices, normals and triangle indices."""
    verts, normals, idx = [], [], []
    rings = segments // 2
    for i in range(rings + 1):
        lat = -0.5 * math.pi + math.pi * i / rings
        for j in range(segments):
            lon = 2 * math.pi * j / segments
            n = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon),
                          math.sin(lat)])
            verts.append(np.asarray(centre) + radius * n)
            normals.append(n)
    for i in range(rings):
        for j in range(segments):
            a, b = i * segments + j, i * segments + (j + 1) % segments
            idx.extend([a, b, b + segments, a, b + segments, a + segments])
    return verts, normals, idx


def solids_mesh(solids: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One triangle mesh of boxes and spheres given as (kind, centre, size).

    Returns:
        vertices (N, 3) float64 m, normals (N, 3) float64, indices (M,) int (triangles).
    """
    verts, normals, idx = [], [], []
    for kind, centre, size in solids:
        v, n, i = (_box_mesh(centre, size) if kind == "box" else
                   _sphere_mesh(centre, size[0]))
        idx.extend(len(verts) + k for k in i)
        verts.extend(v)
        normals.extend(n)
    return np.array(verts), np.array(normals), np.array(idx, dtype=np.int64)


def _compound(client: int, solids: list, rgba, visual: bool) -> tuple[int, int]:
    """Collision shape (and one-colour visual mesh) of (kind, centre, size) solids."""
    kinds = {"box": pb.GEOM_BOX, "sphere": pb.GEOM_SPHERE, "cylinder": pb.GEOM_CYLINDER}
    types = [kinds[k] for k, _, _ in solids]
    half = [s if k == "box" else (0, 0, 0) for k, _, s in solids]
    radii = [s[0] if k != "box" else 0.0 for k, _, s in solids]
    lengths = [s[1] if k == "cylinder" else 0.0 for k, _, s in solids]
    pos = [c for _, c, _ in solids]
    orn = [_ROD_ALONG_Y if k == "cylinder" else _IDENTITY for k, _, _ in solids]
    col = pb.createCollisionShapeArray(types, radii=radii, halfExtents=half, lengths=lengths,
                                       collisionFramePositions=pos,
                                       collisionFrameOrientations=orn, physicsClientId=client)
    return col, (_mesh_visual(client, solids, rgba) if visual else -1)


def _mesh_visual(client: int, solids: list, rgba) -> int:
    # pybullet's visual shape arrays crash beyond 16 shapes: draw the solids as one mesh
    v, n, i = solids_mesh(solids)
    return pb.createVisualShape(pb.GEOM_MESH, vertices=v.tolist(), indices=i.tolist(),
                                normals=n.tolist(), rgbaColor=rgba, physicsClientId=client)


def _static_body(client: int, col: int, vis: int) -> int:
    return pb.createMultiBody(0.0, col, vis, (0, 0, 0), _IDENTITY, useMaximalCoordinates=True,
                              physicsClientId=client)


def _part_solid(part: Part, dy: float) -> tuple[str, tuple, tuple]:
    c = (part.centre[0], part.centre[1] + dy, part.centre[2])
    return (part.kind, c, part.size)


def _part_volume(part: Part) -> float:
    if part.kind == "box":
        return 8.0 * float(np.prod(part.size))
    return 4.0 / 3.0 * math.pi * part.size[0] ** 3


def man_spin_inertia(table: TableSpec) -> float:
    """kg m^2: one man's moment of inertia about the rod axis (uniform density)."""
    parts = man_parts(table)
    volumes = np.array([_part_volume(p) for p in parts])
    masses = table.man.mass * volumes / volumes.sum()
    inertia = 0.0
    for p, m in zip(parts, masses):
        cx, _, cz = p.centre
        if p.kind == "box":
            own = m * ((2 * p.size[0]) ** 2 + (2 * p.size[2]) ** 2) / 12.0
        else:
            own = 0.4 * m * p.size[0] ** 2
        inertia += own + m * (cx * cx + cz * cz)
    return inertia


def rod_inertia(table: TableSpec, rod: int) -> tuple[float, float]:
    """(sliding mass kg, spin inertia kg m^2) of rod ``rod`` with its men and its grip."""
    men = table.rods[rod].men
    drive = table.rod_drive
    return (drive.grip_mass + men * table.man.mass,
            drive.grip_inertia + men * man_spin_inertia(table))


@dataclass(frozen=True)
class RodLinks:
    """Where each rod lives in the rods multibody.

    Attributes:
        slide: (8,) joint index of each rod's prismatic joint (its shift).
        turn: (8,) joint index of each rod's revolute joint (its angle); that link is the rod.
        men: link index -> (rod, man) for the links carrying one man each (fixed joints).
    """

    slide: tuple[int, ...]
    turn: tuple[int, ...]
    men: dict

    @property
    def movable(self) -> tuple[int, ...]:
        """(16,) joint indices: slide 0, turn 0, slide 1, turn 1, ..."""
        return tuple(j for pair in zip(self.slide, self.turn) for j in pair)


def _rods_body(client: int, table: TableSpec, team_rgba, visual: bool) -> tuple[int, RodLinks]:
    """All eight rods as one multibody. Per rod: a slider link (prismatic along +y, carrying
    the rod's grey visual), the rod link (revolute about +y, the rod's collision cylinder)
    and one fixed link per man (pybullet's compound shapes hold at most 16 solids)."""
    parts = man_parts(table)
    man_solids = [_part_solid(p, 0.0) for p in parts]
    man_col, _ = _compound(client, man_solids, None, False)
    men_spin = man_spin_inertia(table)
    rod_col, _ = _compound(client, [("cylinder", (0.0, 0.0, 0.0),
                                     (0.5 * table.rod_diameter, table.rod_length, 0.0))],
                           None, False)
    man_vis = [_mesh_visual(client, man_solids, rgba) if visual else -1 for rgba in team_rgba]
    rod_vis = -1
    if visual:  # on the slider link: a cylinder looks the same at any angle
        rod_vis = pb.createVisualShape(pb.GEOM_CYLINDER, radius=0.5 * table.rod_diameter,
                                       length=table.rod_length, rgbaColor=COLOURS["rod"],
                                       visualFrameOrientation=_ROD_ALONG_Y,
                                       physicsClientId=client)
    links = []  # (mass, collision, visual, position, parent (1-based, 0 = base), type)
    slide, turn, men = [], [], {}
    drive = table.rod_drive
    for spec in table.rods:
        mass, _ = rod_inertia(table, spec.index)
        slide.append(len(links))
        links.append((SLIDER_MASS_FRACTION * mass, -1, rod_vis, (spec.x, 0.0, table.rod_height),
                      0, pb.JOINT_PRISMATIC))
        turn.append(len(links))
        links.append(((1 - SLIDER_MASS_FRACTION) * mass - spec.men * table.man.mass, rod_col, -1,
                      (0.0, 0.0, 0.0), slide[-1] + 1, pb.JOINT_REVOLUTE))
        for m, dy in enumerate(spec.man_offsets):
            men[len(links)] = (spec.index, m)
            links.append((table.man.mass, man_col, man_vis[spec.side], (0.0, float(dy), 0.0),
                          turn[-1] + 1, pb.JOINT_FIXED))
    n = len(links)
    body = pb.createMultiBody(
        baseMass=0.0, baseCollisionShapeIndex=-1, baseVisualShapeIndex=-1,
        basePosition=(0.0, 0.0, 0.0), baseOrientation=_IDENTITY,
        linkMasses=[lk[0] for lk in links], linkCollisionShapeIndices=[lk[1] for lk in links],
        linkVisualShapeIndices=[lk[2] for lk in links], linkPositions=[lk[3] for lk in links],
        linkOrientations=[_IDENTITY] * n, linkInertialFramePositions=[(0, 0, 0)] * n,
        linkInertialFrameOrientations=[_IDENTITY] * n,
        linkParentIndices=[lk[4] for lk in links], linkJointTypes=[lk[5] for lk in links],
        linkJointAxis=[(0, 1, 0)] * n, physicsClientId=client,
    )
    # inertial frames sit on the rod axis: each link's Iyy is its inertia about the axis
    for link in range(n):  # pybullet caps joint rates at 100 (rad/s) unless told otherwise
        pb.changeDynamics(body, link, linearDamping=0.0, angularDamping=0.0, jointDamping=0.0,
                          maxJointVelocity=2.0 * max(drive.max_spin, 100.0),
                          physicsClientId=client)
        if link in men:
            pb.changeDynamics(body, link, localInertiaDiagonal=(men_spin,) * 3,
                              physicsClientId=client)
            _set_contact(client, body, link, table, table.surfaces.man_friction,
                         table.surfaces.man_restitution)
    for i in range(len(table.rods)):
        pb.changeDynamics(body, turn[i], localInertiaDiagonal=(drive.grip_inertia,) * 3,
                          physicsClientId=client)
        _set_contact(client, body, turn[i], table, table.surfaces.man_friction,
                     table.surfaces.man_restitution)
    for j in (*slide, *turn):
        pb.setJointMotorControl2(body, j, pb.VELOCITY_CONTROL, targetVelocity=0.0, force=0.0,
                                 physicsClientId=client)
    return body, RodLinks(tuple(slide), tuple(turn), men)


def _ball_body(client: int, table: TableSpec, visual: bool) -> int:
    r = table.ball.radius
    col = pb.createCollisionShape(pb.GEOM_SPHERE, radius=r, physicsClientId=client)
    vis = (pb.createVisualShape(pb.GEOM_SPHERE, radius=r, rgbaColor=COLOURS["ball"],
                                physicsClientId=client) if visual else -1)
    body = pb.createMultiBody(table.ball.mass, col, vis, (0, 0, r), _IDENTITY,
                              useMaximalCoordinates=True, physicsClientId=client)
    pb.changeDynamics(body, -1, lateralFriction=1.0, restitution=1.0, rollingFriction=0.0,
                      spinningFriction=0.0, linearDamping=BALL_LINEAR_DAMPING,
                      angularDamping=BALL_ANGULAR_DAMPING, ccdSweptSphereRadius=0.9 * r,
                      activationState=pb.ACTIVATION_STATE_DISABLE_SLEEPING,
                      physicsClientId=client)
    return body


def _set_contact(client: int, body: int, link: int, table: TableSpec, friction: float,
                 restitution: float) -> None:
    pb.changeDynamics(body, link, lateralFriction=friction, restitution=restitution,
                      rollingFriction=table.ball.rolling_friction,
                      spinningFriction=table.ball.spinning_friction, physicsClientId=client)


def build_world(table: TableSpec, client: int, team_rgba=None, visual: bool = True) -> World:
    """Create the table's bodies in ``client`` (see the module docstring).

    Args:
        table: the table.
        client: a pybullet client id (DIRECT mode is enough).
        team_rgba: RGBA of side 0's and side 1's men (visual only).
        visual: also create visual shapes (for pybullet's own camera images).
    """
    team_rgba = team_rgba or ((0.8, 0.1, 0.1, 1.0), (0.1, 0.25, 0.85, 1.0))
    boxes = _static_boxes(table)
    floor = _static_body(client, *_compound(client, boxes["floor"], COLOURS["floor"], visual))
    walls = _static_body(client, *_compound(client, boxes["walls"], COLOURS["walls"], visual))
    goals = _static_body(client, *_compound(client, boxes["goals"], COLOURS["goals"], visual))
    ramps = []
    for verts in ramp_vertices(table):
        col = pb.createCollisionShape(pb.GEOM_MESH, vertices=verts.tolist(),
                                      physicsClientId=client)
        vis = (pb.createVisualShape(pb.GEOM_MESH, vertices=verts.tolist(),
                                    indices=[0, 1, 3, 0, 3, 2, 1, 2, 3, 0, 2, 1],
                                    rgbaColor=COLOURS["ramp"], physicsClientId=client)
               if visual else -1)
        ramps.append(_static_body(client, col, vis))
    s = table.surfaces
    _set_contact(client, floor, -1, table, s.playfield_friction, table.ball.restitution)
    for ramp in ramps:
        _set_contact(client, ramp, -1, table, s.playfield_friction, table.ball.restitution)
    _set_contact(client, walls, -1, table, table.ball.friction, s.wall_restitution)
    _set_contact(client, goals, -1, table, table.ball.friction, GOAL_BOX_RESTITUTION)
    rods, rod_links = _rods_body(client, table, team_rgba, visual)
    ball = _ball_body(client, table, visual)
    for body in (floor, *ramps, walls, goals):
        pb.setCollisionFilterGroupMask(body, -1, GROUP_TABLE, GROUP_BALL, physicsClientId=client)
    for link in range(pb.getNumJoints(rods, physicsClientId=client)):
        pb.setCollisionFilterGroupMask(rods, link, GROUP_RODS, GROUP_BALL, physicsClientId=client)
    pb.setCollisionFilterGroupMask(ball, -1, GROUP_BALL, GROUP_TABLE | GROUP_RODS,
                                   physicsClientId=client)
    return World(client, floor, tuple(ramps), walls, goals, rods, rod_links, ball)
