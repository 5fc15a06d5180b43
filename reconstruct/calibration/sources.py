"""Frames to calibrate from: a video file, a folder of images or a single image."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def natural_key(path: Path) -> list:
    """Sort key putting 2.jpg before 10.jpg."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def sample_frames(source: str | Path, max_frames: int = 30) -> list[np.ndarray]:
    """Up to ``max_frames`` BGR frames spread evenly through a video, a folder of images
    (natural order) or one image.

    Raises:
        ValueError: the source does not exist or holds no readable image.
    """
    path = Path(source)
    if not path.exists():
        raise ValueError(f"input {path} does not exist")
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
                       key=natural_key)
        if not files:
            raise ValueError(f"folder {path} holds no images ({', '.join(IMAGE_SUFFIXES)})")
        pick = np.unique(np.linspace(0, len(files) - 1, min(max_frames, len(files)))
                         .round().astype(int))
        frames = [cv2.imread(str(files[i]), cv2.IMREAD_COLOR) for i in pick]
        frames = [f for f in frames if f is not None]
        if not frames:
            raise ValueError(f"no image in {path} could be read")
        size = frames[0].shape
        return [f for f in frames if f.shape == size]
    if path.suffix.lower() in IMAGE_SUFFIXES:
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f"image {path} could not be read")
        return [img]
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise ValueError(f"{path} is neither an image nor a video OpenCV can read")
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        frames = []
        if n > 0:
            for i in np.unique(np.linspace(0, n - 1, min(max_frames, n)).round().astype(int)):
                cap.set(cv2.CAP_PROP_POS_FRAMES, int(i))
                ok, frame = cap.read()
                if ok:
                    frames.append(frame)
        if not frames:  # no frame count (some streams): read from the start
            while len(frames) < max_frames:
                ok, frame = cap.read()
                if not ok:
                    break
                frames.append(frame)
    finally:
        cap.release()
    if not frames:
        raise ValueError(f"no frame of video {path} could be read")
    return frames
