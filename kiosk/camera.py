"""The camera seam of the QR scanner: a USB webcam (V4L2), a Raspberry Pi camera module (picamera2), or frames
from files (images, video files and a watched drop folder) — the shipped fake used by tests and the demo.

Every source gives grayscale `Frame`s. A source that cannot be opened, or stops giving frames, raises
`CameraError`; the scanner reports the camera missing and tries again later. Nothing touches hardware at import
time: OpenCV capture and picamera2 are opened in `open()`, and picamera2 is imported only then (it is an apt
package on Raspberry Pi OS: python3-picamera2, with a venv made with --system-site-packages).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from kiosk.config import CameraSection
from kiosk.qrdecode import Gray, to_gray
from motcua.errors import MotcuaError

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".mjpg", ".mjpeg"}


class CameraError(MotcuaError, OSError):
    """The camera is missing, busy or stopped giving frames."""


@dataclass(frozen=True)
class Frame:
    image: Gray
    still: bool = False  # a still picture (decode it thoroughly); False for live or video frames
    source: str = ""


class Camera(Protocol):
    name: str

    def open(self) -> None: ...

    def read(self, timeout: float) -> Frame | None:
        """The next frame, or None when there is none yet (files: nothing queued)."""
        ...

    def close(self) -> None: ...


class V4l2Camera:
    """A USB webcam through OpenCV's V4L2 back end (``/dev/videoN``)."""

    def __init__(self, index: int = 0, width: int = 640, height: int = 480) -> None:
        self.index, self.width, self.height = index, width, height
        self.name = f"/dev/video{index}"
        self._capture: Any = None

    def open(self) -> None:
        self.close()
        capture = cv2.VideoCapture(self.index, cv2.CAP_V4L2)
        if not capture.isOpened():
            capture.release()
            raise CameraError(f"no camera at {self.name} (unplugged, or used by another program)")
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not one from a second ago
        self._capture = capture

    def read(self, timeout: float) -> Frame | None:
        if self._capture is None:
            raise CameraError(f"{self.name} is not open")
        ok, frame = self._capture.read()
        if not ok or frame is None:
            raise CameraError(f"{self.name} stopped giving frames")
        return Frame(to_gray(frame), still=False, source=self.name)

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class PiCamera:
    """A Raspberry Pi camera module through libcamera/picamera2 (OpenCV's V4L2 capture does not work with
    libcamera cameras). The Y plane of a YUV420 frame is already the grayscale image the decoder needs."""

    def __init__(self, width: int = 640, height: int = 480) -> None:
        self.width, self.height = width, height
        self.name = "picamera2"
        self._camera: Any = None

    def open(self) -> None:
        self.close()
        try:
            from picamera2 import Picamera2  # apt: python3-picamera2 (not on PyPI for the Pi's libcamera)
        except ImportError as exc:
            raise CameraError(
                "picamera2 is not installed: apt install python3-picamera2 and make the venv with "
                "--system-site-packages (docs/kiosk.md)"
            ) from exc
        try:
            camera = Picamera2()
            config = camera.create_video_configuration(main={"size": (self.width, self.height), "format": "YUV420"})
            camera.configure(config)
            camera.start()
        except Exception as exc:  # IndexError when no camera is attached, RuntimeError when busy
            raise CameraError(f"Pi camera not available: {exc}") from exc
        self._camera = camera

    def read(self, timeout: float) -> Frame | None:
        if self._camera is None:
            raise CameraError("Pi camera is not open")
        try:
            yuv = self._camera.capture_array("main")
        except Exception as exc:
            raise CameraError(f"Pi camera stopped giving frames: {exc}") from exc
        return Frame(np.ascontiguousarray(yuv[: self.height, : self.width]), still=False, source=self.name)

    def close(self) -> None:
        if self._camera is not None:
            try:
                self._camera.stop()
                self._camera.close()
            except Exception as exc:
                logger.debug("closing the Pi camera: %s", exc)
            self._camera = None


class FileCamera:
    """Frames from files: images (one still frame each), videos (every frame), and a drop folder watched for new
    images (each is scanned once, then deleted). `push(path)` queues a file (the ``scan PATH`` control command).
    """

    def __init__(
        self,
        files: Iterable[Path] = (),
        *,
        drop_folder: Path | None = None,
        loop_video: bool = False,
        realtime: bool = False,
    ) -> None:
        self.name = "files"
        self.drop_folder = drop_folder
        self.loop_video = loop_video
        self.realtime = realtime  # pace video frames at the file's frame rate (demo); tests read as fast as possible
        self._queue: queue.Queue[Path] = queue.Queue()
        for path in files:
            self._queue.put(Path(path))
        self._video: Any = None
        self._video_path: Path | None = None
        self._video_interval = 0.0
        self._next_frame_at = 0.0
        self._wake = threading.Event()
        self._last_poll = 0.0

    def push(self, path: Path | str) -> None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
        self._queue.put(path)
        self._wake.set()

    def open(self) -> None:
        if self.drop_folder is not None:
            self.drop_folder.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        if self._video is not None:
            self._video.release()
            self._video = None

    def read(self, timeout: float) -> Frame | None:
        if self._video is not None:
            return self._video_frame()
        self._poll_drop_folder()
        try:
            path = self._queue.get(timeout=min(timeout, 0.25))
        except queue.Empty:
            self._wake.clear()
            return None
        return self._start(path)

    def _start(self, path: Path) -> Frame | None:
        suffix = path.suffix.lower()
        if suffix in VIDEO_SUFFIXES:
            capture = cv2.VideoCapture(str(path))
            if not capture.isOpened():
                logger.warning("cannot open video %s", path)
                return None
            fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
            self._video, self._video_path = capture, path
            self._video_interval = 1.0 / fps if self.realtime else 0.0
            self._next_frame_at = time.monotonic()
            return self._video_frame()
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if self.drop_folder is not None and path.parent == self.drop_folder:
            path.unlink(missing_ok=True)
        if image is None:
            logger.warning("%s is not an image the scanner can read", path)
            return None
        if image.dtype != np.uint8:
            image = cv2.convertScaleAbs(image, alpha=255.0 / max(float(image.max()), 1.0))
        return Frame(to_gray(image), still=True, source=str(path))

    def _video_frame(self) -> Frame | None:
        assert self._video is not None
        if self._video_interval:
            delay = self._next_frame_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._next_frame_at += self._video_interval
        ok, frame = self._video.read()
        if not ok:
            if self.loop_video and self._video_path is not None:
                self._video.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, frame = self._video.read()
            if not ok:
                self.close()
                return None
        return Frame(to_gray(frame), still=False, source=str(self._video_path))

    def _poll_drop_folder(self) -> None:
        folder = self.drop_folder
        now = time.monotonic()
        if folder is None or now - self._last_poll < 0.2:
            return
        self._last_poll = now
        try:
            entries = sorted(
                (p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")),
                key=lambda p: p.stat().st_mtime,
            )
        except OSError as exc:
            logger.debug("cannot list %s: %s", folder, exc)
            return
        pending = set(self._queue.queue)
        for path in entries:
            if path.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES and path not in pending:
                self._queue.put(path)


class NoCamera:
    """A kiosk without a scanner (``source = "none"``)."""

    name = "none"

    def open(self) -> None:
        pass

    def read(self, timeout: float) -> Frame | None:
        time.sleep(timeout)
        return None

    def close(self) -> None:
        pass


def make_camera(settings: CameraSection) -> Camera:
    if settings.source == "v4l2":
        return V4l2Camera(settings.index, settings.width, settings.height)
    if settings.source == "picamera2":
        return PiCamera(settings.width, settings.height)
    if settings.source == "files":
        return FileCamera(settings.files, drop_folder=settings.drop_folder, loop_video=settings.loop_video)
    return NoCamera()
