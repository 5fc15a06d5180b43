"""Automatic calibration on the project's own rendered footage, against the true camera the
renderer saved in ``meta.json`` (``reconstruct.calibration.evaluate.evaluate_footage``)."""

import pytest

from reconstruct.calibrate import calibrate_auto
from reconstruct.calibration.evaluate import evaluate_footage
from reconstruct.calibration.sources import sample_frames
from sim.filming import film_scripted, make_shot
from sim.table import load_table

SECONDS = 0.1  # 12 frames at 120 fps: enough for the median, a few seconds to render


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Rendered clips by scenario name, made on first use."""
    made = {}

    def clip(scenario):
        if scenario not in made:
            out = tmp_path_factory.mktemp(scenario)
            try:
                made[scenario] = film_scripted(make_shot(scenario), out, "match", SECONDS,
                                               seed=1)
            except RuntimeError as exc:
                pytest.skip(f"no offscreen OpenGL: {exc}")
        return made[scenario]

    return clip


@pytest.fixture(scope="module")
def results(clips):
    """``evaluate_footage`` of a scenario's clip, made on first use."""
    done = {}

    def result(scenario):
        if scenario not in done:
            done[scenario] = evaluate_footage(clips(scenario))
        return done[scenario]

    return result


# Limits per scenario: mean and max px over the table's corners and rods, mean mm lifted.
# tornado: a blue field whose centre a lamp washes out (once taken for the whole field).
LIMITS = {"clean": (0.8, 2.0, 1.5), "wide_angle": (1.0, 2.5, 2.0), "tilted": (0.8, 2.0, 1.5),
          "tornado": (0.8, 2.0, 1.5)}


@pytest.mark.slow
@pytest.mark.parametrize("scenario", LIMITS)
def test_rendered_footage_calibrates_close_to_the_true_camera(results, scenario):
    r = results(scenario)
    a = r["agreement"]
    mean_px, max_px, lift_mm = LIMITS[scenario]
    assert a.reprojection_mean_px < mean_px, a
    assert a.reprojection_max_px < max_px, a
    assert a.lift_mean_mm < lift_mm, a
    # The teams are found by the colour of their men and named as they were filmed.
    assert r["teams"] == r["teams_filmed"], r


@pytest.mark.slow
def test_the_wide_angle_lens_distortion_is_recovered(results):
    r = results("wide_angle")
    assert r["k1_true"] < -0.2  # the scenario's barrel distortion is strong
    assert abs(r["k1"] - r["k1_true"]) < 0.05, r
    assert abs(r["pose"].focal_percent) < 4.0, r


@pytest.mark.slow
def test_part_of_a_rendered_table_is_refused_not_miscalibrated(clips):
    frames = sample_frames(next(clips("clean").glob("video.*")), 6)
    quarter = [f[: f.shape[0] // 2, : f.shape[1] // 2].copy() for f in frames]
    with pytest.raises(ValueError, match="does not fit|no rods|no playfield|not a quadrilateral"):
        calibrate_auto(quarter, load_table("german"))


@pytest.mark.slow
def test_a_misleading_rod_pattern_is_recovered_by_the_other_orientation(clips, monkeypatch):
    """If the goal lines were taken along the table (the rods' pattern misread), the fit
    fails its checks and the other pair of sides is tried."""
    from reconstruct.calibration import auto

    first = auto._orient
    monkeypatch.setattr(auto, "_orient",
                        lambda med, field, table, rank=0: first(med, field, table, 1 - rank))
    r = evaluate_footage(clips("clean"))
    assert r["agreement"].reprojection_mean_px < 0.8, r["agreement"]


@pytest.mark.slow
def test_a_wide_angle_false_minimum_explains_less_than_the_true_camera(clips):
    """Overhead with a strong lens, a fit can take one side's outline for a wall's top and
    put the camera too low with too short a focal length (seen on a seed 11 match: 43 px
    off). Judged on all the evidence, none gated away, the true camera must win."""
    import json

    import numpy as np

    from reconstruct.calibration import auto, solve
    from reconstruct.calibration.field import find_field, median_image, refine_outline
    from reconstruct.calibration.rods import gradients
    from sim.camera import Camera

    folder = clips("wide_angle")
    meta = json.loads((folder / "meta.json").read_text())["camera"]
    k = np.array(meta["camera_matrix"])
    truth = Camera(meta["width"], meta["height"], k[0, 0], k[1, 1], k[0, 2], k[1, 2],
                   tuple(meta["dist_coeffs"]), tuple(meta["rvec"]), tuple(meta["tvec"]))
    med = median_image(sample_frames(next(folder.glob("video.*")), 12))
    field = find_field(med)
    gu, gv = gradients(med)
    outline = refine_outline(field.outline, gu, gv, field.on_edge)
    size = (truth.width, truth.height)
    table = load_table("german")
    true_p = solve.camera_to_params(truth)
    true_p[8] = truth.dist[1]
    false_p = np.array([np.pi, 0.0, 0.0, 0.0, -0.075, 0.444, 5.516, -0.101, 0.008])
    assert solve.params_to_camera(false_p, *size).position[2] < 0.5  # the false minimum
    true_cost = auto._overall_cost(gu, gv, outline, table, size, true_p)
    false_cost = auto._overall_cost(gu, gv, outline, table, size, false_p)
    assert true_cost < 0.5 * false_cost, (true_cost, false_cost)
    # And the checks refuse it: it leaves one long side of the outline unexplained.
    assert auto.long_sides_explained(true_p, size, table, outline) > 0.8
    assert auto.long_sides_explained(false_p, size, table, outline) < auto.MIN_OUTLINE_EXPLAINED
