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

Per frame: the static table (drawn once) is copied in; still bodies are drawn once; the
moving bodies' shadows are laid on the playfield (after the still bodies, which hide part of
them); moving bodies are averaged over time samples in their own screen rectangle (motion
blur); an ID render measures the ball's visibility; the
camera pass applies lens distortion, vignetting, exposure, flicker, noise, white balance and
sRGB; the frame is read back and encoded.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass
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
    samples_many,
)
from sim.lens import pinhole_for
from sim.look import Look
from sim.sensor import Sensor
from sim.state import TableState
from sim.table import TableSpec
from sim.tablemesh import MEN0, TableModel
from sim.visibility import VisibilityProbe

PROBES = 9  # instants sampled over each exposure for planning, shadows and blur length
HIDDEN_BELOW = 0.1  # visibility under which a ball in play is "hidden"


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
        self.probe = VisibilityProbe(self.scene, self.camera, self.pinhole,
                                     shaders.MAX_POSE_ROWS - 1)
        self.composite = glutil.Program(shaders.FULLSCREEN_VS, shaders.COMPOSITE_FS)
        self.composite.use()
        self.composite.set_int("u_accum", 0)
        self._vao = gl.GLuint()
        gl.glGenVertexArrays(1, ctypes.byref(self._vao))
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
        fs = self._samples(StateTrack(states), t)
        groups = self._plan(fs)
        self._render(fs, groups)
        truth = self._truth(fs)
        s = self.settings
        flicker = flicker_gain(fs.track.start, fs.track.end, s.flicker_hz, s.flicker_depth)
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
    def _samples(self, track: StateTrack, t: float) -> FrameSamples:
        times = np.linspace(track.start, track.end, PROBES)
        ball, shifts, angles = track.sample(np.concatenate([[t], times]))
        poses = self.model.body_poses_many(ball, shifts, angles)
        return FrameSamples(track, track.state(t), poses[0], times, poses[1:], ball[1:])

    def _plan(self, fs: FrameSamples) -> list[BlurGroup]:
        """Which bodies move enough to blur, in which rectangles, with how many samples."""
        s = self.settings
        if fs.track.end <= fs.track.start:
            return []
        m = self.model
        men = fs.poses[::2, MEN0:m.ball_body]  # (5, M, 4)
        c, sn = np.cos(men[..., 3]), np.sin(men[..., 3])
        k = self._corners  # (8, 3)
        x = c[..., None] * k[:, 0] + sn[..., None] * k[:, 2] + men[..., 0:1]
        y = k[:, 1] + men[..., 1:2]
        z = -sn[..., None] * k[:, 0] + c[..., None] * k[:, 2] + men[..., 2:3]
        uv = self._pinhole_project(np.stack([x, y, z], axis=-1).reshape(-1, 3))
        uv = uv.reshape(len(men), -1, 8, 2)
        move = np.maximum.reduceat(path_length(uv).max(axis=-1), self._rod_starts)  # (8,)
        pts = uv.transpose(1, 0, 2, 3).reshape(uv.shape[1], -1, 2)  # (M, 40, 2)
        lo = np.minimum.reduceat(pts.min(axis=1), self._rod_starts)  # (8, 2)
        hi = np.maximum.reduceat(pts.max(axis=1), self._rod_starts)
        fs.men_uv = uv[len(uv) // 2]
        groups = []
        W, H = self.pinhole.width, self.pinhole.height
        ns = samples_many(move, s.blur_step_px, s.max_blur_samples)
        blurred = np.nonzero(ns > 1)[0]
        if len(blurred) and np.all(np.isfinite(lo[blurred])) and np.all(np.isfinite(hi[blurred])):
            # bounding_rect of each rod's box, for all rods at once
            x0y0 = np.maximum(np.floor(lo[blurred] - 3.0).astype(int), 0)
            x1y1 = np.minimum(np.ceil(hi[blurred] + 3.0).astype(int) + 1, [W, H])
            for rod, n, a, b in zip(blurred.tolist(), ns[blurred].tolist(), x0y0.tolist(),
                                    x1y1.tolist()):
                if b[0] > a[0] and b[1] > a[1]:
                    groups.append(BlurGroup([rod], False, (a[0], a[1], b[0], b[1]), n))
        else:
            for rod in blurred.tolist():
                rect = bounding_rect(np.concatenate([lo[rod], hi[rod]]), 3.0, W, H)
                if rect is not None:
                    groups.append(BlurGroup([rod], False, rect, int(ns[rod])))
        if np.all(np.isfinite(fs.ball_path)):
            buv = self._pinhole_project(fs.ball_path)
            n = samples_for(float(path_length(buv)), s.ball_blur_step_px, s.max_blur_samples)
            if n > 1:
                r = self._ball_radius_px(fs.ball_path[len(buv) // 2])
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

    @property
    def _rod_starts(self) -> np.ndarray:
        """(8,) int: index of each rod's first man among all men."""
        if not hasattr(self, "_rod_starts_cache"):
            self._rod_starts_cache = np.searchsorted(self.model.man_rod, np.arange(8))
        return self._rod_starts_cache

    def _ball_radius_px(self, ball) -> float:
        return self.probe.radius_px(ball)

    # ------------------------------------------------------------------ rendering
    def _render(self, fs: FrameSamples, groups: list[BlurGroup]) -> None:
        from sim.glutil import copy_image

        gl, m, scene, view = self.gl, self.model, self.scene, self.view
        copy_image(self.static_fbo.colours[0], self.main_fbo.colours[0])
        copy_image(self.static_fbo.depth, self.main_depth)
        # pose rows: 0 = mid-exposure, then each blur group's time samples (fewer samples
        # if they would not fit: the last row is the visibility probe's)
        room = shaders.MAX_POSE_ROWS - 2
        total = sum(g.samples for g in groups)
        if total > room:
            for g in groups:
                g.samples = max(1, g.samples * room // total)
        first_row, times = [], []
        for g in groups:
            first_row.append(1 + len(times))
            times.extend(sample_times(fs.track.start, fs.track.end, g.samples))
        rows = [fs.mid_poses[None]]
        if times:
            rows.append(m.body_poses_many(*fs.track.sample(np.array(times))))
        scene.upload_poses(np.concatenate(rows))
        men_rects = scene.men_shadow_rects(fs.poses[[0, len(fs.poses) // 2, -1], MEN0:m.ball_body])
        self.main_fbo.bind()
        gl.glEnable(gl.GL_FRAMEBUFFER_SRGB)
        self._ball_lit = scene.ball_lamp_share(fs.mid.ball, men_rects)
        moving = {r for g in groups for r in g.rods}
        ball_moving = any(g.ball for g in groups)
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glDepthFunc(gl.GL_LESS)
        gl.glDepthMask(True)
        scene.begin_bodies(view)
        scene.draw_body_range(0, *m.rod_range)
        still = [rod for rod in range(8) if rod not in moving]
        for first, count in _contiguous([m.man_ranges[rod] for rod in still]):
            scene.draw_body_range(0, first, count)
        if not ball_moving:
            scene.draw_body_range(0, *m.ball_range, lit=self._ball_lit)
        # the shadows after the still bodies: the playfield they hide (most of a shadow under
        # a man seen from above) fails the depth test and is not shaded; the same image
        scene.draw_shadows(view, men_rects, fs.ball_path)
        if groups:
            self._draw_blurred(groups, first_row)
        gl.glDisable(gl.GL_FRAMEBUFFER_SRGB)

    def _draw_blurred(self, groups: list[BlurGroup], first_row: list[int]) -> None:
        """Average each group's bodies over its time samples inside its rectangle (all
        groups in one accumulation pass), then lay the result over the frame.

        The stencil (zero in every rectangle: the static image's, copied this frame, and the
        rectangles do not overlap) keeps each pixel to one surface per time sample, and then
        marks the pixels the group touched, the only ones laid over the frame.
        """
        gl, m, scene = self.gl, self.model, self.scene
        self.accum_fbo.bind()
        gl.glEnable(gl.GL_SCISSOR_TEST)
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glDepthMask(False)
        gl.glEnable(gl.GL_STENCIL_TEST)
        gl.glStencilOp(gl.GL_KEEP, gl.GL_KEEP, gl.GL_REPLACE)
        gl.glClearColor(0.0, 0.0, 0.0, 0.0)
        scene.begin_bodies(self.view)
        for g, row in zip(groups, first_row):
            x0, y0, x1, y1 = g.rect
            gl.glScissor(x0, y0, x1 - x0, y1 - y0)
            gl.glDisable(gl.GL_BLEND)
            gl.glClear(gl.GL_COLOR_BUFFER_BIT)
            gl.glEnable(gl.GL_BLEND)
            gl.glBlendFunc(gl.GL_ONE, gl.GL_ONE)
            for p in (scene.scene, scene.ball_prog):
                p.use()
                p.set_float("u_weight", 1.0 / g.samples)
            scene._current = p
            for k in range(g.samples):
                gl.glStencilFunc(gl.GL_NOTEQUAL, k + 1, 0xFF)
                for rod in g.rods:
                    scene.draw_body_range(row + k, *m.blur_man_ranges[rod])
                if g.ball:
                    scene.draw_body_range(row + k, *m.ball_range, lit=self._ball_lit)
        gl.glDepthMask(True)
        self.main_fbo.bind()
        gl.glDisable(gl.GL_DEPTH_TEST)
        gl.glDisable(gl.GL_CULL_FACE)
        gl.glStencilFunc(gl.GL_NOTEQUAL, 0, 0xFF)
        gl.glStencilOp(gl.GL_KEEP, gl.GL_KEEP, gl.GL_KEEP)
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
        gl.glDisable(gl.GL_STENCIL_TEST)
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
    def _truth(self, fs: FrameSamples) -> dict:
        mid = fs.mid
        ball = np.asarray(mid.ball, float)
        if not np.all(np.isfinite(ball)):
            return {"ball_u": None, "ball_v": None, "ball_visibility": 0.0,
                    "ball_blur_px": None, "ball_state": "out"}
        uv = self.camera.table_to_pixel(ball[None])[0]
        blur = 0.0
        if fs.track.end > fs.track.start and np.all(np.isfinite(fs.ball_path)):
            blur = float(path_length(self.probe.distorted_project(fs.ball_path)))
        vis = self.probe(ball, fs.mid_poses, fs.men_uv)
        if not mid.in_play:
            state = "out"
        else:
            state = "hidden" if vis < HIDDEN_BELOW else "visible"
        return {"ball_u": float(uv[0]), "ball_v": float(uv[1]), "ball_visibility": vis,
                "ball_blur_px": blur, "ball_state": state}

    def visibility(self, state: TableState, poses: np.ndarray | None = None) -> float:
        """Share (0..1) of the ball's silhouette the camera sees in ``state``
        (``sim.visibility``)."""
        if poses is None:
            poses = self.model.body_poses(state)
        return self.probe(np.asarray(state.ball, float), poses)


@dataclass
class FrameSamples:
    """One frame's motion, sampled once: the exposure's states, the mid-exposure state and
    body poses, and ``PROBES`` instants spread over the exposure (ends included).

    Attributes:
        mid_poses: (n_bodies, 4) float32. times: (PROBES,) s. poses: (PROBES, n_bodies, 4).
        ball_path: (PROBES, 3) m.
    """

    track: StateTrack
    mid: TableState
    mid_poses: np.ndarray
    times: np.ndarray
    poses: np.ndarray
    ball_path: np.ndarray
    men_uv: np.ndarray | None = None  # (M, 8, 2) px: men's box corners at mid-exposure


def _contiguous(ranges):
    """Merge (first, count) vertex ranges that follow each other."""
    out: list[list[int]] = []
    for first, count in ranges:
        if out and out[-1][0] + out[-1][1] == first:
            out[-1][1] += count
        else:
            out.append([first, count])
    return [tuple(r) for r in out]


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
