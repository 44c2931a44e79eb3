"""Finding QR codes in camera frames (kiosk.qrdecode), the camera seam (kiosk.camera) and the scanner thread."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from kiosk_support import OUTPUT, portal_url

from kiosk.camera import CameraError, FileCamera, NoCamera, V4l2Camera, make_camera
from kiosk.config import CameraSection
from kiosk.qrdecode import LIVE_VARIANTS, OpenCvQrReader, QrDecoder, ZbarQrReader, to_gray
from kiosk.qrsamples import degraded, on_desk, qr_matrix_image
from kiosk.scanner import RepeatFilter, Scanner

URL = portal_url("1.001193")
VIETNAMESE = "Thủ tục đăng ký khai sinh — Đăng ký kết hôn — Cấp bản sao Trích lục hộ tịch ỹ Ợ ầ"


@pytest.fixture(scope="module")
def decoder():
    qr = QrDecoder()
    yield qr
    qr.close()


def test_zbar_here_has_binary_mode():
    # zbar >= 0.23 (Debian 12, Raspberry Pi OS Bookworm): payloads come back as the exact bytes encoded.
    assert ZbarQrReader().binary


@pytest.mark.parametrize(
    ("degradation", "module_px"),
    [
        ("clean", 5),
        ("clean", 3),
        ("blur-1.5", 5),
        ("blur-2.5", 5),
        ("rotate-15", 5),
        ("rotate-45", 5),
        ("rotate-80", 5),
        ("perspective-0.15", 5),
        ("perspective-0.3", 5),
        ("noise-25", 5),
        ("noise-45", 5),
        ("contrast-40", 5),
        ("contrast-20", 5),
        ("low-light", 5),
        ("low-light-dark", 5),
        ("glare", 5),
        ("jpeg-15", 5),
        ("tilt-blur-noise", 5),
    ],
)
def test_degraded_pictures_of_a_procedure_sheet_decode(decoder, degradation: str, module_px: int):
    frame = degraded(URL, degradation, module_px=module_px)
    if module_px == 5:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(OUTPUT / f"qr-{degradation}.png"), frame)
    assert decoder.decode(frame, thorough=True) == [URL.encode()]


@pytest.mark.parametrize("degradation", ["clean", "rotate-45", "perspective-0.15", "noise-25", "contrast-20"])
def test_utf8_vietnamese_payloads_come_back_exactly(decoder, degradation: str):
    frame = degraded(VIETNAMESE, degradation, module_px=4)
    found = decoder.decode(frame, thorough=True)
    assert [data.decode("utf-8") for data in found] == [VIETNAMESE]


def test_both_readers_are_utf8_safe_on_their_own():
    frame = on_desk(qr_matrix_image(VIETNAMESE, module_px=4))
    assert ZbarQrReader().read(frame) == [VIETNAMESE.encode()]
    assert OpenCvQrReader().read(frame) == [VIETNAMESE.encode()]


def test_colour_frames_are_read_as_grayscale(decoder):
    gray = on_desk(qr_matrix_image(URL))
    bgr = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    bgr[:, :, 0] = 255 - bgr[:, :, 0]  # a blue channel that alone would show a negative
    assert to_gray(bgr).shape == gray.shape
    assert decoder.decode(bgr) == [URL.encode()]
    assert decoder.decode(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGRA)) == [URL.encode()]
    with pytest.raises(ValueError):
        to_gray(np.zeros((4, 4, 2), dtype=np.uint8))


def test_a_frame_without_a_code_gives_nothing(decoder):
    rng = np.random.default_rng(5)
    assert decoder.decode(rng.integers(0, 255, (480, 640), dtype=np.uint8), thorough=True) == []
    assert decoder.decode(np.full((480, 640), 128, dtype=np.uint8)) == []


def test_live_frames_try_one_extra_variant_each_and_find_a_hard_code_within_a_cycle():
    hard = degraded(URL, "low-light-dark", module_px=5)
    live = QrDecoder()
    assert live.zbar.read(hard) == []  # plain zbar alone misses it
    found_at = None
    for frame_number in range(len(LIVE_VARIANTS)):
        if live.decode(hard) == [URL.encode()]:
            found_at = frame_number
            break
    assert found_at is not None


def test_repeat_filter_reports_a_code_once_while_it_stays_in_view():
    repeats = RepeatFilter(cooldown_s=3)
    assert repeats.accept(b"a", 0.0)
    assert not repeats.accept(b"a", 1.0)
    assert not repeats.accept(b"a", 3.5)  # still in view: the window slides
    assert repeats.accept(b"b", 3.6)  # another sheet is reported at once
    assert repeats.accept(b"a", 7.0)  # away for the cooldown: reported again
    repeats.reset()
    assert repeats.accept(b"a", 7.1)


def test_repeat_filter_forgets_old_payloads():
    repeats = RepeatFilter(cooldown_s=10, max_entries=4)
    for i in range(10):
        assert repeats.accept(bytes([i]), float(i))
    assert len(repeats._seen) == 4


def _collect(camera, **kwargs):
    seen: list[bytes] = []
    states: list[bool] = []
    scanner = Scanner(camera, seen.append, on_camera=states.append, **kwargs)
    return scanner, seen, states


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_video_file_through_the_camera_seam_reports_the_code_once(tmp_path: Path):
    path = tmp_path / "sheet.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, (640, 480), isColor=True)
    assert writer.isOpened()
    empty = on_desk(np.full((200, 200), 245, dtype=np.uint8))
    code = qr_matrix_image(URL, module_px=5)
    for index in range(36):
        if 6 <= index < 30:  # the citizen holds the sheet up, moving it a little
            frame = on_desk(code, seed=index)
            frame = np.roll(frame, (index % 5) * 3, axis=1)
        else:
            frame = empty
        writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()
    camera = FileCamera([path])
    scanner, seen, states = _collect(camera, cooldown_s=2.0)
    scanner.start()
    try:
        wait_for(lambda: scanner.frames >= 36)
    finally:
        scanner.stop()
    assert seen == [URL.encode()]
    assert states == [True]


def test_the_drop_folder_scans_new_pictures_then_removes_them(tmp_path: Path):
    drop = tmp_path / "drop"
    camera = FileCamera(drop_folder=drop)
    scanner, seen, _ = _collect(camera, cooldown_s=0.0)
    scanner.start()
    try:
        wait_for(lambda: drop.is_dir())
        cv2.imwrite(str(drop / "one.png"), degraded("1.001193", "rotate-15"))
        wait_for(lambda: seen == [b"1.001193"])
        (drop / "notes.txt").write_text("not an image")
        cv2.imwrite(str(drop / "two.jpg"), degraded(URL, "clean"))
        wait_for(lambda: len(seen) == 2)
        wait_for(lambda: not (drop / "two.jpg").exists())
    finally:
        scanner.stop()
    assert seen == [b"1.001193", URL.encode()]
    assert not (drop / "one.png").exists()
    assert (drop / "notes.txt").exists()  # not ours to delete


def test_pushed_files_are_scanned_and_bad_ones_are_survived(tmp_path: Path):
    camera = FileCamera()
    scanner, seen, _ = _collect(camera, cooldown_s=0.0)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG not really")
    good = tmp_path / "good.png"
    cv2.imwrite(str(good), degraded(VIETNAMESE, "clean", module_px=4))
    scanner.start()
    try:
        camera.push(broken)
        camera.push(good)
        wait_for(lambda: seen)
    finally:
        scanner.stop()
    assert seen == [VIETNAMESE.encode()]
    with pytest.raises(FileNotFoundError):
        camera.push(tmp_path / "missing.png")


def test_a_missing_camera_is_reported_and_retried():
    camera = V4l2Camera(index=63)
    with pytest.raises(CameraError):
        camera.open()
    scanner, seen, states = _collect(camera, retry_s=1.0)
    scanner.start()
    try:
        wait_for(lambda: states == [False])
    finally:
        scanner.stop()
    assert seen == []


class FlakyCamera:
    """Gives one frame, then disappears (a USB cable pulled), then comes back."""

    name = "flaky"

    def __init__(self) -> None:
        self.opens = 0
        self.reads = 0
        self.lock = threading.Lock()

    def open(self) -> None:
        self.opens += 1

    def read(self, timeout: float):
        from kiosk.camera import Frame

        self.reads += 1
        if self.reads == 2:
            raise CameraError("unplugged")
        time.sleep(0.01)
        return Frame(on_desk(qr_matrix_image("1.001193")), still=False, source="flaky")

    def close(self) -> None:
        pass


def test_a_camera_that_disappears_is_reopened():
    camera = FlakyCamera()
    scanner, seen, states = _collect(camera, cooldown_s=60, retry_s=0.1)
    scanner.start()
    try:
        wait_for(lambda: camera.opens >= 2 and camera.reads >= 4)
    finally:
        scanner.stop()
    assert states[:3] == [True, False, True]
    assert seen == [b"1.001193"]  # the same sheet in view across the outage is still reported once


def test_make_camera_follows_the_config(tmp_path: Path):
    assert isinstance(make_camera(CameraSection(source="v4l2", index=2)), V4l2Camera)
    assert isinstance(make_camera(CameraSection(source="files", drop_folder=tmp_path)), FileCamera)
    assert isinstance(make_camera(CameraSection(source="none")), NoCamera)
    pi = make_camera(CameraSection(source="picamera2"))
    assert pi.name == "picamera2"
    with pytest.raises(CameraError, match="picamera2"):
        pi.open()  # not installed here: a clear message, not an ImportError
