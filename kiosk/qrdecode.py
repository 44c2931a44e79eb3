"""Finding QR codes in camera frames: zbar first (fast), OpenCV's detector as the fallback, both UTF-8 safe.

- Frames are grayscale: pyzbar given a colour array reads only its first channel (docs/developing.md).
- Only QR codes are looked for (about 3x faster than every symbology, and a ticket kiosk reads nothing else).
- zbar guesses the charset of a payload and turns UTF-8 Vietnamese into Shift-JIS or Big5 mojibake. zbar 0.23
  has a "binary" option that returns the bytes exactly as encoded; it is switched on here through pyzbar's
  ctypes wrapper. Where the installed zbar lacks it, a non-ASCII payload is re-read with OpenCV, which decodes
  UTF-8 correctly.
- A still image (a scan fed from a file, a sheet held still) gets the thorough treatment: contrast stretching,
  denoising, sharpening, scaling and OpenCV's perspective-aware detector, until something decodes. Live frames
  get zbar plus one of those variants in turn, so a hard code is still found within a few frames while the
  camera keeps its frame rate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from ctypes import c_char_p, c_void_p, cast, string_at
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from pyzbar import wrapper as zbar
from pyzbar.pyzbar import ZBarSymbol

logger = logging.getLogger(__name__)

Gray = NDArray[np.uint8]
ZBAR_CFG_ENABLE = 0
ZBAR_CFG_BINARY = 4  # zbar >= 0.23: return QR payloads as raw bytes, no charset guessing
_FOURCC_Y800 = int.from_bytes(b"Y800", "little")


def to_gray(frame: NDArray[Any]) -> Gray:
    """A 2-D uint8 image from whatever the camera gave (BGR, BGRA or already gray)."""
    if frame.ndim == 2:
        return np.ascontiguousarray(frame, dtype=np.uint8)
    if frame.ndim == 3 and frame.shape[2] == 3:
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    if frame.ndim == 3 and frame.shape[2] == 4:
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY), dtype=np.uint8)
    if frame.ndim == 3 and frame.shape[2] == 1:
        return np.ascontiguousarray(frame[:, :, 0], dtype=np.uint8)
    raise ValueError(f"not an image: shape {frame.shape}")


class ZbarQrReader:
    """zbar's image scanner set up once for QR codes only, in binary mode when zbar supports it."""

    def __init__(self) -> None:
        self._scanner = zbar.zbar_image_scanner_create()
        for symbol in ZBarSymbol:
            zbar.zbar_image_scanner_set_config(self._scanner, symbol, ZBAR_CFG_ENABLE, 0)
        zbar.zbar_image_scanner_set_config(self._scanner, ZBarSymbol.QRCODE, ZBAR_CFG_ENABLE, 1)
        failed = zbar.zbar_image_scanner_set_config(self._scanner, ZBarSymbol.QRCODE, ZBAR_CFG_BINARY, 1)
        self.binary = failed == 0
        if not self.binary:
            logger.info("this zbar has no binary mode: non-ASCII QR payloads are re-read with OpenCV")

    def close(self) -> None:
        if self._scanner is not None:
            zbar.zbar_image_scanner_destroy(self._scanner)
            self._scanner = None

    def __del__(self) -> None:
        self.close()

    def read(self, gray: Gray) -> list[bytes]:
        gray = np.ascontiguousarray(gray, dtype=np.uint8)
        height, width = gray.shape
        pixels = gray.tobytes()
        with _zbar_image() as image:
            zbar.zbar_image_set_format(image, _FOURCC_Y800)
            zbar.zbar_image_set_size(image, width, height)
            zbar.zbar_image_set_data(image, cast(c_char_p(pixels), c_void_p), len(pixels), None)
            if zbar.zbar_scan_image(self._scanner, image) < 0:
                raise ValueError("zbar refused the image")
            found = []
            symbol = zbar.zbar_image_first_symbol(image)
            while symbol:
                data = string_at(zbar.zbar_symbol_get_data(symbol), zbar.zbar_symbol_get_data_length(symbol))
                found.append(data)
                symbol = zbar.zbar_symbol_next(symbol)
            return found


@contextmanager
def _zbar_image() -> Iterator[Any]:
    image = zbar.zbar_image_create()
    try:
        yield image
    finally:
        zbar.zbar_image_destroy(image)


class OpenCvQrReader:
    """OpenCV's QR detector: slower, copes with perspective, returns UTF-8 text correctly."""

    def __init__(self) -> None:
        self._detector = cv2.QRCodeDetector()

    def read(self, gray: Gray) -> list[bytes]:
        try:
            ok, texts, _points, _straight = self._detector.detectAndDecodeMulti(gray)
        except cv2.error as exc:
            logger.debug("OpenCV QR detector failed: %s", exc)
            return []
        if not ok:
            return []
        return [t.encode("utf-8") for t in texts if t]


def _clahe(gray: Gray) -> Gray:
    return np.asarray(cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(gray), dtype=np.uint8)


def _stretch(gray: Gray) -> Gray:
    return np.asarray(cv2.normalize(gray, np.empty_like(gray), 0, 255, cv2.NORM_MINMAX), dtype=np.uint8)


def _denoise(gray: Gray) -> Gray:
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    _, binary = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.asarray(binary, dtype=np.uint8)


def _median(gray: Gray) -> Gray:
    return np.asarray(cv2.medianBlur(gray, 5), dtype=np.uint8)


def _sharpen(gray: Gray) -> Gray:
    blurred = cv2.GaussianBlur(gray, (0, 0), 3)
    return np.asarray(cv2.addWeighted(gray, 2.0, blurred, -1.0, 0), dtype=np.uint8)


def _sharpen_strong(gray: Gray) -> Gray:
    blurred = cv2.GaussianBlur(gray, (0, 0), 2)
    return np.asarray(cv2.addWeighted(gray, 4.0, blurred, -3.0, 0), dtype=np.uint8)


def _median_stretch(gray: Gray) -> Gray:
    return _stretch(np.asarray(cv2.medianBlur(gray, 3), dtype=np.uint8))


def _double_sharp(gray: Gray) -> Gray:
    return _sharpen_strong(_double(gray))


def _adaptive(gray: Gray) -> Gray:
    return np.asarray(
        cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 5), dtype=np.uint8
    )


def _half(gray: Gray) -> Gray:
    return np.asarray(cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _double(gray: Gray) -> Gray:
    return np.asarray(cv2.resize(gray, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)


Variant = tuple[str, Callable[[Gray], Gray], str]  # name, preprocessing, reader ("zbar" | "opencv")

#: Tried in this order on a still image; in turn, one per frame, on live video.
VARIANTS: tuple[Variant, ...] = (
    ("stretch", _stretch, "zbar"),
    ("clahe", _clahe, "zbar"),
    ("denoise", _denoise, "zbar"),
    ("median", _median, "zbar"),
    ("sharpen", _sharpen, "zbar"),
    ("half", _half, "zbar"),
    ("adaptive", _adaptive, "zbar"),
    ("opencv", lambda g: g, "opencv"),
    ("opencv-clahe", _clahe, "opencv"),
    ("double", _double, "zbar"),
    ("opencv-denoise", _median, "opencv"),
    ("sharpen-strong", _sharpen_strong, "zbar"),
    ("median-stretch", _median_stretch, "zbar"),
    ("double-sharp", _double_sharp, "zbar"),
)
#: Live video tries one of these per frame (the cheap ones: the frame rate matters more than one hard frame).
LIVE_VARIANTS = tuple(v for v in VARIANTS if v[0] not in ("double", "double-sharp", "opencv-clahe"))


class QrDecoder:
    """Payloads (bytes) of the QR codes in a frame. Not thread-safe: one per scanner thread."""

    def __init__(self) -> None:
        self.zbar = ZbarQrReader()
        self.opencv = OpenCvQrReader()
        self._turn = 0

    def close(self) -> None:
        self.zbar.close()

    def decode(self, frame: NDArray[Any], *, thorough: bool = False) -> list[bytes]:
        """Decode a frame: zbar, then (thorough) every variant until one finds a code, or (live) the next one."""
        gray = to_gray(frame)
        found = self._read(gray, "zbar")
        if found:
            return found
        if thorough:
            for _name, prepare, reader in VARIANTS:
                found = self._read(prepare(gray), reader)
                if found:
                    return found
            return []
        _name, prepare, reader = LIVE_VARIANTS[self._turn % len(LIVE_VARIANTS)]
        self._turn += 1
        return self._read(prepare(gray), reader)

    def _read(self, gray: Gray, reader: str) -> list[bytes]:
        if reader == "opencv":
            return self.opencv.read(gray)
        found = self.zbar.read(gray)
        if found and not self.zbar.binary and any(not data.isascii() for data in found):
            return self.opencv.read(gray) or found  # zbar guessed a charset: OpenCV reads UTF-8 faithfully
        return found


__all__ = ["QrDecoder", "ZbarQrReader", "to_gray"]
