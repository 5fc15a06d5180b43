"""Sampling an exposure: states at any instant, blur sample counts, flicker."""

import numpy as np
import pytest

from sim.exposure import (
    BlurGroup,
    StateTrack,
    flicker_gain,
    merge_groups,
    sample_times,
    samples_for,
    samples_many,
)
from sim.scripted import exposure_states, make_script
from sim.state import interpolate_state


def test_track_samples_like_interpolate_state(german):
    states = exposure_states(make_script("match", german, seed=2), 0.1, 1 / 120)
    track = StateTrack(states)
    times = np.linspace(track.start, track.end, 13)
    ball, shifts, angles = track.sample(times)
    for k, t in enumerate(times):
        i = min(max(np.searchsorted(track.t, t, side="right"), 1), len(states) - 1)
        ref = interpolate_state(states[i - 1], states[i], t)
        assert ball[k] == pytest.approx(ref.ball)
        assert shifts[k] == pytest.approx(ref.shifts)
        assert angles[k] == pytest.approx(ref.angles)
    assert track.state(0.1).ball == pytest.approx(make_script("match", german, seed=2)(0.1).ball,
                                                  abs=1e-4)


def test_exposure_states_span_the_shutter(german):
    states = exposure_states(make_script("roll", german), 0.05, 0.004, physics_rate=1000)
    assert states[0].t == pytest.approx(0.048) and states[-1].t == pytest.approx(0.052)
    assert [round(s.t, 6) for s in states[1:-1]] == [0.049, 0.05, 0.051]


def test_sample_times_are_slice_midpoints():
    assert sample_times(0.0, 1.0, 4) == pytest.approx([0.125, 0.375, 0.625, 0.875])


def test_blur_sample_count_follows_the_motion():
    assert samples_for(0.4, 1.0, 96) == 1
    assert samples_for(10.0, 1.0, 96) == 11
    assert samples_for(1e6, 1.0, 96) == 96
    assert samples_for(np.nan, 1.0, 96) == 1


def test_sample_counts_of_many_lengths_match_one_at_a_time():
    lengths = np.array([np.nan, np.inf, -1.0, 0.0, 0.74, 0.75, 1.0, 1.5, 3.2, 10.0, 143.9, 1e6])
    for step, most in ((1.5, 96), (1.0, 96), (2.5, 5), (1.0, 1)):
        want = [samples_for(float(x), step, most) for x in lengths]
        assert samples_many(lengths, step, most).tolist() == want


def test_overlapping_groups_merge():
    a = BlurGroup([1], False, (0, 0, 10, 10), 3)
    b = BlurGroup([], True, (5, 5, 20, 20), 7)
    c = BlurGroup([4], False, (50, 50, 60, 60), 2)
    merged = merge_groups([a, b, c])
    assert len(merged) == 2
    ab = [g for g in merged if g.ball][0]
    assert ab.rods == [1] and ab.rect == (0, 0, 20, 20) and ab.samples == 7


@pytest.mark.parametrize("hz", [50.0, 60.0])
def test_flicker_averages_out_over_whole_periods(hz):
    period = 1.0 / (2 * hz)
    assert flicker_gain(0.0123, 0.0123 + 3 * period, hz, 0.5) == pytest.approx(1.0)
    # an instant sees the lamp's full swing
    gains = [flicker_gain(t, t, hz, 0.5) for t in np.linspace(0, period, 50)]
    assert min(gains) == pytest.approx(0.5, abs=0.01) and max(gains) == pytest.approx(1.5, abs=0.01)
    assert flicker_gain(0.0, 0.001, 0.0, 0.5) == 1.0
