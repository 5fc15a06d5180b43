"""Scenario presets and the choices built on them."""

import pytest

from sim.filming import make_shot
from sim.scenarios import SCENARIOS, get_scenario

REQUIRED = {"clean", "long_exposure", "fps240", "hd720", "wide_angle", "low_light", "flicker",
            "tilted", "tornado", "colours"}


def test_the_required_scenarios_exist_and_are_versioned():
    assert REQUIRED <= set(SCENARIOS)
    for name, s in SCENARIOS.items():
        assert s.name == name and s.version >= 1 and s.key == f"{name}@{s.version}"


def test_scenarios_differ_as_named():
    clean = SCENARIOS["clean"].camera
    assert (clean.fps, clean.width, clean.height_px) == (120.0, 640, 480)
    assert SCENARIOS["long_exposure"].camera.exposure == pytest.approx(1 / clean.fps)
    assert SCENARIOS["fps240"].camera.fps == 240.0
    assert (SCENARIOS["hd720"].camera.width, SCENARIOS["hd720"].camera.height_px) == (1280, 720)
    assert SCENARIOS["wide_angle"].camera.dist[0] < -0.2
    assert SCENARIOS["flicker"].camera.flicker_hz in (50.0, 60.0)
    assert SCENARIOS["tilted"].camera.tilt_deg > 20 and SCENARIOS["tilted"].camera.look_at != (0, 0)
    assert SCENARIOS["tornado"].table == "tornado"
    assert SCENARIOS["colours"].look.ball != "white"


def test_get_scenario_checks_name_and_version():
    assert get_scenario("clean@1") is SCENARIOS["clean"]
    with pytest.raises(ValueError, match="unknown scenario"):
        get_scenario("sunny")
    with pytest.raises(ValueError, match="version"):
        get_scenario("clean@99")


def test_shot_overrides_and_marks_itself_modified():
    shot = make_shot("hd720", teams=("black", "green"), camera={"exposure": 1 / 1000,
                                                                "width": None},
                     look={"ball": "orange"})
    assert shot.camera.exposure == 1 / 1000 and shot.camera.width == 1280
    assert shot.look.teams == ("black", "green") and shot.look.ball == "orange"
    assert shot.meta()["scenario"]["modified"]
    assert not make_shot("hd720").meta()["scenario"]["modified"]
    with pytest.raises(ValueError, match="unknown camera settings: zoom"):
        make_shot("clean", camera={"zoom": 2})
    with pytest.raises(ValueError, match="unknown colour"):
        make_shot("clean", look={"ball": "chartreuse-ish"})
