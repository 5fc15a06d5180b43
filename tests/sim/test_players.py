import numpy as np
import pytest

from sim import tactics as tc
from sim.match import CONTROL_DT
from sim.physics import RodTarget, TablePhysics
from sim.players import Team, skill_params


@pytest.fixture(scope="module")
def physics(german):
    ph = TablePhysics(german, visual=False)
    yield ph
    ph.close()


def _play(ph, team, seconds, others=None):
    """Run ``team`` on ``ph``; the other side's rods are held turned up (or at ``others``).

    Returns the ball speed after every step, m/s.
    """
    table = ph.table
    speeds = []
    tick = int(round(CONTROL_DT * ph.rate_hz))
    for k in range(int(seconds * ph.rate_hz)):
        if k % tick == 0:
            targets = [others or RodTarget(0.0, 1.5)] * 8
            for i, target in team.control(ph.state(), team.side).items():
                targets[i] = target
            ph.set_rod_targets(targets)
        ph.step()
        speeds.append(float(np.linalg.norm(ph.ball_velocity())))
        if abs(ph.ball_position()[0]) > table.half_length:
            break
    return np.array(speeds)


def _setup(ph, side_up):
    angles = np.array([1.5 if r.side == side_up else 0.0 for r in ph.table.rods])
    ph.reset_rods(np.zeros(8), angles)


def test_skill_parameters_grow_with_skill():
    low, high = skill_params(0.0), skill_params(1.0)
    assert high.reaction < low.reaction and high.aim_sigma < low.aim_sigma
    assert high.shot_speed[1] > low.shot_speed[1] >= 9.0
    assert 5.0 <= low.shot_speed[0] and high.shot_speed[1] <= 15.0
    with pytest.raises(ValueError, match="between 0 and 1"):
        skill_params(1.2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_held_ball_is_shot_hard_at_the_goal(physics, german, seed):
    rng = np.random.default_rng(seed)
    team = Team(german, 0, 0.8, rng, CONTROL_DT)
    _setup(physics, side_up=1)
    rod = german.rods[5]
    physics.set_ball((rod.x + rng.uniform(0.025, 0.04), rng.uniform(-0.06, 0.06),
                      german.ball.radius))
    speeds = _play(physics, team, 6.0)
    assert speeds.max() > 7.0
    held = np.flatnonzero(speeds > 5.0)[0] / physics.rate_hz
    assert held > skill_params(0.8).hold[0] - 0.1  # it was held a while before the shot
    assert physics.ball_position()[0] > german.half_length  # a straight shot: in the goal


@pytest.mark.parametrize("speed", [0.5, 2.0])
def test_a_pass_rolling_at_a_rod_is_trapped(physics, german, speed):
    team = Team(german, 0, 0.8, np.random.default_rng(0), CONTROL_DT)
    _setup(physics, side_up=1)
    rod = german.rods[5]
    y = rod.man_offsets[1] + 0.03
    start = rod.x - 0.14  # past the opponents' 5-bar, out of reach of the own 5-bar
    physics.set_ball((start, y, german.ball.radius), (speed, 0.0, 0.0))
    team.hold_for = 10.0
    _play(physics, team, 0.3 / speed + 0.4)
    rel = tc.rel_x(rod, physics.ball_position()[0])
    assert abs(rel) < tc.FOOT_REACH_X
    assert np.linalg.norm(physics.ball_velocity()) < 0.2


def test_the_goalie_moves_onto_a_shot(physics, german):
    team = Team(german, 1, 1.0, np.random.default_rng(0), CONTROL_DT)
    _setup(physics, side_up=0)
    goalie = german.rods[7]
    physics.reset_rods(np.zeros(8), np.where([r.side == 0 for r in german.rods], 1.5, 0.0))
    start = np.array([goalie.x - 0.3, 0.05, german.ball.radius])
    v = np.array([2.0, 0.4, 0.0])  # crosses the goalie's line 60 mm further in y
    physics.set_ball(start, v)
    _play(physics, team, 0.12, others=RodTarget(0.0, 1.5))
    t_cross, y_cross = tc.predict_crossing(german, start, v, goalie.x)
    man_y = goalie.man_offsets[0] + physics.rod_shift(7)
    assert abs(man_y - y_cross) < 0.012


def test_predict_crossing_folds_wall_bounces(german):
    half = german.half_width - german.ball.radius
    t, y = tc.predict_crossing(german, (0.0, 0.0, 0.0), (1.0, 2.0 * half / 0.1, 0.0), 0.1)
    assert t == pytest.approx(0.1) and y == pytest.approx(0.0, abs=1e-9)
    assert tc.predict_crossing(german, (0.0, 0.0, 0.0), (-1.0, 0.0, 0.0), 0.1) is None


def test_best_man_prefers_a_man_that_reaches(german):
    rod = german.rods[3]  # 5 men, travel 61.5 mm
    man, shift = tc.best_man(german, rod, 0.25, 0.0)
    assert man == 4 and shift == pytest.approx(0.25 - rod.man_offsets[4])
    man, shift = tc.best_man(german, rod, 0.0, 0.05)
    assert man == 2 and shift == pytest.approx(0.0)
