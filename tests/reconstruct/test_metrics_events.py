import math

import pytest

from reconstruct.metrics_events import match_events, score_event_type, score_events
from sim.record import Event
from tests.reconstruct.records import goal, kick


@pytest.mark.parametrize("late, matched", [(0, True), (1, True), (2, True), (-2, True),
                                           (3, False), (5, False)])
def test_goal_matches_within_two_frames(late, matched):
    s = score_event_type([goal(100, "red")], [goal(100 + late, "red")], "goal")
    assert s.matched == int(matched)
    assert s.precision == s.recall == float(matched)
    if matched:
        assert s.mean_offset_frames == late


def test_goal_for_the_wrong_team_does_not_match():
    s = score_event_type([goal(100, "red")], [goal(100, "blue")], "goal")
    assert (s.matched, s.precision, s.recall) == (0, 0.0, 0.0)


def test_kick_must_carry_the_right_rod():
    truth = [kick(50, rod=3, team="red"), kick(80, rod=4, team="blue")]
    s = score_event_type(truth, [kick(51, rod=2, team="red"), kick(79, rod=4)], "kick")
    assert s.matched == 1 and s.precision == 0.5 and s.recall == 0.5


def test_matching_is_one_to_one_and_as_large_as_possible():
    truth = [kick(10, 1), kick(12, 1)]
    est = [kick(11, 1), kick(12, 1), kick(13, 1)]  # three candidates for two truths
    pairs = match_events(truth, est)
    assert len(pairs) == 2
    assert len({id(e) for _, e in pairs}) == 2
    # two estimates of one goal: one matches, the other is a false positive
    s = score_event_type([goal(40, "blue")], [goal(39, "blue"), goal(41, "blue")], "goal")
    assert (s.matched, s.precision, s.recall) == (1, 0.5, 1.0)
    # nearest-first would pair 13-12 (offset 1) and leave 10 with nothing; the sweep pairs
    # 10-12 and 13-15
    pairs = match_events([kick(10, 1), kick(13, 1)], [kick(12, 1), kick(15, 1)])
    assert [(t.frame, e.frame) for t, e in pairs] == [(10, 12), (13, 15)]


def test_no_events_leaves_ratios_undefined():
    scores = score_events([], [Event(frame=3, t=0.0, type="wall")])
    assert math.isnan(scores["goal"].precision) and math.isnan(scores["goal"].recall)
    assert scores["wall"].precision == 0.0 and math.isnan(scores["wall"].recall)
    assert scores["goal"].to_dict()["precision"] is None
