"""Drawing replay frames: the table at one instant, the ball's fading trail and a ghost.

``ReplayRenderer`` owns a ``sim.render.Scene`` and an offscreen sRGB framebuffer of the
replay's size. ``render`` draws one instant seen from a camera: the static table (redrawn
only when the camera moves), the shadows of the men and the ball, the rods, men and ball,
the trail (a ribbon along the ball's recent path, thinning and fading with age), and
optionally a ghost (a second record's men and ball, translucent, in lighter team colours
and another ball colour, with its own trail). The frame is then read back (``read_bgr``,
for video) or copied to a window (``blit``).

Framebuffer row v holds image row v (``View.flip_y``): read back, the image comes top row
first, as OpenCV stores images. A GL context must be current.
"""

from __future__ import annotations

import ctypes
from dataclasses import replace

import numpy as np

from sim.camera import Camera
from sim.look import COLOURS, Look, colour, srgb_to_linear
from sim.state import TableState
from sim.table import TableSpec

GHOST_ALPHA = 0.45  # opacity of the ghost's men
GHOST_BALL_ALPHA = 0.75
TRAIL_ALPHA = 0.6  # opacity of the newest end of a trail
BACKGROUND = (0.035, 0.04, 0.05)  # linear RGB

TRAIL_VS = """#version 330 core
layout(location = 0) in vec3 a_pos;
layout(location = 1) in vec4 a_rgba;
uniform mat4 u_mvp;
out vec4 v_rgba;
void main() { v_rgba = a_rgba; gl_Position = u_mvp * vec4(a_pos, 1.0); }
"""

TRAIL_FS = """#version 330 core
in vec4 v_rgba;
out vec4 o_colour;
void main() { o_colour = vec4(v_rgba.rgb * v_rgba.a, v_rgba.a); }
"""


def ghost_look(look: Look) -> Look:
    """The ghost's look: team colours halfway to white, a ball of another colour."""
    teams = []
    for side in (0, 1):
        rgb = 0.5 * np.asarray(look.team_rgb(side)) + 0.5
        teams.append("#" + "".join(f"{int(round(255 * c)):02x}" for c in rgb))
    ball = "orange" if look.ball_rgb != COLOURS["orange"] else "#ff40ff"
    return replace(look, teams=tuple(teams), ball=ball)


def trail_ribbon(points: np.ndarray, ages: np.ndarray, eye: np.ndarray, seconds: float,
                 half_width: float, rgb, alpha: float = TRAIL_ALPHA) -> np.ndarray:
    """Triangles of a ribbon along a path, facing the eye, thinning and fading with age.

    Args:
        points: (K, 3) m, oldest first; NaN rows break the ribbon.
        ages: (K,) s, age of each point (0 = now).
        eye: (3,) m, the camera centre.
        seconds: age at which the ribbon has faded out.
        half_width: m, of the newest end.
        rgb: linear colour (3,).
        alpha: opacity of the newest end.

    Returns:
        (6 S, 7) float32: x, y, z, r, g, b, a per vertex, two triangles per segment.
    """
    p = np.asarray(points, float)
    if len(p) < 2:
        return np.zeros((0, 7), np.float32)
    a, b = p[:-1], p[1:]
    d = b - a
    length = np.linalg.norm(d, axis=1)
    ok = np.isfinite(length) & (length > 1e-5)
    if not ok.any():
        return np.zeros((0, 7), np.float32)
    a, b, d, length = a[ok], b[ok], d[ok], length[ok]
    life = np.clip(1.0 - np.asarray(ages, float) / seconds, 0.0, 1.0)
    la, lb = life[:-1][ok], life[1:][ok]
    side = np.cross(d, 0.5 * (a + b) - np.asarray(eye, float))
    norm = np.linalg.norm(side, axis=1, keepdims=True)
    side = np.where(norm > 1e-9, side / np.maximum(norm, 1e-9), 0.0)
    wa = (half_width * (0.2 + 0.8 * la))[:, None] * side
    wb = (half_width * (0.2 + 0.8 * lb))[:, None] * side
    corners = np.stack([a - wa, a + wa, b + wb, a - wa, b + wb, b - wb], axis=1)  # (S, 6, 3)
    lives = np.stack([la, la, lb, la, lb, lb], axis=1)
    out = np.empty((len(a), 6, 7), np.float32)
    out[..., :3] = corners
    out[..., 3:6] = np.asarray(rgb, float)
    out[..., 6] = alpha * lives ** 1.5
    return out.reshape(-1, 7)


class ReplayRenderer:
    """Replay frames of one table, offscreen.

    Args:
        table: the table drawn.
        look: its colours (``Look.floor_visible`` False keeps the players' bodies out of
            low views).
        width, height: px, of the frames.
        ghost: also prepare a ghost (``ghost_look(look)``) for ``render(..., ghost=...)``.
        shadow_taps: softness samples of the static shadows (``Scene``): 3 looks best and
            costs ~5x more to redraw; 0 suits a camera moving every frame.
    """

    def __init__(self, table: TableSpec, look: Look, width: int, height: int,
                 ghost: bool = False, shadow_taps: int = 0):
        from sim.glutil import DynamicBuffer, MeshBuffer, Program, load_gl
        from sim.render import Scene
        from sim.tablemesh import TableModel

        self.gl = load_gl()
        self.table = table
        self.look = look
        self.model = TableModel(table, look)
        self.scene = Scene(self.model, shadow_taps=shadow_taps)
        self.ghost_look = ghost_look(look) if ghost else None
        self.ghost_bodies = (MeshBuffer(TableModel(table, self.ghost_look).bodies)
                             if ghost else None)
        self.trail_prog = Program(TRAIL_VS, TRAIL_FS)
        self.trail_buf = DynamicBuffer((3, 4))
        self.ball_rgb = srgb_to_linear(look.ball_rgb)
        self.ghost_rgb = srgb_to_linear(colour(self.ghost_look.ball)) if ghost else None
        self.width = self.height = 0
        self.static_fbo = None
        self._static_key = None
        self.resize(width, height)

    def resize(self, width: int, height: int) -> None:
        """Make the frames ``width`` x ``height`` px (no-op if they are)."""
        from sim.glutil import Framebuffer, depth_texture, srgb_texture

        if (width, height) == (self.width, self.height):
            return
        if width < 16 or height < 16:
            raise ValueError(f"replay frames must be at least 16x16 px, got {width}x{height}")
        self.width, self.height = int(width), int(height)
        w, h = self.width, self.height
        self.main_fbo = Framebuffer(w, h, [srgb_texture(w, h)], depth_texture(w, h))
        self._rgba = np.empty((h, w, 4), np.uint8)

    def _static_for(self, parent: Camera) -> None:
        """Draw the static table seen by ``parent`` unless it is already drawn."""
        from sim.glutil import Framebuffer, depth_texture, srgb_texture
        from sim.render import View

        view = View.from_camera(parent)
        key = (parent.width, parent.height, view.mvp.tobytes())
        if key == self._static_key:
            return
        w, h = parent.width, parent.height
        if self.static_fbo is None or (self.static_fbo.width, self.static_fbo.height) != (w, h):
            self.static_fbo = None  # free the old one first (a zoomed one is large)
            self.static_fbo = Framebuffer(w, h, [srgb_texture(w, h)], depth_texture(w, h))
        gl = self.gl
        self.static_fbo.bind()
        gl.glEnable(gl.GL_FRAMEBUFFER_SRGB)
        gl.glClearColor(*BACKGROUND, 1.0)
        gl.glClearStencil(0)
        gl.glClear(gl.GL_COLOR_BUFFER_BIT | gl.GL_DEPTH_BUFFER_BIT | gl.GL_STENCIL_BUFFER_BIT)
        self.scene.draw_static(view)
        gl.glDisable(gl.GL_FRAMEBUFFER_SRGB)
        self._static_key = key

    # ------------------------------------------------------------------ drawing
    def render(self, camera: Camera, state: TableState, trail=None, ghost: TableState = None,
               ghost_trail=None, origin: tuple[int, int] | None = None) -> None:
        """Draw one instant into the framebuffer.

        Args:
            camera: the view (its image is scaled to the frame size if it differs); with
                ``origin``, a larger image of which the frame is a part.
            state: where everything is; a non-finite ball is not drawn.
            trail: (points (K, 3) m, ages (K,) s) of ``Timeline.trail``, or None.
            ghost: the ghost's state (needs ``ghost=True`` at construction), or None.
            ghost_trail: the ghost's trail, or None.
            origin: (x0, y0) px, the frame's top-left corner in ``camera``'s image
                (``sim.replaycam.follow_crop``): the static table is drawn once for the
                whole image and the frame copies its part.
        """
        from sim.playback import TRAIL_SECONDS
        from sim.render import View
        from sim.replaycam import crop_camera
        from sim.tablemesh import MEN0

        gl, m, scene = self.gl, self.model, self.scene
        w, h = self.width, self.height
        if origin is None:
            if (camera.width, camera.height) != (w, h):
                camera = camera.with_size(w, h)
            origin = (0, 0)
        elif camera.width < w or camera.height < h:
            raise ValueError(f"a {camera.width}x{camera.height} image has no {w}x{h} part")
        self._static_for(camera)
        x0 = int(np.clip(origin[0], 0, camera.width - w))
        y0 = int(np.clip(origin[1], 0, camera.height - h))
        view = View.from_camera(crop_camera(camera, x0, y0, w, h))
        for src, dst in ((self.static_fbo.colours[0], self.main_fbo.colours[0]),
                         (self.static_fbo.depth, self.main_fbo.depth)):
            gl.glCopyImageSubData(src.id, gl.GL_TEXTURE_2D, 0, x0, y0, 0, dst.id,
                                  gl.GL_TEXTURE_2D, 0, 0, 0, 0, w, h, 1)
        self.main_fbo.bind()
        poses = m.body_poses(state)[None]
        if ghost is not None:
            if self.ghost_bodies is None:
                raise ValueError("this ReplayRenderer was made without a ghost")
            poses = np.concatenate([poses, m.body_poses(ghost)[None]])
        scene.upload_poses(poses)
        ball = np.asarray(state.ball, float)
        men_rects = scene.men_shadow_rects(poses[:1, MEN0:m.ball_body])
        gl.glEnable(gl.GL_FRAMEBUFFER_SRGB)
        scene.draw_shadows(view, men_rects, ball[None] if np.all(np.isfinite(ball)) else None)
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glDepthFunc(gl.GL_LESS)
        gl.glDepthMask(True)
        gl.glDisable(gl.GL_BLEND)
        scene.begin_bodies(view)
        scene.draw_body_range(0, m.rod_range[0], m.ball_range[0] - m.rod_range[0])
        if np.all(np.isfinite(ball)):
            scene.draw_body_range(0, *m.ball_range, lit=scene.ball_lamp_share(ball, men_rects))
        # translucent: premultiplied colour, depth tested, not written
        gl.glEnable(gl.GL_BLEND)
        gl.glBlendFunc(gl.GL_ONE, gl.GL_ONE_MINUS_SRC_ALPHA)
        gl.glDepthMask(False)
        half = 0.6 * self.table.ball.radius
        if trail is not None:
            self._draw_trail(view, trail_ribbon(*trail, view.eye, TRAIL_SECONDS, half,
                                                self.ball_rgb))
        if ghost is not None:
            gl.glDepthFunc(gl.GL_LEQUAL)  # a ghost exactly on the truth tints it
            first = m.man_ranges[0][0]
            scene.begin_bodies(view, weight=GHOST_ALPHA)
            scene.draw_body_range(1, first, m.ball_range[0] - first, bodies=self.ghost_bodies)
            if np.all(np.isfinite(ghost.ball)):
                scene.ball_prog.set_float("u_weight", GHOST_BALL_ALPHA)
                scene.draw_body_range(1, *m.ball_range, lit=1.0, bodies=self.ghost_bodies)
            gl.glDepthFunc(gl.GL_LESS)
            if ghost_trail is not None:
                self._draw_trail(view, trail_ribbon(*ghost_trail, view.eye, TRAIL_SECONDS,
                                                    half, self.ghost_rgb))
        gl.glDepthMask(True)
        gl.glDisable(gl.GL_BLEND)
        gl.glDisable(gl.GL_FRAMEBUFFER_SRGB)

    def _draw_trail(self, view, vertices: np.ndarray) -> None:
        if len(vertices) == 0:
            return
        gl = self.gl
        gl.glDisable(gl.GL_CULL_FACE)
        p = self.trail_prog
        p.use()
        self.scene._current = p
        p.set_mat4("u_mvp", view.mvp)
        self.trail_buf.update(vertices)
        self.trail_buf.draw()

    # ------------------------------------------------------------------ output
    def read_bgr(self) -> np.ndarray:
        """(H, W, 3) uint8 BGR: the last frame rendered, top row first."""
        import cv2

        gl = self.gl
        self.main_fbo.bind()
        gl.glPixelStorei(gl.GL_PACK_ALIGNMENT, 1)
        gl.glReadPixels(0, 0, self.width, self.height, gl.GL_RGBA, gl.GL_UNSIGNED_BYTE,
                        self._rgba.ctypes.data_as(ctypes.c_void_p))
        return cv2.cvtColor(self._rgba, cv2.COLOR_RGBA2BGR)

    def blit(self, width: int, height: int, target: int = 0) -> None:
        """Copy the last frame into framebuffer ``target`` (0: the window's) of ``width`` x
        ``height`` px, upright (GL's rows go bottom up)."""
        gl = self.gl
        gl.glDisable(gl.GL_FRAMEBUFFER_SRGB)
        gl.glBindFramebuffer(gl.GL_READ_FRAMEBUFFER, self.main_fbo.id)
        gl.glBindFramebuffer(gl.GL_DRAW_FRAMEBUFFER, target)
        gl.glBlitFramebuffer(0, 0, self.width, self.height, 0, height, width, 0,
                             gl.GL_COLOR_BUFFER_BIT, gl.GL_NEAREST)
        gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, target)
        gl.glViewport(0, 0, width, height)
