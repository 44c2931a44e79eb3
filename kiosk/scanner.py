"""The QR scanner: a thread that reads frames from the camera seam, decodes them and hands each new payload to
the kiosk. The same code held in front of the camera is reported once, not thirty times a second.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable

from kiosk.camera import Camera, CameraError
from kiosk.qrdecode import QrDecoder

logger = logging.getLogger(__name__)


class RepeatFilter:
    """Drops a payload seen less than `cooldown_s` ago. The window slides: a sheet left in front of the camera
    stays silent however long it stays there, and is reported again once it has been away for the cooldown."""

    def __init__(self, cooldown_s: float, *, max_entries: int = 64) -> None:
        self.cooldown_s = cooldown_s
        self.max_entries = max_entries
        self._seen: dict[bytes, float] = {}

    def accept(self, payload: bytes, now: float) -> bool:
        # Keyed by a digest, not the payload: an ID card's personal data is not kept for the cooldown.
        key = hashlib.sha256(payload).digest()
        last = self._seen.get(key)
        self._seen[key] = now
        if len(self._seen) > self.max_entries:
            oldest = sorted(self._seen, key=self._seen.__getitem__)[: len(self._seen) - self.max_entries]
            for key in oldest:
                del self._seen[key]
        return last is None or now - last >= self.cooldown_s

    def reset(self) -> None:
        self._seen.clear()


class Scanner:
    """Runs `camera` on its own thread; calls `on_payload(bytes)` for each new code and `on_camera(ok)` when the
    camera appears or disappears. Callbacks run on the scanner thread: keep them short (post an event)."""

    def __init__(
        self,
        camera: Camera,
        on_payload: Callable[[bytes], None],
        *,
        on_camera: Callable[[bool], None] | None = None,
        cooldown_s: float = 4.0,
        retry_s: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.camera = camera
        self.on_payload = on_payload
        self.on_camera = on_camera or (lambda ok: None)
        self.repeats = RepeatFilter(cooldown_s)
        self.retry_s = retry_s
        self.monotonic = monotonic
        self.camera_ok: bool | None = None
        self.frames = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Scanner:
        self._thread = threading.Thread(target=self._run, name="qr-scanner", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.camera.close()

    def _set_camera(self, ok: bool) -> None:
        if ok != self.camera_ok:
            self.camera_ok = ok
            self.on_camera(ok)

    def _run(self) -> None:
        decoder = QrDecoder()
        try:
            while not self._stop.is_set():
                try:
                    self.camera.open()
                except CameraError as exc:
                    logger.warning("camera %s: %s; trying again in %g s", self.camera.name, exc, self.retry_s)
                    self._set_camera(False)
                    self._stop.wait(self.retry_s)
                    continue
                logger.info("camera %s ready", self.camera.name)
                self._set_camera(True)
                self._read_frames(decoder)
        finally:
            decoder.close()

    def _read_frames(self, decoder: QrDecoder) -> None:
        while not self._stop.is_set():
            try:
                frame = self.camera.read(0.5)
            except CameraError as exc:
                logger.warning("camera %s lost: %s", self.camera.name, exc)
                self.camera.close()
                self._set_camera(False)
                self._stop.wait(min(self.retry_s, 2.0))
                return
            if frame is None:
                continue
            self.frames += 1
            try:
                payloads = decoder.decode(frame.image, thorough=frame.still)
            except Exception:
                logger.exception("decoding a frame from %s failed", frame.source)
                continue
            if frame.still and not payloads:
                logger.info("no QR code found in %s", frame.source)
            now = self.monotonic()
            for payload in payloads:
                if self.repeats.accept(payload, now):
                    self.on_payload(payload)
