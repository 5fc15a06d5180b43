"""The playfield in one image, found by colour, and the ball's expected size over it.

Used where no calibration is at hand (single stills, the evaluation on labelled stills): the
playfield is the green region of the table. Rods and men cut it into bands and glare lightens
parts of it, so it is found as a group of green components close to the largest one, and its
convex hull is the region where a ball centre may lie. Other tables further away (a side view
of a hall) are separate components, too far from it to join.

Pixel coordinates follow OpenCV: u right, v down.
"""

from __future__ import annotations

import cv2
import numpy as np

from sim.table import TableSpec

GREEN_MIN = 6.0  # Lab a* below -this counts as green (the field; a grey floor has a* ~ 0)
WORK_PX = 320  # the colour segmentation runs on an image this wide (or narrower)


def playfield_hull(image: np.ndarray) -> np.ndarray:
    """The playfield's convex hull.

    Args:
        image: (H, W, 3) uint8 BGR.

    Returns:
        (K, 1, 2) int32 polygon, px (as ``cv2.convexHull`` gives it).

    Raises:
        ValueError: when no green region is in view.
    """
    h, w = image.shape[:2]
    k = max(1, int(round(w / WORK_PX)))
    small = cv2.resize(image, (w // k, h // k), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (3, 3), 0), cv2.COLOR_BGR2Lab).astype(np.float32)
    a, b, ell = lab[..., 1] - 128.0, lab[..., 2] - 128.0, lab[..., 0]
    green = ((a < -GREEN_MIN) & (np.abs(b) < 10.0 - 1.5 * a) & (ell > 40)).astype(np.uint8)
    size = max(3, int(round(0.02 * h / k)) | 1)
    green = cv2.morphologyEx(green, cv2.MORPH_OPEN,
                             cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(green)
    if n < 2:
        raise ValueError("no playfield (green region) found in the image: is a table in view?")
    area = stats[:, cv2.CC_STAT_AREA].astype(float)
    area[0] = 0.0
    if area.max() < 0.005 * green.size:
        raise ValueError("the green region is too small to be a playfield: is a table in view?")
    big_enough = area > 0.02 * area.max()
    group = labels == int(np.argmax(area))
    # bands between rods are separate components: add those close to the group, repeatedly
    gap = max(3, int(round(0.06 * h / k)) | 1)
    near = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (gap, gap))
    while True:
        touching = np.unique(labels[cv2.dilate(group.astype(np.uint8), near) > 0])
        new = np.isin(labels, touching[big_enough[touching]])
        if new.sum() == group.sum():
            break
        group = new
    pts = np.argwhere(group)[:, ::-1] * k + k // 2
    return cv2.convexHull(pts.astype(np.int32))


def playfield_mask(image: np.ndarray) -> np.ndarray:
    """(H, W) bool: inside the playfield's convex hull (see ``playfield_hull``)."""
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, playfield_hull(image), 1)
    return mask.astype(bool)


def ball_radius_map(image: np.ndarray, mask: np.ndarray, table: TableSpec) -> np.ndarray:
    """(H, W) float32 px: the ball's expected radius at each pixel, from the playfield mask.

    A tilted camera foreshortens the table along the tilt, not across it, and a ball (a
    sphere) is not foreshortened: its radius follows the scale across the tilt. The rods give
    that direction: the playfield's extent along them, row by row (or column by column), is
    the table's width at that distance; a straight-line fit over the rows smooths it.
    """
    k = 4
    grey = cv2.cvtColor(cv2.resize(image, None, fx=1 / k, fy=1 / k,
                                   interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    small_mask = cv2.resize(mask.astype(np.uint8), (grey.shape[1], grey.shape[0]),
                            interpolation=cv2.INTER_NEAREST).astype(bool)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0)[small_mask]
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1)[small_mask]
    rods_horizontal = float(gy @ gy) > float(gx @ gx)
    m = mask if rods_horizontal else mask.T
    extent = m.sum(axis=1).astype(float)  # px of playfield along the rods, per row
    rows = np.nonzero(extent > 0.5 * extent.max())[0]
    if len(rows) < 2:
        raise ValueError("the playfield is too small to measure the ball's size")
    slope, icpt = np.polyfit(rows, extent[rows], 1)
    per_row = np.clip(slope * np.arange(m.shape[0]) + icpt, 0.3 * extent.max(), None)
    radius = (table.ball.radius / table.width * per_row).astype(np.float32)
    full = np.repeat(radius[:, None], m.shape[1], axis=1)
    return full if rods_horizontal else np.ascontiguousarray(full.T)
