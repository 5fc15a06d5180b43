"""Goals from the smoothed path: a ball that leaves play through a goal mouth and stays out
is a goal for the attacking team; one lost at the line for a few frames and found again is
not."""

import numpy as np

from reconstruct.events import EventDetector
from reconstruct.paths import OUT, SEEN
from reconstruct.smooth import SmoothPoint

FPS = 120.0


def _run(german, out_frames: int, back: bool):
    ev = EventDetector(german, FPS, ("red", "blue"))
    events = []
    f = 0
    for i in range(60):  # rolling into the +x goal at 2 m/s
        x = german.half_length - 0.12 + 2.0 * i / FPS
        if x >= german.half_length:
            break
        events += ev.push(SmoothPoint(f, np.array([x, 0.01]), np.array([2.0, 0.0]), SEEN,
                                      False), np.zeros(8), np.zeros(8))
        f += 1
    for _ in range(out_frames):
        events += ev.push(SmoothPoint(f, np.full(2, np.nan), np.zeros(2), OUT, False),
                          np.zeros(8), np.zeros(8))
        f += 1
    if back:
        for _ in range(30):
            events += ev.push(SmoothPoint(f, np.array([0.55, 0.0]), np.zeros(2), SEEN, False),
                              np.zeros(8), np.zeros(8))
            f += 1
    return [e for e in events + ev.finish() if e.type == "goal"]


def test_a_ball_that_stays_in_the_goal_is_a_goal(german):
    goals = _run(german, out_frames=120, back=False)
    assert len(goals) == 1 and goals[0].team == "red"  # red (side 0) attacks +x


def test_a_ball_lost_at_the_line_and_found_again_is_no_goal(german):
    assert _run(german, out_frames=6, back=True) == []


def test_a_goal_in_the_last_frames_of_a_video_counts(german):
    assert len(_run(german, out_frames=4, back=False)) == 1
