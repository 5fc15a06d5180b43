"""Events from the smoothed path. Goals: a ball that leaves play through a goal mouth and
stays out is a goal for the attacking team; one lost at the line for a few frames and found
again is not. Kicks: the foot that met the ball, found where the path loses the ball at the
strike or marks the contact late."""

import numpy as np
import pytest

from reconstruct.events import EventDetector
from reconstruct.paths import OUT, SEEN, UNSEEN
from reconstruct.smooth import SmoothPoint
from sim.men import foot_position

FPS = 120.0


def _run(german, out_frames: int, back: bool, back_xy=(0.55, 0.0), back_vel=(0.0, 0.0)):
    """Goals of a ball rolling into the +x goal at 2 m/s, out for ``out_frames``, then (if
    ``back``) a ball in play at ``back_xy`` m moving at ``back_vel`` m/s for 30 frames."""
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
        for i in range(30):
            xy = np.asarray(back_xy, float) + np.asarray(back_vel, float) * i / FPS
            events += ev.push(SmoothPoint(f, xy, np.asarray(back_vel, float), SEEN, False),
                              np.zeros(8), np.zeros(8))
            f += 1
    return [e for e in events + ev.finish() if e.type == "goal"]


def test_a_ball_that_stays_in_the_goal_is_a_goal(german):
    goals = _run(german, out_frames=120, back=False)
    assert len(goals) == 1 and goals[0].team == "red"  # red (side 0) attacks +x


def test_a_goal_is_timed_when_the_whole_ball_is_past_the_line(german):
    """The ball at 2 m/s is last seen short of the line; the goal is the frame the whole
    ball is past it (its centre a radius beyond), as the simulator counts it, within one
    frame."""
    goals = _run(german, out_frames=120, back=False)
    x0 = german.half_length - 0.12
    crossed = (german.half_length + german.ball.radius - x0) / 2.0 * FPS  # frame, fractional
    assert abs(goals[0].frame - crossed) <= 1.0


def test_a_goal_counts_at_the_first_frame_the_whole_ball_is_past_the_line(german):
    """As the simulator logs it: the first frame at which the condition holds (the ball
    is past the line 0.25 frame after frame 8 here: frame 9, not the nearer 8)."""
    goals = _run(german, out_frames=120, back=False)
    x0 = german.half_length - 0.12
    crossed = (german.half_length + german.ball.radius - x0) / 2.0 * FPS
    assert goals[0].frame == int(np.ceil(crossed))


def test_a_ball_lost_at_the_line_and_found_again_is_no_goal(german):
    assert _run(german, out_frames=6, back=True) == []


def test_a_goal_in_the_last_frames_of_a_video_counts(german):
    assert len(_run(german, out_frames=4, back=False)) == 1


def test_a_goal_stands_when_the_path_takes_a_false_ball_soon_after(german):
    """The ball rolls into the goal; six frames later the path takes a false ball (clutter
    on a man) half a table away, at rest: no ball could come back from the goal there that
    soon, so it is a new ball and the goal stands."""
    goals = _run(german, out_frames=6, back=True, back_xy=(0.1, 0.07))
    assert len(goals) == 1 and goals[0].team == "red"


def test_a_false_sighting_by_the_goal_for_a_frame_is_no_goal(german):
    """The path jumps for one frame from a ball at rest to a false sighting by the goal
    (its speed unknown), loses it and takes the resting ball again: no ball was seen going
    in, so the ball found again is no new one (the tilted view's false balls)."""
    ev = EventDetector(german, FPS, ("red", "blue"))
    rest, false = np.array([0.367, -0.034]), np.array([0.542, 0.033])
    states = [rest] * 30 + [false, None] + [rest + [0.0, 0.25]] * 60
    events = []
    for f, xy in enumerate(states):
        p = (_ball(f, [np.nan, np.nan], [0.0, 0.0], OUT) if xy is None
             else _ball(f, xy, [0.0, 0.0], contact=xy is false))
        events += ev.push(p, np.zeros(8), np.zeros(8))
    assert [e for e in events + ev.finish() if e.type == "goal"] == []


def test_a_ball_struck_back_off_the_line_is_no_goal(german):
    """The ball is lost on the line and found three frames later 0.25 m out, moving away
    at 10 m/s (the goalie struck it back): the same ball, no goal."""
    x = german.half_length - 0.012  # about where the rolling ball was last seen
    assert _run(german, out_frames=3, back=True, back_xy=(x - 0.25, 0.0),
                back_vel=(-10.0, 0.0)) == []


def _shot(german, fps: float, y_end: float, speed: float = 10.35):
    """Goals of a ball at rest under a man at x = 0.19 m struck at ``speed`` m/s towards
    the +x end (reaching y = ``y_end`` m there), seen in two frames of flight as pieces of
    one sighting each (their speed unknown to the smoother: 0), then out for a second."""
    ev = EventDetector(german, fps, ("red", "blue"))
    x0, y0 = 0.19, 0.087
    v = np.array([speed, (y_end - y0) * speed / (german.half_length - x0)])
    events, f = [], 0
    for _ in range(20):
        events += ev.push(_ball(f, [x0, y0], [0.0, 0.0]), np.zeros(8), np.zeros(8))
        f += 1
    for k in (1, 2):
        events += ev.push(_ball(f, np.array([x0, y0]) + v * (k - 0.25) / fps, [0.0, 0.0],
                                contact=True), np.zeros(8), np.zeros(8))
        f += 1
    for _ in range(int(fps)):
        events += ev.push(_ball(f, [np.nan, np.nan], [0.0, 0.0], OUT), np.zeros(8),
                          np.zeros(8))
        f += 1
    return [e for e in events + ev.finish() if e.type == "goal"], f - int(fps) - 1


def test_a_shot_too_fast_to_be_seen_again_is_a_goal(german):
    """At 60 fps a 10 m/s shot covers 170 mm a frame: last seen at x = 0.49 m, mid-table,
    it is in the goal by the next frame (the full match's second goal in hd720). Its line
    crosses the goal line inside the mouth: a goal, at the frame after the last sighting."""
    goals, last = _shot(german, 60.0, y_end=0.07)
    assert len(goals) == 1 and goals[0].team == "red"
    assert goals[0].frame == last + 1


def test_a_fast_shot_wide_of_the_goal_or_a_slow_ball_lost_mid_table_is_no_goal(german):
    assert _shot(german, 60.0, y_end=0.2)[0] == []  # aimed at the end wall beside the goal
    assert _shot(german, 60.0, y_end=0.0, speed=1.0)[0] == []  # rolling, lost mid-table
def _lost(german, points, out_frames: int = 120):
    """Goals of a path through ``points`` ((x, y, vx, vy, state) each) then out."""
    ev = EventDetector(german, FPS, ("red", "blue"))
    events = []
    for f, (x, y, vx, vy, state) in enumerate(points):
        events += ev.push(SmoothPoint(f, np.array([x, y]), np.array([vx, vy]), state, False),
                          np.zeros(8), np.zeros(8))
    for f in range(len(points), len(points) + out_frames):
        events += ev.push(SmoothPoint(f, np.full(2, np.nan), np.zeros(2), OUT, False),
                          np.zeros(8), np.zeros(8))
    return [e for e in events + ev.finish() if e.type == "goal"]


def test_a_ball_lost_at_rest_before_the_goal_is_no_goal(german):
    """A ball resting 60 mm before the +x goal line, in front of the mouth (a steady
    sighting under the goalie), then lost for a second: it never went in."""
    x = german.half_length - 0.06
    assert _lost(german, [(x, 0.0, 0.0, 0.0, SEEN)] * 60) == []


def _roll(german, y_last: float):
    """10 frames rolling at 0.5 m/s to +x and 0.6 m/s to +y, the last 40 mm before the ball
    touches the +x goal line, ``y_last`` m off the middle: its course meets the line
    48 mm further to +y."""
    x1 = german.half_length - german.ball.radius - 0.04
    return [(x1 - 0.5 * (9 - i) / FPS, y_last - 0.6 * (9 - i) / FPS, 0.5, 0.6, SEEN)
            for i in range(10)]


def test_a_ball_rolling_into_the_end_wall_beside_the_goal_is_no_goal(german):
    """Lost in front of the mouth (80 mm off the middle), on a course that meets the end
    wall 128 mm off the middle, beyond the post (102.5 mm)."""
    assert _lost(german, _roll(german, 0.08)) == []


def test_a_ball_rolling_into_the_mouth_at_an_angle_is_a_goal(german):
    """The same roll 50 mm nearer the middle: its course crosses the line between the
    posts."""
    goals = _lost(german, _roll(german, 0.03))
    assert len(goals) == 1 and goals[0].team == "red"


def test_a_goal_is_timed_from_the_last_sighting_not_an_unseen_leap(german):
    """Seen rolling at 2 m/s to 60 mm before the line, then one unseen point the path
    carried 40 mm on (its hypothesis, not a sighting), then out: the goal is the frame the
    ball seen at 2 m/s is wholly past the line, within one frame."""
    x0 = german.half_length - 0.06
    pts = [(x0 - 2.0 * (20 - i) / FPS, 0.0, 2.0, 0.0, SEEN) for i in range(21)]
    pts.append((x0 + 0.04, 0.0, 4.8, 0.0, UNSEEN))
    goals = _lost(german, pts)
    crossed = 20 + (german.half_length + german.ball.radius - x0) / 2.0 * FPS
    assert len(goals) == 1 and abs(goals[0].frame - crossed) <= 1.0


# ---------------------------------------------------------------- kicks
ROD, MAN, K0 = 3, 1, 40  # the striking rod (red midfield), its man, the frame of the strike


def _strike(german, n: int = 70):
    """Rods (n, 8) shifts and angles of a strike by man MAN of rod ROD at frame K0 (back-swing,
    then the foot through its lowest point at K0), and where the ball lies at his foot."""
    shifts = np.zeros((n, 8))
    angles = np.zeros((n, 8))
    f = np.arange(n)
    angles[:, ROD] = np.interp(f, [K0 - 12, K0 - 5, K0, K0 + 5, K0 + 15], [0, 1.0, 0, -1.0, 0])
    foot = foot_position(german, ROD, MAN, 0.0, 0.0)
    return shifts, angles, np.array([foot[0] + german.ball.radius, foot[1]])


def _push_all(german, points, shifts, angles):
    ev = EventDetector(german, FPS, ("red", "blue"))
    out = []
    for p in points:
        out += ev.push(p, shifts[p.frame], angles[p.frame])
    return out + ev.finish()


def _the_kick_of_the_man(german, points, shifts, angles):
    """The one kick the events of ``points`` hold; it must be the struck man's."""
    kicks = [e for e in _push_all(german, points, shifts, angles) if e.type == "kick"]
    assert len(kicks) == 1
    assert (kicks[0].rod, kicks[0].man) == (ROD, MAN)
    return kicks[0]


def _ball(f, xy, vel, state=SEEN, contact=False):
    return SmoothPoint(f, np.asarray(xy, float), np.asarray(vel, float), state, contact)


def _caught(n, b, v_in, c0, release, v_out, marked):
    """Smoothed points of a ball rolling in at ``v_in`` onto ``b`` (m), caught there at
    frame ``c0`` (a contact), held until ``release`` and rolling off at ``v_out`` (a contact
    at the release when ``marked``)."""
    points = []
    for f in range(n):
        if f < c0:
            points.append(_ball(f, b + v_in * (f - c0) / FPS, v_in))
        elif f < release:
            points.append(_ball(f, b, [0.0, 0.0], contact=(f == c0)))
        else:
            points.append(_ball(f, b + v_out * (f - release + 1) / FPS, v_out,
                                contact=marked and f == release))
    return points


def test_a_kick_in_a_short_gap_of_the_path_is_found(german):
    """The tracker loses the ball for two frames at the strike (blur, or the man over it):
    the velocity change across the gap, next to the rod that swung, is his kick."""
    shifts, angles, b = _strike(german)
    v = np.array([6.0, 0.5])
    points = []
    for f in range(len(angles)):
        if f < K0:
            points.append(_ball(f, b, [0.0, 0.0]))
        elif f < K0 + 2:
            points.append(_ball(f, [np.nan, np.nan], [0.0, 0.0], OUT))
        else:
            points.append(_ball(f, b + v * (f - K0) / FPS, v))
    events = _push_all(german, points, shifts, angles)
    kicks = [e for e in events if e.type == "kick"]
    assert len(kicks) == 1
    k = kicks[0]
    assert (k.rod, k.man, k.team) == (ROD, MAN, "red")
    assert abs(k.frame - K0) <= 2
    assert k.speed == pytest.approx(np.linalg.norm(v), rel=0.01)
    assert not [e for e in events if e.type == "serve" and e.frame > 0]  # a gap, not a serve


def test_a_contact_marked_late_is_the_kick_of_the_foot_that_met_the_ball(german):
    """The path marks the contact where the new motion shows, here three frames after the
    foot met the ball: the ball is then out of the foot's reach, the kick is found back."""
    shifts, angles, b = _strike(german)
    v = np.array([4.0, 0.0])
    points = [_ball(f, b + v * max(0, f - K0) / FPS, v if f > K0 else [0.0, 0.0],
                    contact=(f == K0 + 3)) for f in range(len(angles))]
    kick = _the_kick_of_the_man(german, points, shifts, angles)
    assert abs(kick.frame - K0) <= 1


def test_a_ball_at_rest_by_a_foot_is_not_kicked(german):
    shifts, angles, b = _strike(german)
    angles[:] = 0.0
    points = [_ball(f, b, [0.0, 0.0], contact=(f % 10 == 5)) for f in range(len(angles))]
    assert [e for e in _push_all(german, points, shifts, angles) if e.type == "kick"] == []


def test_a_catch_then_a_strike_by_the_same_man_is_one_kick_at_the_strike(german):
    """The man stops the ball at his foot, holds it and strikes it away from there (no
    back-swing: the foot never leaves the ball): one touch (the simulator logs one kick per
    contact, at its largest velocity change: the strike)."""
    shifts, angles, b = _strike(german)
    angles[:, ROD] = np.where(np.arange(len(angles)) <= K0, 0.0, angles[:, ROD])
    v_in, v_out = np.array([0.0, -0.4]), np.array([3.0, 0.5])
    c0 = K0 - 20  # the catch
    points = _caught(len(angles), b, v_in, c0, K0 + 1, v_out, marked=True)
    kick = _the_kick_of_the_man(german, points, shifts, angles)
    assert abs(kick.frame - K0) <= 2


def test_a_catch_the_ball_rolls_away_from_is_its_own_kick(german):
    shifts, angles, b = _strike(german)
    angles[:] = 0.0
    v_in, v_out = np.array([0.0, -0.4]), np.array([0.0, 0.3])
    c0 = 20
    # rolls off (a nudge nobody made: no second kick)
    points = _caught(len(angles), b, v_in, c0, c0 + 10, v_out, marked=False)
    kicks = [e for e in _push_all(german, points, shifts, angles) if e.type == "kick"]
    assert [(k.frame, k.rod, k.man) for k in kicks] == [(c0, ROD, MAN)]


def test_a_side_wall_bounce_next_to_a_man_is_a_bounce_not_his_kick(german):
    """A ball bouncing off the side wall beside a man's foot: its motion across the table
    reverses, along the wall it rolls on; the man did not touch it."""
    rod = german.rods[ROD]
    wall_y = german.half_width - german.ball.radius
    m = int(np.argmax([foot_position(german, ROD, k, 0.0, 0.0)[1] for k in range(rod.men)]))
    foot = foot_position(german, ROD, m, 0.0, 0.0)
    shift = wall_y - 0.04 - foot[1]  # his foot 4 cm from where the ball meets the wall
    shifts = np.zeros((60, 8))
    shifts[:, ROD] = shift
    angles = np.zeros((60, 8))
    hit = np.array([foot[0] + 0.03, wall_y])
    v0, v1 = np.array([0.2, 0.8]), np.array([0.2, -0.7])
    points = [_ball(f, hit + (v0 if f < 30 else v1) * (f - 30) / FPS, v0 if f < 30 else v1,
                    contact=(f == 30)) for f in range(60)]
    events = _push_all(german, points, shifts, angles)
    assert [e.type for e in events if e.type in ("kick", "wall")] == ["wall"]


def test_a_strike_whose_swing_is_read_late_is_the_swung_rods_kick(german):
    """A fast swing read late: the read angles of the striking rod stay in the back-swing
    (the read foot too high to touch the ball) until after the strike, and come down
    through the vertical only two frames after it; the ball leaves at 8 m/s. The kick is
    that rod's man's (the only rod that swung), at the strike."""
    shifts, angles, b = _strike(german)
    f = np.arange(len(angles))
    angles[:, ROD] = np.interp(f, [0, K0 + 1, K0 + 3, K0 + 20], [-1.6, -1.6, 0.3, 0.3])
    v = np.array([8.0, 0.0])
    points = [_ball(k, b + v * max(0, k - K0) / FPS, v if k > K0 else [0.0, 0.0],
                    contact=(k == K0 + 1)) for k in range(len(angles))]
    kick = _the_kick_of_the_man(german, points, shifts, angles)
    assert abs(kick.frame - K0) <= 2
