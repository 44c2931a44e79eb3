"""The province mode in a real browser: Debian's chromium (headless, Selenium) against the real `motcua console`
process in its province mode, on a real PostgreSQL seeded as tests/test_console_province.py seeds it. Also makes
the screenshots of docs/console.md ("Province mode")."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_support import PASSWORD
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from test_console_browser import browser, run_cli, sign_in, text_of  # noqa: F401 - shared machinery
from test_console_province import AN_KHANH, HOA_BINH, NOW, seed, write_province_toml

from motcua.clock import clock_spec
from motcua.localbroker import free_port, wait_for_port

pytestmark = pytest.mark.slow  # a console process, a PostgreSQL and a browser: ~10 s

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "console"
DOC_SHOTS = ROOT / "docs" / "screenshots" / "console"


@pytest.fixture
def province_console_url(province_dsn: str, tmp_path: Path) -> Iterator[str]:
    """`motcua console` in its province mode on a free loopback port, its clock at Monday 23/11/2026 09:00."""
    seed(province_dsn)
    province_toml = write_province_toml(tmp_path, province_dsn)
    port = free_port()
    config = tmp_path / "console.toml"
    config.write_text(
        f'mode = "province"\naccounts = "{tmp_path / "province-console.db"}"\nrefresh_s = 5\n'
        f'[province]\nconfig = "{province_toml}"\n[web]\nhost = "127.0.0.1"\nport = {port}\n'
        "[alerts]\nsatisfaction_minimum = 2\n",
        encoding="utf-8",
    )
    env = {**os.environ, "MOTCUA_CLOCK": clock_spec(NOW, 1.0, time.time())}
    made = run_cli(
        "console", "--config", str(config), "create-account", "--username", "tinh", "--name", "Lê Thị Tỉnh",
        "--role", "province", stdin=PASSWORD + "\n", env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    log = (tmp_path / "console.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "motcua.cli", "console", "--config", str(config)], env=env, stdout=log, stderr=log
    )
    try:
        wait_for_port(port, timeout=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            code = process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        log.close()
        assert code == 0, f"the province console did not stop cleanly on SIGTERM: {code}"
        assert PASSWORD not in (tmp_path / "console.log").read_text(), "a password reached the console's log"


def test_province_manager_signs_in_and_sees_the_halls(province_console_url: str, browser):  # noqa: F811
    sign_in(browser, province_console_url, "tinh")
    wait = WebDriverWait(browser, 15)
    wait.until(lambda d: d.find_elements(By.ID, f"hall-{HOA_BINH}"))
    assert browser.current_url.endswith("/halls")
    row = text_of(browser, f"hall-{HOA_BINH}")
    assert "Trung tâm PVHCC phường Hòa Bình" in row and "Trực tuyến" in row and "50,0%" in row
    assert "Mất kết nối từ 07:12" in text_of(browser, f"hall-{AN_KHANH}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "province-halls-1366x768.png"))
    # the page polls its figures (htmx, every refresh_s): the table is replaced and still there
    first = browser.find_element(By.ID, "halls")
    wait.until(lambda d: not _attached(first))
    assert "Trực tuyến" in text_of(browser, f"hall-{HOA_BINH}")

    browser.find_element(By.ID, "nav-alerts").click()
    wait.until(lambda d: d.find_elements(By.ID, f"alert-gap-{AN_KHANH}"))
    assert "thiếu 2 sự kiện" in text_of(browser, f"alert-gap-{AN_KHANH}")
    browser.save_screenshot(str(SHOTS / "province-alerts-1366x768.png"))

    browser.find_element(By.ID, "nav-reports").click()
    wait.until(lambda d: d.find_elements(By.ID, "report-from"))
    browser.get(f"{province_console_url}/reports?period=week&date=2026-11-23")
    wait.until(lambda d: d.find_elements(By.ID, "summary"))
    assert "TOÀN TỈNH" in text_of(browser, "summary")
    browser.save_screenshot(str(SHOTS / "province-reports-1366x768.png"))

    browser.find_element(By.ID, "lang").click()
    browser.get(f"{province_console_url}/halls")
    wait.until(lambda d: "Offline since 07:12" in text_of(d, f"hall-{AN_KHANH}"))
    if os.environ.get("MOTCUA_UPDATE_SCREENSHOTS"):  # the docs' copies are refreshed on request only
        for name in ("province-halls-1366x768.png", "province-alerts-1366x768.png", "province-reports-1366x768.png"):
            shutil.copyfile(SHOTS / name, DOC_SHOTS / name)


def _attached(element) -> bool:  # type: ignore[no-untyped-def]
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        element.is_enabled()
        return True
    except StaleElementReferenceException:
        return False
