"""Where frames come from: a video file, a live camera, or a folder of still images.

Every source yields ``Frame``s in order. A source says whether its frames are a sequence
(``temporal``: video, camera) or independent stills (a folder of images: no reasoning
across them). Unreadable input raises ``SourceError`` with a message that says what to do;
a video that breaks mid-way ends the stream with a warning, keeping what came before.
"""

from __future__ import annotations

import queue
import re
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


class SourceError(ValueError):
    """Input that cannot be read."""


@dataclass(frozen=True)
class Frame:
    """One frame: its index, time (s, from the source's clock or frame rate), the BGR
    image (H, W, 3) uint8, the seconds spent decoding it and, for stills, the file name."""

    index: int
    t: float
    image: np.ndarray
    decode_s: float = 0.0
    name: str = ""


def natural_key(name: str) -> list:
    """Sort key putting '2.jpg' before '10.jpg'."""
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name)]


class VideoSource:
    """Frames of a video file (anything OpenCV reads)."""

    temporal = True

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"no such video file: {self.path}")
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise SourceError(f"cannot read {self.path} as a video: is it a video file "
                              "(mp4, avi, mkv, ...) and is it complete?")
        ok, first = self._cap.read()
        if not ok or first is None:
            raise SourceError(f"{self.path} holds no readable frame: the file is empty or "
                              "corrupt")
        self._first = first
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and fps > 0 else 30.0
        n = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.frame_count = n if n > 0 else None
        self.size = (first.shape[1], first.shape[0])

    def __iter__(self) -> Iterator[Frame]:
        yield Frame(0, 0.0, self._first)
        i = 1
        while True:
            t0 = time.perf_counter()
            ok, image = self._cap.read()
            dt = time.perf_counter() - t0
            if not ok or image is None:
                if self.frame_count is not None and i < self.frame_count:
                    warnings.warn(f"{self.path}: frame {i} of {self.frame_count} is unreadable; "
                                  "stopping there (everything before it is kept)",
                                  stacklevel=2)
                break
            if image.shape[1::-1] != self.size:
                warnings.warn(f"{self.path}: frame {i} changes size; stopping there",
                              stacklevel=2)
                break
            yield Frame(i, i / self.fps, image, dt)
            i += 1
        self._cap.release()

    def sample(self, n: int, stride_s: float = 0.5) -> list[np.ndarray]:
        """Up to ``n`` frames spread through the video (for calibration), read with a
        separate reader so iteration is not disturbed."""
        cap = cv2.VideoCapture(str(self.path))
        frames = []
        step = max(1, int(round(stride_s * self.fps)))
        for k in range(n):
            cap.set(cv2.CAP_PROP_POS_FRAMES, k * step)
            ok, img = cap.read()
            if not ok:
                break
            frames.append(img)
        cap.release()
        return frames or [self._first]


class ImageFolderSource:
    """Still images of a folder, each on its own, in natural order of their names."""

    temporal = False

    def __init__(self, path: str | Path, fps: float = 1.0):
        self.path = Path(path)
        files = sorted((p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
                       key=lambda p: natural_key(p.name))
        if not files:
            raise SourceError(f"{self.path} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        self.files = files
        self.fps = fps
        self.frame_count = len(files)
        first = cv2.imread(str(files[0]))
        if first is None:
            raise SourceError(f"cannot read image {files[0]}")
        self.size = (first.shape[1], first.shape[0])

    def __iter__(self) -> Iterator[Frame]:
        for i, f in enumerate(self.files):
            t0 = time.perf_counter()
            img = cv2.imread(str(f))
            dt = time.perf_counter() - t0
            if img is None:
                warnings.warn(f"cannot read image {f}: skipped", stacklevel=2)
                continue
            yield Frame(i, i / self.fps, img, dt, f.name)

    def sample(self, n: int, stride_s: float = 0.0) -> list[np.ndarray]:
        """Up to ``n`` images spread over the folder (for calibration)."""
        idx = np.unique(np.linspace(0, len(self.files) - 1, min(n, len(self.files))).astype(int))
        out = [cv2.imread(str(self.files[i])) for i in idx]
        return [im for im in out if im is not None]


class CameraSource:
    """A live camera. A reader thread keeps only the newest ``buffer`` frames: when the
    tracker cannot keep up, the oldest are dropped (and counted) rather than piling up."""

    temporal = True

    def __init__(self, index: int, fps: float | None = None, buffer: int = 4,
                 size: tuple[int, int] | None = None):
        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            raise SourceError(f"cannot open camera {index}: is it connected and free?")
        if size:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        if fps:
            self._cap.set(cv2.CAP_PROP_FPS, fps)
        ok, first = self._cap.read()
        if not ok:
            raise SourceError(f"camera {index} gives no picture")
        got = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(got) if got and got > 0 else float(fps or 30.0)
        self.size = (first.shape[1], first.shape[0])
        self.frame_count = None
        self.dropped = 0
        self._first = first
        self._queue: queue.Queue = queue.Queue(maxsize=buffer)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._grab, daemon=True)

    def _grab(self) -> None:
        t0 = time.perf_counter()
        i = 1
        while not self._stop.is_set():
            ok, img = self._cap.read()
            if not ok:
                self._queue.put(None)
                return
            item = Frame(i, time.perf_counter() - t0, img)
            i += 1
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass
                self._queue.put_nowait(item)

    def __iter__(self) -> Iterator[Frame]:
        yield Frame(0, 0.0, self._first)
        self._thread.start()
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                yield item
        finally:
            self.close()

    def sample(self, n: int, stride_s: float = 0.0) -> list[np.ndarray]:
        return [self._first]

    def close(self) -> None:
        self._stop.set()
        self._cap.release()


def open_source(spec: str, live: bool = False):
    """A source from a command-line argument: a device index (with ``live``, or digits), a
    folder of images, or a video file."""
    if live or spec.isdigit():
        if not spec.isdigit():
            raise SourceError(f"--live needs a camera index (0, 1, ...), got {spec!r}")
        return CameraSource(int(spec))
    path = Path(spec)
    if path.is_dir():
        return ImageFolderSource(path)
    if not path.exists():
        raise SourceError(f"no such file or folder: {path}")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        raise SourceError(f"{path} is a single image: give the folder holding it")
    return VideoSource(path)
