"""The lamp's brightness from frame to frame: mains flicker undone before the ball is sought.

Under a lamp on AC mains a short shutter catches the light at another phase of its pulse in
every frame: the whole table is brighter or darker (the light itself, linear in the sensor,
scaled by one gain: 0.8 to 1.6 times the background's in the flicker scenario). Against a
background taken at another brightness the ball's matte (``reconstruct.ball_colour``) is
then non-zero all over the table: every bright edge seeds a fit, and those fits stretch along
the edge (the flicker scenario fitted 2.8 streaks a frame where a steady lamp needs 1.1).

``LampGain`` measures the gain of each frame against the background (the median ratio of
their linear light on a few rows of the playfield: the ball and the men moving over it
are a minority) and, when it is off by more than ``MIN_GAIN_CHANGE``, brings the frame back
to the background's brightness through the sRGB curve (one lookup table). A steady lamp
leaves every frame as it is, byte for byte.
"""

from __future__ import annotations

import cv2
import numpy as np

MIN_GAIN_CHANGE = 0.02  # relative: a frame within this of the background's light is left be
ROWS, RUNS, RUN_PX = 16, 4, 16  # the gain is measured on RUNS runs of RUN_PX pixels in each
# of ROWS rows spread over the playfield (their green values: about a thousand, enough for a
# median that the moving ball and men do not sway)
DARK, BRIGHT = 40, 220  # 8-bit: background values outside carry no gain (noise, clipping)


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    """Linear light (0..1) of sRGB-encoded values ``v`` (0..1), any shape, float64."""
    v = np.asarray(v, float)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """sRGB-encoded values (0..1) of linear light ``x`` (clipped to 0..1), float64."""
    x = np.clip(np.asarray(x, float), 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)


_LINEAR = srgb_to_linear(np.arange(256) / 255.0)  # (256,) linear light of each 8-bit value


class LampGain:
    """Per-frame brightness against the background, measured and undone.

    Args:
        box: (y0, y1, x0, x1) px, where to measure (the playfield's box); None: everywhere.
    """

    def __init__(self, box: tuple[int, int, int, int] | None = None):
        self.box = box
        self._bg_key = None  # the background the grid's reference values are of
        self._ref: np.ndarray | None = None  # (N,) float64 linear light of the background
        self._idx: np.ndarray | None = None  # (N,) flat indices of the values that count
        self.gain = 1.0  # of the last frame

    def _samples(self, shape: tuple[int, ...]) -> np.ndarray:
        """(N,) int64: flat indices of the green values measured in an (H, W, 3) image."""
        h, w = shape[:2]
        y0, y1, x0, x1 = (0, h, 0, w) if self.box is None else self.box
        y0, x0 = min(max(y0, 0), h - 1), min(max(x0, 0), w - 1)
        y1, x1 = min(max(y1, y0 + 1), h), min(max(x1, x0 + 1), w)
        ys = np.linspace(y0, y1 - 1, ROWS + 2)[1:-1].round().astype(np.int64)
        starts = np.linspace(x0, max(x1 - RUN_PX, x0), RUNS + 2)[1:-1].round().astype(np.int64)
        xs = np.unique(np.minimum((starts[:, None] + np.arange(RUN_PX)).ravel(), w - 1))
        return ((ys[:, None] * w + xs) * 3 + 1).ravel()

    def measure(self, frame: np.ndarray, background: np.ndarray) -> float:
        """The frame's light relative to the background's (1: the same), from (H, W, 3)
        uint8 images."""
        if self._bg_key is not background:  # a new background: its reference values
            idx = self._samples(background.shape)
            b = background.reshape(-1)[idx]
            ok = (b > DARK) & (b < BRIGHT)
            self._idx, self._ref = idx[ok], _LINEAR[b[ok]]
            self._bg_key = background
        if self._ref is None or len(self._ref) < 16:
            return 1.0
        ratio = _LINEAR[frame.reshape(-1)[self._idx]] / self._ref
        k = len(ratio) // 2  # the (upper) median: a partition, quicker than np.median
        return float(np.partition(ratio, k)[k])

    def normalise(self, frame: np.ndarray, background: np.ndarray | None) -> np.ndarray:
        """``frame`` (H, W, 3) uint8 at the background's brightness: the frame itself when
        its light is within ``MIN_GAIN_CHANGE`` of the background's (or there is none yet),
        else a new image with every value's linear light divided by the gain."""
        self.gain = 1.0 if background is None else self.measure(frame, background)
        if abs(self.gain - 1.0) <= MIN_GAIN_CHANGE:
            return frame
        lut = np.round(255.0 * linear_to_srgb(_LINEAR / self.gain)).astype(np.uint8)
        return cv2.LUT(frame, lut)
