"""A pinhole camera with lens distortion, in OpenCV's conventions.

Pixel coordinates: u right, v down, pixel centres at integers (OpenCV's convention).
The camera frame: x right, y down, z forward (looking direction).
The pose maps the table frame (``sim.table``) into the camera frame:
``p_camera = R @ p_table + tvec`` with ``R = Rodrigues(rvec)`` (what ``cv2.solvePnP`` returns).
Distortion coefficients are OpenCV's ``(k1, k2, p1, p2, k3)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np


def distort(dist, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OpenCV's lens model on normalised image coordinates ``x``, ``y`` (any shape, the
    pinhole's ``X/Z``, ``Y/Z``): the distorted coordinates, as ``cv2.projectPoints`` applies
    ``dist`` (k1, k2, p1, p2, k3) before the camera matrix. In numpy: quicker than OpenCV on
    a few thousand points, and on arrays of any shape."""
    k1, k2, p1, p2, k3 = (float(d) for d in dist[:5])
    r2 = x * x + y * y
    radial = 1 + k1 * r2 + k2 * r2 ** 2 + k3 * r2 ** 3
    return (x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x),
            y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y)


@dataclass(frozen=True)
class Camera:
    """Intrinsics, distortion and pose of one camera.

    Fields are plain tuples so the camera is immutable and hashable; the array views are
    properties.
    """

    width: int  # px
    height: int  # px
    fx: float  # px, focal length along u
    fy: float  # px, focal length along v
    cx: float  # px, principal point
    cy: float  # px
    dist: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)
    rvec: tuple[float, float, float] = (0.0, 0.0, 0.0)  # table -> camera rotation (Rodrigues)
    tvec: tuple[float, float, float] = (0.0, 0.0, 0.0)  # m, table origin in the camera frame

    # ----------------------------------------------------------------------------- factories
    @classmethod
    def looking_at(
        cls,
        width: int,
        height: int,
        eye: np.ndarray,
        target: np.ndarray,
        hfov_deg: float,
        up: np.ndarray = (0.0, 1.0, 0.0),
        roll_deg: float = 0.0,
        dist: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 0.0),
    ) -> Camera:
        """A camera at ``eye`` (3,) m looking at ``target`` (3,) m, both in the table frame.

        ``up`` is the table-frame direction that should point up in the image (towards -v);
        the default (+y) puts +x to the right for a camera looking down;
        ``roll_deg`` turns the image about the optical axis afterwards. ``hfov_deg`` is the
        horizontal field of view of the undistorted pinhole.
        """
        eye = np.asarray(eye, float)
        z = np.asarray(target, float) - eye
        z /= np.linalg.norm(z)
        up = np.asarray(up, float)
        y = -(up - np.dot(up, z) * z)  # image down = minus the up direction
        if np.linalg.norm(y) < 1e-9:
            raise ValueError("camera 'up' direction is parallel to the viewing direction")
        y /= np.linalg.norm(y)
        x = np.cross(y, z)
        R = np.stack([x, y, z])  # rows: camera axes in table coordinates
        if roll_deg:
            c, s = np.cos(np.radians(roll_deg)), np.sin(np.radians(roll_deg))
            R = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]]) @ R
        t = -R @ eye
        f = 0.5 * width / np.tan(0.5 * np.radians(hfov_deg))
        rvec = cv2.Rodrigues(R)[0].ravel()
        return cls(width, height, float(f), float(f), 0.5 * (width - 1), 0.5 * (height - 1),
                   tuple(float(d) for d in dist), tuple(float(v) for v in rvec),
                   tuple(float(v) for v in t))

    @classmethod
    def from_dict(cls, d: dict) -> Camera:
        """Inverse of ``to_dict`` (OpenCV's camera matrix, distortion, rvec, tvec)."""
        K = np.asarray(d["camera_matrix"], float)
        dist = list(np.asarray(d.get("dist_coeffs", [0.0] * 5), float).ravel()) + [0.0] * 5
        return cls(int(d["width"]), int(d["height"]), float(K[0, 0]), float(K[1, 1]),
                   float(K[0, 2]), float(K[1, 2]), tuple(dist[:5]),
                   tuple(float(v) for v in np.ravel(d["rvec"])),
                   tuple(float(v) for v in np.ravel(d["tvec"])))

    def to_dict(self) -> dict:
        """JSON-ready: image size, ``camera_matrix`` (3x3), ``dist_coeffs`` (k1 k2 p1 p2 k3),
        ``rvec``, ``tvec`` (table -> camera), and the camera position in the table frame."""
        return {
            "width": self.width,
            "height": self.height,
            "camera_matrix": self.K.tolist(),
            "dist_coeffs": list(self.dist),
            "rvec": list(self.rvec),
            "tvec": list(self.tvec),
            "position": self.position.tolist(),
            "convention": "opencv: p_camera = R(rvec) p_table + tvec; u right, v down",
        }

    def with_size(self, width: int, height: int) -> Camera:
        """The same camera with its image scaled to ``width`` x ``height``."""
        sx, sy = width / self.width, height / self.height
        return replace(self, width=width, height=height, fx=self.fx * sx, fy=self.fy * sy,
                       cx=(self.cx + 0.5) * sx - 0.5, cy=(self.cy + 0.5) * sy - 0.5)

    # ----------------------------------------------------------------------------- views
    @property
    def K(self) -> np.ndarray:
        """(3, 3) float64: the camera matrix."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @property
    def dist_coeffs(self) -> np.ndarray:
        """(5,) float64: k1, k2, p1, p2, k3."""
        return np.array(self.dist, float)

    @property
    def R(self) -> np.ndarray:
        """(3, 3) float64: rotation table -> camera."""
        return cv2.Rodrigues(np.array(self.rvec, float))[0]

    @property
    def position(self) -> np.ndarray:
        """(3,) float64, m: the camera's optical centre in the table frame."""
        return -self.R.T @ np.array(self.tvec, float)

    @property
    def has_distortion(self) -> bool:
        return any(abs(d) > 0 for d in self.dist)

    # ----------------------------------------------------------------------------- transforms
    def table_to_camera(self, points: np.ndarray) -> np.ndarray:
        """Table-frame points (N, 3) m -> camera-frame points (N, 3) m."""
        p = np.asarray(points, float).reshape(-1, 3)
        return p @ self.R.T + np.array(self.tvec)

    def table_to_pixel(self, points: np.ndarray) -> np.ndarray:
        """Table-frame points (N, 3) m -> pixels (N, 2), distortion applied."""
        p = np.asarray(points, float).reshape(-1, 1, 3)
        if len(p) == 0:
            return np.zeros((0, 2))
        uv, _ = cv2.projectPoints(p, np.array(self.rvec), np.array(self.tvec), self.K,
                                  self.dist_coeffs)
        return uv.reshape(-1, 2)

    def undistort_pixels(self, uv: np.ndarray) -> np.ndarray:
        """Distorted pixels (N, 2) -> normalised undistorted image coordinates (N, 2)."""
        uv = np.asarray(uv, float).reshape(-1, 1, 2)
        if len(uv) == 0:
            return np.zeros((0, 2))
        criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 40, 1e-10)
        if hasattr(cv2, "undistortPointsIter"):  # OpenCV 4
            xy = cv2.undistortPointsIter(uv, self.K, self.dist_coeffs, None, None, criteria)
        else:  # OpenCV 5 takes the criteria directly
            xy = cv2.undistortPoints(uv, self.K, self.dist_coeffs, criteria=criteria)
        return xy.reshape(-1, 2)

    def pixel_to_ray(self, uv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixels (N, 2) -> rays in the table frame.

        Returns:
            origin (3,) m, the camera centre; directions (N, 3), unit length.
        """
        xy = self.undistort_pixels(uv)
        d_cam = np.concatenate([xy, np.ones((len(xy), 1))], axis=1)
        d = d_cam @ self.R  # R.T applied to each row
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        return self.position, d

    def pixel_to_table(self, uv: np.ndarray, z: float | np.ndarray = 0.0) -> np.ndarray:
        """Pixels (N, 2) -> table-frame points (N, 3) m on the plane at height ``z`` m.

        Rays parallel to the plane give NaN.
        """
        o, d = self.pixel_to_ray(uv)
        z = np.broadcast_to(np.asarray(z, float), (len(d),))
        with np.errstate(divide="ignore", invalid="ignore"):
            s = (z - o[2]) / d[:, 2]
        s = np.where(s > 0, s, np.nan)
        return o + s[:, None] * d
