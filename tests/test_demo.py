"""`make demo` headless: a short scripted morning with every device in its own process, checked end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import WARD_HALL

from demo.hall import DEMO_COUNTERS, Workspace, write_demo_hall
from demo.panel import SHEETS, Panel, layout
from motcua.hall import HallConfig

pytestmark = pytest.mark.slow  # the whole hall in real processes


def test_a_short_morning_through_every_device(tmp_path: Path):
    out = tmp_path / "demo-out"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "motcua.cli",
            "demo",
            "--out",
            str(out),
            "--citizens",
            "90",
            "--until",
            "08:10",
            "--speed",
            "200",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "motcua demo: the morning" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["tickets_issued"] >= 5
    assert summary["tickets_printed"] == summary["tickets_issued"] == summary["ticket_images"]
    assert summary["calls"] >= summary["tickets_issued"]  # every ticket called (recalls add calls)
    assert summary["calls_shown"] == summary["calls"] == summary["calls_announced"] == summary["announcement_files"]
    assert summary["ratings"]["counted"] >= 1
    assert summary["served"] + summary["no_show"] == summary["tickets_issued"]
    assert summary["report_ok"], summary["report_error"]
    # one source of truth: the printed summary is the report's figures over the demo's database
    queue, satisfaction = _hall_row(out / "report", "queue"), _hall_row(out / "report", "satisfaction")
    assert float(queue["Chờ: trung bình (phút)"]) == summary["wait_mean_min"]
    assert float(queue["Chờ: 90% không quá (phút)"]) == summary["wait_p90_min"]
    assert int(queue["Phiếu đã cấp"]) == summary["tickets_issued"]
    assert int(queue["Đã phục vụ"]) == summary["served"] and int(queue["Vắng mặt khi gọi"]) == summary["no_show"]
    assert int(satisfaction["Tổng số lượt đánh giá"]) == summary["ratings"]["counted"]
    assert int(satisfaction["Lượt bấm không hợp lệ (không tính)"]) == summary["ratings"]["misuse"]
    assert float(satisfaction["Hài lòng: tỷ lệ (%)"]) == summary["satisfied_percent"]
    printed = f"wait mean {summary['wait_mean_min']} min, p90 {summary['wait_p90_min']} min"
    assert printed in result.stdout
    assert (out / "screenshots" / "display.png").stat().st_size > 10_000
    assert (out / "screenshots" / "kiosk.png").stat().st_size > 10_000
    assert list((out / "report").glob("*.html"))
    leftovers = subprocess.run(["pgrep", "-f", str(out)], capture_output=True, text=True, check=False).stdout
    assert leftovers.strip() == "", f"processes left running: {leftovers}"


def _hall_row(report: Path, table: str) -> dict[str, str]:
    import csv

    (path,) = report.glob(f"*_{table}.csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(row for row in csv.DictReader(handle) if row["Mã"] == "hall")


@pytest.fixture
def demo_hall(tmp_path: Path) -> HallConfig:
    return write_demo_hall(Workspace(tmp_path), WARD_HALL.parent)


def test_the_demo_hall_is_the_sample_on_three_counters(demo_hall: HallConfig, hall: HallConfig):
    assert [c.number for c in demo_hall.counters] == list(DEMO_COUNTERS)
    assert {s.id for s in demo_hall.services} == {s.id for s in hall.services}
    served = {s for c in demo_hall.counters for s in c.services}
    assert served == {s.id for s in hall.services}
    assert [p.id for p in demo_hall.devices.pads] == ["pad-1", "pad-2", "pad-3"]


def test_the_control_panel_sends_each_button_to_its_device(demo_hall: HallConfig, tmp_path: Path):
    sent: list[tuple[str, tuple[object, ...]]] = []

    class Watcher:
        states: dict = {}

    def send(path: Path, *words: object) -> dict:
        sent.append((Path(path).name, words))
        return {"ok": True}

    workspace = Workspace(tmp_path)
    (tmp_path / "state").mkdir()
    panel = Panel(workspace, demo_hall, Watcher(), send=send)  # type: ignore[arg-type]
    buttons = layout(demo_hall)
    by_label = {(b.target, b.label): b for b in buttons}
    for target, label in [
        ("keypad-2", "Gọi tiếp"),
        ("pad-3", "Hài lòng"),
        ("keypad-1", "Tạm dừng / Tiếp tục"),
        ("scan", SHEETS[0][0]),
    ]:
        button = by_label[(target, label)]
        assert panel.click(button.x + 5, button.y + 5) == label
    import time

    deadline = time.monotonic() + 5
    while len(sent) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ("keypad-2.sock", ("press", "next")) in sent
    assert ("pad-3.sock", ("press", "satisfied")) in sent
    assert ("keypad-1.sock", ("hold", "next", 2.5)) in sent
    scans = [words for name, words in sent if name == "kiosk-1.sock"]
    assert scans and scans[0][0] == "scan" and Path(str(scans[0][1])).exists()
    assert panel.click(1, 1) is None
    assert panel.counter_lines()[1].startswith("Quầy 1")


def test_every_panel_button_fits_the_window_and_none_overlap(demo_hall: HallConfig):
    from demo.panel import HEIGHT, WIDTH

    buttons = layout(demo_hall)
    for button in buttons:
        assert button.x + button.w <= WIDTH and button.y + button.h <= HEIGHT - 45, button
    for i, a in enumerate(buttons):
        for b in buttons[i + 1 :]:
            assert a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y, (a, b)


def test_the_panel_draws_with_the_real_pygame(demo_hall: HallConfig, tmp_path: Path):
    import pygame

    from demo.panel import HEIGHT, WIDTH, draw
    from motcua.fonts import font_path

    class Watcher:
        states: dict = {}

    pygame.init()
    try:
        screen = pygame.display.set_mode((WIDTH, HEIGHT))
        panel = Panel(Workspace(tmp_path), demo_hall, Watcher())  # type: ignore[arg-type]
        draw(
            pygame,
            screen,
            panel,
            pygame.font.Font(str(font_path()), 17),
            pygame.font.Font(str(font_path(bold=True)), 18),
        )
        out = Path("test-output") / "demo"
        out.mkdir(parents=True, exist_ok=True)
        pygame.image.save(screen, str(out / "panel.png"))
        assert screen.get_at((30, 110))[:3] != (12, 24, 48)  # a keypad button was drawn there
    finally:
        # Not pygame.quit(): it quits freetype too, and the kiosk's cached fonts (kiosk.ui.painter.load_font) would be
        # dead for the screen tests run after this one in the same process.
        pygame.font.quit()
        pygame.display.quit()


def _imports(package: str) -> dict[str, set[str]]:
    """Every module of `package` and the project modules it imports (at module level or inside functions)."""
    import ast

    root = Path(__file__).resolve().parent.parent
    graph: dict[str, set[str]] = {}
    for path in sorted((root / package).rglob("*.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[module] = names
    return graph


def test_the_shared_library_does_not_know_the_demo():
    for module, names in _imports("motcua").items():
        assert not {n for n in names if n == "demo" or n.startswith("demo.")}, module


def test_the_demo_and_the_shared_library_import_without_a_cycle():
    graph = {**_imports("motcua"), **_imports("demo")}
    edges = {module: {n for n in names if n in graph and n != module} for module, names in graph.items()}
    assert edges["demo.main"] >= {"demo.hall", "demo.panel"}  # the graph was read: a cycle could be found
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        assert module not in visiting, "import cycle: " + " -> ".join([*visiting, module])
        if module in done:
            return
        visiting.append(module)
        for imported in sorted(edges[module]):
            visit(imported)
        visiting.pop()
        done.add(module)

    for module in sorted(edges):
        visit(module)


def test_the_summary_figures_are_the_reports_own(hall: HallConfig, tmp_path: Path):
    """`report_figures` (what the demo prints) against the CSV `motcua report` writes from the same database."""
    import random
    from datetime import date

    from coordinator.simulate import load_profile, plan_day, simulate
    from demo.main import report_figures
    from motcua.cli import main as motcua

    monday = date(2026, 11, 23)
    plan = plan_day(hall, monday, load_profile(WARD_HALL).behaviour(120), random.Random(2))
    database = Path(simulate(hall, plan, tmp_path / "run")["database"])
    figures = report_figures(database, hall, monday)
    out = tmp_path / "report"
    command = ["report", "--db", str(database), "--hall", str(WARD_HALL), "--period", "day", "--date", "2026-11-23"]
    assert motcua(["--log-level", "WARNING", *command, "--format", "csv", "--out", str(out)]) == 0
    queue, satisfaction = _hall_row(out, "queue"), _hall_row(out, "satisfaction")
    assert figures["tickets_issued"] == int(queue["Phiếu đã cấp"]) > 50
    assert figures["wait_mean_min"] == float(queue["Chờ: trung bình (phút)"])
    assert figures["wait_p90_min"] == float(queue["Chờ: 90% không quá (phút)"])
    assert figures["served"] == int(queue["Đã phục vụ"]) and figures["no_show"] == int(queue["Vắng mặt khi gọi"])
    assert figures["ratings"]["counted"] == int(satisfaction["Tổng số lượt đánh giá"])
    assert figures["ratings"]["misuse"] == int(satisfaction["Lượt bấm không hợp lệ (không tính)"])
    assert figures["ratings"]["unbound"] == int(satisfaction["Lượt bấm không gắn với lượt phục vụ (không tính)"])
    assert figures["satisfied_percent"] == float(satisfaction["Hài lòng: tỷ lệ (%)"])
