"""Named, versioned filming scenarios: what the tracker benchmark runs.

A scenario fixes the table, the camera (``CameraSettings``) and the look (``Look``). Any
change to what a scenario renders must bump its ``version``, so benchmark results name
exactly what they were measured on (``Scenario.key``, e.g. ``clean@1``).

| name | what it tests |
|---|---|
| ``clean`` | a good webcam straight above: 120 fps, 640x480, short shutter, no hands |
| ``long_exposure`` | the shutter open the whole frame: long streaks |
| ``fps240`` | 240 fps at 640x360 |
| ``hd720`` | 1280x720 at 60 fps |
| ``wide_angle`` | an action camera close above the table: strong barrel distortion |
| ``low_light`` | a dim room: high gain, heavy noise |
| ``flicker`` | 1/1000 s shutter under 50 Hz mains lighting |
| ``tilted`` | the camera beyond one end, tilted, off-centre and not level (as broadcasts) |
| ``tornado`` | the Tornado table, yellow against black |
| ``colours`` | black against green men and an orange ball |
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sim.camerasettings import CameraSettings
from sim.look import Look


@dataclass(frozen=True)
class Scenario:
    """A filming preset. ``version`` changes whenever anything it renders changes."""

    name: str
    version: int
    description: str
    camera: CameraSettings = field(default_factory=CameraSettings)
    look: Look = field(default_factory=Look)
    table: str = "german"

    @property
    def key(self) -> str:
        """``name@version``, how results refer to it."""
        return f"{self.name}@{self.version}"

    def to_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "key": self.key,
                "description": self.description, "table": self.table}


def _scenarios() -> dict[str, Scenario]:
    cam = CameraSettings()
    items = [
        Scenario("clean", 1, "good webcam straight above, 120 fps 640x480, 1/240 s, no hands",
                 cam, Look(hands=False)),
        Scenario("long_exposure", 1, "shutter open the whole frame (1/120 s): long streaks",
                 replace(cam, exposure=1 / 120)),
        Scenario("fps240", 1, "240 fps at 640x360, 1/480 s",
                 replace(cam, fps=240.0, exposure=1 / 480, height_px=360, hfov_deg=74.0)),
        Scenario("hd720", 1, "1280x720 at 60 fps, 1/240 s",
                 replace(cam, width=1280, height_px=720, fps=60.0, hfov_deg=76.0)),
        Scenario("wide_angle", 1, "action camera 0.7 m above: 87 deg across, strong barrel",
                 replace(cam, height=0.70, hfov_deg=74.0,
                         dist=(-0.30, 0.09, 0.0004, -0.0003, -0.012))),
        Scenario("low_light", 1, "dim room: a quarter of the light, gain 4, noisy sensor",
                 replace(cam, illuminance=60.0, full_well=2500.0, read_noise=8.0,
                         vignetting=0.3)),
        Scenario("flicker", 1, "1/1000 s shutter under 50 Hz mains light",
                 replace(cam, exposure=1 / 1000, illuminance=1000.0, flicker_hz=50.0,
                         flicker_depth=0.35)),
        Scenario("tilted", 1, "camera beyond one end, tilted 35 deg, off-centre, 3 deg roll",
                 replace(cam, width=960, height_px=540, height=1.45, tilt_deg=35.0,
                         yaw_deg=90.0, roll_deg=3.0, look_at=(0.05, -0.04), hfov_deg=56.0)),
        Scenario("tornado", 1, "Tornado table, yellow against black",
                 cam, Look(teams=("yellow", "black"), field=(0.16, 0.30, 0.55),
                           markings=False), table="tornado"),
        Scenario("colours", 1, "black against green men, orange ball",
                 cam, Look(teams=("black", "green"), ball="orange")),
    ]
    return {s.name: s for s in items}


SCENARIOS: dict[str, Scenario] = _scenarios()


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name`` (``name@version`` also accepted if the version
    matches).

    Raises:
        ValueError: no such scenario, or another version.
    """
    base, _, version = name.partition("@")
    if base not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}: choose one of {', '.join(SCENARIOS)}")
    s = SCENARIOS[base]
    if version and version != str(s.version):
        raise ValueError(f"scenario {base!r} is at version {s.version}, not {version}")
    return s
