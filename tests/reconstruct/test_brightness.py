"""Mains flicker undone: a frame brighter or darker in linear light comes back to the
background's brightness; a steady frame is left as it is."""

import numpy as np

from reconstruct.brightness import LampGain, linear_to_srgb, srgb_to_linear


def _table(seed: int = 3) -> np.ndarray:
    """(120, 160, 3) uint8: a mid-tone table with texture."""
    rng = np.random.default_rng(seed)
    base = np.array([60, 140, 70], float)
    img = base + rng.normal(0.0, 12.0, (120, 160, 3))
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def _lit(image: np.ndarray, gain: float) -> np.ndarray:
    """``image`` under ``gain`` times the light (what a flickering lamp does)."""
    x = srgb_to_linear(image / 255.0) * gain
    return np.round(255.0 * linear_to_srgb(x)).astype(np.uint8)


def test_flicker_is_measured_and_undone():
    bg = _table()
    frame = bg.copy()
    frame[40:60, 50:70] = 240  # a ball-sized bright thing the gain must not follow
    for gain in (0.7, 1.3):
        lamp = LampGain()
        out = lamp.normalise(_lit(frame, gain), bg)
        assert abs(lamp.gain - gain) < 0.02
        diff = np.abs(out.astype(int) - frame.astype(int))[:40]  # the table, not the blob
        assert np.median(diff) <= 1 and diff.max() <= 4


def test_steady_light_leaves_the_frame_alone():
    bg = _table()
    frame = bg.copy()
    frame[40:60, 50:70] = 240
    lamp = LampGain(box=(10, 110, 10, 150))
    assert lamp.normalise(frame, bg) is frame
    assert lamp.normalise(frame, None) is frame
    assert lamp.gain == 1.0
