"""Table definitions: every dimension of a foosball table, loaded from ``assets/tables/*.json``.

The table frame (used everywhere in the project, documented once here):

- origin at the centre of the playfield, on its surface; metres, seconds, radians;
- x along the table's length, y across it (along the rods), z up; right-handed;
- the goal mouths are at x = -L/2 and x = +L/2;
- rods are numbered 0..7 in increasing x; a rod's *shift* is its displacement along +y from
  the centred position, its *angle* its rotation about +y (right-hand rule), 0 with the men
  hanging straight down, unwrapped;
- side 0 defends the goal at x = -L/2 (and attacks towards +x), side 1 the goal at +L/2.

A rotation by a positive angle about +y carries a foot (below the rod, -z) towards -x: a man
of side 0 (shooting towards +x) strikes with a negative angular velocity, a man of side 1
with a positive one. ``sim.men`` holds the transform from a man's own frame to the table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"
TABLES_DIR = ASSETS_DIR / "tables"


class TableError(ValueError):
    """A table definition that cannot be found or is inconsistent."""


@dataclass(frozen=True)
class BallSpec:
    """The ball: size, mass and contact properties (SI units)."""

    diameter: float  # m
    mass: float  # kg
    friction: float  # Coulomb coefficient, dimensionless
    rolling_friction: float  # m (pybullet's rolling friction is a length)
    spinning_friction: float  # m
    restitution: float  # dimensionless

    @property
    def radius(self) -> float:
        """Ball radius, m."""
        return 0.5 * self.diameter


@dataclass(frozen=True)
class ManSpec:
    """The shape of one man, in the rod's frame at angle 0 (men hanging down).

    Heights are along z measured from the rod axis (negative = below it); widths along the
    rod (y), lengths and thicknesses along the table (x). The foot's sole sits
    ``toe_clearance`` above the playfield.
    """

    toe_clearance: float  # m, sole above the playfield
    foot_width: float  # m, along y
    foot_length: float  # m, along x
    foot_height: float  # m, along z
    leg_width: float  # m, along y, each of two legs
    leg_thickness: float  # m, along x
    hip_height: float  # m, the block joining the legs below the torso
    torso_width: float  # m, along y
    torso_thickness: float  # m, along x
    torso_bottom: float  # m, z of the torso's lower face (below the axis: negative)
    torso_top: float  # m, z of the shoulders
    head_radius: float  # m
    head_centre: float  # m, z of the head's centre above the axis
    mass: float = 0.045  # kg, one man (spread uniformly over its parts for the inertia)


@dataclass(frozen=True)
class RodSpec:
    """One rod: where it is, whose it is and how its men are spaced (SI units)."""

    index: int  # 0..7 in increasing x
    x: float  # m, rod axis position along the table
    side: int  # 0 defends the goal at -L/2, 1 the goal at +L/2
    role: str  # goalie, defence, midfield or attack
    men: int  # number of men on the rod
    spacing: float  # m, between neighbouring men
    travel: float  # m, the shift can go from -travel to +travel

    @property
    def man_offsets(self) -> np.ndarray:
        """(men,) float64, m: y of each man at zero shift, in increasing y."""
        return (np.arange(self.men) - 0.5 * (self.men - 1)) * self.spacing

    @property
    def attack_direction(self) -> int:
        """+1 if this rod's team shoots towards +x, -1 towards -x."""
        return 1 if self.side == 0 else -1


@dataclass(frozen=True)
class GoalSpec:
    """The goal mouth in each end wall, centred on y = 0 (SI units)."""

    width: float  # m, along y
    height: float  # m, from the playfield up
    depth: float  # m, the box behind the goal line that catches the ball


@dataclass(frozen=True)
class SurfaceSpec:
    """Contact properties of the table's surfaces (dimensionless)."""

    playfield_friction: float
    wall_restitution: float
    man_restitution: float
    man_friction: float


@dataclass(frozen=True)
class RodDriveSpec:
    """Limits of a human (or motor) driving a rod, and what moves with it.

    The ``grip_*`` figures are the rod, its handle and the hand holding it, without the men:
    a gripped rod is much heavier to spin than its men alone, which is what lets a wrist
    shot drive a 24 g ball at 10-15 m/s.
    """

    max_speed: float  # m/s along the rod
    max_force: float  # N along the rod
    max_spin: float  # rad/s about the rod
    max_torque: float  # N m about the rod
    grip_mass: float = 1.2  # kg, moving along the rod (rod, handle, hand), men excluded
    grip_inertia: float = 8e-4  # kg m^2 about the rod axis (rod, handle, hand), men excluded


@dataclass(frozen=True)
class TableSpec:
    """A whole table. Every dimension of the project comes from here."""

    name: str
    description: str
    length: float  # m, playfield along x, goal line to goal line
    width: float  # m, playfield along y, side wall to side wall
    corner_ramp: float  # m, size of the 45-degree fillets in the corners (0: none)
    wall_height: float  # m, above the playfield
    wall_thickness: float  # m
    rod_height: float  # m, rod axis above the playfield
    rod_diameter: float  # m
    handle_length: float  # m, rod length outside each side wall
    goal: GoalSpec
    ball: BallSpec
    man: ManSpec
    rods: tuple[RodSpec, ...]
    surfaces: SurfaceSpec
    rod_drive: RodDriveSpec

    def __post_init__(self) -> None:
        xs = [r.x for r in self.rods]
        if len(self.rods) != 8:
            raise TableError(f"table {self.name!r}: expected 8 rods, got {len(self.rods)}")
        if xs != sorted(xs):
            raise TableError(f"table {self.name!r}: rods must be listed in increasing x")
        if any(abs(x) >= 0.5 * self.length for x in xs):
            raise TableError(f"table {self.name!r}: a rod lies outside the playfield")
        for rod in self.rods:
            reach = rod.man_offsets[-1] + rod.travel + 0.5 * self.man.foot_width
            if reach > 0.5 * self.width + 1e-9:
                raise TableError(
                    f"table {self.name!r}: rod {rod.index}'s outer man reaches y={reach:.4f} m, "
                    f"beyond the side wall at {0.5 * self.width:.4f} m"
                )
        if self.toe_height <= 0:
            raise TableError(f"table {self.name!r}: the men's feet reach below the playfield")
        if self.goal.height <= self.ball.diameter or self.goal.width <= self.ball.diameter:
            raise TableError(f"table {self.name!r}: the goal mouth is smaller than the ball")

    @property
    def half_length(self) -> float:
        """m, x of the goal line at the +x end."""
        return 0.5 * self.length

    @property
    def half_width(self) -> float:
        """m, y of the side wall at +y."""
        return 0.5 * self.width

    @property
    def toe_height(self) -> float:
        """m, height of a hanging man's sole above the playfield."""
        return self.man.toe_clearance

    @property
    def man_reach(self) -> float:
        """m, distance from the rod axis to the sole of a man's foot."""
        return self.rod_height - self.man.toe_clearance

    @property
    def rod_x(self) -> np.ndarray:
        """(8,) float64, m: x of each rod axis."""
        return np.array([r.x for r in self.rods])

    @property
    def rod_length(self) -> float:
        """m, full rod length: the playfield width, both walls and both handles."""
        return self.width + 2 * self.wall_thickness + 2 * self.handle_length

    def goal_x(self, side: int) -> float:
        """m, x of the goal line defended by ``side`` (0: -L/2, 1: +L/2)."""
        return -self.half_length if side == 0 else self.half_length

    def rods_of_side(self, side: int) -> tuple[RodSpec, ...]:
        """The rods of one side, in increasing x."""
        return tuple(r for r in self.rods if r.side == side)

    def man_positions(self, shifts: np.ndarray) -> list[np.ndarray]:
        """Men's y positions for given rod shifts.

        Args:
            shifts: (8,) float, m, rod shifts.

        Returns:
            one (men,) float64 array per rod, m: y of each man's centre line.
        """
        return [r.man_offsets + s for r, s in zip(self.rods, shifts, strict=True)]

    def playfield_corners(self) -> np.ndarray:
        """(4, 3) float64, m: playfield corners in the table frame, counter-clockwise from
        (-L/2, -W/2)."""
        hl, hw = self.half_length, self.half_width
        return np.array([[-hl, -hw, 0.0], [hl, -hw, 0.0], [hl, hw, 0.0], [-hl, hw, 0.0]])

    def to_dict(self) -> dict:
        """A JSON-ready description (for a record's ``meta.json``)."""
        return _table_to_json(self)


def _table_to_json(table: TableSpec) -> dict:
    def plain(obj):
        return {f.name: getattr(obj, f.name) for f in fields(obj)}

    return {
        "name": table.name,
        "description": table.description,
        "playfield": {
            "length": table.length,
            "width": table.width,
            "corner_ramp": table.corner_ramp,
        },
        "walls": {"height": table.wall_height, "thickness": table.wall_thickness},
        "goal": plain(table.goal),
        "rod": {
            "height": table.rod_height,
            "diameter": table.rod_diameter,
            "handle_length": table.handle_length,
        },
        "rods": [
            {k: v for k, v in plain(r).items() if k != "index"} for r in table.rods
        ],
        "man": plain(table.man),
        "ball": plain(table.ball),
        "surfaces": plain(table.surfaces),
        "rod_drive": plain(table.rod_drive),
    }


def table_from_dict(data: dict) -> TableSpec:
    """Build a table from its JSON description (the inverse of ``TableSpec.to_dict``)."""
    try:
        return TableSpec(
            name=data["name"],
            description=data.get("description", ""),
            length=float(data["playfield"]["length"]),
            width=float(data["playfield"]["width"]),
            corner_ramp=float(data["playfield"].get("corner_ramp", 0.0)),
            wall_height=float(data["walls"]["height"]),
            wall_thickness=float(data["walls"]["thickness"]),
            rod_height=float(data["rod"]["height"]),
            rod_diameter=float(data["rod"]["diameter"]),
            handle_length=float(data["rod"].get("handle_length", 0.14)),
            goal=GoalSpec(**data["goal"]),
            ball=BallSpec(**data["ball"]),
            man=ManSpec(**data["man"]),
            rods=tuple(RodSpec(index=i, **r) for i, r in enumerate(data["rods"])),
            surfaces=SurfaceSpec(**data["surfaces"]),
            rod_drive=RodDriveSpec(**data["rod_drive"]),
        )
    except (KeyError, TypeError) as exc:
        raise TableError(f"table definition is incomplete or malformed: {exc}") from exc


def available_tables() -> list[str]:
    """Names of the tables in ``assets/tables``."""
    return sorted(p.stem for p in TABLES_DIR.glob("*.json"))


def load_table(name_or_path: str | Path = "german") -> TableSpec:
    """Load a table by name (``assets/tables/NAME.json``) or from a JSON file path."""
    path = Path(name_or_path)
    if path.suffix != ".json":
        path = TABLES_DIR / f"{name_or_path}.json"
    if not path.is_file():
        raise TableError(
            f"unknown table {str(name_or_path)!r}: choose one of {', '.join(available_tables())} "
            "or give the path of a table JSON file"
        )
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise TableError(f"table file {path} is not valid JSON: {exc}") from exc
    return table_from_dict(data)
