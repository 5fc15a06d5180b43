"""GLSL sources of the renderer (OpenGL 3.3 core).

Conventions shared by every program:

- the scene is lit in linear light; the sensor pass (``POST_FS``) encodes to sRGB;
- moving bodies are placed by ``u_poses[body]`` = (x, y, z, angle about +y), see
  ``sim.tablemesh``;
- framebuffer row ``r`` holds image row ``v = r`` (the projection flips y), so a colour read
  back with ``glReadPixels`` comes out top row first, as OpenCV stores images.
"""

from sim.glutil import ATTRIBUTE_BINDINGS

MAX_BODIES = 64  # columns of the pose texture
MAX_POSE_ROWS = 1024  # rows: time samples of one frame

BODY_TRANSFORM = """
uniform sampler2D u_pose_tex;   // RGBA32F: texel (body, row) = x, y, z (m), angle (rad)
uniform int u_pose_row;
void place(in vec3 p_body, in vec3 n_body, in float body, out vec3 p, out vec3 n) {
    p = p_body;
    n = n_body;
    if (body > -0.5) {
        vec4 pose = texelFetch(u_pose_tex, ivec2(int(body + 0.5), u_pose_row), 0);
        float c = cos(pose.w), s = sin(pose.w);
        p = vec3(c * p.x + s * p.z, p.y, -s * p.x + c * p.z) + pose.xyz;
        n = vec3(c * n.x + s * n.z, n.y, -s * n.x + c * n.z);
    }
}
"""

SCENE_VS = f"""#version 330 core
{ATTRIBUTE_BINDINGS}
uniform mat4 u_mvp;
{BODY_TRANSFORM}
out vec3 v_world;
out vec3 v_normal;
out vec3 v_colour;
out vec3 v_material;
out vec2 v_uv;
void main() {{
    vec3 p, n;
    place(a_pos, a_normal, a_body, p, n);
    v_world = p;
    v_normal = n;
    v_colour = a_colour;
    v_material = a_material;
    v_uv = a_uv;
    gl_Position = u_mvp * vec4(p, 1.0);
}}
"""

LIGHTING = """
uniform vec3 u_light_pos;      // m, the key lamp
uniform vec3 u_light_colour;   // linear RGB, scaled so a white wall under it reads ~1
uniform float u_ambient;       // share of the room's diffuse light
uniform vec3 u_eye;            // m, camera centre

vec3 ambient_light(vec3 n) {
    float hemi = 0.5 + 0.5 * n.z;                 // the room: bright above, dark floor
    return u_ambient * mix(vec3(0.30), vec3(1.05), hemi);
}

float key_diffuse(vec3 p, vec3 n) {
    vec3 l = normalize(u_light_pos - p);
    return (1.0 - u_ambient) * max(dot(n, l), 0.0);
}

// Blinn-Phong with exponents 32 (plastic) to 256 (chrome) by repeated squaring (no pow:
// llvmpipe's pow is slow).
vec3 shade(vec3 p, vec3 n, vec3 albedo, vec3 mat, float lit) {
    vec3 l = normalize(u_light_pos - p);
    vec3 v = normalize(u_eye - p);
    vec3 h = normalize(l + v);
    float s = max(dot(n, h), 0.0);
    float s2 = s * s, s4 = s2 * s2, s8 = s4 * s4, s16 = s8 * s8, s32 = s16 * s16;
    float s256 = s32 * s32;
    s256 *= s256;
    s256 *= s256;
    float spec = mat.x * mix(s32 * 0.6, s256 * 4.0, mat.y);
    vec3 col = albedo * (ambient_light(n) + key_diffuse(p, n) * lit * u_light_colour);
    if (mat.y > 0.0) {      // chrome: a blurry mirror of a bright ceiling and a dark room
        vec3 r = reflect(-v, n);
        float up = smoothstep(-0.35, 0.75, r.z);
        vec3 env = mix(vec3(0.10, 0.10, 0.11), vec3(0.95, 0.95, 1.0), up);
        col = mix(col, albedo * env, mat.y);
    }
    return col + spec * lit * u_light_colour;
}
"""

# The scene's surfaces. Compile-time variants (``scene_fs``): STATIC (textures and the static
# shadow map: drawn once per camera), COVER (the lamp dimmed by ``u_lit``: the ball in the
# shadow of a man).
SCENE_FS = """
in vec3 v_world;
in vec3 v_normal;
in vec3 v_colour;
in vec3 v_material;
in vec2 v_uv;
""" + LIGHTING + """
uniform sampler2D u_field_tex;
uniform sampler2D u_floor_tex;
uniform float u_floor_scale;       // carpet tiles per metre
uniform sampler2DShadow u_shadow_map;
uniform mat4 u_light_mvp;
uniform float u_shadow_radius;     // texels
uniform float u_weight;            // 1/N for a motion-blur sample, 1 otherwise
uniform vec3 u_vignette;           // px: optical centre (x, y); strength in the corners
uniform float u_vignette_r;        // px, centre to corner
uniform vec3 u_exposure;           // camera: light to sensor value, per channel
out vec4 o_colour;

float vignette() {
    vec2 d = (gl_FragCoord.xy - 0.5 - u_vignette.xy) / u_vignette_r;
    float r2 = dot(d, d);
    return 1.0 - u_vignette.z * r2 * (0.6 + 0.4 * r2);
}

#if STATIC
float static_shadow(vec3 p) {
    vec4 q = u_light_mvp * vec4(p, 1.0);
    q.xyz = q.xyz / q.w * 0.5 + 0.5;
    if (q.x <= 0.0 || q.x >= 1.0 || q.y <= 0.0 || q.y >= 1.0) return 1.0;
    vec2 texel = 1.0 / vec2(textureSize(u_shadow_map, 0));
    float sum = 0.0;
    for (int i = -TAPS; i <= TAPS; i++) {
        for (int j = -TAPS; j <= TAPS; j++) {
            vec2 o = vec2(i, j) / float(max(TAPS, 1)) * u_shadow_radius * texel;
            sum += texture(u_shadow_map, vec3(q.xy + o, q.z - 0.0015));
        }
    }
    return sum / float((2 * TAPS + 1) * (2 * TAPS + 1));
}
#endif

uniform float u_lit;               // share of the lamp reaching the body (shadows)

void main() {
    vec3 n = normalize(v_normal);
    vec3 albedo = v_colour;
    float lit = 1.0;
#if STATIC
    if (v_material.z > 1.5) albedo *= texture(u_floor_tex, v_uv * u_floor_scale).rgb;
    else if (v_material.z > 0.5) albedo *= texture(u_field_tex, v_uv).rgb;
    lit = static_shadow(v_world);
#endif
#if COVER
    lit *= u_lit;
#endif
    vec3 c = shade(v_world, n, albedo, v_material, lit) * (vignette() * u_exposure);
    o_colour = vec4(c * u_weight, u_weight);
}
"""


# The moving bodies but the ball: lit per vertex (Gouraud). Their triangles are small and
# llvmpipe shades whole 4x4 blocks, so a per-pixel shader costs far more than it shows.
GOURAUD_VS = f"""#version 330 core
{ATTRIBUTE_BINDINGS}
uniform mat4 u_mvp;
uniform vec2 u_viewport;           // px
uniform vec3 u_vignette;
uniform float u_vignette_r;
uniform vec3 u_exposure;
{BODY_TRANSFORM}
{LIGHTING}
out vec3 v_colour;
void main() {{
    vec3 p, n;
    place(a_pos, a_normal, a_body, p, n);
    gl_Position = u_mvp * vec4(p, 1.0);
    vec2 px = (gl_Position.xy / gl_Position.w * 0.5 + 0.5) * u_viewport;
    vec2 d = (px - 0.5 - u_vignette.xy) / u_vignette_r;
    float r2 = dot(d, d);
    float vig = 1.0 - u_vignette.z * r2 * (0.6 + 0.4 * r2);
    v_colour = shade(p, normalize(n), a_colour, a_material, 1.0) * (vig * u_exposure);
}}
"""

GOURAUD_FS = """#version 330 core
in vec3 v_colour;
uniform float u_weight;
out vec4 o_colour;
void main() { o_colour = vec4(v_colour * u_weight, u_weight); }
"""


# The ball as an impostor: a camera-facing square around it (two triangles instead of a few
# hundred), ray-traced per pixel into an exact sphere with its true depth. The square's
# corners come in a_pos.xy (-1 or +1); the radius is u_ball_radius.
BALL_VS = f"""#version 330 core
{ATTRIBUTE_BINDINGS}
uniform mat4 u_mvp;
uniform vec3 u_eye;
uniform float u_ball_radius;
{BODY_TRANSFORM}
out vec3 v_world;
flat out vec3 v_centre;
flat out vec3 v_colour;
void main() {{
    vec3 c, n;
    place(vec3(0.0), vec3(0.0, 0.0, 1.0), a_body, c, n);
    vec3 w = c - u_eye;
    float d = length(w);
    w /= d;
    vec3 side = abs(w.z) < 0.99 ? vec3(0.0, 0.0, 1.0) : vec3(1.0, 0.0, 0.0);
    vec3 right = normalize(cross(w, side));
    vec3 up = cross(right, w);
    float s = 1.05 * u_ball_radius * d / sqrt(max(d * d - u_ball_radius * u_ball_radius, 1e-8));
    v_world = c + s * (a_pos.x * right + a_pos.y * up);
    v_centre = c;
    v_colour = a_colour;
    gl_Position = u_mvp * vec4(v_world, 1.0);
}}
"""

BALL_FS = """#version 330 core
in vec3 v_world;
flat in vec3 v_centre;
flat in vec3 v_colour;
""" + LIGHTING + """
uniform mat4 u_mvp;
uniform float u_ball_radius;
uniform float u_lit;
uniform float u_weight;
uniform vec3 u_vignette;
uniform float u_vignette_r;
uniform vec3 u_exposure;
out vec4 o_colour;
void main() {
    vec3 dir = normalize(v_world - u_eye);
    vec3 oc = u_eye - v_centre;
    float b = dot(oc, dir);
    float disc = b * b - (dot(oc, oc) - u_ball_radius * u_ball_radius);
    if (disc < 0.0) discard;
    vec3 p = u_eye + (-b - sqrt(disc)) * dir;
    vec4 clip = u_mvp * vec4(p, 1.0);
    gl_FragDepth = 0.5 * clip.z / clip.w + 0.5;
    vec3 n = (p - v_centre) / u_ball_radius;
    vec2 d = (gl_FragCoord.xy - 0.5 - u_vignette.xy) / u_vignette_r;
    float r2 = dot(d, d);
    float vig = 1.0 - u_vignette.z * r2 * (0.6 + 0.4 * r2);
    vec3 c = shade(p, n, v_colour, vec3(0.35, 0.0, 0.0), u_lit) * (vig * u_exposure);
    o_colour = vec4(c * u_weight, u_weight);
}
"""


def scene_fs(static: bool = False, cover: bool = False, shadow_taps: int = 3) -> str:
    """The scene's fragment shader: the fixed parts (``static``) or the bodies, shadowed by
    the coverage map or not (``cover``). The static shadows average (2 taps + 1)^2 samples
    of the shadow map (``shadow_taps`` 0: one bilinear sample, harder edges, ~5x faster on
    llvmpipe)."""
    return (f"#version 330 core\n#define STATIC {int(static)}\n#define COVER {int(cover)}\n"
            f"#define TAPS {int(shadow_taps)}\n" + SCENE_FS)


DEPTH_FS = """#version 330 core
out vec4 o_colour;
void main() { o_colour = vec4(1.0); }
"""

# Soft shadows on the playfield, drawn over the static image with multiplicative blending
# (each quad multiplies the colour under it by the share of light left). Shapes are analytic
# (``sim.shadows``): a man's quad holds his four part rectangles and his rod's; the union of
# the parts is their maximum coverage, and the rod's shadow, already in the static image, is
# divided out where the man's shadow covers it (the union, not the product). The rods'
# shadows themselves are baked with the same program (``a_rod`` all zero).
FIELD_VS = """#version 330 core
layout(location = 0) in vec2 a_xy;       // m, corner of the quad on the playfield
layout(location = 1) in vec4 a_rect0;    // m: x0, y0, x1, y1 of each part's shadow
layout(location = 2) in vec4 a_rect1;
layout(location = 3) in vec4 a_rect2;
layout(location = 4) in vec4 a_rect3;
layout(location = 5) in vec4 a_ramp01;   // m: soft edge widths (x, y) of parts 0 and 1
layout(location = 6) in vec4 a_ramp23;
layout(location = 7) in vec4 a_rod;      // m: the rod's shadow rectangle
layout(location = 8) in vec2 a_rod_ramp;
uniform mat4 u_mvp;
out vec2 v_xy;
flat out vec4 v_rect[4];
flat out vec4 v_ramp[2];
flat out vec4 v_rod;
flat out vec2 v_rod_ramp;
void main() {
    v_xy = a_xy;
    v_rect[0] = a_rect0; v_rect[1] = a_rect1; v_rect[2] = a_rect2; v_rect[3] = a_rect3;
    v_ramp[0] = a_ramp01; v_ramp[1] = a_ramp23;
    v_rod = a_rod;
    v_rod_ramp = a_rod_ramp;
    gl_Position = u_mvp * vec4(a_xy, 0.0, 1.0);
}
"""

SHADOW_FACTOR = """
uniform vec3 u_light_pos;
uniform float u_ambient;
float shadow_strength(vec2 xy) {   // share of the light at a field point that is the lamp's
    vec3 l = u_light_pos - vec3(xy, 0.0);
    float key = (1.0 - u_ambient) * l.z * inversesqrt(dot(l, l));
    return key / (key + 1.05 * u_ambient);
}
float box_cover(vec2 p, vec4 r, vec2 w) {   // a rectangle convolved with a box of width w
    vec2 h = 0.5 * w;
    vec2 c = (clamp(p - r.xy + h, vec2(0.0), w) - clamp(p - r.zw + h, vec2(0.0), w)) / w;
    return c.x * c.y;
}
"""

MEN_SHADOW_FS = """#version 330 core
in vec2 v_xy;
flat in vec4 v_rect[4];
flat in vec4 v_ramp[2];
flat in vec4 v_rod;
flat in vec2 v_rod_ramp;
""" + SHADOW_FACTOR + """
out vec4 o_factor;
void main() {
    float c = max(max(box_cover(v_xy, v_rect[0], v_ramp[0].xy),
                      box_cover(v_xy, v_rect[1], v_ramp[0].zw)),
                  max(box_cover(v_xy, v_rect[2], v_ramp[1].xy),
                      box_cover(v_xy, v_rect[3], v_ramp[1].zw)));
    float a = box_cover(v_xy, v_rod, v_rod_ramp);
    float k = shadow_strength(v_xy);
    o_factor = vec4(vec3((1.0 - k * max(c, a)) / (1.0 - k * a)), 1.0);
}
"""

# The ball's shadow (a soft disc swept along the shadow of its path) and its contact shadow
# (ambient occlusion of a sphere above a plane, averaged over four points of its path).
BALL_SHADOW_FS = """#version 330 core
in vec2 v_xy;
""" + SHADOW_FACTOR + """
uniform vec4 u_segment;       // m: start and end of the shadow disc's centre
uniform vec2 u_disc;          // m: shadow radius, edge ramp width
uniform vec4 u_balls[4];      // ball centres (m) and weights over the exposure
uniform float u_ball_radius;  // m
out vec4 o_factor;
void main() {
    vec2 a = u_segment.xy, ab = u_segment.zw - u_segment.xy;
    float len2 = max(dot(ab, ab), 1e-12);
    float t = clamp(dot(v_xy - a, ab) / len2, 0.0, 1.0);
    float d = length(v_xy - a - t * ab);
    float swept = 2.0 * u_disc.x / (2.0 * u_disc.x + sqrt(len2));  // time share under it
    float shadow = clamp((u_disc.x - d) / u_disc.y + 0.5, 0.0, 1.0) * swept;
    float ao = 0.0;
    for (int i = 0; i < 4; i++) {
        vec3 q = u_balls[i].xyz - vec3(v_xy, 0.0);
        float dist = max(length(q), u_ball_radius);
        ao += u_balls[i].w * u_ball_radius * u_ball_radius * max(q.z, 0.0) / (dist * dist * dist);
    }
    float k = shadow_strength(v_xy);
    o_factor = vec4(vec3((1.0 - k * shadow) * (1.0 - 0.5 * clamp(ao, 0.0, 1.0))), 1.0);
}
"""

RECEIVER_VS = """#version 330 core
layout(location = 0) in vec2 a_xy;
uniform mat4 u_mvp;
out vec2 v_xy;
void main() {
    v_xy = a_xy;
    gl_Position = u_mvp * vec4(a_xy, 0.0, 1.0);
}
"""

FULLSCREEN_VS = """#version 330 core
void main() {
    vec2 p = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);
    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
"""

COMPOSITE_FS = """#version 330 core
uniform sampler2D u_accum;
out vec4 o_colour;
void main() { o_colour = texelFetch(u_accum, ivec2(gl_FragCoord.xy), 0); }
"""
