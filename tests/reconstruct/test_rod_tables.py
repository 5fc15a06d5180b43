"""The rod reader's and men view's tables against plain one-angle-at-a-time references."""

import cv2
import numpy as np
import pytest

from reconstruct.men_view import N_BINS, MenView
from reconstruct.rods import N_ANGLES, RodReader, _pixel_footprint, _project_onto_plane, angle_bins
from sim.camera import Camera
from sim.men import man_parts, man_to_table, part_vertices
from tests.reconstruct.drawn_table import colour_mask

CAMERAS = {
    "overhead": Camera.looking_at(640, 480, [0.0, 0.0, 1.35], [0.0, 0.0, 0.0], 62),
    # oblique: men lean, and parts of the goalies' strips are out of the image
    "oblique": Camera.looking_at(1280, 720, [0.9, -0.4, 1.0], [0, 0, 0], 60, up=(-1, 0, 0)),
    # low from the side: the outer men swung up stretch past their strips' ends
    "side": Camera.looking_at(1280, 720, [0.0, -1.2, 0.6], [0, 0, 0], 70),
}


def _reference_silhouettes(reader, i, x0, y0, nx, ny, step, valid):
    """Each man at each angle bin rasterised on its own, as the reader's tables mean."""
    t = reader.table
    rod = t.rods[i]
    verts = [part_vertices(p, segments=10) for p in man_parts(t)]
    sizes = np.cumsum([0] + [len(v) for v in verts])
    allv = np.concatenate(verts)
    ss = 4
    scale = ss / step
    er = int(round(reader.edge_loss_px * _pixel_footprint(reader.camera, t, rod.x) * scale))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * er + 1, 2 * er + 1))
    lut = np.zeros((rod.men, N_ANGLES, nx), np.float32)
    comb = np.zeros(ny)
    for m in range(rod.men):
        for k, a in enumerate(angle_bins()):
            R, tr = man_to_table(t, i, m, 0.0, a)
            p = _project_onto_plane(allv @ R.T + tr, reader.camera.position, t.rod_height)
            px = np.column_stack([(p[:, 0] - x0) * scale + 0.5 * (ss - 1),
                                  (p[:, 1] - y0) * scale + 0.5 * (ss - 1)])
            r0 = max(0, int(np.floor(px[:, 1].min() / ss)) * ss)
            r1 = min(ny * ss, (int(np.ceil(px[:, 1].max() / ss)) + 1) * ss)
            if r1 <= r0:
                continue
            img = np.zeros((r1 - r0, nx * ss), np.uint8)
            px[:, 1] -= r0
            pts = (px * 16).astype(np.int32)
            for q in range(len(verts)):
                hull = cv2.convexHull(pts[sizes[q]:sizes[q + 1]])
                cv2.fillConvexPoly(img, hull, 1, lineType=cv2.LINE_8, shift=4)
            if er > 0:
                img = cv2.erode(img, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
            img = img.reshape((r1 - r0) // ss, ss, nx, ss).sum(axis=(1, 3)) / float(ss * ss)
            img *= valid[r0 // ss: r1 // ss]
            lut[m, k] = img.sum(axis=0)
            if k == N_ANGLES // 2:
                comb[r0 // ss: r1 // ss] += img.sum(axis=1)
    return lut, comb


@pytest.mark.parametrize("view", CAMERAS)
def test_silhouette_tables_match_one_angle_at_a_time(german, view):
    reader = RodReader(german, CAMERAS[view], colour_mask(), edge_loss_px=0.5)
    assert reader._strips[0].lut.any()
    for i in (0, 3, 7):  # a goalie, a midfield and the far goalie
        st = reader._strips[i]
        ny, nx = st.valid.shape
        lut, comb = _reference_silhouettes(reader, i, st.x0, st.y0, nx, ny, st.step, st.valid)
        np.testing.assert_array_equal(st.lut, lut)
        np.testing.assert_array_equal(st.comb, comb)


@pytest.mark.parametrize("view", CAMERAS)
def test_hiding_boxes_match_one_angle_at_a_time(german, view):
    cam = CAMERAS[view]
    mv = MenView(german, cam)
    verts = np.concatenate([part_vertices(p, 8) for p in man_parts(german)])
    r = german.ball.radius
    for k in (0, 5, len(mv.rod_of_man) - 1):
        rod, y0 = int(mv.rod_of_man[k]), mv._offset[k]
        for b in range(0, N_BINS, 7):
            R, tr = man_to_table(german, rod, 0, 0.0, b * 2 * np.pi / N_BINS)
            p = verts @ R.T + np.array([tr[0], y0, tr[2]])
            d = p - cam.position
            p = cam.position + ((r - cam.position[2]) / d[:, 2])[:, None] * d
            want = [p[:, 0].min(), p[:, 0].max(), p[:, 1].min() - y0, p[:, 1].max() - y0]
            np.testing.assert_array_equal(mv._boxes[k, b], want)


def test_a_tilted_man_whose_toe_touches_a_ball_can_hold_it(german):
    """A foot counts as low (it can strike or hold the ball) at every angle at which the 3D
    man's lowest point is within 5 mm of a ball's top: also a man tilted by 60 degrees,
    whose toe pins a ball under it."""
    mv = MenView(german, CAMERAS["overhead"])
    verts = np.concatenate([part_vertices(p, 8) for p in man_parts(german)])
    for b in range(0, N_BINS, 3):
        R, tr = man_to_table(german, 2, 0, 0.0, b * 2 * np.pi / N_BINS)
        want = (verts @ R.T + tr)[:, 2].min() < german.ball.diameter + 0.005
        assert mv._low[b] == want, b
    assert mv._low[N_BINS // 6] and mv._low[-N_BINS // 6]  # +-60 degrees
    assert not mv._low[N_BINS // 4]  # lying flat: the feet are up at the rod's height


def test_a_fast_turning_rod_gives_strike_points_at_the_bottom_of_its_swing(german):
    """A rod turning fast (a strike, read lagging or as its twin over the top) gets strike
    points for each of its men around the bottom of the swing, whatever angle is read; a
    slow or unknown turn gives none."""
    mv = MenView(german, CAMERAS["overhead"])
    shifts, angles = np.zeros(8), np.full(8, 3.0)  # every man read upside down
    assert len(mv.context(shifts, angles).strikes) == 0
    spin = np.zeros(8)
    spin[5] = 60.0  # rad/s
    assert len(mv.context(shifts, angles, spin * 0.1).strikes) == 0
    ctx = mv.context(shifts, angles, spin)
    rod = german.rods[5]
    assert len(ctx.strikes) == 3 * rod.men
    assert not ctx.feet_low.any()
    np.testing.assert_allclose(np.sort(np.unique(ctx.strikes[:, 1])), np.sort(rod.man_offsets))
    assert np.abs(ctx.strikes[:, 0] - rod.x).max() < german.man_reach
    assert np.isclose(np.median(ctx.strikes[:, 0]), rod.x)
@pytest.mark.parametrize("view", CAMERAS)
def test_men_outlines_cover_every_point_of_every_man(german, view):
    """``MenView.outlines`` draws each man where the camera sees his points (its own
    projection is OpenCV's, lens distortion included), in any box as in the whole image,
    and nothing far from the men."""
    from dataclasses import replace

    cam = replace(CAMERAS[view], dist=(-0.2, 0.05, 0.001, -0.001, 0.0))
    mv = MenView(german, cam)
    rng = np.random.default_rng(4)
    verts = np.concatenate([part_vertices(p, 8) for p in man_parts(german)])
    shape = (cam.height, cam.width)
    for _ in range(3):
        shifts, angles = rng.uniform(-0.08, 0.08, 8), rng.uniform(-np.pi, np.pi, 8)
        out = mv.outlines(shifts, angles)
        full = out.draw(shape)
        uv = []
        for k, rod in enumerate(mv.rod_of_man):
            b = round(np.mod(angles[rod], 2 * np.pi) / (2 * np.pi) * N_BINS) % N_BINS
            R, tr = man_to_table(german, int(rod), int(mv.man_index[k]), shifts[rod],
                                 b * 2 * np.pi / N_BINS)
            uv.append(cam.table_to_pixel(verts @ R.T + tr))
        uv = np.concatenate(uv)
        iu, iv = np.rint(uv).astype(int).T
        seen = (iu >= 1) & (iu < shape[1] - 1) & (iv >= 1) & (iv < shape[0] - 1)
        grown = cv2.dilate(full, np.ones((3, 3), np.uint8))
        assert grown[iv[seen], iu[seen]].all()
        # the men cover a small part of the image, none of it far from their points
        far = np.ones(shape, np.uint8)
        for u, v in zip(iu[seen], iv[seen]):
            far[max(v - 40, 0):v + 40, max(u - 40, 0):u + 40] = 0
        assert not (full & far).any() and 0.005 < full.mean() < 0.3
        # a box drawn alone matches the whole image's drawing (OpenCV rasterises an outline
        # cut by the box a little differently: a pixel here and there on its edges)
        for y in range(0, shape[0], 97):
            for x in range(0, shape[1], 131):
                box = (y, min(y + 60, shape[0]), x, min(x + 60, shape[1]))
                part = out.draw(shape, box)
                want = full[box[0]:box[1], box[2]:box[3]]
                assert (part[1:-1, 1:-1] != want[1:-1, 1:-1]).sum() <= 10
        # shrunk: the whole drawing eroded
        shrunk = cv2.erode(full, np.ones((5, 5), np.uint8))
        box = (100, 300, 200, 500)
        part = out.draw(shape, box, shrink=2)
        assert (part != shrunk[100:300, 200:500]).sum() <= 10 and part.sum() < full[
            100:300, 200:500].sum()
