import math

import numpy as np
import pytest

from sim.physics import LAUNCH_MARGIN, RodTarget, TablePhysics, nearest_turn
from sim.table import available_tables, load_table
from sim.world import ramp_vertices, surface_height


@pytest.fixture(scope="module")
def physics():
    ph = TablePhysics(load_table("german"), visual=False)
    yield ph
    ph.close()


def _hold(ph, shifts, angles):
    ph.reset_rods(shifts, angles)
    ph.set_rod_targets([RodTarget(s, a) for s, a in zip(shifts, angles)])


@pytest.mark.parametrize("name", available_tables())
def test_every_table_is_stable_at_rest(name):
    table = load_table(name)
    ph = TablePhysics(table, visual=False)
    try:
        r = table.ball.radius
        # the ball in the open, against a side wall, in a corner (it rolls off a ramp)
        spots = [(0.15, 0.1, 0.05), (0.0, table.half_width - r, 0.05),
                 (table.half_length - r - 0.001, table.half_width - r - 0.001, 0.3)]
        for x, y, speed in spots:
            ph.set_ball((x, y, r + surface_height(table, x, y) + 0.002))
            _hold(ph, np.zeros(8), np.zeros(8))
            ph.step(1000)
            assert np.all(np.isfinite(ph.ball_position()))
            assert np.linalg.norm(ph.ball_velocity()) < speed
            assert -1e-3 < ph.ball_position()[2] - r < table.corner_ramp + 0.002
            assert np.abs(ph.rod_shifts()).max() < 1e-3
            assert np.abs(ph.rod_angles()).max() < 1e-2
        ph.set_ball((0.15, 0.1, r))
        ph.step(500)
        assert ph.ball_position()[2] == pytest.approx(r, abs=1e-3)
        assert np.linalg.norm(ph.ball_velocity()) < 1e-3
    finally:
        ph.close()


def test_ball_in_a_corner_rolls_off_the_ramp():
    table = load_table("german")
    assert ramp_vertices(table), "the German table has corner ramps"
    ph = TablePhysics(table, visual=False)
    try:
        r = table.ball.radius
        corner = np.array([table.half_length, table.half_width])
        start = corner - 0.6 * r
        ph.set_ball((*start, r + table.corner_ramp))
        ph.step(1500)
        end = ph.ball_position()
        assert np.linalg.norm(corner - end[:2]) > np.linalg.norm(corner - start)
    finally:
        ph.close()


def test_rods_reach_targets_within_the_drive_limits(physics):
    table = physics.table
    _hold(physics, np.zeros(8), np.zeros(8))
    physics.set_ball((0.0, 0.0, 1.0))  # out of the way
    targets = [RodTarget(0.5 * r.travel * (-1) ** r.index, 0.8 * (-1) ** r.index)
               for r in table.rods]
    physics.set_rod_targets(targets)
    fastest = 0.0
    for _ in range(400):
        physics.step()
        fastest = max(fastest, np.abs(physics.rod_speeds()).max())
    np.testing.assert_allclose(physics.rod_shifts(), [t.shift for t in targets], atol=1e-3)
    np.testing.assert_allclose(physics.rod_angles(), [t.angle for t in targets], atol=1e-2)
    assert fastest <= 1.05 * table.rod_drive.max_speed


def test_shift_targets_are_clipped_to_the_travel(physics):
    table = physics.table
    _hold(physics, np.zeros(8), np.zeros(8))
    physics.set_rod_targets([RodTarget(1.0, 0.0) for _ in range(8)])
    physics.step(600)
    travel = np.array([r.travel for r in table.rods])
    assert np.all(physics.rod_shifts() <= travel + 1e-3)
    np.testing.assert_allclose(physics.rod_shifts(), travel, atol=2e-3)


def test_angles_are_unwrapped(physics):
    _hold(physics, np.zeros(8), np.zeros(8))
    physics.set_ball((0.0, 0.0, 1.0))
    physics.set_rod_targets([RodTarget(0.0, None, spin=-30.0)] + [None] * 7)
    physics.step(int(physics.rate_hz * 4 * math.pi / 30.0))
    physics.set_rod_targets([RodTarget(0.0, nearest_turn(physics.rod_angle(0), 0.0))])
    physics.step(500)
    assert physics.rod_angle(0) == pytest.approx(-4 * math.pi, abs=0.05)


@pytest.mark.parametrize("dy", [-0.006, 0.0, 0.006])
@pytest.mark.parametrize("speed", [10.0, 20.0])
def test_no_tunnelling_through_a_man(physics, speed, dy):
    table = physics.table
    rod = table.rods[4]
    angles = np.full(8, 1.5)
    angles[4] = 0.0
    _hold(physics, np.zeros(8), angles)
    y = rod.man_offsets[2] + dy
    physics.set_ball((0.0, y, table.ball.radius), (speed, 0.0, 0.0))  # between rods 3 and 4
    crossed = False
    for _ in range(30):
        physics.step()
        crossed |= physics.ball_position()[0] > rod.x
    assert not crossed
    assert physics.ball_velocity()[0] < 0  # it bounced back


@pytest.mark.parametrize("angle", [0.0, 0.5, 1.0])
def test_no_tunnelling_through_a_wall(physics, angle):
    table = physics.table
    _hold(physics, np.zeros(8), np.full(8, 1.5))
    v = 20.0 * np.array([math.sin(angle), math.cos(angle), 0.0])
    physics.set_ball((0.0, 0.25, table.ball.radius), v)
    for _ in range(40):
        physics.step()
        assert abs(physics.ball_position()[1]) < table.half_width
    assert physics.ball_velocity()[1] < 0


def test_a_man_turned_down_onto_the_ball_does_not_launch_it(physics):
    table = physics.table
    rng = np.random.default_rng(0)
    rod = table.rods[3]
    highest = 0.0
    for _ in range(10):
        start = rng.choice([-1.5, 1.5])
        angles = np.zeros(8)
        angles[3] = start
        _hold(physics, np.zeros(8), angles)
        physics.set_ball((rod.x + rng.uniform(-0.03, 0.03), rod.man_offsets[2], table.ball.radius))
        physics.set_rod_targets([None] * 3 + [RodTarget(0.0, 0.0, torque=rng.uniform(0.5, 4))])
        for k in range(300):
            if k == 150:
                physics.set_rod_targets([None] * 3 + [RodTarget(0.0, -start)])
            physics.step()
            highest = max(highest, physics.ball_position()[2] - table.ball.radius)
    assert highest < 0.005
    assert highest < LAUNCH_MARGIN ** 2 / (2 * 9.81) + 0.004  # the clip's hop, plus slack


def test_a_rolling_ball_does_not_climb_a_wall(physics):
    table = physics.table
    r = table.ball.radius
    _hold(physics, np.zeros(8), np.full(8, 1.5))
    v = 4.0
    physics.set_ball((0.0, 0.2, r), (0.0, v, 0.0), (-v / r, 0.0, 0.0))  # rolling into the wall
    highest = 0.0
    for _ in range(200):
        physics.step()
        highest = max(highest, physics.ball_position()[2] - r)
    assert highest < 0.005


def test_a_strike_shoots_at_over_ten_metres_a_second(physics):
    table = physics.table
    rod = table.rods[5]
    angles = np.full(8, 1.5)
    angles[5] = 1.6  # wound up
    _hold(physics, np.zeros(8), angles)
    physics.set_ball((rod.x + 0.03, rod.man_offsets[1], table.ball.radius))
    physics.set_rod_targets([None] * 5 + [RodTarget(0.0, None, spin=-table.rod_drive.max_spin)])
    fastest, touched = 0.0, set()
    for _ in range(60):
        physics.step()
        fastest = max(fastest, float(np.linalg.norm(physics.ball_velocity())))
        touched |= {(c.rod, c.man) for c in physics.ball_contacts() if c.kind == "man"}
    assert fastest > 10.0
    assert touched == {(5, 1)}


def test_state_snapshot_matches_the_accessors(physics):
    state = physics.state(in_play=False)
    assert state.t == pytest.approx(physics.t)
    np.testing.assert_array_equal(state.ball, physics.ball_position())
    np.testing.assert_array_equal(state.angles, physics.rod_angles())
    assert not state.in_play


def test_low_physics_rate_is_refused():
    with pytest.raises(ValueError, match="too low"):
        TablePhysics(load_table("german"), rate_hz=100)
