"""Synthetic camera footage with exact ground truth: the ``Filmer`` of ``sim.state``.

``Footage`` renders each frame from the physics states covering its exposure, writes it to
a video file, and returns the frame's ground truth:

- ``ball_u``, ``ball_v`` (px): the mid-exposure ball centre through the saved camera
  (``Camera.table_to_pixel``, i.e. ``cv2.projectPoints``);
- ``ball_visibility`` (0..1): share of the ball's silhouette the camera sees at
  mid-exposure (not hidden by men, rods, hands or walls, not outside the image);
- ``ball_blur_px`` (px): length of the path of the ball's centre in the image during the
  exposure (the streak is this plus one ball diameter);
- ``ball_state``: ``out`` when not in play, ``hidden`` when in play but under 10 % visible,
  else ``visible``.

Per frame: the static table (drawn once) is copied in; the moving bodies' shadows are laid
on the playfield; still bodies are drawn once; moving ones are averaged over time samples in
their own screen rectangle (motion blur); an ID render measures the ball's visibility; the
camera pass applies lens distortion, vignetting, exposure, flicker, noise, white balance and
sRGB; the frame is read back and encoded.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from sim import shaders
from sim.camerasettings import CameraSettings
from sim.exposure import (
    BlurGroup,
    StateTrack,
    bounding_rect,
    flicker_gain,
    merge_groups,
    path_length,
    sample_times,
    samples_for,
)
from sim.lens import pinhole_for
from sim.look import Look
from sim.sensor import Sensor
from sim.state import TableState
from sim.table import TableSpec
from sim.tablemesh import MEN0, TableModel

HIDDEN_BELOW = 0.1  # visibility under which a ball in play is "hidden"
ID_SIZE = 64  # px, side of the crop rendered to measure the ball's visibility
ID_RADIUS = 20.0  # px, ball radius in that crop
ID_POSE_ROW = shaders.MAX_POSE_ROWS - 1  # the pose row the ID render uses


class Footage:
    """Films a table: renders, encodes and returns per-frame truth (a ``Filmer``).

    Args:
        path: the video file to write (its extension should match the codec's container).
        table: the table filmed.
        settings: the camera.
        look: colours, lights and clutter.
        context: a current GL context to reuse; by default an offscreen one is made.

    Raises:
        ValueError: bad settings; OSError: the video file cannot be opened for writing.
    """

    def __init__(self, path: str | Path, table: TableSpec, settings: CameraSettings = None,
                 look: Look | None = None, context=None):
        from sim import glutil
        from sim.render import Scene, View

        self.settings = settings = settings or CameraSettings()
        self.exposure = settings.exposure
        self.table = table
        self.look = look = look or Look()
        self.camera = settings.camera()
        self.pinhole, remap = pinhole_for(self.camera)
        self.sensor = Sensor(settings, remap)
        self.path = Path(path)
        self._own_context = context is None
        self.context = glutil.OffscreenContext() if context is None else context
        gl = self.gl = glutil.load_gl()
        self.model = TableModel(table, look)
        self.scene = Scene(self.model)
        self.scene.exposure = (settings.illuminance * settings.exposure * settings.auto_gain()
                               * np.asarray(settings.white_balance))
        radius = None
        if remap is not None:  # the output image's corners, in the pinhole image
            corners = remap[[0, 0, -1, -1], [0, -1, 0, -1]]
            radius = float(np.hypot(*(corners - [self.pinhole.cx, self.pinhole.cy]).T).max())
        self.view = View.from_camera(self.pinhole, vignetting=settings.vignetting,
                                     vignette_radius=radius)
        pw, ph = self.pinhole.width, self.pinhole.height
        # framebuffers: static (drawn once), main (per frame), accumulation (motion blur)
        self.static_fbo = glutil.Framebuffer(pw, ph, [glutil.srgb_texture(pw, ph)],
                                             glutil.depth_texture(pw, ph))
        self.main_depth = glutil.depth_texture(pw, ph)
        self.main_fbo = glutil.Framebuffer(pw, ph, [glutil.srgb_texture(pw, ph)],
                                           self.main_depth)
        self.accum_tex = glutil.colour_texture(pw, ph)
        self.accum_fbo = glutil.Framebuffer(pw, ph, [self.accum_tex], self.main_depth)
        self.id_fbo = glutil.Framebuffer(ID_SIZE, ID_SIZE, [glutil.colour_texture(
            ID_SIZE, ID_SIZE, hdr=False)], glutil.depth_texture(ID_SIZE, ID_SIZE))
        self.composite = glutil.Program(shaders.FULLSCREEN_VS, shaders.COMPOSITE_FS)
        self.composite.use()
        self.composite.set_int("u_accum", 0)
        self._vao = gl.GLuint()
        gl.glGenVertexArrays(1, ctypes.byref(self._vao))
        self._queries = (gl.GLuint * 2)()
        gl.glGenQueries(2, self._queries)
        self.static_fbo.bind()
        gl.glEnable(gl.GL_FRAMEBUFFER_SRGB)
        gl.glClearColor(0.0, 0.0, 0.0, 1.0)
        gl.glClearStencil(0)
        gl.glClear(gl.GL_COLOR_BUFFER_BIT | gl.GL_DEPTH_BUFFER_BIT | gl.GL_STENCIL_BUFFER_BIT)
        self.scene.draw_static(self.view)
        gl.glDisable(gl.GL_FRAMEBUFFER_SRGB)
        self._rgba = np.empty((ph, pw, 4), np.uint8)
        self._frame = None
        self.writer = _open_writer(self.path, settings, self.camera.width, self.camera.height)
        self.frames = 0

    # ------------------------------------------------------------------ Filmer protocol
    def film(self, frame: int, t: float, states: Sequence[TableState]) -> dict:
        """Render, encode and measure one frame exposed over ``states`` (first and last at
        the exposure's ends; one state: an instantaneous exposure)."""
        track = StateTrack(states)
        mid = track.state(t)
        groups = self._plan(track)
        self._render(track, mid, groups)
        truth = self._truth(track, mid)
        s = self.settings
        flicker = flicker_gain(track.start, track.end, s.flicker_hz, s.flicker_depth)
        self._frame = self._develop(frame, flicker)
        self.writer.write(self._frame)
        self.frames += 1
        return truth

    def meta(self) -> dict:
        """``meta.json`` entries: the camera in OpenCV's conventions plus the settings."""
        s = self.settings
        return {
            "camera": {**self.camera.to_dict(), "fps": s.fps, "exposure": s.exposure,
                       "settings": s.to_dict()},
            "video": {"file": self.path.name, "codec": s.codec, "frames": self.frames,
                      "fps": s.fps, "width": self.camera.width, "height": self.camera.height},
            "look": {"teams": list(self.look.teams), "ball": self.look.ball},
        }

    def close(self) -> None:
        """Finish the video file (and free the GL context if it was made here)."""
        if self.writer is not None:
            self.writer.release()
            self.writer = None
        if self._own_context and self.context is not None:
            self.context.close()
            self.context = None

    def __enter__(self) -> Footage:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def last_frame(self) -> np.ndarray:
        """(H, W, 3) uint8 BGR: the last frame as written to the video (before encoding)."""
        return self._frame

    # ------------------------------------------------------------------ planning
    def _plan(self, track: StateTrack) -> list[BlurGroup]:
        """Which bodies move enough to blur, in which rectangles, with how many samples."""
        s = self.settings
        if track.end <= track.start:
            return []
        m = self.model
        probes = m.body_poses_many(*track.sample(np.linspace(track.start, track.end, 5)))
        men = probes[:, MEN0:m.ball_body]  # (5, M, 4)
        c, sn = np.cos(men[..., 3]), np.sin(men[..., 3])
        k = self._corners  # (8, 3)
        x = c[..., None] * k[:, 0] + sn[..., None] * k[:, 2] + men[..., 0:1]
        y = k[:, 1] + men[..., 1:2]
        z = -sn[..., None] * k[:, 0] + c[..., None] * k[:, 2] + men[..., 2:3]
        pts = np.stack([x, y, z], axis=-1)  # (5, M, 8, 3)
        uv = self._pinhole_project(pts.reshape(-1, 3)).reshape(5, -1, 8, 2)
        groups = []
        move = path_length(uv).max(axis=-1)  # (M,)
        W, H = self.pinhole.width, self.pinhole.height
        for rod in range(8):
            sel = m.man_rod == rod
            n = samples_for(float(move[sel].max()), s.blur_step_px, s.max_blur_samples)
            if n > 1:
                rect = bounding_rect(uv[:, sel], 3.0, W, H)
                if rect is not None:
                    groups.append(BlurGroup([rod], False, rect, n))
        ball = probes[:, m.ball_body, :3]
        if np.all(np.isfinite(track.ball)):
            buv = self._pinhole_project(ball)
            n = samples_for(float(path_length(buv)), s.blur_step_px, s.max_blur_samples)
            if n > 1:
                r = self._ball_radius_px(ball[2])
                rect = bounding_rect(buv, r + 3.0, W, H)
                if rect is not None:
                    groups.append(BlurGroup([], True, rect, n))
        return merge_groups(groups)

    def _pinhole_project(self, pts: np.ndarray) -> np.ndarray:
        """Table points (N, 3) m -> pinhole pixels (N, 2) (NaN behind the camera)."""
        p = self.pinhole
        pc = pts @ self._R.T + self._t
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(pc[:, 2] > 1e-6, pc[:, 2], np.nan)
            return np.stack([p.fx * pc[:, 0] / z + p.cx, p.fy * pc[:, 1] / z + p.cy], axis=1)

    @property
    def _R(self) -> np.ndarray:
        if not hasattr(self, "_R_cache"):
            self._R_cache = self.pinhole.R
            self._t_cache = np.asarray(self.pinhole.tvec, float)
        return self._R_cache

    @property
    def _t(self) -> np.ndarray:
        self._R  # noqa: B018 (fills the cache)
        return self._t_cache

    @property
    def _corners(self) -> np.ndarray:
        return self.model.man_corners

    def _ball_radius_px(self, ball) -> float:
        d = np.linalg.norm(np.asarray(ball, float) - self.pinhole.position)
        return float(self.pinhole.fx * self.table.ball.radius / max(d, 1e-6))

    # ------------------------------------------------------------------ rendering
    def _render(self, track: StateTrack, mid: TableState, groups: list[BlurGroup]) -> None:
        from sim.glutil import copy_image

        gl, m, scene, view = self.gl, self.model, self.scene, self.view
        copy_image(self.static_fbo.colours[0], self.main_fbo.colours[0])
        copy_image(self.static_fbo.depth, self.main_depth)
        # pose rows: 0 = mid-exposure, then each blur group's time samples
        rows = [m.body_poses(mid)[None]]
        first_row = []
        for g in groups:
            first_row.append(sum(len(r) for r in rows))
            times = sample_times(track.start, track.end, g.samples)
            rows.append(m.body_poses_many(*track.sample(times)))
        scene.upload_poses(np.concatenate(rows))
        ends = np.array([track.start, mid.t, track.end])
        men = m.body_poses_many(*track.sample(ends))[:, MEN0:m.ball_body]
        ball_path = track.sample(np.linspace(track.start, track.end, 9))[0]
        scene.render_cover(men, ball_path if np.all(np.isfinite(ball_path)) else None)
        self.main_fbo.bind()
        gl.glEnable(gl.GL_FRAMEBUFFER_SRGB)
        scene.draw_field_shadows(view)
        moving = {r for g in groups for r in g.rods}
        ball_moving = any(g.ball for g in groups)
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glDepthFunc(gl.GL_LESS)
        gl.glDepthMask(True)
        scene.begin_bodies(view)
        scene.draw_body_range(0, *m.rod_range)
        for rod in range(8):
            if rod not in moving:
                scene.draw_body_range(0, *m.man_ranges[rod])
        if not ball_moving:
            scene.draw_body_range(0, *m.ball_range, receive_cover=True)
        if groups:
            self._draw_blurred(groups, first_row)
        gl.glDisable(gl.GL_FRAMEBUFFER_SRGB)

    def _draw_blurred(self, groups: list[BlurGroup], first_row: list[int]) -> None:
        """Average each group's bodies over its time samples inside its rectangle (all
        groups in one accumulation pass), then lay the result over the frame."""
        gl, m, scene = self.gl, self.model, self.scene
        self.accum_fbo.bind()
        gl.glEnable(gl.GL_SCISSOR_TEST)
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glDepthMask(False)
        gl.glEnable(gl.GL_STENCIL_TEST)
        gl.glStencilOp(gl.GL_KEEP, gl.GL_KEEP, gl.GL_REPLACE)
        gl.glClearColor(0.0, 0.0, 0.0, 0.0)
        gl.glClearStencil(0)
        scene.begin_bodies(self.view)
        for g, row in zip(groups, first_row):
            x0, y0, x1, y1 = g.rect
            gl.glScissor(x0, y0, x1 - x0, y1 - y0)
            gl.glDisable(gl.GL_BLEND)
            gl.glClear(gl.GL_COLOR_BUFFER_BIT | gl.GL_STENCIL_BUFFER_BIT)
            gl.glEnable(gl.GL_BLEND)
            gl.glBlendFunc(gl.GL_ONE, gl.GL_ONE)
            for p in (scene.scene, scene.ball_prog):
                p.use()
                p.set_float("u_weight", 1.0 / g.samples)
            scene._current = p
            for k in range(g.samples):
                gl.glStencilFunc(gl.GL_NOTEQUAL, k + 1, 0xFF)
                for rod in g.rods:
                    scene.draw_body_range(row + k, *m.man_ranges[rod])
                if g.ball:
                    scene.draw_body_range(row + k, *m.ball_range, receive_cover=True)
        gl.glDisable(gl.GL_STENCIL_TEST)
        gl.glDepthMask(True)
        self.main_fbo.bind()
        gl.glDisable(gl.GL_DEPTH_TEST)
        gl.glDisable(gl.GL_CULL_FACE)
        gl.glEnable(gl.GL_BLEND)
        gl.glBlendFunc(gl.GL_ONE, gl.GL_ONE_MINUS_SRC_ALPHA)
        self.composite.use()
        scene._current = self.composite
        self.accum_tex.bind(0)
        gl.glBindVertexArray(self._vao)
        for g in groups:
            x0, y0, x1, y1 = g.rect
            gl.glScissor(x0, y0, x1 - x0, y1 - y0)
            gl.glDrawArrays(gl.GL_TRIANGLES, 0, 3)
        gl.glDisable(gl.GL_BLEND)
        gl.glDisable(gl.GL_SCISSOR_TEST)
        gl.glEnable(gl.GL_DEPTH_TEST)

    def _develop(self, frame: int, flicker: float) -> np.ndarray:
        """Read the render back and run the camera's CPU pipeline: BGR frame."""
        gl = self.gl
        self.main_fbo.bind()
        gl.glPixelStorei(gl.GL_PACK_ALIGNMENT, 1)
        gl.glReadPixels(0, 0, self.pinhole.width, self.pinhole.height, gl.GL_RGBA,
                        gl.GL_UNSIGNED_BYTE, self._rgba.ctypes.data_as(ctypes.c_void_p))
        return self.sensor.develop(self._rgba, frame, flicker)

    # ------------------------------------------------------------------ truth
    def _truth(self, track: StateTrack, mid: TableState) -> dict:
        ball = np.asarray(mid.ball, float)
        if not np.all(np.isfinite(ball)):
            return {"ball_u": None, "ball_v": None, "ball_visibility": 0.0,
                    "ball_blur_px": None, "ball_state": "out"}
        uv = self.camera.table_to_pixel(ball[None])[0]
        blur = 0.0
        if track.end > track.start:
            path = track.sample(np.linspace(track.start, track.end, 9))[0]
            blur = float(path_length(self._distorted_project(path)))
        vis = self.visibility(mid)
        if not mid.in_play:
            state = "out"
        else:
            state = "hidden" if vis < HIDDEN_BELOW else "visible"
        return {"ball_u": float(uv[0]), "ball_v": float(uv[1]), "ball_visibility": vis,
                "ball_blur_px": blur, "ball_state": state}

    def _distorted_project(self, pts: np.ndarray) -> np.ndarray:
        """Table points (N, 3) -> output pixels (N, 2), distortion included (the same model
        as ``cv2.projectPoints``, in numpy)."""
        pc = pts @ self._R.T + self._t
        x, y = pc[:, 0] / pc[:, 2], pc[:, 1] / pc[:, 2]
        k1, k2, p1, p2, k3 = self.camera.dist
        r2 = x * x + y * y
        radial = 1 + k1 * r2 + k2 * r2 ** 2 + k3 * r2 ** 3
        xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
        yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
        c = self.camera
        return np.stack([c.fx * xd + c.cx, c.fy * yd + c.cy], axis=1)

    def visibility(self, state: TableState) -> float:
        """Share (0..1) of the ball's silhouette the camera sees in ``state``: an ID render
        of a crop around the ball (occluders: walls, goals, rods, hands, men), times the
        share of its outline inside the image."""
        from sim.render import View

        gl, m = self.gl, self.model
        ball = np.asarray(state.ball, float)
        centre = self._pinhole_project(ball[None])[0]
        if not np.all(np.isfinite(centre)):
            return 0.0
        inside = self._inside_fraction(ball)
        if inside == 0.0:
            return 0.0
        zoom = ID_RADIUS / max(self._ball_radius_px(ball), 1e-3)
        from dataclasses import replace

        p = self.pinhole
        crop = replace(p, width=ID_SIZE, height=ID_SIZE, fx=p.fx * zoom, fy=p.fy * zoom,
                       cx=zoom * (p.cx - centre[0]) + 0.5 * (ID_SIZE - 1),
                       cy=zoom * (p.cy - centre[1]) + 0.5 * (ID_SIZE - 1))
        view = View.from_camera(crop)
        poses = m.body_poses(state)
        self.id_fbo.bind()
        gl.glDisable(gl.GL_SCISSOR_TEST)
        gl.glDisable(gl.GL_BLEND)
        gl.glDisable(gl.GL_STENCIL_TEST)
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glDepthFunc(gl.GL_LESS)
        gl.glDepthMask(True)
        gl.glClear(gl.GL_DEPTH_BUFFER_BIT | gl.GL_COLOR_BUFFER_BIT)
        gl.glColorMask(False, False, False, False)
        scene = self.scene
        scene._cull(view)
        prog = scene.depth_only
        prog.use()
        scene._current = prog
        prog.set_mat4("u_mvp", view.mvp)
        first = m.static_ranges["occluders"][0]
        last = m.static_ranges["rods"][0] + m.static_ranges["rods"][1]
        scene.static.draw(first, last - first)  # walls, goals, rods (not the field)
        scene.upload_poses(poses[None], ID_POSE_ROW)
        scene.pose_tex.bind(4)
        gl.glUniform1i(prog.loc("u_pose_row"), ID_POSE_ROW)
        scene.bodies.draw(*m.rod_range)
        reach = self.table.man_reach + 0.05
        for rod, spec in enumerate(self.table.rods):
            if abs(spec.x - ball[0]) < reach:
                scene.bodies.draw(*m.man_ranges[rod])
        gl.glDepthMask(False)
        counts = []
        for q, func in zip(self._queries, (gl.GL_LESS, gl.GL_ALWAYS)):
            gl.glDepthFunc(func)
            gl.glBeginQuery(gl.GL_SAMPLES_PASSED, q)
            scene.bodies.draw(*m.ball_range)
            gl.glEndQuery(gl.GL_SAMPLES_PASSED)
            n = gl.GLuint()
            gl.glGetQueryObjectuiv(q, gl.GL_QUERY_RESULT, ctypes.byref(n))
            counts.append(n.value)
        gl.glColorMask(True, True, True, True)
        gl.glDepthMask(True)
        gl.glDepthFunc(gl.GL_LESS)
        if counts[1] == 0:
            return 0.0
        return float(min(counts[0] / counts[1], 1.0) * inside)

    def _inside_fraction(self, ball: np.ndarray, n: int = 48) -> float:
        """Share of points spread over the ball's silhouette that fall inside the image."""
        r = self.table.ball.radius
        view_dir = ball - self.camera.position
        view_dir /= np.linalg.norm(view_dir)
        a = np.cross(view_dir, [0.0, 0.0, 1.0])
        if np.linalg.norm(a) < 1e-6:
            a = np.array([1.0, 0.0, 0.0])
        a /= np.linalg.norm(a)
        b = np.cross(view_dir, a)
        k = np.arange(n) + 0.5
        rad = r * np.sqrt(k / n)  # a sunflower spread over the disc
        ang = k * 2.39996323
        pts = ball + rad[:, None] * (np.cos(ang)[:, None] * a + np.sin(ang)[:, None] * b)
        uv = self._distorted_project(pts)
        W, H = self.camera.width, self.camera.height
        ok = (uv[:, 0] >= -0.5) & (uv[:, 0] <= W - 0.5) & (uv[:, 1] >= -0.5) & (uv[:, 1] <= H - 0.5)
        return float(ok.mean())


def _open_writer(path: Path, settings: CameraSettings, width: int, height: int):
    path.parent.mkdir(parents=True, exist_ok=True)
    if settings.codec == "mjpg":
        writer = cv2.VideoWriter(str(path), cv2.CAP_OPENCV_MJPEG, cv2.VideoWriter_fourcc(*"MJPG"),
                                 settings.fps, (width, height))
        if writer.isOpened():
            writer.set(cv2.VIDEOWRITER_PROP_QUALITY, float(settings.quality))
    else:
        writer = cv2.VideoWriter(str(path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*"mp4v"),
                                 settings.fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"cannot write video {path} with codec {settings.codec} (check the "
                      f"directory and that the extension is {settings.container})")
    return writer
