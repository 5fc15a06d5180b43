import math

import numpy as np
import pytest

from sim import strikes as sk
from sim import tactics as tc
from sim.match import CONTROL_DT
from sim.physics import RodTarget, TablePhysics
from sim.players import Team, skill_params


@pytest.fixture(scope="module")
def physics(german):
    ph = TablePhysics(german, visual=False)
    yield ph
    ph.close()


def _play(ph, team, seconds, others=None, trace=None):
    """Run ``team`` on ``ph``; the other side's rods are held turned up (or at ``others``).

    Returns the ball speed after every step, m/s; ``trace`` (a list), if given, gets
    (ball position (3,) m, rod angles (8,) rad) after every step.
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
        if trace is not None:
            trace.append((ph.ball_position(), ph.rod_angles()))
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


def _held_ball(physics, german, rng, rod=5):
    """Opponents turned up, the ball at rest just in front of ``rod`` (clear of its feet)."""
    _setup(physics, side_up=1)
    spec = german.rods[rod]
    physics.set_ball((spec.x + rng.uniform(0.032, 0.045), rng.uniform(-0.06, 0.06),
                      german.ball.radius))


def _turn_around(angles, speeds, rod, window=0.5, rate=1000.0):
    """rad the rod turned (max - min) within ``window`` s of the first step the ball went
    faster than 3 m/s."""
    k = int(np.argmax(speeds > 3.0))
    w = int(window * rate)
    a = angles[max(0, k - w): k + w, rod]
    return float(a.max() - a.min())


@pytest.mark.parametrize("seed", [1, 6, 9])
def test_a_held_ball_is_shot_hard_at_the_goal(physics, german, seed):
    rng = np.random.default_rng(seed)
    team = Team(german, 0, 0.8, rng, CONTROL_DT)
    _held_ball(physics, german, rng)
    trace = []
    speeds = _play(physics, team, 6.0, trace=trace)
    assert speeds.max() > 7.0
    k = np.flatnonzero(speeds > 5.0)[0]
    assert k / physics.rate_hz > skill_params(0.8).hold[0] - 0.1  # held a while first
    p0, p1 = trace[k][0], trace[k + 10][0]  # the shot's line: at the goal the rod attacks
    assert p1[0] > p0[0] and abs(p1[1] - p0[1]) < 0.6 * (p1[0] - p0[0])


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


@pytest.mark.parametrize("rod", [7, 6])
def test_the_goalie_and_the_defence_put_a_man_in_the_path_of_a_shot(physics, german, rod):
    team = Team(german, 1, 1.0, np.random.default_rng(0), CONTROL_DT)
    spec = german.rods[rod]
    physics.reset_rods(np.zeros(8), np.where([r.side == 0 for r in german.rods], 1.5, 0.0))
    start = np.array([spec.x - 0.3, 0.05, german.ball.radius])
    v = np.array([2.0, 0.4, 0.0])  # crosses the rod's line 60 mm further in y
    physics.set_ball(start, v)
    _play(physics, team, 0.12, others=RodTarget(0.0, 1.5))
    t_cross, y_cross = tc.predict_crossing(german, start, v, spec.x)
    men_y = spec.man_offsets + physics.rod_shift(rod)
    assert np.min(np.abs(men_y - y_cross)) < 0.012
    assert abs(math.remainder(physics.rod_angle(rod), 2 * math.pi)) < 0.3  # men down


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


@pytest.mark.parametrize("seed", range(6))
def test_a_strike_turns_the_rod_less_than_a_full_turn(physics, german, seed):
    """A back-swing, a forward swing through the ball and a stop: never a spin (ITSF: no
    more than 360 degrees before or after the strike)."""
    rng = np.random.default_rng(100 + seed)
    team = Team(german, 0, 0.8, rng, CONTROL_DT)
    _held_ball(physics, german, rng)
    trace = []
    speeds = _play(physics, team, 4.0, trace=trace)
    assert speeds.max() > 5.0  # it was struck
    angles = np.array([a for _, a in trace])
    assert _turn_around(angles, speeds, 5) < 2.0 * math.pi
    assert np.ptp(angles[:, 5]) < 2.0 * math.pi  # nor anywhere else in the play


@pytest.mark.parametrize("drag", [0.08, -0.08])
def test_a_pull_shot_drags_the_ball_along_the_rod_before_striking_it(physics, german, drag):
    rng = np.random.default_rng(3)
    team = Team(german, 0, 0.8, rng, CONTROL_DT)
    _setup(physics, side_up=1)
    spec = german.rods[5]
    physics.set_ball((spec.x + 0.03, 0.0, german.ball.radius))
    team.strike = sk.plan_strike(german, team.d, 0, rng, 0.0, 0.0, physics.state(), 5,
                                 physics.ball_position(), "shot", 0.0, team.goal_x, 10.0,
                                 None, drag=drag, man=1)
    assert team.strike.style == ("pull" if drag < 0 else "push")
    trace = []
    speeds = _play(physics, team, 1.5, trace=trace)
    k = int(np.argmax(speeds > 3.0))
    assert k > 0 and speeds.max() > 7.0
    y_before = trace[k - 1][0][1]
    assert y_before * np.sign(drag) > 0.04  # dragged along the rod before the strike
    ball_before = trace[k - 1][0]
    assert abs(tc.rel_x(spec, ball_before[0])) < tc.FOOT_REACH_X  # and struck by the rod
    angles = np.array([a for _, a in trace])
    assert np.ptp(angles[:, 5]) < 2.0 * math.pi


def test_swing_time_grows_with_the_back_swing(german):
    short = sk.swing_time(german, 5, 0.8, 140.0)
    long = sk.swing_time(german, 5, 2.0, 140.0)
    assert 0.0 < short < long < 0.1
    assert sk.brake_angle(german, 5, 140.0) < sk.MAX_FINISH  # a full-speed swing stops
