"""The ball's colour found by the calibration in rendered footage (``reconstruct.calibration
.ball``), and the tracker finding a ball that is not white."""

import numpy as np
import pytest

from reconstruct.calibrate import calibrate_auto
from reconstruct.calibration.ball import find_ball_colour, nearest_preset, preset_model
from reconstruct.calibration.sources import sample_frames
from sim.table import load_table

pytest.importorskip("pyglet")

SECONDS = 0.1  # 12 frames at 120 fps: enough for the median, a few seconds to render


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Rendered clips by (scenario, ball colour, script), made on first use."""
    from sim.filming import film_scripted, make_shot

    made = {}

    def clip(scenario, ball=None, script="match", seconds=SECONDS):
        key = (scenario, ball, script, seconds)
        if key not in made:
            out = tmp_path_factory.mktemp(scenario)
            look = {"ball": ball} if ball else None
            try:
                made[key] = film_scripted(make_shot(scenario, look=look), out, script,
                                          seconds, seed=1)
            except RuntimeError as exc:
                pytest.skip(f"no offscreen OpenGL: {exc}")
        return made[key]

    return clip


@pytest.mark.parametrize("scenario, ball, expected", [
    ("colours", None, "orange"),  # orange ball, black and green men
    ("clean", None, "white"),
    ("clean", "yellow", "yellow"),
])
def test_calibration_names_the_ball_colour(clips, scenario, ball, expected):
    frames = sample_frames(next(clips(scenario, ball).glob("video.*")), 12)
    cal = calibrate_auto(frames, load_table("german"))
    assert cal.ball is not None, cal.notes
    assert cal.ball.name == expected, cal.notes
    assert any(n.startswith("ball colour: " + expected) for n in cal.notes), cal.notes


def test_no_ball_seen_leaves_the_colour_unknown(clips):
    import json

    from reconstruct.calibration.field import median_image
    from sim.camera import Camera

    clip = clips("clean")
    frames = sample_frames(next(clip.glob("video.*")), 12)
    cam = Camera.from_dict(json.loads((clip / "meta.json").read_text())["camera"])
    still = [frames[0]] * len(frames)  # the ball never moves: the median holds it
    model, note = find_ball_colour(still, cam, load_table("german"), median_image(still))
    assert model is None
    assert "assumed white" in note


def test_presets_and_overrides():
    assert nearest_preset(np.array([30.0, 120.0, 240.0]))[0] == "orange"
    assert nearest_preset(np.array([40.0, 200.0, 230.0]))[0] == "yellow"
    assert nearest_preset(np.array([200.0, 205.0, 205.0]))[0] == "white"
    assert preset_model("orange").name == "orange"
    with pytest.raises(ValueError, match="unknown ball colour"):
        preset_model("purple")


def test_an_orange_ball_is_tracked(clips, tmp_path):
    """Auto calibration (which finds the orange ball) then the tracker on a rolling ball."""
    from reconstruct.evaluate import compare
    from reconstruct.sources import VideoSource
    from reconstruct.track import load_or_calibrate, track_video
    from sim.record import read_record

    clip = clips("colours", script="roll", seconds=1.0)
    truth = read_record(clip)
    table = load_table(truth.meta["table"]["name"])
    source = VideoSource(next(clip.glob("video.*")))
    cal = load_or_calibrate(source, table, None, tmp_path / "cal", n_frames=12)
    assert cal.ball is not None and cal.ball.name == "orange", cal.notes
    track_video(source, tmp_path, table, cal, progress=False)
    det = compare(truth, read_record(tmp_path)).ball.detection.scores
    assert det.headline.f1 >= 0.9, det.headline


def test_the_ball_colour_can_be_given(clips, tmp_path):
    """``--ball`` overrides what the footage shows, for ``calibrate`` and ``track``."""
    from reconstruct.calibration.model import Calibration
    from reconstruct.cli import build_parser, main

    args = build_parser().parse_args(["track", "v.mp4", "--out", "x", "--ball", "yellow"])
    assert args.ball == "yellow"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["calibrate", "v.mp4", "--ball", "purple"])
    video = next(clips("colours").glob("video.*"))
    out = tmp_path / "cal.json"
    assert main(["calibrate", str(video), "--frames", "12", "--out", str(out),
                 "--ball", "white"]) == 0
    cal = Calibration.load(out)
    assert cal.ball.name == "white"
    assert "ball colour: white (given)" in cal.notes
