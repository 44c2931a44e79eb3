"""The console in a real browser: Debian's chromium driven headless by Selenium (Debian's chromedriver; nothing
downloads a browser), against a real Mosquitto, the real coordinator and the real `motcua console` process."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import WARD_HALL
from console_support import PASSWORD, take_ticket, write_console_config
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from test_pad_e2e import devices  # noqa: F401 - the real keypad process fixture, shared
from waiting import wait_until

from motcua.clock import clock_spec
from motcua.contract import Board, CounterState, parse
from motcua.localbroker import free_port, wait_for_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def chromium(width: int = 1366, height: int = 768) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def run_cli(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "motcua.cli", *args], input=stdin, text=True, capture_output=True, env=env, check=False
    )


@pytest.fixture
def console_url(broker, coordinator, clock, tmp_path: Path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A `motcua console` process on a free loopback port, with an officer and a manager account."""
    port = free_port()
    folder = tmp_path / "console"
    folder.mkdir()
    config = write_console_config(folder, broker, WARD_HALL, tmp_path / "coordinator.db", port)
    env = {**os.environ, "MOTCUA_CLOCK": clock_spec(clock.start, clock.speed, clock.anchor)}
    made = run_cli(
        "console",
        "--config",
        str(config),
        "create-admin",
        "--username",
        "quantri",
        "--name",
        "Quản trị",
        stdin=PASSWORD + "\n",
        env=env,
    )
    assert made.returncode == 0, made.stderr
    for username, name, role, officer in (
        ("lan", "Nguyễn Thị Lan", "officer", "nguyen-thi-lan"),
        ("truong", "Đỗ Văn Trưởng", "manager", None),
    ):
        extra = ["--officer", officer] if officer else []
        made = run_cli(
            "console",
            "--config",
            str(config),
            "create-account",
            "--username",
            username,
            "--name",
            name,
            "--role",
            role,
            *extra,
            stdin=PASSWORD + "\n",
            env=env,
        )
        assert made.returncode == 0, made.stderr
    log = (folder / "console.log").open("w")
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
        assert code == 0, f"the console did not stop cleanly on SIGTERM: {code}"
        text = (folder / "console.log").read_text()
        assert PASSWORD not in text, "a password reached the console's log"


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()


def sign_in(driver: webdriver.Chrome, url: str, username: str) -> None:
    driver.get(f"{url}/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "sign-in").click()


def text_of(driver: webdriver.Chrome, element_id: str) -> str:
    """The element's text, or "" when absent; the live view may replace it between finding and reading."""
    for _ in range(5):
        elements = driver.find_elements(By.ID, element_id)
        if not elements:
            return ""
        try:
            return str(elements[0].text)
        except StaleElementReferenceException:
            continue
    return ""


def test_officer_runs_the_counter_from_the_browser(console_url: str, browser, sessions, clock):
    keypad = sessions("keypad-1", role="keypad")
    display = sessions("display-1", role="display")
    seen: dict[str, object] = {}
    keypad.subscribe(
        keypad.topics.counter_state(1), lambda m: seen.__setitem__("state", parse(CounterState, m.payload))
    )
    display.subscribe(
        display.topics.board(), lambda m: seen.__setitem__("board", parse(Board, m.payload, max_bytes=None))
    )
    kiosk = sessions("kiosk-1", role="kiosk")

    sign_in(browser, console_url, "lan")
    wait = WebDriverWait(browser, 15)
    wait.until(lambda d: d.find_elements(By.ID, "counter-1"))
    browser.find_element(By.ID, "counter-1").click()
    wait.until(lambda d: d.find_elements(By.ID, "serving-number"))
    wait_until(lambda: seen.get("state") and seen["state"].officer == "nguyen-thi-lan", what="keypad sees the sign-in")

    first = take_ticket(kiosk, clock).ticket
    # the live view (Server-Sent Events) shows the new ticket in the waiting line without a reload
    wait.until(lambda d: d.find_elements(By.ID, f"waiting-{first.label}"))
    browser.find_element(By.TAG_NAME, "body").send_keys("n")  # the keyboard shortcut of "Gọi tiếp"
    wait.until(lambda d: f"Đã gọi số {first.label}." in text_of(d, "flash"))  # the page after the action
    assert text_of(browser, "serving-number") == first.label
    wait_until(lambda: seen["state"].serving and seen["state"].serving.label == first.label, what="keypad's state")
    wait_until(
        lambda: any(c.number == 1 and c.serving == first.label for c in seen["board"].counters), what="the board"
    )

    # transfer to another service: the ticket leaves the desk, keeping its number
    Select(browser.find_element(By.ID, "transfer-service")).select_by_value("chung-thuc")
    browser.find_element(By.ID, "action-transfer").click()
    wait.until(lambda d: text_of(d, "serving-number") == "—")
    wait_until(lambda: seen["state"].serving is None, what="keypad sees the transfer")

    # call a chosen waiting ticket, out of turn
    second, third = take_ticket(kiosk, clock).ticket, take_ticket(kiosk, clock).ticket
    wait.until(lambda d: d.find_elements(By.ID, f"call-{third.label}"))
    browser.find_element(By.ID, f"call-{third.label}").click()
    wait.until(lambda d: text_of(d, "serving-number") == third.label)
    wait_until(lambda: seen["state"].serving and seen["state"].serving.label == third.label, what="keypad, call")
    assert second.label in text_of(browser, "waiting-line")
    shots = ROOT / "test-output" / "console"
    shots.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(shots / "officer-desk-1366x768.png"))
    browser.set_window_size(390, 844)
    browser.refresh()
    wait.until(lambda d: text_of(d, "serving-number") == third.label)
    browser.save_screenshot(str(shots / "officer-desk-phone.png"))


def test_manager_sees_the_hall_and_sets_the_notice(console_url: str, browser, sessions, devices):  # noqa: F811
    display = sessions("display-1", role="display")
    boards: list[Board] = []
    display.subscribe(display.topics.board(), lambda m: boards.append(parse(Board, m.payload, max_bytes=None)))
    sign_in(browser, console_url, "truong")
    wait = WebDriverWait(browser, 15)
    wait.until(lambda d: d.find_elements(By.ID, "notice-text"))
    assert "Quầy 1" in text_of(browser, "counters")
    box = browser.find_element(By.ID, "notice-text")
    box.clear()
    box.send_keys("Từ 01/12 nhận hồ sơ chứng thực cả sáng thứ Bảy")
    browser.find_element(By.ID, "notice-save").click()
    wait_until(lambda: boards and boards[-1].notice == "Từ 01/12 nhận hồ sơ chứng thực cả sáng thứ Bảy", what="notice")

    browser.save_screenshot(str(ROOT / "test-output" / "console" / "manager-hall-1366x768.png"))

    # device health: a real keypad process online, then killed (no goodbye): the page shows it offline
    keypad = devices("keypad", "keypad-1").start()
    browser.refresh()
    wait.until(lambda d: "Trực tuyến" in text_of(d, "device-keypad-1"))
    keypad.kill()
    wait.until(lambda d: "Mất kết nối" in text_of(d, "device-keypad-1"))  # over the live stream, no reload


def test_console_serves_https_with_secure_cookies(broker, coordinator, clock, tmp_path: Path):
    """The deploy's set-up: a certificate and key in console.toml; the session cookie is then Secure."""
    folder = tmp_path / "tls"
    folder.mkdir()
    cert, key = folder / "console.crt", folder / "console.key"
    made = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    port = free_port()
    config = write_console_config(folder, broker, WARD_HALL, tmp_path / "coordinator.db", port, tls=(cert, key))
    env = {**os.environ, "MOTCUA_CLOCK": clock_spec(clock.start, clock.speed, clock.anchor)}
    created = run_cli(
        "console",
        "--config",
        str(config),
        "create-account",
        "--username",
        "truong",
        "--name",
        "Trưởng",
        "--role",
        "manager",
        stdin=PASSWORD + "\n",
        env=env,
    )
    assert created.returncode == 0, created.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "motcua.cli", "console", "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=20)
        with httpx.Client(
            base_url=f"https://127.0.0.1:{port}", verify=ssl.create_default_context(cafile=str(cert))
        ) as client:
            login = client.get("/login")
            assert login.status_code == 200 and "max-age" in login.headers["strict-transport-security"]
            token = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
            signed = client.post("/login", data={"username": "truong", "password": PASSWORD, "csrf": token})
            cookie = signed.headers["set-cookie"]
            assert "motcua_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
        with pytest.raises(httpx.HTTPError):  # no plain HTTP on the same port
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
    finally:
        process.terminate()
        assert process.wait(10) == 0
