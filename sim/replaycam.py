"""The replay's camera: an orbit about a target point, its presets and its mouse moves.

An ``OrbitCamera`` looks at ``target`` from ``distance`` m away, at ``azimuth`` degrees
about +z from +x (the direction from the target to the eye, seen from above) and
``elevation`` degrees above the playfield's plane; the image's up is the world's up tilted
with it, so the overhead view (elevation 90) keeps its orientation. ``camera(w, h)`` gives
a ``sim.camera.Camera`` (OpenCV conventions) for ``sim.render.View.from_camera``.

Presets (``PRESETS``): ``overhead`` (from above, +x to the right), ``side`` (from the -y
side, where side 0's handles are, looking across the table), ``goal`` (behind the goal at
-x, looking along +x), ``follow`` (a 2.5x zoom on the ball from a fixed place above the -y
side: the part of a larger image around the ball, so the static table is drawn once).
Distances are fitted so the table fills the image.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sim.camera import Camera
from sim.table import TableSpec

PRESETS = ("overhead", "side", "goal", "follow")
MIN_DISTANCE = 0.12  # m
MAX_DISTANCE = 10.0  # m
MIN_ELEVATION = -5.0  # deg
MAX_ELEVATION = 90.0  # deg
MIN_ZOOM, MAX_ZOOM = 1.5, 6.0  # magnification of a view following the ball
FOLLOW_ZOOM = 2.5


@dataclass(frozen=True)
class OrbitCamera:
    """A camera orbiting a point.

    Attributes:
        target: (x, y, z) m, the point looked at, table frame.
        azimuth: deg, direction from the target to the eye about +z, from +x.
        elevation: deg, of the eye above the target's horizontal plane.
        distance: m, eye to target.
        hfov: deg, horizontal field of view.
        follow: the view follows the ball: it shows a ``zoom`` times smaller part of this
            camera's image, centred on the ball (``follow_crop``), like a camera panning
            with the play from a fixed place.
        zoom: magnification of the followed part (with ``follow``).
    """

    target: tuple[float, float, float] = (0.0, 0.0, 0.0)
    azimuth: float = -90.0
    elevation: float = 90.0
    distance: float = 1.5
    hfov: float = 50.0
    follow: bool = False
    zoom: float = 1.0

    def _axes(self) -> tuple[np.ndarray, np.ndarray]:
        """(back, up): unit vectors from the target towards the eye, and the image's up."""
        az, el = np.radians(self.azimuth), np.radians(self.elevation)
        horizontal = np.array([np.cos(az), np.sin(az), 0.0])
        back = np.cos(el) * horizontal + np.array([0.0, 0.0, np.sin(el)])
        up = -np.sin(el) * horizontal + np.array([0.0, 0.0, np.cos(el)])
        return back, up

    @property
    def eye(self) -> np.ndarray:
        """(3,) m: the camera centre, table frame."""
        return np.asarray(self.target, float) + self.distance * self._axes()[0]

    def camera(self, width: int, height: int) -> Camera:
        """The pinhole camera of this view for a ``width`` x ``height`` px image."""
        _, up = self._axes()
        return Camera.looking_at(width, height, self.eye, np.asarray(self.target, float),
                                 self.hfov, up=up)

    # ------------------------------------------------------------------ moves
    def orbit(self, d_azimuth: float, d_elevation: float) -> OrbitCamera:
        """Turned by ``d_azimuth`` and ``d_elevation`` degrees (elevation clamped)."""
        el = float(np.clip(self.elevation + d_elevation, MIN_ELEVATION, MAX_ELEVATION))
        return replace(self, azimuth=(self.azimuth + d_azimuth + 180.0) % 360.0 - 180.0,
                       elevation=el)

    def pan(self, dx: float, dy: float, width_px: int) -> OrbitCamera:
        """Moved so the point looked at follows a drag of (dx right, dy up) px in an image
        ``width_px`` wide; panning stops following the ball."""
        back, up = self._axes()
        right = np.cross(up, back)
        m_per_px = 2.0 * self.distance * np.tan(np.radians(self.hfov) / 2) / max(width_px, 1)
        target = np.asarray(self.target, float) - m_per_px * (dx * right + dy * up)
        return replace(self, target=tuple(float(v) for v in target), follow=False)

    def dolly(self, factor: float) -> OrbitCamera:
        """Closer (``factor`` < 1) or further: the distance times ``factor`` (clamped); when
        following the ball, the magnification divided by ``factor`` instead."""
        if self.follow:
            return replace(self, zoom=float(np.clip(self.zoom / factor, MIN_ZOOM, MAX_ZOOM)))
        d = float(np.clip(self.distance * factor, MIN_DISTANCE, MAX_DISTANCE))
        return replace(self, distance=d)

    def parent_size(self, width: int, height: int) -> tuple[int, int]:
        """px: the size of the whole image of which a followed view is a part."""
        z = self.zoom if self.follow else 1.0
        return max(width, int(round(z * width))), max(height, int(round(z * height)))


def follow_crop(parent: Camera, point, width: int, height: int,
                box: np.ndarray | None = None) -> tuple[int, int]:
    """(x0, y0) px: the top-left corner of the ``width`` x ``height`` part of ``parent``'s
    image centred on ``point`` (3,) m (table frame); the middle part if ``point`` is None
    or behind the camera. The part stays inside the image and, along each axis where it
    can, inside the picture of ``box`` (K, 3) m (``table_box``: no empty room shown)."""
    u, v = 0.5 * (parent.width - 1), 0.5 * (parent.height - 1)
    if point is not None and np.all(np.isfinite(point)):
        if parent.table_to_camera(np.asarray(point, float)[None])[0, 2] > 0:
            u, v = parent.table_to_pixel(np.asarray(point, float)[None])[0]
    lo, hi = np.zeros(2), np.array([parent.width, parent.height], float)
    if box is not None:
        uv = parent.table_to_pixel(box)
        lo, hi = np.maximum(lo, uv.min(axis=0)), np.minimum(hi, uv.max(axis=0))
    out = []
    for c, size, a, b, full in ((u, width, lo[0], hi[0], parent.width),
                                (v, height, lo[1], hi[1], parent.height)):
        x = c - 0.5 * (size - 1)
        if b - a >= size:
            x = np.clip(x, a, b - size)
        else:
            x = 0.5 * (a + b) - 0.5 * size
        out.append(int(np.clip(round(x), 0, full - size)))
    return out[0], out[1]


def crop_camera(parent: Camera, x0: int, y0: int, width: int, height: int) -> Camera:
    """The camera whose image is the ``width`` x ``height`` px part of ``parent``'s at
    (x0, y0): the same eye and focal length, the principal point moved."""
    return replace(parent, width=int(width), height=int(height), cx=parent.cx - x0,
                   cy=parent.cy - y0)


def table_box(table: TableSpec, walls: bool = True) -> np.ndarray:
    """(8, 3) m: corners of the box the views should show: the walls (or, without
    ``walls``, the room inside them), from the playfield to their top."""
    t = table.wall_thickness if walls else 0.0
    hx = table.half_length + t
    hy = table.half_width + t
    return np.array([[sx * hx, sy * hy, z] for sx in (-1, 1) for sy in (-1, 1)
                     for z in (0.0, table.wall_height)])


def fit_distance(view: OrbitCamera, points: np.ndarray, width: int, height: int,
                 margin: float = 0.04) -> float:
    """The least distance (m) at which ``view`` shows all ``points`` (K, 3) m inside the
    image with ``margin`` (share of each side) to spare."""
    lo, hi = MIN_DISTANCE, MAX_DISTANCE

    def fits(d: float) -> bool:
        cam = replace(view, distance=d).camera(width, height)
        pc = cam.table_to_camera(points)
        if np.any(pc[:, 2] <= 0.05):
            return False
        uv = cam.table_to_pixel(points)
        mu, mv = margin * width, margin * height
        return bool(np.all((uv[:, 0] >= mu) & (uv[:, 0] <= width - 1 - mu)
                           & (uv[:, 1] >= mv) & (uv[:, 1] <= height - 1 - mv)))

    if not fits(hi):
        return hi
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if fits(mid) else (mid, hi)
    return hi


def preset(name: str, table: TableSpec, width: int, height: int) -> OrbitCamera:
    """The preset view ``name`` (one of ``PRESETS``) of ``table`` for a ``width`` x
    ``height`` image.

    Raises:
        ValueError: an unknown preset.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown camera preset {name!r}: choose one of {', '.join(PRESETS)}")
    box = table_box(table)
    azimuth, elevation, hfov = {"overhead": (-90.0, 90.0, 50.0), "side": (-90.0, 48.0, 50.0),
                                "goal": (180.0, 32.0, 55.0), "follow": (-90.0, 55.0, 50.0)}[name]
    view = OrbitCamera((0.0, 0.0, 0.0), azimuth, elevation, 1.0, hfov)
    for _ in range(3):  # fit, then centre the table's picture, and again
        view = replace(view, distance=fit_distance(view, box, width, height))
        cam = view.camera(width, height)
        uv = cam.table_to_pixel(box)
        du, dv = 0.5 * (uv.min(axis=0) + uv.max(axis=0)) - [0.5 * (width - 1),
                                                             0.5 * (height - 1)]
        view = view.pan(-du, dv, width)
    if name == "follow":
        view = replace(view, follow=True, zoom=FOLLOW_ZOOM)
    return view
