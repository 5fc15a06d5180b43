"""What a calibration holds: the camera, the table, how well it fits, and the teams' colours.

A ``Calibration`` is saved as one JSON file (``save`` / ``load``). Colours are modelled in
OpenCV's 8-bit CIE Lab space (L, a, b each 0..255, a and b offset by 128) as a mean and a
covariance, so a pixel is classified by its Mahalanobis distance to each model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from sim.camera import Camera

FORMAT_NAME = "foosball-calibration"
FORMAT_VERSION = 1
METHODS = ("auto", "points")


def bgr_to_lab(bgr: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 BGR -> (..., 3) float64 Lab (OpenCV 8-bit scale)."""
    bgr = np.asarray(bgr, np.uint8)
    flat = bgr.reshape(-1, 1, 3)
    return cv2.cvtColor(flat, cv2.COLOR_BGR2LAB).reshape(bgr.shape).astype(np.float64)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """(3,) Lab (OpenCV 8-bit scale) -> (3,) float64 RGB in 0..1."""
    px = np.clip(np.round(np.asarray(lab, float)), 0, 255).astype(np.uint8).reshape(1, 1, 3)
    bgr = cv2.cvtColor(px, cv2.COLOR_LAB2BGR).reshape(3).astype(float) / 255.0
    return bgr[::-1]


@dataclass(frozen=True)
class ColourModel:
    """A named colour: a Gaussian in Lab space.

    Attributes:
        name: plain word ("green", "black", "red", ...).
        lab_mean: (3,) Lab mean (OpenCV 8-bit scale).
        lab_cov: (3, 3) Lab covariance, nested tuples.
    """

    name: str
    lab_mean: tuple[float, float, float]
    lab_cov: tuple[tuple[float, float, float], ...]

    @classmethod
    def from_lab_samples(cls, name: str, lab: np.ndarray, min_std: float = 3.0) -> ColourModel:
        """Fit to (N, 3) Lab samples; each axis' standard deviation is at least ``min_std``."""
        lab = np.asarray(lab, float).reshape(-1, 3)
        cov = np.cov(lab.T) if len(lab) > 3 else np.zeros((3, 3))
        cov = cov + np.eye(3) * min_std**2
        return cls(name, tuple(float(v) for v in lab.mean(0)),
                   tuple(tuple(float(v) for v in row) for row in cov))

    @property
    def rgb(self) -> tuple[float, float, float]:
        """The mean colour as RGB, each 0..1."""
        return tuple(float(v) for v in lab_to_rgb(self.lab_mean))

    def with_lightness_spread(self, std: float) -> ColourModel:
        """The same colour with its lightness spread by another ``std`` (Lab L, 8-bit scale):
        the shaded and the lit faces of one plastic differ mostly in lightness."""
        cov = np.array(self.lab_cov) + np.diag([std**2, 0.0, 0.0])
        return ColourModel(self.name, self.lab_mean,
                           tuple(tuple(float(v) for v in row) for row in cov))

    def chroma_separation(self, other: ColourModel) -> float:
        """Mahalanobis distance between the (a, b) means of two colours, over their summed
        (a, b) covariances: how far apart they are whatever their lightness."""
        d = np.array(self.lab_mean[1:]) - np.array(other.lab_mean[1:])
        cov = np.array(self.lab_cov)[1:, 1:] + np.array(other.lab_cov)[1:, 1:]
        return float(np.sqrt(d @ np.linalg.solve(cov, d)))

    def distance(self, bgr: np.ndarray) -> np.ndarray:
        """Mahalanobis distance of pixels to this colour.

        Args:
            bgr: (..., 3) uint8 BGR pixels (an image or a list of pixels).

        Returns:
            (...) float64, dimensionless (about 1-2 for pixels of this colour).
        """
        lab = bgr_to_lab(bgr)
        d = lab.reshape(-1, 3) - np.array(self.lab_mean)
        inv = np.linalg.inv(np.array(self.lab_cov))
        m2 = np.einsum("ni,ij,nj->n", d, inv, d)
        return np.sqrt(m2).reshape(lab.shape[:-1])

    def mask(self, image: np.ndarray, max_distance: float = 3.0) -> np.ndarray:
        """(H, W) bool: the pixels of a BGR image that have this colour."""
        return self.distance(image) <= max_distance

    def to_dict(self) -> dict:
        return {"name": self.name, "rgb": [round(v, 4) for v in self.rgb],
                "lab_mean": list(self.lab_mean), "lab_cov": [list(r) for r in self.lab_cov]}

    @classmethod
    def from_dict(cls, d: dict) -> ColourModel:
        return cls(str(d["name"]), tuple(float(v) for v in d["lab_mean"]),
                   tuple(tuple(float(v) for v in row) for row in d["lab_cov"]))


@dataclass(frozen=True)
class Team:
    """One team: named by the colour of its men; ``side`` 0 defends the goal at x = -L/2."""

    name: str
    side: int
    colour: ColourModel

    def to_dict(self) -> dict:
        return {"name": self.name, "side": self.side, "defends": "-x" if self.side == 0 else "+x",
                "colour": self.colour.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> Team:
        return cls(str(d["name"]), int(d["side"]), ColourModel.from_dict(d["colour"]))


@dataclass(frozen=True)
class Calibration:
    """A camera calibrated against a table, and what was learned about the footage.

    Attributes:
        camera: intrinsics, distortion and pose in the table frame (``sim.camera``).
        table: the table's name (``sim.table.load_table``).
        reprojection_error: px, RMS distance between the image features used and the
            calibrated model (rod lines and field edges for ``auto``, clicked points for
            ``points``).
        method: ``"auto"`` or ``"points"``.
        teams: the two teams (side 0 first), or empty when unknown.
        ball: the ball's colour, or None when unknown.
        inlier_fraction: share of the image features the fit explains (``auto`` only).
        notes: human-readable remarks (e.g. how the 180-degree ambiguity was resolved).
    """

    camera: Camera
    table: str
    reprojection_error: float
    method: str
    teams: tuple[Team, ...] = ()
    ball: ColourModel | None = None
    inlier_fraction: float = 1.0
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"calibration method must be one of {METHODS}, got {self.method!r}")
        if self.teams and sorted(t.side for t in self.teams) != [0, 1]:
            raise ValueError("a calibration's teams must be one per side (0 and 1)")

    def team_of_side(self, side: int) -> Team | None:
        """The team defending the goal at -L/2 (side 0) or +L/2 (side 1), if known."""
        return next((t for t in self.teams if t.side == side), None)

    @property
    def team_names(self) -> tuple[str, str] | None:
        """(side 0's name, side 1's name), or None when the teams are unknown."""
        if not self.teams:
            return None
        return (self.team_of_side(0).name, self.team_of_side(1).name)

    def to_dict(self) -> dict:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "table": self.table,
            "method": self.method,
            "reprojection_error_px": self.reprojection_error,
            "inlier_fraction": self.inlier_fraction,
            "camera": self.camera.to_dict(),
            "teams": [t.to_dict() for t in sorted(self.teams, key=lambda t: t.side)],
            "ball": None if self.ball is None else self.ball.to_dict(),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Calibration:
        if d.get("format") != FORMAT_NAME:
            raise ValueError(f"not a calibration file (format {d.get('format')!r}, "
                             f"expected {FORMAT_NAME!r})")
        try:
            return cls(
                camera=Camera.from_dict(d["camera"]),
                table=str(d["table"]),
                reprojection_error=float(d["reprojection_error_px"]),
                method=str(d["method"]),
                teams=tuple(Team.from_dict(t) for t in d.get("teams", [])),
                ball=None if d.get("ball") is None else ColourModel.from_dict(d["ball"]),
                inlier_fraction=float(d.get("inlier_fraction", 1.0)),
                notes=tuple(str(n) for n in d.get("notes", [])),
            )
        except (KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"calibration file is incomplete or malformed: {exc}") from exc

    def save(self, path: str | Path) -> Path:
        """Write the calibration as JSON; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Calibration:
        """Read a calibration written by ``save``."""
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"calibration file {path} does not exist")
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"calibration file {path} is not valid JSON: {exc}") from exc
        return cls.from_dict(data)
