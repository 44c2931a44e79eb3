"""The console in `make demo`: its config, demo accounts (printed, since a demo has no secrets to keep), and
headless screenshots of the officer's and the manager's pages (Debian's chromium, as in the tests)."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import tomli_w

from console.accounts import AccountStore, Role
from motcua.hall import HallConfig

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-motcua-2026"  # noqa: S105 - printed by the demo for the person trying it; never deployed
#: Sizes of the screenshots: a counter PC and a phone.
SIZES = {"1366x768": (1366, 768), "phone": (390, 844)}


def write_config(folder: Path, *, hall: Path, database: Path, mqtt: dict[str, Any], port: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "console.toml"
    data = {
        "device": {"id": "console", "site": _site(hall)},
        "hall": str(hall),
        "database": str(database),
        "accounts": str(folder / "console-accounts.db"),
        "mqtt": mqtt,
        "web": {"host": "127.0.0.1", "port": port},
    }
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def make_accounts(accounts: Path, hall: HallConfig, now: datetime) -> dict[str, str]:
    """An admin, a manager and an officer account per counter's default officer: username -> what it is."""
    store = AccountStore(accounts)
    made = {}
    try:
        store.create("quantri", "Quản trị viên", Role.ADMIN, DEMO_PASSWORD, officer=None, now=now)
        made["quantri"] = "admin"
        store.create("lanhdao", "Lãnh đạo bộ phận", Role.MANAGER, DEMO_PASSWORD, officer=None, now=now)
        made["lanhdao"] = "manager"
        for counter in hall.counters:
            if counter.officer and store.by_officer(counter.officer) is None:
                name = hall.officer_name(counter.officer) or counter.officer
                store.create(counter.officer, name, Role.OFFICER, DEMO_PASSWORD, officer=counter.officer, now=now)
                made[counter.officer] = f"officer at {counter.display_name}"
    finally:
        store.close()
    return made


def screenshots(url: str, out: Path, *, officer: str, manager: str = "lanhdao", counter: int = 1) -> list[Path]:
    """PNG of the officer's desk and the manager's hall view at each size; [] if no browser is installed."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        logger.warning("selenium is not installed: no console screenshots")
        return []
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--hide-scrollbars"):
        options.add_argument(arg)
    try:
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    except Exception as exc:  # no chromium on this machine: the demo goes on without pictures
        logger.warning("no console screenshots (chromium: %s)", exc)
        return []
    out.mkdir(parents=True, exist_ok=True)
    taken = []
    try:
        wait = WebDriverWait(driver, 20)
        for who, page in ((officer, "desk"), (manager, "hall")):
            driver.delete_all_cookies()
            driver.set_window_size(*SIZES["1366x768"])
            driver.get(f"{url}/login")
            driver.find_element(By.ID, "username").send_keys(who)
            driver.find_element(By.ID, "password").send_keys(DEMO_PASSWORD)
            driver.find_element(By.ID, "sign-in").click()
            if page == "desk":
                wait.until(lambda d: d.find_elements(By.ID, f"counter-{counter}") or d.find_elements(By.ID, "live"))
                if not driver.find_elements(By.ID, "live"):
                    driver.find_element(By.ID, f"counter-{counter}").click()
            wait.until(lambda d: d.find_elements(By.ID, "live"))
            for size, (width, height) in SIZES.items():
                driver.set_window_size(width, height)
                driver.refresh()
                wait.until(lambda d: d.find_elements(By.ID, "live"))
                path = out / f"console-{'officer' if page == 'desk' else 'manager'}-{size}.png"
                driver.save_screenshot(str(path))
                taken.append(path)
    finally:
        driver.quit()
    return taken


def _site(hall: Path) -> str:
    from motcua.hall import load_hall

    return load_hall(hall).hall.site
