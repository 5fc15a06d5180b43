import cv2
import numpy as np
import pytest

from reconstruct.metrics_rods import count_turns
from reconstruct.rod_paths import RodPathTracker
from reconstruct.rods import RodReader
from sim.camera import Camera
from sim.record import read_record
from sim.simulate import simulate
from tests.reconstruct.drawn_table import colour_mask, draw_table

FPS = 120.0


@pytest.fixture(scope="module")
def overhead():
    return Camera.looking_at(640, 480, [0.0, 0.0, 1.35], [0.0, 0.0, 0.0], 62)


@pytest.fixture(scope="module")
def reader(german, overhead):
    return RodReader(german, overhead, colour_mask())


def _wrap(a):
    return (a + np.pi) % (2 * np.pi) - np.pi


def test_single_frames_give_shift_and_angle(german, overhead, reader):
    rng = np.random.default_rng(0)
    travel = np.array([r.travel for r in german.rods])
    es, ea = [], []
    for _ in range(6):
        shifts = rng.uniform(-1, 1, 8) * travel
        angles = rng.uniform(-1.2, 1.2, 8)
        r = reader.read(draw_table(german, overhead, shifts, angles))
        es.append(np.abs(r.shift - shifts))
        ea.append(np.abs(_wrap(r.angle - angles)))
    es, ea = np.array(es), np.degrees(np.array(ea))
    assert es.max() < 0.004
    assert np.median(es) < 0.0015
    assert np.median(ea) < 2.0
    assert np.mean(ea < 8.0) > 0.85  # single frames may still take a mirror image


def test_a_rod_out_of_team_colour_reads_no_coverage(german, overhead, reader):
    img = draw_table(german, overhead, np.zeros(8), np.zeros(8),
                     teams=((40, 40, 200), (40, 40, 200)))  # side 1 painted like side 0
    r = reader.read(img)
    assert (r.coverage[[2, 4, 6, 7]] < 0.05).all()
    assert (r.coverage[[0, 1, 3, 5]] > 0.5).all()


def _track(reader, german, overhead, shifts, angles):
    """The rod path tracker's committed frames over drawn frames of (n, 8) shifts and angles:
    angles (n, 8) and shifts (n, 8)."""
    tracker = RodPathTracker(8, FPS)
    out = []
    for i in range(len(angles)):
        tracker.update(reader.read(draw_table(german, overhead, shifts[i], angles[i])))
        out += tracker.pop_committed()
    out += tracker.finish()
    assert [f.frame for f in out] == list(range(len(angles)))
    return np.array([f.angle for f in out]), np.array([f.shift for f in out])


def _spin(n: int, start: int, speed: float, turns: float, accel: float = 3000.0) -> np.ndarray:
    """(n,) rad: a rod at rest that spins ``turns`` full turns from frame ``start``, its speed
    rising and falling at ``accel`` rad/s^2 to and from ``speed`` rad/s."""
    t = np.arange(n) / FPS
    ramp = speed / accel
    total = 2 * np.pi * turns
    cruise = total / speed - ramp  # s at full speed
    u = np.clip(t - start / FPS, 0, None)
    up = np.minimum(u, ramp)
    mid = np.clip(u - ramp, 0, cruise)
    down = np.clip(u - ramp - cruise, 0, ramp)
    return 0.5 * accel * up ** 2 + speed * mid + speed * down - 0.5 * accel * down ** 2


def test_over_time_angles_are_smoothed_and_a_fast_spin_is_counted(german, overhead, reader):
    n = 150
    t = np.arange(n) / FPS
    travel = np.array([r.travel for r in german.rods])
    shifts = 0.8 * travel * np.sin(2 * np.pi * 0.5 * t[:, None] + np.arange(8))
    angles = 0.4 * np.sin(2 * np.pi * 0.7 * t[:, None] + np.arange(8))
    angles[:, 3] += _spin(n, 40, 60.0, 1)
    A, S = _track(reader, german, overhead, shifts, angles)
    assert np.degrees(np.abs(_wrap(A - angles))).mean() < 2.0
    assert np.abs(S - shifts).mean() < 0.002
    # unwrapped: the spin reads 2 pi more at the end
    assert count_turns(A[:, 3]) == (1, 0)
    assert A[-1, 3] == pytest.approx(angles[-1, 3], abs=0.15)
    assert np.abs(A[:, [0, 1, 2, 4, 5, 6, 7]] - angles[:, [0, 1, 2, 4, 5, 6, 7]]).max() < 0.3


def test_strikes_of_simulated_players_count_no_turn(german, overhead, reader, tmp_path):
    """The simulator's players strike past the horizontal at up to 140 rad/s and never turn a
    rod round: seen from overhead, every strike has a twin path over the top that reads a
    full turn, and the tracker must not take it."""
    simulate(german, tmp_path, seed=4, duration=2.0, fps=FPS)
    truth = read_record(tmp_path)
    angles, shifts = truth.rod_angles, truth.rod_shifts
    assert np.abs(angles).max() > 2.5  # a strike past the horizontal...
    assert (np.abs(np.diff(angles, axis=0)) * FPS).max() > 100.0  # ...and a fast one
    A, S = _track(reader, german, overhead, shifts, angles)
    for i in range(8):
        assert count_turns(A[:, i]) == (0, 0), f"rod {i}"
    assert np.abs(A - angles).max() < np.pi  # always in the right turn
    err = np.degrees(np.abs(_wrap(A - angles)))
    assert np.median(err) < 1.5
    assert np.mean(err < 10.0) > 0.97


def test_a_black_goalie_is_not_read_in_the_dark_goal_box(german, overhead):
    """What lies past an end wall (the goal box, the room) is dark: a black team's goalie
    must not be fitted to it (he read level, swung into the box)."""
    teams = ((20, 20, 20), (40, 40, 200))
    reader = RodReader(german, overhead, colour_mask(teams))
    hl, hw = german.half_length, 0.5 * german.goal.width
    box = overhead.table_to_pixel(np.array([[-hl - 0.12, -hw, 0.0], [-hl, -hw, 0.0],
                                            [-hl, hw, 0.0], [-hl - 0.12, hw, 0.0]]))
    err = []
    for a in (-0.4, -0.1, 0.0, 0.2, 0.4):
        angles = np.full(8, a)
        img = draw_table(german, overhead, np.zeros(8), angles, teams=teams)
        cv2.fillConvexPoly(img, np.round(box).astype(np.int32), (6, 6, 6))
        err.append(abs(_wrap(reader.read(img).angle[0] - a)))
    assert np.degrees(max(err)) < 5.0, np.round(np.degrees(err), 1)
