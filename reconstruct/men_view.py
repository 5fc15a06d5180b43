"""Where the men's feet are and what they hide from the camera, from the rods' states.

The ball path search (``reconstruct.paths``) needs, every frame, the feet that can strike
the ball and the patches of field where a man hides it. Both follow from each rod's shift
and angle through the 3D men of ``sim.men``; they are tabulated per angle bin once per
camera, so a frame costs a few array look-ups.
"""

from __future__ import annotations

import numpy as np

from reconstruct.paths import Context
from sim.camera import Camera
from sim.men import man_parts, man_to_table, part_vertices, rod_rotation
from sim.table import TableSpec

N_BINS = 360
TWIN_SPIN = 10.0  # rad/s: a rod turning faster may be striking (see ``context``)
STRIKE_SWEEP = 0.5  # rad: a strike meets the ball within this of the bottom of the swing


class MenView:
    """Per-frame feet and hiding boxes for one table seen by one camera.

    Args:
        table: the table.
        camera: the camera (None: hiding boxes are the feet's own footprint, as seen from
            straight above).
    """

    def __init__(self, table: TableSpec, camera: Camera | None):
        self.table = table
        self.camera = camera
        self._rod_of = np.concatenate([[i] * r.men for i, r in enumerate(table.rods)])
        self._offset = np.concatenate([r.man_offsets for r in table.rods])
        self._x = np.array([table.rods[i].x for i in self._rod_of])
        bins = np.arange(N_BINS) * 2 * np.pi / N_BINS
        reach = table.man_reach
        # foot centre relative to the rod axis, per angle bin: (N_BINS,) x offset and height
        self._foot_dx = -reach * np.sin(bins)
        self._foot_z = table.rod_height - reach * np.cos(bins)
        self._boxes = self._hide_boxes(bins)  # (men, N_BINS, 4): x0, x1, dy0, dy1
        self._boxes_flat = self._boxes.reshape(-1, 4)
        self._box_row = np.arange(len(self._rod_of)) * N_BINS
        # whether a foot at each angle bin is low enough to strike or hold a ball: the man's
        # lowest point (the toe of a tilted man, which pins a ball under it) near a ball's top
        self._low = self._lowest_z(bins) < table.ball.diameter + 0.005

    def _lowest_z(self, bins: np.ndarray) -> np.ndarray:
        """(N_BINS,) m: the height of the man's lowest point at each angle bin."""
        t = self.table
        verts = np.concatenate([part_vertices(p, 8) for p in man_parts(t)])
        z = np.stack([(verts @ rod_rotation(a).T)[:, 2].min() for a in bins])
        return t.rod_height + z

    def _hide_boxes(self, bins: np.ndarray) -> np.ndarray:
        """Per man and angle bin, the box of the ball-centre plane hidden by the man."""
        t = self.table
        r = t.ball.radius
        verts = np.concatenate([part_vertices(p, 8) for p in man_parts(t)])
        out = np.zeros((len(self._rod_of), N_BINS, 4))
        cam = self.camera.position if self.camera is not None else None
        # the man's points turned to every angle bin at once: (N_BINS, P, 3)
        turned = np.matmul(verts[None], np.array([rod_rotation(a) for a in bins])
                           .transpose(0, 2, 1))
        for k, (rod, y0) in enumerate(zip(self._rod_of, self._offset)):
            _, tr = man_to_table(t, int(rod), 0, 0.0, 0.0)  # the rod's rotation leaves tr
            p = turned + np.array([tr[0], y0, tr[2]])
            if cam is not None:  # where each point's line of sight crosses z = r
                d = p - cam
                s = (r - cam[2]) / d[..., 2]
                p = cam + s[..., None] * d
            out[k] = np.stack([p[..., 0].min(axis=1), p[..., 0].max(axis=1),
                               p[..., 1].min(axis=1) - y0, p[..., 1].max(axis=1) - y0], axis=1)
        return out

    def context(self, shifts: np.ndarray, angles: np.ndarray,
                spin: np.ndarray | None = None) -> Context:
        """The path search's context for rods at ``shifts`` (8,) m and ``angles`` (8,) rad.

        ``spin`` (8,) rad/s: how fast each rod turns (None: unknown, taken as slow). The
        men of a rod turning faster than ``TWIN_SPIN`` get strike points: where their feet
        pass in the low part of a swing (``STRIKE_SWEEP`` either side of the bottom). A
        strike is read poorly: its back-swing and forward swing look from above like one
        turn going on over the top (the twin angle pi - a), and the reading lags a foot
        that moves a radian a frame, so the foot's place at the instant of the strike is not
        known; a ball leaving such a man is a contact, not a jump in open field.
        """
        a = np.asarray(angles)[self._rod_of]
        b = np.round(np.mod(a, 2 * np.pi) / (2 * np.pi) * N_BINS).astype(int) % N_BINS
        y = self._offset + np.asarray(shifts)[self._rod_of]
        feet = np.empty((len(b), 2))
        np.add(self._x, self._foot_dx[b], out=feet[:, 0])
        feet[:, 1] = y
        hides = self._boxes_flat[self._box_row + b]  # (M, 4), a new array
        hides[:, 2:] += y[:, None]
        strikes = None
        if spin is not None:
            fast = np.abs(np.asarray(spin))[self._rod_of] > TWIN_SPIN
            if fast.any():
                sweep = self.table.man_reach * np.sin(STRIKE_SWEEP)
                xs = self._x[fast][:, None] + np.array([-sweep, 0.0, sweep])
                strikes = np.column_stack([xs.reshape(-1), np.repeat(y[fast], 3)])
        return Context(feet=feet, feet_low=self._low[b], hides=hides,
                       strikes=strikes if strikes is not None else np.zeros((0, 2)))

    @property
    def rod_of_man(self) -> np.ndarray:
        """(M,) int: the rod of each man, in the order of ``Context.feet``."""
        return self._rod_of

    @property
    def man_index(self) -> np.ndarray:
        """(M,) int: each man's index on his rod."""
        return np.concatenate([np.arange(r.men) for r in self.table.rods])
