"""Physics replay: a game record lifted into the simulator's pybullet table.

``physics_replay`` replays a record (truth or reconstruction) in a fresh pybullet world built
from the record's own table (``sim.world``) and returns a new record of the same frames:

- **Rods** are kinematic: every physics step each joint is reset to the record's shift and
  angle, with the velocity that carries it to the next step's value (a cubic Hermite curve
  through the frames, tangents by central differences; unknown values hold the last known).
  A rod's mass dwarfs the ball's, so the ball cannot push it, and a moving man hits the ball
  with the rod's recorded speed.
- **Seen ball** (``ball_state`` ``visible`` with a position): guided. Before each step the
  ball's velocity is set to the one that lands it on the track (linear between frames) at
  the end of the step; the contact solver then acts on that velocity, so a track that cuts
  through a man or a wall is stopped at its surface instead of passing through it.
  The guided ball is driven by velocity, so it can sink into a solid before the solver
  stops it; after each guided step it is pushed back out along the contact normals
  (``_push_out``; the steered pass below too; a ball wedged between two solids more than
  ``ESCAPE_DEPTH`` deep goes to the nearest free spot it can reach without sinking deeper
  into a man). The spin is set to rolling (no slip on the playfield). Before each guided
  step the move is tested against the men (``_blocked``, sampled every ``CROSS_STEP``, the
  rods at the step's start and end): a move that would pass through a man, end past his
  middle, or that a man moves onto, is not guided but steered (below) towards the same
  target: the man stops the ball, carries it, or lets it by as he moves. The guided speed
  is capped at ``max_guide_speed`` (12 m/s, 11 mm a step: short against a man, so the solver
  stops the ball at his surface), and a ball that lags its track (held by a man, or left
  elsewhere by a hidden span) closes the lag (x, y) at ``CATCH_SPEED``, not in one frame:
  the frames are drawn straight, and a long jump drawn straight cuts through men the
  physics went around. A seen frame whose replayed ball ends more than ``ARRIVAL_SLACK``
  from the record is marked ``catch``.
- **Hidden span** (frames in play without a seen position, between the last seen frame
  ``a`` and the next seen frame ``b``): filled by the physics in two passes.

  1. *Shooting*: from the ball's state at ``a`` the world is run freely (rods as recorded,
     gravity, friction, walls) to ``b`` for a trial initial velocity ``v0`` (horizontal,
     rolling). The arrival error ``r(v0) = p(t_b) - p_b`` (x, y) is driven towards 0 by
     Gauss-Newton with a finite-difference Jacobian and step halving, once from the
     velocity seen just before the span and once from the chord velocity
     ``(p_b - p_a) / (t_b - t_a)``. Of the two results, a converged one wins over one
     that is not (then the smaller miss wins), and of two converged ones the one nearer
     the velocity seen before the span (several initial velocities can reach the same
     point, e.g. straight or off a wall; the ball most likely went on as it came).
  2. *Corrected steered pass*: the best free path ``P(t)`` (per physics step) still misses
     ``p_b`` by ``e`` (well under a millimetre when the shooting converged, more when the
     span hides something the record cannot tell, e.g. a kick by a man the replay's ball
     never met). The span is run again from the same state, the ball free (contacts,
     friction, men striking it) but steered towards ``P(t) - w(t) e``, ``w`` rising smoothly
     from 0 at ``a`` to 1 at ``b`` (``3s^2 - 2s^3``): each step its velocity is nudged
     towards the target's velocity plus the position error over ``STEER_TIME``, the nudge
     capped at ``max_steer`` * dt. A bounded nudge does not overpower a contact, so the
     fill stays out of men and walls even where the correction would push it in. A pass
     that still misses the reappearance by more than ``ARRIVAL_SLACK`` (the steered ball
     met a man the free run did not, and went elsewhere) is run again with the cap 4 times
     higher; if it still misses (a man stands between the fill and the sighting), the
     guided ball of the next seen frames catches up at ``CATCH_SPEED``, around him or once
     he lets it by, never through him (above).

  A span at the start of a run of play (no seen frame before it) holds the first seen
  position (guided, so a man sweeping through it pushes it aside); a span at the end (no
  seen frame after it, e.g. a goal) runs freely from the last seen state.
- **Out of play** frames (and runs with no seen frame) are copied unchanged.

Upward speed: as in ``sim.physics`` (``_limit_launch``), after a free step in which the ball
touches anything but the playfield its upward speed is clipped to ``LAUNCH_MARGIN``, so the
fill behaves like the simulator that made the truth.

The physics runs ``substeps`` steps per frame (the least integer giving at least
``rate_hz``), on a uniform grid ``frame / fps``. Deterministic: the same record and settings
give the same output, byte for byte.

The output record keeps every column of the input except the truth-only ball velocity
(``ball_vx/vy/vz``, which the new ball no longer matches); ``ball_x/y/z`` are the replay's,
``ball_state`` is kept, and a column ``ball_fill`` says how each frame's ball was made:
``seen``, ``catch`` (seen, but the replay's ball could not get within ``ARRIVAL_SLACK``
of the record's), ``shot`` (shooting converged within ``tolerance``), ``blend`` (corrected),
``free`` (trailing span), ``hold`` (leading span) or empty (copied). ``meta.json`` gets
``source: physics-replay`` and ``physics_replay`` (settings and one entry per hidden span).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace

import numpy as np
import pybullet as pb

from sim.physics import LAUNCH_MARGIN, LAUNCH_MEMORY, SOLVER_ITERATIONS
from sim.playback import hold_last
from sim.record import N_RODS, Record, RecordError
from sim.table import TableSpec, table_from_dict
from sim.world import build_world

DROPPED_COLUMNS = ("ball_vx", "ball_vy", "ball_vz")  # truth of the old ball, not the new one
FILL_COLUMN = "ball_fill"
PUSH_SLOP = 0.0005  # m, overlap of a guided ball with a solid left alone (contact slop)
PUSH_ROUNDS = 3
ESCAPE_DEPTH = 0.002  # m, overlap of a wedged ball above which it is moved to a free spot
ESCAPE_STEPS = (0.003, 0.006, 0.01, 0.015, 0.02, 0.03, 0.04)  # m, see ``_Stage._escape``
STEER_TIME = 0.01  # s, time constant of the steering towards a corrected hidden path
STEER_ESCALATION = (1.0, 4.0)  # steering caps tried, times ``max_steer``
ARRIVAL_SLACK = 0.005  # m, arrival error of a steered pass that needs no stronger steering
CROSS_STEP = 0.002  # m, spacing of the samples of a guided move tested for crossing a man
CROSS_DEPTH = 0.002  # m, overlap with a man along a guided move that counts (see ``_blocked``)
CATCH_SPEED = 2.0  # m/s, how fast a guided ball closes its lag behind the seen track
CATCH_STEER = 4.0  # steering cap of a blocked guided move, times ``max_steer``


@dataclass(frozen=True)
class PhysReplaySettings:
    """How the replay runs.

    Attributes:
        rate_hz: least physics rate, Hz (steps per frame = ceil(rate_hz / fps)).
        tolerance: m, arrival error (x, y) at which the shooting stops.
        max_iterations: Gauss-Newton iterations of the shooting per span.
        fd_step: m/s, finite-difference step of the shooting's Jacobian.
        max_speed: m/s, the fastest initial velocity the shooting tries.
        max_guide_speed: m/s, cap on the guiding velocity (a far target is reached over
            several steps rather than in one huge one; above the simulated game's fastest
            ball, about 10 m/s, and short enough a step for the solver to stop the ball at
            a man).
        max_steer: m/s^2, cap on the steering of a hidden span's corrected pass.
    """

    rate_hz: float = 1000.0
    tolerance: float = 0.002
    max_iterations: int = 8
    fd_step: float = 0.02
    max_speed: float = 15.0
    max_guide_speed: float = 12.0
    max_steer: float = 200.0


@dataclass(frozen=True)
class SpanFill:
    """How one hidden span was filled.

    Attributes:
        first, last: the span's first and last hidden frame.
        method: ``shot``, ``blend``, ``free`` or ``hold`` (see the module docstring).
        arrival_error: m, how far the best free run missed the reappearance (x, y);
            NaN for ``free`` and ``hold``.
        speed: m/s, the initial speed used (NaN for ``hold``).
        runs: free runs the shooting made.
        steer: m/s^2, the steering cap of the corrected pass (0 for ``free`` and ``hold``).
    """

    first: int
    last: int
    method: str
    arrival_error: float
    speed: float
    runs: int
    steer: float = 0.0


@dataclass(frozen=True)
class PhysReplayResult:
    """The replayed record, how its spans were filled, and the work it took."""

    record: Record
    spans: tuple[SpanFill, ...]
    steps: int  # physics steps run (all passes)
    cpu_seconds: float


def _hermite(values: np.ndarray, sub: int) -> np.ndarray:
    """(N, K) samples at frames -> ((N - 1) * sub + 1, K) on the step grid: a cubic Hermite
    curve through the samples, tangents by central differences (one-sided at the ends)."""
    n = len(values)
    if n == 1:
        return values.copy()
    tan = np.empty_like(values)
    tan[1:-1] = 0.5 * (values[2:] - values[:-2])
    tan[0], tan[-1] = values[1] - values[0], values[-1] - values[-2]
    s = np.arange(sub) / sub
    h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
    h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
    p0, p1, m0, m1 = values[:-1, None], values[1:, None], tan[:-1, None], tan[1:, None]
    inner = (h00[None, :, None] * p0 + h10[None, :, None] * m0 + h01[None, :, None] * p1
             + h11[None, :, None] * m1)
    return np.concatenate([inner.reshape(-1, values.shape[1]), values[-1:]], axis=0)


def _rolling_spin(vel: np.ndarray, radius: float) -> list[float]:
    """rad/s: the spin of a ball rolling without slip at ``vel`` (3,) m/s on the playfield."""
    return [-float(vel[1]) / radius, float(vel[0]) / radius, 0.0]


class _Stage:
    """The pybullet world of one replay and its per-step motions."""

    def __init__(self, table: TableSpec, shifts: np.ndarray, angles: np.ndarray, fps: float,
                 settings: PhysReplaySettings):
        self.table, self.settings = table, settings
        self.sub = max(1, math.ceil(settings.rate_hz / fps - 1e-9))
        self.dt = 1.0 / (fps * self.sub)
        self.radius = table.ball.radius
        self.client = pb.connect(pb.DIRECT)
        c = self.client
        pb.setPhysicsEngineParameter(fixedTimeStep=self.dt, numSolverIterations=SOLVER_ITERATIONS,
                                     numSubSteps=0, deterministicOverlappingPairs=1,
                                     physicsClientId=c)
        pb.setGravity(0.0, 0.0, -9.81, physicsClientId=c)
        self.world = build_world(table, c, visual=False)
        self.ball = self.world.ball
        self.joints = list(self.world.rod_links.movable)  # slide 0, turn 0, slide 1, ...
        q = np.empty((len(shifts), 2 * N_RODS))
        q[:, 0::2], q[:, 1::2] = shifts, angles
        self.q = _hermite(q, self.sub)  # (steps + 1, 16) joint values on the step grid
        qd = np.zeros_like(self.q)
        qd[:-1] = np.diff(self.q, axis=0) / self.dt
        self.qd = qd
        self._solids = (self.world.rods, self.world.walls, self.world.goals, self.world.floor,
                        *self.world.ramps)
        self.steps = 0
        self.pushes = 0  # guided steps after which the ball was pushed out of a solid
        self.blocked = 0  # guided steps steered instead, their move passing through a man
        self._touch = -10**9
        self._memory = LAUNCH_MEMORY / self.dt

    def close(self) -> None:
        pb.disconnect(physicsClientId=self.client)

    # ------------------------------------------------------------------------ ball state
    def ball_state(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c = self.client
        pos, _ = pb.getBasePositionAndOrientation(self.ball, physicsClientId=c)
        lin, ang = pb.getBaseVelocity(self.ball, physicsClientId=c)
        return np.array(pos), np.array(lin), np.array(ang)

    def place_clear(self, pos, k: int) -> np.ndarray:
        """Put the ball at rest at ``pos`` (3,) m with the rods at grid step ``k``, pushed
        out of any solid it overlaps there (``_push_out``); returns where it ends (3,).

        A run of play starts at a seen (or held) position that no step has yet checked: a
        record's ball can lie inside a man (a reconstruction's error, or a held sighting a
        man stands over at the run's start)."""
        self._rods(k)
        self.set_ball(pos, np.zeros(3))
        return self._push_out()

    def set_ball(self, pos, vel, spin=None) -> None:
        c = self.client
        spin = _rolling_spin(vel, self.radius) if spin is None else list(spin)
        pb.resetBasePositionAndOrientation(self.ball, [float(v) for v in pos], (0, 0, 0, 1),
                                           physicsClientId=c)
        pb.resetBaseVelocity(self.ball, [float(v) for v in vel], spin, physicsClientId=c)
        self._touch = -10**9

    # ------------------------------------------------------------------------- stepping
    def _rods(self, k: int) -> None:
        k = min(k, len(self.q) - 1)
        pb.resetJointStatesMultiDof(self.world.rods, self.joints,
                                    targetValues=[[v] for v in self.q[k]],
                                    targetVelocities=[[v] for v in self.qd[k]],
                                    physicsClientId=self.client)

    def step_free(self, k: int) -> np.ndarray:
        """One free step from grid step ``k``; returns the ball position (3,) after it."""
        c = self.client
        self._rods(k)
        pb.stepSimulation(physicsClientId=c)
        self.steps += 1
        if any(cp[2] != self.world.floor
               for cp in pb.getContactPoints(bodyA=self.ball, physicsClientId=c)):
            self._touch = k
        pos, vel, spin = self.ball_state()
        if k - self._touch <= self._memory and vel[2] > LAUNCH_MARGIN:
            vel[2] = LAUNCH_MARGIN
            pb.resetBaseVelocity(self.ball, vel.tolist(), spin.tolist(), physicsClientId=c)
        return pos

    def step_guided(self, k: int, target: np.ndarray, target_vel: np.ndarray) -> np.ndarray:
        """One step from grid step ``k`` with the ball guided to ``target`` (3,) m at its
        end; returns the ball position (3,) after it.

        A move that would pass through a man (``_blocked``) is not guided but steered
        towards ``target`` moving at ``target_vel`` (3,) m/s (``step_steered``, the cap
        ``CATCH_STEER`` times ``max_steer``): the man stops the ball, carries it, or lets it
        by as he moves; ``self.blocked`` counts those steps."""
        c = self.client
        pos, _, _ = self.ball_state()
        vel = (np.asarray(target) - pos) / self.dt
        speed = float(np.linalg.norm(vel))
        cap = self.settings.max_guide_speed
        if speed > cap:
            vel *= cap / speed
        if self._blocked(pos, pos + vel * self.dt, k):
            self.blocked += 1
            return self.step_steered(k, target, target_vel,
                                     CATCH_STEER * self.settings.max_steer)
        pb.resetBaseVelocity(self.ball, vel.tolist(), _rolling_spin(vel, self.radius),
                             physicsClientId=c)
        self._rods(k)
        pb.stepSimulation(physicsClientId=c)
        self.steps += 1
        return self._push_out()

    def _blocked(self, p0: np.ndarray, p1: np.ndarray, k: int) -> bool:
        """Whether the straight move of the ball from ``p0`` to ``p1`` (3,) m passes through
        a man, with the rods as at the start or the end of grid step ``k``. Sampled every
        ``CROSS_STEP``: the move goes into a man (``CROSS_DEPTH`` deeper than at ``p0``) and
        either out of him again, or ends inside him past his middle (the push out of him
        points along the move); or a man moves onto it (at ``p1`` with the rods at the
        step's end, ``CROSS_DEPTH`` deeper than at ``p0`` with the rods at its start).
        Leaves the ball at ``p0`` with the velocity it had.

        The contact solver stops a guided ball at a man's surface only when the move is
        short against his thickness; a long move (a ball catching up with its track, or
        squeezed under a foot) can land past his middle, and the push-out then sends it out
        of his far side. A move that only sinks into his near side is left to the solver
        and the push-out: they put the ball back on that side."""
        c, rods = self.client, self.world.rods
        move = p1 - p0
        n = math.ceil(float(np.linalg.norm(move)) / CROSS_STEP)
        if n < 2:
            return False
        near = self.settings.max_guide_speed * self.dt + float(np.linalg.norm(move))
        if not pb.getClosestPoints(self.ball, rods, near, physicsClientId=c):
            return False
        blocked = False
        lin, ang = pb.getBaseVelocity(self.ball, physicsClientId=c)
        starts = []
        for kk in (k, k + 1):
            self._rods(kk)
            depth, push = [], np.zeros(3)
            for s in np.arange(n + 1) / n:
                self._place(p0 + s * move)
                pts = pb.getClosestPoints(self.ball, rods, 0.0, physicsClientId=c)
                depth.append(max([-p[8] for p in pts], default=0.0))
            for p in pts:  # at p1: where the push-out would send the ball
                push -= p[8] * np.asarray(p[7])
            starts.append(depth[0])
            through = max(depth[1:-1]) > max(depth[0], depth[-1]) + CROSS_DEPTH
            past = depth[-1] > depth[0] + CROSS_DEPTH and float(push @ move) > 0.0
            # a man moving onto the ball's way: deeper at the end than it is now
            struck = kk == k + 1 and depth[-1] > starts[0] + CROSS_DEPTH
            if through or past or struck:
                blocked = True
                break
        self._place(p0)  # (this zeroes the velocity)
        pb.resetBaseVelocity(self.ball, lin, ang, physicsClientId=c)
        return blocked

    def step_steered(self, k: int, target: np.ndarray, target_vel: np.ndarray,
                     max_steer: float) -> np.ndarray:
        """One free step from grid step ``k`` with a bounded steering push towards
        ``target`` (3,) m moving at ``target_vel`` (3,) m/s: the velocity change per step is
        capped at ``max_steer`` (m/s^2) * dt, so contacts win over it. Returns the ball
        position (3,) after the step."""
        c = self.client
        pos, vel, spin = self.ball_state()
        want = target_vel + (target - pos) / STEER_TIME
        dv = want - vel
        mag = float(np.linalg.norm(dv))
        cap = max_steer * self.dt
        if mag > cap:
            dv *= cap / mag
        pb.resetBaseVelocity(self.ball, (vel + dv).tolist(), spin.tolist(), physicsClientId=c)
        self.step_free(k)
        return self._push_out()

    def run_steered(self, k0: int, targets: np.ndarray, max_steer: float) -> np.ndarray:
        """Steer the ball along ``targets`` (n + 1, 3) at grid steps k0 .. k0 + n; returns
        (n + 1, 3) positions at k0 .. k0 + n."""
        vel = np.zeros_like(targets)
        vel[:-1] = np.diff(targets, axis=0) / self.dt
        vel[-1] = vel[-2] if len(vel) > 1 else 0.0
        out = np.empty_like(targets)
        out[0] = self.ball_state()[0]
        for j in range(len(targets) - 1):
            out[j + 1] = self.step_steered(k0 + j, targets[j], vel[j], max_steer)
        return out

    def _push_out(self) -> np.ndarray:
        """Move the ball out of any solid it overlaps by more than ``PUSH_SLOP`` (along the
        contact normals, a few rounds for a ball wedged between two); returns its position.

        A guided ball is driven by velocity, not force: where its target lies inside a man
        or a wall the solver stops it at the surface only after it has sunk in a little, and
        it is driven in again every step; a steered ball is pushed by a strong nudge. Both
        follow a target, not the physics alone, so putting them back on the surface
        takes nothing from a free flight."""
        c = self.client
        pos = np.array(pb.getBasePositionAndOrientation(self.ball, physicsClientId=c)[0])
        shift = self._overlap_push()
        if not shift.any():
            return pos
        self.pushes += 1
        for _ in range(PUSH_ROUNDS):
            pos += shift
            self._place(pos)
            shift = self._overlap_push()
            if not shift.any():
                return pos
        if self._deepest() < ESCAPE_DEPTH:  # pinned: a man pressing it on a wall, as in play
            return pos
        return self._escape(pos)

    def _deepest(self) -> float:
        """m: the ball's deepest overlap with any solid (0 if none)."""
        depth = 0.0
        for body in self._solids:
            for cp in pb.getClosestPoints(self.ball, body, 0.0, physicsClientId=self.client):
                depth = max(depth, -cp[8])
        return depth

    def _place(self, pos: np.ndarray) -> None:
        pb.resetBasePositionAndOrientation(self.ball, pos.tolist(), (0, 0, 0, 1),
                                           physicsClientId=self.client)

    def _overlap_push(self) -> np.ndarray:
        """(3,) m: the sum over the ball's overlaps deeper than ``PUSH_SLOP`` of depth times
        normal (zero when it overlaps nothing)."""
        shift = np.zeros(3)
        for body in self._solids:
            for cp in pb.getClosestPoints(self.ball, body, 0.0, physicsClientId=self.client):
                if cp[8] < -PUSH_SLOP:
                    shift -= cp[8] * np.asarray(cp[7])  # normal on B points at the ball
        return shift

    def _escape(self, pos: np.ndarray) -> np.ndarray:
        """A ball wedged (between a man and a wall, or two men): the nearest free spot on a
        fixed pattern of horizontal moves (``ESCAPE_STEPS`` in 16 directions) at the same
        height, reached without sinking deeper into a man on the way (no escape through
        him); the wedged spot if none is."""
        start = self._men_depth(pos)
        for dist in ESCAPE_STEPS:
            for angle in np.arange(16) * (np.pi / 8):
                trial = pos + dist * np.array([np.cos(angle), np.sin(angle), 0.0])
                self._place(trial)
                if self._overlap_push().any():
                    continue
                n = math.ceil(dist / CROSS_STEP)  # not across a man: no deeper on the way
                if all(self._men_depth(pos + s * (trial - pos)) <= start + PUSH_SLOP
                       for s in np.arange(1, n) / n):
                    self._place(trial)
                    return trial
        self._place(pos)
        return pos

    def _men_depth(self, pos: np.ndarray) -> float:
        """m: the ball's deepest overlap with a man or rod when placed at ``pos`` (3,) (0 if
        none; the ball is left there)."""
        self._place(pos)
        pts = pb.getClosestPoints(self.ball, self.world.rods, 0.0, physicsClientId=self.client)
        return max([-p[8] for p in pts], default=0.0)

    def run_free(self, k0: int, n: int) -> np.ndarray:
        """(n + 1, 3) ball positions at grid steps k0 .. k0 + n, running freely."""
        out = np.empty((n + 1, 3))
        out[0] = self.ball_state()[0]
        for j in range(n):
            out[j + 1] = self.step_free(k0 + j)
        return out

    def run_guided(self, k0: int, targets: np.ndarray) -> np.ndarray:
        """Guide the ball through ``targets`` (n, 3) at grid steps k0 + 1 .. k0 + n;
        returns (n + 1, 3) positions at k0 .. k0 + n."""
        out = np.empty((len(targets) + 1, 3))
        out[0] = self.ball_state()[0]
        vel = np.diff(np.concatenate([out[:1], targets]), axis=0) / self.dt
        for j, target in enumerate(targets):
            out[j + 1] = self.step_guided(k0 + j, target, vel[j])
        return out


def _track(p0: np.ndarray, p1: np.ndarray, sub: int) -> np.ndarray:
    """(sub, 3): linear targets from p0 to p1 at steps 1 .. sub."""
    s = (np.arange(1, sub + 1) / sub)[:, None]
    return p0 + s * (p1 - p0)


def _smoothstep(n: int) -> np.ndarray:
    s = np.arange(1, n + 1) / n
    return 3 * s**2 - 2 * s**3


def _seen_mask(rec: Record) -> tuple[np.ndarray, np.ndarray]:
    """(N,) bool each: frames whose ball was seen; frames in play."""
    state = rec.ball_state
    finite = np.all(np.isfinite(rec.ball_xyz), axis=1)
    seen = finite & ((state == "visible") | (state == ""))
    in_play = (state == "visible") | (state == "hidden") | ((state == "") & finite)
    return seen, in_play


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of True as (first, last) inclusive."""
    idx = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    return [(int(a), int(b) - 1) for a, b in zip(idx[0::2], idx[1::2])]


class _Replayer:
    def __init__(self, stage: _Stage, xyz: np.ndarray, seen: np.ndarray, fps: float):
        self.st, self.xyz, self.seen, self.fps = stage, xyz, seen, fps
        self.sub = stage.sub
        self.out = np.full_like(xyz, np.nan)
        self.fill = np.full(len(xyz), "", dtype=object)
        self.spans: list[SpanFill] = []

    def run(self, first: int, last: int) -> None:
        """Replay one run of play, frames first..last."""
        st, sub, xyz = self.st, self.sub, self.xyz
        seen_idx = np.flatnonzero(self.seen[first:last + 1]) + first
        if len(seen_idx) == 0:
            return
        f0 = int(seen_idx[0])
        if f0 > first:  # leading span: hold the first sighting, from the run's start
            self.out[first], self.fill[first] = st.place_clear(xyz[f0], first * sub), "hold"
            for i in range(first, f0):
                path = st.run_guided(i * sub, np.repeat(xyz[f0][None], sub, axis=0))
                self.out[i + 1] = path[-1]
                self.fill[i + 1] = "hold" if i + 1 < f0 else "seen"
            self.spans.append(SpanFill(first, f0 - 1, "hold", math.nan, math.nan, 0))
        else:
            self.out[f0], self.fill[f0] = st.place_clear(xyz[f0], f0 * sub), "seen"
        i = f0
        while i < last:
            if self.seen[i + 1]:
                path = st.run_guided(i * sub, _track(self.out[i], self._catch(i), sub))
                self.out[i + 1] = path[-1]
                off = np.linalg.norm(path[-1] - xyz[i + 1]) > ARRIVAL_SLACK
                self.fill[i + 1] = "catch" if off else "seen"
                i += 1
                continue
            later = seen_idx[seen_idx > i]
            if len(later) == 0:
                self._trailing(i, last)
                return
            b = int(later[0])
            self._span(i, b)
            i = b

    def _catch(self, i: int) -> np.ndarray:
        """(3,) m: where the guided ball aims at the end of frame ``i`` -> ``i + 1``: the
        record's position, less what is left of the ball's lag (x, y) behind it (at frame
        ``i``) after closing ``CATCH_SPEED`` / fps of it. A ball held back by a man (or left
        elsewhere by a hidden span) rejoins its track at a ball's pace, not in one frame
        drawn straight through him."""
        lag = self.out[i] - self.xyz[i]
        lag[2] = 0.0  # the height is the record's (a lag in it would aim into the floor)
        dist = float(np.linalg.norm(lag))
        step = CATCH_SPEED / self.fps
        return self.xyz[i + 1] + (lag * (1.0 - step / dist) if dist > step else 0.0)

    def _velocity_before(self, a: int) -> np.ndarray:
        """m/s (3,), horizontal: the seen velocity into frame ``a``."""
        if a > 0 and self.seen[a - 1]:
            v = (self.xyz[a] - self.xyz[a - 1]) * self.fps
            v[2] = 0.0
            return v
        return np.zeros(3)

    def _trailing(self, a: int, last: int) -> None:
        st, sub = self.st, self.sub
        v0 = self._velocity_before(a)
        pos = st.ball_state()[0]
        st.set_ball(pos, v0)
        path = st.run_free(a * sub, (last - a) * sub)
        self.out[a + 1:last + 1] = path[sub::sub]
        self.fill[a + 1:last + 1] = "free"
        self.spans.append(SpanFill(a + 1, last, "free", math.nan, float(np.linalg.norm(v0)), 1))

    def _span(self, a: int, b: int) -> None:
        """Fill hidden frames a+1..b-1 between seen frames a and b (see the module
        docstring); leaves the ball at frame b."""
        st, sub, s = self.st, self.sub, self.st.settings
        k0, n = a * sub, (b - a) * sub
        start = st.ball_state()[0]
        target = self.xyz[b]
        saved = pb.saveState(physicsClientId=st.client)
        runs = 0
        cache: dict[tuple[float, float], np.ndarray] = {}

        def shoot(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            nonlocal runs
            key = (round(float(v[0]), 9), round(float(v[1]), 9))
            if key not in cache:
                pb.restoreState(saved, physicsClientId=st.client)
                st.set_ball(start, np.array([v[0], v[1], 0.0]))
                cache[key] = st.run_free(k0, n)
                runs += 1
            path = cache[key]
            return path, path[-1, :2] - target[:2]

        def clip(v: np.ndarray) -> np.ndarray:
            speed = float(np.linalg.norm(v))
            return v * (s.max_speed / speed) if speed > s.max_speed else v

        def solve(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Gauss-Newton on the arrival error from ``v``: the best (v0, r) found."""
            r = shoot(v)[1]
            for _ in range(s.max_iterations):
                if np.linalg.norm(r) <= s.tolerance:
                    break
                jac = np.empty((2, 2))
                for axis in range(2):
                    dv = np.zeros(2)
                    dv[axis] = s.fd_step
                    jac[:, axis] = (shoot(v + dv)[1] - r) / s.fd_step
                step, *_ = np.linalg.lstsq(jac, -r, rcond=None)
                cap = max(1.0, float(np.linalg.norm(v)))
                if np.linalg.norm(step) > cap:
                    step *= cap / np.linalg.norm(step)
                for scale in (1.0, 0.5, 0.25):
                    trial = clip(v + scale * step)
                    r_trial = shoot(trial)[1]
                    if np.linalg.norm(r_trial) < np.linalg.norm(r):
                        v, r = trial, r_trial
                        break
                else:
                    break
            return v, r

        chord = (target[:2] - start[:2]) * self.fps / (b - a)
        before = self._velocity_before(a)[:2]
        solutions = [solve(clip(before)), solve(clip(chord))]

        def rank(sol) -> tuple:
            """Converged first; among them the one nearest the velocity seen before the
            span (the ball went on as it came), else the smallest miss."""
            v, r = sol
            miss = float(np.linalg.norm(r))
            if miss > s.tolerance:
                return (1, miss)
            return (0, float(np.linalg.norm(v - before)))

        best_v, best_r = min(solutions, key=rank)
        path, r = shoot(best_v)
        error = np.zeros(3)
        error[:2] = r
        error[2] = path[-1, 2] - target[2]
        corrected = path - np.concatenate([[0.0], _smoothstep(n)])[:, None] * error
        final, steer = None, 0.0
        for steer in STEER_ESCALATION:
            pb.restoreState(saved, physicsClientId=st.client)
            st.set_ball(start, np.array([best_v[0], best_v[1], 0.0]))
            final = st.run_steered(k0, corrected, steer * s.max_steer)
            if np.linalg.norm(final[-1, :2] - target[:2]) <= ARRIVAL_SLACK:
                break
        pb.removeState(saved, physicsClientId=st.client)
        self.out[a + 1:b + 1] = final[sub::sub]
        converged = float(np.linalg.norm(r)) <= s.tolerance
        self.fill[a + 1:b] = "shot" if converged else "blend"
        self.fill[b] = "catch" if np.linalg.norm(final[-1] - target) > ARRIVAL_SLACK else "seen"
        self.spans.append(SpanFill(a + 1, b - 1, "shot" if converged else "blend",
                                   float(np.linalg.norm(r)), float(np.linalg.norm(best_v)),
                                   runs, steer * s.max_steer))


def physics_replay(rec: Record, settings: PhysReplaySettings | None = None) -> PhysReplayResult:
    """Replay ``rec`` in the pybullet table (see the module docstring).

    Raises:
        RecordError: no table in the record's ``meta.json``, or no frames.
    """
    settings = settings or PhysReplaySettings()
    if "table" not in rec.meta:
        raise RecordError(f"{rec.path}: meta.json has no table: the physics replay needs the "
                          "table the record was made on")
    if rec.n_frames == 0:
        raise RecordError(f"{rec.path}: the record has no frames")
    cpu0 = time.process_time()
    table = table_from_dict(rec.meta["table"])
    shifts = np.nan_to_num(hold_last(rec.rod_shifts))
    angles = np.nan_to_num(hold_last(rec.rod_angles))
    seen, in_play = _seen_mask(rec)
    stage = _Stage(table, shifts, angles, rec.fps, settings)
    try:
        rp = _Replayer(stage, rec.ball_xyz, seen, rec.fps)
        for first, last in runs(in_play):
            rp.run(first, last)
        steps = stage.steps
    finally:
        stage.close()
    frames = {k: v.copy() for k, v in rec.frames.items() if k not in DROPPED_COLUMNS}
    done = np.all(np.isfinite(rp.out), axis=1)
    for axis, col in enumerate(("ball_x", "ball_y", "ball_z")):
        frames[col] = np.where(done, rp.out[:, axis], rec.ball_xyz[:, axis])
    frames[FILL_COLUMN] = rp.fill.astype(str)
    meta = {k: v for k, v in rec.meta.items() if k != "columns"}
    meta["source"] = "physics-replay"
    meta["physics_replay"] = {
        "input_source": rec.meta.get("source", ""),
        "settings": asdict(settings),
        "physics_rate": stage.sub * rec.fps,
        "spans": [{k: (None if isinstance(v, float) and math.isnan(v) else v)
                   for k, v in asdict(sp).items()} for sp in rp.spans],
    }
    out = replace(rec, path=None, meta=meta, frames=frames, events=list(rec.events))
    return PhysReplayResult(out, tuple(rp.spans), steps, time.process_time() - cpu0)
