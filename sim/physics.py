"""The table's physics: a pybullet world behind named accessors.

``TablePhysics`` owns one pybullet client (DIRECT mode unless one is given), builds the world
from the table alone (``sim.world``) and steps it at a fixed rate (1 kHz by default). Game
logic never touches pybullet: it reads the ball and the rods here and sets rod targets.

Rod drive: each rod has a target (``RodTarget``): a shift and either an angle or a spin rate,
with optional lower caps on speed and torque. Every step a servo turns the targets into
joint velocity commands, time-optimal within the drive's limits (``TableSpec.rod_drive``):
full speed, then braking at the acceleration the force (torque) limit allows, so a rod stops
on its target without overshoot; then it applies the force (torque) that reaches the
commanded velocity in about two steps, clipped to the drive's limit. (Forces rather than
pybullet's velocity motors: the motors' constraints cost twice the step time.) The shift is
kept within the rod's travel by the servo (targets are clipped, and a rod beyond its travel
is driven back at full force), as the rubber bumpers of a real rod do.

Pressed-in balls: a man that presses the ball into the playfield makes Bullet's penetration
recovery push the ball out of both, which throws it up (measured: up to 3.6 m/s, 0.44 m
high, when a man is turned down onto a ball). Other launches: a rolling ball that runs into a
man or a wall climbs it through friction with its own topspin (a ball rolling at 4 m/s into
a side wall jumped 40-70 mm), a ball running into a corner ramp is thrown up by it, and the
flat-faced box feet lift a ball struck past the bottom of the swing, where a real man's
rounded toe drives it along the table. Real balls almost never leave the table
(``table.md``), so after each step in which the ball touches anything but the playfield
(a man, a wall, a ramp), or did less than ``LAUNCH_MEMORY`` ago (a ball pushed down into the
playfield bounces off it a step or two later), its upward speed is clipped to
``LAUNCH_MARGIN`` (``_limit_launch``: a hop of at most v^2 / 2g = 1.1 mm). Measured over 30
random presses: highest hop 4.8 mm (0.44 m without the clip); ``tests/sim/test_physics.py``
checks presses and wall hits.

Rod state layout (``rod_shifts()``, ``rod_angles()``, ...):

| index | meaning | unit | joint |
|---|---|---|---|
| i = 0..7 | rod i's shift along +y | m | ``world.rod_links.slide[i]`` (prismatic) |
| i = 0..7 | rod i's angle about +y, unwrapped | rad | ``world.rod_links.turn[i]`` (revolute) |
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pybullet as pb

from sim.state import TableState
from sim.table import TableSpec
from sim.world import World, build_world, rod_inertia

SOLVER_ITERATIONS = 20
SERVO_TIME_CONSTANT = 0.004  # s, the servo's final approach (error / tau caps the speed)
SERVO_GAIN = 0.5  # fraction of the velocity error the servo's force removes per step
BRAKE_FRACTION = 0.8  # of the drive's acceleration used to plan braking
LAUNCH_MARGIN = 0.15  # m/s, the most upward speed a ball touching a man keeps
LAUNCH_MEMORY = 0.005  # s after its last touch of a man during which the clip still applies


@dataclass(frozen=True)
class RodTarget:
    """What a rod's driver wants now.

    Attributes:
        shift: m, target shift (clipped to the rod's travel).
        angle: rad, target angle (unwrapped); None to drive at ``spin`` instead.
        spin: rad/s, spin rate when ``angle`` is None.
        max_speed: m/s, cap on the shift speed (None: the drive's limit).
        max_spin: rad/s, cap on the spin rate (None: the drive's limit).
        torque: N m, cap on the torque (None: the drive's limit), e.g. to pin the ball gently.
    """

    shift: float
    angle: float | None = 0.0
    spin: float = 0.0
    max_speed: float | None = None
    max_spin: float | None = None
    torque: float | None = None


@dataclass(frozen=True)
class Contact:
    """One contact of the ball.

    Attributes:
        kind: ``floor``, ``ramp``, ``wall``, ``goal`` or ``man``.
        rod: rod index for ``man`` contacts, else None.
        man: man index on that rod (nearest man to the contact), else None.
        point: (3,) float64, m, contact point on the other body, table frame.
        normal: (3,) float64, unit, from the other body towards the ball.
        depth: m, penetration (positive when overlapping).
        force: N, normal force of the last step.
    """

    kind: str
    rod: int | None
    man: int | None
    point: np.ndarray
    normal: np.ndarray
    depth: float
    force: float


def nearest_turn(current: float, angle: float) -> float:
    """The angle equivalent to ``angle`` (mod 2 pi) nearest to ``current``, rad."""
    return angle + 2.0 * math.pi * math.floor((float(current) - angle) / (2.0 * math.pi) + 0.5)


class TablePhysics:
    """A table in pybullet, stepped at a fixed rate.

    Args:
        table: the table; every solid is built from it.
        rate_hz: physics steps per second (1000 by default: no tunnelling at 20 m/s).
        client: an existing pybullet client id; None connects a new DIRECT client, owned
            (and disconnected by ``close``) by this object.
        visual: build visual shapes too (for pybullet's own camera images).
        team_rgba: RGBA of side 0's and side 1's men, for those images.
    """

    def __init__(self, table: TableSpec, rate_hz: float = 1000.0, client: int | None = None,
                 visual: bool = True, team_rgba=None):
        if rate_hz < 240:
            raise ValueError(f"physics rate {rate_hz} Hz is too low: use at least 240 Hz")
        self.table = table
        self.rate_hz = float(rate_hz)
        self.dt = 1.0 / self.rate_hz
        self._owns_client = client is None
        self.client = pb.connect(pb.DIRECT) if client is None else client
        c = self.client
        pb.resetSimulation(physicsClientId=c)
        pb.setPhysicsEngineParameter(fixedTimeStep=self.dt, numSolverIterations=SOLVER_ITERATIONS,
                                     numSubSteps=0, deterministicOverlappingPairs=1,
                                     physicsClientId=c)
        pb.setGravity(0.0, 0.0, -9.81, physicsClientId=c)
        self.world: World = build_world(table, c, team_rgba=team_rgba, visual=visual)
        self.steps = 0
        self._joints = list(self.world.rod_links.movable)
        self._link_man = self.world.rod_links.men
        self._mass = np.array([rod_inertia(table, i)[0] for i in range(8)])
        self._inertia = np.array([rod_inertia(table, i)[1] for i in range(8)])
        self._travel = np.array([r.travel for r in table.rods])
        inertia = np.empty(16)
        inertia[0::2], inertia[1::2] = self._mass, self._inertia
        self._gain = SERVO_GAIN * inertia * self.rate_hz  # force per m/s (N m per rad/s)
        self._targets: list[RodTarget] = [RodTarget(0.0) for _ in range(8)]
        self._plan_targets()
        self._kinds = {self.world.floor: "floor", self.world.walls: "wall",
                       self.world.goals: "goal", self.world.rods: "man"}
        self._kinds.update({r: "ramp" for r in self.world.ramps})
        self._man_touch = -10**9  # step of the ball's last touch of a man, wall or ramp
        self._raw_contacts = ()
        self.launch_clips = 0  # steps in which _limit_launch removed upward speed
        self._read()

    # ------------------------------------------------------------------------------- time
    @property
    def t(self) -> float:
        """s, simulated time since the world was built."""
        return self.steps * self.dt

    def step(self, n: int = 1) -> None:
        """Advance ``n`` physics steps, servoing the rods towards their targets."""
        for _ in range(n):
            self._servo()
            pb.stepSimulation(physicsClientId=self.client)
            self.steps += 1
            self._read()
            self._limit_launch()

    # ------------------------------------------------------------------------------- ball
    def ball_position(self) -> np.ndarray:
        """(3,) float64, m: ball centre, table frame."""
        return self._ball_pos.copy()

    def ball_velocity(self) -> np.ndarray:
        """(3,) float64, m/s."""
        return self._ball_vel.copy()

    def ball_spin(self) -> np.ndarray:
        """(3,) float64, rad/s: the ball's angular velocity."""
        return self._ball_spin.copy()

    def set_ball(self, position, velocity=(0.0, 0.0, 0.0), spin=(0.0, 0.0, 0.0)) -> None:
        """Put the ball at ``position`` (3,) m with ``velocity`` (3,) m/s and ``spin`` rad/s."""
        c, b = self.client, self.world.ball
        pb.resetBasePositionAndOrientation(b, [float(v) for v in position], (0, 0, 0, 1),
                                           physicsClientId=c)
        pb.resetBaseVelocity(b, [float(v) for v in velocity], [float(v) for v in spin],
                             physicsClientId=c)
        self._man_touch = -10**9
        self._read()

    # ------------------------------------------------------------------------------- rods
    def rod_shift(self, i: int) -> float:
        """m, rod ``i``'s shift along +y."""
        return float(self._q[2 * i])

    def rod_angle(self, i: int) -> float:
        """rad, rod ``i``'s angle about +y, unwrapped."""
        return float(self._q[2 * i + 1])

    def rod_shifts(self) -> np.ndarray:
        """(8,) float64, m."""
        return self._q[0::2].copy()

    def rod_angles(self) -> np.ndarray:
        """(8,) float64, rad, unwrapped."""
        return self._q[1::2].copy()

    def rod_speeds(self) -> np.ndarray:
        """(8,) float64, m/s: shift rates."""
        return self._qd[0::2].copy()

    def rod_spins(self) -> np.ndarray:
        """(8,) float64, rad/s: angle rates."""
        return self._qd[1::2].copy()

    def set_rod_targets(self, targets: Sequence[RodTarget | None]) -> None:
        """New targets for the 8 rods (None keeps a rod's current target)."""
        for i, target in enumerate(targets):
            if target is not None:
                self._targets[i] = target
        self._plan_targets()

    def rod_target(self, i: int) -> RodTarget:
        return self._targets[i]

    def reset_rods(self, shifts: Sequence[float], angles: Sequence[float]) -> None:
        """Teleport the rods to ``shifts`` (8,) m and ``angles`` (8,) rad, at rest; targets
        follow."""
        links = self.world.rod_links
        for i in range(8):
            pb.resetJointState(self.world.rods, links.slide[i], float(shifts[i]), 0.0,
                               physicsClientId=self.client)
            pb.resetJointState(self.world.rods, links.turn[i], float(angles[i]), 0.0,
                               physicsClientId=self.client)
            self._targets[i] = RodTarget(float(shifts[i]), float(angles[i]))
        self._plan_targets()
        self._read()

    def man_index(self, rod: int, y: float) -> int:
        """Index of the man of rod ``rod`` nearest to table y ``y`` (m), at the current shift."""
        ys = self.table.rods[rod].man_offsets + self._q[2 * rod]
        return int(np.argmin(np.abs(ys - y)))

    # ---------------------------------------------------------------------------- queries
    def state(self, in_play: bool = True) -> TableState:
        """A snapshot of everything that moves, now."""
        return TableState(t=self.t, ball=self._ball_pos.copy(), ball_vel=self._ball_vel.copy(),
                          shifts=self._q[0::2].copy(), angles=self._q[1::2].copy(),
                          in_play=in_play)

    def ball_contacts(self, floor: bool = True) -> list[Contact]:
        """The ball's contacts after the last step (``floor=False``: without the playfield)."""
        out = []
        for cp in self._raw_contacts:
            if not floor and cp[2] == self.world.floor:
                continue
            body, link = cp[2], cp[4]
            kind = self._kinds.get(body, "other")
            rod = man = None
            point = np.array(cp[6])
            if kind == "man":
                rod, man = self._link_man.get(link, (None, None))
                if rod is None:  # the rod itself
                    rod = self.world.rod_links.turn.index(link)
                    man = self.man_index(rod, point[1])
            out.append(Contact(kind, rod, man, point, np.array(cp[7]), -cp[8], cp[9]))
        return out

    def close(self) -> None:
        """Disconnect the pybullet client if this object made it."""
        if self._owns_client and self.client is not None:
            pb.disconnect(physicsClientId=self.client)
            self.client = None

    # --------------------------------------------------------------------------- internals
    def _read(self) -> None:
        c = self.client
        pos, _ = pb.getBasePositionAndOrientation(self.world.ball, physicsClientId=c)
        lin, ang = pb.getBaseVelocity(self.world.ball, physicsClientId=c)
        self._ball_pos = np.array(pos)
        self._ball_vel = np.array(lin)
        self._ball_spin = np.array(ang)
        js = pb.getJointStates(self.world.rods, self._joints, physicsClientId=c)
        self._q = np.array([j[0] for j in js])
        self._qd = np.array([j[1] for j in js])
        self._raw_contacts = pb.getContactPoints(bodyA=self.world.ball, physicsClientId=c)

    def _plan_targets(self) -> None:
        """Turn the targets into (16,) arrays, in joint order, that the servo uses each step:
        target position, speed cap, braking acceleration, force cap; spinning joints get a
        fixed velocity command instead."""
        drive, tg = self.table.rod_drive, self._targets
        vmax = [min(drive.max_speed, t.max_speed or drive.max_speed) for t in tg]
        wmax = [min(drive.max_spin, t.max_spin or drive.max_spin) for t in tg]
        torque = [min(drive.max_torque, t.torque or drive.max_torque) for t in tg]
        target, cap, acc, force, spin_idx, spin_val = [], [], [], [], [], []
        for i, t in enumerate(tg):
            target += [max(-self._travel[i], min(self._travel[i], t.shift)),
                       0.0 if t.angle is None else t.angle]
            cap += [vmax[i], wmax[i]]
            acc += [BRAKE_FRACTION * drive.max_force / self._mass[i],
                    BRAKE_FRACTION * torque[i] / self._inertia[i]]
            force += [drive.max_force, torque[i]]
            if t.angle is None:
                spin_idx.append(2 * i + 1)
                spin_val.append(max(-wmax[i], min(wmax[i], t.spin)))
        self._target = np.array(target)
        self._cap = np.array(cap)
        self._two_acc = 2.0 * np.array(acc)
        self._force = np.array(force)
        self._neg_force = -self._force
        self._spin_idx = np.array(spin_idx, dtype=int)
        self._spin_val = np.array(spin_val)

    def _servo(self) -> None:
        """Velocity commands that reach the targets in minimum time (full speed, then braking
        at the drive's deceleration, v = sqrt(2 a |e|), then v = e / tau), and the force that
        reaches them in about two steps, within the drive's limits."""
        q = self._q
        error = self._target - q
        mag = np.abs(error)
        cmd = np.sqrt(self._two_acc * mag)
        np.minimum(cmd, self._cap, out=cmd)
        mag *= 1.0 / SERVO_TIME_CONSTANT
        np.minimum(cmd, mag, out=cmd)
        np.copysign(cmd, error, out=cmd)
        if len(self._spin_idx):
            cmd[self._spin_idx] = self._spin_val
        cmd -= self._qd
        cmd *= self._gain
        np.minimum(cmd, self._force, out=cmd)
        np.maximum(cmd, self._neg_force, out=cmd)
        shift = q[0::2]
        if (np.abs(shift) > self._travel).any():  # the bumpers push an overshooting rod back
            beyond = np.abs(shift) > self._travel
            cmd[0::2][beyond] = -np.sign(shift[beyond]) * self.table.rod_drive.max_force
        pb.setJointMotorControlArray(self.world.rods, self._joints, pb.TORQUE_CONTROL,
                                     forces=cmd.tolist(), physicsClientId=self.client)

    def _limit_launch(self) -> None:
        """Clip the upward speed of a ball touching anything but the playfield (see the
        module docstring)."""
        floor = self.world.floor
        if any(cp[2] != floor for cp in self._raw_contacts):
            self._man_touch = self.steps
        recent = self.steps - self._man_touch <= LAUNCH_MEMORY * self.rate_hz
        if recent and self._ball_vel[2] > LAUNCH_MARGIN:
            self._ball_vel[2] = LAUNCH_MARGIN
            pb.resetBaseVelocity(self.world.ball, self._ball_vel.tolist(),
                                 self._ball_spin.tolist(), physicsClientId=self.client)
            self.launch_clips += 1
