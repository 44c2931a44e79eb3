"""Synthetic camera pictures of QR codes: a procedure sheet on a desk, then blurred, tilted, seen at an angle,
noisy, faded, in low light, under glare. The tests, the benchmark and the demo feed these to the camera seam.
Deterministic: the same name and seed give the same picture.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import segno

from kiosk.qrdecode import Gray


def qr_matrix_image(payload: str | bytes, *, module_px: int = 5, border: int = 4, error: str = "m") -> Gray:
    """A clean QR code, black on white, `module_px` pixels per module."""
    code = segno.make(payload, error=error, micro=False)
    matrix = np.pad(np.array([list(row) for row in code.matrix], dtype=np.uint8), border)
    image = np.where(matrix > 0, 0, 255).astype(np.uint8)
    return np.asarray(
        cv2.resize(image, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST), dtype=np.uint8
    )


def on_desk(code: Gray, *, size: tuple[int, int] = (640, 480), background: int = 165, seed: int = 0) -> Gray:
    """The code on a sheet of paper in the middle of a camera frame, with a little texture around it."""
    width, height = size
    rng = np.random.default_rng(seed)
    frame = np.clip(rng.normal(background, 6, (height, width)), 0, 255).astype(np.uint8)
    paper = np.full((code.shape[0] + 40, code.shape[1] + 40), 245, dtype=np.uint8)
    paper[20:-20, 20:-20] = code
    y = max(0, (height - paper.shape[0]) // 2)
    x = max(0, (width - paper.shape[1]) // 2)
    h, w = min(paper.shape[0], height), min(paper.shape[1], width)
    frame[y : y + h, x : x + w] = paper[:h, :w]
    return frame


def blur(image: Gray, sigma: float) -> Gray:
    return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), dtype=np.uint8)


def motion_blur(image: Gray, length: int) -> Gray:
    kernel = np.zeros((length, length), dtype=np.float32)
    kernel[length // 2, :] = 1.0 / length
    return np.asarray(cv2.filter2D(image, -1, kernel), dtype=np.uint8)


def rotate(image: Gray, degrees: float, background: int = 165) -> Gray:
    h, w = image.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return np.asarray(cv2.warpAffine(image, matrix, (w, h), borderValue=background), dtype=np.uint8)


def perspective(image: Gray, strength: float, background: int = 165) -> Gray:
    """The sheet seen from below and to the side: the far edge shrinks by `strength` (0-0.5) of the width."""
    h, w = image.shape
    dx, dy = strength * w, strength * h * 0.4
    source = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    target = np.array([[dx, dy], [w - dx * 0.4, 0], [w, h], [0, h - dy]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(source, target)
    return np.asarray(cv2.warpPerspective(image, matrix, (w, h), borderValue=background), dtype=np.uint8)


def noise(image: Gray, sigma: float, seed: int = 1) -> Gray:
    rng = np.random.default_rng(seed)
    return np.clip(image.astype(np.float32) + rng.normal(0, sigma, image.shape), 0, 255).astype(np.uint8)


def contrast(image: Gray, low: int, high: int) -> Gray:
    """Squeeze the grey levels into [low, high]: a faded print, a washed-out camera."""
    return (low + image.astype(np.float32) * (high - low) / 255).astype(np.uint8)


def low_light(image: Gray, level: int = 45, sigma: float = 6, seed: int = 2) -> Gray:
    return noise(contrast(image, 5, level), sigma, seed)


def glare(image: Gray, strength: float = 0.85, seed: int = 3) -> Gray:
    """A lamp reflected on glossy paper: a bright blob washing out part of the code."""
    h, w = image.shape
    rng = np.random.default_rng(seed)
    cx, cy = w * (0.45 + 0.1 * rng.random()), h * (0.4 + 0.1 * rng.random())
    yy, xx = np.mgrid[0:h, 0:w]
    spot = np.exp(-(((xx - cx) ** 2) + ((yy - cy) ** 2)) / (2 * (0.12 * w) ** 2))
    out = image.astype(np.float32) + spot * strength * 255
    return np.asarray(np.clip(out, 0, 255), dtype=np.uint8)


def jpeg(image: Gray, quality: int) -> Gray:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return np.asarray(cv2.imdecode(data, cv2.IMREAD_GRAYSCALE), dtype=np.uint8)


Degradation = Callable[[Gray], Gray]

#: Named degradations of a desk picture, mild to hard. The tests use the mild ones; the benchmark all of them.
DEGRADATIONS: dict[str, Degradation] = {
    "clean": lambda i: i,
    "blur-1.5": lambda i: blur(i, 1.5),
    "blur-2.5": lambda i: blur(i, 2.5),
    "blur-3.5": lambda i: blur(i, 3.5),
    "motion-9": lambda i: motion_blur(i, 9),
    "motion-13": lambda i: motion_blur(i, 13),
    "rotate-15": lambda i: rotate(i, 15),
    "rotate-45": lambda i: rotate(i, 45),
    "rotate-80": lambda i: rotate(i, 80),
    "perspective-0.15": lambda i: perspective(i, 0.15),
    "perspective-0.3": lambda i: perspective(i, 0.3),
    "noise-25": lambda i: noise(i, 25),
    "noise-45": lambda i: noise(i, 45),
    "noise-65": lambda i: noise(i, 65),
    "contrast-40": lambda i: contrast(i, 100, 140),
    "contrast-20": lambda i: contrast(i, 115, 135),
    "contrast-12": lambda i: contrast(i, 120, 132),
    "low-light": lambda i: low_light(i),
    "low-light-dark": lambda i: low_light(i, level=28, sigma=5),
    "glare": lambda i: glare(i, 0.8),
    "glare-strong": lambda i: glare(i, 1.0),
    "jpeg-15": lambda i: jpeg(i, 15),
    "jpeg-5": lambda i: jpeg(i, 5),
    "tilt-blur-noise": lambda i: noise(blur(rotate(i, 20), 1.8), 20),
    "perspective-blur": lambda i: blur(perspective(i, 0.25), 2.0),
    "dark-blur": lambda i: blur(low_light(i, 60, 4), 1.5),
}


def degraded(payload: str | bytes, name: str, *, module_px: int = 5, size: tuple[int, int] = (640, 480)) -> Gray:
    """A camera frame of `payload` under the named degradation."""
    return DEGRADATIONS[name](on_desk(qr_matrix_image(payload, module_px=module_px), size=size))
