"""Automatic calibration: the camera from the playfield and the rods seen in a few frames.

Pipeline: median image -> playfield outline (a quadrilateral) -> which pair of its sides are
the goal lines, and where the rods are (``rods.find_rods``) -> initial poses from the
quadrilateral for a range of focal lengths (IPPE), each refined on the rods and the outline ->
the best refined jointly with the focal length and radial distortion -> rods traced again
along the fitted model, outline points re-assigned to their edges -> final fit and checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from reconstruct.calibration import solve
from reconstruct.calibration.field import Field, find_field, median_image, refine_outline
from reconstruct.calibration.rods import find_rods, gradients, trace_rod
from reconstruct.calibration.solve import LineEvidence
from reconstruct.views import main_view_frames
from sim.camera import Camera
from sim.table import TableSpec

HFOV_GRID_DEG = (30, 40, 50, 60, 70, 80, 95, 110, 125)
MIN_ROD_CONTRAST = 1.6  # rods' pattern over the median profile in the rectified view
MIN_INLIER_FRACTION = 0.75
MAX_ERROR_PX_PER_1000 = 2.0  # RMS inlier error allowed, px per 1000 px of image diagonal
INLIER_PX = 3.0
MIN_RODS = 6  # rods that must be seen along a good part of their length
MIN_EDGE_POINTS = 40  # playfield outline points the fit must keep
MIN_EDGE_INLIERS = 0.5  # share of them it must explain
MIN_OUTLINE_EXPLAINED = 0.3  # share of each long side's outline (ungated) it must explain
MIN_SIDE_POINTS = 20  # outline points a side needs to be judged


@dataclass(frozen=True)
class Fit:
    """The result of the automatic fit, with its diagnostics.

    Attributes:
        camera: the fitted camera.
        rms_px: RMS distance of inlier evidence to the model, distorted px.
        inlier_fraction: share of the evidence within ``INLIER_PX`` (scaled) of the model.
        rods_seen: number of rods with enough inlier points.
        edge_inlier_fraction: share of the playfield outline evidence the fit explains.
        outline_explained: the least share, over the playfield's two long sides (no goal
            mouth breaks them), of the outline points nearest that side (none gated away,
            bar corners and points a rod may hide) within ``INLIER_PX`` (scaled) of it; 1
            for a side with too few points to judge. A false fit that explains one side
            and gates the other away scores near 0.
        evidence: the final evidence (rod points then outline points).
        distances: (N,) px, each evidence point's distance to the model.
        field: the playfield found.
        median: the median image the fit used.
    """

    camera: Camera
    rms_px: float
    inlier_fraction: float
    rods_seen: int
    edge_inlier_fraction: float
    outline_explained: float
    evidence: LineEvidence
    distances: np.ndarray
    field: Field
    median: np.ndarray


def rod_segments(table: TableSpec) -> np.ndarray:
    """(8, 2, 3) m: two points on each rod axis."""
    hw = table.half_width
    return np.array([[[x, -hw, table.rod_height], [x, hw, table.rod_height]]
                     for x in table.rod_x])


def edge_segments(table: TableSpec, eye: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lines that can bound the playfield's colour in the image, for a camera at ``eye``
    (3,) m.

    Returns:
        segments (8, 2, 3) m: the feet of the walls (z = 0) in the order y = -W/2, x = +L/2,
        y = +W/2, x = -L/2, then the walls' inner top edges (z = wall height) in the same
        order; visible (8,) bool: a wall's foot is hidden when the camera looks over that
        wall from outside. Whether the playfield's colour stops at a wall's foot or at its
        top depends on how like the field the wall's inner face looks: both explain an
        outline.
    """
    hl, hw, h = table.half_length, table.half_width, table.wall_height
    feet = np.array([
        [[-hl, -hw, 0.0], [hl, -hw, 0.0]],
        [[hl, -hw, 0.0], [hl, hw, 0.0]],
        [[hl, hw, 0.0], [-hl, hw, 0.0]],
        [[-hl, hw, 0.0], [-hl, -hw, 0.0]],
    ])
    tops = feet.copy()
    tops[:, :, 2] = h
    inside = np.array([eye[1] > -hw, eye[0] < hl, eye[1] < hw, eye[0] > -hl])
    return np.concatenate([feet, tops]), np.concatenate([inside, np.ones(4, bool)])


def _segments(table: TableSpec, p: np.ndarray, size) -> np.ndarray:
    """(16, 2, 3) m: the 8 rod axes, then the 8 boundary lines of ``edge_segments``."""
    eye = solve.params_to_camera(p, *size).position
    return np.concatenate([rod_segments(table), edge_segments(table, eye)[0]])


def associate_outline(p: np.ndarray, size, table: TableSpec, outline: np.ndarray,
                      gate_px: float | None, corner_margin: float = 0.06) -> LineEvidence:
    """Assign playfield outline points (N, 2) px to the nearest visible boundary line
    (indices 8-15 of ``_segments``).

    Points within ``corner_margin`` of a corner (share of the edge), points a rod may hide
    and, if ``gate_px`` is given, points farther than it from every line are dropped.
    """
    cam = solve.params_to_camera(p, *size)
    segs = _segments(table, p, size)
    visible = edge_segments(table, cam.position)[1]
    n = len(outline)
    d = np.full((8, n), np.inf)
    o, rays = cam.pixel_to_ray(outline) if n else (None, np.zeros((0, 3)))
    for e in np.flatnonzero(visible):
        ev = LineEvidence(outline, np.full(n, 8 + e), np.ones(n))
        dist = np.abs(solve.line_residuals(p, size, segs, ev))
        a = segs[8 + e, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            s = (a[2] - o[2]) / rays[:, 2]
        hit = o + s[:, None] * rays
        axis = 0 if e % 2 == 0 else 1
        along = np.abs(hit[:, axis]) / abs(a[axis])
        d[e] = np.where(along < 1.0 - corner_margin, dist, np.inf)
    # A rod in front of the boundary hides it: drop outline points the rods may cover.
    for i in range(8):
        ev = LineEvidence(outline, np.full(n, i), np.ones(n))
        depth = cam.table_to_camera(segs[i].mean(axis=0, keepdims=True))[0, 2]
        half_px = 0.5 * cam.fx * table.rod_diameter / max(depth, 1e-6)
        d[:, np.abs(solve.line_residuals(p, size, segs, ev)) <= 2 * half_px + 3.0] = np.inf
    best = np.argmin(d, axis=0)
    dist = d[best, np.arange(n)]
    keep = np.isfinite(dist)
    if gate_px is not None:
        keep &= dist < gate_px
    return LineEvidence(outline[keep], 8 + best[keep], np.ones(int(keep.sum())))


def _trace_from_curves(gu, gv, curves, widths, half_window) -> LineEvidence:
    parts = []
    for i, (curve, width) in enumerate(zip(curves, widths)):
        tr = trace_rod(gu, gv, i, curve, width, half_window)
        if len(tr.points):
            keep = tr.strength > 0.3 * np.median(tr.strength)
            parts.append(LineEvidence(tr.points[keep], np.full(int(keep.sum()), i),
                                      np.ones(int(keep.sum()))))
    return LineEvidence.concat(parts)


def _model_rod_curves(camera: Camera, table: TableSpec, n: int = 80):
    ys = np.linspace(-table.half_width, table.half_width, n)
    curves, widths = [], []
    for x in table.rod_x:
        pts = np.column_stack([np.full(n, x), ys, np.full(n, table.rod_height)])
        curves.append(camera.table_to_pixel(pts))
        depth = camera.table_to_camera(pts[n // 2:n // 2 + 1])[0, 2]
        widths.append(camera.fx * table.rod_diameter / depth)
    return curves, widths


NEAR_EDGE_WEIGHT = 0.2  # a rod's points where it runs along a playfield edge (each biases
# the other's measurement)


def _evidence_fun(table, size, ev_rods, outline, gate, p, drop=()):
    """The evidence for parameters ``p`` (rods, and outline points assigned to edges), and
    its weighted residual function. Lines in ``drop`` (indices of ``_segments``) are left
    out."""
    edges = associate_outline(p, size, table, outline, gate)
    if len(drop):
        edges = edges.subset(~np.isin(edges.line, list(drop)))
        ev_rods = ev_rods.subset(~np.isin(ev_rods.line, list(drop)))
    segs = _segments(table, p, size)
    if len(ev_rods):
        cam = solve.params_to_camera(p, *size)
        near = np.zeros(len(ev_rods), bool)
        for e in range(8, 16):
            probe = LineEvidence(ev_rods.points, np.full(len(ev_rods), e), ev_rods.weight)
            d = np.abs(solve.line_residuals(p, size, segs, probe))
            depth = cam.table_to_camera(segs[e].mean(axis=0, keepdims=True))[0, 2]
            near |= d < cam.fx * table.rod_diameter / max(depth, 1e-6) + 3.0
        ev_rods = LineEvidence(ev_rods.points, ev_rods.line,
                               np.where(near, NEAR_EDGE_WEIGHT, ev_rods.weight))
    ev = LineEvidence.concat([ev_rods, edges])
    return ev, (lambda x: ev.weight * solve.line_residuals(x, size, segs, ev))


def _orient(med: np.ndarray, field: Field, table: TableSpec, rank: int = 0):
    """Which pair of the outline's sides are the goal lines: the one across which the rods'
    pattern shows most strongly (``rank`` 1: the other pair). Returns the rods' guess, the
    quad in table-corner order and the playfield-plane homography (table x, y in m -> px)."""
    corners = table.playfield_corners()[:, :2].astype(np.float32)
    hyps = []
    for shift in (0, 1):
        quad = np.roll(field.quad, -shift, axis=0)
        H = cv2.getPerspectiveTransform(corners, quad.astype(np.float32))
        hyps.append((find_rods(med, H, table), quad, H))
    guess, quad, H = sorted(hyps, key=lambda t: -t[0].strength)[rank]
    if guess.score < MIN_ROD_CONTRAST:
        raise ValueError(
            "no rods found across the playfield (rod pattern contrast "
            f"{guess.score:.2f} < {MIN_ROD_CONTRAST}): is this the right table, and is it in "
            "view? Give a calibration points file otherwise")
    return guess, quad, H


def _initial_traces(gu, gv, guess, H: np.ndarray, table: TableSpec) -> LineEvidence:
    """Rods traced along the lines the rectified view found them on."""
    ys = np.linspace(-table.half_width, table.half_width, 80)
    stretch = float(np.median(np.diff(guess.x_plane) / np.diff(table.rod_x)))
    curves, widths = [], []
    for x in guess.x_plane:
        pts = np.column_stack([np.full_like(ys, x), ys, np.ones_like(ys)]) @ H.T
        curves.append(pts[:, :2] / pts[:, 2:])
        # A rod's apparent width is not foreshortened: scale it like lengths along the rod.
        ends = np.array([[x, -0.05, 1.0], [x, 0.05, 1.0]]) @ H.T
        px_per_m = np.linalg.norm(ends[0, :2] / ends[0, 2] - ends[1, :2] / ends[1, 2]) / 0.1
        widths.append(stretch * px_per_m * table.rod_diameter)
    ev = _trace_from_curves(gu, gv, curves, widths, 0.15 * _local_pitch(curves))
    if len(ev) < 20:
        raise ValueError("the rods could not be followed across the playfield: give a "
                         "calibration points file")
    return ev


def _local_pitch(curves) -> float:
    """Median image distance between neighbouring rods' curves, px."""
    return float(np.median([np.median(np.linalg.norm(curves[i + 1] - curves[i], axis=1))
                            for i in range(len(curves) - 1)]))


def _search_pose(ev_rods: LineEvidence, outline: np.ndarray, quad: np.ndarray,
                 table: TableSpec, size) -> np.ndarray:
    """Initial poses from the quad by IPPE for a range of focal lengths, each refined on the
    evidence (pose only); the one that explains the evidence best."""
    w, h = size
    diag = float(np.hypot(w, h))
    corners = table.playfield_corners()
    rods = ev_rods.subset(np.arange(len(ev_rods)) % 3 == 0)
    sparse = outline[::3]
    coarse = 0.02 * diag
    best = None
    for hfov in HFOV_GRID_DEG:
        f = 0.5 * w / np.tan(0.5 * np.radians(hfov))
        K = np.array([[f, 0, 0.5 * (w - 1)], [0, f, 0.5 * (h - 1)], [0, 0, 1.0]])
        n, rvecs, tvecs, _ = cv2.solvePnPGeneric(corners, quad.astype(np.float64), K, None,
                                                  flags=cv2.SOLVEPNP_IPPE)
        for rv, tv in zip(rvecs[:n], tvecs[:n]):
            p = np.concatenate([rv.ravel(), tv.ravel(), [np.log(f), 0.0, 0.0]])
            if solve.params_to_camera(p, w, h).position[2] <= table.wall_height:
                continue
            for _ in range(2):
                _, fun = _evidence_fun(table, size, rods, sparse, None, p)
                p, _ = solve.robust_lm(fun, p, solve.POSE, coarse, iters=15)
            ev, fun = _evidence_fun(table, size, rods, sparse, None, p)
            cost = solve.cauchy_cost(fun(p), np.ones(len(ev)), coarse)
            if best is None or cost < best[0]:
                best = (cost, p)
    if best is None:
        raise ValueError("no camera pose explains the playfield outline: give a calibration "
                         "points file")
    return best[1]


# Lens models tried, simplest first: a more complex one must lower the cost by this factor.
_LENS_MODELS = (solve.POSE_FOCAL, solve.POSE_FOCAL_K1, solve.ALL)
_LENS_GAIN = 0.85


def _fit_lens(fun, p: np.ndarray, scale: float, k1_starts=(None,)) -> np.ndarray:
    """Fit pose and focal length with no distortion, k1, then k1 and k2; keep the simplest
    model that the evidence does not clearly reject.

    Each model starts from the current parameters (its extra coefficients zeroed, weakened
    if the lens check rejects them) and from the simpler model chosen so far;
    ``k1_starts``: more starting values of k1 for the distorted models (None: the current
    one), against the local minima of a strongly distorted lens.
    """
    prior = lambda x: np.array([x[7] / 0.5, x[8] / 0.2])  # noqa: E731
    chosen, chosen_cost = None, np.inf
    for free in _LENS_MODELS:
        starts = []
        for k1 in (k1_starts if free[7] else (None,)):
            start = p.copy()
            start[7:][~free[7:]] = 0.0
            if k1 is not None:
                start[7] = k1
            for _ in range(6):  # a lens the model rejects (k2 dropped): weaken it
                if np.all(np.isfinite(fun(start))):
                    break
                start[7:] *= 0.5
            starts.append(start)
        if chosen is not None:
            starts.append(chosen)
        best = None
        for start in starts:
            q, cost = solve.robust_lm(fun, start, free, scale, iters=30, prior=prior)
            if best is None or cost < best[1]:
                best = (q, cost)
        if chosen is None or best[1] < _LENS_GAIN * chosen_cost:
            chosen, chosen_cost = best
        else:
            break  # the evidence does not ask for this model: nor for a richer one
    return chosen


BIASED_LINE = 2.0  # a line is dropped when its evidence's median offset exceeds this many
# times the fit's scale (and is a clear outlier among the lines): only gross offsets; a
# lower threshold (0.6) dropped good rods and made the rendered scenarios worse on average
MAX_DROPPED_RODS = 2


def _biased_lines(p: np.ndarray, size, table: TableSpec, ev: LineEvidence,
                  scale: float) -> tuple[int, ...]:
    """Lines (indices of ``_segments``) whose evidence is offset from the fitted model as a
    whole: their median signed residual is far beyond the scale and the other lines'."""
    segs = _segments(table, p, size)
    r = solve.line_residuals(p, size, segs, ev)
    lines = [i for i in np.unique(ev.line) if np.count_nonzero(ev.line == i) >= 10]
    if len(lines) < 4:
        return ()
    off = {i: abs(float(np.median(r[ev.line == i]))) for i in lines}
    typical = float(np.median(list(off.values())))
    bad = sorted((i for i in lines if off[i] > max(BIASED_LINE * scale, 4 * typical)),
                 key=lambda i: -off[i])
    rods = [i for i in bad if i < 8][:MAX_DROPPED_RODS]
    edges = [i for i in bad if i >= 8]
    kept_edges = sum(1 for i in lines if i >= 8) - len(edges)
    return tuple(sorted(rods + (edges if kept_edges >= 2 else [])))


TOP_LINES = (12, 13, 14, 15)  # the walls' top edges among ``_segments``
FEET_ONLY_GAIN = 0.8  # the feet-only fit must lower the overall cost by this factor


def _refine(gu, gv, ev_rods, outline, table, size, p, drop, log):
    """Lens, then rods re-traced along the model and the fit refined, at shrinking scales.
    Lines in ``drop`` are left out. Returns the parameters, rod traces, evidence and scale."""
    w, h = size
    diag = float(np.hypot(w, h))
    _, fun = _evidence_fun(table, size, ev_rods, outline, 0.06 * diag, p, drop)
    p = _fit_lens(fun, p, 0.01 * diag, k1_starts=(0.0, -0.15, -0.3))
    if log is not None:
        log.append(("lens", p, ev_rods))
    for scale, window in ((0.01 * diag, 0.2), (0.003 * diag, 0.08), (0.0015 * diag, 0.05)):
        curves, widths = _model_rod_curves(solve.params_to_camera(p, w, h), table)
        ev_rods = _trace_from_curves(gu, gv, curves, widths,
                                     max(3.0, window * _local_pitch(curves)))
        ev, fun = _evidence_fun(table, size, ev_rods, outline, 3 * scale, p, drop)
        p = _fit_lens(fun, p, scale)
        if log is not None:
            log.append(("refine", p, ev))
    return p, ev_rods, ev, scale


def _overall_cost(gu, gv, outline, table, size, p) -> float:
    """How well parameters ``p`` explain all the evidence: rods traced along the model and
    every outline point on its nearest boundary line, none gated away (a false fit leaves
    part of the outline unexplained), robust cost at a fine scale per point."""
    w, h = size
    diag = float(np.hypot(w, h))
    curves, widths = _model_rod_curves(solve.params_to_camera(p, w, h), table)
    ev_rods = _trace_from_curves(gu, gv, curves, widths, max(3.0, 0.05 * _local_pitch(curves)))
    ev, fun = _evidence_fun(table, size, ev_rods, outline, None, p)
    if not len(ev):
        return np.inf
    return solve.cauchy_cost(fun(p), np.ones(len(ev)), 0.003 * diag) / len(ev)



def long_sides_explained(p: np.ndarray, size, table: TableSpec, outline: np.ndarray) -> float:
    """``Fit.outline_explained`` of parameters ``p`` (9,) for outline points (N, 2) px."""
    diag = float(np.hypot(*size))
    every = associate_outline(p, size, table, outline, None)
    explained = solve.pixel_distances(p, size, _segments(table, p, size), every) \
        < INLIER_PX * max(1.0, diag / 1500)
    least = 1.0
    for side in (0, 2):  # y = -W/2, +W/2: the walls' feet (8, 10) or tops (12, 14)
        on = np.isin(every.line, (8 + side, 12 + side))
        if np.count_nonzero(on) >= MIN_SIDE_POINTS:
            least = min(least, float(explained[on].mean()))
    return least


def fit_camera(frames: list[np.ndarray], table: TableSpec, seed: int = 0,
               log: list | None = None, orientation: int = 0, rod_shift: int = 0) -> Fit:
    """Fit the camera to frames of a table (see the module docstring).

    Args:
        frames: K (H, W, 3) uint8 BGR frames from one fixed camera.
        table: the table seen.
        seed: seed of the colour clustering.
        log: if given, (stage name, parameters, evidence) tuples are appended (debugging).
        orientation: 0 to take the goal lines across which the rods show most strongly, 1
            for the other pair of the outline's sides (a second try when the first fails).
        rod_shift: the rods found in the rectified view taken as the table's rods this many
            places further along x (-1, +1: when the playfield found stops short at one end,
            e.g. at a rod whose men cut off the strip behind it, the rods' pattern is found
            one rod off; ``fit_camera_best`` tries both).

    Raises:
        ValueError: no playfield or rods in view.
    """
    frames = main_view_frames(frames)
    med = median_image(frames)
    h, w = med.shape[:2]
    size = (w, h)
    diag = float(np.hypot(w, h))
    field = find_field(med, seed)
    gu, gv = gradients(med)
    outline = refine_outline(field.outline, gu, gv, field.on_edge)
    guess, quad, H = _orient(med, field, table, orientation)
    ev_rods = _initial_traces(gu, gv, guess, H, table)
    if rod_shift:
        line = ev_rods.line + rod_shift
        ok = (line >= 0) & (line < len(table.rods))
        ev_rods = LineEvidence(ev_rods.points[ok], line[ok], ev_rods.weight[ok])
    p = _search_pose(ev_rods, outline, quad, table, size)
    if log is not None:
        log.append(("search", p, ev_rods))
    # Focal length and distortion on the first traces, then rods re-traced along the model;
    # once letting the outline be either the walls' feet or their tops, once only their feet
    # (an overhead view with a strong lens has a false minimum where one side's outline is
    # taken for a wall's top, the camera too low and the focal length too short): the one
    # that explains all the evidence clearly best (the first unless the second gains
    # ``FEET_ONLY_GAIN``: where both are right they differ by noise).
    best = None
    for drop_tops in ((), TOP_LINES):
        q, ev_r, ev, scale = _refine(gu, gv, ev_rods, outline, table, size, p, drop_tops, log)
        cost = _overall_cost(gu, gv, outline, table, size, q)
        if log is not None:
            log.append(("candidate", q, cost))
        if best is None or cost < FEET_ONLY_GAIN * best[0]:
            best = (cost, q, ev_r, ev, scale)
    _, p, ev_rods, ev, scale = best

    # Lines whose evidence sits off the model as a whole (a rod traced along its lit half,
    # an outline that bleeds into a shaded wall) pull the fit: drop them and fit again.
    drop = _biased_lines(p, size, table, ev, scale)
    if drop:
        ev, fun = _evidence_fun(table, size, ev_rods, outline, 3 * scale, p, drop)
        p = _fit_lens(fun, p, scale)
        if log is not None:
            log.append(("unbiased", p, ev))

    cam = solve.params_to_camera(p, w, h)
    segs = _segments(table, p, size)
    ev, _ = _evidence_fun(table, size, ev_rods, outline, 0.01 * diag, p, drop)
    dist = solve.pixel_distances(p, size, segs, ev)
    inl = dist < INLIER_PX * max(1.0, diag / 1500)
    rms = float(np.sqrt(np.mean(dist[inl] ** 2))) if inl.any() else float("inf")
    rods_seen = sum(int(np.sum(inl & (ev.line == i))) >= 10 for i in range(8))
    frac = float(inl.mean()) if len(ev) else 0.0
    edge = ev.line >= 8
    edge_frac = float(inl[edge].mean()) if np.count_nonzero(edge) >= MIN_EDGE_POINTS else 0.0
    outline_frac = long_sides_explained(p, size, table, outline)
    return Fit(cam, rms, frac, rods_seen, edge_frac, outline_frac, ev, dist, field, med)


def check_fit(fit: Fit, table: TableSpec) -> None:
    """Raise ValueError when a fit is too poor to trust."""
    diag = float(np.hypot(fit.camera.width, fit.camera.height))
    max_rms = MAX_ERROR_PX_PER_1000 * diag / 1000
    pos = fit.camera.position
    problems = []
    if fit.rods_seen < MIN_RODS:
        problems.append(f"only {fit.rods_seen} of 8 rods fit the model")
    if fit.inlier_fraction < MIN_INLIER_FRACTION:
        problems.append(f"only {100 * fit.inlier_fraction:.0f} % of the edges found fit it")
    if fit.edge_inlier_fraction < MIN_EDGE_INLIERS:
        problems.append("the playfield's outline does not fit it "
                        f"({100 * fit.edge_inlier_fraction:.0f} % of it)")
    if fit.outline_explained < MIN_OUTLINE_EXPLAINED:
        problems.append("a long side of the playfield's outline does not fit it "
                        f"({100 * fit.outline_explained:.0f} % of it)")
    if not fit.rms_px <= max_rms:
        problems.append(f"reprojection error {fit.rms_px:.2f} px > {max_rms:.2f} px")
    if pos[2] < table.wall_height + 0.1:
        problems.append(f"the camera would be {pos[2]:.2f} m above the playfield")
    if abs(fit.camera.dist[0]) > 1.0:
        problems.append(f"implausible lens distortion k1 = {fit.camera.dist[0]:.2f}")
    if problems:
        raise ValueError("calibration does not fit the table: " + "; ".join(problems)
                         + " (check --table, or give a calibration points file)")


def fit_problems(fit: Fit, table: TableSpec) -> str | None:
    """Why a fit is too poor to trust (``check_fit``'s message), or None."""
    try:
        check_fit(fit, table)
    except ValueError as exc:
        return str(exc)
    return None


ROD_SHIFTS = (0, 1, -1)  # rod label shifts tried, in order (see ``fit_camera``)


def fit_camera_best(frames: list[np.ndarray], table: TableSpec, seed: int = 0) -> Fit:
    """The fit that explains the frames best among the hypotheses ``fit_camera`` can take.

    The goal lines are taken across the rods' strongest pattern, or else along the other
    pair of the outline's sides (when the first fit fails ``check_fit``). A fit that passes
    the check but does not see every rod may be one rod off (the playfield found stops short
    at one end): the rods found are then taken one place either way (``rod_shift``), and a
    shifted fit that passes the check and sees more rods wins (then the one explaining more
    of the outline): one rod off leaves a rod projected where the image shows none. Shifts
    are never tried on a fit that fails the check (a part of a table must stay refused).

    Raises:
        ValueError: no hypothesis passes the check (the first one's reason is told).
    """
    frames = main_view_frames(list(frames))
    first_error: str | None = None
    for orientation in (0, 1):
        try:
            fit = fit_camera(frames, table, seed=seed, orientation=orientation)
            problem = fit_problems(fit, table)
        except ValueError as exc:
            problem = str(exc)
        if problem is not None:
            first_error = first_error or problem
            continue
        best = fit
        for shift in ROD_SHIFTS:
            if shift == 0 or best.rods_seen == len(table.rods):
                continue
            try:
                other = fit_camera(frames, table, seed=seed, orientation=orientation,
                                   rod_shift=shift)
            except (ValueError, cv2.error):  # a shifted rod may fall off the image
                continue
            if fit_problems(other, table) is None and \
                    (other.rods_seen, other.edge_inlier_fraction) > \
                    (best.rods_seen, best.edge_inlier_fraction) and \
                    other.rods_seen > fit.rods_seen:
                best = other
        return best
    raise ValueError(first_error or "calibration does not fit the table")
