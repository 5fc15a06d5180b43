import numpy as np
import pytest

from reconstruct.paths import OUT, SEEN, BallPathTracker, Candidates, Context
from reconstruct.smooth import PathSmoother
from tests.reconstruct.synthetic_paths import make_scene

FPS = 120.0


def _run(table, scene):
    tracker = BallPathTracker(table, FPS)
    smoother = PathSmoother(FPS)
    online, out = [], []
    for cands, ctx in zip(scene.cands, scene.ctx):
        online.append(tracker.update(cands, ctx))
        out += smoother.push(tracker.pop_committed())
    out += smoother.push(tracker.finish())
    out += smoother.finish()
    return online, out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_path_through_clutter_kicks_and_holds(german, seed):
    scene = make_scene(german, seconds=8.0, seed=seed)
    online, out = _run(german, scene)
    assert [p.frame for p in out] == list(range(len(scene.truth)))
    est = np.array([p.xy for p in out])
    state = np.array([p.state for p in out])
    in_play = ~np.isnan(scene.truth[:, 0])
    visible = in_play & ~scene.hidden
    err = np.nan_to_num(np.linalg.norm(est - scene.truth, axis=1), nan=1.0)
    # visible frames (3 % of them missed by the detector) within 10 mm
    assert (err[visible] < 0.010).mean() > 0.98
    # smoothing beats the 2 mm measurement noise
    assert np.median(err[visible]) < 0.0015
    # a ball held under a man stays with him
    assert np.median(err[scene.hidden]) < 0.010
    # no ball invented before the serve
    assert (state[~in_play] == OUT).all()
    # the online estimate is rougher but present
    oerr = np.nan_to_num(np.linalg.norm(np.array([p.xy for p in online]) - scene.truth, axis=1),
                         nan=1.0)
    assert (oerr[visible] < 0.010).mean() > 0.95


def test_clutter_alone_is_not_a_ball(german):
    rng = np.random.default_rng(3)
    tracker = BallPathTracker(german, FPS)
    for _ in range(240):
        k = rng.poisson(1.0)
        xy = np.column_stack([rng.uniform(-0.5, 0.5, k), rng.uniform(-0.3, 0.3, k)])
        tracker.update(Candidates(xy, rng.uniform(0.05, 0.4, k)))
    states = [p.state for p in tracker.pop_committed() + tracker.finish()]
    assert np.mean(np.array(states) == OUT) > 0.95


def test_a_ball_rolling_into_the_goal_goes_out(german):
    tracker = BallPathTracker(german, FPS)
    x0, v = 0.3, 4.0
    pts = []
    for i in range(120):
        x = x0 + v * i / FPS
        seen = x < german.half_length - german.ball.radius
        c = Candidates([[x, 0.01]], [0.9]) if seen else Candidates.empty()
        pts.append(tracker.update(c, Context()))
    committed = tracker.pop_committed() + tracker.finish()
    states = np.array([p.state for p in committed])
    last_seen = max(i for i in range(120) if x0 + v * i / FPS < german.half_length
                    - german.ball.radius)
    assert (states[: last_seen + 1] == SEEN).all()
    assert (states[last_seen + 3:] == OUT).all()


def test_a_wall_bounce_is_followed_smoothly(german):
    tracker = BallPathTracker(german, FPS)
    yw = german.half_width - german.ball.radius
    p, v = np.array([0.0, 0.2]), np.array([1.0, 5.0])
    truth = []
    for _ in range(50):
        p = p + v / FPS
        if abs(p[1]) > yw:
            p[1] = np.sign(p[1]) * (2 * yw - abs(p[1]))
            v[1] *= -0.7
        truth.append(p.copy())
        tracker.update(Candidates([p], [0.9]), Context())
    out = tracker.pop_committed() + tracker.finish()
    assert all(q.state == SEEN for q in out)
    assert sum(q.contact for q in out) == 2  # two bounces, nothing else


def test_a_ball_seen_in_the_goal_wins_over_a_catch_at_the_goalie(german):
    """A ball shot at the goal past the goalie, last seen at the line, then seen inside the
    goal: the path goes out through the goal instead of the goalie holding it."""
    tracker = BallPathTracker(german, FPS)
    goalie = german.rods[-1]
    foot = np.array([[goalie.x - 0.02, 0.0]])
    ctx = Context(feet=foot, feet_low=np.array([True]),
                  hides=np.array([[goalie.x - 0.05, goalie.x + 0.01, -0.02, 0.02]]))
    x0, v = 0.35, 3.0
    for i in range(200):
        x = x0 + v * i / FPS
        if x < goalie.x - 0.03:
            c = Candidates([[x, 0.0]], [0.8])
        elif x > german.half_length + german.ball.radius:
            c = Candidates(np.zeros((0, 2)), np.zeros(0),
                           in_goal=0.8 if x < german.half_length + 0.1 else 0.0)
        else:  # behind the goalie, then at the line: not seen
            c = Candidates.empty()
        tracker.update(c, ctx)
    states = np.array([p.state for p in tracker.pop_committed() + tracker.finish()])
    t_in = int(np.ceil((german.half_length + german.ball.radius - x0) / v * FPS))
    assert (states[t_in + 3:] == OUT).all()


def test_lifting_keeps_a_ball_inside_a_goal_as_evidence(german):
    from reconstruct.lift import lift_candidates
    from sim.camera import Camera

    cam = Camera.looking_at(640, 480, [0.0, 0.0, 1.35], [0.0, 0.0, 0.0], 62)
    r = german.ball.radius
    pts = np.array([[german.half_length + 0.05, 0.0, r], [0.1, 0.1, r]])
    c = lift_candidates(cam.table_to_pixel(pts), np.array([0.7, 0.4]), cam, german)
    assert len(c.xy) == 1 and abs(c.in_goal - 0.7) < 1e-9


def test_hidden_frames_of_a_free_flight_lie_on_its_line():
    """Seen, hidden 20 frames (rolling under a man), seen again on the same line, then
    hidden to the end: the hidden frames follow the roll, not the nearest sighting."""
    from reconstruct.paths import UNSEEN, PathPoint
    from reconstruct.smooth import smooth_points

    v = np.array([0.3, -0.1])  # m/s
    pts = []
    for f in range(60):
        xy = np.array([-0.1, 0.05]) + v * f / FPS
        seen = f < 10 or 30 <= f < 40
        pts.append(PathPoint(f, xy, v, SEEN if seen else UNSEEN, 0 if seen else -1, False,
                             xy if seen else np.full(2, np.nan)))
    out = smooth_points(pts, FPS)
    truth = np.array([p.xy for p in pts])
    err = np.linalg.norm(np.array([q.xy for q in out]) - truth, axis=1)
    assert err.max() < 1e-6


def test_a_ball_seen_again_far_from_where_it_was_hidden_is_followed(german):
    """A ball rolls under a man (a hiding box), is not seen for 20 frames, and reappears
    8 cm away from where the search kept it, rolling on at 0.9 m/s: every frame from its
    reappearance on is seen (a jump from an unseen ball has no one-frame speed)."""
    tracker = BallPathTracker(german, FPS)
    hide = np.array([[-0.10, 0.02, -0.05, 0.05]])
    ctx = Context(feet=np.array([[-0.04, 0.0]]), feet_low=np.array([True]), hides=hide)
    n_seen, n_hidden = 30, 20
    states = []
    for f in range(90):
        if f < n_seen:  # rolling in at 0.6 m/s
            c = Candidates([[-0.25 + 0.6 * f / FPS, 0.0]], [0.8])
        elif f < n_seen + n_hidden:
            c = Candidates.empty()
        else:  # kicked out sideways, seen 8 cm off
            g = f - n_seen - n_hidden
            c = Candidates([[-0.04 + 0.8 * g / FPS, 0.08 + 0.5 * g / FPS]], [0.6])
        tracker.update(c, ctx)
    states = np.array([p.state for p in tracker.pop_committed() + tracker.finish()])
    assert (states[:n_seen] == SEEN).all()
    assert (states[n_seen + n_hidden + 1:] == SEEN).all()


@pytest.mark.parametrize("caught_at", [12, 16])
def test_a_caught_ball_rolls_on_until_it_reaches_the_man(caught_at):
    """Seen rolling at 0.3 m/s, then hidden under a man whom the search says held it from
    frame ``caught_at`` (at the foot 29 mm past the last sighting): the hidden frames roll
    on at the ball's speed, and the catch (the contact) is when the ball got there, 12
    frames after the last sighting, whatever frame the search chose."""
    from reconstruct.paths import UNSEEN, PathPoint
    from reconstruct.smooth import smooth_points

    v = np.array([0.3, 0.0])  # m/s: 2.5 mm a frame
    last_seen = 9
    start = np.array([-0.1, 0.05])
    foot = start + v * last_seen / FPS + np.array([0.029, 0.0])  # reached in frame 21
    pts = []
    for f in range(60):
        if f <= last_seen:
            xy = start + v * f / FPS
            pts.append(PathPoint(f, xy, v, SEEN, 0, False, xy))
        elif f < caught_at:  # the search: rolling on, unseen
            pts.append(PathPoint(f, start + v * f / FPS, v, UNSEEN, -1, False,
                                 np.full(2, np.nan)))
        else:  # the search: caught by the man at frame caught_at, held at his foot
            pts.append(PathPoint(f, foot, np.zeros(2), UNSEEN, -1, f == caught_at,
                                 np.full(2, np.nan), held=0))
    out = smooth_points(pts, FPS)
    contacts = [q.frame for q in out if q.contact]
    assert contacts == [last_seen + 12]
    xy = np.array([q.xy for q in out])
    roll = np.arange(last_seen + 1, last_seen + 12)
    assert np.abs(xy[roll] - (start + np.outer(roll, v) / FPS)).max() < 1e-6
    assert np.abs(xy[last_seen + 12:] - foot).max() < 1e-9


def _noisy_roll(turn_at: int | None, v0, v1, noise: float, seed: int, n: int = 80):
    """Sightings (1 mm noise, seeded) of a ball rolling at v0 m/s, turned to v1 at frame
    ``turn_at`` (no contact marked by the search)."""
    from reconstruct.paths import PathPoint

    rng = np.random.default_rng(seed)
    xy = np.array([-0.2, 0.0])
    pts = []
    for f in range(n):
        v = np.asarray(v1 if turn_at is not None and f >= turn_at else v0, float)
        if f:
            xy = xy + v / FPS
        meas = xy + rng.normal(0.0, noise, 2)
        pts.append(PathPoint(f, meas, v, SEEN, 0, False, meas))
    return pts


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_soft_touch_on_a_slow_ball_is_a_contact_of_the_smoothed_path(seed):
    """A ball rolling at 0.5 m/s turned to (−0.3, 0.2) m/s by a soft touch the search took
    for a curve: the smoothed path marks the contact within a frame of the turn, and
    none elsewhere."""
    from reconstruct.smooth import smooth_points

    out = smooth_points(_noisy_roll(40, [0.0, -0.5], [-0.3, 0.2], 0.001, seed), FPS)
    contacts = [q.frame for q in out if q.contact]
    assert len(contacts) == 1 and abs(contacts[0] - 40) <= 1
    v = np.array([q.vel for q in out])
    assert np.abs(v[44:76] - [-0.3, 0.2]).max() < 0.05  # the new motion, not a curve


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_straight_roll_has_no_contact(seed):
    from reconstruct.smooth import smooth_points

    out = smooth_points(_noisy_roll(None, [0.4, 0.1], None, 0.002, seed), FPS)
    assert not any(q.contact for q in out)


def test_a_release_from_a_hold_is_a_contact():
    """The search holds the ball at a man's foot (one contact, the catch) and then sees it
    leave at 2 m/s: the release (his strike) is a contact too, at the first frame it left."""
    from reconstruct.paths import UNSEEN, PathPoint
    from reconstruct.smooth import smooth_points

    foot, v = np.array([0.1, 0.05]), np.array([2.0, 0.3])
    pts = []
    for f in range(50):
        if f < 20:
            pts.append(PathPoint(f, foot, np.zeros(2), UNSEEN, -1, f == 5,
                                 np.full(2, np.nan), held=0))
        else:
            xy = foot + v * (f - 19) / FPS
            pts.append(PathPoint(f, xy, v, SEEN, 0, False, xy))
    out = smooth_points(pts, FPS)
    assert [q.frame for q in out if q.contact] == [5, 20]


def test_a_ball_rolling_under_a_man_untouched_has_no_contact():
    """Seen rolling at 0.2 m/s, hidden under a raised man for 12 frames (the search says he
    caught and held it there), seen again on its line at its speed: no catch, no release,
    and the hidden frames lie on the roll."""
    from reconstruct.paths import UNSEEN, PathPoint
    from reconstruct.smooth import smooth_points

    v, start = np.array([-0.2, 0.0]), np.array([0.0, 0.03])
    pts = []
    for f in range(50):
        xy = start + v * f / FPS
        if 20 <= f < 32:  # the search: caught at frame 20, held where it saw it last
            pts.append(PathPoint(f, start + v * 19 / FPS + [0.0, 0.008], np.zeros(2), UNSEEN,
                                 -1, f == 20, np.full(2, np.nan), held=0))
        else:
            pts.append(PathPoint(f, xy, v, SEEN, 0, False, xy))
    out = smooth_points(pts, FPS)
    assert not any(q.contact for q in out)
    xy = np.array([q.xy for q in out])
    assert np.abs(xy - (start + np.outer(np.arange(50), v) / FPS)).max() < 1e-6


def test_a_shot_leaving_a_man_fast_is_followed(german):
    """A ball rolls under a man, is held 10 frames, and is shot out at 12 m/s (10 cm a
    frame): seen 6 cm past his foot, then on along its line. Its speed is measured by its
    second sighting, not changed there: every sighting of the shot is taken (a first
    sighting followed by a Gaussian guess of the velocity after a contact lost it to a ball
    still held, and the goal it scored with it)."""
    tracker = BallPathTracker(german, FPS)
    hide = np.array([[-0.10, 0.02, -0.05, 0.05]])
    ctx = Context(feet=np.array([[-0.04, 0.0]]), feet_low=np.array([True]), hides=hide)
    n_seen, n_hidden, n_shot = 30, 10, 5
    for f in range(90):
        if f < n_seen:  # rolling in at 0.6 m/s
            c = Candidates([[-0.25 + 0.6 * f / FPS, 0.0]], [0.8])
        elif f < n_seen + n_hidden or f >= n_seen + n_hidden + n_shot:
            c = Candidates.empty()
        else:  # the shot: 12 m/s along +x
            g = f - n_seen - n_hidden
            c = Candidates([[0.02 + 12.0 * g / FPS, 0.0]], [0.9])
        tracker.update(c, ctx)
    states = np.array([p.state for p in tracker.pop_committed() + tracker.finish()])
    assert (states[n_seen + n_hidden:n_seen + n_hidden + n_shot] == SEEN).all()


def test_a_ball_pinned_by_a_man_swinging_onto_it_is_pushed_with_his_foot(german):
    """A ball rolls at 2.4 m/s into a man who swings forward onto it (0 -> 0.85 rad in 8
    frames, his foot 54 mm past his rod) and pins it 31 mm past the rod, hidden. The held
    ball stays within reach of the low foot that pushes it: it is not left where the man
    first touched it (30 mm short, as a held ball that only moved along the rod was)."""
    tracker = BallPathTracker(german, FPS)
    smoother = PathSmoother(FPS)
    reach, tilt, pinned = german.man_reach, 0.85, 0.031
    out = []
    for f in range(120):
        swing = min(1.0, max(0.0, (f - 24) / 8.0))
        foot = reach * np.sin(swing * tilt)
        ctx = Context(feet=np.array([[foot, 0.0]]), feet_low=np.array([True]),
                      hides=np.array([[-0.05, 0.08, -0.03, 0.03]]))
        x = -0.55 + 0.02 * f
        c = Candidates([[x, 0.0]], [0.8]) if x < -0.025 else Candidates.empty()
        tracker.update(c, ctx)
        out += smoother.push(tracker.pop_committed())
    out += smoother.push(tracker.finish()) + smoother.finish()
    held = np.array([p.xy[0] for p in out[50:]])
    assert np.abs(held - pinned).max() < 0.008


def test_a_ball_struck_from_rest_by_a_misread_strike_is_followed(german):
    """A ball rests beside a man's rod, seen; his rod is read upside down (a strike's
    back-swing and forward swing read as one turn over the top), its foot far from the
    ball and high, and the ball leaves at 11 m/s. With the striking rod's strike points
    the shot is a contact and every sighting of it is taken; without them it would be a
    jump in open field, and the ball stayed at rest under the man."""
    def run(strikes):
        tracker = BallPathTracker(german, FPS)
        hide = np.array([[-0.02, 0.06, -0.03, 0.03]])
        for f in range(60):
            up = f >= 30  # the rod read turning over the top from frame 30 on
            ctx = Context(feet=np.array([[-0.007 if up else 0.054, 0.0]]),
                          feet_low=np.array([not up]), hides=hide,
                          strikes=strikes if up else np.zeros((0, 2)))
            if f < 40:  # at rest 44 mm past the rod, a little of it seen
                c = Candidates([[0.044, 0.0]], [0.5])
            elif f < 44:  # the shot
                c = Candidates([[0.044 + 11.0 * (f - 39) / FPS, 0.0]], [0.8])
            else:
                c = Candidates.empty()
            tracker.update(c, ctx)
        return np.array([p.state for p in tracker.pop_committed() + tracker.finish()])

    sweep = german.man_reach * np.sin(0.5)
    strikes = np.array([[-sweep, 0.0], [0.0, 0.0], [sweep, 0.0]])
    assert (run(strikes)[40:44] == SEEN).all()
    assert not (run(np.zeros((0, 2)))[40:44] == SEEN).all()


def test_a_striking_foot_does_not_carry_the_ball_it_held(german):
    """60 fps: a ball rests under a man and goes unseen; he swings back and strikes, his
    foot sweeping forward 66 mm in a frame (4 m/s). A foot that fast strikes, it does not
    push: the ball held by him stays where it was (a slow pin pushes it, see above),
    instead of being dragged along to the foot's new place, where it would still be hidden
    when it has in fact flown."""
    fps = 60.0
    tracker = BallPathTracker(german, fps)
    rod_x, y = 0.2237, 0.087
    hide = np.array([[rod_x - 0.06, rod_x + 0.06, y - 0.03, y + 0.03]])
    x0 = rod_x - 0.031
    feet = {40: rod_x - 0.05, 41: rod_x - 0.065, 42: rod_x + 0.002, 43: rod_x + 0.068}
    for f in range(44):
        ctx = Context(feet=np.array([[feet.get(f, rod_x - 0.012), y]]),
                      feet_low=np.array([True]), hides=hide)
        tracker.update(Candidates([[x0, y]], [0.6]) if f < 38 else Candidates.empty(), ctx)
        held = tracker._held >= 0
        if f == 42:
            before = tracker._pos[held, 0].copy()
    assert held.any()
    np.testing.assert_allclose(tracker._pos[held, 0], before)
    assert (tracker._pos[held, 0] < rod_x + 0.068 - german.ball.radius).all()
