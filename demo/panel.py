"""The demo's control window: the hardware a laptop does not have, as buttons.

Each counter's keypad (Gọi tiếp, Gọi lại, Vắng mặt, and a long press for Tạm dừng/Tiếp tục) and pad (Hài lòng,
Bình thường, Không hài lòng), and procedure sheets to hold in front of the kiosk's camera. A click goes to the
device's process through its control socket (`motcua.simcontrol`), so the real device code runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from demo.hall import Watcher, Workspace
from motcua.fonts import font_path
from motcua.hall import HallConfig
from motcua.simcontrol import send_control

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 900, 640
#: Sheets the panel can "scan": a real procedure, another, and content the kiosk must refuse politely.
SHEETS = (
    ("Đăng ký khai sinh", "https://dichvucong.gov.vn/tim-kiem-thu-tuc-hanh-chinh?keyword=1.001193"),
    ("Chứng thực bản sao", "2.000815"),
    ("Đăng ký kết hôn", "1.000894"),
    ("Mã QR lạ", "https://example.com/khuyen-mai"),
)


@dataclass(frozen=True)
class Button:
    x: int
    y: int
    w: int
    h: int
    label: str
    target: str  # device id, or "scan"
    command: tuple[object, ...]

    def contains(self, px: int, py: int) -> bool:
        return self.x <= px < self.x + self.w and self.y <= py < self.y + self.h


def layout(hall: HallConfig) -> list[Button]:
    """Where every button is (pure: the tests click by label)."""
    buttons: list[Button] = []
    y = 70
    for counter in hall.counters:
        n = counter.number
        keys = [
            ("Gọi tiếp", ("press", "next")),
            ("Gọi lại", ("press", "recall")),
            ("Vắng mặt", ("press", "no_show")),
            ("Tạm dừng / Tiếp tục", ("hold", "next", 2.5)),
        ]
        x = 20
        for label, command in keys:
            width = 200 if label.startswith("Tạm") else 110
            buttons.append(Button(x, y + 28, width, 40, label, f"keypad-{n}", command))
            x += width + 8
        x = 20
        for level, label in hall.rating.labels.items():
            buttons.append(Button(x, y + 74, 170, 40, label, f"pad-{n}", ("press", level.value)))
            x += 178
        y += 130
    x = 20
    for label, payload in SHEETS:
        buttons.append(Button(x, y + 28, 205, 40, label, "scan", (payload,)))
        x += 213
    return buttons


class Panel:
    def __init__(
        self,
        workspace: Workspace,
        hall: HallConfig,
        watcher: Watcher,
        send: Callable[..., dict[str, Any]] = send_control,
    ) -> None:
        self.workspace = workspace
        self.hall = hall
        self.watcher = watcher
        self.send = send
        self.buttons = layout(hall)
        self.message = "Bấm các nút để thao tác như cán bộ và công dân."
        self._sheet = 0

    def click(self, x: int, y: int) -> str | None:
        for button in self.buttons:
            if button.contains(x, y):
                threading.Thread(target=self._act, args=(button,), daemon=True).start()
                return button.label
        return None

    def _act(self, button: Button) -> None:
        try:
            if button.target == "scan":
                path = self._sheet_image(str(button.command[0]))
                reply = self.send(self.workspace.socket("kiosk-1"), "scan", path)
            else:
                reply = self.send(self.workspace.socket(button.target), *button.command)
            self.message = f"{button.target}: {button.label}" + ("" if reply.get("ok", True) else f" — {reply}")
        except OSError as exc:
            self.message = f"{button.target}: {exc}"

    def _sheet_image(self, payload: str) -> Path:
        import segno

        self._sheet += 1
        path = self.workspace.root / "state" / f"sheet-{self._sheet}.png"
        segno.make(payload, error="m").save(str(path), scale=8, border=4)
        return path

    def counter_lines(self) -> dict[int, str]:
        lines = {}
        for counter in self.hall.counters:
            state = self.watcher.states.get(counter.number)
            if state is None:
                lines[counter.number] = f"{counter.display_name}: chưa hoạt động"
            else:
                serving = state.serving.label if state.serving else "—"
                status = {"open": "đang mở", "paused": "tạm dừng", "closed": "đóng"}[state.status.value]
                lines[counter.number] = (
                    f"{counter.display_name}: {status}, đang phục vụ {serving}, đang chờ {state.waiting}"
                )
        return lines


def run_panel(workspace: Workspace, hall: HallConfig, watcher: Watcher, stopped: threading.Event) -> None:
    """Show the panel until its window is closed or the demo is stopped."""
    import pygame

    pygame.display.init()  # not pygame.init(): the panel has no sound
    pygame.font.init()
    try:
        screen = pygame.display.set_mode((WIDTH, HEIGHT))
        pygame.display.set_caption("motcua — bảng điều khiển mô phỏng (bàn phím, nút đánh giá, mã QR)")
        regular = pygame.font.Font(str(font_path()), 17)
        bold = pygame.font.Font(str(font_path(bold=True)), 18)
        panel = Panel(workspace, hall, watcher)
        while not stopped.is_set():
            for event in pygame.event.get():
                if event.type == pygame.QUIT:
                    stopped.set()
                elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
                    panel.click(*event.pos)
            draw(pygame, screen, panel, regular, bold)
            pygame.display.flip()
            pygame.time.wait(100)
    finally:
        pygame.quit()


def draw(pygame: Any, screen: Any, panel: Panel, regular: Any, bold: Any) -> None:
    screen.fill((12, 24, 48))
    screen.blit(bold.render("motcua — bản trình diễn: một phòng một cửa trên một máy", True, (255, 214, 0)), (20, 20))
    lines = panel.counter_lines()
    y = 70
    for counter in panel.hall.counters:
        screen.blit(regular.render(lines[counter.number], True, (230, 236, 245)), (20, y))
        y += 130
    screen.blit(regular.render("Đưa phiếu thủ tục vào camera của máy lấy số:", True, (230, 236, 245)), (20, y))
    for button in panel.buttons:
        colour = (
            (44, 90, 160)
            if button.target.startswith("keypad")
            else ((30, 130, 90) if button.target.startswith("pad") else (120, 80, 150))
        )
        rect = (button.x, button.y, button.w, button.h)
        pygame.draw.rect(screen, colour, rect, border_radius=6)
        text = regular.render(button.label, True, (255, 255, 255))
        screen.blit(
            text, (button.x + (button.w - text.get_width()) // 2, button.y + (button.h - text.get_height()) // 2)
        )
    screen.blit(regular.render(panel.message, True, (200, 210, 225)), (20, HEIGHT - 40))
