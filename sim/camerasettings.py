"""Everything about the filming camera: where it is, its lens, its timing, its sensor and its
codec, as one frozen dataclass (SI units), and the ``sim.camera.Camera`` it makes.

The pose is set the way one mounts a camera over a table:

- ``look_at`` (x, y) m: the point of the playfield the optical axis passes through
  (0, 0: the centre; anything else: an off-centre camera);
- ``height`` m: the camera centre above the playfield;
- ``yaw_deg``: turns the camera about the vertical, counter-clockwise seen from above: 0
  puts the table's +x to the right of the image and +y up (the length across the image);
  90 puts +y to the right and +x down (the length up and down the image);
- ``tilt_deg``: the optical axis leans this far from vertical, the camera moving towards
  the image's bottom edge, as when it stands beyond one end or one side of the table;
- ``roll_deg``: turns the image about the optical axis (a camera not mounted level).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from sim.camera import Camera

CODECS = {"mp4v": ".mp4", "mjpg": ".avi"}


@dataclass(frozen=True)
class CameraSettings:
    """A filming camera (lengths m, times s, angles degrees, colours linear gains).

    Exposure and sensor: the light reaching a pixel over the exposure is the scene's
    radiance times ``illuminance`` times ``exposure`` (1.0 fills a white surface facing the
    lamp); ``gain`` amplifies it (``None``: automatic, bringing that white to
    ``auto_target``). Noise follows photon statistics with ``full_well`` electrons at
    1.0 plus ``read_noise`` electrons (``full_well = 0``: no noise). Mains flicker pulses the
    lamp at twice ``flicker_hz`` with relative amplitude ``flicker_depth``.
    """

    width: int = 640  # px
    height_px: int = 480  # px
    fps: float = 120.0
    exposure: float = 1.0 / 240.0  # s, shutter open time (<= 1 / fps)
    hfov_deg: float = 68.0  # horizontal field of view of the undistorted pinhole
    height: float = 1.15  # m, camera centre above the playfield
    tilt_deg: float = 0.0
    yaw_deg: float = 0.0
    roll_deg: float = 0.0
    look_at: tuple[float, float] = (0.0, 0.0)  # m
    dist: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)  # k1 k2 p1 p2 k3
    illuminance: float = 240.0  # 1/s: exposure x illuminance = 1 fills white
    gain: float | None = None  # None: automatic
    auto_target: float = 0.85
    max_gain: float = 16.0
    full_well: float = 4000.0  # electrons at 1.0
    read_noise: float = 4.0  # electrons
    white_balance: tuple[float, float, float] = (1.0, 1.0, 1.0)  # R, G, B gains
    vignetting: float = 0.15  # brightness lost in the image corners, 0..1
    softness: float = 0.5  # px, optics blur (half spread of a 2x2 box)
    flicker_hz: float = 0.0  # mains frequency: 0 (none), 50 or 60
    flicker_depth: float = 0.0  # 0..1
    codec: str = "mp4v"  # mp4v (MPEG-4 part 2, .mp4) or mjpg (MJPEG, .avi)
    quality: int = 90  # MJPEG quality 1..100 (OpenCV's mp4v encoder has a fixed rate)
    blur_step_px: float = 1.5  # px between motion-blur copies of the men
    ball_blur_step_px: float = 1.0  # px between motion-blur copies of the ball
    max_blur_samples: int = 96
    seed: int = 0  # sensor noise

    def __post_init__(self) -> None:
        def need(ok: bool, message: str) -> None:
            if not ok:
                raise ValueError(message)

        need(16 <= self.width <= 8192 and 16 <= self.height_px <= 8192,
             f"image size {self.width}x{self.height_px} must be 16..8192 px a side")
        need(self.fps > 0, f"fps must be positive, got {self.fps}")
        need(0 <= self.exposure <= 1.0 / self.fps + 1e-12,
             f"exposure {self.exposure:.6g} s must be between 0 and one frame (1/fps = "
             f"{1 / self.fps:.6g} s)")
        need(1.0 <= self.hfov_deg <= 170.0, f"hfov_deg must be 1..170, got {self.hfov_deg}")
        need(self.height > 0.15, f"camera height {self.height} m must be above the rods")
        need(0.0 <= self.tilt_deg < 80.0, f"tilt_deg must be 0..80, got {self.tilt_deg}")
        need(len(self.dist) == 5, "dist needs 5 coefficients: k1 k2 p1 p2 k3")
        need(self.illuminance > 0, "illuminance must be positive")
        need(self.gain is None or self.gain > 0, "gain must be positive (or None: automatic)")
        need(self.full_well >= 0 and self.read_noise >= 0, "noise settings must be >= 0")
        need(all(g > 0 for g in self.white_balance), "white balance gains must be positive")
        need(0 <= self.vignetting < 1, "vignetting must be in 0..1")
        need(self.softness >= 0, "softness must be >= 0")
        need(self.flicker_hz >= 0 and 0 <= self.flicker_depth <= 1,
             "flicker_hz must be >= 0 and flicker_depth in 0..1")
        need(self.codec in CODECS, f"codec must be one of {', '.join(CODECS)}, got "
             f"{self.codec!r}")
        need(1 <= self.quality <= 100, "quality must be 1..100")
        need(self.blur_step_px > 0 and self.ball_blur_step_px > 0
             and 1 <= self.max_blur_samples <= 250,
             "blur_step_px must be > 0 and max_blur_samples 1..250")

    # ------------------------------------------------------------------ derived
    def camera(self) -> Camera:
        """The ``sim.camera.Camera`` (intrinsics, distortion, pose) these settings make."""
        yaw = np.radians(self.yaw_deg)
        up = np.array([-np.sin(yaw), np.cos(yaw), 0.0])  # table direction up the image
        target = np.array([self.look_at[0], self.look_at[1], 0.0])
        back = self.height * np.tan(np.radians(self.tilt_deg))
        eye = target - back * up + np.array([0.0, 0.0, self.height])
        return Camera.looking_at(self.width, self.height_px, eye, target, self.hfov_deg, up=up,
                                 roll_deg=self.roll_deg, dist=self.dist)

    @property
    def container(self) -> str:
        """The video file's extension for the codec."""
        return CODECS[self.codec]

    def auto_gain(self) -> float:
        """The gain that brings a white surface facing the lamp to ``auto_target``."""
        if self.gain is not None:
            return self.gain
        signal = self.illuminance * max(self.exposure, 1e-6)
        return float(np.clip(self.auto_target / signal, 1.0 / self.max_gain, self.max_gain))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["height"] = self.height
        return d

    @classmethod
    def from_dict(cls, d: dict) -> CameraSettings:
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown camera settings: {', '.join(sorted(unknown))}")
        kw = {}
        for k, v in d.items():
            kw[k] = tuple(v) if isinstance(v, list) else v
        return cls(**kw)
