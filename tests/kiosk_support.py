"""Helpers for the kiosk tests: the sample hall's catalogue without a broker, kiosk configs, QR images, and
driving an in-process kiosk app until something happens."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import segno

from kiosk.app import KioskApp
from kiosk.catalogue import CatalogueView
from kiosk.config import CameraSection, KioskConfig, PrinterSection, ScreenSection, TicketSection
from motcua.config import DeviceSection, MqttSettings
from motcua.contract import Catalogue, HallInfo, PriorityCategory, Procedure, ServiceInfo
from motcua.hall import HallConfig

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output" / "kiosk"
VN = timezone(timedelta(hours=7))
RESOLUTIONS = [(800, 480), (1024, 600), (1920, 1080)]
HOURS = "Thứ Hai–Thứ Sáu: 07:30–11:30, 13:30–17:00; Thứ Bảy: 07:30–11:30"


def sample_catalogue(
    hall: HallConfig, procedures: list[Procedure], *, closed: tuple[str, ...] = (), extra: list[Procedure] = ()
) -> Catalogue:
    """The catalogue the coordinator publishes for the sample hall (built here without a coordinator)."""
    services = [
        ServiceInfo(
            id=s.id,
            name=s.name,
            name_en=s.name_en,
            fields=s.fields,
            counters=sorted(c.number for c in hall.counters if s.id in c.services),
            open_now=s.id not in closed,
            opening_hours=HOURS,
        )
        for s in hall.services
    ]
    return Catalogue(
        hall=HallInfo(site=hall.hall.site, name=hall.hall.name, name_en=hall.hall.name_en, hotline=hall.hall.hotline),
        services=services,
        procedures=[*procedures, *extra],
        priority_categories=list(PriorityCategory),
        updated_at=datetime(2026, 11, 23, 8, 0, tzinfo=VN),
    )


def sample_view(hall: HallConfig, procedures: list[Procedure], **kwargs: Any) -> CatalogueView:
    return CatalogueView(sample_catalogue(hall, procedures, **kwargs))


def kiosk_config(
    tmp_path: Path,
    *,
    site: str = "phuong-hoa-binh",
    mqtt: MqttSettings | None = None,
    size: tuple[int, int] = (1024, 600),
    paper: str = "80mm",
    request_timeout_s: float = 2.0,
    camera: str = "files",
    control_socket: Path | None = None,
    **screen: Any,
) -> KioskConfig:
    return KioskConfig(
        device=DeviceSection(id="kiosk-1", site=site),
        mqtt=mqtt or MqttSettings(port=1),
        screen=ScreenSection(width=size[0], height=size[1], fullscreen=False, driver="dummy", **screen),
        printer=PrinterSection(connection="dummy", paper=paper, save_dir=tmp_path / "printed"),  # type: ignore[arg-type]
        camera=CameraSection(source=camera, drop_folder=tmp_path / "drop", cooldown_s=1.0),  # type: ignore[arg-type]
        ticket=TicketSection(request_timeout_s=request_timeout_s),
        state_dir=tmp_path / "state",
        control_socket=control_socket,
    )


def run_until(app: KioskApp, condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Turn the app's event loop (in this thread) until `condition()` is true."""
    deadline = time.monotonic() + timeout
    while True:
        app.step(0.05)
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s; kiosk status: {app.status()}")


def qr_png(payload: str | bytes, path: Path, *, scale: int = 6, border: int = 4, error: str = "m") -> Path:
    """A clean QR code image file, as printed on a procedure sheet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    segno.make(payload, error=error, micro=False).save(str(path), scale=scale, border=border)
    return path


def qr_array(payload: str | bytes, *, scale: int = 6, border: int = 4, error: str = "m") -> np.ndarray:
    code = segno.make(payload, error=error, micro=False)
    matrix = np.array([list(row) for row in code.matrix], dtype=np.uint8)
    matrix = np.pad(matrix, border)
    image = np.where(matrix > 0, 0, 255).astype(np.uint8)
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)


def in_frame(
    code: np.ndarray, *, size: tuple[int, int] = (640, 480), at: tuple[int, int] = (80, 40), background: int = 170
) -> np.ndarray:
    """The code pasted on a grey 'desk' of a camera-sized frame."""
    width, height = size
    frame = np.full((height, width), background, dtype=np.uint8)
    x, y = at
    h, w = code.shape
    frame[y : y + h, x : x + w] = code[: height - y, : width - x]
    return frame


def portal_url(code: str) -> str:
    return f"https://dichvucong.gov.vn/tim-kiem-thu-tuc-hanh-chinh?keyword={code}"
