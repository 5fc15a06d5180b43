"""Stills of one folder judged against the folder's background, on synthetic truth."""

from dataclasses import replace

import numpy as np
import pytest

from reconstruct.ball_folder import (
    FOLDER_THRESHOLD,
    MIN_IMAGES,
    FolderBackground,
    FolderBallDetector,
)
from reconstruct.ball_synth import composite_ball, draw_table

R = 7.0


@pytest.fixture(scope="module")
def folder():
    """A folder of 12 stills of one table, the ball somewhere else on each but the last."""
    table = draw_table(640, 480, R, seed=3)
    rng = np.random.default_rng(11)
    uv = np.column_stack([rng.uniform(60, 580, 11), rng.uniform(60, 420, 11)])
    stills = [composite_ball(table.image, u, v, R, rng=rng) for u, v in uv]
    stills.append(composite_ball(table.image, 0, 0, 0.0, rng=rng))  # no ball
    return table, uv, stills


@pytest.fixture(scope="module")
def background(folder):
    return FolderBackground.from_images(folder[2], R)


def test_background_is_the_table_without_the_ball(folder, background):
    table, uv, stills = folder
    bg = background
    assert bg is not None and bg.n_images == len(stills)
    diff = np.abs(bg.image.astype(int) - table.image.astype(int))
    assert np.percentile(diff, 99.9) <= 6  # only the noise left, no ball anywhere


def test_each_still_finds_its_ball_and_the_empty_one_none(folder, background):
    table, uv, stills = folder
    det = FolderBallDetector(background, expected_radius_px=R)
    for (u, v), img in zip(uv, stills):
        c = det.detect(img)
        assert c.score[0] >= FOLDER_THRESHOLD, (u, v, c.score[:3])
        assert np.hypot(c.u[0] - u, c.v[0] - v) < 1.0
    empty = det.detect(stills[-1])
    assert not len(empty) or empty.score[0] < FOLDER_THRESHOLD, empty.score


def test_painted_spots_are_background(folder, background):
    # a still detector alone may take a spot for a ball; against the background it is none
    table, uv, stills = folder
    det = FolderBallDetector(background, expected_radius_px=R)
    c = det.detect(stills[-1])
    near_spot = [np.hypot(c.u - su, c.v - sv).min() < R for su, sv in table.spot_points] \
        if len(c) else []
    assert not len(c) or all(c.score[np.hypot(c.u - su, c.v - sv) < R].max(initial=0)
                             < FOLDER_THRESHOLD for su, sv in table.spot_points), near_spot


def test_half_hidden_ball_is_found(folder, background):
    table, uv, stills = folder
    det = FolderBallDetector(background, expected_radius_px=R)
    u, v = 250.4, 180.6  # on the plain field (on a white marking the ball shows less)
    occ = np.zeros(table.image.shape[:2], bool)
    occ[170:192, 252:264] = True  # something dark over the right part of the ball
    img = composite_ball(table.image, u, v, R, occluder=occ, rng=np.random.default_rng(2))
    img[occ] = (30, 28, 32)
    c = det.detect(img)
    assert c.score[0] >= FOLDER_THRESHOLD and np.hypot(c.u[0] - u, c.v[0] - v) < 3.0


def test_another_view_and_small_folders_fall_back_to_the_still_alone(folder, background):
    table, uv, stills = folder
    assert FolderBackground.from_images(stills[:MIN_IMAGES - 1], R) is None
    det = FolderBallDetector(background, expected_radius_px=R)
    alone = FolderBallDetector(None, expected_radius_px=R)
    other = 255 - stills[0]  # another scene: nothing matches the background
    a, b = det.detect(other), alone.detect(other)
    assert np.allclose(a.u, b.u) and np.allclose(a.score, b.score)
    with pytest.raises(ValueError, match="uint8"):
        det.detect(np.zeros((480, 640), np.uint8))


def test_ball_colour_is_learned_from_the_folder_and_rejects_other_white_things():
    # a cream ball (as real balls are): its chromaticity comes from the folder's own
    # confident balls; then a neutral white disc (a chrome part, a highlight on a man) that
    # looks like a ball by whiteness alone is no ball
    cream = (200, 228, 235)  # BGR; Lab (a, b) = (126, 143)
    table = draw_table(640, 480, R, seed=3)
    rng = np.random.default_rng(11)
    uv = np.column_stack([rng.uniform(60, 580, 10), rng.uniform(60, 420, 10)])
    stills = [composite_ball(table.image, u, v, R, colour=cream, rng=rng) for u, v in uv]
    bg = FolderBackground.from_images(stills, R)
    assert bg.ball_ab is not None and np.hypot(bg.ball_ab[0] - 126, bg.ball_ab[1] - 143) < 3
    u, v = 250.4, 180.6
    own = composite_ball(table.image, u, v, R, colour=cream, rng=np.random.default_rng(2))
    grey = composite_ball(table.image, u, v, R, colour=(240, 240, 240),
                          rng=np.random.default_rng(2))
    det = FolderBallDetector(bg, expected_radius_px=R)
    blind = FolderBallDetector(replace(bg, ball_ab=None), expected_radius_px=R)
    c = det.detect(own)
    assert c.score[0] >= FOLDER_THRESHOLD and np.hypot(c.u[0] - u, c.v[0] - v) < 1.0
    assert det.detect(grey).score.max(initial=0) < FOLDER_THRESHOLD
    assert blind.detect(grey).score[0] >= FOLDER_THRESHOLD  # by whiteness alone it would be


def test_track_stills_writes_each_still_in_natural_order(tmp_path, german):
    """``track_stills`` on a folder of drawn stills: rows in natural file order, each still's
    ball where it was drawn, none where there is none."""
    import csv

    import cv2

    from reconstruct.calibration.model import Calibration
    from reconstruct.sources import ImageFolderSource
    from reconstruct.track import track_stills
    from sim.camera import Camera
    from tests.reconstruct.drawn_table import draw_table as draw_real_table

    cam = Camera.looking_at(640, 480, [0.0, 0.0, 1.35], [0.0, 0.0, 0.0], 62)
    rng = np.random.default_rng(5)
    shifts, angles = np.zeros(8), np.zeros(8)
    folder = tmp_path / "stills"
    folder.mkdir()
    truth = {}
    for i in range(1, 13):
        ball = None
        if i not in (3, 10):  # two stills without a ball
            # between the rods (x), away from the walls (y): a ball no man hides
            x = rng.choice([-0.44, -0.29, -0.15, 0.0, 0.15, 0.29, 0.44]) + 0.04
            ball = (x, rng.uniform(-0.25, 0.25), german.ball.radius)
        img = draw_real_table(german, cam, shifts, angles, ball=ball)
        img = np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)
        cv2.imwrite(str(folder / f"{i}.png"), img)
        truth[f"{i}.png"] = ball
    cal = Calibration(cam, german.name, 0.0, "points")
    with pytest.warns(UserWarning, match="no colour for one team"):
        track_stills(ImageFolderSource(folder), tmp_path / "out", german, cal, progress=False)
    rows = list(csv.DictReader((tmp_path / "out" / "frames.csv").open()))
    assert [r["source"] for r in rows] == [f"{i}.png" for i in range(1, 13)]
    for r in rows:
        ball = truth[r["source"]]
        if ball is None:
            assert r["ball_state"] == "out", r
        else:
            assert r["ball_state"] != "out", r
            err = np.hypot(float(r["ball_x"]) - ball[0], float(r["ball_y"]) - ball[1])
            assert err < 0.003, (r["source"], err)  # m
