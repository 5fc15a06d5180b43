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
# shadow map: drawn once per camera), COVER (shadowed by the men's coverage map: the ball).
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
uniform sampler2D u_cover;
uniform vec4 u_cover_rect;         // x0, y0 (m) and 1/width, 1/height (1/m)
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
    for (int i = -3; i <= 3; i++) {
        for (int j = -3; j <= 3; j++) {
            vec2 o = vec2(i, j) / 3.0 * u_shadow_radius * texel;
            sum += texture(u_shadow_map, vec3(q.xy + o, q.z - 0.0015));
        }
    }
    return sum / 49.0;
}
#endif

#if COVER
float cover_shadow(vec3 p) {
    float lz = u_light_pos.z;
    vec3 q = u_light_pos + (p - u_light_pos) * (lz / max(lz - p.z, 1e-3));
    vec2 uv = (q.xy - u_cover_rect.xy) * u_cover_rect.zw;
    return 1.0 - texture(u_cover, uv).r;
}
#endif

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
    lit *= cover_shadow(v_world);
#endif
    vec3 c = shade(v_world, n, albedo, v_material, lit) * (vignette() * u_exposure);
    o_colour = vec4(c * u_weight, u_weight);
}
"""


def scene_fs(static: bool = False, cover: bool = False) -> str:
    """The scene's fragment shader: the fixed parts (``static``) or the bodies, shadowed by
    the coverage map or not (``cover``)."""
    return (f"#version 330 core\n#define STATIC {int(static)}\n#define COVER {int(cover)}\n"
            + SCENE_FS)


DEPTH_FS = """#version 330 core
out vec4 o_colour;
void main() { o_colour = vec4(1.0); }
"""

# Coverage map of the moving bodies' shadows on the playfield plane (table x, y), drawn with
# MAX blending (the union of shadows): r = men and rods, g = ball, b = the ball's contact
# shadow (ambient occlusion). Shapes are analytic (``sim.shadows``).
COVER_VS = """#version 330 core
layout(location = 0) in vec2 a_xy;      // m, a corner of the quad on the plane
layout(location = 1) in vec4 a_rect;    // m: x0, y0, x1, y1
layout(location = 2) in vec2 a_ramp;    // m: soft edge widths along x and y
uniform vec4 u_cover_rect;              // x0, y0 (m) and 1/width, 1/height (1/m)
out vec2 v_xy;
flat out vec4 v_rect;
flat out vec2 v_ramp;
void main() {
    v_xy = a_xy;
    v_rect = a_rect;
    v_ramp = a_ramp;
    gl_Position = vec4((a_xy - u_cover_rect.xy) * u_cover_rect.zw * 2.0 - 1.0, 0.0, 1.0);
}
"""

COVER_RECT_FS = """#version 330 core
in vec2 v_xy;
flat in vec4 v_rect;
flat in vec2 v_ramp;
uniform float u_alpha;                  // 1: also into alpha (the rods, baked)
out vec4 o_cover;
void main() {
    vec2 h = 0.5 * v_ramp;
    vec2 c = (clamp(v_xy - v_rect.xy + h, vec2(0.0), v_ramp)
              - clamp(v_xy - v_rect.zw + h, vec2(0.0), v_ramp)) / v_ramp;
    float cover = c.x * c.y;
    o_cover = vec4(cover, 0.0, 0.0, cover * u_alpha);
}
"""

COVER_BALL_FS = """#version 330 core
in vec2 v_xy;
flat in vec4 v_rect;
flat in vec2 v_ramp;
uniform vec4 u_segment;       // m: start and end of the shadow disc's centre
uniform vec2 u_disc;          // m: shadow radius, edge ramp width
uniform vec4 u_balls[4];      // ball centres (m) and weights over the exposure
uniform float u_ball_radius;  // m
out vec4 o_cover;
void main() {
    vec2 a = u_segment.xy, b = u_segment.zw, ab = b - a;
    float len2 = max(dot(ab, ab), 1e-12);
    float t = clamp(dot(v_xy - a, ab) / len2, 0.0, 1.0);
    float d = length(v_xy - a - t * ab);
    float swept = 2.0 * u_disc.x / (2.0 * u_disc.x + sqrt(len2));  // time share under the disc
    float shadow = clamp((u_disc.x - d) / u_disc.y + 0.5, 0.0, 1.0) * swept;
    float ao = 0.0;
    for (int i = 0; i < 4; i++) {
        vec3 q = u_balls[i].xyz - vec3(v_xy, 0.0);
        float dist = max(length(q), u_ball_radius);
        ao += u_balls[i].w * u_ball_radius * u_ball_radius * max(q.z, 0.0) / (dist * dist * dist);
    }
    o_cover = vec4(0.0, shadow, clamp(ao, 0.0, 1.0), 0.0);
}
"""

# Darkens the playfield (already drawn) under the moving bodies: quads of the field plane,
# multiplying the framebuffer by the share of light left. The coverage map's alpha holds the
# rods' shadows, already in the static image: ``u_base`` 1 divides them out (they are part
# of the union), 0 when baking them.
RECEIVER_VS = """#version 330 core
layout(location = 0) in vec2 a_xy;
uniform mat4 u_mvp;
out vec2 v_xy;
void main() {
    v_xy = a_xy;
    gl_Position = u_mvp * vec4(a_xy, 0.0, 1.0);
}
"""

RECEIVER_FS = """#version 330 core
in vec2 v_xy;
uniform vec3 u_light_pos;
uniform float u_ambient;
uniform sampler2D u_cover;
uniform vec4 u_cover_rect;
uniform float u_base;
out vec4 o_factor;
void main() {
    vec4 c = texture(u_cover, (v_xy - u_cover_rect.xy) * u_cover_rect.zw);
    vec3 l = u_light_pos - vec3(v_xy, 0.0);
    float key = (1.0 - u_ambient) * l.z * inversesqrt(dot(l, l));
    float k = key / (key + 1.05 * u_ambient);     // share of the light a shadow removes
    float lit = 1.0 - k * max(c.r, c.g) - (0.6 - 0.3 * k) * c.b;
    o_factor = vec4(vec3(lit / (1.0 - u_base * k * c.a)), 1.0);
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
