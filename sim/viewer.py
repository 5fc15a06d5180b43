"""The replay window: a record played back in 3D with pyglet.

Controls:

| input | does |
|---|---|
| space | play / pause |
| left, right | step one record frame back / forward (pauses) |
| up, down or +, - | speed up / slow down: 0.1x, 0.25x, 0.5x, 1x, 2x, 4x |
| home, end | go to the start / the end |
| 1, 2, 3, 4 | camera: overhead, side, behind a goal, follow the ball |
| left drag | orbit |
| right drag, shift + left drag | pan (stops following the ball) |
| wheel | zoom |
| click or drag on the bar at the bottom | seek |
| escape | close |

``Viewer`` holds the playback state and handles a window's events (tests drive it on a
hidden headless window); ``run_viewer`` opens a window on the display and runs it.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from sim.replay import MAX_SPEED, MIN_SPEED, ReplayFrames, ReplaySource
from sim.replaycam import PRESETS
from sim.replaycam import preset as make_preset

SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
ORBIT_DEG_PER_PX = 0.35
ZOOM_PER_CLICK = 0.9  # distance factor per wheel click
HELP = ("space play/pause   \u2190/\u2192 step   \u2191/\u2193 speed   1-4 camera   "
        "drag orbit   right-drag pan   wheel zoom")


class Viewer:
    """Plays a replay in a pyglet window (its GL context must be current).

    Args:
        window: a ``pyglet.window.Window``.
        main: the record shown; ``ghost``: a second one drawn translucent, or None.
        preset: the first camera (``sim.replaycam.PRESETS``).
        speed: playback speed, 0.1 to 4.
        shadow_taps: static shadows' softness (None: soft on a GPU, hard on llvmpipe, where
            every camera move redraws the table).
    """

    def __init__(self, window, main: ReplaySource, ghost: ReplaySource | None = None,
                 preset: str = "overhead", speed: float = 1.0, shadow_taps: int | None = None):
        import pyglet

        if not MIN_SPEED - 1e-9 <= speed <= MAX_SPEED + 1e-9:
            raise ValueError(f"speed must be in {MIN_SPEED:g}..{MAX_SPEED:g}, got {speed:g}")
        self.window = window
        self.main, self.ghost = main, ghost
        if shadow_taps is None:
            renderer = pyglet.gl.gl_info.get_renderer().lower()
            shadow_taps = 0 if ("llvmpipe" in renderer or "softpipe" in renderer) else 3
        w, h = window.get_framebuffer_size()
        self.frames = ReplayFrames(main, ghost, max(w, 16), max(h, 16), preset, shadow_taps)
        self.preset_name = preset
        self.timeline = main.timeline
        self.t = self.timeline.start
        self.playing = False
        self.speed = float(speed)
        self.seeking = False
        self._labels(pyglet)
        window.push_handlers(self)

    # ------------------------------------------------------------------ state
    @property
    def view(self):
        return self.frames.view

    def set_time(self, t: float) -> None:
        self.t = float(np.clip(t, self.timeline.start, self.timeline.end))

    def tick(self, dt: float) -> None:
        """Advance the clock by ``dt`` s of wall time (scaled by the speed) when playing;
        pause at the end."""
        if not self.playing:
            return
        self.set_time(self.t + dt * self.speed)
        if self.t >= self.timeline.end:
            self.playing = False

    def step(self, frames: int) -> None:
        """Pause and move ``frames`` record frames (negative: back)."""
        self.playing = False
        tl = self.timeline
        i = tl.frame_at(self.t)
        if frames < 0 and tl.t[i] < self.t - 1e-9:
            i += 1  # between frames: one step back lands on the frame before
        self.set_time(tl.t[int(np.clip(i + frames, 0, tl.n_frames - 1))])

    def change_speed(self, steps: int) -> None:
        """Move ``steps`` along ``SPEEDS`` (negative: slower) from the current speed."""
        for _ in range(abs(steps)):
            if steps > 0:
                faster = [s for s in SPEEDS if s > self.speed + 1e-9]
                self.speed = faster[0] if faster else SPEEDS[-1]
            else:
                slower = [s for s in SPEEDS if s < self.speed - 1e-9]
                self.speed = slower[-1] if slower else SPEEDS[0]

    def use_preset(self, name: str) -> None:
        w, h = self.frames.renderer.width, self.frames.renderer.height
        self.frames.view = make_preset(name, self.main.table, w, h)
        self.preset_name = name

    # ------------------------------------------------------------------ layout
    def _bar(self) -> tuple[float, float, float, float]:
        """Seek bar (x0, x1, y, height) in window coordinates (y up)."""
        pad = 12.0
        return pad, self.window.width - pad, pad, 8.0

    def time_at_x(self, x: float) -> float:
        x0, x1, _, _ = self._bar()
        share = np.clip((x - x0) / max(x1 - x0, 1.0), 0.0, 1.0)
        return self.timeline.start + share * (self.timeline.end - self.timeline.start)

    def _on_bar(self, y: float) -> bool:
        _, _, y0, h = self._bar()
        return y <= y0 + h + 10

    def _labels(self, pyglet) -> None:
        self.batch = pyglet.graphics.Batch()
        b = self.batch
        white = (245, 245, 245, 255)
        self.top = pyglet.shapes.Rectangle(0, 0, 1, 1, color=(0, 0, 0, 120), batch=b)
        self.bottom = pyglet.shapes.Rectangle(0, 0, 1, 1, color=(0, 0, 0, 120), batch=b)
        self.time_label = pyglet.text.Label("", font_size=13, color=white, batch=b)
        self.score_label = pyglet.text.Label("", font_size=15, color=white, anchor_x="center",
                                             batch=b)
        self.status_label = pyglet.text.Label("", font_size=13, color=white, anchor_x="right",
                                              batch=b)
        self.shot_label = pyglet.text.Label("", font_size=12, color=white, batch=b)
        self.help_label = pyglet.text.Label(HELP, font_size=10, color=(200, 200, 200, 255),
                                            anchor_x="right", batch=b)
        self.bar_back = pyglet.shapes.Rectangle(0, 0, 1, 1, color=(80, 80, 80, 255), batch=b)
        self.bar_done = pyglet.shapes.Rectangle(0, 0, 1, 1, color=(235, 235, 235, 255), batch=b)
        self.goal_marks = []
        for _ in self.timeline.goals:
            self.goal_marks.append(pyglet.shapes.Rectangle(0, 0, 2, 1, color=(255, 200, 40, 255),
                                                           batch=b))

    def _layout(self) -> None:
        win = self.window
        W, H = win.width, win.height
        info = self.timeline.overlay(self.t)
        x0, x1, y, h = self._bar()
        self.top.position, self.top.width, self.top.height = (0, H - 34), W, 34
        self.bottom.position, self.bottom.width, self.bottom.height = (0, 0), W, y + h + 30
        self.time_label.text = info.time_text()
        self.time_label.position = (12, H - 24, 0)
        self.score_label.text = info.score_text()
        self.score_label.position = (W / 2, H - 25, 0)
        state = "playing" if self.playing else "paused"
        self.status_label.text = f"{self.speed:g}x {state}   [{self.preset_name}]"
        self.status_label.position = (W - 12, H - 24, 0)
        shot = info.shot_text()
        if self.ghost is not None:
            shot += f"   ghost (translucent): {self.ghost.name}"
        self.shot_label.text = shot
        self.shot_label.position = (x0, y + h + 8, 0)
        self.help_label.position = (x1, y + h + 8, 0)
        self.help_label.visible = W > 900
        self.bar_back.position, self.bar_back.width, self.bar_back.height = (x0, y), x1 - x0, h
        share = info.t / info.duration if info.duration > 0 else 0.0
        self.bar_done.position = (x0, y)
        self.bar_done.width, self.bar_done.height = max(1.0, share * (x1 - x0)), h
        span = max(self.timeline.end - self.timeline.start, 1e-9)
        for mark, goal in zip(self.goal_marks, self.timeline.goals):
            gx = x0 + np.clip((goal.t - self.timeline.start) / span, 0, 1) * (x1 - x0)
            mark.position, mark.height = (gx - 1, y - 3), h + 6

    # ------------------------------------------------------------------ window events
    def on_draw(self):
        w, h = self.window.get_framebuffer_size()
        if w < 16 or h < 16:
            return
        frames = self.frames
        if (w, h) != (frames.renderer.width, frames.renderer.height):
            frames.renderer.resize(w, h)
        frames.render(self.t)
        frames.renderer.blit(w, h)
        gl = frames.renderer.gl
        gl.glViewport(0, 0, w, h)
        gl.glDisable(gl.GL_DEPTH_TEST)
        gl.glDisable(gl.GL_CULL_FACE)
        self._layout()
        self.batch.draw()

    def on_key_press(self, symbol, modifiers):
        from pyglet.window import key

        presets = {key._1: PRESETS[0], key._2: PRESETS[1], key._3: PRESETS[2],
                   key._4: PRESETS[3]}
        if symbol == key.SPACE:
            if not self.playing and self.t >= self.timeline.end:
                self.set_time(self.timeline.start)
            self.playing = not self.playing
        elif symbol == key.LEFT:
            self.step(-1)
        elif symbol == key.RIGHT:
            self.step(1)
        elif symbol in (key.UP, key.PLUS, key.EQUAL, key.NUM_ADD):
            self.change_speed(1)
        elif symbol in (key.DOWN, key.MINUS, key.NUM_SUBTRACT):
            self.change_speed(-1)
        elif symbol == key.HOME:
            self.set_time(self.timeline.start)
        elif symbol == key.END:
            self.set_time(self.timeline.end)
        elif symbol in presets:
            self.use_preset(presets[symbol])
        else:
            return None  # escape and the rest: the window's own handlers
        return True

    def on_mouse_press(self, x, y, button, modifiers):
        from pyglet.window import mouse

        if button == mouse.LEFT and self._on_bar(y):
            self.seeking = True
            self.set_time(self.time_at_x(x))

    def on_mouse_release(self, x, y, button, modifiers):
        self.seeking = False

    def on_mouse_drag(self, x, y, dx, dy, buttons, modifiers):
        from pyglet.window import key, mouse

        frames = self.frames
        if self.seeking:
            self.set_time(self.time_at_x(x))
        elif buttons & mouse.RIGHT or (buttons & mouse.LEFT and modifiers & key.MOD_SHIFT):
            frames.view = frames.view.pan(dx, dy, self.window.width)
        elif buttons & mouse.LEFT:
            frames.view = frames.view.orbit(-dx * ORBIT_DEG_PER_PX, -dy * ORBIT_DEG_PER_PX)

    def on_mouse_scroll(self, x, y, scroll_x, scroll_y):
        self.frames.view = self.frames.view.dolly(ZOOM_PER_CLICK ** scroll_y)


def has_display() -> bool:
    """Whether a window can be opened (X11 or Wayland on Linux; always elsewhere)."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_viewer(main: ReplaySource, ghost: ReplaySource | None = None,
               preset: str = "overhead", speed: float = 1.0,
               size: tuple[int, int] = (1280, 720)) -> None:
    """Open the replay window and run it until it is closed.

    Raises:
        RuntimeError: no display, or no OpenGL 4.1 context.
    """
    if not has_display():
        raise RuntimeError("no display to open the replay window on: use --export FILE.mp4 "
                           "to write a video instead")
    from sim.glutil import load_gl

    load_gl(headless=False)
    import pyglet
    import pyglet.window  # noqa: F401 (chosen with a display before anything loads GL)

    config = pyglet.gl.Config(major_version=4, minor_version=1, forward_compatible=True,
                              double_buffer=True, depth_size=24)
    title = f"foosball replay: {main.name}" + (f" (ghost: {ghost.name})" if ghost else "")
    try:
        window = pyglet.window.Window(int(size[0]), int(size[1]), title, resizable=True,
                                      config=config)
    except Exception as exc:  # pyglet raises several types; all mean "no such context"
        raise RuntimeError(f"cannot open an OpenGL 4.1 window ({exc})") from exc
    viewer = Viewer(window, main, ghost, preset, speed)
    pyglet.clock.schedule_interval(viewer.tick, 1 / 120)
    pyglet.app.run(1 / 60)
