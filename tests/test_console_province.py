"""The console's province mode (console.toml ``mode = "province"``) on a real PostgreSQL seeded through the
collector's own writer: the halls page's figures (counted by hand below), offline halls, the alerts, the report
download against `motcua report --province`, authorisation on every route, CSRF and escaping."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import WARD_HALL
from console_support import PASSWORD, cheap_hasher, csrf_of
from starlette.routing import Mount, Route
from starlette.testclient import TestClient
from waiting import wait_until

from console.accounts import AccountStore, Role
from console.config import ProvinceConsoleConfig, load_console_config
from console.province_app import PUBLIC_PATHS, ProvinceConsole, create_province_app
from console.provincial import Thresholds
from motcua.cli import main as motcua
from motcua.clock import FixedClock
from motcua.config import load_config
from motcua.hall import load_hall
from province.config import ProvinceConfig
from province.db import ProvinceDb

ROOT = Path(__file__).resolve().parent.parent
HOA_BINH, AN_KHANH, HOSTILE = "phuong-hoa-binh", "xa-an-khanh", "xa-thu-doc"
HOSTILE_NAME = "<script>alert('x')</script> Trung tâm xã Thử Độc"
LOCAL = timedelta(hours=7)  # Asia/Ho_Chi_Minh


def local(hour: int, minute: int) -> datetime:
    """A time of Monday 23/11/2026 in the halls' zone, as UTC."""
    return datetime(2026, 11, 23, hour, minute, tzinfo=UTC) - LOCAL


NOW = local(9, 0)
#: username -> role: the province's accounts, and two a province's console must refuse
PROVINCE_ACCOUNTS = {"tinh": "province", "quantri": "admin", "truong": "manager", "lan": "officer"}


def row(seq: int, kind: str, at: datetime, **fields: Any) -> tuple[object, ...]:
    """One event as the collector writes it (province.db.EVENT_COLUMNS)."""
    return (
        fields.get("site", HOA_BINH), seq, kind, at, fields.get("counter"), fields.get("ticket_id"),
        fields.get("service"), fields.get("officer"), fields.get("detail"), None, None, fields.get("rating"),
        fields.get("outcome"), fields.get("meaning"), fields.get("procedure"),
    )  # fmt: skip


def hoa_binh_morning() -> list[tuple[object, ...]]:
    """Three tickets issued; A001 waits 10 min and is rated satisfied, A002 waits 21 min and is rated
    unsatisfied, A003 still waits at 09:00. By hand: issued 3, served 2, open 1, mean wait 15.5 min,
    2 counted ratings of which 1 satisfied: 50 %."""
    officer = {"counter": 1, "officer": "nguyen-thi-lan"}
    return [
        row(1, "day_started", local(0, 0), detail="2026-11-23"),
        row(2, "sign_in", local(7, 55), **officer),
        row(3, "issued", local(8, 0), ticket_id="20261123-A001", service="ho-tich"),
        row(4, "issued", local(8, 5), ticket_id="20261123-A002", service="ho-tich"),
        row(5, "issued", local(8, 10), ticket_id="20261123-A003", service="ho-tich"),
        row(6, "called", local(8, 10), ticket_id="20261123-A001", service="ho-tich", **officer),
        row(7, "served", local(8, 20), ticket_id="20261123-A001", service="ho-tich", **officer),
        row(8, "rating", local(8, 21), ticket_id="20261123-A001", service="ho-tich", rating="satisfied",
            outcome="counted", meaning="satisfied", **officer),
        row(9, "called", local(8, 26), ticket_id="20261123-A002", service="ho-tich", **officer),
        row(10, "served", local(8, 30), ticket_id="20261123-A002", service="ho-tich", **officer),
        row(11, "rating", local(8, 31), ticket_id="20261123-A002", service="ho-tich", rating="unsatisfied",
            outcome="counted", meaning="unsatisfied", **officer),
    ]  # fmt: skip


def seed(dsn: str) -> None:
    """Hòa Bình online with its morning; An Khánh offline since 07:12 with events 3 and 4 missing since 08:30."""
    db = ProvinceDb(dsn)
    try:
        db.write([], [], {}, local(7, 0), online={HOA_BINH: True})
        db.write(hoa_binh_morning(), [], {HOA_BINH: 11}, local(8, 45))
        an_khanh = [
            row(n, "issued", local(7, n), site=AN_KHANH, ticket_id=f"20261123-B00{n}", service="ho-tich")
            for n in (1, 2, 5)
        ]
        db.write(an_khanh, [], {AN_KHANH: 2}, local(7, 10))
        db.write([], [], {}, local(7, 12), online={AN_KHANH: False})
        with db.conn.transaction():  # the numbers above the gap arrived at 08:30 (the default is the real now())
            db.conn.execute("UPDATE events SET received_at = %s WHERE site = %s AND seq = 5", (local(8, 30), AN_KHANH))
    finally:
        db.close()


def write_province_toml(folder: Path, dsn: str) -> Path:
    path = folder / "province.toml"
    path.write_text(
        f'province = "Tỉnh Thử Nghiệm"\n[database]\ndsn = "{dsn}"\n'
        f'[[halls]]\nsite = "{HOA_BINH}"\nname = "Trung tâm PVHCC phường Hòa Bình"\nunit = "UBND phường Hòa Bình"\n'
        f'hall = "{WARD_HALL}"\n'
        f'[[halls]]\nsite = "{AN_KHANH}"\nname = "Trung tâm PVHCC xã An Khánh"\nunit = "UBND xã An Khánh"\n'
        f'[[halls]]\nsite = "{HOSTILE}"\nname = "{HOSTILE_NAME}"\nunit = "UBND xã Thử Độc"\n',
        encoding="utf-8",
    )
    return path


def make_console(folder: Path, dsn: str, clock: FixedClock, **settings: Any) -> ProvinceConsole:
    province_toml = write_province_toml(folder, dsn)
    province = load_config(province_toml, ProvinceConfig)
    accounts = AccountStore(folder / "province-console.db", hasher=cheap_hasher())
    for username, role in PROVINCE_ACCOUNTS.items():
        officer = "nguyen-thi-lan" if role == "officer" else None
        accounts.create(username, username, Role(role), PASSWORD, officer=officer, now=clock.now())
    return ProvinceConsole(
        accounts=accounts,
        clock=clock,
        province_path=province_toml,
        province=province,
        halls={e.site: load_hall(e.hall) for e in province.halls if e.hall is not None},
        thresholds=Thresholds(offline_min=30, gap_min=10, satisfaction_below_pct=70, satisfaction_minimum=2),
        cache_s=0,
        **settings,
    )


@pytest.fixture
def console(province_dsn: str, tmp_path: Path) -> Iterator[ProvinceConsole]:
    seed(province_dsn)
    made = make_console(tmp_path, province_dsn, FixedClock(NOW))
    try:
        yield made
    finally:
        made.accounts.close()


def client_for(console: ProvinceConsole) -> TestClient:
    return TestClient(create_province_app(console), base_url="http://127.0.0.1")


def signed_in(console: ProvinceConsole, username: str) -> TestClient:
    client = client_for(console)
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": token},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    return client


def hall_row(html: str, site: str) -> str:
    match = re.search(rf'<tr id="hall-{site}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no row for {site}"
    return match.group(1)


def cell(row_html: str, name: str) -> str:
    match = re.search(rf'<td class="{name}">(.*?)</td>', row_html, re.S)
    assert match, f"no {name} cell"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


# --- the halls page --------------------------------------------------------------------------------------


def test_halls_page_shows_each_halls_figures_of_today(console: ProvinceConsole):
    page = signed_in(console, "tinh").get("/halls")
    assert page.status_code == 200
    hoa_binh = hall_row(page.text, HOA_BINH)
    assert cell(hoa_binh, "connection") == "Trực tuyến"
    assert cell(hoa_binh, "issued") == "3"
    assert cell(hoa_binh, "served") == "2"
    assert cell(hoa_binh, "open") == "1"
    assert cell(hoa_binh, "wait") == "15,5"
    assert cell(hoa_binh, "satisfaction") == "50,0% (2 đánh giá)"
    assert cell(hoa_binh, "last-event") == "08:31"
    # grouped by unit, each unit a group of its own
    assert page.text.index("UBND phường Hòa Bình") < page.text.index("UBND xã An Khánh")
    assert page.text.count("(1 trung tâm)") == 3  # three units of one hall each
    assert "1/3 trung tâm đang kết nối · 3 cảnh báo" in page.text
    # the page refreshes itself (htmx polling), and the fragment it polls carries the same figures
    assert 'hx-get="/halls/live?sort=unit"' in page.text and 'hx-trigger="every 30s"' in page.text
    live = signed_in(console, "tinh").get("/halls/live")
    assert live.status_code == 200 and "<html" not in live.text
    assert cell(hall_row(live.text, HOA_BINH), "issued") == "3"


def test_halls_in_other_orders(console: ProvinceConsole):
    client = signed_in(console, "tinh")
    offline_first = client.get("/halls", params={"sort": "offline"}).text
    order = [offline_first.index(f'id="hall-{site}"') for site in (AN_KHANH, HOSTILE, HOA_BINH)]
    assert order == sorted(order)  # offline, never connected, online
    assert 'hx-get="/halls/live?sort=offline"' in offline_first
    assert "UBND xã An Khánh" in hall_row(offline_first, AN_KHANH)  # the unit beside the name in one list
    least_satisfied = client.get("/halls/live", params={"sort": "satisfaction"}).text
    assert least_satisfied.index(f'id="hall-{HOA_BINH}"') < least_satisfied.index(f'id="hall-{AN_KHANH}"')
    unknown = client.get("/halls", params={"sort": "<b>"})
    assert unknown.status_code == 200 and 'hx-get="/halls/live?sort=unit"' in unknown.text


def test_offline_hall_shows_since_when_and_its_missing_events(console: ProvinceConsole):
    an_khanh = hall_row(signed_in(console, "tinh").get("/halls").text, AN_KHANH)
    assert "Mất kết nối từ 07:12" in cell(an_khanh, "connection")
    assert "thiếu 2 sự kiện" in cell(an_khanh, "connection")
    assert "thiếu hall.toml: chưa tính" in an_khanh  # no hall.toml copy: no figures, said so
    assert cell(an_khanh, "last-event") == "07:05"


def test_alerts_for_a_long_offline_hall_a_gap_and_low_satisfaction(console: ProvinceConsole):
    page = signed_in(console, "tinh").get("/alerts")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page.text))
    assert "Trung tâm PVHCC xã An Khánh: mất kết nối từ 07:12 (108 phút)" in text
    assert "Trung tâm PVHCC xã An Khánh: thiếu 2 sự kiện (số 3–4, đã nhận đến số 5) từ 08:30" in text
    assert "Trung tâm PVHCC phường Hòa Bình: hài lòng hôm nay 50,0% (2 đánh giá), dưới ngưỡng 70%" in text
    assert 'id="alert-offline-xa-an-khanh"' in page.text and 'id="alert-gap-xa-an-khanh"' in page.text


def test_no_alert_before_the_thresholds(province_dsn: str, tmp_path: Path):
    seed(province_dsn)
    early = make_console(tmp_path, province_dsn, FixedClock(local(7, 40)))  # offline 28 min, no gap seen yet
    early.thresholds = Thresholds(satisfaction_minimum=3)  # 2 ratings are too few to judge
    try:
        page = signed_in(early, "tinh").get("/alerts")
        assert "Không có cảnh báo." in page.text
        assert '<li class="alert' not in page.text
        assert "ít nhất 3 đánh giá" in page.text
    finally:
        early.accounts.close()


def test_a_hall_file_of_another_hall_is_said_not_a_crash(console: ProvinceConsole):
    from province.config import HallEntry

    console.province.halls.append(
        HallEntry(site="xa-sai-tep", name="Xã Sai Tệp", unit="UBND xã Sai Tệp", hall=WARD_HALL)
    )
    console.halls["xa-sai-tep"] = load_hall(WARD_HALL)  # phuong-hoa-binh's hall.toml: its report refuses it
    page = signed_in(console, "tinh").get("/halls")
    assert page.status_code == 200
    assert "không tính được số liệu" in hall_row(page.text, "xa-sai-tep")
    assert cell(hall_row(page.text, HOA_BINH), "issued") == "3"  # the others are still shown


def test_figures_are_read_again_in_the_background_and_a_failed_reading_is_said(
    console: ProvinceConsole, province_dsn: str
):
    from province.config import DatabaseSection

    console.cache_s = 0.2
    client = signed_in(console, "tinh")
    assert cell(hall_row(client.get("/halls").text, HOA_BINH), "connection") == "Trực tuyến"
    db = ProvinceDb(province_dsn)
    db.write([], [], {}, local(8, 50), online={HOA_BINH: False})
    db.close()
    time.sleep(0.3)
    # the page does not wait for the next reading: it shows the last one (with its time) ...
    assert cell(hall_row(client.get("/halls").text, HOA_BINH), "connection") == "Trực tuyến"
    # ... and the next request shows the new one, read meanwhile
    wait_until(lambda: "Mất kết nối từ 08:50" in hall_row(client.get("/halls").text, HOA_BINH), what="the next reading")
    console.province = console.province.model_copy(update={"database": DatabaseSection(dsn=province_dsn + "_gone")})
    time.sleep(0.3)
    client.get("/halls")
    wait_until(lambda: console.read_failed_at is not None, what="the failed reading")
    page = client.get("/halls").text
    assert 'id="stale"' in page and "số liệu dưới đây là của lần đọc trước" in page
    assert "Mất kết nối từ 08:50" in hall_row(page, HOA_BINH)


def test_a_five_star_hall_is_counted_by_what_its_votes_mean(console: ProvinceConsole, tmp_path: Path):
    """Five stars: 4 and 5 are satisfied, 1 and 2 unsatisfied (the hall report's rule); no level is "satisfied"."""
    from province.config import HallEntry

    site = "xa-nam-sao"
    text = WARD_HALL.read_text(encoding="utf-8").replace('site = "phuong-hoa-binh"', f'site = "{site}"', 1)
    stars = tmp_path / "five-stars.toml"
    stars.write_text(text.replace("[rating]\n", '[rating]\npreset = "five-stars"\n', 1), encoding="utf-8")
    served = {"counter": 1, "officer": "nguyen-thi-lan", "service": "ho-tich", "site": site}
    votes = [("star_5", "satisfied"), ("star_4", "satisfied"), ("star_1", "unsatisfied")]
    rows = [row(1, "day_started", local(0, 0), site=site, detail="2026-11-23")]
    for n, (level, meaning) in enumerate(votes):
        ticket = f"20261123-A00{n + 1}"
        rows += [
            row(2 + 4 * n, "issued", local(8, n), site=site, ticket_id=ticket, service="ho-tich"),
            row(3 + 4 * n, "called", local(8, 10 + n), ticket_id=ticket, **served),
            row(4 + 4 * n, "served", local(8, 20 + n), ticket_id=ticket, **served),
            row(5 + 4 * n, "rating", local(8, 21 + n), ticket_id=ticket, rating=level, outcome="counted",
                meaning=meaning, **served),
        ]  # fmt: skip
    db = ProvinceDb(console.province.database.dsn)
    db.write(rows, [], {site: len(rows)}, local(8, 45), online={site: True})
    db.close()
    console.province.halls.append(HallEntry(site=site, name="Xã Năm Sao", unit="UBND xã Năm Sao", hall=stars))
    console.halls[site] = load_hall(stars)
    page = signed_in(console, "tinh").get("/halls")
    assert cell(hall_row(page.text, site), "satisfaction") == "66,7% (3 đánh giá)"
    # the province's report counts it the same way (its CSV's satisfied / neutral / unsatisfied and the rate)
    toml = console.province_path.read_text(encoding="utf-8")
    console.province_path.write_text(
        toml + f'[[halls]]\nsite = "{site}"\nname = "Xã Năm Sao"\nunit = "UBND xã Năm Sao"\nhall = "{stars}"\n',
        encoding="utf-8",
    )
    summary = signed_in(console, "tinh").get("/reports", params={"period": "week", "date": "2026-11-23"}).text
    assert f"<td>{site}</td><td>Xã Năm Sao</td><td>UBND xã Năm Sao</td><td>3</td><td>3</td><td>0</td><td>10.0</td>" in (
        summary.replace("\n", "")
    )
    assert "<td>3</td><td>2</td><td>0</td><td>1</td><td>66.7</td>" in summary.replace("\n", "")


def test_an_event_the_report_cannot_read_is_said_not_a_crash(console: ProvinceConsole):
    db = ProvinceDb(console.province.database.dsn)
    db.write([row(12, "teleported", local(8, 40))], [], {HOA_BINH: 12}, local(8, 45))
    db.close()
    page = signed_in(console, "tinh").get("/halls")
    assert page.status_code == 200
    assert "không tính được số liệu" in hall_row(page.text, HOA_BINH)


def test_english_option(console: ProvinceConsole):
    client = signed_in(console, "tinh")
    client.cookies.set("motcua_lang", "en")
    page = client.get("/halls")
    assert "Halls" in page.text and "Offline since 07:12" in page.text
    assert cell(hall_row(page.text, HOA_BINH), "wait") == "15.5"
    alerts = client.get("/alerts").text
    assert "offline since 07:12 (108 min)" in alerts


def test_hall_name_with_a_script_is_shown_as_text(console: ProvinceConsole):
    client = signed_in(console, "tinh")
    for path in ("/halls", "/alerts"):
        html = client.get(path).text
        assert "<script>alert" not in html
    html = client.get("/halls").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Trung tâm xã Thử Độc" in html
    assert "Chưa kết nối" in hall_row(html, HOSTILE)


def test_database_down_is_a_message_not_a_crash(province_dsn: str, tmp_path: Path):
    seed(province_dsn)
    broken = make_console(tmp_path, province_dsn.replace("dbname=", "dbname=no_such_"), FixedClock(NOW))
    try:
        page = signed_in(broken, "tinh").get("/halls")
        assert page.status_code == 503
        assert "Không đọc được cơ sở dữ liệu của tỉnh" in page.text
    finally:
        broken.accounts.close()


# --- reports ------------------------------------------------------------------------------------------------


def test_report_download_is_motcua_report_provinces_own_files(console: ProvinceConsole, tmp_path: Path):
    client = signed_in(console, "tinh")
    response = client.get("/reports/file", params={"period": "week", "date": "2026-11-23"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert "tinh-thu-nghiem-2026-11-23-2026-11-29-csv.zip" in response.headers["content-disposition"]
    files = zipfile.ZipFile(io.BytesIO(response.content))
    out = tmp_path / "cli"
    code = motcua(
        ["report", "--province", str(console.province_path), "--period", "week", "--date", "2026-11-23",
         "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    written = sorted(p.name for p in out.iterdir())
    assert sorted(files.namelist()) == written and len(written) == 4  # halls, officers, procedures, services
    for name in written:
        assert files.read(name) == (out / name).read_bytes(), name
    halls_csv = files.read("tinh-thu-nghiem-2026-11-23-2026-11-29-halls.csv").decode("utf-8-sig")
    assert f"{HOA_BINH},Trung tâm PVHCC phường Hòa Bình,UBND phường Hòa Bình,3,2,0,15.5,2,1,0,1,50.0" in halls_csv


def test_custom_period_and_the_html_summary_per_hall_and_unit(console: ProvinceConsole):
    client = signed_in(console, "tinh")
    page = client.get("/reports", params={"period": "custom", "from": "2026-11-23", "to": "2026-11-23"})
    assert page.status_code == 200
    assert "tinh-thu-nghiem-2026-11-23-2026-11-23-halls.csv" in page.text
    table = page.text[page.text.index('id="summary"') :]
    assert '<tr class="hall-line"><td>phuong-hoa-binh</td>' in table
    assert '<tr class="unit-line"><th></th><th></th><th>UBND phường Hòa Bình</th><th>3</th>' in table
    assert '<tr class="province-line"><th></th><th>TOÀN TỈNH</th><th>Tỉnh Thử Nghiệm</th><th>3</th>' in table
    assert "&lt;script&gt;" in table and "<script>alert" not in table
    zipped = client.get("/reports/file", params={"period": "custom", "from": "2026-11-23", "to": "2026-11-23"})
    assert zipped.status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"period": "year"},
        {"period": "week", "date": "23/11/2026"},
        {"period": "custom", "from": "2026-11-23"},
        {"period": "week", "date": "2026-11-23'; DROP TABLE events; --"},
    ],
)
def test_bad_report_requests_are_refused_in_vietnamese(console: ProvinceConsole, params: dict[str, str]):
    response = signed_in(console, "tinh").get("/reports/file", params=params)
    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ." in response.text


def test_a_period_the_report_refuses_is_a_message(console: ProvinceConsole):
    response = signed_in(console, "tinh").get(
        "/reports", params={"period": "custom", "from": "2026-11-23", "to": "2026-11-01"}
    )
    assert response.status_code == 404
    assert "Không lập được báo cáo:" in response.text and "before it starts" in response.text


# --- authorisation and CSRF ----------------------------------------------------------------------------------


def test_every_route_checks_the_role(console: ProvinceConsole):
    app = create_province_app(console)
    clients = {username: signed_in(console, username) for username in PROVINCE_ACCOUNTS}
    checked = 0
    for route in app.routes:
        if isinstance(route, Mount) or route.path in PUBLIC_PATHS:  # type: ignore[attr-defined]
            continue
        assert isinstance(route, Route)
        roles = getattr(route.endpoint, "roles", None)
        expected = {Role.ADMIN} if route.path == "/accounts" else {Role.PROVINCE, Role.ADMIN}
        assert roles == expected, route.path
        for method in sorted((route.methods or set()) - {"HEAD"}):
            anonymous = client_for(console).request(method, route.path, follow_redirects=False)
            assert anonymous.status_code == (303 if method == "GET" else 401), (method, route.path)
            for username, role in PROVINCE_ACCOUNTS.items():
                client = clients[username]
                data = {"csrf": csrf_of(client.get("/halls").text)} if method == "POST" else None
                if Role(role) not in roles:
                    data = {"csrf": "x"} if method == "POST" else None
                answer = client.request(method, route.path, data=data, follow_redirects=False)
                if Role(role) not in roles:
                    assert answer.status_code == 403, (username, method, route.path)
                    assert method == "POST" or "không có quyền" in answer.text
                elif route.path == "/logout":
                    assert answer.status_code == 303
                    clients[username] = signed_in(console, username)
                else:
                    assert answer.status_code in (200, 303), (username, method, route.path, answer.status_code)
                checked += 1
    assert checked >= 30


def test_an_expired_session_sends_a_polling_page_to_sign_in(console: ProvinceConsole):
    client = signed_in(console, "tinh")
    console.accounts.expire_all("tinh", at=NOW - timedelta(seconds=1))
    polled = client.get("/halls/live", headers={"HX-Request": "true"}, follow_redirects=False)
    assert polled.status_code == 401 and polled.headers["hx-redirect"] == "/login"
    assert client.get("/halls", follow_redirects=False).headers["location"] == "/login"


def test_no_hall_pages_in_the_province_mode(console: ProvinceConsole):
    client = signed_in(console, "quantri")
    for path in ("/desk", "/hall", "/hall/stream", "/desk/action"):
        assert client.get(path).status_code == 404


def test_the_admin_makes_province_accounts_only(console: ProvinceConsole):
    admin = signed_in(console, "quantri")
    page = admin.get("/accounts").text
    assert '<option value="province">Cấp tỉnh</option>' in page and 'value="officer"' not in page
    token = csrf_of(page)
    form = {"csrf": token, "what": "create", "password": PASSWORD, "name": "Phạm Văn Tỉnh"}
    page = admin.post("/accounts", data={**form, "username": "can-bo", "role": "officer"}).text
    assert "Không thực hiện được: no officer accounts on this console" in page
    assert console.accounts.get("can-bo") is None
    page = admin.post("/accounts", data={**form, "username": "pham", "role": "province"}).text
    assert "Đã tạo tài khoản pham." in page
    assert signed_in(console, "pham").get("/halls").status_code == 200


def test_sign_out_needs_the_csrf_token(console: ProvinceConsole):
    client = signed_in(console, "tinh")
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert client.get("/halls", follow_redirects=False).status_code == 200  # still signed in
    token = csrf_of(client.get("/halls").text)
    assert client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert client.get("/halls", follow_redirects=False).headers["location"] == "/login"


def test_sign_in_needs_its_csrf_cookie(console: ProvinceConsole):
    client = client_for(console)
    token = csrf_of(client.get("/login").text)
    client.cookies.clear()
    response = client.post("/login", data={"username": "tinh", "password": PASSWORD, "csrf": token})
    assert response.status_code == 403


def test_the_console_reads_only(console: ProvinceConsole):
    from province import view

    with view.connect(console.province.database.dsn) as conn, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("DELETE FROM halls")


# --- config ----------------------------------------------------------------------------------------------------


def test_the_sample_province_console_toml_is_valid(capsys: pytest.CaptureFixture[str]):
    sample = ROOT / "examples" / "province" / "console.toml"
    assert motcua(["check", "console", str(sample)]) == 0
    assert "a valid console file" in capsys.readouterr().out
    config = load_console_config(sample)
    assert isinstance(config, ProvinceConsoleConfig)
    assert config.alerts.offline_min == 30 and config.province.config.name == "province.toml"


def test_a_misspelt_threshold_is_refused_with_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bad = tmp_path / "console.toml"
    bad.write_text(
        f'mode = "province"\n[province]\nconfig = "{ROOT / "examples" / "province" / "province.toml"}"\n'
        "[alerts]\noffline_minutes = 5\n",
        encoding="utf-8",
    )
    assert motcua(["check", "console", str(bad)]) != 0
    assert "did you mean 'offline_min'" in capsys.readouterr().err


def test_accounts_of_the_wrong_mode_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from console.main import main as console_main

    config = tmp_path / "console.toml"
    config.write_text(
        f'mode = "province"\naccounts = "{tmp_path / "a.db"}"\n[province]\n'
        f'config = "{ROOT / "examples" / "province" / "province.toml"}"\n',
        encoding="utf-8",
    )
    password = tmp_path / "pw"
    password.write_text(PASSWORD, encoding="utf-8")
    common = ["--config", str(config), "create-account", "--username", "u", "--name", "U", "--password-file"]
    assert console_main([*common, str(password), "--role", "officer", "--officer", "nguyen-thi-lan"]) == 2
    assert "only province and admin accounts" in capsys.readouterr().err
    assert console_main([*common, str(password), "--role", "province"]) == 0
