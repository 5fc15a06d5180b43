import numpy as np
import pytest

from sim.match import DEAD_TIME, PAUSE, Match
from sim.physics import RodTarget, TablePhysics


@pytest.fixture
def scripted(german):
    """A match without players: every rod turned up out of the way, the caller plays."""
    ph = TablePhysics(german, visual=False)
    angles = np.full(8, 1.5)
    ph.reset_rods(np.zeros(8), angles)
    match = Match(ph, (0.5, 0.5), ("red", "blue"), np.random.default_rng(0), duration=5.0,
                  players=False)
    yield match
    ph.close()


def _run(match, seconds):
    events = []
    for _ in range(int(seconds * match.ph.rate_hz)):
        events += match.step()
    return events


def _strike(scripted, german, rod: int, seconds: float) -> list:
    """Man 1 of ``rod``, wound up behind the ball, strikes it towards the opponents' goal
    (a fast spin for 0.08 s, then the rod held forward); the events of ``seconds`` after."""
    spec = german.rods[rod]
    d = spec.attack_direction
    ph = scripted.ph
    angles = np.full(8, 1.5)
    angles[rod] = d * 1.6  # wound up
    ph.reset_rods(np.zeros(8), angles)
    scripted.put_ball((spec.x + d * 0.03, spec.man_offsets[1], german.ball.radius))
    targets = [RodTarget(0.0, 1.5)] * 8
    targets[rod] = RodTarget(0.0, None, spin=-d * 100.0)
    ph.set_rod_targets(targets)
    events = _run(scripted, 0.08)
    targets[rod] = RodTarget(0.0, d * 1.5)
    ph.set_rod_targets(targets)
    return events + _run(scripted, seconds)


@pytest.mark.parametrize("rod, team", [(5, "red"), (2, "blue")])
def test_a_shot_into_an_empty_goal_is_one_goal_for_the_shooter(scripted, german, rod, team):
    events = _strike(scripted, german, rod, 1.5)
    goals = [e for e in events if e.type == "goal"]
    assert len(goals) == 1 and goals[0].team == team
    assert scripted.score.goals == ([1, 0] if team == "red" else [0, 1])
    kicks = [e for e in events if e.type == "kick"]
    assert kicks[0].team == team and kicks[0].rod == rod and kicks[0].man == 1
    assert kicks[0].speed > 5.0
    assert not scripted.in_play
    # the scored ball stays caught in the goal box (under its lid), not back on the field
    p = scripted.ph.ball_position()
    assert abs(p[0]) > german.half_length + german.goal.depth - 2 * german.ball.radius
    assert np.sign(p[0]) == np.sign(goals[0].x)


def test_a_ball_rolling_into_a_side_wall_is_one_bounce(scripted, german):
    scripted.put_ball((0.0, 0.2, german.ball.radius), (0.0, 2.0, 0.0))
    events = _run(scripted, 0.3)
    walls = [e for e in events if e.type == "wall"]
    assert len(walls) == 1 and walls[0].y > 0.3
    assert not [e for e in events if e.type == "kick"]


def test_a_ball_at_rest_out_of_reach_is_dead_and_taken_out(scripted, german):
    # between rods 4 and 5, in the middle: no man reaches it
    x = 0.5 * (german.rods[4].x + german.rods[5].x)
    scripted.put_ball((x, 0.05, german.ball.radius))
    events = _run(scripted, DEAD_TIME + 0.2)
    assert [e.type for e in events] == ["out"]
    assert not scripted.in_play


def test_the_match_serves_at_midfield_and_after_a_goal(german):
    ph = TablePhysics(german, visual=False)
    try:
        match = Match(ph, (0.7, 0.7), ("red", "blue"), np.random.default_rng(5), duration=3.0)
        served = match.serve_if_due()
        assert [e.type for e in served] == ["serve"]
        assert ph.ball_position()[0] == pytest.approx(0.0, abs=1e-6)
        assert match.in_play
        # a goal for blue: the ball crosses red's goal line
        ph.set_ball((-german.half_length - 0.03, 0.0, german.ball.radius), (-1.0, 0.0, 0.0))
        events = match.step()
        assert [(e.type, e.team) for e in events] == [("goal", "blue")]
        # caught in red's goal box, under its lid, until the serve (not back on the field)
        p = ph.ball_position()
        assert p[0] < -(german.half_length + german.goal.depth - 2 * german.ball.radius)
        served = []
        while not served:
            match.step()
            served = match.serve_if_due()
        assert served[0].t == pytest.approx(events[0].t + PAUSE, abs=1.5e-3)
        assert [(e.type, e.team) for e in served] == [("serve", "red")]  # the conceder serves
    finally:
        ph.close()


def test_a_match_ends_after_its_goals(german):
    ph = TablePhysics(german, visual=False)
    try:
        match = Match(ph, (0.7, 0.7), ("red", "blue"), np.random.default_rng(5), duration=30.0,
                      goals=1)
        match.serve_if_due()
        ph.set_ball((german.half_length + 0.03, 0.0, german.ball.radius), (1.0, 0.0, 0.0))
        match.step()
        steps = 0
        while not match.finished:
            match.serve_if_due()
            match.step()
            steps += 1
        assert match.score.goals == [1, 0]
        assert steps == pytest.approx(0.5 * ph.rate_hz, abs=2)
    finally:
        ph.close()


def _trap_pose(match, rod, shift_to=0.0, max_speed=None):
    """Rod ``rod`` tilted forward over the ball with a light torque (the players' trap)."""
    ph, d = match.ph, match.table.rods[rod].attack_direction
    angles = np.full(8, 1.5)
    angles[rod] = -d * 0.85
    ph.reset_rods(np.zeros(8), angles)
    targets = [RodTarget(0.0, 1.5)] * 8
    targets[rod] = RodTarget(shift_to, -d * 0.85, torque=0.5, max_speed=max_speed)
    ph.set_rod_targets(targets)


@pytest.mark.parametrize("rod, team", [(5, "red"), (2, "blue")])
def test_a_plain_strike_is_one_kick(scripted, german, rod, team):
    events = _strike(scripted, german, rod, 0.3)
    kicks = [(e.team, e.rod, e.man) for e in events if e.type == "kick"]
    assert kicks == [(team, rod, 1)]


@pytest.mark.parametrize("rod, team", [(5, "red"), (2, "blue")])
def test_a_slow_ball_trapped_under_a_foot_is_one_touch(scripted, german, rod, team):
    # the ball loses about 0.45 m/s: less than a strike's KICK_DV, so only the whole
    # contact shows it, and the man that stopped it has the ball
    spec = german.rods[rod]
    d = spec.attack_direction
    _trap_pose(scripted, rod)
    scripted.put_ball((spec.x - d * 0.1, spec.man_offsets[1], german.ball.radius),
                      (d * 0.6, 0.0, 0.0))
    events = _run(scripted, 1.0)
    assert np.linalg.norm(scripted.ph.ball_velocity()) < 0.02  # held under the foot
    kicks = [e for e in events if e.type == "kick"]
    assert [(e.team, e.rod, e.man) for e in kicks] == [(team, rod, 1)]
    assert kicks[0].speed < 0.1
    assert 0.0 < (kicks[0].x - spec.x) * d < 0.05  # under the heel, in front of the rod
    # held there, still in contact with the man: no more touches
    events = _run(scripted, 0.5)
    assert [(c.rod, c.man) for c in scripted.ph.ball_contacts(floor=False)] == [(rod, 1)]
    assert not [e for e in events if e.type == "kick"]


@pytest.mark.parametrize("rod, team", [(5, "red"), (2, "blue")])
def test_a_ball_dragged_along_the_rod_is_one_touch(scripted, german, rod, team):
    # the side of a man's foot pushes a ball at rest along y at 0.1 m/s (a drag): far less
    # than a strike's KICK_DV, but the man moves the ball several centimetres
    spec = german.rods[rod]
    ph = scripted.ph
    ph.reset_rods(np.zeros(8), np.where(np.arange(8) == rod, 0.0, 1.5))
    targets = [RodTarget(0.0, 1.5)] * 8
    targets[rod] = RodTarget(0.1, 0.0, max_speed=0.1)
    ph.set_rod_targets(targets)
    y0 = spec.man_offsets[1] + 0.035
    scripted.put_ball((spec.x, y0, german.ball.radius))
    events = _run(scripted, 0.6)
    assert [(c.rod, c.man) for c in ph.ball_contacts(floor=False)] == [(rod, 1)]
    assert ph.ball_position()[1] - y0 > 0.04
    kicks = [e for e in events if e.type == "kick"]
    assert [(e.team, e.rod, e.man) for e in kicks] == [(team, rod, 1)]
    assert kicks[0].speed == pytest.approx(0.1, abs=0.03)
    assert kicks[0].t < 0.1  # when the man met the ball, not when the drag was judged
