"""The physics replay against simulated truth: a match with the ball hidden for spans."""

from dataclasses import replace

import numpy as np
import pytest

from reconstruct.cli import main
from sim.men import foot_position
from sim.physreplay import FILL_COLUMN, physics_replay
from sim.physreplay_eval import (
    SWEEP_STEP,
    bracketed_spans,
    clearance,
    evaluate,
    hide_ball,
    straight_fill,
)
from sim.record import RecordError, read_record, write_record
from sim.simulate import simulate

SEED = 6
# m: how far the ball may sink into a man or a wall. Bullet's contacts are soft: the
# simulator's own truth sinks up to 4.7 mm into a man (20 s, seed 1), 3.2 mm into a wall.
SINK = 0.003


@pytest.fixture(scope="module")
def replayed(tmp_path_factory, german):
    out = tmp_path_factory.mktemp("physreplay") / "truth"
    simulate(german, out, seed=SEED, duration=6.0)
    truth = read_record(out)
    est = hide_ball(truth, SEED)
    result = physics_replay(est)
    return truth, est, result, evaluate(truth, est, result, between_frames=True)


def test_the_estimate_hides_spans_and_only_them(replayed):
    truth, est, _, score = replayed
    hidden = est.ball_state == "hidden"
    assert score.spans >= 3 and hidden.sum() >= 100
    assert np.all(np.isnan(est.ball_xyz[hidden]))
    seen = est.ball_state == "visible"
    np.testing.assert_array_equal(est.ball_xyz[seen], truth.ball_xyz[seen])


def test_the_replayed_ball_never_passes_through_a_man_or_a_wall(replayed):
    *_, score = replayed
    assert score.min_clear_men > -SINK
    assert score.min_clear_walls > -SINK
    # and not between frames either (drawn straight, swept every 2 mm)
    assert score.between_clear_men > -SINK
    assert score.between_clear_walls > -SINK


def test_hidden_spans_are_filled_closer_to_the_truth_than_a_straight_line(replayed):
    *_, score = replayed
    assert score.rms_physics < score.rms_straight


def test_seen_frames_follow_the_record_and_hidden_shots_arrive(replayed):
    truth, est, result, _ = replayed
    out = result.record
    seen = est.ball_state == "visible"
    err = np.linalg.norm(out.ball_xyz[seen, :2] - truth.ball_xyz[seen, :2], axis=1)
    assert np.median(err) < 0.0005
    shots = [s for s in result.spans if s.method == "shot"]
    assert shots
    for s in shots:  # converged spans: the ball is where it reappeared
        b = s.last + 1
        assert np.linalg.norm(out.ball_xyz[b, :2] - truth.ball_xyz[b, :2]) < 0.005
    # every hidden in-play frame has a ball; the fill column says how
    hidden = est.ball_state == "hidden"
    assert np.all(np.isfinite(out.ball_xyz[hidden]))
    assert set(out.frames[FILL_COLUMN][hidden]) <= {"shot", "blend", "free", "hold"}
    assert set(out.frames[FILL_COLUMN][seen]) <= {"seen", "catch"}
    assert np.mean(out.frames[FILL_COLUMN][seen] == "seen") > 0.95
    np.testing.assert_array_equal(out.rod_angles, truth.rod_angles)


@pytest.mark.parametrize("lead", [0, 10])
def test_a_run_that_starts_inside_a_man_is_pushed_out(replayed, german, lead):
    """The record puts the ball inside a man's foot from the run's first frame (seen, or
    held over ``lead`` hidden frames): the replay starts it at his surface instead."""
    _, est, _, _ = replayed
    n = 60
    f = {k: v[:n].copy() for k, v in est.frames.items()}
    shift, angle = est.rod_shifts[0, 3], est.rod_angles[0, 3]
    foot = foot_position(german, 3, 0, shift, angle)
    xyz = np.array([foot[0], foot[1], german.ball.radius])
    f["ball_state"] = np.where(np.arange(n) < lead, "hidden", "visible")
    for axis, col in enumerate(("ball_x", "ball_y", "ball_z")):
        f[col] = np.where(np.arange(n) < lead, np.nan, xyz[axis])
    part = replace(est, frames=f)
    inside = {"ball_state": np.full(n, "visible"), "ball_x": np.full(n, xyz[0]),
              "ball_y": np.full(n, xyz[1]), "ball_z": np.full(n, xyz[2])}
    assert clearance(replace(part, frames=dict(f, **inside)), german)["men"][0] < -0.005
    out = physics_replay(part).record
    assert np.all(np.isfinite(out.ball_xyz))
    assert np.nanmin(clearance(out, german)["men"]) > -SINK


@pytest.mark.parametrize("hidden", [0, 10])
def test_the_ball_never_passes_through_a_turning_man_to_reach_its_track(replayed, german,
                                                                         hidden):
    """The record puts the ball on the far side of a man who turns to and fro in front of it
    (never high enough for it to pass under him): seen there from frame 20 on, after
    ``hidden`` frames unseen. The replayed ball cannot reach it: it stays on its side of his
    foot and, swept between frames, never sinks into him. (The guided ball used to catch up
    straight through him: 20 mm deep.)"""
    _, est, _, _ = replayed
    n, rod = 72, 4
    x = german.rods[rod].x  # the middle man (2) stands at y = 0, in line with the ball
    f = {k: v[:n].copy() for k, v in est.frames.items()}
    t = np.arange(n) / est.fps
    for i in range(8):  # the other rods raised out of the way, none shifted
        f[f"rod{i}_shift"] = np.zeros(n)
        f[f"rod{i}_angle"] = np.full(n, 1.5)
    f[f"rod{rod}_angle"] = 0.5 * np.sin(2 * np.pi * 4.0 * t)  # the foot stays below 22 mm
    far = np.arange(n) >= 20
    state = np.where(far, "visible", "hidden")
    state[:20 - hidden] = "visible"
    f["ball_state"] = state
    seen = state == "visible"
    xyz = np.where(far[:, None], [x + 0.045, 0.0, german.ball.radius],
                   [x - 0.06, 0.0, german.ball.radius])
    for axis, col in enumerate(("ball_x", "ball_y", "ball_z")):
        f[col] = np.where(seen, xyz[:, axis], np.nan)
    out = physics_replay(replace(est, frames=f)).record
    assert np.all(np.isfinite(out.ball_xyz))
    swept = clearance(out, german, sweep=SWEEP_STEP)["men"]
    assert np.nanmin(swept) > -SINK
    foot_x = np.array([foot_position(german, rod, 2, 0.0, a)[0] for a in f[f"rod{rod}_angle"]])
    assert np.all(out.ball_xyz[:, 0] < foot_x)  # still on its side of him
    assert set(out.frames[FILL_COLUMN][far]) == {"catch"}  # and said to be off the record


def test_the_straight_fill_joins_the_sightings(replayed):
    _, est, _, _ = replayed
    line = straight_fill(est)
    for a, b in bracketed_spans(est):
        mid = line[a:b + 1]
        assert np.all(np.isfinite(mid))
        step = np.diff(line[a - 1:b + 2], axis=0)
        np.testing.assert_allclose(step, np.broadcast_to(step[0], step.shape), atol=1e-12)


def test_the_replay_is_deterministic(replayed):
    truth, est, _, _ = replayed
    part = replace(est, frames={k: v[:240] for k, v in est.frames.items()})
    one, two = physics_replay(part), physics_replay(part)
    np.testing.assert_array_equal(one.record.ball_xyz, two.record.ball_xyz)


def test_the_cli_writes_the_replayed_record(replayed, tmp_path, capsys):
    _, est, _, _ = replayed
    part = replace(est, frames={k: v[:240] for k, v in est.frames.items()})
    src = write_record(part, tmp_path / "est")
    assert main(["physics-replay", str(src), "--out", str(tmp_path / "phys")]) == 0
    assert "hidden spans" in capsys.readouterr().out
    back = read_record(tmp_path / "phys")
    assert back.meta["source"] == "physics-replay"
    assert FILL_COLUMN in back.frames and "ball_vx" not in back.frames
    assert main(["physics-replay", str(src), "--out", str(src)]) == 2
    assert "must differ" in capsys.readouterr().err


def test_a_record_without_its_table_is_refused(replayed):
    _, est, _, _ = replayed
    meta = {k: v for k, v in est.meta.items() if k != "table"}
    with pytest.raises(RecordError, match="no table"):
        physics_replay(replace(est, meta=meta))
