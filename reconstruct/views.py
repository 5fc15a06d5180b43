"""Which images of a set show its dominant view: the frames of one fixed camera among the
strays of a broadcast's other cameras (close-ups, replays, a moved camera).

The per-pixel median of the images is the dominant view (people and the ball move; the table
and the floor stay) as long as more than half of them show it. An image shows that view when
at least ``VIEW_MIN`` of its pixels (within an optional region, e.g. the playfield) lie within
``VIEW_TOL`` Lab units of the median's (``main_view``). A close-up or another camera's angle
matches it only where two flat areas happen to share a colour; over a whole frame a plain
floor can share it over half the image, so for whole frames (``main_view_mask``) the small
grey thumbnail must also correlate with the median's by at least ``VIEW_NCC_MIN``: on
leonhart-02 the other cameras' stills reach 0.50, the main view's 0.76 and more.
"""

from __future__ import annotations

import cv2
import numpy as np

VIEW_TOL = 20.0  # Lab units: a pixel this close to the median shows the same view
VIEW_MIN = 0.4  # fraction of the pixels (of the region) that must show the median's view
STEP = 5  # every STEP-th pixel of the region is compared (speed)
VIEW_NCC_MIN = 0.65  # least correlation of a frame's grey 64 x 36 thumbnail with the median's
THUMB_WIDTH = 320  # px: frames are compared at this width (the view, not its detail)


def median_image(images: list[np.ndarray], rows: int = 48) -> np.ndarray:
    """Per-pixel median of equally sized uint8 images, in bands of rows (little memory)."""
    k = (len(images) - 1) // 2
    out = np.empty(images[0].shape, np.uint8)
    for r in range(0, out.shape[0], rows):
        band = np.stack([im[r:r + rows] for im in images])
        out[r:r + rows] = np.partition(band, k, axis=0)[k]
    return out


def to_lab(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 Lab (OpenCV's 0..255 scale) of a (H, W, 3) uint8 BGR image."""
    return cv2.cvtColor(image, cv2.COLOR_BGR2Lab).astype(np.float32)


def view_matches(images: list[np.ndarray], reference: np.ndarray,
                 roi: np.ndarray | None = None) -> np.ndarray:
    """(N,) float 0..1: the fraction of each image's pixels (within ``roi``, (H, W) bool) that
    lie within ``VIEW_TOL`` of the (H, W, 3) uint8 BGR ``reference``."""
    mask = np.ones(reference.shape[:2], bool) if roi is None else np.asarray(roi, bool)
    ref = to_lab(reference)[mask][::STEP]
    return np.array([float(np.mean(np.linalg.norm(to_lab(im)[mask][::STEP] - ref, axis=1)
                                   < VIEW_TOL)) for im in images])


def main_view(images: list[np.ndarray], roi: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """The images that show the dominant view.

    Args:
        images: N (H, W, 3) uint8 BGR images of one size.
        roi: optional (H, W) bool, where the views are compared (e.g. the playfield).

    Returns:
        ``(keep, median)``: (N,) bool, the images showing the dominant view, and the (H, W, 3)
        uint8 median of all N images it was judged against.
    """
    med = median_image(images)
    return view_matches(images, med, roi) >= VIEW_MIN, med


def thumbnail(image: np.ndarray, width: int = THUMB_WIDTH) -> np.ndarray:
    """The image shrunk to ``width`` px (area averaging), or as it is when no wider."""
    h, w = image.shape[:2]
    if w <= width:
        return image
    return cv2.resize(image, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)


def thumbnail_correlations(images: list[np.ndarray], size: tuple[int, int] = (64, 36)
                           ) -> np.ndarray:
    """(N,) float -1..1: the normalised correlation of each image's grey thumbnail (``size``
    px) with the per-pixel median of all the thumbnails."""
    grey = np.stack([cv2.resize(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), size,
                                interpolation=cv2.INTER_AREA) for im in images]).astype(np.float32)
    grey -= grey.mean(axis=(1, 2), keepdims=True)
    med = np.median(grey, axis=0)
    med -= med.mean()
    num = (grey * med).sum(axis=(1, 2))
    den = np.sqrt((grey ** 2).sum(axis=(1, 2)) * (med ** 2).sum()) + 1e-9
    return num / den


def main_view_mask(frames: list[np.ndarray]) -> np.ndarray:
    """(N,) bool: the whole frames (of one size) that show the dominant view: their colours
    match the median's (``main_view`` on thumbnails) and their thumbnails correlate with it."""
    thumbs = [thumbnail(f) for f in frames]
    return main_view(thumbs)[0] & (thumbnail_correlations(thumbs) >= VIEW_NCC_MIN)


def main_view_frames(frames: list[np.ndarray]) -> list[np.ndarray]:
    """The frames of the dominant view, in their order: those of the most common size that
    show the view of their median. Fewer than 3 frames (or too few matches to tell a view:
    fewer than half) come back as they are, minus odd sizes."""
    if not frames:
        return []
    sizes = [f.shape for f in frames]
    common = max(set(sizes), key=sizes.count)
    frames = [f for f in frames if f.shape == common]
    if len(frames) < 3:
        return frames
    keep = main_view_mask(frames)
    if keep.sum() < max(2, len(frames) // 2):
        return frames
    return [f for f, k in zip(frames, keep) if k]
