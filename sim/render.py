"""The OpenGL scene of a foosball table: drawn offscreen for synthetic footage, or on screen.

``Scene`` owns the GPU copies of a ``TableModel`` (``sim.tablemesh``) and draws into
whatever framebuffer is bound, seen through a ``View`` made from any ``sim.camera.Camera``:

- ``draw_static``: playfield, walls, goals, cabinet, floor and clutter, with the lamp's
  soft shadows from a shadow map rendered once;
- ``draw_shadows``: soft shadows of the men and the ball on the playfield, analytic shapes
  (``sim.shadows``) whose edges soften with height and with motion during the exposure,
  and the ball's contact shadow (the rods' shadows are baked into the static image);
- ``draw_bodies``: rods, hands, men, ball, placed by per-body poses; with a weight < 1 the
  colour is premultiplied for motion-blur accumulation;
- ``draw(view, state)``: all of it for one instant (a replay frame).

A GL context must be current (``sim.glutil.OffscreenContext`` or a pyglet window).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import shaders, shadows
from sim.camera import Camera
from sim.glutil import (
    DynamicBuffer,
    Framebuffer,
    MeshBuffer,
    Program,
    Texture,
    depth_texture,
    load_gl,
    quads,
    rgb_texture,
)
from sim.look import srgb_to_linear
from sim.state import TableState
from sim.tablemesh import MEN0, TableModel

SHADOW_MAP = 2048  # texels, static shadow map


def projection(camera: Camera, near: float, far: float, flip_y: bool) -> np.ndarray:
    """(4, 4) float64: OpenCV camera frame -> GL clip space for ``camera``'s pinhole.

    Pixel (u, v) with OpenCV's centres at integers lands at window x = u + 0.5 and, with
    ``flip_y``, window y = v + 0.5 (row v of the framebuffer holds image row v).
    """
    W, H = camera.width, camera.height
    sy = 1.0 if flip_y else -1.0
    P = np.zeros((4, 4))
    P[0, 0] = 2 * camera.fx / W
    P[0, 2] = 2 * (camera.cx + 0.5) / W - 1
    P[1, 1] = sy * 2 * camera.fy / H
    P[1, 2] = sy * (2 * (camera.cy + 0.5) / H - 1)
    P[2, 2] = (far + near) / (far - near)
    P[2, 3] = -2 * far * near / (far - near)
    P[3, 2] = 1.0
    return P


@dataclass(frozen=True)
class View:
    """Where the scene is seen from: clip matrix, eye position and image size.

    Attributes:
        mvp: (4, 4) float64, table frame -> clip space.
        eye: (3,) float64, m, the camera centre in the table frame.
        width, height: px, of the framebuffer drawn into.
        flip_y: True when framebuffer row v holds image row v (offscreen, read back).
        vignette: (cx, cy, strength, radius): the lens' darkening, ``strength`` lost at
            ``radius`` px from the optical centre (cx, cy) px; strength 0: none.
    """

    mvp: np.ndarray
    eye: np.ndarray
    width: int
    height: int
    flip_y: bool = True
    vignette: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)

    @classmethod
    def from_camera(cls, camera: Camera, near: float = 0.05, far: float = 12.0,
                    flip_y: bool = True, vignetting: float = 0.0,
                    vignette_radius: float | None = None) -> View:
        """The pinhole part of ``camera`` (distortion is applied after rendering), with
        ``vignetting`` (0..1) lost at ``vignette_radius`` px (default: the image corner)."""
        V = np.eye(4)
        V[:3, :3] = camera.R
        V[:3, 3] = camera.tvec
        cy = camera.cy if flip_y else camera.height - 1 - camera.cy
        if vignette_radius is None:
            vignette_radius = float(np.hypot(max(camera.cx, camera.width - 1 - camera.cx),
                                             max(camera.cy, camera.height - 1 - camera.cy)))
        return cls(projection(camera, near, far, flip_y) @ V, camera.position, camera.width,
                   camera.height, flip_y, (camera.cx, cy, vignetting, vignette_radius))


class Scene:
    """GPU meshes, textures and programs to draw one table model.

    Colours are written in linear light; draw into an sRGB framebuffer with
    ``GL_FRAMEBUFFER_SRGB`` enabled (``Scene.draw`` does) to store them encoded.

    Args:
        model: the table's meshes and look.
        light_scale: brightness of the lamp (1: a white surface facing it reads ~1).
        shadow_taps: softness samples of the static shadows per axis and side (3: 7x7 for
            footage; 0: one sample, for views redrawn every frame).
    """

    def __init__(self, model: TableModel, light_scale: float = 1.0, shadow_taps: int = 3):
        gl = load_gl()
        self.gl = gl
        self.model = model
        look = model.look
        table = model.table
        self.light_pos = np.array([0.0, 0.0, look.light_height])
        self.light_colour = srgb_to_linear(look.light_colour) * light_scale
        self.static_prog = Program(shaders.SCENE_VS,
                                   shaders.scene_fs(static=True, shadow_taps=shadow_taps))
        self.scene = Program(shaders.GOURAUD_VS, shaders.GOURAUD_FS)
        self.ball_prog = Program(shaders.BALL_VS, shaders.BALL_FS)
        self.depth_only = Program(shaders.SCENE_VS, shaders.DEPTH_FS)
        self.men_shadow = Program(shaders.FIELD_VS, shaders.MEN_SHADOW_FS)
        self.ball_shadow = Program(shaders.RECEIVER_VS, shaders.BALL_SHADOW_FS)
        self._current = None
        self._uniform_keys: dict[int, tuple] = {}
        self.static = MeshBuffer(model.static)
        self.bodies = MeshBuffer(model.bodies)
        self.field_tex = rgb_texture(model.field_texture)
        self.floor_tex = rgb_texture(model.floor_texture, repeat=True)
        self.rod_shadows = shadows.rod_rects(table, self.light_pos, look.light_radius)
        self._part_corners = shadows.part_corners(table)
        hl, hw = table.half_length, table.half_width
        self._field_lo = np.array([-hl, -hw, -hl, -hw], np.float32)
        self._field_hi = np.array([hl, hw, hl, hw], np.float32)
        self.shadow_quads = DynamicBuffer((2, 4, 4, 4, 4, 4, 4, 4, 2))
        self.ball_quad = DynamicBuffer((2,))
        if model.n_bodies > shaders.MAX_BODIES:
            raise ValueError(f"table {table.name!r} has {model.n_bodies} moving bodies; the "
                             f"renderer handles {shaders.MAX_BODIES}")
        self.pose_tex = Texture(shaders.MAX_BODIES, shaders.MAX_POSE_ROWS, gl.GL_RGBA32F,
                                gl.GL_RGBA, gl.GL_FLOAT, linear=False)
        self._pose_rows = np.zeros((shaders.MAX_POSE_ROWS, shaders.MAX_BODIES, 4), np.float32)
        for prog in (self.static_prog, self.scene, self.ball_prog, self.depth_only):
            prog.use()
            for name, unit in (("u_field_tex", 0), ("u_floor_tex", 1), ("u_shadow_map", 2),
                               ("u_pose_tex", 4)):
                if prog.loc(name) >= 0:
                    prog.set_int(name, unit)
        self.exposure = np.ones(3)
        self._make_shadow_map()

    # ------------------------------------------------------------------ common uniforms
    def _lighting(self, prog: Program, view: View) -> None:
        """Set the view and light uniforms of ``prog`` (skipped when they are already set
        for this view and exposure: uniforms stay with the program)."""
        key = (view.mvp.tobytes(), view.eye.tobytes(), view.vignette, view.width, view.height,
               np.asarray(self.exposure, float).tobytes())
        if self._uniform_keys.get(prog.id) == key:
            return
        self._uniform_keys[prog.id] = key
        prog.set_mat4("u_mvp", view.mvp)
        prog.set_vec("u_light_pos", self.light_pos)
        prog.set_vec("u_light_colour", self.light_colour)
        prog.set_float("u_ambient", self.model.look.ambient)
        prog.set_vec("u_eye", view.eye)
        if prog is self.scene:
            prog.set_vec("u_viewport", (view.width, view.height))
        prog.set_vec("u_vignette", view.vignette[:3])
        prog.set_float("u_vignette_r", view.vignette[3])
        prog.set_vec("u_exposure", self.exposure)

    def _cull(self, view: View, on: bool = True) -> None:
        gl = self.gl
        if on:
            gl.glEnable(gl.GL_CULL_FACE)
            gl.glCullFace(gl.GL_BACK)
            gl.glFrontFace(gl.GL_CW if view.flip_y else gl.GL_CCW)
        else:
            gl.glDisable(gl.GL_CULL_FACE)

    # ------------------------------------------------------------------ static shadows
    def _make_shadow_map(self) -> None:
        gl = self.gl
        look = self.model.look
        reach = 2.4 * look.light_height / (look.light_height + look.floor_depth)
        cam = Camera.looking_at(SHADOW_MAP, SHADOW_MAP, self.light_pos,
                                self.light_pos - [0, 0, 1], 2 * np.degrees(np.arctan(reach)))
        self.light_view = View.from_camera(cam, near=0.3, far=look.light_height
                                           + look.floor_depth + 0.5, flip_y=False)
        self.shadow_tex = depth_texture(SHADOW_MAP, SHADOW_MAP)
        gl.glBindTexture(gl.GL_TEXTURE_2D, self.shadow_tex.id)
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MIN_FILTER, gl.GL_LINEAR)
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MAG_FILTER, gl.GL_LINEAR)
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_COMPARE_MODE,
                           gl.GL_COMPARE_REF_TO_TEXTURE)
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_COMPARE_FUNC, gl.GL_LEQUAL)
        fbo = Framebuffer(SHADOW_MAP, SHADOW_MAP, [], self.shadow_tex)
        fbo.bind()
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glDepthMask(True)
        gl.glClear(gl.GL_DEPTH_BUFFER_BIT)
        gl.glDisable(gl.GL_CULL_FACE)
        self.depth_only.use()
        self.depth_only.set_mat4("u_mvp", self.light_view.mvp)
        rods_first, rods_count = self.model.static_ranges["rods"]
        self.static.draw(0, rods_first)  # rods: analytic shadows (draw_static)
        self.static.draw(rods_first + rods_count, self.static.count - rods_first - rods_count)

    def _shadow_texel(self) -> float:
        """m per static shadow-map texel at the playfield."""
        f = self.light_view.mvp[0, 0]  # 2 fx / W for a square map
        return 2.0 * self.model.look.light_height / (f * SHADOW_MAP)

    # ------------------------------------------------------------------ drawing
    def draw_static(self, view: View) -> None:
        """Draw the fixed parts with depth (the caller has cleared the framebuffer)."""
        gl = self.gl
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glDepthFunc(gl.GL_LESS)
        gl.glDepthMask(True)
        gl.glDisable(gl.GL_BLEND)
        gl.glDisable(gl.GL_STENCIL_TEST)
        self._cull(view)
        p = self.static_prog
        p.use()
        self._current = p
        self._lighting(p, view)
        self.field_tex.bind(0)
        self.floor_tex.bind(1)
        self.shadow_tex.bind(2)
        p.set_float("u_floor_scale", 1.5)
        p.set_mat4("u_light_mvp", self.light_view.mvp)
        p.set_float("u_shadow_radius", 0.02 / self._shadow_texel())
        p.set_float("u_weight", 1.0)
        self.static.draw()
        # the rods' shadows: they look the same whatever the rods' shift and angle
        rods = np.repeat(self.rod_shadows[:, None, :], 4, axis=1)
        self.shadow_quads.update(shadows.field_quads(rods, np.tile(shadows.NO_RECT, (8, 1))))
        self._field_setup(view, self.men_shadow)
        self.shadow_quads.draw()
        self._field_done()
        gl.glActiveTexture(gl.GL_TEXTURE0)

    def begin_bodies(self, view: View, weight: float = 1.0) -> None:
        """Set up both body programs for ``view`` (then call ``draw_body_range``)."""
        for p in (self.ball_prog, self.scene):
            p.use()
            self._lighting(p, view)
            p.set_float("u_weight", weight)
        self.ball_prog.set_float("u_ball_radius", self.model.table.ball.radius)
        self.pose_tex.bind(4)
        self._current = self.ball_prog
        self._cull(view)

    def draw_ball_silhouette(self, view: View, row: int) -> None:
        """Draw the ball alone (for depth tests and occlusion queries) seen through ``view``
        at the poses of pose row ``row``; colour writes are the caller's business."""
        p = self.ball_prog
        p.use()
        self._current = p
        self._uniform_keys.pop(p.id, None)  # its view uniforms change here
        p.set_mat4("u_mvp", view.mvp)
        p.set_vec("u_eye", view.eye)
        p.set_float("u_ball_radius", self.model.table.ball.radius)
        self.gl.glUniform1i(p.loc("u_pose_row"), row)
        self.bodies.draw(*self.model.ball_range)

    def upload_poses(self, poses: np.ndarray, row: int = 0) -> None:
        """Store body poses for drawing: ``poses`` (R, n_bodies, 4) float32 (x, y, z m,
        angle rad) into rows ``row..row+R-1`` of the pose texture."""
        gl = self.gl
        poses = np.asarray(poses, np.float32).reshape(-1, self.model.n_bodies, 4)
        n = len(poses)
        if row + n > shaders.MAX_POSE_ROWS:
            raise ValueError(f"too many pose rows ({row + n}); at most {shaders.MAX_POSE_ROWS}")
        block = self._pose_rows[:n]
        block[:, :poses.shape[1]] = poses
        gl.glActiveTexture(gl.GL_TEXTURE4)
        gl.glBindTexture(gl.GL_TEXTURE_2D, self.pose_tex.id)
        gl.glPixelStorei(gl.GL_UNPACK_ALIGNMENT, 4)
        gl.glTexSubImage2D(gl.GL_TEXTURE_2D, 0, 0, row, shaders.MAX_BODIES, n, gl.GL_RGBA,
                           gl.GL_FLOAT, block.ctypes.data)
        gl.glActiveTexture(gl.GL_TEXTURE0)

    def draw_body_range(self, row: int, first: int, count: int,
                        lit: float | None = None, bodies: MeshBuffer | None = None) -> None:
        """Draw vertices ``first:first+count`` of the bodies placed by the poses in pose row
        ``row`` (``upload_poses``). With ``lit`` (0..1, the share of the lamp reaching it)
        the vertices are the ball's impostor, ray-traced per pixel. ``bodies``: another
        model's bodies with the same body indices (a ghost in other colours)."""
        p = self.scene if lit is None else self.ball_prog
        if p is not self._current:
            p.use()
            self._current = p
        if lit is not None:
            self.gl.glUniform1f(p.loc("u_lit"), lit)
        self.gl.glUniform1i(p.loc("u_pose_row"), row)
        (bodies or self.bodies).draw(first, count)

    def men_shadow_rects(self, men_poses: np.ndarray) -> np.ndarray:
        """(M, 4, 6) float32: soft shadow rectangles of each man's parts over an exposure
        (``sim.shadows.men_rects``), clipped to the playfield.

        Args:
            men_poses: (T, M, 4) the men's poses at T instants (first and last at the
                exposure's ends, the middle one at mid-exposure).
        """
        rects = shadows.men_rects(self._part_corners, men_poses, self.light_pos,
                                  self.model.look.light_radius)
        rects[:, 0:4] = np.minimum(np.maximum(rects[:, 0:4], self._field_lo), self._field_hi)
        return rects.reshape(-1, 4, 6)

    def ball_lamp_share(self, ball: np.ndarray, men_rects: np.ndarray) -> float:
        """Share of the lamp reaching the top of the ball past the men and rods."""
        if not np.all(np.isfinite(ball)):
            return 1.0
        top = np.asarray(ball, float) + [0.0, 0.0, self.model.table.ball.radius]
        rects = np.concatenate([self.rod_shadows, men_rects.reshape(-1, 6)])
        return shadows.lamp_share(top, rects, self.light_pos)

    def _field_setup(self, view: View, prog: Program) -> None:
        """State for multiplying the drawn playfield by shadow factors."""
        gl = self.gl
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glDepthFunc(gl.GL_LEQUAL)
        gl.glDepthMask(False)
        gl.glEnable(gl.GL_POLYGON_OFFSET_FILL)
        gl.glPolygonOffset(-1.0, -4.0)
        gl.glEnable(gl.GL_BLEND)
        gl.glBlendEquation(gl.GL_FUNC_ADD)
        gl.glBlendFunc(gl.GL_DST_COLOR, gl.GL_ZERO)
        gl.glDisable(gl.GL_CULL_FACE)
        gl.glDisable(gl.GL_STENCIL_TEST)
        prog.use()
        self._current = prog
        prog.set_mat4("u_mvp", view.mvp)
        prog.set_vec("u_light_pos", self.light_pos)
        prog.set_float("u_ambient", self.model.look.ambient)

    def _field_done(self) -> None:
        gl = self.gl
        gl.glDisable(gl.GL_POLYGON_OFFSET_FILL)
        gl.glDisable(gl.GL_BLEND)
        gl.glDepthMask(True)
        gl.glDepthFunc(gl.GL_LESS)

    def draw_shadows(self, view: View, men_rects: np.ndarray,
                     ball_path: np.ndarray | None) -> None:
        """Darken the playfield already drawn under the men and the ball.

        Args:
            men_rects: (M, 4, 6) from ``men_shadow_rects`` (None: no men).
            ball_path: (K, 3) m, ball centres over the exposure, or None (no ball).
        """
        m = self.model
        table = m.table
        if men_rects is not None and len(men_rects):
            self.shadow_quads.update(shadows.field_quads(men_rects, self.rod_shadows[m.man_rod]))
            self._field_setup(view, self.men_shadow)
            self.shadow_quads.draw()
        if ball_path is not None and np.all(np.isfinite(ball_path)):
            look = m.look
            r = table.ball.radius
            seg, rad, ramp = shadows.ball_shadow(ball_path, r, self.light_pos, look.light_radius)
            pad = max(rad + 0.5 * ramp, 3 * r)
            (x0, y0), (x1, y1) = seg.min(axis=0) - pad, seg.max(axis=0) + pad
            self.ball_quad.update(quads(x0, y0, x1, y1))
            p = self.ball_shadow
            self._field_setup(view, p)
            p.set_vec("u_segment", seg.ravel())
            p.set_vec("u_disc", (rad, ramp))
            idx = np.linspace(0, len(ball_path) - 1, 4).round().astype(int)
            balls = np.zeros((4, 4), np.float32)
            balls[:, :3] = ball_path[idx]
            balls[:, 3] = 0.25
            p.set_vec("u_balls", balls)
            p.set_float("u_ball_radius", r)
            self.ball_quad.draw()
        self._field_done()

    def draw(self, view: View, state: TableState) -> None:
        """Draw everything at one instant into the bound framebuffer (cleared here, with
        ``GL_FRAMEBUFFER_SRGB`` on), with ``view``'s size as viewport."""
        gl = self.gl
        m = self.model
        poses = m.body_poses(state)
        self.upload_poses(poses[None])
        target = gl.GLint()
        gl.glGetIntegerv(gl.GL_DRAW_FRAMEBUFFER_BINDING, target)
        ball = np.asarray(state.ball, float)[None]
        men_rects = self.men_shadow_rects(poses[None, MEN0:m.ball_body])
        gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, target.value)
        gl.glViewport(0, 0, view.width, view.height)
        gl.glEnable(gl.GL_FRAMEBUFFER_SRGB)
        gl.glClearColor(0.0, 0.0, 0.0, 1.0)
        gl.glClear(gl.GL_COLOR_BUFFER_BIT | gl.GL_DEPTH_BUFFER_BIT | gl.GL_STENCIL_BUFFER_BIT)
        self.draw_static(view)
        self.draw_shadows(view, men_rects, ball)
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glDepthMask(True)
        self.begin_bodies(view)
        self.draw_body_range(0, m.rod_range[0], m.ball_range[0] - m.rod_range[0])
        self.draw_body_range(0, *m.ball_range, lit=self.ball_lamp_share(ball[0], men_rects))
