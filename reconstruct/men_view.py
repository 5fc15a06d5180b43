"""Where the men's feet are and what they hide from the camera, from the rods' states.

The ball path search (``reconstruct.paths``) needs, every frame, the feet that can strike
the ball and the patches of field where a man hides it. Both follow from each rod's shift
and angle through the 3D men of ``sim.men``; they are tabulated per angle bin once per
camera, so a frame costs a few array look-ups.

The ball detector and the background need the men's silhouettes in the image
(``MenView.outlines``): a change of the image there (a man now where the background shows
the field, or the field where the background still holds a man in another pose) is the
man's, not the ball's.
"""

from __future__ import annotations

import cv2
import numpy as np

from reconstruct.paths import Context
from sim.camera import Camera, distort
from sim.men import man_parts, man_to_table, part_vertices, rod_rotation
from sim.table import TableSpec

N_BINS = 360
TWIN_SPIN = 10.0  # rad/s: a rod turning faster may be striking (see ``context``)
STRIKE_SWEEP = 0.5  # rad: a strike meets the ball within this of the bottom of the swing
REACH_BIN_STEP = 6  # angle bins between those that bound a man's outline in the image


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
        # every part's outline points turned to every angle bin, for the silhouettes:
        # (N_BINS, P, 3) in the man's own frame, and where each part's points start
        parts = [part_vertices(p, 8) for p in man_parts(table)]
        self._part_start = np.cumsum([0] + [len(v) for v in parts])
        self._turned = np.ascontiguousarray(np.matmul(
            np.concatenate(parts)[None], np.array([rod_rotation(a) for a in bins])
            .transpose(0, 2, 1)))  # (contiguous: a frame's gather of it is quick)
        self._reach_px = None  # (M,) px, made with the first outlines
        self._proj = None  # the camera's rotation (transposed), translation, lens terms
        self._man_origin = np.column_stack([self._x, self._offset,
                                            np.full(len(self._x), table.rod_height)])

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

    def outlines(self, shifts: np.ndarray, angles: np.ndarray) -> MenOutlines:
        """The men's outlines in the image for rods at ``shifts`` (8,) m and ``angles`` (8,)
        rad (drawn into any box with ``MenOutlines.draw``, each man projected when a box
        first needs him). Needs the camera."""
        if self.camera is None:
            raise ValueError("the men's silhouettes need a camera")
        if self._reach_px is None:
            self._reach_px = self._outline_reach()
        a = np.asarray(angles, float)[self._rod_of]
        b = np.round(np.mod(a, 2 * np.pi) / (2 * np.pi) * N_BINS).astype(int) % N_BINS
        origin = self._man_origin.copy()
        origin[:, 1] += np.asarray(shifts, float)[self._rod_of]
        return MenOutlines(self, b, origin, self._pixels(origin))

    def _outline_reach(self) -> np.ndarray:
        """(M,) px: how far from the image of his rod point any of a man's points can show,
        over every angle bin and the rod's travel, with a margin."""
        out = np.zeros(len(self._rod_of))
        turned = self._turned[::REACH_BIN_STEP]  # (a point moves ~1 px between these bins)
        for y in (-0.15, 0.0, 0.15):
            o = self._man_origin + (0.0, y, 0.0)
            uv = self._pixels(turned[None] + o[:, None, None, :])  # (M, bins, P, 2)
            d = np.hypot(*(uv - self._pixels(o)[:, None, None, :]).transpose(3, 0, 1, 2))
            out = np.maximum(out, d.reshape(len(o), -1).max(axis=1))
        return 1.25 * out + 2.0

    def draw(self, shifts: np.ndarray, angles: np.ndarray, shape: tuple[int, int],
             box: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """``outlines(shifts, angles).draw(shape, box)``."""
        return self.outlines(shifts, angles).draw(shape, box)

    def _pixels(self, pts: np.ndarray) -> np.ndarray:
        """(..., 2) px of table points (..., 3) m: ``Camera.table_to_pixel`` (OpenCV's
        lens model) in numpy, several times quicker on a few thousand points."""
        cam = self.camera
        if self._proj is None:
            self._proj = (cv2.Rodrigues(np.array(cam.rvec, float))[0].T,
                          np.array(cam.tvec, float), np.array(cam.dist, float))
        rt, tv, dist = self._proj
        pc = pts @ rt + tv
        x, y = pc[..., 0] / pc[..., 2], pc[..., 1] / pc[..., 2]
        if np.any(dist != 0):
            x, y = distort(dist, x, y)
        return np.stack([cam.fx * x + cam.cx, cam.fy * y + cam.cy], axis=-1)

    @property
    def rod_of_man(self) -> np.ndarray:
        """(M,) int: the rod of each man, in the order of ``Context.feet``."""
        return self._rod_of

    @property
    def man_index(self) -> np.ndarray:
        """(M,) int: each man's index on his rod."""
        return np.concatenate([np.arange(r.men) for r in self.table.rods])


class MenOutlines:
    """The men's outlines in one image (``MenView.outlines``): each part the convex outline
    of its points, projected when first needed."""

    def __init__(self, view: MenView, bins: np.ndarray, origin: np.ndarray,
                 origin_px: np.ndarray):
        self._view = view
        self._bins = bins  # (M,) angle bin of each man
        self._origin = origin  # (M, 3) m, each man's point on his rod
        self._origin_px = origin_px  # (M, 2) px
        self._uv: dict[int, tuple] = {}  # man: his points (P, 2) px, their min and max

    def draw(self, shape: tuple[int, int], box: tuple[int, int, int, int] | None = None,
             shrink: int = 0) -> np.ndarray:
        """(h, w) uint8, 1 where a man shows in an image of ``shape`` (H, W): in ``box``
        (y0, y1, x0, x1) px, or the whole image (the rods themselves are not drawn); with
        ``shrink``, every outline shrunk by that many px."""
        h, w = shape
        y0, y1, x0, x1 = (0, h, 0, w) if box is None else box
        if shrink > 0:
            gy0, gx0 = max(y0 - shrink, 0), max(x0 - shrink, 0)
            grown = self.draw(shape, (gy0, min(y1 + shrink, h), gx0, min(x1 + shrink, w)))
            if grown.size:
                grown = cv2.erode(grown, np.ones((2 * shrink + 1,) * 2, np.uint8))
            return grown[y0 - gy0:y1 - gy0, x0 - gx0:x1 - gx0].copy()
        out = np.zeros((max(y1 - y0, 0), max(x1 - x0, 0)), np.uint8)
        if not out.size:
            return out
        v = self._view
        o, r = self._origin_px, v._reach_px
        near = np.flatnonzero((o[:, 0] + r >= x0) & (o[:, 0] - r < x1)
                              & (o[:, 1] + r >= y0) & (o[:, 1] - r < y1))
        todo = [int(k) for k in near if int(k) not in self._uv]
        if todo:
            uv = v._pixels(v._turned[self._bins[todo]] + self._origin[todo, None, :])
            self._uv.update((k, (p, p.min(axis=0), p.max(axis=0))) for k, p in zip(todo, uv))
        st = v._part_start
        for k in near.tolist():
            p, lo, hi = self._uv[k]
            if hi[0] < x0 - 1 or lo[0] > x1 or hi[1] < y0 - 1 or lo[1] > y1:
                continue  # (his outline misses the box)
            man = np.rint((p - (x0, y0)) * 16).astype(np.int32)  # 4 fraction bits
            for q in range(len(st) - 1):
                cv2.fillConvexPoly(out, cv2.convexHull(man[st[q]:st[q + 1]]), 1,
                                   lineType=cv2.LINE_8, shift=4)
        return out
