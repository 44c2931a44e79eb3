"""The console's web app in this process (Starlette's TestClient) against a real Mosquitto and coordinator:
sign-in, role checks on every route, CSRF, expiry, the officer's desk and its bad paths."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import WARD_HALL
from console_support import (
    ACCOUNTS,
    PASSWORD,
    add_accounts,
    cheap_hasher,
    csrf_of,
    start_coordinator,
    take_ticket,
)
from starlette.routing import Mount, Route
from starlette.testclient import TestClient
from waiting import wait_until

from console.accounts import AccountStore, Role
from console.app import PUBLIC_PATHS, Console, create_app
from console.figures import Figures
from console.link import HallLink
from console.web import LoginLimiter
from motcua.clock import FixedClock
from motcua.contract import CounterAction, CounterStatus, EventKind, EventReason


@pytest.fixture
def console(broker, hall, procedures, coordinator, clock, tmp_path: Path) -> Iterator[Console]:  # type: ignore[no-untyped-def]
    link = HallLink(broker.settings("console"), device="console", site=hall.hall.site, clock=clock, timeout_s=2.0)
    link.start()
    assert link.session.wait_connected(5)
    accounts = AccountStore(tmp_path / "console.db", hasher=cheap_hasher())
    add_accounts(accounts, clock)
    app = Console(
        hall=hall,
        link=link,
        accounts=accounts,
        figures=Figures(tmp_path / "coordinator.db", hall),
        clock=clock,
        limiter=LoginLimiter(per_account=5, per_address=50, window_s=900),
        procedure_names={p.code: p.name for p in procedures},
    )
    wait_until(lambda: link.board is not None and len(link.counters) == len(hall.counters), what="retained state")
    try:
        yield app
    finally:
        link.stop()
        accounts.close()


def client_for(console: Console) -> TestClient:
    return TestClient(create_app(console), base_url="http://127.0.0.1")


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf": token}, follow_redirects=False
    )


def signed_in(console: Console, username: str) -> TestClient:
    client = client_for(console)
    assert sign_in(client, username).status_code == 303
    return client


def post(client: TestClient, path: str, **data: str) -> Any:
    token = csrf_of(client.get("/desk" if path.startswith("/desk") else "/").text)
    return client.post(path, data={"csrf": token, **data})


# --- sign-in ---------------------------------------------------------------------------------------------


def test_wrong_password_is_refused_in_vietnamese(console: Console):
    client = client_for(console)
    response = sign_in(client, "lan", "sai-mat-khau-roi")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.text
    assert client.get("/desk", follow_redirects=False).headers["location"] == "/login"


def test_login_is_rate_limited_per_account(console: Console):
    client = client_for(console)
    for _ in range(5):
        assert sign_in(client, "lan", "sai-mat-khau-roi").status_code == 401
    refused = sign_in(client, "lan")  # the right password, too late
    assert refused.status_code == 429
    assert "quá nhiều lần" in refused.text
    assert sign_in(client_for(console), "minh").status_code == 303  # another account is not locked out


def test_login_without_its_csrf_cookie_is_refused(console: Console):
    client = client_for(console)
    token = csrf_of(client.get("/login").text)
    client.cookies.clear()
    response = client.post("/login", data={"username": "lan", "password": PASSWORD, "csrf": token})
    assert response.status_code == 403


def test_session_cookie_is_httponly_and_strict(console: Console):
    response = sign_in(client_for(console), "lan")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Max-Age=" in cookie


def test_security_headers_on_every_response(console: Console):
    client = signed_in(console, "lan")
    for path in ("/login", "/desk", "/static/console.css"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"


def test_expired_session_must_sign_in_again(console: Console):
    client = signed_in(console, "lan")
    assert client.get("/desk").status_code == 200
    console.accounts.expire_all("lan", at=console.clock.now() - timedelta(seconds=1))
    response = client.get("/desk", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_sign_out_revokes_the_session_on_the_server(console: Console):
    client = signed_in(console, "truong")
    stolen = client.cookies.get("motcua_session")
    token = csrf_of(client.get("/hall").text)
    client.post("/logout", data={"csrf": token})
    thief = client_for(console)
    thief.cookies.set("motcua_session", stolen)
    assert thief.get("/hall", follow_redirects=False).status_code == 303


def test_disabled_account_is_signed_out_at_once(console: Console):
    officer = signed_in(console, "lan")
    admin = signed_in(console, "quantri")
    token = csrf_of(admin.get("/accounts").text)
    admin.post("/accounts", data={"csrf": token, "what": "disable", "username": "lan"})
    assert console.accounts.get("lan").disabled
    assert officer.get("/desk", follow_redirects=False).status_code == 303
    assert sign_in(client_for(console), "lan").status_code == 401


# --- every route checks its role ---------------------------------------------------------------------------


def test_every_route_refuses_anonymous_and_wrong_roles(console: Console):
    app = create_app(console)
    checked = 0
    clients = {role: signed_in(console, u) for u, (_, role, _) in ACCOUNTS.items() if u != "minh"}
    for route in app.routes:
        if isinstance(route, Mount) or route.path in PUBLIC_PATHS:  # type: ignore[attr-defined]
            continue
        assert isinstance(route, Route)
        roles = getattr(route.endpoint, "roles", None)
        assert roles, f"{route.path} declares no roles"
        for method in sorted(route.methods or set()):
            if method == "HEAD":
                continue
            anonymous = client_for(console).request(method, route.path, follow_redirects=False)
            assert anonymous.status_code in (303, 401), (method, route.path, anonymous.status_code)
            if anonymous.status_code == 303:
                assert anonymous.headers["location"] == "/login"
            for role, client in clients.items():
                if Role(role) in roles:
                    continue
                data = {"csrf": csrf_of(client.get("/").text)} if method == "POST" else None
                refused = client.request(method, route.path, data=data, follow_redirects=False)
                assert refused.status_code == 403, (role, method, route.path, refused.status_code)
                checked += 1
    assert checked >= 10


def test_officer_on_a_manager_route_is_told_in_vietnamese(console: Console):
    response = signed_in(console, "lan").get("/hall")
    assert response.status_code == 403
    assert "không có quyền" in response.text


# --- the officer's desk ------------------------------------------------------------------------------------


def test_officer_takes_a_counter_and_calls_next(console: Console, sessions, clock):
    kiosk = sessions("kiosk-1", role="kiosk")
    issued = take_ticket(kiosk, clock)
    client = signed_in(console, "lan")
    page = post(client, "/desk/counter", counter="1")
    assert "Đã nhận Quầy 1" in page.text or "Quầy 1" in page.text
    state = console.link.counters[1]
    assert state.officer == "nguyen-thi-lan" and state.status is CounterStatus.OPEN
    assert issued.ticket.label in client.get("/desk/live").text  # in the waiting line
    page = post(client, "/desk/action", action="next")
    assert f"Đã gọi số {issued.ticket.label}." in page.text
    assert console.link.counters[1].serving.label == issued.ticket.label
    wait_until(lambda: console.link.board.calls and console.link.board.calls[0].label == issued.ticket.label)


def test_call_specific_ticket_and_transfer(console: Console, sessions, clock, tmp_path: Path):
    kiosk = sessions("kiosk-1", role="kiosk")
    first, second = take_ticket(kiosk, clock), take_ticket(kiosk, clock)
    client = signed_in(console, "lan")
    post(client, "/desk/counter", counter="1")
    post(client, "/desk/action", action="call_ticket", ticket_id=second.ticket.id)
    assert console.link.counters[1].serving.label == second.ticket.label
    post(client, "/desk/action", action="transfer", service="chung-thuc")
    assert console.link.counters[1].serving is None
    import sqlite3

    db = sqlite3.connect(tmp_path / "coordinator.db")
    called = db.execute("SELECT ticket_id, reason FROM events WHERE kind = ?", (EventKind.CALLED.value,)).fetchall()
    service = db.execute("SELECT service FROM tickets WHERE id = ?", (second.ticket.id,)).fetchone()[0]
    assert called == [(second.ticket.id, EventReason.OUT_OF_ORDER.value)]
    assert service == "chung-thuc"
    assert first.ticket.label in client.get("/desk/live").text


def test_pause_with_a_reason_and_resume(console: Console, tmp_path: Path):
    client = signed_in(console, "lan")
    post(client, "/desk/counter", counter="1")
    post(client, "/desk/action", action="pause", reason="Họp giao ban")
    assert console.link.counters[1].status is CounterStatus.PAUSED
    post(client, "/desk/action", action="resume")
    assert console.link.counters[1].status is CounterStatus.OPEN
    import sqlite3

    db = sqlite3.connect(tmp_path / "coordinator.db")
    assert db.execute("SELECT detail FROM events WHERE kind = 'paused'").fetchall() == [("Họp giao ban",)]


def test_second_sign_in_at_another_counter_is_refused(console: Console):
    desk_pc = signed_in(console, "lan")
    post(desk_pc, "/desk/counter", counter="1")
    phone = signed_in(console, "lan")
    page = post(phone, "/desk/counter", counter="2")
    assert "Bạn đang đăng nhập tại Quầy 1" in page.text
    assert console.link.counters[2].officer != "nguyen-thi-lan"
    assert console.link.counters[1].officer == "nguyen-thi-lan"
    other = signed_in(console, "minh")  # and a counter held by someone else is not taken from them
    page = post(other, "/desk/counter", counter="1")
    assert "đang do Nguyễn Thị Lan phụ trách" in page.text
    assert console.link.counters[1].officer == "nguyen-thi-lan"


def test_missing_or_forged_csrf_changes_nothing(console: Console, sessions, clock):
    take_ticket(sessions("kiosk-1", role="kiosk"), clock)
    client = signed_in(console, "lan")
    post(client, "/desk/counter", counter="1")
    assert client.post("/desk/action", data={"action": "next"}).status_code == 403
    assert client.post("/desk/action", data={"action": "next", "csrf": "x" * 43}).status_code == 403
    time.sleep(0.3)
    assert console.link.counters[1].serving is None


@pytest.mark.slow  # waits out a command's deadline in real time
def test_command_while_the_coordinator_is_down_is_never_applied_later(
    broker, hall, procedures, clock, tmp_path: Path, sessions
):
    db = tmp_path / "down" / "coordinator.db"
    db.parent.mkdir()
    coordinator = start_coordinator(broker, hall, procedures, clock, db)
    link = HallLink(broker.settings("console"), device="console", site=hall.hall.site, clock=clock, timeout_s=1.5)
    link.start()
    accounts = AccountStore(tmp_path / "console.db", hasher=cheap_hasher())
    add_accounts(accounts, clock)
    console = Console(hall=hall, link=link, accounts=accounts, figures=Figures(db, hall), clock=clock)
    try:
        wait_until(lambda: len(link.counters) == len(hall.counters), what="retained counter states")
        issued = take_ticket(sessions("kiosk-1", role="kiosk"), clock)
        client = signed_in(console, "lan")
        post(client, "/desk/counter", counter="1")
        coordinator.stop()
        page = post(client, "/desk/action", action="next")
        assert "Máy điều phối không trả lời" in page.text
        coordinator = start_coordinator(broker, hall, procedures, clock, db)  # the broker held nothing for it
        time.sleep(1.0)
        assert coordinator.engine.counters[1].serving is None
        assert coordinator.engine.tickets[issued.ticket.id].status.value == "waiting"
    finally:
        coordinator.stop()
        link.stop()
        accounts.close()


def test_hostile_names_and_notices_are_shown_as_text(console: Console):
    console.accounts.create(
        "hostile", "<script>alert(1)</script>", Role.MANAGER, PASSWORD, officer=None, now=console.clock.now()
    )
    client = signed_in(console, "hostile")
    page = client.get("/hall").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    token = csrf_of(page)
    client.post("/hall/notice", data={"csrf": token, "text": '"><img src=x onerror=alert(1)>'})
    wait_until(lambda: console.link.notice is not None, what="the notice comes back retained")
    page = client.get("/hall").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    wait_until(lambda: console.link.board.notice == '"><img src=x onerror=alert(1)>', what="notice on the board")


# --- the manager's hall view, alerts and reports ---------------------------------------------------------


def test_manager_sees_a_long_wait_as_an_alert_kept_in_the_list(console: Console, sessions, clock):
    issued = take_ticket(sessions("kiosk-1", role="kiosk"), clock)
    client = signed_in(console, "truong")
    page = client.get("/hall").text
    assert "Không có cảnh báo." in page and "Hôm nay: đã cấp 1 phiếu" in page
    target = console.hall.service("ho-tich").target_wait_min
    console.clock = FixedClock(clock.now() + timedelta(minutes=target + 5))  # the citizen has waited past the target
    page = client.get("/hall").text
    assert f"có người đã chờ {target + 5} phút (mục tiêu {target} phút)" in page
    assert [a.key for a in console.alerts.active.values()] == ["wait:ho-tich"]
    post(signed_in(console, "lan"), "/desk/counter", counter="1")
    console.link.command(1, CounterAction.NEXT)  # the ticket is called: the rule no longer holds
    page = client.get("/hall").text
    assert "Không có cảnh báo." in page and "Cảnh báo đã qua (1)" in page
    assert issued.ticket.label in page  # counter 1 serving it


def test_manager_gets_the_report_package_output(console: Console, sessions, clock, tmp_path: Path):
    console.hall_path = WARD_HALL
    issued = take_ticket(sessions("kiosk-1", role="kiosk"), clock)
    post(signed_in(console, "lan"), "/desk/counter", counter="1")
    console.link.command(1, CounterAction.NEXT)
    console.link.command(1, CounterAction.FINISH)
    client = signed_in(console, "truong")
    day = clock.now().astimezone(console.hall.hall.zone).date().isoformat()
    html = client.get("/reports/file", params={"period": "day", "date": day, "by": "service", "format": "html"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Hộ tịch" in html.text
    csv = client.get("/reports/file", params={"period": "day", "date": day, "by": "service", "format": "csv"})
    assert csv.status_code == 200 and csv.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(csv.content)).namelist()
    assert names and all(name.endswith(".csv") for name in names)
    assert issued.ticket.service == "ho-tich"
    refused = client.get("/reports/file", params={"period": "year", "format": "html"})
    assert refused.status_code == 400


def test_the_console_report_carries_the_bookings_part_of_the_report_package(
    console: Console, coordinator, sessions, clock, tmp_path: Path
):
    """The console makes reports with `motcua report`'s own code: a day with a booking has its bookings part."""
    from coordinator.bookings import Booking
    from coordinator.store import Store

    console.hall_path = WARD_HALL
    slot = clock.now() + timedelta(minutes=20)
    importer = Store(tmp_path / "coordinator.db")  # a connection of its own, as `motcua bookings import`
    try:
        booked = [Booking(code="DL-0042", service="ho-tich", slot_start=slot, slot_end=slot + timedelta(minutes=15))]
        importer.import_bookings(booked, coordinator.engine.business_day_of, clock.now())
    finally:
        importer.close()
    issued = take_ticket(sessions("kiosk-1", role="kiosk"), clock, service=None, booking="DL-0042", priority="elderly")
    assert issued.ticket.booked_for == slot and issued.ticket.priority == "elderly"
    client = signed_in(console, "truong")
    day = clock.now().astimezone(console.hall.hall.zone).date().isoformat()
    html = client.get("/reports/file", params={"period": "day", "date": day, "by": "service", "format": "html"})
    assert html.status_code == 200 and "Lịch hẹn: đúng giờ / trễ / không đến" in html.text
    csv = client.get("/reports/file", params={"period": "day", "date": day, "by": "service", "format": "csv"})
    names = zipfile.ZipFile(io.BytesIO(csv.content)).namelist()
    assert any(name.endswith("_bookings.csv") for name in names), names


def test_admin_accounts_stay_consistent_with_the_halls_officers(console: Console):
    admin = signed_in(console, "quantri")
    token = csrf_of(admin.get("/accounts").text)
    form = {"csrf": token, "what": "create", "role": "officer", "password": PASSWORD}
    page = admin.post("/accounts", data={**form, "username": "ai-do", "officer": "khong-co-that"})
    assert "Không thực hiện được" in page.text and console.accounts.get("ai-do") is None
    page = admin.post("/accounts", data={**form, "username": "hoa", "officer": "le-thi-hoa"})
    assert "Đã tạo tài khoản hoa." in page.text
    assert console.accounts.get("hoa").name == "Lê Thị Hoa"  # the name comes from hall.toml
    admin.post("/accounts", data={"csrf": token, "what": "password", "username": "hoa", "password": "mat-khau-moi-123"})
    assert sign_in(client_for(console), "hoa", "mat-khau-moi-123").status_code == 303


def test_finish_with_a_dossier_code_stores_it_and_a_bad_code_is_refused(console: Console, sessions, clock, tmp_path):
    kiosk = sessions("kiosk-1", role="kiosk")
    first, second = take_ticket(kiosk, clock), take_ticket(kiosk, clock)
    client = signed_in(console, "lan")
    post(client, "/desk/counter", counter="1")
    post(client, "/desk/action", action="next")
    page = post(client, "/desk/action", action="finish", dossier_code="H49\x1b[2J-0007")
    assert "Mã hồ sơ không hợp lệ" in page.text
    assert console.link.counters[1].serving.label == first.ticket.label  # nothing sent: still at the desk
    page = post(client, "/desk/action", action="finish", dossier_code=" 000.00.12.H49-261123-0007 ")
    assert "Đã xong phiếu." in page.text
    import sqlite3

    db = sqlite3.connect(tmp_path / "coordinator.db")
    rows = db.execute("SELECT id, status, dossier_code FROM tickets ORDER BY seq").fetchall()
    assert rows == [
        (first.ticket.id, "served", "000.00.12.H49-261123-0007"),
        (second.ticket.id, "waiting", None),
    ]


def test_english_option_for_officers_and_managers(console: Console, sessions, clock):
    issued = take_ticket(sessions("kiosk-1", role="kiosk"), clock)
    client = signed_in(console, "lan")
    page = client.get("/lang", params={"to": "en"}, headers={"referer": "http://127.0.0.1/desk"})
    assert page.url.path == "/desk" and "Choose your counter" in page.text and '<html lang="en">' in page.text
    post(client, "/desk/counter", counter="1")
    page = post(client, "/desk/action", action="next")
    assert f"Called {issued.ticket.label}." in page.text and "Leave the counter" in page.text
    assert "Gọi tiếp" not in page.text
    manager = signed_in(console, "truong")
    manager.get("/lang", params={"to": "en"})
    hall_page = manager.get("/hall").text
    assert "Satisfaction today:" in hall_page and "Notice on the board" in hall_page
    assert "Mức độ hài lòng" not in hall_page
    back = client.get("/lang", params={"to": "vi"}, headers={"referer": "https://evil.example/desk"})
    assert back.url.host == "127.0.0.1" and "Gọi tiếp" in back.text  # only a path of this site is followed


def test_an_officer_acts_only_on_the_counter_their_session_holds(console: Console, sessions, clock):
    kiosk = sessions("kiosk-1", role="kiosk")
    take_ticket(kiosk, clock, "chung-thuc")  # counter 3's service only
    client = signed_in(console, "lan")
    post(client, "/desk/counter", counter="1")
    page = post(client, "/desk/action", action="next", counter="3")  # a forged field: ignored
    assert "Không còn ai đang chờ cho quầy này." in page.text  # counter 1 (ho-tich) was asked, and has nobody
    assert console.link.counters[3].status is CounterStatus.CLOSED and console.link.counters[3].serving is None
    refused = post(client, "/desk/action", action="sign_in", officer="le-thi-hoa")
    assert "Yêu cầu không hợp lệ." in refused.text  # not a desk action


def test_a_kiosk_out_of_paper_shows_on_the_managers_device_health(console: Console, broker, clock, tmp_path: Path):
    from kiosk_support import kiosk_config, run_until

    from kiosk.app import KioskApp
    from kiosk.model import PrinterStatus

    app = KioskApp(kiosk_config(tmp_path, mqtt=broker.settings("kiosk-1")), clock=clock).start()
    try:
        run_until(app, lambda: app.session.connected and app.controller.state.printer is PrinterStatus.OK)
        manager = signed_in(console, "truong")
        wait_until(lambda: "kiosk-1" in console.link.devices, what="the kiosk online")
        assert "Hết giấy" not in manager.get("/hall").text
        app.printer.simulated.state = "no_paper"  # type: ignore[union-attr]
        app._refresh_printer()
        run_until(app, lambda: app.controller.state.printer is PrinterStatus.NO_PAPER)
        wait_until(lambda: console.link.devices["kiosk-1"].status.problems, what="the problem in the status")
        page = manager.get("/hall").text
        row = page[page.index('id="device-kiosk-1"') :].split("</tr>")[0]
        assert "Hết giấy" in row and "Trực tuyến" in row
        manager.get("/lang", params={"to": "en"})
        assert "Out of paper" in manager.get("/hall").text
        app.printer.simulated.state = "ok"  # type: ignore[union-attr]
        app._refresh_printer()
        run_until(app, lambda: app.controller.state.printer is PrinterStatus.OK)
        wait_until(lambda: not console.link.devices["kiosk-1"].status.problems, what="the problem cleared")
    finally:
        app.stop()


def test_admin_accounts_page_in_english(console: Console):
    admin = signed_in(console, "quantri")
    page = admin.get("/accounts").text
    assert "Tạo tài khoản" in page and "Vai trò" in page
    admin.get("/lang", params={"to": "en"})
    page = admin.get("/accounts").text
    assert '<html lang="en">' in page
    for english in ("Create an account", "Full name", "Role", "New password", "Reset", "Password (at least 10"):
        assert english in page, english
    for vietnamese in ("Tạo tài khoản", "Họ tên", "Vai trò", "Mật khẩu mới", "Đặt lại", "Hoạt động"):
        assert vietnamese not in page, vietnamese
    token = csrf_of(page)
    form = {"csrf": token, "what": "create", "role": "officer", "password": PASSWORD, "officer": "le-thi-hoa"}
    page = admin.post("/accounts", data={**form, "username": "hoa"}).text
    assert "Account hoa created." in page and "Officer" in page and "Active" in page
