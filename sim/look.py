"""How the rendered table looks: colours, lights and the clutter around it.

Colours are sRGB triples in 0..1, as a colour picker gives them; the renderer converts them
to linear light. Named colours (``COLOURS``) serve both the teams and the ball, so a team
called "red" in a record is drawn red.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

RGB = tuple[float, float, float]

# Named colours for teams and balls (sRGB, 0..1).
COLOURS: dict[str, RGB] = {
    "red": (0.80, 0.10, 0.10),
    "blue": (0.12, 0.25, 0.75),
    "black": (0.07, 0.07, 0.08),
    "green": (0.35, 0.85, 0.25),
    "yellow": (0.95, 0.80, 0.15),
    "white": (0.93, 0.93, 0.90),
    "orange": (0.98, 0.50, 0.10),
    "silver": (0.70, 0.71, 0.73),
    "grey": (0.45, 0.45, 0.47),
}


def colour(name_or_rgb) -> RGB:
    """An sRGB triple from a name in ``COLOURS``, a ``#rrggbb`` string or a triple."""
    if isinstance(name_or_rgb, str):
        text = name_or_rgb.strip().lower()
        if text in COLOURS:
            return COLOURS[text]
        if text.startswith("#") and len(text) == 7:
            try:
                return tuple(int(text[i:i + 2], 16) / 255.0 for i in (1, 3, 5))
            except ValueError:
                pass
        raise ValueError(f"unknown colour {name_or_rgb!r}: use one of {', '.join(COLOURS)} "
                         "or #rrggbb")
    rgb = tuple(float(c) for c in name_or_rgb)
    if len(rgb) != 3 or not all(0.0 <= c <= 1.0 for c in rgb):
        raise ValueError(f"a colour is three numbers in 0..1, got {name_or_rgb!r}")
    return rgb


def srgb_to_linear(rgb) -> np.ndarray:
    """sRGB 0..1 -> linear light 0..1 (the sRGB transfer curve)."""
    c = np.asarray(rgb, float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


@dataclass(frozen=True)
class Look:
    """Colours, lights and clutter of a rendered table (lengths in m, colours sRGB 0..1).

    The key light is a round lamp of ``light_radius`` hanging ``light_height`` above the
    playfield centre (its size sets how soft the shadows are); ``ambient`` is the share of
    light coming from everywhere (the room).
    """

    teams: tuple[str, str] = ("red", "blue")  # colour names of side 0 and side 1
    ball: str = "white"
    field: RGB = (0.24, 0.47, 0.40)
    lines: RGB = (0.90, 0.92, 0.90)
    walls: RGB = (0.86, 0.87, 0.86)
    cabinet: RGB = (0.08, 0.09, 0.14)
    goal_inside: RGB = (0.04, 0.04, 0.05)
    rods: RGB = (0.78, 0.78, 0.80)
    bumpers: RGB = (0.05, 0.05, 0.05)
    grips: RGB = (0.10, 0.10, 0.10)
    floor: RGB = (0.38, 0.39, 0.42)
    skin: RGB = (0.80, 0.62, 0.52)
    sleeves: tuple[RGB, RGB] = ((0.55, 0.56, 0.55), (0.12, 0.12, 0.14))
    markings: bool = True
    light_height: float = 1.3  # m above the playfield
    light_radius: float = 0.15  # m
    light_colour: RGB = (1.0, 0.96, 0.90)
    ambient: float = 0.45  # 0..1
    hands: bool = True  # hands and forearms at the handles
    floor_visible: bool = True  # the floor and the players' bodies around the table
    cabinet_rim: float = 0.07  # m, the cabinet's top edge outside the walls
    cabinet_end: float = 0.16  # m, the cabinet beyond each end wall
    cabinet_depth: float = 0.30  # m, cabinet below the playfield
    floor_depth: float = 0.80  # m, floor below the playfield
    grip_length: float = 0.11  # m
    grip_side: tuple[int, int] = (-1, 1)  # y side of the handles of side 0 and side 1
    texture_seed: int = 7  # seeds the felt and carpet grain

    def __post_init__(self) -> None:
        for name in (*self.teams, self.ball):
            colour(name)
        if self.light_height <= 0.2:
            raise ValueError("light_height must be above the rods (> 0.2 m)")
        if not 0.0 <= self.ambient <= 1.0:
            raise ValueError(f"ambient must be in 0..1, got {self.ambient}")

    def team_rgb(self, side: int) -> RGB:
        return colour(self.teams[side])

    @property
    def ball_rgb(self) -> RGB:
        return colour(self.ball)

    def with_teams(self, teams) -> Look:
        """The same look with other team colour names."""
        return replace(self, teams=tuple(teams))
