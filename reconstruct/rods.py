"""Each rod's shift and angle in one frame, read from its men's silhouettes.

For every rod the image is resampled into a *strip*: a grid over the plane of the rod axes
(z = rod height), x across the rod and y along it, in table coordinates, so the men of every
rod look alike whatever the camera. In the strip

- the **shift** is where the men's colour profile along y matches the comb of the rod's men
  (their spacing is known from the table);
- the **angle** is the rotation whose predicted silhouette across the rod best matches what
  is seen. The prediction projects the 3D men of ``sim.men`` through the camera onto the
  strip plane for every angle, so an overhead camera sees a man grow longer as he swings up
  and an oblique one sees him lean.

``RodReader.read`` returns per rod a shift, the angle cost curve (to be smoothed over time:
an overhead view cannot tell a man swung forwards and up from one swung forwards and down
without the frames around it) and confidences.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from sim.camera import Camera
from sim.men import man_parts, man_to_table, part_vertices, rod_rotation
from sim.table import TableSpec

N_ANGLES = 180  # angle bins over one turn
MIN_STEP = 0.0035  # m, finest strip pixel
FLAT_WIDTH = 256  # strip pixels per row of the list sampled from each frame


@dataclass(frozen=True)
class RodReading:
    """What one frame says about the rods.

    Attributes:
        shift: (8,) float64, m, best shift of each rod.
        shift_score: (8,) float64, 0..1, how well the men's comb fits there.
        angle_cost: (8, N_ANGLES) float64, mismatch of each angle bin (lower is better;
            bin k is the angle -pi + k * 2 pi / N_ANGLES), normalised to 0..1 per rod.
        angle: (8,) float64, rad in [-pi, pi), the best bin refined (no temporal context).
        coverage: (8,) float64, fraction of the expected men's pixels seen in team colour.
    """

    shift: np.ndarray
    shift_score: np.ndarray
    angle_cost: np.ndarray
    angle: np.ndarray
    coverage: np.ndarray


def angle_bins() -> np.ndarray:
    """(N_ANGLES,) float64, rad: the centre of each angle bin."""
    return -np.pi + np.arange(N_ANGLES) * (2 * np.pi / N_ANGLES)


_ANGLE_BINS = angle_bins()
# BGR uint8 (1, 3, 3): what a goal box and the room past the end walls look like (the goal
# box of the rendered tables is about (4, 6, 3), the room about (25, 16, 13))
_DARK_PROBES = np.array([[[4, 6, 3], [12, 12, 12], [25, 16, 13]]], np.uint8)


def _project_onto_plane(points: np.ndarray, centre: np.ndarray, z: float) -> np.ndarray:
    """Central projection of (N, 3) table points from the camera centre onto the plane at
    height z: (N, 2) m, the x/y where each point's viewing ray crosses the plane."""
    d = points - centre
    s = (z - centre[2]) / d[:, 2]
    return (centre + s[:, None] * d)[:, :2]


@dataclass
class _RodStrip:
    index: int
    side: int
    x0: float  # m, x of strip column 0
    y0: float  # m, y of strip row 0
    step: float  # m per strip pixel
    map_u: np.ndarray  # (ny, nx) float32, image u sampled by each strip pixel
    map_v: np.ndarray  # (ny, nx) float32
    comb: np.ndarray  # (ny,) float64, y-profile of the men at zero shift
    man_rows: list  # per man: (row0, row1) of its band at zero shift
    lut: np.ndarray  # (men, N_ANGLES, nx) float32, predicted x-profile per man and angle
    bands: np.ndarray  # (men, 2) int, rows of each man's band at zero shift
    valid: np.ndarray  # (ny, nx) bool, strip pixels inside the image


class RodReader:
    """Reads rod shifts and angles from frames of one camera.

    Args:
        table: the table.
        camera: the calibrated camera.
        team_mask: ``f(strip_bgr (H, W, 3) uint8, side) -> (H, W) float32`` in 0..1, how
            much each pixel looks like the men of ``side``. A team whose mask takes in dark
            colours is not read past the end walls (goal box, room).
        step: m per strip pixel; default: about two image pixels at the table centre, at
            least ``MIN_STEP``.
        edge_loss_px: image px the team mask loses of a man's outline on every side (a
            mask that drops the edge pixels blending the man with the field). The predicted
            silhouettes are shrunk by as much: left whole, they favour the angles that show
            a man shortest, which for an oblique line of sight is a man swung away from the
            camera. Applied in steps of a quarter strip pixel.
    """

    def __init__(self, table: TableSpec, camera: Camera, team_mask, step: float | None = None,
                 edge_loss_px: float = 0.0):
        self.table = table
        self.camera = camera
        self.edge_loss_px = float(edge_loss_px)
        # about two image pixels, but no finer than 3.5 mm: a sharper camera gains nothing
        # here (the comb and silhouettes are fitted with sub-bin precision) but cost
        self.step = step or max(2.0 * _pixel_footprint(camera, table), MIN_STEP)
        self._dark_sides = {side for side in (0, 1)
                            if np.max(team_mask(_DARK_PROBES, side)) > 0.5}
        self._strips = [self._make_strip(i) for i in range(len(table.rods))]
        self._pack()
        self.set_team_mask(team_mask)

    # ---------------------------------------------------------------- set-up
    def _make_strip(self, i: int) -> _RodStrip:
        t, cam, step = self.table, self.camera, self.step
        rod = t.rods[i]
        half_x = t.man_reach + t.man.foot_length + 0.02
        centre = cam.position
        # the strip must hold the men's projection at every angle: widen it by parallax
        corners = np.array([[rod.x + sx * half_x, sy * t.half_width, z]
                            for sx in (-1, 1) for sy in (-1, 1)
                            for z in (0.0, t.rod_height + t.man.head_centre + t.man.head_radius)])
        proj = _project_onto_plane(corners, centre, t.rod_height)
        x0, x1 = proj[:, 0].min(), proj[:, 0].max()
        x0, x1 = max(x0, rod.x - 2.5 * half_x), min(x1, rod.x + 2.5 * half_x)
        # a neighbouring rod of the same team looks the same: stop half-way to it, but not
        # inside this rod's own men hanging straight down (a camera far along the table
        # sees their feet past the half-way line)
        lo, hi = self._hanging_extent(i)
        for j in (i - 1, i + 1):
            if 0 <= j < len(t.rods) and t.rods[j].side == rod.side:
                mid = 0.5 * (rod.x + t.rods[j].x)
                if j < i:
                    x0 = max(x0, min(mid, lo - step))
                else:
                    x1 = min(x1, max(mid, hi + step))
        y0, y1 = -t.half_width, t.half_width
        xs = np.arange(x0, x1, step)
        ys = np.arange(y0, y1, step)
        gx, gy = np.meshgrid(xs, ys)
        pts = np.column_stack([gx.ravel(), gy.ravel(), np.full(gx.size, t.rod_height)])
        uv = cam.table_to_pixel(pts).reshape(len(ys), len(xs), 2).astype(np.float32)
        valid = ((uv[..., 0] >= 0) & (uv[..., 0] <= cam.width - 1)
                 & (uv[..., 1] >= 0) & (uv[..., 1] <= cam.height - 1))
        # a line of sight over an end wall, or into a goal mouth, sees the dark goal box or
        # the room behind, whatever a man may hide there: dark men would find themselves in
        # it. For a team whose mask takes in dark colours such pixels are not read, and the
        # predicted silhouettes leave them out alike (other teams keep them: that a man is
        # not seen there tells he is not swung over the wall).
        if rod.side in self._dark_sides:
            valid &= ~_beyond_end_walls(t, pts, centre).reshape(gx.shape)
        lut, comb, rows = self._silhouettes(i, x0, y0, len(xs), len(ys), step, valid)
        return _RodStrip(i, rod.side, x0, y0, step, uv[..., 0].copy(), uv[..., 1].copy(),
                         comb, rows, lut, np.array(rows, int).reshape(-1, 2), valid)

    def _hanging_extent(self, i: int) -> tuple[float, float]:
        """(x_min, x_max), m: the x extent on the strip plane of rod i's men hanging
        straight down, seen from the camera."""
        t = self.table
        verts = np.concatenate([part_vertices(p, segments=8) for p in man_parts(t)])
        xs = []
        for m in range(t.rods[i].men):
            R, tr = man_to_table(t, i, m, 0.0, 0.0)
            xs.append(_project_onto_plane(verts @ R.T + tr, self.camera.position,
                                          t.rod_height)[:, 0])
        xs = np.concatenate(xs)
        return float(xs.min()), float(xs.max())

    def _silhouettes(self, i, x0, y0, nx, ny, step, valid):
        """Predicted silhouettes of rod i's men on the strip, for every angle bin, on the
        strip pixels that are read (``valid`` (ny, nx) bool)."""
        t = self.table
        rod = t.rods[i]
        centre = self.camera.position
        verts = [part_vertices(p, segments=10) for p in man_parts(t)]
        sizes = np.cumsum([0] + [len(v) for v in verts])
        allv = np.concatenate(verts)  # (P, 3), the man's own frame
        ss = 4  # supersampling of the silhouettes, for sub-pixel profiles (4: see below)
        scale = ss / step
        # the mask's loss at the edges, in supersampled cells at this rod
        loss = self.edge_loss_px * _pixel_footprint(self.camera, t, rod.x) * scale
        er = int(round(loss))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * er + 1, 2 * er + 1))
        lut = np.zeros((rod.men, N_ANGLES, nx), np.float32)
        comb = np.zeros(ny)
        rows = []
        # the man's points turned to every angle bin at once: (K, P, 3), man's frame axes
        turned = np.matmul(allv[None], np.array([rod_rotation(a) for a in angle_bins()])
                           .transpose(0, 2, 1))
        zero = N_ANGLES // 2  # angle 0: the comb along y
        for m in range(rod.men):
            _, tr = man_to_table(t, i, m, 0.0, 0.0)  # the rod's rotation leaves tr
            p = _project_onto_plane((turned + tr).reshape(-1, 3), centre, t.rod_height)
            px = np.empty((N_ANGLES, len(allv), 2))  # supersampled strip pixels
            px[..., 0] = ((p[:, 0] - x0) * scale + 0.5 * (ss - 1)).reshape(N_ANGLES, -1)
            px[..., 1] = ((p[:, 1] - y0) * scale + 0.5 * (ss - 1)).reshape(N_ANGLES, -1)
            # rasterise each angle in a band just around the man, whole strip pixels tall;
            # the bands of all angles are stacked in one image, apart by enough empty rows
            # that the erosion sees no other band (each band is drawn into on its own, so
            # what lies past its rows is clipped there)
            r0 = np.maximum(0, np.floor(px[..., 1].min(axis=1) / ss).astype(int) * ss)
            r1 = np.minimum(ny * ss, (np.ceil(px[..., 1].max(axis=1) / ss).astype(int) + 1) * ss)
            drawn = r1 > r0
            if not drawn.any():
                continue
            px[..., 1] -= r0[:, None]
            pts = (px * 16).astype(np.int32)
            tall = int((r1 - r0)[drawn].max())
            gap = int(np.ceil((er + 1) / ss)) * ss
            stride = tall + 2 * gap
            img = np.zeros((N_ANGLES * stride, nx * ss), np.uint8)
            for k in np.flatnonzero(drawn):
                band = img[k * stride + gap: k * stride + gap + r1[k] - r0[k]]
                for q in range(len(verts)):
                    hull = cv2.convexHull(pts[k, sizes[q]:sizes[q + 1]])
                    cv2.fillConvexPoly(band, hull, 1, lineType=cv2.LINE_8, shift=4)
            if er > 0:
                img = cv2.erode(img, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
            # area of each strip pixel covered: sums over ss x ss blocks (the ss = 4 cells
            # of a row, 0 or 1 each, are the bytes of one uint32: a multiply gathers their
            # sum in its top byte)
            cols = ((img.view(np.uint32) * np.uint32(0x01010101)) >> np.uint32(24)).astype(
                np.uint8)
            blocks = cols.reshape(N_ANGLES, stride // ss, ss, nx)[:, gap // ss:(gap + tall) // ss]
            area = sum(blocks[:, :, j] for j in range(ss)) / float(ss * ss)  # (K, tall/ss, nx)
            srow = r0[:, None] // ss + np.arange(tall // ss)[None, :]
            inside = srow < r1[:, None] // ss
            area *= valid[np.minimum(srow, ny - 1)] & inside[..., None] & drawn[:, None, None]
            lut[m] = area.sum(axis=1)
            if drawn[zero]:
                prof = np.zeros(ny)
                prof[r0[zero] // ss: r1[zero] // ss] = area[zero].sum(axis=1)[inside[zero]]
                comb += prof
                nz = np.flatnonzero(prof)
                rows.append((int(nz.min()), int(nz.max()) + 1) if len(nz) else (0, 0))
        return lut, comb, rows

    # ---------------------------------------------------------------- per frame
    def _pack(self) -> None:
        """Stack every rod's strip into one canvas, so a frame needs one remap and one
        colour lookup, and pad every rod's tables to common shapes, so all rods are read
        by a few array operations."""
        strips = self._strips
        n = len(strips)
        ny = max(s.map_u.shape[0] for s in strips)
        nxm = max(s.map_u.shape[1] for s in strips)
        men = max(len(s.man_rows) for s in strips)
        n_off = [int(np.ceil(self.table.rods[s.index].travel / s.step)) for s in strips]
        kmax = max(n_off)
        self._ny, self._nxm, self._kmax = ny, nxm, kmax
        mu = np.full((n * ny, nxm), -10.0, np.float32)
        mv = np.full_like(mu, -10.0)
        valid = np.zeros(mu.shape, bool)
        side = np.zeros(n * ny, bool)
        C = np.zeros((n, 2 * kmax + 1, ny))
        self._shift_ok = np.zeros((n, 2 * kmax + 1), bool)
        L = np.zeros((n, N_ANGLES, men, nxm))
        self._bands = np.zeros((n, men, 2), int)
        for j, st in enumerate(strips):
            h, w = st.map_u.shape
            mu[j * ny: j * ny + h, :w] = st.map_u
            mv[j * ny: j * ny + h, :w] = st.map_v
            valid[j * ny: j * ny + h, :w] = st.valid
            side[j * ny:(j + 1) * ny] = st.side == 1
            comb = st.comb / max(np.linalg.norm(st.comb), 1e-9)
            for k in range(2 * kmax + 1):  # C[j, k] = the comb moved by k - kmax rows
                o = k - kmax
                if abs(o) > n_off[j]:
                    continue
                lo, hi = max(0, o), min(h, h + o)
                C[j, k, lo:hi] = comb[lo - o: hi - o]
                self._shift_ok[j, k] = True
            L[j, :, : len(st.man_rows), :w] = st.lut.transpose(1, 0, 2)
            self._bands[j, : len(st.man_rows)] = st.bands
        self._C = C.astype(np.float32)
        self._L = L.reshape(n, N_ANGLES, -1).astype(np.float32)
        self._lut2 = (self._L.astype(np.float64) ** 2).sum(axis=2)  # (n, N_ANGLES)
        self._expected = np.array([s.lut[:, N_ANGLES // 2].sum() for s in strips])
        self._steps = np.array([s.step for s in strips])
        self._travel = np.array([self.table.rods[s.index].travel for s in strips])
        self._map_u, self._map_v = cv2.convertMaps(mu, mv, cv2.CV_16SC2)
        # the strip pixels a frame needs: inside the image, on the rows that a shifted comb
        # or man's band can reach; sampled as one list of FLAT_WIDTH-pixel rows, every
        # other pixel of the masks is 0
        need = np.zeros(mu.shape, bool)
        for j, st in enumerate(strips):
            h, w = st.map_u.shape
            if len(st.man_rows):
                r0 = max(0, int(st.bands[:, 0].min()) - n_off[j])
                r1 = min(h, int(st.bands[:, 1].max()) + n_off[j])
                need[j * ny + r0: j * ny + r1, :w] = valid[j * ny + r0: j * ny + r1, :w]
        # (the pixels of side 0's rods first, then side 1's: each reads its team's table)
        need = need.reshape(-1)
        on_side1 = np.repeat(side, nxm)
        self._need = np.concatenate([np.flatnonzero(need & ~on_side1),
                                     np.flatnonzero(need & on_side1)])
        self._n_side0 = int(np.count_nonzero(need & ~on_side1))
        self._flat_mask = np.empty(len(self._need), np.float32)
        pad = -len(self._need) % FLAT_WIDTH
        flat_u, flat_v = (np.pad(m.reshape(-1)[self._need], (0, pad), constant_values=-10.0)
                          .reshape(-1, FLAT_WIDTH) for m in (mu, mv))
        self._flat_u, self._flat_v = cv2.convertMaps(flat_u, flat_v, cv2.CV_16SC2)
        self._mask = np.zeros(mu.size, np.float32)  # filled at the needed pixels per frame
        # every shift's correlation, a column of -inf at each end (a peak there has no
        # neighbour to refine with); the shifts a rod cannot reach stay -inf
        self._corr = np.full((n, 2 * kmax + 3), -np.inf)
        self._corr_rows = np.arange(n) * (2 * kmax + 3)
        self._expected_safe = np.maximum(self._expected, 1e-9)
        self._rows = np.arange(ny)
        self._ones = np.ones(nxm, np.float32)

    def set_team_mask(self, team_mask) -> None:
        """Use ``team_mask(bgr (..., 3) uint8, side) -> (...) float`` for the men's colours;
        it is tabulated once over a 32-level colour cube. (Which teams are dark, whose strips
        leave out what lies past the end walls, stays as the constructor's mask found.)"""
        levels = (np.arange(32) * 8 + 4).astype(np.uint8)
        b, g, r = np.meshgrid(levels, levels, levels, indexing="ij")
        cube = np.stack([b, g, r], axis=-1).reshape(1, -1, 3)
        # looked up by a pixel's BGR565 code (OpenCV's: b >> 3 | g >> 2 << 5 | r >> 3 << 11),
        # green's sixth bit dropped: (2, 65536) float32
        code = np.arange(1 << 16)
        cell = ((code & 31) << 10) | (((code >> 6) & 31) << 5) | (code >> 11)
        self._colour_lut = np.stack([np.asarray(team_mask(cube, side), np.float32)
                                     .reshape(-1)[cell] for side in (0, 1)])

    def canvas(self, frame: np.ndarray) -> np.ndarray:
        """All rods' strips stacked: (8 * ny, nx, 3) uint8 (for looking at)."""
        return cv2.remap(frame, self._map_u, self._map_v, cv2.INTER_LINEAR)

    def masks(self, frame: np.ndarray) -> np.ndarray:
        """(8 * ny, nx) float32: how much each strip pixel looks like its rod's team (0
        where nothing is measured: outside the image, and beyond the rows the men reach)."""
        return self._masks(frame).reshape(self._map_u.shape[:2]).copy()

    def _masks(self, frame: np.ndarray) -> np.ndarray:
        """``masks`` flat, in a buffer that the next frame overwrites."""
        c = cv2.remap(frame, self._flat_u, self._flat_v, cv2.INTER_LINEAR)
        code = cv2.cvtColor(c, cv2.COLOR_BGR2BGR565).view(np.uint16).reshape(-1)
        n0, n, out = self._n_side0, len(self._need), self._flat_mask
        np.take(self._colour_lut[0], code[:n0], out=out[:n0])
        np.take(self._colour_lut[1], code[n0:n], out=out[n0:])
        self._mask[self._need] = out
        return self._mask

    def read(self, frame: np.ndarray) -> RodReading:
        """Measure every rod in one BGR frame."""
        n, ny, nxm, kmax = len(self._strips), self._ny, self._nxm, self._kmax
        mask = self._masks(frame).reshape(n, ny, nxm)
        # shift: the men's profile along the rod against the comb, at every allowed shift
        prof = np.matmul(mask, self._ones)  # (n, ny) float32, the sum across the strip
        corr = self._corr  # (n, 2 kmax + 3) float64: -inf past the ends and where not allowed
        np.copyto(corr[:, 1:-1], np.matmul(self._C, prof[:, :, None])[..., 0],
                  where=self._shift_ok)
        k = np.argmax(corr, axis=1)  # 1 + the shift's index
        at = self._corr_rows + k
        c0, c1, c2 = corr.take(at - 1), corr.take(at), corr.take(at + 1)
        den = c0 - 2 * c1 + c2
        with np.errstate(divide="ignore", invalid="ignore"):
            # (a neighbour past the ends or not allowed leaves den -inf or nan: no offset)
            frac = np.where(np.isfinite(den) & (den < -1e-12),
                            np.clip(0.5 * (c0 - c2) / den, -0.5, 0.5), 0.0)
        o = k - (kmax + 1) + frac
        shift = np.clip(o * self._steps, -self._travel, self._travel)
        p64 = prof.astype(float)
        score = c1 / np.maximum(np.sqrt(np.add.reduce(p64 * p64, axis=1)), 1e-9)
        # angle: each man's profile across the rod (the sum over his band, moved by the
        # shift) against the predicted silhouettes
        bands = np.clip(self._bands + np.round(o).astype(int)[:, None, None], 0, ny)
        sel = ((self._rows >= bands[..., :1]) & (self._rows < bands[..., 1:])).astype(
            np.float32)  # (n, men, ny)
        obs = np.matmul(sel, mask).reshape(n, -1)  # (n, men * nxm) float32
        dot = np.matmul(self._L, obs[:, :, None])[..., 0].astype(float)
        obs = obs.astype(float)
        o2 = np.einsum("ij,ij->i", obs, obs)[:, None]
        cost = self._lut2 - 2 * dot
        cost += o2
        cost /= np.maximum(self._lut2 + o2, 1e-9)
        coverage = obs.sum(axis=1) / self._expected_safe
        kb = np.argmin(cost, axis=1)
        angle = _ANGLE_BINS[kb] + _parabolic(cost, kb) * (2 * np.pi / N_ANGLES)
        angle = (angle + np.pi) % (2 * np.pi) - np.pi
        return RodReading(shift, np.clip(score, 0, 1), cost, angle, coverage)


def _parabolic(cost: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Sub-bin offset (in bins, -0.5..0.5) of the minimum of each row of a circular
    cost (R, N) around bins k (R,)."""
    n = cost.shape[1]
    at = np.arange(len(k)) * n
    c0, c1, c2 = (cost.take(at + (k - 1) % n), cost.take(at + k),
                  cost.take(at + (k + 1) % n))
    den = c0 - 2 * c1 + c2
    curved = den > 1e-12
    off = np.where(curved, 0.5 * (c0 - c2) / np.where(curved, den, 1.0), 0.0)
    return np.clip(off, -0.5, 0.5)


def _beyond_end_walls(table: TableSpec, points: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """(N,) bool: the line of sight from the camera centre through each of (N, 3) table
    points (on or above the playfield) reaches, beyond the point, the goal box or the room
    behind an end wall rather than the playfield or an end wall's face: the point is past
    the goal line, or the line of sight meets the goal line's plane lower than the goal
    mouth's top (into the mouth, or the foot of the wall beside it)."""
    hl = table.half_length
    past = np.abs(points[:, 0]) > hl
    d = points - centre
    with np.errstate(divide="ignore", invalid="ignore"):
        floor_x = centre[0] - centre[2] / d[:, 2] * d[:, 0]
        wall = np.where(d[:, 0] > 0, hl, -hl)
        z_wall = centre[2] + (wall - centre[0]) / d[:, 0] * d[:, 2]
    low = (d[:, 2] < 0) & (np.abs(floor_x) > hl) & (z_wall < table.goal.height)
    return past | low


def _pixel_footprint(camera: Camera, table: TableSpec, x: float = 0.0) -> float:
    """m per image pixel at (x, 0) (default the table centre), on the plane of the rod
    axes."""
    uv = camera.table_to_pixel(np.array([[x, 0.0, table.rod_height],
                                         [x + 0.01, 0.0, table.rod_height],
                                         [x, 0.01, table.rod_height]]))
    px = max(np.linalg.norm(uv[1] - uv[0]), np.linalg.norm(uv[2] - uv[0]))
    return float(np.clip(0.01 / px, 0.001, 0.006))
