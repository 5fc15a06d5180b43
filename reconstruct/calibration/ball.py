"""The ball's colour, found in the footage the camera was calibrated from.

In each sampled frame, what differs from the median image (the empty table: the median
removes the ball) is foreground: the ball, moving men, hands. Of the foreground on the
playfield, the blobs kept are those of the ball's expected size (its radius in px, from the
calibrated camera and ``table.ball.radius``), round, and not of a team's colour; each gives
the median colour of its core. The ball's colour is the median over the blobs that agree
with one another; it is named by the nearest preset (white, yellow, orange) when it is close
to one, else by a plain colour word. With no such blob (the ball hidden in every sampled
frame) the colour stays unknown and the tracker assumes a white ball.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from reconstruct.ball_colour import BALL_PRESETS_BGR, ball_colour_bgr
from reconstruct.calibration.colours import colour_name
from reconstruct.calibration.model import ColourModel, Team, bgr_to_lab
from reconstruct.lift import ball_radius_map, playfield_mask, rod_mask
from sim.camera import Camera
from sim.table import TableSpec

FOREGROUND_DIFF = 45  # sum over B, G, R of the difference from the median image
AREA_RANGE = (0.35, 2.2)  # a blob's area over the expected disc's (blur streaks are longer)
MIN_FILL = 0.45  # a blob's area over its enclosing circle's: round
TEAM_DISTANCE = 3.5  # Mahalanobis distance to a team's colour under which a pixel is a man's
MIN_BLOBS = 2  # agreeing blobs needed to trust the colour
AGREE_LAB = 25.0  # Lab distance (8-bit scale) of a blob's colour to the median to agree
PRESET_CHROMA = 25.0  # (a, b) distance under which a measured colour takes a preset's name
SIZE_RANGE = (0.8, 1.5)  # a blob's radius over the ball's that is fully ball-like
SHADOW_SPREAD = 0.25  # spread of a shadow's darkening over the channels, share of it
MAX_RECUR = 0.2  # share of the frames with a blob at one place above which it is not a ball


@dataclass(frozen=True)
class BallBlob:
    """One ball-like foreground blob: frame index, centre (u, v) px, radius px (of the
    disc of the same area), the ball's expected radius there px, and its core's median
    colour (3,) BGR 0-255."""

    frame: int
    u: float
    v: float
    radius_px: float
    expected_px: float
    bgr: np.ndarray

    @property
    def size_weight(self) -> float:
        """0..1: how well the blob's size matches the ball's: 1 from 0.8 to 1.5 times its
        radius (a blur streak makes a moving ball's blob larger), falling off beyond."""
        ratio = self.radius_px / self.expected_px
        off = np.log(max(SIZE_RANGE[0] / ratio, ratio / SIZE_RANGE[1], 1.0))
        return float(np.exp(-0.5 * (off / 0.15) ** 2))


def _team_pixels(image: np.ndarray, teams: tuple[Team, ...], where: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels in ``where`` of a team's colour (shading allowed)."""
    out = np.zeros(where.shape, bool)
    idx = np.flatnonzero(where.ravel())
    if not len(idx) or not teams:
        return out
    pix = image.reshape(-1, 3)[idx]
    man = np.zeros(len(idx), bool)
    for t in teams:
        colour = t.colour if t.name == "field" else t.colour.with_lightness_spread(20.0)
        man |= colour.distance(pix) <= TEAM_DISTANCE
    out.ravel()[idx[man]] = True
    return out


def _shadow(image: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels darker than the background by one factor in every channel (a
    shadow, such as the ball's own, keeps the background's hue)."""
    ratio = (image.astype(np.float32) + 1.0) / (background.astype(np.float32) + 1.0)
    lo, hi = ratio.min(axis=2), ratio.max(axis=2)
    return (hi < 0.95) & (lo > 0.2) & (hi - lo < SHADOW_SPREAD * hi)


def field_colour(background: np.ndarray, field: np.ndarray) -> ColourModel:
    """The playfield's colour: the pixels of ``field`` (H, W) bool in the median image
    nearest its median colour (markings and men left out)."""
    lab = bgr_to_lab(background[field])
    d = np.linalg.norm(lab - np.median(lab, axis=0), axis=1)
    return ColourModel.from_lab_samples("field", lab[d <= np.quantile(d, 0.5)])


def find_ball_blobs(frames: list[np.ndarray], camera: Camera, table: TableSpec,
                    background: np.ndarray, teams: tuple[Team, ...] = (),
                    field_model: ColourModel | None = None) -> list[BallBlob]:
    """The ball-like foreground blobs of every frame.

    Args:
        frames: K (H, W, 3) uint8 BGR frames of the calibrated camera.
        camera: the calibrated camera.
        table: the table (its ball's radius).
        background: (H, W, 3) uint8 BGR, the median of the frames.
        teams: the teams, whose men's pixels are left out.
        field_model: the playfield's colour (default: found in ``background``), whose
            pixels are left out (the field a man moved off differs from the median too).
    """
    radius = ball_radius_map(camera, table)
    # the playfield, less the rods: their stops and the men's feet slide along them, and a
    # ball under a rod is hidden anyway
    field = playfield_mask(camera, table, margin=-0.5 * table.ball.radius)
    field &= rod_mask(camera, table, grow_px=2) == 0
    if field_model is None:
        field_model = field_colour(background, field)
    field_model = field_model.with_lightness_spread(15.0)
    teams = (*teams, Team("field", 0, field_model))
    blobs = []
    for k, f in enumerate(frames):
        if f.shape != background.shape:
            raise ValueError(f"frame {k} has shape {f.shape}, the background {background.shape}")
        diff = cv2.absdiff(f, background).astype(np.int32).sum(axis=2)
        fg = (diff > FOREGROUND_DIFF) & field & ~_shadow(f, background)
        fg &= ~_team_pixels(f, teams, fg)
        fg = cv2.morphologyEx(fg.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        n, labels, stats, cents = cv2.connectedComponentsWithStats(fg, connectivity=8)
        for i in range(1, n):
            area = stats[i, cv2.CC_STAT_AREA]
            u, v = cents[i]
            r = float(radius[int(round(v)), int(round(u))])
            if not AREA_RANGE[0] <= area / (np.pi * r * r) <= AREA_RANGE[1]:
                continue
            ys, xs = np.nonzero(labels == i)
            _, enc = cv2.minEnclosingCircle(np.column_stack([xs, ys]).astype(np.float32))
            if area / (np.pi * max(enc, 0.5) ** 2) < MIN_FILL:
                continue
            blob = (labels == i).astype(np.uint8)
            core = cv2.erode(blob, np.ones((3, 3), np.uint8)) if r > 3 else blob
            if core.sum() < 3:
                core = blob
            core = core.astype(bool)
            pix = f[core][diff[core] >= np.median(diff[core])]  # the ball's own, not blur
            blobs.append(BallBlob(k, float(u), float(v), float(np.sqrt(area / np.pi)), r,
                                  np.median(pix, axis=0).astype(float)))
    return _moving(blobs, len(frames))


def _moving(blobs: list[BallBlob], n_frames: int) -> list[BallBlob]:
    """The blobs not found at the same place in many frames: a ball moves, while the parts
    of men swinging about their rod (a foot, a head) come back to the same pixels."""
    if not blobs:
        return blobs
    uv = np.array([[b.u, b.v] for b in blobs])
    rad = np.array([b.radius_px for b in blobs])
    fr = np.array([b.frame for b in blobs])
    keep = []
    for i, b in enumerate(blobs):
        near = np.linalg.norm(uv - uv[i], axis=1) <= 1.5 * max(rad[i], 2.0)
        others = len(set(fr[near & (fr != b.frame)]))
        if others < max(2, MAX_RECUR * n_frames):
            keep.append(b)
    return keep


def nearest_preset(bgr: np.ndarray) -> tuple[str, float]:
    """The preset ball colour whose chroma (Lab a, b) is nearest to ``bgr`` (3,) 0-255,
    and that distance; lightness is left out (shading changes it)."""
    lab = bgr_to_lab(np.clip(np.round(bgr), 0, 255).astype(np.uint8))
    best, dist = "", np.inf
    for name in BALL_PRESETS_BGR:
        p = bgr_to_lab(ball_colour_bgr(name).astype(np.uint8))
        d = float(np.linalg.norm(lab[1:] - p[1:]))
        if d < dist:
            best, dist = name, d
    return best, dist


def ball_model(bgr: np.ndarray, name: str | None = None) -> ColourModel:
    """A ball ColourModel from a (3,) or (N, 3) BGR colour; named by the nearest preset when
    close enough, else by a plain colour word."""
    pix = np.atleast_2d(np.clip(np.round(bgr), 0, 255)).astype(np.uint8)
    if name is None:
        mean = np.median(pix.astype(float), axis=0)
        preset, d = nearest_preset(mean)
        plain = colour_name(tuple(mean[::-1] / 255.0))
        # a dark neutral blob has a white ball's chroma, but is not one
        name = preset if d <= PRESET_CHROMA and mean.max() >= 128 else plain
    return ColourModel.from_lab_samples(name, bgr_to_lab(pix), min_std=5.0)


def preset_model(name: str) -> ColourModel:
    """The ColourModel of a preset (white, yellow, orange) or BGR triple, for an override."""
    return ball_model(ball_colour_bgr(name), name=name.strip().lower()
                      if isinstance(name, str) else None)


def find_ball_colour(frames: list[np.ndarray], camera: Camera, table: TableSpec,
                     background: np.ndarray, teams: tuple[Team, ...] = (),
                     field_model: ColourModel | None = None
                     ) -> tuple[ColourModel | None, str]:
    """The ball's colour from the footage (``find_ball_blobs``' arguments), and a note
    saying how it was found.

    Returns:
        (the ball's ColourModel or None when no ball was seen, a one-line note).
    """
    blobs = find_ball_blobs(frames, camera, table, background, teams, field_model)
    if not blobs:
        return None, "ball colour: no ball seen in the sampled frames (assumed white)"
    bgr = np.array([b.bgr for b in blobs])
    lab = bgr_to_lab(np.clip(np.round(bgr), 0, 255).astype(np.uint8))
    # the largest group of blobs of one colour: each blob's neighbours within AGREE_LAB
    d = np.linalg.norm(lab[:, None, :] - lab[None, :, :], axis=2)
    near = d <= AGREE_LAB
    # each candidate colour's support: over the frames, the best size match among the blobs
    # of that colour (a man leaves several blobs in one frame, the ball one)
    weight = np.array([b.size_weight for b in blobs])
    frame_of = np.array([b.frame for b in blobs])
    support = np.zeros(len(blobs))
    for k in np.unique(frame_of):
        support += (near * np.where(frame_of == k, weight, 0.0)[None, :]).max(axis=1)
    centre = int(np.argmax(support))
    group = near[centre]
    frames_seen = len({b.frame for b, g in zip(blobs, group) if g})
    if frames_seen < min(MIN_BLOBS, len(frames)):
        return None, (f"ball colour: no consistent ball seen ({len(blobs)} blobs, "
                      f"{frames_seen} agreeing; assumed white)")
    model = ball_model(bgr[group])
    rgb = ", ".join(f"{v:.2f}" for v in model.rgb)
    if model.name not in BALL_PRESETS_BGR:
        # balls come white, yellow or orange: a blob colour far from all three is something
        # else that moves like a ball (a hand, a sleeve), not a reason to track that colour
        return None, (f"ball colour: the ball-like blobs are {model.name} (RGB {rgb}), no "
                      "ball colour (assumed white)")
    return model, (f"ball colour: {model.name} (RGB {rgb}) from {int(group.sum())} blobs in "
                   f"{frames_seen} of {len(frames)} frames")


KNOWN_COLOUR_SIGMA = 45.0  # grey levels: the ball score's colour spread for a coloured ball
# (orange, yellow), whose colour is close to a hand's skin (60-70 grey levels from orange);
# a white ball keeps the default 90, as its shading spreads its colour more (bench clean:
# F1@10mm 0.86 at 90, 0.83 at 45; colours: 0.63 at 90, 0.76 at 45, 0.69 at 60)


def detector_colour(calibration) -> tuple[np.ndarray | None, object | None]:
    """The ``BallDetector`` arguments a calibration gives: the ball's colour (3,) BGR 0-255
    and a ``ScoreModel`` (strict about the colour of a coloured ball), or (None, None) when
    the colour is unknown (white assumed, default scoring)."""
    from reconstruct.ball_score import ScoreModel

    if calibration.ball is None:
        return None, None
    if calibration.ball.name == "white":
        # a white ball's measured colour takes the light's tint and whatever else agreed
        # with it (seen: a hand's skin named white); the preset white is the safer model
        return ball_colour_bgr("white"), None
    bgr = np.array(calibration.ball.rgb[::-1]) * 255.0
    chroma = float(np.hypot(calibration.ball.lab_mean[1] - 128, calibration.ball.lab_mean[2] - 128))
    if chroma <= PRESET_CHROMA:  # white (or grey): no skin-like colour to tell from
        return bgr, None
    return bgr, ScoreModel(colour_sigma=KNOWN_COLOUR_SIGMA)
