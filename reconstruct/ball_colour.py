"""The ball's colour against the background: alpha mattes and background models.

A pixel crossed by the ball during part ``f`` of the exposure shows
``I = (1 - f) * B + f * C`` (B the background, C the ball's colour, both BGR). Projecting on
``C - B`` gives the matte ``alpha = (I - B) . (C - B) / |C - B|^2``, which is ``f`` for the
ball, 0 for the background whatever its markings, and something off the ``B -> C`` line for
anything else (a man, a hand, a shadow): the colour residual ``|I - B - alpha (C - B)|`` flags
those. Where the ball and the background look alike (a white ball on a white line) the matte
carries no information and its weight goes to 0.

Backgrounds: a still has none, so ``estimate_background`` takes a median over a window a few
ball diameters wide (which removes the ball, and thin lines too); for video,
``BackgroundModel`` is a running per-pixel median of the table (the tracker uses
``reconstruct.background.SnapshotBackground``).
"""

from __future__ import annotations

import cv2
import numpy as np

# Typical BGR of common balls under white light (a learned colour replaces these).
BALL_PRESETS_BGR = {
    "white": (232, 238, 238),
    "yellow": (40, 210, 240),
    "orange": (30, 120, 240),
}
MIN_CONTRAST = 30.0  # grey levels: ball-background colour difference giving a full weight
ALPHA_RANGE = (-0.35, 1.45)  # matte values outside are not the ball over the background
RESIDUAL_SCALE = 50.0  # grey levels: colour residual giving weight exp(-1)
TILE_PX = 32  # px: side of the tiles a video background's coefficients are made in
_ONES = np.ones((1, 3), np.float32)  # cv2.transform with it sums the three channels


def ball_colour_bgr(colour) -> np.ndarray:
    """A ball colour as (3,) float32 BGR, from a preset name or any 3 numbers 0-255."""
    if isinstance(colour, str):
        key = colour.strip().lower()
        if key not in BALL_PRESETS_BGR:
            raise ValueError(f"unknown ball colour {colour!r}: use one of "
                             f"{', '.join(BALL_PRESETS_BGR)} or a BGR triple")
        return np.array(BALL_PRESETS_BGR[key], np.float32)
    c = np.asarray(colour, np.float32).ravel()
    if c.shape != (3,) or not np.all(np.isfinite(c)) or c.min() < 0 or c.max() > 255:
        raise ValueError(f"ball colour must be a preset name or 3 BGR values 0-255, got {colour!r}")
    return c


class AlphaMatte:
    """The ball's matte against one background image.

    ``alpha = (I - B) . W`` with ``W = (C - B) / |C - B|^2``; ``precompute`` keeps ``B``
    and ``W`` (and the weight's factors) for the whole image (a fixed video background);
    ``tiles`` makes them on demand, ``TILE_PX`` square tiles at a time, and keeps them (a
    video background searched near the ball: only the tiles the ball visits are made);
    otherwise they are made for each box asked for (a still, or a colour tried once).
    """

    def __init__(self, background: np.ndarray, colour: np.ndarray, precompute: bool = True,
                 valid: np.ndarray | None = None, tiles: bool = False):
        """Args:
            background: (H, W, 3) uint8 or float32 BGR.
            colour: (3,) BGR of the ball.
            precompute: compute the coefficients for the whole image now.
            valid: optional (H, W) float32 0..1, how far each pixel can show the ball at
                all (0 on the rods, which hide a ball under them).
            tiles: without ``precompute``, keep the coefficients of the tiles made.
        """
        if background.ndim != 3 or background.shape[2] != 3:
            raise ValueError(f"background must be an (H, W, 3) BGR image, got {background.shape}")
        if valid is not None and valid.shape != background.shape[:2]:
            raise ValueError(f"valid map {valid.shape} does not match the background "
                             f"{background.shape[:2]}")
        self.background = background
        self.colour = np.asarray(colour, np.float32)
        self.shape = background.shape[:2]
        self.valid = valid
        self._full = self._coeffs_of(background, valid) if precompute else None
        self._tiles: list | None = None  # the coefficients' arrays, filled tile by tile
        self._made: np.ndarray | None = None  # (ceil(H / TILE_PX), ceil(W / TILE_PX)) bool
        if tiles and not precompute:
            h, w = self.shape
            self._made = np.zeros((-(-h // TILE_PX), -(-w // TILE_PX)), bool)

    def _coeffs_of(self, bg: np.ndarray, valid: np.ndarray | None = None, out=None):
        """``(B, W, contrast weight, residual factor)`` of the background part ``bg``
        (h, w, 3), float32 each; into the arrays ``out`` if given."""
        h, w = bg.shape[:2]
        if out is None:
            out = (np.empty((h, w, 3), np.float32), np.empty((h, w, 3), np.float32),
                   np.empty((h, w), np.float32), np.empty((h, w), np.float32))
        b, wc, cw, rf = out
        if b is None:  # B is the background itself (its bytes: a tile of a uint8 image)
            b = bg
        else:
            np.copyto(b, bg, casting="unsafe")
        # C - B: OpenCV's scalar minus image (numpy broadcasts the 3 channels slowly)
        d = (cv2.subtract((*self.colour.tolist(), 0.0), b, dtype=cv2.CV_32F) if b.size
             else self.colour - b.astype(np.float32))
        n2 = cv2.transform(d * d, _ONES)
        m = n2 + np.float32(1.0)  # unbiased wherever there is contrast; weighted by it below
        np.divide(d, cv2.merge([m, m, m]) if m.size else m[..., None], out=wc)
        # weight for the contrast, and the factor giving the colour residual:
        # |res|^2 = |I - B|^2 - alpha^2 (2 m - |C - B|^2)
        np.multiply(n2, np.float32(1.0 / MIN_CONTRAST**2), out=cw)
        np.minimum(cw, np.float32(1.0), out=cw)
        if valid is not None:
            cw *= valid
        np.multiply(m, np.float32(2.0), out=rf)
        rf -= n2
        return out

    def coeffs(self, box: tuple[int, int, int, int]):
        """``(B, W, contrast weight, residual factor)`` in ``box`` = (y0, y1, x0, x1) (B:
        float32, or the uint8 background itself when kept in tiles)."""
        y0, y1, x0, x1 = box
        if self._full is not None:
            return tuple(c[y0:y1, x0:x1] for c in self._full)
        if self._made is not None and y1 > y0 and x1 > x0:
            ty0, ty1 = y0 // TILE_PX, (y1 - 1) // TILE_PX + 1
            tx0, tx1 = x0 // TILE_PX, (x1 - 1) // TILE_PX + 1
            made = self._made[ty0:ty1, tx0:tx1]
            if not made.all():  # the box around the tiles missing, at once (a tile made
                # again comes out the same), right into the kept arrays
                miss = ~made
                rows, cols = np.flatnonzero(miss.any(axis=1)), np.flatnonzero(miss.any(axis=0))
                ty0, ty1 = ty0 + rows[0], ty0 + rows[-1] + 1
                tx0, tx1 = tx0 + cols[0], tx0 + cols[-1] + 1
                made = self._made[ty0:ty1, tx0:tx1]
                ys, ye = ty0 * TILE_PX, min(ty1 * TILE_PX, self.shape[0])
                xs, xe = tx0 * TILE_PX, min(tx1 * TILE_PX, self.shape[1])
                if self._tiles is None:
                    h, w = self.shape
                    # (B: a uint8 background as it is, its bytes are what the matte needs)
                    self._tiles = (self.background if self.background.dtype == np.uint8
                                   else np.empty((h, w, 3), np.float32),
                                   np.empty((h, w, 3), np.float32),
                                   np.empty((h, w), np.float32), np.empty((h, w), np.float32))
                out = tuple(c[ys:ye, xs:xe] for c in self._tiles)
                self._coeffs_of(self.background[ys:ye, xs:xe],
                                None if self.valid is None else self.valid[ys:ye, xs:xe],
                                (None if self._tiles[0] is self.background else out[0], *out[1:]))
                made[:] = True
            return tuple(c[y0:y1, x0:x1] for c in self._tiles)
        return self._coeffs_of(self.background[y0:y1, x0:x1],
                               None if self.valid is None else self.valid[y0:y1, x0:x1])

    def with_colour(self, colour: np.ndarray) -> AlphaMatte:
        """The same background, another ball colour (coefficients made per box)."""
        return AlphaMatte(self.background, colour, precompute=False, valid=self.valid)

    def alpha(self, image: np.ndarray, box: tuple[int, int, int, int] | None = None
              ) -> np.ndarray:
        """The matte of ``image`` (H, W, 3) uint8 in ``box`` = (y0, y1, x0, x1) (default
        all): (h, w) float32."""
        box = box if box is not None else (0, self.shape[0], 0, self.shape[1])
        y0, y1, x0, x1 = box
        bg, w, _, _ = self.coeffs(box)
        return cv2.transform(np.subtract(image[y0:y1, x0:x1], bg, dtype=np.float32) * w, _ONES)

    def alpha_weight(self, image: np.ndarray, box: tuple[int, int, int, int],
                     image_box: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """The matte and its weight (0..1) in ``box``: (h, w) float32 each.

        The weight falls where the ball and background look alike, where the matte is outside
        what a ball over the background gives, and where the colour is off the
        background-to-ball line (a man, a hand).

        Args:
            image: (H, W, 3) uint8, the whole image; or, with ``image_box`` False, only its
                part in ``box``.
            box: (y0, y1, x0, x1) px.
        """
        y0, y1, x0, x1 = box
        bg, w, cw, rf = self.coeffs(box)
        part = image[y0:y1, x0:x1] if image_box else image
        if part.dtype == np.uint8 and self.background.dtype == np.uint8 and part.size:
            # (the same integers, subtracted by OpenCV from the background's own bytes)
            diff = cv2.subtract(part, self.background[y0:y1, x0:x1], dtype=cv2.CV_32F)
        else:
            diff = np.subtract(part, bg, dtype=np.float32)
        a = cv2.transform(diff * w, _ONES)
        np.multiply(diff, diff, out=diff)
        r2 = cv2.transform(diff, _ONES)
        aa = a * a
        aa *= rf
        r2 -= aa
        r2 *= np.float32(-1.0 / RESIDUAL_SCALE**2)
        weight = np.exp(r2, out=r2)
        weight *= cw
        inside = a >= ALPHA_RANGE[0]  # (a product: quicker than a masked copy)
        inside &= a <= ALPHA_RANGE[1]
        weight *= inside
        return a, weight


def estimate_background(image: np.ndarray, radius_px: float) -> np.ndarray:
    """The table without the ball, from a single image: a median over ~5 ball radii.

    Args:
        image: (H, W, 3) uint8 BGR.
        radius_px: the ball's radius in this image, px.

    Returns:
        (H, W, 3) uint8 BGR.
    """
    h, w = image.shape[:2]
    k = max(1.0, radius_px / 3.0)
    small = cv2.resize(image, (max(1, round(w / k)), max(1, round(h / k))),
                       interpolation=cv2.INTER_AREA)
    ksize = max(3, int(round(5.0 * radius_px / k)) | 1)
    med = cv2.medianBlur(small, ksize)
    if med.shape[:2] == (h, w):
        return med
    return cv2.resize(med, (w, h), interpolation=cv2.INTER_LINEAR)


class BackgroundModel:
    """The empty table from video: a per-pixel running median (one grey level per update).

    Moving things (the ball, men swinging) leave it; what stays still long enough enters it.
    """

    def __init__(self, first_frame: np.ndarray, step: int = 2):
        """Args:
            first_frame: (H, W, 3) uint8 BGR.
            step: grey levels the estimate moves towards each new frame.
        """
        self.image = first_frame.copy()
        self.step = int(step)
        self.updates = 0

    def update(self, frame: np.ndarray, exclude: np.ndarray | None = None) -> None:
        """Move the estimate towards ``frame`` (H, W, 3) uint8, except where ``exclude``
        (H, W) bool is set (e.g. around the detected ball)."""
        if frame.shape != self.image.shape:
            raise ValueError(f"frame shape {frame.shape} != background {self.image.shape}")
        up = cv2.compare(frame, self.image, cv2.CMP_GT)
        down = cv2.compare(frame, self.image, cv2.CMP_LT)
        if exclude is not None:
            keep = (~exclude).astype(np.uint8) * 255
            up = cv2.bitwise_and(up, up, mask=keep)
            down = cv2.bitwise_and(down, down, mask=keep)
        s = np.uint8(self.step)
        self.image = cv2.subtract(cv2.add(self.image, up & s), down & s)
        self.updates += 1
