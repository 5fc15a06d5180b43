"""Thin OpenGL helpers on pyglet: an offscreen context, programs, buffers, textures, FBOs.

All of it needs a current OpenGL 4.1+ core context: ``OffscreenContext`` makes one with no
display (EGL on Mesa, ``pyglet.options['headless']``), a pyglet window is another.
"""

from __future__ import annotations

import ctypes
import sys

import numpy as np


def load_gl(headless: bool = True):
    """Import ``pyglet.gl``, choosing pyglet's options first.

    pyglet reads ``headless`` when ``pyglet.window`` is first imported and ``debug_gl`` (a
    ``glGetError`` after every call, which halves the speed of small calls) when
    ``pyglet.gl`` is; later calls cannot change them.
    """
    import pyglet

    if "pyglet.gl" not in sys.modules:
        pyglet.options["debug_gl"] = False
    if headless and "pyglet.window" not in sys.modules:
        pyglet.options["headless"] = True
    from pyglet import gl

    return gl


class OffscreenContext:
    """A current OpenGL context with no window on screen (a hidden 1x1 pyglet window).

    Raises:
        RuntimeError: no OpenGL 3.3 context could be made (no EGL / Mesa installed).
    """

    def __init__(self):
        gl = load_gl(headless=True)
        import pyglet

        try:
            self.window = pyglet.window.Window(width=1, height=1, visible=False)
        except Exception as exc:  # pyglet raises several types; all mean "no context"
            raise RuntimeError(f"cannot create an offscreen OpenGL context ({exc}); install "
                               "Mesa's EGL (libegl1, libgl1-mesa-dri)") from exc
        self.window.switch_to()
        major, minor = gl.gl_info.get_version()[:2]
        if (major, minor) < (4, 1):
            raise RuntimeError(f"OpenGL {major}.{minor} is too old: 4.1 core is needed")
        self.gl = gl

    @property
    def renderer(self) -> str:
        return self.gl.gl_info.get_renderer()

    def close(self) -> None:
        if self.window is not None:
            self.window.close()
            self.window = None


class Program:
    """A linked shader program with cached uniform locations.

    Raises:
        RuntimeError: a shader does not compile or the program does not link (with the log).
    """

    def __init__(self, vertex: str, fragment: str):
        gl = load_gl()
        self.gl = gl
        shaders = [_compile(gl, vertex, gl.GL_VERTEX_SHADER),
                   _compile(gl, fragment, gl.GL_FRAGMENT_SHADER)]
        self.id = gl.glCreateProgram()
        for s in shaders:
            gl.glAttachShader(self.id, s)
        gl.glLinkProgram(self.id)
        ok = gl.GLint()
        gl.glGetProgramiv(self.id, gl.GL_LINK_STATUS, ctypes.byref(ok))
        for s in shaders:
            gl.glDetachShader(self.id, s)
            gl.glDeleteShader(s)
        if not ok.value:
            raise RuntimeError("shader program does not link: " + _log(gl, self.id, True))
        self._locs: dict[str, int] = {}

    def use(self) -> None:
        self.gl.glUseProgram(self.id)

    def loc(self, name: str) -> int:
        loc = self._locs.get(name)
        if loc is None:
            loc = self.gl.glGetUniformLocation(self.id, name.encode())
            self._locs[name] = loc
        return loc

    # Setters write this program's uniforms whichever program is in use (OpenGL 4.1's
    # glProgramUniform*), so callers need not bind it first.
    def set_int(self, name: str, value: int) -> None:
        self.gl.glProgramUniform1i(self.id, self.loc(name), int(value))

    def set_float(self, name: str, value: float) -> None:
        self.gl.glProgramUniform1f(self.id, self.loc(name), float(value))

    def set_vec(self, name: str, value) -> None:
        """A vec2/3/4 or an array of them: ``value`` (..., k) float."""
        gl = self.gl
        if isinstance(value, tuple) and 2 <= len(value) <= 4:
            fn = (gl.glProgramUniform2f, gl.glProgramUniform3f,
                  gl.glProgramUniform4f)[len(value) - 2]
            fn(self.id, self.loc(name), *(float(x) for x in value))
            return
        v = np.ascontiguousarray(value, np.float32)
        k = v.shape[-1]
        n = v.size // k
        fn = {2: gl.glProgramUniform2fv, 3: gl.glProgramUniform3fv,
              4: gl.glProgramUniform4fv}[k]
        fn(self.id, self.loc(name), n, v.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))

    def set_mat4(self, name: str, m) -> None:
        """``m`` (4, 4) row-major (numpy's layout); uploaded transposed for GLSL."""
        a = np.ascontiguousarray(m, np.float32)
        self.gl.glProgramUniformMatrix4fv(self.id, self.loc(name), 1, True,
                                          a.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))


def _log(gl, obj: int, program: bool) -> str:
    size = gl.GLint()
    (gl.glGetProgramiv if program else gl.glGetShaderiv)(obj, gl.GL_INFO_LOG_LENGTH,
                                                          ctypes.byref(size))
    buf = ctypes.create_string_buffer(max(size.value, 1))
    (gl.glGetProgramInfoLog if program else gl.glGetShaderInfoLog)(obj, len(buf), None, buf)
    return buf.value.decode(errors="replace")


def _compile(gl, source: str, kind) -> int:
    shader = gl.glCreateShader(kind)
    src = ctypes.create_string_buffer(source.encode())
    ptr = ctypes.cast(ctypes.pointer(ctypes.pointer(src)),
                      ctypes.POINTER(ctypes.POINTER(ctypes.c_char)))
    gl.glShaderSource(shader, 1, ptr, None)
    gl.glCompileShader(shader)
    ok = gl.GLint()
    gl.glGetShaderiv(shader, gl.GL_COMPILE_STATUS, ctypes.byref(ok))
    if not ok.value:
        log = _log(gl, shader, False)
        gl.glDeleteShader(shader)
        raise RuntimeError(f"shader does not compile: {log}")
    return shader


class MeshBuffer:
    """A vertex array holding one mesh in ``sim.meshes``' (N, 15) layout.

    Cost note (Mesa llvmpipe): triangle setup dominates small draws (~0.3 us a triangle,
    more for long thin ones crossing many tiles), so meshes are kept coarse.
    """

    ATTRIBUTES = (("a_pos", 0, 3), ("a_normal", 3, 3), ("a_colour", 6, 3),
                  ("a_material", 9, 3), ("a_uv", 12, 2), ("a_body", 14, 1))

    def __init__(self, data: np.ndarray, program_ids=()):
        gl = load_gl()
        self.gl = gl
        data = np.ascontiguousarray(data, np.float32)
        self.count = len(data)
        self.vao = gl.GLuint()
        gl.glGenVertexArrays(1, ctypes.byref(self.vao))
        gl.glBindVertexArray(self.vao)
        self.vbo = gl.GLuint()
        gl.glGenBuffers(1, ctypes.byref(self.vbo))
        gl.glBindBuffer(gl.GL_ARRAY_BUFFER, self.vbo)
        gl.glBufferData(gl.GL_ARRAY_BUFFER, max(data.nbytes, 4), data.ctypes.data,
                        gl.GL_STATIC_DRAW)
        stride = data.shape[1] * 4
        for loc, (_, offset, size) in enumerate(self.ATTRIBUTES):
            gl.glEnableVertexAttribArray(loc)
            gl.glVertexAttribPointer(loc, size, gl.GL_FLOAT, False, stride, offset * 4)
        gl.glBindVertexArray(0)

    def draw(self, first: int = 0, count: int | None = None) -> None:
        gl = self.gl
        gl.glBindVertexArray(self.vao)
        gl.glDrawArrays(gl.GL_TRIANGLES, first, self.count if count is None else count)


class DynamicBuffer:
    """A vertex array of float attributes rewritten every frame.

    Args:
        sizes: floats per attribute, bound to locations 0, 1, ... in order.
        capacity: vertices the buffer can hold (it grows when needed).
    """

    def __init__(self, sizes, capacity: int = 1024):
        gl = load_gl()
        self.gl = gl
        self.sizes = tuple(sizes)
        self.stride = sum(self.sizes)
        self.count = 0
        self.capacity = 0
        self.vao = gl.GLuint()
        gl.glGenVertexArrays(1, ctypes.byref(self.vao))
        self.vbo = gl.GLuint()
        gl.glGenBuffers(1, ctypes.byref(self.vbo))
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        gl = self.gl
        gl.glBindVertexArray(self.vao)
        gl.glBindBuffer(gl.GL_ARRAY_BUFFER, self.vbo)
        gl.glBufferData(gl.GL_ARRAY_BUFFER, capacity * self.stride * 4, None, gl.GL_STREAM_DRAW)
        offset = 0
        for loc, size in enumerate(self.sizes):
            gl.glEnableVertexAttribArray(loc)
            gl.glVertexAttribPointer(loc, size, gl.GL_FLOAT, False, self.stride * 4, offset * 4)
            offset += size
        gl.glBindVertexArray(0)
        self.capacity = capacity

    def update(self, data: np.ndarray) -> None:
        """Replace the vertices: ``data`` (N, stride) float32."""
        gl = self.gl
        data = np.ascontiguousarray(data, np.float32).reshape(-1, self.stride)
        if len(data) > self.capacity:
            self._allocate(2 * len(data))
        gl.glBindBuffer(gl.GL_ARRAY_BUFFER, self.vbo)
        if len(data):
            gl.glBufferSubData(gl.GL_ARRAY_BUFFER, 0, data.nbytes, data.ctypes.data)
        self.count = len(data)

    def draw(self, first: int = 0, count: int | None = None) -> None:
        gl = self.gl
        n = self.count - first if count is None else count
        if n > 0:
            gl.glBindVertexArray(self.vao)
            gl.glDrawArrays(gl.GL_TRIANGLES, first, n)


def quads(x0, y0, x1, y1, *attributes) -> np.ndarray:
    """Two triangles per axis-aligned rectangle, with per-rectangle attributes repeated on
    its 6 vertices.

    Args:
        x0, y0, x1, y1: (N,) corners. attributes: (N, k) arrays appended to each vertex.

    Returns:
        (6 N, 2 + sum k) float32.
    """
    x0, y0, x1, y1 = (np.asarray(a, np.float32).reshape(-1) for a in (x0, y0, x1, y1))
    xs = np.stack([x0, x1, x1, x0, x1, x0], axis=1)
    ys = np.stack([y0, y0, y1, y0, y1, y1], axis=1)
    cols = [xs[..., None], ys[..., None]]
    for a in attributes:
        a = np.asarray(a, np.float32).reshape(len(x0), -1)
        cols.append(np.repeat(a[:, None, :], 6, axis=1))
    return np.concatenate(cols, axis=-1).reshape(-1, sum(c.shape[-1] for c in cols))


ATTRIBUTE_BINDINGS = "\n".join(
    f"layout(location = {i}) in {'float' if s == 1 else f'vec{s}'} {n};"
    for i, (n, _, s) in enumerate(MeshBuffer.ATTRIBUTES))


class Texture:
    """A 2D texture. ``data`` (rows, cols, channels) uploads with row 0 at t = 0."""

    def __init__(self, width: int, height: int, internal, fmt, dtype, data=None,
                 linear: bool = True, repeat: bool = False, mipmaps: bool = False):
        gl = load_gl()
        self.gl = gl
        self.width, self.height = width, height
        self.id = gl.GLuint()
        gl.glGenTextures(1, ctypes.byref(self.id))
        gl.glBindTexture(gl.GL_TEXTURE_2D, self.id)
        gl.glPixelStorei(gl.GL_UNPACK_ALIGNMENT, 1)
        ptr = None if data is None else np.ascontiguousarray(data).ctypes.data
        gl.glTexImage2D(gl.GL_TEXTURE_2D, 0, internal, width, height, 0, fmt, dtype, ptr)
        mag = gl.GL_LINEAR if linear else gl.GL_NEAREST
        if mipmaps:
            gl.glGenerateMipmap(gl.GL_TEXTURE_2D)
            mini = gl.GL_LINEAR_MIPMAP_LINEAR
        else:
            mini = mag
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MIN_FILTER, mini)
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MAG_FILTER, mag)
        wrap = gl.GL_REPEAT if repeat else gl.GL_CLAMP_TO_EDGE
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_WRAP_S, wrap)
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_WRAP_T, wrap)

    def bind(self, unit: int) -> None:
        self.gl.glActiveTexture(self.gl.GL_TEXTURE0 + unit)
        self.gl.glBindTexture(self.gl.GL_TEXTURE_2D, self.id)

    def update(self, data: np.ndarray, fmt, dtype) -> None:
        gl = self.gl
        gl.glBindTexture(gl.GL_TEXTURE_2D, self.id)
        gl.glTexSubImage2D(gl.GL_TEXTURE_2D, 0, 0, 0, self.width, self.height, fmt, dtype,
                           np.ascontiguousarray(data).ctypes.data)


def rgb_texture(image: np.ndarray, srgb: bool = True, repeat: bool = False) -> Texture:
    """An 8-bit colour texture from an (rows, cols, 3) uint8 image, mipmapped."""
    gl = load_gl()
    internal = gl.GL_SRGB8 if srgb else gl.GL_RGB8
    return Texture(image.shape[1], image.shape[0], internal, gl.GL_RGB, gl.GL_UNSIGNED_BYTE,
                   image, repeat=repeat, mipmaps=True)


class Framebuffer:
    """A framebuffer object with colour textures and an optional depth-stencil texture
    (which may be shared with another framebuffer)."""

    def __init__(self, width: int, height: int, colours=(), depth: Texture | None = None):
        gl = load_gl()
        self.gl = gl
        self.width, self.height = width, height
        self.colours = list(colours)
        self.depth = depth
        self.id = gl.GLuint()
        gl.glGenFramebuffers(1, ctypes.byref(self.id))
        gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, self.id)
        for i, tex in enumerate(self.colours):
            gl.glFramebufferTexture2D(gl.GL_FRAMEBUFFER, gl.GL_COLOR_ATTACHMENT0 + i,
                                      gl.GL_TEXTURE_2D, tex.id, 0)
        if depth is not None:
            gl.glFramebufferTexture2D(gl.GL_FRAMEBUFFER, gl.GL_DEPTH_STENCIL_ATTACHMENT,
                                      gl.GL_TEXTURE_2D, depth.id, 0)
        if not self.colours:
            gl.glDrawBuffer(gl.GL_NONE)
            gl.glReadBuffer(gl.GL_NONE)
        status = gl.glCheckFramebufferStatus(gl.GL_FRAMEBUFFER)
        if status != gl.GL_FRAMEBUFFER_COMPLETE:
            raise RuntimeError(f"framebuffer incomplete (status 0x{status:x})")

    def bind(self) -> None:
        self.gl.glBindFramebuffer(self.gl.GL_FRAMEBUFFER, self.id)
        self.gl.glViewport(0, 0, self.width, self.height)


def colour_texture(width: int, height: int, hdr: bool = True) -> Texture:
    """An empty RGBA colour target: half floats (``hdr``) or 8 bits."""
    gl = load_gl()
    if hdr:
        return Texture(width, height, gl.GL_RGBA16F, gl.GL_RGBA, gl.GL_FLOAT)
    return Texture(width, height, gl.GL_RGBA8, gl.GL_RGBA, gl.GL_UNSIGNED_BYTE)


def srgb_texture(width: int, height: int) -> Texture:
    """An empty 8-bit sRGB colour target (blending in linear light with
    ``GL_FRAMEBUFFER_SRGB`` enabled)."""
    gl = load_gl()
    return Texture(width, height, gl.GL_SRGB8_ALPHA8, gl.GL_RGBA, gl.GL_UNSIGNED_BYTE)


def depth_texture(width: int, height: int) -> Texture:
    gl = load_gl()
    return Texture(width, height, gl.GL_DEPTH24_STENCIL8, gl.GL_DEPTH_STENCIL,
                   gl.GL_UNSIGNED_INT_24_8, linear=False)


def copy_image(src: Texture, dst: Texture) -> None:
    """Copy a whole texture into another of the same size and format (a memory copy)."""
    gl = src.gl
    gl.glCopyImageSubData(src.id, gl.GL_TEXTURE_2D, 0, 0, 0, 0, dst.id, gl.GL_TEXTURE_2D, 0,
                          0, 0, 0, src.width, src.height, 1)


def blit(src: Framebuffer, dst: Framebuffer, colour: bool = True, depth: bool = True,
         rect=None) -> None:
    """Copy pixels (all, or ``rect`` = (x0, y0, x1, y1)) from ``src`` to ``dst``."""
    gl = src.gl
    x0, y0, x1, y1 = rect if rect is not None else (0, 0, src.width, src.height)
    mask = (gl.GL_COLOR_BUFFER_BIT if colour else 0) | (
        gl.GL_DEPTH_BUFFER_BIT | gl.GL_STENCIL_BUFFER_BIT if depth else 0)
    gl.glBindFramebuffer(gl.GL_READ_FRAMEBUFFER, src.id)
    gl.glBindFramebuffer(gl.GL_DRAW_FRAMEBUFFER, dst.id)
    gl.glBlitFramebuffer(x0, y0, x1, y1, x0, y0, x1, y1, mask, gl.GL_NEAREST)
