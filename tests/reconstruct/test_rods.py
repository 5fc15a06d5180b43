import numpy as np
import pytest

from reconstruct.rod_paths import RodPathTracker
from reconstruct.rods import RodReader
from sim.camera import Camera
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


def test_over_time_angles_are_smoothed_and_a_spin_is_counted(german, overhead, reader):
    n = 150
    t = np.arange(n) / FPS
    travel = np.array([r.travel for r in german.rods])
    shifts = 0.8 * travel * np.sin(2 * np.pi * 0.5 * t[:, None] + np.arange(8))
    angles = 0.4 * np.sin(2 * np.pi * 0.7 * t[:, None] + np.arange(8))
    angles[60:, 3] += np.minimum((np.arange(n - 60)) / FPS * 30.0, 2 * np.pi)
    tracker = RodPathTracker(8, FPS)
    out = []
    for i in range(n):
        tracker.update(reader.read(draw_table(german, overhead, shifts[i], angles[i])))
        out += tracker.pop_committed()
    out += tracker.finish()
    assert [f.frame for f in out] == list(range(n))
    A = np.array([f.angle for f in out])
    S = np.array([f.shift for f in out])
    assert np.degrees(np.abs(_wrap(A - angles))).mean() < 2.0
    assert np.abs(S - shifts).mean() < 0.002
    # unwrapped: the spin reads 2 pi more at the end
    assert A[-1, 3] == pytest.approx(angles[-1, 3], abs=0.15)
    assert np.abs(A[:, [0, 1, 2, 4, 5, 6, 7]] - angles[:, [0, 1, 2, 4, 5, 6, 7]]).max() < 0.3
