"""How much of the ball the camera sees: an ID render of a small crop around it.

The crop is a 64x64 view through the same pinhole, zoomed so the ball is 40 px across.
Occluders (walls and goals, rods, hands, men) are drawn into the depth buffer; the ball is
then drawn twice under occlusion queries, depth-tested and not: the ratio of the two sample
counts is the share of the silhouette not hidden. That share times the share of the
silhouette inside the image is ``ball_visibility``.

When nothing can be in front of the ball (no rod, man or wall near its image) the render is
skipped.
"""

from __future__ import annotations

import ctypes
from dataclasses import replace

import numpy as np

from sim.camera import Camera, distort
from sim.tablemesh import MEN0, TableModel

ID_SIZE = 64  # px, side of the crop
ID_RADIUS = 20.0  # px, the ball's radius in the crop
NEAR_WALL = 0.06  # m: closer than this to a wall, walls and goals may hide the ball


class VisibilityProbe:
    """Measures the ball's visibility for one camera.

    Args:
        scene: the ``sim.render.Scene`` drawing the table.
        camera: the output camera (with distortion: for the share inside the image).
        pinhole: the camera the scene is rendered with.
        pose_row: the row of the scene's pose texture this probe may overwrite.
    """

    def __init__(self, scene, camera: Camera, pinhole: Camera, pose_row: int):
        from sim import glutil

        self.gl = gl = glutil.load_gl()
        self.scene = scene
        self.model: TableModel = scene.model
        self.table = self.model.table
        self.camera = camera
        self.pinhole = pinhole
        self.pose_row = pose_row
        self._R = pinhole.R
        self._t = np.asarray(pinhole.tvec, float)
        self._eye = pinhole.position
        self._V = np.eye(4)
        self._V[:3, :3], self._V[:3, 3] = self._R, self._t
        self._fbo = glutil.Framebuffer(ID_SIZE, ID_SIZE, [glutil.colour_texture(
            ID_SIZE, ID_SIZE, hdr=False)], glutil.depth_texture(ID_SIZE, ID_SIZE))
        self._queries = (gl.GLuint * 2)()
        gl.glGenQueries(2, self._queries)
        t = self.table
        y = t.half_width + t.wall_thickness
        ends = np.array([[[r.x, -y, t.rod_height], [r.x, y, t.rod_height]] for r in t.rods])
        self._rod_ends = self.project(ends.reshape(-1, 3)).reshape(8, 2, 2)
        first, count = self.model.static_ranges["rods"]
        self._rod_ranges = [(first + i * count // 8, count // 8) for i in range(8)]

    def project(self, pts: np.ndarray) -> np.ndarray:
        """Table points (N, 3) m -> pinhole pixels (N, 2), NaN behind the camera."""
        p = self.pinhole
        pc = np.asarray(pts, float).reshape(-1, 3) @ self._R.T + self._t
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(pc[:, 2] > 1e-6, pc[:, 2], np.nan)
            return np.stack([p.fx * pc[:, 0] / z + p.cx, p.fy * pc[:, 1] / z + p.cy], axis=1)

    def radius_px(self, ball: np.ndarray) -> float:
        """px, the ball's radius in the pinhole image at ``ball`` (3,) m."""
        d = np.linalg.norm(np.asarray(ball, float) - self._eye)
        return float(self.pinhole.fx * self.table.ball.radius / max(d, 1e-6))

    def __call__(self, ball: np.ndarray, poses: np.ndarray,
                 men_uv: np.ndarray | None = None) -> float:
        """Visibility (0..1) of the ball at ``ball`` (3,) m with the bodies at ``poses``
        (n_bodies, 4); ``men_uv`` (M, 8, 2) px: the men's box corners in the pinhole image
        if already known."""
        ball = np.asarray(ball, float)
        if not np.all(np.isfinite(ball)):
            return 0.0
        centre = self.project(ball)[0]
        if not np.all(np.isfinite(centre)):
            return 0.0
        inside = self.inside_fraction(ball)
        if inside == 0.0:
            return 0.0
        r = self.radius_px(ball)
        near_wall = self._near_wall(ball)
        rods = self._rods_near(centre, r)
        men = self._men_near(centre, r, poses, men_uv)
        if not (near_wall or rods or men):
            return inside
        return self._render(ball, centre, r, poses, near_wall, rods, men) * inside

    # ------------------------------------------------------------------ what may hide it
    def _near_wall(self, ball: np.ndarray) -> bool:
        t = self.table
        return bool(abs(ball[0]) > t.half_length - NEAR_WALL
                    or abs(ball[1]) > t.half_width - NEAR_WALL or ball[2] > t.wall_height)

    def _rods_near(self, c: np.ndarray, r: float) -> list[int]:
        a, ab, ab2, rod_px = self._rod_segments
        s = np.clip(np.einsum("ij,ij->i", c - a, ab) / ab2, 0, 1)
        d = np.linalg.norm(c - (a + s[:, None] * ab), axis=1)
        reach = r + rod_px + 2.0
        return [int(i) for i in np.nonzero(d < reach)[0]]

    @property
    def _rod_segments(self):
        """The rods' images as segments (start (8, 2) px, direction (8, 2) px, its squared
        length (8,) px^2) and a rod's half width, px (computed once)."""
        if not hasattr(self, "_rod_segments_cache"):
            a, b = self._rod_ends[:, 0], self._rod_ends[:, 1]
            ab = b - a
            dist = max(np.linalg.norm(self._eye - [0.0, 0.0, self.table.rod_height]), 0.1)
            rod_px = 0.5 * self.pinhole.fx * self.table.rod_diameter / dist
            self._rod_segments_cache = (a, ab, np.einsum("ij,ij->i", ab, ab), rod_px)
        return self._rod_segments_cache

    def _men_near(self, c: np.ndarray, r: float, poses: np.ndarray, uv=None) -> list[int]:
        """Rods with a man whose image box comes within ``r`` px of ``c``."""
        m = self.model
        if uv is None:
            men = poses[MEN0:m.ball_body]
            k = m.man_corners
            cs, sn = np.cos(men[:, 3:4]), np.sin(men[:, 3:4])
            x = cs * k[:, 0] + sn * k[:, 2] + men[:, 0:1]
            y = k[:, 1] + men[:, 1:2]
            z = -sn * k[:, 0] + cs * k[:, 2] + men[:, 2:3]
            uv = self.project(np.stack([x, y, z], axis=-1).reshape(-1, 3)).reshape(-1, 8, 2)
        lo, hi = uv.min(axis=1) - r - 1.0, uv.max(axis=1) + r + 1.0
        hit = np.all((c >= lo) & (c <= hi), axis=1)
        return sorted({int(m.man_rod[i]) for i in np.nonzero(hit)[0]})

    # ------------------------------------------------------------------ the ID render
    def _render(self, ball, centre, r, poses, near_wall, rods, men) -> float:
        from sim.render import View, projection

        gl, m, scene = self.gl, self.model, self.scene
        zoom = ID_RADIUS / max(r, 1e-3)
        p = self.pinhole
        crop = replace(p, width=ID_SIZE, height=ID_SIZE, fx=p.fx * zoom, fy=p.fy * zoom,
                       cx=zoom * (p.cx - centre[0]) + 0.5 * (ID_SIZE - 1),
                       cy=zoom * (p.cy - centre[1]) + 0.5 * (ID_SIZE - 1))
        view = View(projection(crop, 0.05, 12.0, True) @ self._V, self._eye, ID_SIZE, ID_SIZE)
        self._fbo.bind()
        gl.glDisable(gl.GL_SCISSOR_TEST)
        gl.glDisable(gl.GL_BLEND)
        gl.glDisable(gl.GL_STENCIL_TEST)
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glDepthFunc(gl.GL_LESS)
        gl.glDepthMask(True)
        gl.glClear(gl.GL_DEPTH_BUFFER_BIT)
        gl.glColorMask(False, False, False, False)
        scene._cull(view)
        prog = scene.depth_only
        prog.use()
        scene._current = prog
        prog.set_mat4("u_mvp", view.mvp)
        if near_wall:
            scene.static.draw(*m.static_ranges["occluders"])
        for rod in rods:
            scene.static.draw(*self._rod_ranges[rod])
        scene.upload_poses(poses[None], self.pose_row)
        scene.pose_tex.bind(4)
        gl.glUniform1i(prog.loc("u_pose_row"), self.pose_row)
        if near_wall:
            scene.bodies.draw(*m.rod_range)  # the rods' ends and the hands
        for rod in men:
            scene.bodies.draw(*m.man_ranges[rod])
        gl.glDepthMask(False)
        counts = []
        for q, func in zip(self._queries, (gl.GL_LESS, gl.GL_ALWAYS)):
            gl.glDepthFunc(func)
            gl.glBeginQuery(gl.GL_SAMPLES_PASSED, q)
            scene.draw_ball_silhouette(view, self.pose_row)
            gl.glEndQuery(gl.GL_SAMPLES_PASSED)
            n = gl.GLuint()
            gl.glGetQueryObjectuiv(q, gl.GL_QUERY_RESULT, ctypes.byref(n))
            counts.append(n.value)
        gl.glColorMask(True, True, True, True)
        gl.glDepthMask(True)
        gl.glDepthFunc(gl.GL_LESS)
        if counts[1] == 0:
            return 0.0
        return float(min(counts[0] / counts[1], 1.0))

    # ------------------------------------------------------------------ inside the image
    def inside_fraction(self, ball: np.ndarray, n: int = 48) -> float:
        """Share of points spread over the ball's silhouette that fall inside the (distorted)
        output image; 1 without a look when the ball is well inside."""
        c = self.camera
        W, H = c.width, c.height
        uv = self.distorted_project(ball[None])[0]
        r = 2.0 * self.radius_px(ball) + 2.0
        if r < uv[0] < W - 1 - r and r < uv[1] < H - 1 - r:
            return 1.0
        rad = self.table.ball.radius
        view_dir = ball - self._eye
        view_dir /= np.linalg.norm(view_dir)
        a = np.cross(view_dir, [0.0, 0.0, 1.0])
        if np.linalg.norm(a) < 1e-6:
            a = np.array([1.0, 0.0, 0.0])
        a /= np.linalg.norm(a)
        b = np.cross(view_dir, a)
        k = np.arange(n) + 0.5
        radii = rad * np.sqrt(k / n)  # a sunflower spread over the disc
        ang = k * 2.39996323
        pts = ball + radii[:, None] * (np.cos(ang)[:, None] * a + np.sin(ang)[:, None] * b)
        uv = self.distorted_project(pts)
        ok = (uv[:, 0] >= -0.5) & (uv[:, 0] <= W - 0.5) & (uv[:, 1] >= -0.5) & (uv[:, 1] <= H - 0.5)
        return float(ok.mean())

    def distorted_project(self, pts: np.ndarray) -> np.ndarray:
        """Table points (N, 3) -> output pixels (N, 2), distortion included (OpenCV's model,
        as ``cv2.projectPoints``, in numpy)."""
        pc = np.asarray(pts, float).reshape(-1, 3) @ self._R.T + self._t
        x, y = pc[:, 0] / pc[:, 2], pc[:, 1] / pc[:, 2]
        c = self.camera
        xd, yd = distort(c.dist, x, y)
        return np.stack([c.fx * xd + c.cx, c.fy * yd + c.cy], axis=1)
