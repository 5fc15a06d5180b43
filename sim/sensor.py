"""The camera's image pipeline after the render, on the CPU with OpenCV: lens distortion
(remap), optics softness, mains flicker, sensor noise.

The GPU already wrote the image in sRGB with exposure, gain, white balance and vignetting
applied (``sim.footage``). What is left is cheap on 8-bit images:

- distortion: ``cv2.remap`` with fixed-point maps (output pixel -> pinhole pixel);
- softness: a 3x3 Gaussian (the lens and the demosaicing of a real sensor);
- flicker: one lookup table scaling linear light by the exposure's mean lamp brightness;
- noise: photon and read noise. In sRGB the noise of a photon-limited sensor is nearly the
  same at every brightness (the curve is close to a square root, which evens out Poisson
  noise), so it is added as Gaussian noise of constant spread ``noise_sigma`` (in 8-bit
  steps, at 20 % grey), drawn from a bank made once per clip at a per-frame random offset.
"""

from __future__ import annotations

import cv2
import numpy as np

from sim.camerasettings import CameraSettings

NOISE_MARGIN = 48  # px, the bank's extra rows and columns (random offsets per frame)


def frame_seed(seed: int, frame: int) -> int:
    """A 32-bit number mixing ``seed`` and ``frame`` (SplitMix64 finaliser)."""
    x = (seed * 0x9E3779B97F4A7C15 + frame * 0xBF58476D1CE4E5B9 + 0x94D049BB133111EB)
    x &= (1 << 64) - 1
    x ^= x >> 31
    x = (x * 0x94D049BB133111EB) & ((1 << 64) - 1)
    x ^= x >> 29
    return int(x & 0xFFFFFFFF)


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """Linear light 0..1 -> sRGB 0..1."""
    c = np.clip(linear, 0.0, 1.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def srgb_decode(encoded: np.ndarray) -> np.ndarray:
    c = np.asarray(encoded, float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def noise_sigma(settings: CameraSettings) -> float:
    """Spread (8-bit steps) of the sensor noise at 20 % grey after encoding.

    Electrons ``e = L / gain * full_well`` for an output level L, spread
    ``sqrt(e + read_noise^2)``; through the gain and the sRGB curve's slope at L.
    """
    if settings.full_well <= 0:
        return 0.0
    level = 0.2
    gain = settings.auto_gain()
    e = level / gain * settings.full_well
    sigma_linear = gain * np.sqrt(e + settings.read_noise ** 2) / settings.full_well
    slope = 1.055 / 2.4 * level ** (1 / 2.4 - 1)
    return float(255.0 * slope * sigma_linear)


class Sensor:
    """The CPU half of a camera's pipeline for one clip.

    Args:
        settings: the camera.
        remap: (H, W, 2) float32 output -> pinhole pixel map (``sim.lens.pinhole_for``), or
            None without distortion.
    """

    def __init__(self, settings: CameraSettings, remap: np.ndarray | None):
        self.settings = settings
        W, H = settings.width, settings.height_px
        self.size = (W, H)
        self.maps = None
        if remap is not None:
            self.maps = cv2.convertMaps(remap[..., 0], remap[..., 1], cv2.CV_16SC2)
        self.sigma = noise_sigma(settings)
        self.noise = None
        if self.sigma >= 0.05:
            rng = np.random.default_rng(settings.seed)
            shape = (H + NOISE_MARGIN, W + NOISE_MARGIN, 3)
            n = np.round(rng.standard_normal(shape, dtype=np.float32) * self.sigma)
            n = np.clip(n, -255, 255)
            self.noise = (np.maximum(n, 0).astype(np.uint8), np.maximum(-n, 0).astype(np.uint8))
        self._bgr = None
        self._out = np.empty((H, W, 3), np.uint8)

    def develop(self, rgba: np.ndarray, frame: int, flicker: float = 1.0) -> np.ndarray:
        """The frame as the camera delivers it.

        Args:
            rgba: (Hp, Wp, 4) uint8, the render read back (sRGB, top row first).
            frame: frame index (picks the noise).
            flicker: mean lamp brightness over the exposure, relative.

        Returns:
            (H, W, 3) uint8 BGR (a buffer reused by the next call).
        """
        s = self.settings
        out = self._out
        if self.maps is not None:
            if self._bgr is None or self._bgr.shape[:2] != rgba.shape[:2]:
                self._bgr = np.empty(rgba.shape[:2] + (3,), np.uint8)
            cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGR, dst=self._bgr)
            cv2.remap(self._bgr, self.maps[0], self.maps[1], cv2.INTER_LINEAR, dst=out,
                      borderMode=cv2.BORDER_REPLICATE)
        else:
            cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGR, dst=out)
        if s.softness > 0:
            cv2.GaussianBlur(out, (3, 3), s.softness, dst=out)
        if abs(flicker - 1.0) > 1e-4:
            lut = np.round(255 * srgb_encode(srgb_decode(np.arange(256) / 255) * flicker))
            cv2.LUT(out, lut.astype(np.uint8), dst=out)
        if self.noise is not None:
            h = frame_seed(s.seed, frame)
            oy, ox = h % NOISE_MARGIN, (h >> 8) % NOISE_MARGIN
            H, W = out.shape[:2]
            cv2.add(out, self.noise[0][oy:oy + H, ox:ox + W], dst=out)
            cv2.subtract(out, self.noise[1][oy:oy + H, ox:ox + W], dst=out)
        return out
