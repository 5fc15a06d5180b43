"""Playback timeline: interpolated states, held rod values, the trail, score and shots."""

import numpy as np
import pytest

from sim.playback import Timeline, hold_last
from sim.record import RecordError, read_record
from sim.scripted import make_script
from tests.sim.replay_records import goal, kick, write_record

FPS = 60.0


@pytest.fixture(scope="module")
def record(tmp_path_factory, german):
    path = tmp_path_factory.mktemp("rec") / "r"
    events = [kick(3, "red", 6, 7.5), goal(6, "red"), kick(9, "blue", 1, 2.0),
              kick(12, "blue", 2, 5.0), goal(15, "blue"), goal(18, "blue")]
    write_record(path, german, frames=24, hidden={10, 11}, unknown_rods={(4, 3), (5, 3)},
                 events=events)
    return read_record(path)


@pytest.fixture(scope="module")
def timeline(record):
    return Timeline.from_record(record, shot_speed=4.0)


def test_hold_last_fills_forward_then_back():
    v = np.array([[np.nan, 1.0, np.nan], [2.0, np.nan, np.nan], [np.nan, 3.0, np.nan],
                  [np.nan, np.nan, np.nan]])
    out = hold_last(v)
    np.testing.assert_array_equal(out[:, 0], [2.0, 2.0, 2.0, 2.0])
    np.testing.assert_array_equal(out[:, 1], [1.0, 1.0, 3.0, 3.0])
    np.testing.assert_array_equal(out[:, 2], [0.0, 0.0, 0.0, 0.0])


def test_states_at_frames_match_the_record(record, timeline, german):
    script = make_script("match", german, 0)
    for i in (0, 7, 23):
        s = timeline.state_at(i / FPS)
        truth = script(i / FPS)
        np.testing.assert_allclose(s.ball, truth.ball, atol=2e-6)
        np.testing.assert_allclose(s.shifts, truth.shifts, atol=2e-6)
        np.testing.assert_allclose(s.angles, truth.angles, atol=2e-6)


def test_states_between_frames_are_interpolated(timeline):
    ta, tb = timeline.t[7], timeline.t[8]  # as written: 6 decimals
    a, b = timeline.state_at(ta), timeline.state_at(tb)
    for w in (0.25, 0.5, 0.9):
        s = timeline.state_at(ta + w * (tb - ta))
        np.testing.assert_allclose(s.ball, a.ball + w * (b.ball - a.ball), atol=1e-12)
        np.testing.assert_allclose(s.shifts, a.shifts + w * (b.shifts - a.shifts), atol=1e-12)
        np.testing.assert_allclose(s.angles, a.angles + w * (b.angles - a.angles), atol=1e-12)


def test_angles_interpolate_the_short_way_round():
    t = np.arange(2) / FPS
    angles = np.zeros((2, 8))
    angles[:, 0] = [np.pi - 0.1, -np.pi + 0.1]  # a wrapped angle crossing +-pi
    tl = Timeline(t, np.zeros((2, 3)), np.zeros((2, 8)), angles, FPS)
    mid = tl.state_at(0.5 / FPS).angles[0]
    assert abs(abs(mid) - np.pi) < 1e-9  # through pi, not through 0


def test_unknown_rod_cells_hold_the_last_known_value(record, timeline):
    shifts = record.rod_shifts
    assert np.isnan(shifts[4, 3]) and np.isnan(shifts[5, 3])
    assert timeline.shifts[4, 3] == shifts[3, 3] and timeline.shifts[5, 3] == shifts[3, 3]
    assert timeline.angles[5, 3] == record.rod_angles[3, 3]
    assert np.all(np.isfinite(timeline.state_at(4.5 / FPS).shifts))


def test_no_ball_where_it_is_unknown(timeline):
    for t in (10 / FPS, 11 / FPS, 10.4 / FPS, 11.4 / FPS, 9.6 / FPS):
        assert np.all(np.isnan(timeline.state_at(t).ball)), t
    for t in (9 / FPS, 9.4 / FPS, 12 / FPS, 11.6 / FPS):
        assert np.all(np.isfinite(timeline.state_at(t).ball)), t
    assert not timeline.state_at(10 / FPS).in_play


def test_trail_covers_the_last_seconds_and_breaks_where_unknown(timeline):
    t = 14.5 / FPS
    pts, ages = timeline.trail(t, 0.1)
    assert ages[0] == pytest.approx(0.1) and ages[-1] == 0.0
    assert np.all(np.diff(ages) < 0)
    np.testing.assert_allclose(pts[-1], timeline.state_at(t).ball)
    known = np.isfinite(pts[:, 0])
    assert not known.all() and known[-1]  # frames 10 and 11 are inside the last 0.1 s
    inside = np.abs(t - ages - 10.5 / FPS) < 0.6 / FPS
    assert not known[inside].any()


def test_score_follows_goal_events(timeline):
    assert timeline.teams == ("red", "blue")
    assert timeline.score_at(5.9 / FPS) == (0, 0)
    assert timeline.score_at(6 / FPS) == (1, 0)
    assert timeline.score_at(16 / FPS) == (1, 1)
    assert timeline.score_at(23 / FPS) == (1, 2)
    assert timeline.overlay(23 / FPS).score_text() == "red 1 : 2 blue"


def test_last_shot_is_the_last_fast_kick(record, timeline):
    assert timeline.last_shot(2 / FPS) is None
    assert timeline.overlay(2 / FPS).shot_text() == "last shot: -"
    assert timeline.last_shot(10 / FPS).speed == pytest.approx(7.5)  # the 2 m/s kick is no shot
    shot = timeline.last_shot(20 / FPS)
    assert (shot.team, shot.rod, shot.speed) == ("blue", 2, pytest.approx(5.0))
    assert "5.0 m/s" in timeline.overlay(20 / FPS).shot_text()
    stricter = Timeline.from_record(record, shot_speed=6.0)
    assert stricter.last_shot(20 / FPS).speed == pytest.approx(7.5)


def test_overlay_time_and_duration(timeline):
    info = timeline.overlay(12 / FPS)
    assert info.duration == pytest.approx(24 / FPS)
    assert info.time_text() == "0:00.20 / 0:00.40"


def test_ball_near_has_no_lag_on_a_straight_roll(tmp_path, german):
    rec = read_record(write_record(tmp_path / "roll", german, frames=40, script="roll"))
    tl = Timeline.from_record(rec)
    t = 20 / FPS
    np.testing.assert_allclose(tl.ball_near(t), tl.state_at(t).ball, atol=1e-6)


def test_empty_record_is_refused(tmp_path, german):
    rec = read_record(write_record(tmp_path / "empty", german, frames=0))
    with pytest.raises(RecordError, match="no frames"):
        Timeline.from_record(rec)
