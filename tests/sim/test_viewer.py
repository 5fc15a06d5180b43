"""The 3D replay: exported videos, what a frame shows, the ghost, and the window's controls."""

import cv2
import numpy as np
import pytest

from sim.replay import ReplayFrames, export_replay, export_times, load_replay
from tests.sim.replay_records import goal, kick, write_record

FPS = 60.0
SIZE = (192, 144)


@pytest.fixture(scope="module")
def ctx():
    from sim.glutil import OffscreenContext

    try:
        context = OffscreenContext()
    except RuntimeError as exc:
        pytest.skip(f"no offscreen OpenGL: {exc}")
    yield context
    context.close()


@pytest.fixture(scope="module")
def records(tmp_path_factory, german):
    root = tmp_path_factory.mktemp("replay")
    events = [kick(2, "red", 6, 8.0), goal(8, "red")]
    truth = write_record(root / "truth", german, frames=24, hidden={12, 13}, events=events)
    estimate = write_record(root / "estimate", german, frames=24, offset=(0.06, 0.04),
                            shift_offset=0.03)
    roll = write_record(root / "roll", german, frames=30, script="roll")
    return {"truth": load_replay(truth), "estimate": load_replay(estimate),
            "roll": load_replay(roll)}


def video_facts(path):
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened()
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    fps = cap.get(cv2.CAP_PROP_FPS)
    n = 0
    while cap.read()[0]:
        n += 1
    return size, fps, n


def test_export_has_one_frame_per_record_frame(tmp_path, records):
    out = export_replay(records["truth"], tmp_path / "r.mp4", size=SIZE)
    size, fps, n = video_facts(out.path)
    assert size == SIZE and n == 24 == out.frames
    assert fps == pytest.approx(FPS)


@pytest.mark.parametrize("preset", ["side", "goal", "follow"])
def test_export_resampled_with_a_ghost(tmp_path, records, preset):
    out = export_replay(records["truth"], tmp_path / f"{preset}.mp4", records["estimate"],
                        preset=preset, fps=30.0, size=SIZE)
    size, fps, n = video_facts(out.path)
    assert size == SIZE and fps == pytest.approx(30.0)
    assert n == round(24 / FPS * 30.0) == out.frames


def test_export_times(records):
    tl = records["truth"].timeline
    np.testing.assert_array_equal(export_times(tl), tl.t)
    slow = export_times(tl, speed=0.5)
    assert len(slow) == 48 and slow[1] - slow[0] == pytest.approx(0.5 / FPS)
    assert len(export_times(tl, fps=25.0)) == round(24 / FPS * 25)
    with pytest.raises(ValueError, match="speed"):
        export_times(tl, speed=8.0)


def test_export_refuses_other_containers(tmp_path, records):
    with pytest.raises(ValueError, match=".mp4"):
        export_replay(records["truth"], tmp_path / "r.mkv", size=SIZE)


def pixel(img, cam, point):
    u, v = np.round(cam.table_to_pixel(np.asarray(point)[None])[0]).astype(int)
    return img[v, u].astype(int)  # BGR


def whiteish(bgr) -> bool:
    return bool(bgr.min() > 150 and bgr.max() - bgr.min() < 60)


def test_ball_drawn_where_known_and_not_where_unknown(ctx, records):
    ctx.window.switch_to()
    frames = ReplayFrames(records["truth"], None, 320, 240, "overhead")
    tl = records["truth"].timeline
    for i, known in ((5, True), (12, False), (20, True)):
        t = tl.t[i]
        cam, _ = frames.camera_at(t)
        frames.renderer.render(cam, tl.state_at(t))  # no trail: it may pass there
        ball = tl.ball[i] if known else tl.ball[11]
        assert whiteish(pixel(frames.renderer.read_bgr(), cam, ball)) == known, i


def test_ghost_ball_is_drawn_in_its_own_colour(ctx, records):
    ctx.window.switch_to()
    frames = ReplayFrames(records["truth"], records["estimate"], 320, 240, "overhead")
    alone = ReplayFrames(records["truth"], None, 320, 240, "overhead")
    t = records["truth"].timeline.t[5]
    ghost_ball = records["estimate"].timeline.ball[5]
    cam, _ = frames.camera_at(t)
    b, g, r = pixel(frames.frame(t, overlay=False), cam, ghost_ball)
    assert r > b + 60 and r > g  # orange over the field
    b0, g0, r0 = pixel(alone.frame(t, overlay=False), cam, ghost_ball)
    assert g0 > r0  # the field, without the ghost


def test_trail_brightens_the_path_behind_the_ball(ctx, records):
    ctx.window.switch_to()
    frames = ReplayFrames(records["roll"], None, 320, 240, "overhead")
    tl = records["roll"].timeline
    t = tl.t[25]
    cam, _ = frames.camera_at(t)
    img = frames.frame(t, overlay=False)
    frames.renderer.render(cam, tl.state_at(t))  # no trail
    plain = frames.renderer.read_bgr()
    gains = []
    for age in np.linspace(0.03, 0.2, 12):
        behind = tl.ball_at(t - age)
        b, g, r = pixel(plain, cam, behind)
        if g > r + 20:  # the field there, not a man
            gains.append(pixel(img, cam, behind).sum() - (b + g + r))
    assert len(gains) >= 3 and np.mean(gains) > 40
    far = tl.ball_at(t - 0.36)  # older than the trail: untouched
    assert np.array_equal(pixel(img, cam, far), pixel(plain, cam, far))


def test_overlay_shows_the_score(ctx, records):
    from sim.overlay import draw_overlay

    tl = records["truth"].timeline
    before = draw_overlay(np.zeros((144, 192, 3), np.uint8), tl.overlay(tl.t[7]))
    after = draw_overlay(np.zeros((144, 192, 3), np.uint8), tl.overlay(tl.t[8]))
    assert tl.overlay(tl.t[7]).score == (0, 0) and tl.overlay(tl.t[8]).score == (1, 0)
    top = slice(0, 144 // 4)
    assert np.abs(before[top].astype(int) - after[top]).sum() > 0


@pytest.fixture()
def viewer(ctx, records):
    import pyglet

    from sim.viewer import Viewer

    window = pyglet.window.Window(480, 270, visible=False)
    window.switch_to()
    v = Viewer(window, records["truth"], records["estimate"], "overhead", shadow_taps=0)
    yield v
    window.close()
    ctx.window.switch_to()


def test_viewer_keys(viewer):
    from pyglet.window import key

    tl = viewer.timeline
    assert not viewer.playing and viewer.t == tl.start
    viewer.on_key_press(key.SPACE, 0)
    viewer.tick(0.1)
    assert viewer.playing and viewer.t == pytest.approx(tl.start + 0.1)
    viewer.on_key_press(key.DOWN, 0)
    assert viewer.speed == 0.5
    viewer.tick(0.1)
    assert viewer.t == pytest.approx(tl.start + 0.15)
    viewer.on_key_press(key.RIGHT, 0)  # pauses on the next frame
    assert not viewer.playing and viewer.t == pytest.approx(tl.t[10])
    viewer.on_key_press(key.LEFT, 0)
    viewer.on_key_press(key.LEFT, 0)
    assert viewer.t == pytest.approx(tl.t[8])
    for _ in range(8):
        viewer.on_key_press(key.UP, 0)
    assert viewer.speed == 4.0
    viewer.on_key_press(key.SPACE, 0)
    viewer.tick(10.0)
    assert viewer.t == tl.end and not viewer.playing
    viewer.on_key_press(key._4, 0)
    assert viewer.view.follow and viewer.preset_name == "follow"
    viewer.on_key_press(key._3, 0)
    assert viewer.view.eye[0] < 0


def test_viewer_mouse(viewer):
    from pyglet.window import mouse

    tl = viewer.timeline
    x0, x1, y, h = viewer._bar()
    viewer.on_mouse_press(0.5 * (x0 + x1), y + h / 2, mouse.LEFT, 0)
    assert viewer.t == pytest.approx(0.5 * (tl.start + tl.end))
    viewer.on_mouse_drag(x1, y, x1 - 0.5 * (x0 + x1), 0, mouse.LEFT, 0)
    assert viewer.t == tl.end
    viewer.on_mouse_release(x1, y, mouse.LEFT, 0)
    before = viewer.view
    viewer.on_mouse_drag(200, 150, 20, 10, mouse.LEFT, 0)
    assert viewer.view.azimuth != before.azimuth and viewer.view.elevation != before.elevation
    viewer.on_mouse_drag(200, 150, 20, 0, mouse.RIGHT, 0)
    assert viewer.view.target != before.target
    d = viewer.view.distance
    viewer.on_mouse_scroll(200, 150, 0, 2)
    assert viewer.view.distance < d


def test_viewer_draws(viewer):
    import ctypes

    gl = viewer.frames.renderer.gl
    viewer.set_time(viewer.timeline.t[5])
    viewer.on_draw()
    w, h = viewer.window.get_framebuffer_size()
    buf = np.empty((h, w, 4), np.uint8)
    gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, 0)
    gl.glReadPixels(0, 0, w, h, gl.GL_RGBA, gl.GL_UNSIGNED_BYTE,
                    buf.ctypes.data_as(ctypes.c_void_p))
    middle = buf[h // 3: 2 * h // 3, w // 3: 2 * w // 3, :3].astype(int)
    assert (middle[..., 1] > middle[..., 0] + 20).mean() > 0.3  # the green field


def test_export_interrupted_keeps_the_frames_written(tmp_path, records):
    def stop_after_five(done, total):
        if done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_replay(records["truth"], tmp_path / "cut.mp4", size=SIZE,
                      progress=stop_after_five)
    size, _, n = video_facts(tmp_path / "cut.mp4")
    assert size == SIZE and n == 5


def test_ghost_needs_the_same_men_per_rod(tmp_path, records, tornado):
    from sim.replay import check_ghost

    other = load_replay(write_record(tmp_path / "tornado", tornado, frames=4))
    check_ghost(records["truth"], records["estimate"])
    with pytest.raises(ValueError, match="different numbers of men"):
        check_ghost(records["truth"], other)
