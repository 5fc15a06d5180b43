"""Synthetic footage: the truth matches the picture, the video matches the record."""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from sim.camerasettings import CameraSettings
from sim.filming import film_scripted, make_shot
from sim.record import read_record
from sim.scenarios import SCENARIOS
from sim.scripted import exposure_states, make_script
from sim.state import TableState
from sim.table import load_table

QUIET = {"full_well": 0.0, "softness": 0.0, "vignetting": 0.0}


@pytest.fixture(scope="module")
def ctx():
    from sim.glutil import OffscreenContext

    try:
        context = OffscreenContext()
    except RuntimeError as exc:
        pytest.skip(f"no offscreen OpenGL: {exc}")
    yield context
    context.close()


def footage(tmp_path, ctx, table, name="v.mp4", look=None, **camera):
    from sim.footage import Footage

    return Footage(tmp_path / name, table, CameraSettings(**camera), look, context=ctx)


def film(f, script, frames, fps=None):
    fps = fps or f.settings.fps
    rows = []
    for i in range(frames):
        rows.append(f.film(i, i / fps, exposure_states(script, i / fps, f.exposure)))
    return rows


def ball_images(tmp_path, ctx, table, states, t, **camera):
    """Truth, and the frames with a white and with a black ball (linear light, (H, W))."""
    from sim.look import Look
    from sim.sensor import srgb_decode

    frames = []
    for colour in ("white", "black"):
        f = footage(tmp_path, ctx, table, look=Look(ball=colour), **camera)
        truth = f.film(0, t, states)
        frames.append(srgb_decode(f.last_frame / 255.0).sum(axis=2))
        f.close()
    return truth, frames[0], frames[1]


def ball_mask(tmp_path, ctx, table, states, t, **camera):
    """The ball's silhouette in the final image: where a white ball and a black one differ
    (shading, shadows and the background are the same in both)."""
    truth, white, black = ball_images(tmp_path, ctx, table, states, t, **camera)
    return truth, (white - black) > 0.05


@pytest.mark.parametrize("camera", [
    {},
    {"height": 0.70, "hfov_deg": 74.0, "dist": (-0.30, 0.09, 0.0004, -0.0003, -0.012)},
    {"height": 1.2, "tilt_deg": 30.0, "yaw_deg": 90.0, "roll_deg": 3.0, "look_at": (0.1, 0.05)},
], ids=["overhead", "wide_angle", "tilted"])
def test_still_ball_is_drawn_where_the_truth_says(tmp_path, ctx, german, camera):
    still = make_script("still", german)(0.0)
    truth, mask = ball_mask(tmp_path, ctx, german, [still], 0.0, **QUIET, **camera)
    v, u = np.nonzero(mask)
    assert len(u) > 50
    # the silhouette's centre is the projected centre (a sphere's outline is symmetric to
    # within far less than this for a ball this small)
    assert np.hypot(u.mean() - truth["ball_u"], v.mean() - truth["ball_v"]) < 0.35
    assert truth["ball_visibility"] == pytest.approx(1.0)
    assert truth["ball_blur_px"] == 0.0


def test_saved_camera_reprojects_the_truth_within_0_1_px(tmp_path, german):
    shot = make_shot("tilted", camera={"width": 320, "height_px": 180, **QUIET})
    rec = read_record(film_scripted(shot, tmp_path / "rec", "still", seconds=3 / 120))
    cam = rec.meta["camera"]
    uv, _ = cv2.projectPoints(rec.ball_xyz, np.array(cam["rvec"]), np.array(cam["tvec"]),
                              np.array(cam["camera_matrix"]), np.array(cam["dist_coeffs"]))
    assert np.abs(uv.reshape(-1, 2) - rec.ball_uv).max() < 0.1


@pytest.mark.parametrize("codec", ["mp4v", "mjpg"])
def test_video_has_one_frame_per_record_row(tmp_path, codec):
    shot = make_shot("clean", camera={"width": 160, "height_px": 120, "codec": codec})
    out = film_scripted(shot, tmp_path / "rec", "match", seconds=0.1)
    rec = read_record(out)
    cap = cv2.VideoCapture(str(out / rec.meta["video"]["file"]))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == rec.n_frames == rec.meta["frames"] == 12


def test_same_inputs_give_the_same_video(tmp_path):
    shot = make_shot("clean", camera={"width": 160, "height_px": 120})
    a = film_scripted(shot, tmp_path / "a", "match", seconds=0.05, seed=3)
    b = film_scripted(shot, tmp_path / "b", "match", seconds=0.05, seed=3)
    assert (a / "video.mp4").read_bytes() == (b / "video.mp4").read_bytes()
    assert (a / "frames.csv").read_bytes() == (b / "frames.csv").read_bytes()


def test_noise_depends_on_the_seed(tmp_path, ctx, german):
    frames = []
    for seed in (1, 1, 2):
        f = footage(tmp_path, ctx, german, width=160, height_px=120, seed=seed)
        film(f, make_script("still", german), 1)
        frames.append(f.last_frame.copy())
        f.close()
    assert np.array_equal(frames[0], frames[1])
    assert not np.array_equal(frames[0], frames[2])


def test_visibility_is_zero_under_a_man_and_one_in_the_open(tmp_path, ctx, german):
    hidden = make_script("under_man", german)(0.0)
    # a camera close above the man lying flat over the ball: he fills its view of the ball
    f = footage(tmp_path, ctx, german, width=320, height_px=240, hfov_deg=90.0, height=0.2,
                look_at=tuple(hidden.ball[:2]))
    assert f.visibility(hidden) < 0.02
    rod = int(np.flatnonzero(hidden.angles)[0])
    moved = replace(hidden, shifts=np.where(np.arange(8) == rod, german.rods[rod].travel, 0.0))
    assert f.visibility(moved) > 0.99  # the rod slid the man away: the ball is in the open
    f.close()
    f = footage(tmp_path, ctx, german, width=320, height_px=240)
    still = make_script("still", german)(0.0)
    assert f.visibility(still) == pytest.approx(1.0)
    # half behind the rod seen from the side: partly hidden
    rod = german.rods[3]
    behind = replace(still, ball=np.array([rod.x, 0.2, german.rod_height]))
    f.close()
    f = footage(tmp_path, ctx, german, width=320, height_px=240, height=german.rod_height + 0.4,
                tilt_deg=70.0, yaw_deg=0.0, look_at=(rod.x, 0.0))
    assert 0.05 < f.visibility(behind) < 0.95
    f.close()


def test_ball_in_play_but_unseen_is_hidden(tmp_path, ctx, german):
    hidden = make_script("under_man", german)
    f = footage(tmp_path, ctx, german, width=160, height_px=120, hfov_deg=90.0, height=0.2,
                look_at=tuple(hidden(0.0).ball[:2]))
    rows = film(f, hidden, 1)
    f.close()
    assert rows[0]["ball_state"] == "hidden"
    out = TableState(0.0, hidden(0.0).ball, np.zeros(3), np.zeros(8), np.zeros(8), False)
    f = footage(tmp_path, ctx, german, width=160, height_px=120)
    assert f.film(0, 0.0, [out])["ball_state"] == "out"
    f.close()


def test_a_fast_ball_leaves_a_streak_as_long_as_its_path(tmp_path, ctx, german):
    script = make_script("shot", german)  # 10 m/s along +x, image u, between the men
    r3, r2 = german.rods[3].x, german.rods[2].x
    t = (0.5 * (r2 + r3) + 0.45) / 10.0  # mid-exposure between two rods: nothing in front
    moving = exposure_states(script, t, 1 / 120)

    def profile(states):
        truth, white, black = ball_images(tmp_path, ctx, german, states, t, **QUIET,
                                          exposure=1 / 120)
        v = int(round(truth["ball_v"]))
        p = (white - black)[v - 12:v + 13].sum(axis=0)  # the ball integrated across rows
        u = np.arange(len(p))
        mean = (p * u).sum() / p.sum()
        return truth, mean, (p * (u - mean) ** 2).sum() / p.sum()

    truth, centre, var = profile(moving)
    _, _, var_still = profile([script(t)])
    f = footage(tmp_path, ctx, german, **QUIET)
    depth = f.pinhole.position[2] - german.ball.radius
    f.close()
    assert truth["ball_blur_px"] == pytest.approx(10.0 / 120 * f.pinhole.fx / depth, rel=0.01)
    # blur is the picture convolved with the path: variances add, a box of length L has L^2/12
    assert np.sqrt(12 * (var - var_still)) == pytest.approx(truth["ball_blur_px"], rel=0.05)
    assert centre == pytest.approx(truth["ball_u"], abs=0.5)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_scenario_renders(tmp_path, ctx, name):
    from sim.footage import Footage

    sc = SCENARIOS[name]
    table = load_table(sc.table)
    cam = replace(sc.camera, width=sc.camera.width // 2, height_px=sc.camera.height_px // 2)
    f = Footage(tmp_path / "v.mp4", table, cam, sc.look, context=ctx)
    rows = film(f, make_script("match", table, seed=1), 3)
    frame = f.last_frame
    f.close()
    assert frame.shape == (cam.height_px, cam.width, 3)
    assert frame.std() > 10  # a picture, not a blank
    for r in rows:
        assert 0 <= r["ball_u"] < cam.width and 0 <= r["ball_v"] < cam.height_px
        assert 0.0 <= r["ball_visibility"] <= 1.0


def test_many_blur_samples_still_fit(tmp_path, ctx, german):
    f = footage(tmp_path, ctx, german, width=160, height_px=120, exposure=1 / 120,
                max_blur_samples=250, blur_step_px=0.01, ball_blur_step_px=0.01)
    rows = film(f, make_script("match", german, seed=5), 2)
    f.close()
    assert all(0 <= r["ball_visibility"] <= 1 for r in rows)
